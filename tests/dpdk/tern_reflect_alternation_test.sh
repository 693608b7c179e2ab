#!/usr/bin/env bash
# tern --reflect-alternation-ms, the rate ratio's instrument (doc/flood.md),
# end to end: tern (cookies always) against tern-flood over net_memif, one
# 3-second step of 20000 SYNs a second from spoofed sources in
# 198.19.0.0/16, tern alternating every 200 ms between TCP and the bare
# reflect loop, through bench/synflood/scenario.sh.
#
# What it checks: tern printed its phases, numbered from 0, alternating
# from a TCP phase, none but the last (ended by the stop) shorter than
# 200 ms; inside the flood step both kinds of phase sent frames; tern
# reflected frames and answered SYNs with cookies, and every frame it
# received was one or the other (besides at most a few ARP frames); every
# SYN got its SYN-ACK, none dropped waiting for ARP, and the driver took
# every frame tern sent or reflected;
# tern-flood saw both SYN-ACKs and reflected SYNs at its spoofed sources;
# the step has pairs of a TCP phase and the reflect phase after it, each
# with a ratio. No rate is asserted.
#
# Usage: tern_reflect_alternation_test.sh BUILD_DIR
# Exit: 0 pass, 1 fail, 77 skip (not root, driver missing).
set -euo pipefail
. "$(dirname "$0")/tern_lib.sh"
tern_test_init tern_reflect_alternation_test
build=${1:?usage: $0 BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
scenario=$here/../../bench/synflood/scenario.sh
require_root "DPDK EAL"
require_cores 2 "one lcore per process"
require_python
tmp=$(mktemp -d /tmp/tern_reflect_alternation_test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

rc=0
"$scenario" --build "$build" --scenario kernel_bypass --stack tern \
  --mode always --steps 20000 --duration 3 --legit-rate 0 \
  --flood-args "--target-mac 02:00:00:00:0e:01" \
  --reflect-alternation-ms 200 --out "$tmp/alt.json" || rc=$?
[ "$rc" -ne "$TERN_SKIP" ] || skip "scenario.sh skipped"
[ "$rc" -eq 0 ] || fail "scenario.sh failed"
/usr/bin/python3 - "$tmp/alt.json" <<'PY' || fail "checks failed"
import json, sys
doc = json.load(open(sys.argv[1]))
bad = []
alt = doc.get("reflect_alternation")
if not alt:
    print("tern_reflect_alternation_test: no reflect_alternation", file=sys.stderr)
    sys.exit(1)
phases = alt["phases"]
if alt["phase_ms"] != 200 or len(phases) < 6:
    bad.append("phase_ms %s, %d phases" % (alt["phase_ms"], len(phases)))
for i, p in enumerate(phases):
    want = "stack" if i % 2 == 0 else "reflect"
    if p["index"] != i or p["mode"] != want or p["engine"] != 0:
        bad.append("phase %d: %s" % (i, p))
    if i + 1 < len(phases) and p["duration_s"] < 0.2:
        bad.append("phase %d lasted %.3f s" % (i, p["duration_s"]))
step = doc["steps"][0]
inside = [p for p in phases if p["start_unix_s"] >= step["start_unix_s"] and
          p["start_unix_s"] + p["duration_s"] <= step["end_unix_s"]]
for mode in ("stack", "reflect"):
    if not any(p["mode"] == mode and p["tx_packets"] > 0 for p in inside):
        bad.append("no %s phase inside the step sent frames" % mode)
c = doc["server_counters"]
rx, refl, syns = (c.get("rx_packets", 0), c.get("reflected", 0),
                  c.get("listen.syns_received", 0))
if refl <= 0 or c.get("listen.cookies_sent", 0) <= 0:
    bad.append("reflected %d, cookies_sent %s" % (refl, c.get("listen.cookies_sent")))
if not (rx - 10 <= refl + syns <= rx):
    bad.append("rx_packets %d, reflected %d + SYNs %d" % (rx, refl, syns))
# The transmit side: every SYN got its cookie SYN-ACK, none waited behind
# the gateway's ARP resolution (tern asks for the gateway at its first
# poll), and the driver took every frame tern answered or reflected.
cookies, arp_full, tx = (c.get("listen.cookies_sent", 0),
                         c.get("drop.arp_pending_full", 0),
                         c.get("tx_packets", 0))
if cookies != syns or arp_full != 0 or tx < refl + cookies:
    bad.append("cookies_sent %d for %d SYNs, drop.arp_pending_full %d, "
               "tx_packets %d < reflected %d + cookies %d" % (
                   cookies, syns, arp_full, tx, refl, cookies))
if step["synacks_seen"] <= 0 or step["spoofed_other_seen"] <= 0:
    bad.append("tern-flood saw %d SYN-ACKs, %d other frames" %
               (step["synacks_seen"], step["spoofed_other_seen"]))
pairs = alt["steps"][0]["pairs"]
if not pairs or any(p["ratio"] <= 0 for p in pairs) or \
        alt["steps"][0]["median"] is None:
    bad.append("pairs %s" % pairs)
print("tern_reflect_alternation_test: %d phases, %d pairs, rx %d = reflected "
      "%d + SYNs %d, tern-flood saw %d SYN-ACKs and %d reflected" % (
          len(phases), len(pairs), rx, refl, syns, step["synacks_seen"],
          step["spoofed_other_seen"]))
for b in bad:
    print("tern_reflect_alternation_test: %s" % b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
say "PASS"
