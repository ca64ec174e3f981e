#!/usr/bin/env bash
# Quick start, part 1: set up, build, and run the main job on generated data with 3 MPI ranks
# (rank 0 schedules, ranks 1-2 work): a cross-validated ridge-regression grid search, checked
# against the same search done serially.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/setup.sh tessera-grid-search
source scripts/mpi_env.sh
ranks=${TESSERA_RANKS:-3}
exec mpirun -n "$ranks" build/apps/tessera-grid-search \
  --rows 200000 --features 32 --alphas 16 --folds 5 --check --summary "$@"
