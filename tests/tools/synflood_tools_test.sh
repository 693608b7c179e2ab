#!/usr/bin/env bash
# bench/synflood's offline tools on a committed run of the suite
# (bench/synflood/results/20261207-session13-full, doc/benchmarks.md):
# - plot.py makes the four plots (PNG files) and, from results.json alone,
#   the same summary.md as the run wrote, for that run, for session 14's
#   (whose documents carry the connect latencies without a generator stall,
#   the summary's extra column) and for session 15's (whose results.json
#   names the polling loops' yield, a line of the summary's own);
# - ratio_ab --from pools the trials of each build and counts only the pairs
#   at the run's fastest level: the run's ratio trial twice for build A,
#   and once with every reflect phase at half the rate for build B, whose
#   pairs then all fall below the level.
# Usage: synflood_tools_test.sh SOURCE_ROOT. Exit 77 (skip) when
# /usr/bin/python3 has no matplotlib (scripts/setup installs it).
set -euo pipefail
root=$1
run=$root/bench/synflood/results/20261207-session13-full
fail() { echo "synflood_tools_test: $*" >&2; exit 1; }
/usr/bin/python3 -c 'import matplotlib' 2>/dev/null ||
  { echo "synflood_tools_test: skip: /usr/bin/python3 has no matplotlib (python3-matplotlib, scripts/setup)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

s15=$root/bench/synflood/results/20261208-session15-full
for r in "$run" "$root/bench/synflood/results/20261207-session14-full" "$s15"; do
  rm -rf "$tmp/plot"
  mkdir "$tmp/plot"
  cp "$r/results.json" "$tmp/plot/"
  /usr/bin/python3 "$root/bench/synflood/plot.py" "$tmp/plot" >/dev/null
  for f in legit_success connect_p99 kinds cookie_modes; do
    [ "$(head -c 8 "$tmp/plot/$f.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
      fail "$f.png is not a PNG file ($r)"
  done
  diff -u "$r/summary.md" "$tmp/plot/summary.md" ||
    fail "plot.py's summary.md differs from the run's ($r)"
done
grep -q "without a tern-flood stall" "$root/bench/synflood/results/20261207-session14-full/summary.md" ||
  fail "session 14's summary.md has no column without a tern-flood stall"
grep -qx "Kernel-bypass trials: SCHED_FIFO priority 10, RT period 10000 us, the polling loops sleep at least 50 us in every 500 us" "$s15/summary.md" ||
  fail "session 15's summary.md does not name the yield"
! grep -q "Kernel-bypass trials:" "$run/summary.md" ||
  fail "session 13's summary.md names a yield its run did not have"

# The ratio trial's document as the run kept it in results.json (the run's
# trials/ folder is not committed).
mkdir "$tmp/ab"
/usr/bin/python3 - "$run/results.json" "$tmp/ab" <<'PY'
import json, os, sys
doc = json.load(open(sys.argv[1]))["ratio"]["trial"]
for name in ("b0_r1.json", "b0_r2.json"):
    json.dump(doc, open(os.path.join(sys.argv[2], name), "w"))
for step in doc["reflect_alternation"]["steps"]:
    for pair in step["pairs"]:
        pair["reflect_pps"] /= 2
json.dump(doc, open(os.path.join(sys.argv[2], "b1_r1.json"), "w"))
PY
out=$("$root/bench/synflood/ratio_ab" --from "$tmp/ab" A B)
echo "$out"
# The run's ratio trial: 11 pairs, median 89.1 % (its summary.md).
grep -qx "A b0_r1.json: 11 pairs, ratio median 89.1 %" <<<"$out" ||
  fail "per-trial line for A"
grep -q "^A: 22 of 22 pairs at the fastest level, ratio median 89.1 %" <<<"$out" ||
  fail "A's pooled pairs"
grep -qx "B: no pair at the fastest level (of 11)" <<<"$out" ||
  fail "B's pairs below the fastest level"
echo "synflood_tools_test: ok"
