#!/usr/bin/env bash
# A miniature of issue 14's scenario 1 (kernel-bypass path), two DPDK
# processes joined by net_memif, one lcore each:
# 1. the bare loop: tern-reflect sends every frame back; tern-flood floods it
#    at "max" for 2 s and its reply rate is the link's ceiling_pps;
# 2. tern in its place: tern-flood runs two 3-second flood steps (1000 and
#    3000 pps from spoofed sources in 198.19.0.0/16) at tern's HTTP listener
#    with the ceiling passed in, and, at the same time, opens legitimate
#    connections through its own engine (handshake, GET, response, close).
#
# What it checks: the bare loop sent SYNs back (replies seen, a positive
# ceiling); tern-flood exits 0 with a complete JSON document (parsed by
# python3; every field doc/flood.md lists, in each of the two steps, in
# order, with the ceiling copied in); in each step the flood was sent and
# its SYN-ACKs came back to tern-flood's tap, at least 95 % of the
# legitimate connections opened in that step succeeded with connect
# latencies recorded; tern answered with SYN cookies (cookies_sent and
# cookies_validated non-zero in its counter dump) and ended with status 0.
# No rate or latency is asserted; the legitimate deadline is 10 s (three SYN
# retransmissions) so that a shared, busy machine starving the two
# busy-polling processes does not fail it.
#
# The memif socket lives in a temporary directory (socket-abstract=no);
# every address is in 198.18.0.0/15; nothing touches a kernel interface.
# Both processes and the temporary files are removed on any exit.
#
# Usage: tern_flood_test.sh TERN TERN_FLOOD TERN_REFLECT [COOKIES]
#   COOKIES: tern's listener cookie mode, "always" (default) or
#   "on_overflow".
# Exit: 0 pass, 1 fail, 77 skip (not root, no memif driver, fewer than 2
# cores).
set -euo pipefail
. "$(dirname "$0")/tern_lib.sh"

tern_test_init tern_flood_test
usage="usage: $0 TERN TERN_FLOOD TERN_REFLECT [COOKIES]"
tern=${1:?$usage}
flood=${2:?$usage}
reflect=${3:?$usage}
cookies=${4:-always}

require_root "DPDK EAL"
require_cores 2 "one lcore per process"
require_pmd memif
require_python
[ -x "$tern" ] || fail "$tern is not an executable"
[ -x "$flood" ] || fail "$flood is not an executable"
[ -x "$reflect" ] || fail "$reflect is not an executable"

id=$$
tmp=$(mktemp -d /tmp/tern_flood_test.XXXXXX)
sock="$tmp/memif.sock"
tern_prefix="tern_flood_srv_${id}"
flood_prefix="tern_flood_cli_${id}"
reflect_prefix="tern_flood_refl_${id}"
tern_pid=""
flood_pid=""
reflect_pid=""

