#!/usr/bin/python3
"""The broad array suite: the same expressions in tessera (mpirun -n 3: a scheduler and two
workers) and in Dask (threaded scheduler, two threads), one after the other, each first in every
other repeat; medians, each ratio, the worst ratio and the geometric mean, and for the
memory-bound cases the fraction of STREAM measured in the same run.

  bench/array_suite.py [--repeats N] [--data DIR] [--only NAME,NAME...] [--tessera PATH]

Inputs are HDF5 files in DIR (made with h5py when missing, 2.3 GB): x (8192 x 8192 float64,
HDF5 chunks 1024 x 1024, uniform in [0, 1)), xf (the same as float32), xi (int64 in [0, 1000)),
x3 (256 x 512 x 512 float64) and t (2,097,152 x 32 float64). Both sides load them into memory
first (`persist()`, then a sum that waits for it), untimed, except the cases that time the reads;
the time is that of the expression's computation alone, taken inside each program
(time.perf_counter()), so neither mpirun's start nor Python's imports count.
"""
import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# name: (inputs, expression, STREAM bytes per element or None, note). The expression is written
# once, in the NumPy spelling both accept; `np.` is tessera's namespace in scripts and NumPy's
# in Dask's program (where it dispatches to dask.array). `out` names an HDF5 output path.
CASES = {
    # elementwise families, reduced to a scalar so the result is small
    "arith": ("x", "((x * 2.5 + 1) / (x + 3) - x).sum()", 8, ""),
    "compare_where": ("x", "np.where(x > 0.5, x, -x).sum()", 8, ""),
    "sin_cos": ("x", "(np.sin(x) + np.cos(x)).sum()", None, ""),
    "exp_log": ("x", "(np.exp(x) + np.log(x + 1)).sum()", None, ""),
    "log1p_tanh": ("x", "(np.log1p(x) * np.tanh(x)).sum()", None, ""),
    "inverse_trig": ("x", "(np.arcsin(x) + np.arctan(x)).sum()", None, ""),
    "hyperbolic": ("x", "(np.sinh(x) - np.cosh(x)).sum()", None, ""),
    "tan_cbrt": ("x", "(np.tan(x) + np.cbrt(x)).sum()", None, ""),
    "power_general": ("x", "(x ** 1.7).sum()", None, ""),
    "square_sqrt": ("x", "(x ** 2 + np.sqrt(x)).sum()", 8, ""),
    "arctan2_hypot": ("x", "(np.arctan2(x, 0.5) + np.hypot(x, 2.0)).sum()", None, ""),
    "float32_chain": ("xf", "(np.sin(xf) * 2 + xf).sum()", None, ""),
    "int_ops": ("xi", "((xi * 3 + 7) // 5 % 11).sum()", 8, ""),
    "mixed_dtypes": ("xf,xi", "(xf + xi).sum()", 12, ""),
    # reductions over each axis
    "sum_axis0": ("x", "x.sum(axis=0).sum()", 8, ""),
    "sum_axis1": ("x", "x.sum(axis=1).sum()", 8, ""),
    "mean_3d_axis0": ("x3", "x3.mean(axis=0).sum()", 8, ""),
    "mean_3d_axis12": ("x3", "x3.mean(axis=(1, 2)).sum()", 8, ""),
    "std_axis0": ("x", "x.std(axis=0).sum()", 8, ""),
    "max_axis1": ("x", "x.max(axis=1).sum()", 8, ""),
    "argmax_axis0": ("x", "x.argmax(axis=0).sum()", 8, ""),
    "nanmean_axis1": ("x", "np.nanmean(x, axis=1).sum()", 8, ""),
    # broadcasting, slicing, transposes, joins, reshapes
    "standardize": ("x", "((x - x.mean(axis=0)) / x.std(axis=0)).sum()", None, ""),
    "row_broadcast": ("x", "(x * np.arange(8192)).sum()", 8, ""),
    "step_slices": ("x", "x[::2, ::-3].sum()", None, ""),
    "transpose_chain": ("x", "(x + x.T).sum()", None, ""),
    "concatenate": ("x", "np.concatenate([x, x * 2], axis=1).sum()", None, ""),
    "stack": ("x", "np.stack([x, x + 1]).sum()", None, ""),
    "reshape_merge": ("x", "x.reshape((4096, 16384)).sum(axis=0).sum()", None,
                      "rows merged in pairs"),
    "reshape_split": ("x", "x.reshape((8192, 64, 128)).sum(axis=2).sum()", None, ""),
    # rechunks between very different chunk shapes
    "rechunk_rows_to_columns": ("x", "x.rechunk((8192, 128)).sum(axis=0).sum()", None, ""),
    "rechunk_fine_to_coarse": ("x:256", "x.rechunk((2048, 2048)).sum()", None, ""),
    "rechunk_coarse_to_fine": ("x", "x.rechunk((256, 256)).sum()", None, ""),
    "rechunk_irregular": ("x", "x.rechunk((1500, 1700)).sum()", None, ""),
    # stencils and products
    "map_overlap": ("x", "LAPLACIAN.sum()", None, "a 5-point Laplacian with periodic halos"),
    "matmul_tall_skinny": ("t", "(t @ np.ones((32, 16))).sum()", None, ""),
    "matmul_block_panel": ("x", "(x @ x[:, :256]).sum()", None, ""),
    # HDF5 and out of core
    "h5_read_sum": ("x:read", "x.sum()", None, "the read is timed (page cache)"),
    "h5_write": ("x", "WRITE(x * 2)", None, "chunked write, then closed"),
    "h5_read_modify_write": ("x:read", "WRITE(x - x.mean(axis=0))", None, "read, centre, write"),
    "out_of_core_transpose": ("x:read", "(x + x.T).sum()", None, "tessera --memory-limit 300MB"),
}

