#!/usr/bin/python3
"""tessera.linalg against NumPy/LAPACK on the gathered matrices, independently of tessera.

  check_linalg.py MPIEXEC TESSERA WORK

Writes awkward inputs (chunks that do not divide, one chunk, more chunks than rows of R,
rank-deficient, float32, chunked in both dimensions, short-fat, blocks of many panels), runs one tessera script on 1, 3
and 4 ranks, and checks every factorisation by reconstruction and against NumPy, and that the
results of the three runs are bitwise the same. Then the errors: a matrix that is not positive
definite, tsqr of an array chunked in both dimensions, a complete QR of a tall array.
"""
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

CHUNKS = {"tall": (100, 7), "one": (50, 5), "thin": (3, 12), "deficient": (30, 6), "single": (64, 4),
          "grid": (70, 15), "wide": (8, 50), "long": (12000, 6), "lowrank": (90, 50), "spd": (25, 25), "gen": (25, 25),
          "b1": (25,), "b2": (25, 2), "ls_a": (70, 6), "ls_b": (70,), "ls_b2": (30,)}
FACTORED = ["tall", "one", "thin", "deficient", "single", "grid", "wide", "long"]
MATRIX_ORDS = ["None", "'fro'", "'nuc'", "1", "-1", "2", "-2", "inf", "-inf"]
VECTOR_ORDS = ["None", "1", "2", "3", "0", "inf", "-inf"]


def script():
    """The tessera script (straight-line: scripts have no loops or functions)."""
    lines = ["import numpy as np"]
    lines += [f"{k} = from_hdf5(argv[1], '{k}', chunks={c})" for k, c in CHUNKS.items()]
    out = {}
    for name in FACTORED:
        lines.append(f"{name}_q, {name}_r = np.linalg.qr({name})")
        lines.append(f"{name}_u, {name}_s, {name}_vt = np.linalg.svd({name})")
        out.update({f"{name}_{p}": f"{name}_{p}" for p in ["q", "r", "u", "s", "vt"]})
    lines += ["lr_u, lr_s, lr_vt = da.linalg.svd_compressed(lowrank, k=5, n_power_iter=2, seed=4)",
              "ls_x, ls_res, ls_rank, ls_s = np.linalg.lstsq(ls_a, ls_b)",
              "lsd_x, lsd_res, lsd_rank, lsd_s = np.linalg.lstsq(deficient, ls_b2)"]
    out.update({k: k for k in ["lr_u", "lr_s", "lr_vt", "ls_x", "ls_res", "ls_rank", "ls_s", "lsd_x", "lsd_rank"]})
    out.update({
        "tall_r_only": "np.linalg.qr(tall, mode='r')",
        "tall_s_only": "np.linalg.svd(tall, compute_uv=False)",
        "chol": "np.linalg.cholesky(spd)",
        "chol_upper": "da.linalg.cholesky(spd, lower=False)",
        "solve_pos_1": "da.linalg.solve(spd, b1, assume_a='pos')",
        "solve_pos_2": "da.linalg.solve(spd, b2, assume_a='pos')",
        "solve_gen_1": "np.linalg.solve(gen, b1)",
        "solve_gen_2": "np.linalg.solve(gen, b2)",
        "tri_lower": "linalg.solve_triangular(gen, b2, lower=True)",
        "tri_upper": "linalg.solve_triangular(gen, b2)",
        "inv": "np.linalg.inv(gen)",
        "norm_axis1": "np.linalg.norm(grid, axis=1)",
        "norm_keep": "np.linalg.norm(grid, ord=1, keepdims=True)",
    })
    out.update({f"norm_m_{o.strip(chr(39))}": f"np.linalg.norm(grid, ord={o})" for o in MATRIX_ORDS})
    out.update({f"norm_v_{o}": f"np.linalg.norm(b1, ord={o})" for o in VECTOR_ORDS})
    lines.append("to_hdf5(argv[2], {\n    " + ",\n    ".join(f"'{k}': {v}" for k, v in out.items()) + "})")
    return "\n".join(lines) + "\n"


