#!/usr/bin/env bash
# Scheduler benchmark side by side with Dask, in the same run: each case 5 times, alternating
# tessera (mpirun -n 3: a scheduler and 2 workers) and the Dask peer (threaded scheduler), and
# prints medians and the ratio.  Needs: scripts/setup.sh, and python3-dask for the peer.
#   bench/run_scheduler_bench.sh [repeats]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/mpi_env.sh
repeats=${1:-5}
peer=${DASK_SUITE:-../shared/bench/dask_suite.py}
bench=build/bench/scheduler_bench

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -A times
for ((i = 0; i < repeats; i++)); do
  for c in tree independent memory; do
    line=$(mpirun -n 3 "$bench" "$c")
    times[$c]+="$(awk '{print $2}' <<<"$line")"$'\n'
    [ "$c" = memory ] && times[bytes]+="$(sed -E 's/.*rank0_bytes_per_task=([0-9]+).*/\1/' <<<"$line")"$'\n'
  done
  if [ -f "$peer" ]; then
    times[dask]+="$(/usr/bin/python3 "$peer" delayed_tree | awk '{print $3}' | tr -d s)"$'\n'
  fi
done
tree=$(printf '%s' "${times[tree]}" | median)
echo "tree        median ${tree} s  (131,071 tasks; $(awk -v t="$tree" 'BEGIN{printf "%.2f", t/131071*1e6}') us/task)"
echo "independent median $(printf '%s' "${times[independent]}" | median) s  (1,000,000 tasks, target < 10 s)"
echo "memory      median $(printf '%s' "${times[bytes]}" | median) bytes/task on rank 0 (target < 500)"
if [ -n "${times[dask]:-}" ]; then
  dask=$(printf '%s' "${times[dask]}" | median)
  echo "dask tree   median ${dask} s  -> tessera is $(awk -v d="$dask" -v t="$tree" 'BEGIN{printf "%.0f", d/t}')x faster (target >= 30x)"
fi
