#!/usr/bin/env bash
# Runs the vitest suite N times in a row (default 5) and prints, for each run, its wall time, the CPU time it used
# (user + sys, the test processes and everything they started), the load average before and after (other work on
# the machine makes wall time meaningless), and its passed and failed counts; then the slowest files of the last run
# and a summary line. This is how the README's Testing figures (suite time, flake rate) are measured: a script on
# the real machine, not a timed test.
#   scripts/test-stability.sh [runs] [vitest args…]
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
shift || true
log_dir=$(mktemp -d)
total_failed=0
runs_failed=0
TIMEFORMAT="%R %U %S"
for i in $(seq 1 "$runs"); do
  load_before=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
  { time npx vitest run --reporter=default --reporter=./test/support/summary-reporter.ts --reporter=json \
      --outputFile.json="$log_dir/run-$i.json" "$@" >"$log_dir/run-$i.log" 2>&1 ; } 2>"$log_dir/run-$i.time"
  rc=$?
  load_after=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
  read -r wall user sys <"$log_dir/run-$i.time"
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log_dir/run-$i.log" | tail -1)
  failed=$(sed -nE 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/p' <<<"$summary")
  printf 'run %d: wall %.0f s, cpu %.0f s (user %.0f + sys %.0f), load %s -> %s, exit %d, %s\n' \
    "$i" "$wall" "$(echo "$user + $sys" | bc)" "$user" "$sys" "$load_before" "$load_after" "$rc" "${summary:-no summary line}"
  if [ "$rc" -ne 0 ]; then
    runs_failed=$((runs_failed + 1))
    grep -E '(FAIL|×) ' "$log_dir/run-$i.log" | head -10 | sed 's/^/    /'
  fi
  [[ "$failed" =~ ^[0-9]+$ ]] && total_failed=$((total_failed + failed))
done
# The slowest files of the last run: seconds, and when they started (seconds after the first file started).
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const t0 = Math.min(...r.testResults.map((f) => f.startTime));
  const files = r.testResults.map((f) => ({ s: (f.endTime - f.startTime) / 1000, at: (f.startTime - t0) / 1000, name: require("path").relative(process.cwd(), f.name) }));
  const sum = files.reduce((a, f) => a + f.s, 0);
  console.log(`last run: ${files.length} files, ${sum.toFixed(0)} s of file time; slowest:`);
  for (const f of files.sort((a, b) => b.s - a.s).slice(0, 12)) console.log(`  ${f.s.toFixed(1).padStart(5)} s  start +${f.at.toFixed(0).padStart(3)} s  ${f.name}`);
' "$log_dir/run-$runs.json" 2>/dev/null || true
echo "summary: $runs runs, $runs_failed with failures, $total_failed failed tests in all (logs: $log_dir)"
[ "$runs_failed" -eq 0 ]
