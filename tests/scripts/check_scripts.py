#!/usr/bin/python3
"""Checks the example scripts run by tessera against NumPy, independently of tessera.

  check_scripts.py semantics SCRIPT.tsr TESSERA_STDOUT   the same script under Python + NumPy
  check_scripts.py seeds IN.h5 CHUNK TESSERA_STDOUT
  check_scripts.py column_means IN.h5 OUT.h5 TESSERA_STDOUT
  check_scripts.py heat IN.h5 TESSERA_STDOUT
  check_scripts.py taxi DIR_FROM_3_RANKS DIR_FROM_1_RANK FILES ROWS
"""
import contextlib
import io
import math
import re
import sys

import h5py
import numpy as np


def numbers(text):
    return [float(v) for v in re.findall(r"-?\d+\.?\d*(?:e[+-]\d+)?|nan|-?inf", text)]


def close(label, got, want, rtol=1e-12):
    got, want = np.ravel(np.asarray(got, dtype=float)), np.ravel(np.asarray(want, dtype=float))
    if got.shape != want.shape or not np.allclose(got, want, rtol=rtol, atol=rtol):
        sys.exit(f"{label}: tessera printed {got}, NumPy gives {want}")


def printed(path):
    return dict(line.split(" = ", 1) if " = " in line else (line, "") for line in open(path).read().splitlines())


def semantics(script, tessera_stdout):
    def no_chunks(f):
        return lambda *a, chunks=None, **k: f(*a, **k)
    names = {n: no_chunks(getattr(np, n)) for n in
             ["arange", "ones", "zeros", "eye", "linspace", "array", "where", "sqrt", "concatenate", "stack",
              "clip", "maximum"]}
    names.update(nan=np.nan, inf=np.inf, argv=[script])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(open(script).read(), script, "exec"), names)
    want, got = out.getvalue().splitlines(), open(tessera_stdout).read().splitlines()
    for i, (w, g) in enumerate(zip(want, got)):
        if w != g:
            sys.exit(f"line {i + 1} differs:\n  NumPy:   {w!r}\n  tessera: {g!r}")
    if len(want) != len(got):
        sys.exit(f"NumPy printed {len(want)} lines, tessera {len(got)}")
    print(f"{len(want)} lines the same as NumPy's")


def seeds(inp, chunk, tessera_stdout):
    x = h5py.File(inp, "r")["x"][...]
    p = printed(tessera_stdout)
    n = -(-x.shape[0] // int(chunk))
    header = f"x: {x.shape} float64 in {n * n} chunks of ({min(int(chunk), x.shape[0])}, {min(int(chunk), x.shape[1])})"
    if header not in p:
        sys.exit(f"expected the line {header!r}")
    lines = open(tessera_stdout).read().splitlines()
    corner = lines[lines.index("x[:3, :3] =") + 1:][:3]
    if "\n".join(corner) != str(x[:3, :3]):  # the data itself: printed exactly as NumPy prints it
        sys.exit(f"x[:3, :3] printed as\n{chr(10).join(corner)}\nNumPy:\n{x[:3, :3]}")
    y = (x + x.T) - x.mean(axis=0)
    close("y.sum()", float(p["y.sum()"]), y.sum(), 1e-11)
    close("y[0, :4]", numbers(p["y[0, :4]"]), y[0, :4], 1e-8)
    close("std", float(p["(x.dot(x.T + 1) - x.mean()).std()"]), (x.dot(x.T + 1) - x.mean()).std(), 1e-9)
    print("seeds: the values agree with NumPy")


def column_means(inp, out, tessera_stdout):
    x = h5py.File(inp, "r")["x"][...]
    with h5py.File(out, "r") as f:
        close("/mean", f["mean"][...], x.mean(axis=0))
        close("/spread", f["spread"][...], x.max(axis=0) - x.min(axis=0))
        if f["mean"].attrs["source"] != inp + ":/x":
            sys.exit(f"attribute source is {f['mean'].attrs['source']!r}")
    text = open(tessera_stdout).read()
    if f"columns: {x.shape[1]}" not in text:
        sys.exit("column count missing")
    close("first means", numbers(text.split("first means:")[1].split("\n")[0]), x.mean(axis=0)[:5], 1e-8)
    close("mean of means", numbers(text.split("mean of means:")[1])[0], x.mean(axis=0).mean())
    print("column_means: the file and the values agree with NumPy")


def heat(inp, tessera_stdout):
    u = h5py.File(inp, "r")["x"][...]

    def laplacian(v):
        return sum(np.roll(v, 1, axis) + np.roll(v, -1, axis) - 2 * v for axis in range(v.ndim))
    u3 = u
    for _ in range(3):
        u3 = u3 + 0.1 * laplacian(u3)
    p = np.pad(u, 1, mode="symmetric")  # Dask's 'reflect'
    smooth = (p[1:-1, 1:-1] + p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:]) / 5
    text = open(tessera_stdout).read()
    close("heat before", numbers(text.split("total heat before:")[1])[0], u.sum())
    close("heat after", numbers(text.split("total heat after 3 steps:")[1])[0], u3.sum())
    close("max", numbers(text.split("max after 3 steps:")[1])[0], u3.max())
    close("smoothed corner", numbers(text.split("smoothed corner:")[1]), smooth[:2, :4], 1e-8)
    print("heat: the stencil steps agree with NumPy")


def taxi(many, one, files, rows):
    import csv
    import datetime
    import filecmp
    for k in range(int(files)):
        name = f"trips-{k}.csv"
        if not filecmp.cmp(f"{many}/{name}", f"{one}/{name}", shallow=False):
            sys.exit(f"{name} differs between 3 ranks and 1 rank")
        with open(f"{many}/{name}") as f:
            table = list(csv.DictReader(f))
        if len(table) != int(rows):
            sys.exit(f"{name} has {len(table)} rows, expected {rows}")
        start = datetime.datetime(2016, 1, 1) + datetime.timedelta(days=3 * k)
        for r in table:
            t = datetime.datetime.strptime(r["pickup"], "%Y-%m-%d %H:%M:%S")
            if not start <= t < start + datetime.timedelta(days=3) or not 1 <= int(r["passengers"]) <= 6:
                sys.exit(f"{name}: row out of range: {r}")
        for column, mean in [("distance", 3.0), ("fare", 12.0), ("tip", 1.8)]:  # gamma(k, theta): k * theta
            values = [float(r[column]) for r in table]
            got = sum(values) / len(values)
            if min(values) < 0 or abs(got - mean) > 0.15 * mean:
                sys.exit(f"{name}: {column} mean {got:.3f}, expected about {mean}")
    print(f"taxi: {files} files of {rows} rows, the same from 1 and 3 ranks, values in range")


if __name__ == "__main__":
    {"semantics": semantics, "seeds": seeds, "column_means": column_means, "heat": heat,
     "taxi": taxi}[sys.argv[1]](*sys.argv[2:])
