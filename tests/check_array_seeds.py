#!/usr/bin/python3
"""Checks tessera-array-seeds against NumPy, independently of tessera: reads its HDF5 output with
h5py, recomputes every printed value from /x, and compares. Usage: check_array_seeds.py OUT.h5 STDOUT"""
import sys
import h5py
import numpy as np

path, printed = sys.argv[1], open(sys.argv[2]).read().split("\n")
values = dict(line.split(" ", 1) for line in printed if line and not line.startswith("wrote"))
with h5py.File(path, "r") as f:
    x = f["x"][...]
    a = f["a"][...]
    assert f["x"].chunks is not None, "datasets should be chunked"
assert np.allclose(a, (x + x.T) - x.mean(axis=0), rtol=1e-12, atol=1e-12), "/a differs from (x + x.T) - x.mean(axis=0)"
s = (x.dot(x.T + 1) - x.mean()).std()
assert np.isclose(float(values["std"]), s, rtol=1e-9), (values["std"], s)
m = x.mean(axis=0)
assert np.isclose(float(values["column_mean_sum"]), m.sum(), rtol=1e-12), (values["column_mean_sum"], m.sum())
assert np.isclose(float(values["column_mean_first"]), m[0], rtol=1e-12)
print("array seeds: h5py and NumPy agree")
