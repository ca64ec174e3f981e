#!/usr/bin/env bash
# Quick start, part 2: set up, build, and run every test (unit tests, MPI tests with 1, 3 and
# 4 ranks, the example against its serial twin, an install consumer).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/setup.sh
source scripts/mpi_env.sh
ctest --test-dir build --output-on-failure -j2 "$@"
