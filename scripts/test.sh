#!/usr/bin/env bash
# Quick start, part 2: set up, build, check the tree's rules (scripts/check-tree.sh: no stray
# MPI calls, clang-format, clang-tidy), run every test (unit tests, MPI tests with 1, 3 and 4
# ranks, the example against its serial twin, an install consumer), then the same suite built
# with the address and undefined-behaviour sanitizers (skip that with TESSERA_SKIP_SANITIZERS=1),
# then the libFuzzer targets for a minute each (tests/fuzz; skip with TESSERA_SKIP_FUZZ=1).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/setup.sh --tests
./scripts/check-tree.sh --tidy
source scripts/mpi_env.sh
ctest --test-dir build --output-on-failure -j2 "$@"
if [ "${TESSERA_SKIP_SANITIZERS:-0}" != 1 ]; then
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j"$(nproc)"
  ctest --test-dir build-asan --output-on-failure -j2 "$@"
fi
if [ "${TESSERA_SKIP_FUZZ:-0}" != 1 ]; then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j"$(nproc)"
  ctest --test-dir build-fuzz --output-on-failure -j2
fi
