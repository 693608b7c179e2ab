#!/usr/bin/env bash
# A miniature of issue 14's scenario 2 (against Linux): tern-flood on one
# end of a veth pair (net_af_packet, its own namespace), and on the other
# end, in a second namespace, either tern (net_af_packet, cookies
# on_overflow) or the Linux kernel with nginx (tcp_syncookies=1); then
# tern again with both ends on net_af_xdp (scenario.sh --veth-pmd af_xdp;
# skipped alone when that driver or the kernel's AF_XDP sockets are
# missing). Each runs
# two 2-second steps, no flood and 2000 SYNs per second from spoofed
# sources in 198.19.0.0/16, with 40 legitimate connections per second.
# bench/synflood/scenario.sh makes and removes the namespaces, the veth
# pair and the processes; every address is in 198.18.0.0/15 and the
# namespaces have no route out.
#
# What it checks, for each stack: a complete JSON document with both steps
# in order and the issue's fields; in the flood step the flood was sent and
# SYN-ACKs to spoofed sources came back; in each step at least 95 % of the
# (at least 30) legitimate connections succeeded with connect latencies
# recorded; the server's counters show the trial reached it (tern: cookies
# sent and validated, and cookies sent and busy loop cycles within the
# flood step by its telemetry samples; Linux: at least as many passive opens as the first
# step's successes). No rate or latency is asserted.
#
# Usage: tern_flood_linux_test.sh BUILD_DIR
# Exit: 0 pass, 1 fail, 77 skip (not root, a driver or tool missing).
set -euo pipefail
. "$(dirname "$0")/tern_lib.sh"
tern_test_init tern_flood_linux_test
build=${1:?usage: $0 BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
scenario=$here/../../bench/synflood/scenario.sh
require_root "DPDK EAL, namespaces"
require_cores 2 "one lcore per process"
require_python
tmp=$(mktemp -d /tmp/tern_flood_linux_test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

for trial in "tern on_overflow af_packet" "linux syncookies=1 af_packet" \
  "tern on_overflow af_xdp"; do
  set -- $trial
  stack=$1 mode=$2 pmd=$3
  rc=0
  "$scenario" --build "$build" --scenario linux --stack "$stack" --mode "$mode" \
    --steps 0,2000 --duration 2 --legit-rate 40 --legit-timeout-ms 10000 \
    --veth-pmd "$pmd" --out "$tmp/$stack-$pmd.json" || rc=$?
  if [ "$rc" -eq "$TERN_SKIP" ] && [ "$pmd" = af_xdp ]; then
    say "scenario.sh skipped $stack on $pmd (no net_af_xdp driver or no AF_XDP sockets)"
    continue
  fi
  [ "$rc" -ne "$TERN_SKIP" ] || skip "scenario.sh skipped $stack"
  [ "$rc" -eq 0 ] || fail "scenario.sh failed for $stack ($mode, $pmd)"
  /usr/bin/python3 - "$tmp/$stack-$pmd.json" "$stack" "$mode" <<'PY' || fail "$stack ($pmd): JSON checks failed"
import json, sys
doc = json.load(open(sys.argv[1]))
stack, mode = sys.argv[2], sys.argv[3]
need = ["scenario", "stack", "mode", "step", "flood_pps_offered",
        "flood_pps_reached", "synacks_seen", "legit_attempted",
        "legit_succeeded", "legit_failures", "connect_p50_us",
        "connect_p99_us", "connect_max_us", "ceiling_pps"]
bad = []
steps = doc.get("steps", [])
if len(steps) != 2:
    bad.append("%d steps, not 2" % len(steps))
for i, r in enumerate(steps):
    where = "%s step %d: " % (stack, i)
    missing = [k for k in need if k not in r]
    if missing:
        bad.append(where + "missing %s" % missing)
        continue
    if (r["scenario"], r["stack"], r["mode"], r["step"]) != ("linux", stack, mode, i):
        bad.append(where + "labels or order wrong")
    if r["flood_pps_offered"] != (0, 2000)[i]:
        bad.append(where + "offered rate wrong")
    if i == 1 and (r["flood_sent"] <= 0 or r["synacks_seen"] <= 0):
        bad.append(where + "no flood sent or no SYN-ACK came back")
    if r["legit_attempted"] < 30:
        bad.append(where + "too few legitimate connections")
    if r["legit_succeeded"] < 0.95 * r["legit_attempted"]:
        bad.append(where + "legitimate failures %s" % r["legit_failures"])
    if r["connect_count"] < r["legit_succeeded"] or \
            not isinstance(r["connect_p99_us"], int):
        bad.append(where + "connect latencies not recorded")
    print("tern_flood_linux_test: %s step %d: flood %.0f pps, %d SYN-ACKs, "
          "legit %d/%d, connect p50/p99 %s/%s us" % (
              stack, i, r["flood_pps_reached"], r["synacks_seen"],
              r["legit_succeeded"], r["legit_attempted"],
              r["connect_p50_us"], r["connect_p99_us"]))
c = doc.get("server_counters", {})
if stack == "tern" and len(steps) == 2:
    # tern's own counters over the flood step, sampled over telemetry.
    d = steps[1].get("server_step")
    if not d or d["listen.cookies_sent"] <= 0 or d["interval_s"] <= 0 or \
            d["loop.busy_cycles"] <= 0 or not d["cycles_per_packet"]:
        bad.append("tern: no cookies or busy cycles counted in the flood "
                   "step: %s" % d)
if stack == "tern":
    if c.get("listen.cookies_sent", 0) <= 0 or \
            c.get("listen.cookies_validated", 0) <= 0:
        bad.append("tern: no cookie sent or validated: %s" % c)
else:
    if not steps or c.get("TcpPassiveOpens", 0) < steps[0]["legit_succeeded"]:
        bad.append("linux: passive opens not counted: %s" % c)
print("tern_flood_linux_test: %s server counters %s" % (stack, c))
for b in bad:
    print("tern_flood_linux_test: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
done
say "PASS"
