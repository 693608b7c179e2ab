#!/usr/bin/env bash
# The flood kinds other than SYN (issue 14's wider suite) against tern over
# net_memif, with cookies "always": for each of ack (random cookies), rst,
# fin and data (one out-of-order byte), one 2-second step of 3000 segments a
# second from spoofed sources in 198.19.0.0/16, with 40 legitimate
# connections a second, through bench/synflood/scenario.sh.
#
# What it checks, for each kind: a complete two-field-labelled JSON step
# (flood_kind as asked); the flood was sent; no SYN-ACK went to a spoofed
# source; at least 95 % of the legitimate connections succeeded; and tern's
# answer, from its counters and tern-flood's tap: to ack, fin and data
# segments on the listening port (no connection), a RST each (RFC 9293
# 3.10.7.2: an ACK-bearing segment in LISTEN gets <SEQ=SEG.ACK><CTL=RST>):
# RSTs to spoofed sources seen and tcp.rst_sent non-zero, and for ack the
# cookie check rejecting them (cookies_rejected_bad_mac); to rst, nothing
# (3.10.7.2: an incoming RST in LISTEN is ignored): tcp_drop.listen_rst
# non-zero and no RST seen. No rate or latency is asserted.
#
# Usage: tern_flood_kinds_test.sh BUILD_DIR
# Exit: 0 pass, 1 fail, 77 skip (not root, driver missing).
set -euo pipefail
. "$(dirname "$0")/tern_lib.sh"
tern_test_init tern_flood_kinds_test
build=${1:?usage: $0 BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
scenario=$here/../../bench/synflood/scenario.sh
require_root "DPDK EAL"
require_cores 2 "one lcore per process"
require_python
tmp=$(mktemp -d /tmp/tern_flood_kinds_test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

for kind in ack rst fin data; do
  rc=0
  "$scenario" --build "$build" --scenario kernel_bypass --stack tern \
    --mode always --kind "$kind" --steps 3000 --duration 2 --legit-rate 40 \
    --legit-timeout-ms 10000 --out "$tmp/$kind.json" || rc=$?
  [ "$rc" -ne "$TERN_SKIP" ] || skip "scenario.sh skipped"
  [ "$rc" -eq 0 ] || fail "scenario.sh failed for $kind"
  /usr/bin/python3 - "$tmp/$kind.json" "$kind" <<'PY' || fail "$kind: checks failed"
import json, sys
doc = json.load(open(sys.argv[1]))
kind = sys.argv[2]
bad = []
r = doc["steps"][0]
c = doc["server_counters"]
if r["flood_kind"] != kind:
    bad.append("flood_kind %s" % r["flood_kind"])
if r["flood_sent"] <= 0:
    bad.append("no flood sent")
if r["synacks_seen"] != 0:
    bad.append("%d SYN-ACKs to spoofed sources" % r["synacks_seen"])
if r["legit_attempted"] < 30 or \
        r["legit_succeeded"] < 0.95 * r["legit_attempted"]:
    bad.append("legitimate %d/%d %s" % (r["legit_succeeded"],
                                        r["legit_attempted"],
                                        r["legit_failures"]))
if kind == "rst":
    if c.get("tcp_drop.listen_rst", 0) <= 0 or r["rsts_seen"] != 0:
        bad.append("RSTs not ignored: %s, rsts_seen %d" % (c, r["rsts_seen"]))
else:
    if r["rsts_seen"] <= 0 or c.get("tcp.rst_sent", 0) <= 0:
        bad.append("no RST answered: %s, rsts_seen %d" % (c, r["rsts_seen"]))
    if kind == "ack" and c.get("listen.cookies_rejected_bad_mac", 0) <= 0:
        bad.append("no random cookie rejected: %s" % c)
print("tern_flood_kinds_test: %s: %.0f pps sent, %d RSTs seen, legit %d/%d, "
      "server %s" % (kind, r["flood_pps_reached"], r["rsts_seen"],
                     r["legit_succeeded"], r["legit_attempted"], c))
for b in bad:
    print("tern_flood_kinds_test: %s: %s" % (kind, b), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
done
say "PASS"
