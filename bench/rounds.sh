#!/usr/bin/env bash
# bench/rounds.sh: one Google Benchmark binary from several builds, side by
# side in one run: each round runs every build's binary once, in turn, so
# that what the machine does meanwhile falls on all of them alike
# (doc/benchmarks.md: this VM's vCPUs change speed within seconds).
#
# Usage: bench/rounds.sh [--rounds N] [--repetitions R] --bench NAME
#          --filter REGEX [--counter C] BUILD...
#   --bench       the binary under BUILD/bench/, e.g. lifecycle_bench
#   --filter      --benchmark_filter for it
#   --rounds      rounds, default 5
#   --repetitions --benchmark_repetitions per run, default 3 (at least 2:
#                 Google Benchmark reports a median only then); the median
#                 of each benchmark is printed
#   --counter     the counter printed (default: the CPU time per iteration)
#   BUILD         build directories (meson, -Dbench=true), e.g. build-lto and
#                 a `git archive` of an older commit built alike
# Prints one line per round, build and benchmark (tab-separated):
#   round R BUILD BENCHMARK VALUE
# and then per build and benchmark the minimum, maximum and mean over rounds.
set -euo pipefail
rounds=5 reps=3 bench="" filter="" counter=""
builds=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --repetitions) reps=$2; shift 2 ;;
    --bench) bench=$2; shift 2 ;;
    --filter) filter=$2; shift 2 ;;
    --counter) counter=$2; shift 2 ;;
    --*) echo "rounds.sh: unknown option $1" >&2; exit 2 ;;
    *) builds+=("$1"); shift ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "rounds.sh: --rounds takes a positive integer, not '$rounds'" >&2; exit 2; }
[[ "$reps" =~ ^[1-9][0-9]*$ ]] && [ "$reps" -ge 2 ] || { echo "rounds.sh: --repetitions takes an integer of at least 2, not '$reps'" >&2; exit 2; }
[ -n "$bench" ] && [ -n "$filter" ] && [ ${#builds[@]} -gt 0 ] ||
  { echo "usage: rounds.sh [--rounds N] [--repetitions R] --bench NAME --filter REGEX [--counter C] BUILD..." >&2; exit 2; }
for b in "${builds[@]}"; do
  [ -x "$b/bench/$bench" ] || { echo "rounds.sh: $b/bench/$bench is missing (meson -Dbench=true, ninja)" >&2; exit 1; }
done
lines=$(mktemp)
errors=$(mktemp)
trap 'rm -f "$lines" "$errors"' EXIT
for r in $(seq "$rounds"); do
  for b in "${builds[@]}"; do
    "$b/bench/$bench" --benchmark_filter="$filter" \
      --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
      --benchmark_format=json 2>"$errors" |
      /usr/bin/python3 -c '
import json, sys
r, build, counter = sys.argv[1:4]
for b in json.load(sys.stdin)["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    v = b[counter] if counter else b["cpu_time"]
    print("round %s\t%s\t%s\t%.6g" % (r, build, b["run_name"], v))' \
      "$r" "$b" "$counter" | tee -a "$lines" ||
      { echo "rounds.sh: $b/bench/$bench failed:" >&2; cat "$errors" >&2; exit 1; }
  done
done
/usr/bin/python3 - "$lines" <<'PY'
import collections, sys
values = collections.OrderedDict()
for line in open(sys.argv[1]):
    head, build, name, v = line.rstrip("\n").split("\t")
    values.setdefault((name, build), []).append(float(v))
for (name, build), vs in values.items():
    print("%s %s: min %.6g max %.6g mean %.6g over %d rounds"
          % (name, build, min(vs), max(vs), sum(vs) / len(vs), len(vs)))
PY