def inputs(path):
    rng = np.random.default_rng(7)
    deficient = rng.random((200, 6))
    deficient[:, 3] = deficient[:, 0] + deficient[:, 1]
    m = rng.random((90, 90))
    # A spectrum that decays fast: the randomised SVD's top values are then accurate.
    left, _ = np.linalg.qr(rng.standard_normal((400, 40)))
    right, _ = np.linalg.qr(rng.standard_normal((120, 40)))
    lowrank = (left * (0.5 ** np.arange(40))) @ right.T
    data = {
        "tall": rng.random((1003, 7)),
        "one": rng.standard_normal((50, 5)),
        "thin": rng.random((40, 12)),
        "deficient": deficient,
        "single": rng.random((500, 4)).astype(np.float32),
        "grid": rng.standard_normal((300, 40)),
        "wide": rng.random((8, 300)),
        # Blocks of many cache-sized panels: the block QR is a tree itself.
        "long": rng.standard_normal((30011, 6)),
        "lowrank": lowrank,
        "spd": m @ m.T + 90 * np.eye(90),
        "gen": rng.random((90, 90)) + 4 * np.eye(90),
        "b1": rng.random(90),
        "b2": rng.random((90, 3)),
        "ls_a": rng.random((500, 6)),
        "ls_b": rng.random(500),
        "ls_b2": rng.random(200),
    }
    with h5py.File(path, "w") as f:
        for k, v in data.items():
            f[k] = v
    return data


def fail(message):
    sys.exit(message)


def close(label, got, want, rtol, atol=None):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if got.shape != want.shape:
        fail(f"{label}: shape {got.shape}, NumPy {want.shape}")
    atol = rtol * max(1.0, float(np.abs(want).max(initial=0))) if atol is None else atol
    if not np.allclose(got, want, rtol=rtol, atol=atol):
        fail(f"{label}: max difference {np.abs(got - want).max()} (rtol {rtol})\n got {got.ravel()[:6]}\n"
             f" want {want.ravel()[:6]}")


def check(data, out):
    n_checked = 0
    for name in FACTORED:
        a = data[name].astype(float)
        tol = 1e-5 if data[name].dtype == np.float32 else 1e-12
        q, r, u, s, vt = (out[f"{name}_{p}"][...] for p in ["q", "r", "u", "s", "vt"])
        if out[f"{name}_q"].dtype != data[name].dtype:
            fail(f"{name}: q is {out[f'{name}_q'].dtype}, the input {data[name].dtype}")
        k = min(a.shape)
        close(f"{name}: ||A - QR||", q @ r, a, tol)
        close(f"{name}: ||Q^T Q - I||", q.T @ q, np.eye(k), tol)
        close(f"{name}: R upper triangular", np.tril(r, -1), np.zeros_like(r), tol)
        # R is unique up to the signs of its rows, where a has full rank.
        rn = np.linalg.qr(a, mode="r")
        if name != "deficient":
            close(f"{name}: |R| against LAPACK's", np.abs(r), np.abs(rn), 1e-4 if tol > 1e-6 else 1e-9)
        sn = np.linalg.svd(a, compute_uv=False)
        close(f"{name}: singular values", s, sn, tol, atol=tol * sn[0])
        close(f"{name}: ||A - U S V^T||", (u * s) @ vt, a, tol)
        close(f"{name}: ||U^T U - I||", u.T @ u, np.eye(k), max(tol, 1e-10) if name != "deficient" else 1e-8)
        n_checked += 7
    close("qr(mode='r')", out["tall_r_only"][...], out["tall_r"][...], 0, atol=0)
    close("svd(compute_uv=False)", out["tall_s_only"][...], np.linalg.svd(data["tall"], compute_uv=False), 1e-12)
    lr = data["lowrank"]
    sn = np.linalg.svd(lr, compute_uv=False)
    close("svd_compressed: top 5 singular values", out["lr_s"][...], sn[:5], 1e-8)
    approx = (out["lr_u"][...] * out["lr_s"][...]) @ out["lr_vt"][...]
    un, sv, vn = np.linalg.svd(lr)
    close("svd_compressed: rank-5 approximation", approx, (un[:, :5] * sv[:5]) @ vn[:5], 1e-8)
    spd, gen, b1, b2 = data["spd"], data["gen"], data["b1"], data["b2"]
    close("cholesky", out["chol"][...], np.linalg.cholesky(spd), 1e-12)
    close("cholesky(lower=False)", out["chol_upper"][...], np.linalg.cholesky(spd).T, 1e-12)
    close("solve(pos, 1-d b)", out["solve_pos_1"][...], np.linalg.solve(spd, b1), 1e-10)
    close("solve(pos, 2-d b)", out["solve_pos_2"][...], np.linalg.solve(spd, b2), 1e-10)
    close("solve(gen, 1-d b)", out["solve_gen_1"][...], np.linalg.solve(gen, b1), 1e-10)
    close("solve(gen, 2-d b)", out["solve_gen_2"][...], np.linalg.solve(gen, b2), 1e-10)
    close("solve_triangular(lower)", out["tri_lower"][...], np.linalg.solve(np.tril(gen), b2), 1e-10)
    close("solve_triangular(upper)", out["tri_upper"][...], np.linalg.solve(np.triu(gen), b2), 1e-10)
    close("inv", out["inv"][...], np.linalg.inv(gen), 1e-10)
    x, res, rank, sv = np.linalg.lstsq(data["ls_a"], data["ls_b"], rcond=None)
    close("lstsq x", out["ls_x"][...], x, 1e-10)
    close("lstsq residuals", out["ls_res"][...], res, 1e-10)
    close("lstsq rank", out["ls_rank"][()], rank, 0, atol=0)
    close("lstsq s", out["ls_s"][...], sv, 1e-12)
    x, _, rank, _ = np.linalg.lstsq(data["deficient"], data["ls_b2"], rcond=None)
    close("lstsq (rank-deficient) minimum-norm x", out["lsd_x"][...], x, 1e-8)
    close("lstsq (rank-deficient) rank", out["lsd_rank"][()], rank, 0, atol=0)
    grid = data["grid"]
    for o in MATRIX_ORDS:
        close(f"norm(matrix, ord={o})", out[f"norm_m_{o.strip(chr(39))}"][()], np.linalg.norm(grid, ord=eval(o, vars(np))), 1e-12)
    for o in VECTOR_ORDS:
        close(f"norm(vector, ord={o})", out[f"norm_v_{o}"][()], np.linalg.norm(b1, ord=eval(o, vars(np))), 1e-12)
    close("norm(axis=1)", out["norm_axis1"][...], np.linalg.norm(grid, axis=1), 1e-12)
    close("norm(keepdims)", out["norm_keep"][...], np.linalg.norm(grid, ord=1, keepdims=True), 1e-12)
    return n_checked + 32