cleanup() {
  local rc=$?
  tern_kill "$flood_pid"
  tern_kill "$tern_pid"
  tern_kill "$reflect_pid"
  rm -rf "/var/run/dpdk/${tern_prefix}" "/var/run/dpdk/${flood_prefix}" \
    "/var/run/dpdk/${reflect_prefix}"
  if [ "$rc" -ne 0 ] && [ "$rc" -ne "$TERN_SKIP" ]; then
    for f in reflect.log bare.log bare.json tern.log flood.log flood.json; do
      if [ -f "$tmp/$f" ]; then
        echo "--- $f (last 40 lines) ---" >&2
        tail -n 40 "$tmp/$f" >&2
      fi
    done
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The bare loop: tern-reflect is the memif server; tern-flood floods it at
# "max" with no legitimate clients (the reflector answers no ARP: its MAC is
# given).
"$reflect" --no-huge -m 256 --no-pci -l 0 \
  "--vdev=net_memif0,role=server,socket=${sock},socket-abstract=no,mac=02:00:00:00:0e:01" \
  "--file-prefix=${reflect_prefix}" --log-level=pmd.net.memif:warning -- \
  --port net_memif0 --yield-every-us 500 >"$tmp/reflect.log" 2>&1 &
reflect_pid=$!
for _ in $(seq 100); do
  grep -q "tern-reflect: reflecting" "$tmp/reflect.log" && break
  kill -0 "$reflect_pid" 2>/dev/null || fail "tern-reflect exited during start-up"
  sleep 0.1
done
timeout 60 "$flood" --no-huge -m 512 --no-pci -l 1 \
  "--vdev=net_memif0,role=client,socket=${sock},socket-abstract=no,mac=02:00:00:00:0e:02" \
  "--file-prefix=${flood_prefix}" --log-level=pmd.net.memif:warning -- \
  --port net_memif0 --address 198.18.0.2 --target 198.18.0.1 \
  --target-mac 02:00:00:00:0e:01 --legit-rate 0 --flood-pps max --duration 2 \
  --scenario bare_loop --no-progress --json "$tmp/bare.json" >"$tmp/bare.log" 2>&1 ||
  fail "tern-flood against the bare loop failed"
tern_kill "$reflect_pid"
reflect_pid=""
grep -Eq "tern-reflect: rx [1-9][0-9]* tx [1-9]" "$tmp/reflect.log" ||
  fail "tern-reflect sent nothing back"
# Both loops yielded on their 500 us cadence (port::DutyYield).
grep -Eq "tern-reflect: rx .* yields [1-9][0-9]*$" "$tmp/reflect.log" ||
  fail "tern-reflect did not yield: $(grep 'tern-reflect: rx' "$tmp/reflect.log")"
ceiling=$(/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["steps"][0]
assert s["flood_sent"] > 0 and s["spoofed_other_seen"] > 0, s
print(s["replies_pps"])' "$tmp/bare.json") || fail "the bare loop returned nothing"
say "bare loop: ceiling ${ceiling} pps"
rm -f "$sock"

# tern: the memif server; its gateway is tern-flood's address, so the
# SYN-ACKs to spoofed (off-link) sources go to tern-flood's MAC, where its
# tap counts them. idle_sleep_us keeps the idle loop off a shared core.
cat >"$tmp/tern.toml" <<TOML
[eal]
args = ["--no-huge", "-m", "512", "--no-pci", "-l", "0",
        "--vdev=net_memif0,role=server,socket=${sock},socket-abstract=no,mac=02:00:00:00:0e:01",
        "--file-prefix=${tern_prefix}", "--log-level=pmd.net.memif:warning"]
[port]
name = "net_memif0"
idle_sleep_us = 10
[ip]
address = "198.18.0.1"
prefix_len = 24
gateway = "198.18.0.2"
[tcp]
max_connections = 4096
[[listener]]
port = 80
service = "http"
cookies = "${cookies}"
[shutdown]
drain_ms = 1000
TOML

"$tern" --config "$tmp/tern.toml" --duration 30 >"$tmp/tern.log" 2>&1 &
tern_pid=$!
for _ in $(seq 100); do
  grep -q "tern serving" "$tmp/tern.log" && break
  kill -0 "$tern_pid" 2>/dev/null || fail "tern exited during start-up"
  sleep 0.1
done
grep -q "tern serving" "$tmp/tern.log" || fail "tern did not start in 10 s"
say "tern is serving (cookies ${cookies})"

timeout 60 "$flood" --no-huge -m 512 --no-pci -l 1 \
  "--vdev=net_memif0,role=client,socket=${sock},socket-abstract=no,mac=02:00:00:00:0e:02" \
  "--file-prefix=${flood_prefix}" --log-level=pmd.net.memif:warning -- \
  --port net_memif0 --address 198.18.0.2 --target 198.18.0.1 \
  --flood-pps 1000,3000 --spoof-range 198.19.0.0/16 --legit-rate 40 \
  --legit-timeout-ms 10000 --duration 3 --ceiling-pps "$ceiling" \
  --yield-every-us 500 --yield-us 50 \
  --scenario kernel_bypass_mini --stack tern --mode "$cookies" \
  --json "$tmp/flood.json" >"$tmp/flood.log" 2>&1 &
flood_pid=$!
flood_rc=0
wait "$flood_pid" || flood_rc=$?
flood_pid=""
[ "$flood_rc" -eq 0 ] || fail "tern-flood exited with status $flood_rc"
grep -q "^t=1s flood" "$tmp/flood.log" || fail "no progress line"

/usr/bin/python3 - "$tmp/flood.json" "$ceiling" <<'PY' || fail "JSON checks failed"
import json, sys
doc = json.load(open(sys.argv[1]))
ceiling = float(sys.argv[2])
need = ["scenario", "stack", "mode", "step", "duration_s",
        "flood_pps_offered", "flood_syn_options", "flood_tx_budget",
        "flood_pps_reached", "flood_sent", "flood_tx_full", "flood_no_mbuf",
        "synacks_seen", "spoofed_other_seen", "replies_pps", "ceiling_pps",
        "legit_rate", "legit_attempted", "legit_succeeded", "legit_failed",
        "legit_failures", "legit_success_ratio", "legit_syn_retransmits",
        "engine_syn_retransmits", "legit_tx_ring_full", "legit_tx_keep",
        "legit_tx_kept", "loop_stalls", "loop_stall_total_us",
        "loop_stall_max_us", "loop_yields"]
for kind in ("connect", "request"):
    need += [kind + s for s in ("_count", "_p50_us", "_p90_us", "_p99_us",
                                "_p999_us", "_max_us")]
bad = []
per_conn_total = engine_total = 0
steps = doc.get("steps", [])
if doc.get("tool") != "tern-flood" or len(steps) != 2:
    bad.append("not a two-step tern-flood document")
for i, r in enumerate(steps):
    where = "step %d: " % i
    missing = [k for k in need if k not in r]
    if missing:
        bad.append(where + "missing fields: %s" % missing)
        continue
    if r["step"] != i or r["flood_pps_offered"] != (1000, 3000)[i]:
        bad.append(where + "steps out of order")
    if r["scenario"] != "kernel_bypass_mini" or r["stack"] != "tern":
        bad.append(where + "labels not copied")
    if abs(r["ceiling_pps"] - ceiling) > 0.1:
        bad.append(where + "ceiling_pps not copied")
    if r["flood_sent"] <= 0 or r["flood_pps_reached"] <= 0:
        bad.append(where + "no flood was sent")
    # --yield-every-us 500 over a 3 s step: thousands of windows; the loop
    # never idles, so it yields in nearly all of them.
    if r["loop_yields"] < 100:
        bad.append(where + "loop_yields %d with --yield-every-us 500" %
                   r["loop_yields"])
    if r["synacks_seen"] <= 0:
        bad.append(where + "no SYN-ACK to a spoofed source came back")
    if r["legit_attempted"] < 50:
        bad.append(where + "too few legitimate connections attempted")
    if r["legit_succeeded"] < 0.95 * r["legit_attempted"]:
        bad.append(where + "legitimate connections failed: %s" %
                   r["legit_failures"])
    if r["connect_count"] < r["legit_succeeded"]:
        bad.append(where + "connect latencies not recorded")
    # One SYN-retransmission count per connection that connected.
    rx = r["legit_syn_retransmits"]
    if sorted(rx) != ["0", "1", "2", "3+", "mean"]:
        bad.append(where + "legit_syn_retransmits keys: %s" % sorted(rx))
        continue
    connected = rx["0"] + rx["1"] + rx["2"] + rx["3+"]
    if connected != r["connect_count"]:
        bad.append(where + "%d SYN-retransmission counts for %d connects" %
                   (connected, r["connect_count"]))
    if connected and not (rx["1"] + 2 * rx["2"] + 3 * rx["3+"] <=
                          rx["mean"] * connected + 0.01):
        bad.append(where + "mean %s below the buckets' least sum" % rx["mean"])
    per_conn_total += (rx["mean"] or 0) * connected
    engine_total += r["engine_syn_retransmits"]
    for k in ("connect_p50_us", "connect_p99_us", "connect_max_us",
              "request_p99_us"):
        if not isinstance(r[k], int):
            bad.append(where + "%s is not a number" % k)
    if isinstance(r["connect_p50_us"], int) and \
            not r["connect_p50_us"] <= r["connect_p99_us"] <= r["connect_max_us"]:
        bad.append(where + "connect percentiles out of order")
    print("tern_flood_test: step %d: flood %.0f pps reached, %d SYN-ACKs seen, "
          "legit %d/%d, connect p50/p99/max %s/%s/%s us" % (
              i, r["flood_pps_reached"], r["synacks_seen"],
              r["legit_succeeded"], r["legit_attempted"],
              r["connect_p50_us"], r["connect_p99_us"], r["connect_max_us"]))
# The engine counts every SYN sent again, also those of connections that
# never connected; a step boundary may split one connection's.
if per_conn_total > engine_total + 0.5:
    bad.append("per-connection SYN retransmissions %.1f exceed the engine's %d"
               % (per_conn_total, engine_total))
for b in bad:
    print("tern_flood_test: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY

kill -TERM "$tern_pid"
tern_rc=0
wait "$tern_pid" || tern_rc=$?
tern_pid=""
[ "$tern_rc" -eq 0 ] || fail "tern exited with status $tern_rc"
grep -Eq "cookies_sent +[1-9]" "$tmp/tern.log" ||
  fail "tern sent no SYN cookie"
grep -Eq "cookies_validated +[1-9]" "$tmp/tern.log" ||
  fail "tern validated no SYN cookie"
say "PASS"
