#!/usr/bin/env bash
# Quick start, part 1: set up, build, and run the main job with 4 MPI ranks (rank 0 schedules,
# ranks 1-3 work): `tessera gen` writes a 6000 x 6000 random array to HDF5 in parallel, then
# `tessera run` computes the Dask seeds' expressions on it (apps/scripts/seeds.tsr) and writes
# an HTML report of the run. Extra arguments go to `tessera run` (for example --explain).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/setup.sh tessera
source scripts/mpi_env.sh
ranks=${TESSERA_RANKS:-4}
work=build/main-job
mkdir -p "$work"
mpirun -n "$ranks" build/apps/tessera gen array "$work/x.h5" --shape 6000,6000 --chunks 1000,1000 --seed 1
mpirun -n "$ranks" build/apps/tessera run --summary --report "$work/report.html" "$@" \
  apps/scripts/seeds.tsr "$work/x.h5" /x 1500
echo "report: $work/report.html"
