#!/usr/bin/env bash
# Linear-algebra benchmarks side by side with Dask and with the machine's floor, in one run:
# each case N times (default 5), alternating tessera (mpirun -n 3: a scheduler and 2 workers)
# and Dask (threaded scheduler, 2 threads), each first in every other repeat; medians and ratios
# at the end. The floors run in the same session: one LAPACK DGEQRF of a tsqr block times the
# blocks, and svd_compressed's random draws and products on one rank.
#   bench/run_linalg_bench.sh [repeats]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/mpi_env.sh
repeats=${1:-5}
peer=${DASK_SUITE:-../shared/bench/dask_suite.py}
bench=build/bench/linalg_bench

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { sed -E "s|.*$1=([0-9.]+).*|\1|"; }
declare -A t
for ((i = 0; i < repeats; i++)); do
  for c in tsqr_svd svd_compressed; do
    dask() { t[dask_$c]+="$(/usr/bin/python3 "$peer" "$c" | awk '{print $3}' | tr -d s)"$'\n'; }
    ((i % 2 == 1)) && dask
    line=$(mpirun -n 3 "$bench" "$c")
    t[$c]+="$(awk '{print $2}' <<<"$line")"$'\n'
    [ "$c" = svd_compressed ] && t[peak]+="$(field peak_worker_GB <<<"$line")"$'\n'
    ((i % 2 == 0)) && dask
  done
  line=$("$bench" qr_floor)
  t[qr_floor]+="$(awk '{print $2}' <<<"$line")"$'\n'
  t[leaf]+="$(field tessera_block <<<"$line")"$'\n'
  t[dgeqrf]+="$(field dgeqrf_block <<<"$line")"$'\n'
  t[products_floor]+="$("$bench" products_floor | awk '{print $2}')"$'\n'
done
m() { printf '%s' "${t[$1]}" | median; }
ratio() { awk -v d="$1" -v x="$2" 'BEGIN{printf "%.2f", d/x}'; }
for c in tsqr_svd svd_compressed; do
  echo "$c: tessera $(m "$c") s, dask $(m "dask_$c") s -> $(ratio "$(m "dask_$c")" "$(m "$c")")x"
done
echo "tsqr_svd floor: 16 x one DGEQRF of 250000 x 32 ($(m dgeqrf) s) = $(m qr_floor) s of one core;" \
  "tessera's leaf kernel on the block $(m leaf) s; tsqr_svd takes $(ratio "$(m tsqr_svd)" "$(m qr_floor)")x the floor"
echo "svd_compressed: peak worker memory $(m peak) GB; its draws and products alone on one rank" \
  "$(m products_floor) s -> tessera takes $(ratio "$(m svd_compressed)" "$(m products_floor)")x that"
