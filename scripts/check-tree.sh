#!/usr/bin/env bash
# The tree's own rules, checked in CI (scripts/test.sh) before the tests run:
#  1. no MPI call outside the runtime's transport (runtime/src/mpi_comm.*) and io/ (parallel
#     HDF5): collections reach MPI through the worker group, never directly;
#  2. every C/C++ file formatted by clang-format with the repository's .clang-format;
#  3. with --tidy (as CI runs it; about 5 minutes on two cores): clang-tidy-16 with the
#     repository's .clang-tidy over the libraries' and apps' sources (needs
#     build/compile_commands.json: run after scripts/setup.sh).
# Prints every offence and exits 1 when there is one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
failed=0

mpi_calls=$(git grep -nE '\bMPI_[A-Z][a-z_]+[[:space:]]*\(' -- '*.cpp' '*.hpp' '*.h' '*.c' \
  ':!runtime/src/mpi_comm.*' ':!io/**' || true)
if [ -n "$mpi_calls" ]; then
  echo "check-tree: MPI calls outside runtime/src/mpi_comm.* and io/ (use the WorkerGroup):" >&2
  echo "$mpi_calls" >&2
  failed=1
fi

mapfile -t sources < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.c')
if ! clang-format --dry-run --Werror "${sources[@]}" 2>/tmp/check-tree-format.$$; then
  echo "check-tree: files not formatted (clang-format -i FILE fixes them):" >&2
  grep -oE '^[^: ]+\.(cpp|hpp|h|c):[0-9]+:' /tmp/check-tree-format.$$ | cut -d: -f1 | sort -u >&2
  failed=1
fi
rm -f /tmp/check-tree-format.$$

if [ "${1:-}" = --tidy ]; then
  mapfile -t units < <(git ls-files 'kernels/src/*.cpp' 'io/src/*.cpp' 'runtime/src/*.cpp' \
    'runtime/*/src/*.cpp' 'apps/*.cpp' 'apps/**/*.cpp')
  report=$(printf '%s\n' "${units[@]}" |
    xargs -P"$(nproc)" -n4 clang-tidy-16 -p build --quiet 2>/dev/null || true)
  problems=$(grep -E -A3 '(error|warning):' <<<"$report" || true)
  if [ -n "$problems" ]; then
    echo "$problems" >&2
    echo "check-tree: clang-tidy found the problems above" >&2
    failed=1
  fi
fi
exit $failed