def run(mpiexec, tessera, ranks, *args):
    cmd = [mpiexec, "-n", str(ranks), "--oversubscribe", tessera, "run", "--progress", "none", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def expect_error(mpiexec, tessera, work, code, message):
    p = run(mpiexec, tessera, 3, "-e", code, os.path.join(work, "in.h5"))
    if p.returncode == 0 or message not in p.stderr:
        fail(f"{code!r}: expected an error with {message!r}, got exit {p.returncode}\n{p.stderr}")


def main(mpiexec, tessera, work):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    data = inputs(os.path.join(work, "in.h5"))
    path = os.path.join(work, "linalg.tsr")
    with open(path, "w") as f:
        f.write(script())
    results = {}
    for ranks in [1, 3, 4]:
        out = os.path.join(work, f"out_np{ranks}.h5")
        p = run(mpiexec, tessera, ranks, path, os.path.join(work, "in.h5"), out)
        if p.returncode != 0:
            fail(f"{ranks} ranks: exit {p.returncode}\n{p.stderr}")
        with h5py.File(out, "r") as f:
            n = check(data, f)
            results[ranks] = {k: f[k][...] for k in f}
    for ranks in [3, 4]:
        for k, v in results[1].items():
            if v.tobytes() != results[ranks][k].tobytes():
                fail(f"{k}: {ranks} ranks differ from 1 rank (max {np.abs(v - results[ranks][k]).max()})")
    expect_error(mpiexec, tessera, work, "print(linalg.cholesky(from_hdf5(argv[1], 'gen', chunks=25)))",
                 "not positive definite")
    expect_error(mpiexec, tessera, work, "linalg.tsqr(from_hdf5(argv[1], 'grid', chunks=(70, 15)))",
                 "the array must be chunked along rows only")
    expect_error(mpiexec, tessera, work, "np.linalg.qr(from_hdf5(argv[1], 'tall'), mode='complete')",
                 "mode='complete' of a tall")
    expect_error(mpiexec, tessera, work, "linalg.solve(from_hdf5(argv[1], 'gen'), from_hdf5(argv[1], 'ls_b'))",
                 "does not match a of shape (90, 90)")
    print(f"{n} checks against NumPy on 1, 3 and 4 ranks, results bitwise the same; 4 errors as expected")


if __name__ == "__main__":
    main(*sys.argv[1:4])
