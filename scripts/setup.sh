#!/usr/bin/env bash
# Installs what tessera needs on Debian or Ubuntu (only the packages that are missing) and
# builds tessera into build/ (everything, or only the targets named as arguments). With --tests
# it also installs what only the tests use (a headless browser for the HTML report, clang-format
# and clang-tidy for the tree checks, clang-16 with libFuzzer for the fuzz targets). Safe to run
# again: it only redoes what changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(
  build-essential cmake git
  openmpi-bin libopenmpi-dev            # MPI
  libhdf5-openmpi-dev hdf5-tools        # parallel HDF5, h5dump
  libboost-serialization-dev            # task arguments of user types
  libcli11-dev                          # command lines
  libopenblas-dev liblapacke-dev         # BLAS/LAPACK
  nlohmann-json3-dev                    # traces
  librandom123-dev                      # counter-based random numbers (Philox)
  libsleef-dev                          # vector math (sin, exp, ... a vector at a time)
  libgtest-dev                          # tests
  python3-h5py python3-numpy            # tests: outputs checked independently with h5py and NumPy
)
if [ "${1:-}" = --tests ]; then
  shift
  packages+=(chromium)                  # tests: the HTML report renders without script errors
  # tests: scripts/check-tree.sh (clang-format, clang-tidy, which reads omp.h) and the libFuzzer
  # targets (tests/fuzz; libclang-rt-16-dev holds the sanitizer and fuzzer runtimes, which clang-16
  # only recommends). One LLVM for both: libomp-16-dev and the default libomp-dev conflict.
  packages+=(clang-format clang-tidy-16 clang-16 libclang-rt-16-dev libfuzzer-16-dev libomp-16-dev)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build -j"$(nproc)" "${targets[@]}"
