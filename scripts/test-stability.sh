#!/usr/bin/env bash
# Runs the vitest suite N times in a row (default 5) and prints each run's wall time and failed-test count,
# then a summary line. This is how the README's Testing figures (suite time, flake rate) are measured:
# a script on the real machine, not a timed test.
#   scripts/test-stability.sh [runs]
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
log_dir=$(mktemp -d)
total_failed=0
runs_failed=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  npx vitest run >"$log_dir/run-$i.log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log_dir/run-$i.log" | tail -1)
  failed=$(sed -nE 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/p' <<<"$summary")
  failed=${failed:-"?"}
  echo "run $i: ${secs}s, exit $rc, ${summary:-no summary line}"
  if [ "$rc" -ne 0 ]; then
    runs_failed=$((runs_failed + 1))
    grep -E '(FAIL|×) ' "$log_dir/run-$i.log" | head -10 | sed 's/^/    /'
  fi
  [[ "$failed" =~ ^[0-9]+$ ]] && total_failed=$((total_failed + failed))
done
echo "summary: $runs runs, $runs_failed with failures, $total_failed failed tests in all (logs: $log_dir)"
[ "$runs_failed" -eq 0 ]