SHAPES = {"x": (8192, 8192), "xf": (8192, 8192), "xi": (8192, 8192), "x3": (256, 512, 512),
          "t": (2097152, 32)}
CHUNKS = {"x": (1024, 1024), "xf": (1024, 1024), "xi": (1024, 1024), "x3": (32, 512, 512),
          "t": (131072, 32)}


def make_inputs(data):
    import h5py
    import numpy as np
    path = os.path.join(data, "suite.h5")
    if os.path.exists(path):
        return path
    os.makedirs(data, exist_ok=True)
    rng = np.random.default_rng(42)
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as f:
        x = rng.random(SHAPES["x"])
        f.create_dataset("x", data=x, chunks=CHUNKS["x"])
        f.create_dataset("xf", data=x.astype(np.float32), chunks=CHUNKS["xf"])
        del x
        f.create_dataset("xi", data=rng.integers(0, 1000, SHAPES["xi"]), chunks=CHUNKS["xi"])
        f.create_dataset("x3", data=rng.random(SHAPES["x3"]), chunks=CHUNKS["x3"])
        f.create_dataset("t", data=rng.random(SHAPES["t"]), chunks=CHUNKS["t"])
    os.replace(tmp, path)
    return path


def parse_inputs(spec):
    """'x' -> [(x, chunks, persisted)], 'x:256' -> x chunked 256 x 256, 'x:read' -> not loaded."""
    out = []
    for item in spec.split(","):
        name, _, mode = item.partition(":")
        chunks = CHUNKS[name] if mode in ("", "read") else (int(mode),) * len(SHAPES[name])
        out.append((name, chunks, mode != "read"))
    return out


def tessera_script(case, path, out):
    inputs, expr, _, _ = CASES[case]
    lines = ["import time", "import numpy as np"]
    for name, chunks, persisted in parse_inputs(inputs):
        lines.append(f"{name} = from_hdf5('{path}', '/{name}', chunks={chunks})")
        if persisted:  # tessera's persist() returns at once, as Dask's distributed one does
            lines += [f"{name} = {name}.persist()", f"float({name}.sum())"]
    lines.append("t0 = time.perf_counter()")
    expr = expr.replace("LAPLACIAN", "map_overlap(laplacian, x, depth=1, boundary='periodic')")
    if expr.startswith("WRITE("):
        lines.append(f"to_hdf5('{out}', 'y', {expr[6:-1]})")
        lines.append("v = 0.0")
    else:
        lines.append(f"v = float({expr})")
    lines.append("print('TIME', time.perf_counter() - t0, v)")
    return "\n".join(lines) + "\n"


def dask_program(case, path, out):
    inputs, expr, _, _ = CASES[case]
    lines = ["import time, h5py, numpy, dask, dask.array as np",
             "dask.config.set(scheduler='threads', num_workers=2)",
             f"f = h5py.File('{path}', 'r')"]
    for name, chunks, persisted in parse_inputs(inputs):
        lines.append(f"{name} = np.from_array(f['{name}'], chunks={chunks})")
        if persisted:
            lines += [f"{name} = {name}.persist()", f"float({name}.sum().compute())"]
    lines.append("t0 = time.perf_counter()")
    lap = ("np.map_overlap(lambda b: b[:-2, 1:-1] + b[2:, 1:-1] + b[1:-1, :-2] + b[1:-1, 2:]"
           " - 4 * b[1:-1, 1:-1], x, depth=1, boundary='periodic', trim=False, chunks=x.chunks)")
    expr = expr.replace("LAPLACIAN", lap).replace("np.ones((32, 16))", "numpy.ones((32, 16))")
    if expr.startswith("WRITE("):
        lines.append(f"np.to_hdf5('{out}', '/y', {expr[6:-1]})")
        lines.append("v = 0.0")
    else:
        lines.append(f"v = float(({expr}).compute())")
    lines.append("print('TIME', time.perf_counter() - t0, v)")
    return "\n".join(lines) + "\n"


