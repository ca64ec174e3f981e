#!/usr/bin/env bash
# Two builds of tessera on the same cases in one run, taking turns at going first, medians at the
# end: for checking that a change is no slower (a refactoring's "before and after").
#   bench/compare_builds.sh OLD_BUILD_DIR [NEW_BUILD_DIR (default build)] [repeats (default 5)]
# Cases: the scheduler bench (tree, independent), the array bench (seed_expr, triad, sum,
# matmul_expr) and a tall-to-wide rechunk of a 8000 x 8000 random array through `tessera run`.
# Each build's tessera runs under mpirun -n 3 (a scheduler and two workers). CASES="triad sum"
# picks cases.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/mpi_env.sh
old=$1
new=${2:-build}
repeats=${3:-5}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
rechunk='import dask.array as da
x = da.random.random((8000, 8000), chunks=(8000, 250))
print(x.rechunk((250, 8000)).sum())'

run_case() {  # build case -> seconds
  local b=$1 c=$2
  case $c in
    tree | independent) mpirun -n 3 "$b/bench/scheduler_bench" "$c" | awk '{print $2}' ;;
    rechunk)
      local t0 t1
      t0=$(date +%s.%N)
      mpirun -n 3 "$b/apps/tessera" run --progress none -e "$rechunk" >/dev/null
      t1=$(date +%s.%N)
      awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}' ;;
    *) mpirun -n 3 "$b/bench/array_bench" "$c" | awk '{print $2}' ;;
  esac
}

read -r -a cases <<<"${CASES:-tree independent seed_expr triad sum matmul_expr rechunk}"
declare -A times
for ((i = 0; i < repeats; i++)); do
  for c in "${cases[@]}"; do
    if ((i % 2 == 0)); then order=("$old" "$new"); else order=("$new" "$old"); fi
    for b in "${order[@]}"; do times[$b/$c]+="$(run_case "$b" "$c")"$'\n'; done
  done
done
printf '%-12s %10s %10s %8s\n' case old new new/old
for c in "${cases[@]}"; do
  o=$(printf '%s' "${times[$old/$c]}" | median)
  n=$(printf '%s' "${times[$new/$c]}" | median)
  printf '%-12s %10.3f %10.3f %8.3f\n' "$c" "$o" "$n" "$(awk -v o="$o" -v n="$n" 'BEGIN {print n / o}')"
done