class CannotRun(Exception):
    """A peer that cannot express or run a case: the case is reported, not dropped."""


def timed(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    for line in p.stdout.splitlines():
        if line.startswith("TIME"):
            _, seconds, value = line.split()
            return float(seconds), float(value)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    why = next((l.strip() for l in reversed(lines) if "Error" in l or "error" in l), lines[-1] if lines else "")
    raise CannotRun(f"exit {p.returncode}: {why[:160]}")


def stream(work):
    exe = os.path.join(work, "stream")
    subprocess.run(["gcc", "-O3", "-march=native", "-fopenmp",
                    os.path.join(ROOT, "..", "shared", "research", "probes", "stream.c"), "-o", exe], check=True)
    line = subprocess.run([exe], capture_output=True, text=True, check=True,
                          env=dict(os.environ, OMP_NUM_THREADS="2")).stdout
    words = line.replace("(reduce)", "").split()
    return {"triad": float(words[words.index("triad") + 1]), "sum": float(words[words.index("sum") + 1])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--data", default="/tmp/suitedata")
    ap.add_argument("--only", default="")
    ap.add_argument("--tessera", default=os.path.join(ROOT, "build", "apps", "tessera"))
    a = ap.parse_args()
    path = make_inputs(a.data)
    cases = [c for c in CASES if not a.only or c in a.only.split(",")]
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    if os.getuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    work = tempfile.mkdtemp()
    limits = stream(work)
    print(f"STREAM (2 threads): triad {limits['triad']:.1f} GB/s, sum {limits['sum']:.1f} GB/s")
    rows, unrun = [], []
    for case in cases:
        out = os.path.join(work, "out.h5")
        script = os.path.join(work, f"{case}.tsr")
        program = os.path.join(work, f"{case}.py")
        with open(script, "w") as f:
            f.write(tessera_script(case, path, out))
        with open(program, "w") as f:
            f.write(dask_program(case, path, out))
        flags = ["--memory-limit", "300MB"] if case.startswith("out_of_core") else []
        ours = ["mpirun", "-n", "3", "--oversubscribe", a.tessera, "run", "--progress", "none", *flags, script]
        theirs = ["/usr/bin/python3", program]
        t_ours, t_theirs, values = [], [], []
        failed = None
        for r in range(a.repeats):
            order = [(ours, t_ours, "tessera"), (theirs, t_theirs, "Dask")]
            for cmd, times, who in (order if r % 2 == 0 else order[::-1]):
                if os.path.exists(out):
                    os.remove(out)
                try:
                    seconds, value = timed(cmd, env)
                except CannotRun as e:
                    failed = f"{who} cannot run it ({e})"
                    break
                times.append(seconds)
                values.append(value)
            if failed:
                break
        if failed:
            unrun.append((case, failed))
            print(f"{case:26s} {failed}", flush=True)
            continue
        mine, dasks = statistics.median(t_ours), statistics.median(t_theirs)
        spread = max(t_ours) / min(t_ours)
        agree = all(math.isclose(v, values[0], rel_tol=1e-6, abs_tol=1e-6) for v in values)
        bytes_per = CASES[case][2]
        note = CASES[case][3]
        if bytes_per:
            n = math.prod(SHAPES[CASES[case][0].split(",")[0].split(":")[0]])
            gbs = bytes_per * n / mine / 1e9
            note = (note + "; " if note else "") + f"{gbs:.1f} GB/s = {100 * gbs / limits['sum']:.0f}% of STREAM sum"
        rows.append((case, mine, dasks, dasks / mine, spread, agree, note))
        print(f"{case:26s} tessera {mine:7.3f} s  Dask {dasks:7.3f} s  {dasks / mine:6.2f}x  "
              f"spread {spread:4.2f}{'' if agree else '  RESULTS DIFFER'}  {note}", flush=True)
    ratios = [r[3] for r in rows]
    worst = min(rows, key=lambda r: r[3])
    print(f"\n{len(rows)} cases; worst ratio {worst[3]:.2f}x ({worst[0]}); "
          f"geometric mean {math.exp(statistics.mean(math.log(r) for r in ratios)):.2f}x; "
          f"largest tessera spread {max(r[4] for r in rows):.2f}")
    for r in sorted(rows, key=lambda r: r[3])[:3]:
        print(f"  slowest against Dask: {r[0]} {r[3]:.2f}x")
    for case, why in unrun:
        print(f"  not compared: {case}: {why}")


if __name__ == "__main__":
    main()
