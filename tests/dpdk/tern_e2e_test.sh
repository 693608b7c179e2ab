#!/usr/bin/env bash
# End to end: tern on a DPDK net_tap port, the Linux kernel's own TCP as the
# peer. The TAP interface is moved into a network namespace made for this run
# (and always removed), so no traffic leaves the test; addresses are from the
# RFC 2544 benchmarking range 198.18.0.0/15.
#
# What it checks, in order:
#   ping and ARP; curl gets the HTTP response; a 10 MB echo round trip with
#   equal SHA-256; a client that shutdown(SHUT_WR)s still gets all the data;
#   a SYN to a closed port gets RST; TIME-WAIT: tern active-closes N
#   connections, Linux M, and tern's telemetry (read over DPDK's telemetry
#   socket, as dpdk-telemetry.py does) and `ss` match, and after 2MSL tern
#   holds none; a capture of these exchanges, read by tshark, has no malformed
#   packet, bad checksum or expert error from tern; ab -n 20000 -c 100 and wrk
#   finish with no failed or non-2xx request; with two lcores both engines
#   accepted connections; SIGTERM ends tern with status 0, no error or warning
#   in its log, and its mbuf pool as full as before the traffic.
#
# With MODE "fault" tern impairs its own traffic (lib/port/fault_injection.h:
# 1 % loss, 1 % reordering, 0.5 % duplicates each way, 0.1 % corruption of
# received frames) and only the data checks run: curl, the 10 MB echo, the
# half-close; the fault counters must show every impairment happened, and
# the mbuf pool must still balance.
#
# With MODE "hugepages" tern runs on hugepages (the test reserves 512 2-MiB
# pages and mounts a hugetlbfs when the machine has none, and puts both back
# afterwards), so connection buffers come from rte_malloc and dpdk-dumpcap, a
# secondary process, can attach: it must capture tern's side of a curl
# exchange; then the data checks run as in "fault" mode.
#
# Usage: tern_e2e_test.sh PATH_TO_TERN LCORES [MODE]
#   LCORES: "0" or "0,1"; MODE: "full" (default), "fault" or "hugepages"
# Exit: 0 pass, 1 fail, 77 skip (not root, no /dev/net/tun, a tool missing).
set -euo pipefail
. "$(dirname "$0")/tern_lib.sh"

tern_test_init tern_e2e_test
tern=${1:?usage: $0 PATH_TO_TERN LCORES}
lcores=${2:-0}
mode=${3:-full}
here=$(cd "$(dirname "$0")" && pwd)
clients="/usr/bin/python3 ${here}/e2e_clients.py"

require_root "network namespaces, TAP devices"
[ -c /dev/net/tun ] || skip "/dev/net/tun is missing (no TUN/TAP support)"
for tool in ip ping curl ab wrk tshark tcpdump ss /usr/bin/python3; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/setup)"
done
[ -x "$tern" ] || fail "$tern is not an executable"
engines=$(echo "$lcores" | tr ',' '\n' | wc -l)
require_cores "$engines"

id=$$
iface="te${id}"
ns="tern_e2e_${id}"
far_ns="tern_e2e_far_${id}"
prefix="tern_e2e_${id}"
tern_ip=198.18.0.1
peer_ip=198.18.0.2
tmp=$(mktemp -d /tmp/tern_e2e_test.XXXXXX)
tern_pid=""
cap_pid=""
huge_restore=""
huge_mount=""

cleanup() {
  local rc=$?
  if [ -n "$cap_pid" ]; then
    kill "$cap_pid" 2>/dev/null || true
    wait "$cap_pid" 2>/dev/null || true
  fi
  tern_kill "${tern_pid:-${TERN_PID:-}}"
  ip netns del "$far_ns" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "/var/run/dpdk/${prefix}"
  if [ -n "$huge_mount" ]; then
    umount "$huge_mount" 2>/dev/null || true
    rmdir "$huge_mount" 2>/dev/null || true
  fi
  if [ -n "$huge_restore" ]; then
    echo "$huge_restore" >/proc/sys/vm/nr_hugepages || true
  fi
  if [ "$rc" -ne 0 ] && [ "$rc" -ne "$TERN_SKIP" ] && [ -f "$tmp/tern.log" ]; then
    echo "--- tern output (last 80 lines) ---" >&2
    tail -n 80 "$tmp/tern.log" >&2
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

memory='"--no-huge", "-m", "512",'
if [ "$mode" = hugepages ]; then
  command -v dpdk-dumpcap >/dev/null || skip "dpdk-dumpcap is not installed"
  if [ "$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)" -lt 256 ]; then
    huge_restore=$(cat /proc/sys/vm/nr_hugepages)
    echo $((huge_restore + 512)) >/proc/sys/vm/nr_hugepages
    [ "$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)" -ge 256 ] ||
      skip "the kernel could not reserve 256 free hugepages"
  fi
  if ! awk '$3 == "hugetlbfs" { found = 1 } END { exit !found }' /proc/mounts; then
    huge_mount="$tmp/huge"
    mkdir -p "$huge_mount"
    mount -t hugetlbfs nodev "$huge_mount" || skip "cannot mount hugetlbfs"
  fi
  memory='"-m", "512",'
fi

# TIME-WAIT of 3 s (2MSL shortened for the test); drain of 2 s.
cat >"$tmp/tern.toml" <<TOML
[eal]
args = [${memory} "--no-pci", "-l", "${lcores}",
        "--vdev=net_tap0,iface=${iface}", "--file-prefix=${prefix}"]
[port]
name = "net_tap0"
mbufs = 16383
rx_ring = 1024
tx_ring = 1024
idle_sleep_us = 0
yield_every_us = 500
yield_us = 50
[ip]
address = "${tern_ip}"
prefix_len = 24
gateway = "${peer_ip}"
[tcp]
max_connections = 16384
time_wait_ms = 3000
[[listener]]
port = 80
service = "http"
http_body_bytes = 1024
[[listener]]
port = 8080
service = "http"
http_body_bytes = 40000
[[listener]]
port = 7
service = "echo"
[[listener]]
port = 9
service = "discard"
[shutdown]
drain_ms = 2000
TOML
if [ "$mode" = fault ]; then
  cat >>"$tmp/tern.toml" <<TOML
[fault]
drop = 0.01
reorder = 0.01
duplicate = 0.005
corrupt = 0.001
seed = ${id}
direction = "both"
TOML
fi

# --duration bounds tern's life even if this script is killed without its
# trap.
tern_start "$tern" "$tmp/tern.toml" "$tmp/tern.log" --duration 300 ||
  fail "tern did not start"
tern_pid=$TERN_PID
tern_mac=$(tern_mac "$tmp/tern.log")
telemetry_sock="/var/run/dpdk/${prefix}/dpdk_telemetry.v2"

tap_to_netns "$iface" "$ns" "${peer_ip}/24" || fail "cannot move $iface into $ns"
in_ns() { ip netns exec "$ns" "$@"; }
telemetry() { $clients telemetry "$telemetry_sock" "$@"; }
value() { sed -n "s/^$1=//p"; }

# Capture the functional part (not the load tests) for tshark.
in_ns tcpdump -i "$iface" -w "$tmp/cap.pcap" -U -s 0 -c 200000 \
  >"$tmp/tcpdump.log" 2>&1 &
cap_pid=$!
sleep 1

say "ping and ARP"
if [ "$mode" = fault ]; then
  # Under loss some echo requests may go unanswered; one answer suffices.
  in_ns ping -c 10 -i 0.2 -W 1 "$tern_ip" >"$tmp/ping.txt" || true
  grep -q " [1-9][0-9]* received" "$tmp/ping.txt" || fail "no ping answered"
else
  in_ns ping -c 3 -i 0.2 -W 1 "$tern_ip" >"$tmp/ping.txt" || fail "ping failed"
  grep -q " 3 received" "$tmp/ping.txt" || fail "not all echo requests answered"
fi
in_ns ip neigh show "$tern_ip" dev "$iface" | grep -qi "lladdr ${tern_mac}" ||
  fail "ARP did not resolve ${tern_ip} to ${tern_mac}"

say "curl http://${tern_ip}/"
body=$(in_ns curl -sS --max-time 10 -o "$tmp/body" -w '%{http_code} %{size_download}' \
  "http://${tern_ip}/") || fail "curl failed"
[ "$body" = "200 1024" ] || fail "curl: expected '200 1024', got '$body'"

say "a 40000-byte body, sent by reference from an external buffer"
for i in 1 2 3; do
  body=$(in_ns curl -sS --max-time 10 -o "$tmp/big" -w '%{http_code} %{size_download}' \
    "http://${tern_ip}:8080/") || fail "curl :8080 failed"
  [ "$body" = "200 40000" ] || fail "curl :8080: expected '200 40000', got '$body'"
done
# The body is the http service's 64-byte line repeated (app/services/pattern.h).
/usr/bin/python3 -c '
import sys
line = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.\n"
want = (line * (40000 // 64 + 1))[:40000]
got = open(sys.argv[1], "rb").read()
if got != want:
    i = next(k for k in range(len(want)) if got[k] != want[k])
    print("first difference at byte", i, "got", got[i:i+80], file=sys.stderr)
    sys.exit(1)' "$tmp/big" ||
  fail "the 40000-byte body differs from the pattern"
in_ns $clients http-close "$tern_ip" 80 100 >/dev/null || fail "100 HTTP/1.1 requests"
zc=$(telemetry /tern/stats tx_zero_copy | value tx_zero_copy)
[ "$zc" -gt 100 ] || fail "tx_zero_copy is ${zc}: bodies were not sent by reference"
say "tx_zero_copy ${zc}"
# The loop's stall and yield counters (doc/operator_guide.md) are
# published; the busy-polling loops (idle_sleep_us = 0) have yielded on
# their 500 us cadence.
out=$(telemetry /tern/stats loop.stalls loop.stalled_us loop.yields)
for k in loop.stalls loop.stalled_us loop.yields; do
  v=$(echo "$out" | value "$k")
  [[ "$v" =~ ^[0-9]+$ ]] || fail "telemetry: no $k in: $out"
done
yields=$(echo "$out" | value loop.yields)
[ "$yields" -gt 0 ] || fail "loop.yields is 0 with yield_every_us = 500"
say "loop.yields ${yields}"

say "a client off the prefix is answered through the gateway"
# 198.19.0.5 is outside tern's 198.18.0.0/24: tern sends its replies to the
# gateway (the namespace's kernel, ${peer_ip}), resolved by ARP.
in_ns ip addr add 198.19.0.5/32 dev lo
body=$(in_ns curl -sS --max-time 10 --interface 198.19.0.5 -o /dev/null \
  -w '%{http_code}' "http://${tern_ip}/") || fail "curl from 198.19.0.5 failed"
[ "$body" = "200" ] || fail "curl from 198.19.0.5: HTTP ${body}"

say "path MTU discovery through a Linux router with a 1000-byte hop"
# A far client (198.19.1.2, MTU 1500, so it announces MSS 1460) sits behind
# the namespace's kernel, which forwards to it over a veth with MTU 1000.
# tern's 1500-byte segments carry DF, so the kernel answers them with ICMP
# fragmentation needed (next-hop MTU 1000); tern must lower the MSS and send
# again, or the 40000-byte body never arrives.
ip netns add "$far_ns" || fail "cannot create $far_ns"
ip link add "pa${id}" type veth peer name "pb${id}" || fail "cannot create veth"
ip link set "pa${id}" netns "$ns"
ip link set "pb${id}" netns "$far_ns"
in_ns ip addr add 198.19.1.1/24 dev "pa${id}"
in_ns ip link set "pa${id}" mtu 1000 up
in_ns sysctl -qw net.ipv4.ip_forward=1
far() { ip netns exec "$far_ns" "$@"; }
far ip link set lo up
far ip addr add 198.19.1.2/24 dev "pb${id}"
far ip link set "pb${id}" up
far ip route add "${tern_ip}/32" via 198.19.1.1
pmtu_before=$(telemetry /tern/stats tcp.pmtu_decreases | value tcp.pmtu_decreases)
body=$(far curl -sS --max-time 20 -o "$tmp/far" -w '%{http_code} %{size_download}' \
  "http://${tern_ip}:8080/") || fail "curl through the 1000-byte hop failed"
[ "$body" = "200 40000" ] || fail "curl through the 1000-byte hop: got '$body'"
cmp -s "$tmp/far" "$tmp/big" || fail "the body through the 1000-byte hop differs"
out=$(telemetry /tern/stats tcp.pmtu_decreases icmp_errors_in)
echo "$out"
[ "$(echo "$out" | value tcp.pmtu_decreases)" -gt "${pmtu_before}" ] ||
  fail "no path MTU decrease counted: ${out}"
ip netns del "$far_ns"

say "echo 10 MB"
in_ns $clients echo "$tern_ip" 7 10485760 || fail "echo round trip"
say "shutdown(SHUT_WR) keeps receiving"
in_ns $clients shutwr "$tern_ip" 7 1048576 || fail "half-close"
if [ "$mode" = hugepages ]; then
  grep -q "packet capture.*: available" "$tmp/tern.log" ||
    fail "tern says capture is unavailable: $(grep 'packet capture' "$tmp/tern.log")"
  timeout 20 dpdk-dumpcap --file-prefix="$prefix" -i net_tap0 -q \
    -w "$tmp/dump.pcapng" -a duration:4 >"$tmp/dumpcap.log" 2>&1 &
  dump_pid=$!
  sleep 2
  in_ns curl -sS --max-time 10 -o /dev/null "http://${tern_ip}/" || fail "curl"
  wait "$dump_pid" || fail "dpdk-dumpcap failed: $(cat "$tmp/dumpcap.log")"
  n=$(tshark -r "$tmp/dump.pcapng" -Y "tcp.srcport == 80 && ip.src == ${tern_ip}" \
    2>/dev/null | wc -l)
  [ "$n" -ge 3 ] || fail "dpdk-dumpcap captured ${n} of tern's HTTP frames"
  say "dpdk-dumpcap captured ${n} frames tern sent for one curl"
fi

if [ "$mode" != full ]; then
  out=$(telemetry /tern/stats fault_rx.dropped fault_rx.reordered \
    fault_rx.duplicated fault_rx.corrupted fault_tx.dropped fault_tx.reordered \
    fault_tx.duplicated tcp.retransmits parse_drop.tcp_bad_checksum)
  echo "$out"
  if [ "$mode" = fault ]; then
    for k in fault_rx.dropped fault_rx.reordered fault_rx.duplicated \
      fault_tx.dropped fault_tx.reordered fault_tx.duplicated tcp.retransmits; do
      [ "$(echo "$out" | value "$k")" -gt 0 ] || fail "$k is 0 under faults"
    done
  fi
  kill "$cap_pid"
  wait "$cap_pid" 2>/dev/null || true
  cap_pid=""
  kill -TERM "$tern_pid"
  tern_rc=0
  wait "$tern_pid" || tern_rc=$?
  tern_pid=""
  [ "$tern_rc" -eq 0 ] || fail "tern exited with status ${tern_rc} on SIGTERM"
  start=$(awk '$1 == "mbufs_available_start" { print $2 }' "$tmp/tern.log")
  end=$(awk '$1 == "mbufs_available_end" { print $2 }' "$tmp/tern.log")
  [ -n "$start" ] && [ "$start" = "$end" ] ||
    fail "mbuf pool: ${start} available at start, ${end} at end"
  say "PASS in ${mode} mode (mbufs ${start} = ${end})"
  exit 0
fi

say "per-connection dump (/tern/connections) shows an idle connection"
in_ns $clients hold "$tern_ip" 7 3 &
hold_pid=$!
sleep 1
telemetry /tern/connections >"$tmp/conns.json"
wait "$hold_pid" || fail "hold client failed"
/usr/bin/python3 - "$tmp/conns.json" "$tern_ip" <<'PY' || fail "/tern/connections lacks the held connection: $(cat "$tmp/conns.json")"
import json, sys
conns = json.load(open(sys.argv[1]))
rows = [v for k, v in conns.items() if isinstance(v, dict)
        and v.get("state") == "ESTABLISHED"
        and v.get("local") == sys.argv[2] + ":7"]
assert rows, "no ESTABLISHED connection to port 7"
r = rows[0]
assert r["mss"] > 0 and r["cwnd"] >= r["mss"] and r["rto_ms"] >= 200, r
print("tern_e2e_test: /tern/connections:", json.dumps(r, sort_keys=True))
PY

say "SYN to a closed port"
in_ns $clients refused "$tern_ip" 81 || fail "closed port"

say "TIME-WAIT on both sides"
before=$(telemetry /tern/stats tcp.time_wait_created | value tcp.time_wait_created)
in_ns $clients http-close "$tern_ip" 80 20 || fail "http-close"
in_ns $clients client-close "$tern_ip" 9 15 || fail "client-close"
sleep 0.5
out=$(telemetry /tern/stats tcp.time_wait_created conn.time_wait)
created=$(echo "$out" | value tcp.time_wait_created)
held=$(echo "$out" | value conn.time_wait)
[ $((created - before)) -eq 20 ] ||
  fail "tern created $((created - before)) TIME-WAIT records, expected 20 (telemetry: before ${before}, now: ${out})"
[ "$held" -ge 20 ] || fail "tern holds ${held} TIME-WAIT records, expected >= 20"
linux_tw=$(in_ns ss -Htan state time-wait "( dport = :9 )" | wc -l)
[ "$linux_tw" -eq 15 ] ||
  fail "Linux holds ${linux_tw} TIME-WAIT sockets to :9, expected 15"
say "TIME-WAIT: tern created 20 (holds ${held}), Linux holds ${linux_tw}"
sleep 3.5  # 2MSL = 3 s in this config
held=$(telemetry /tern/stats conn.time_wait | value conn.time_wait)
[ "$held" -eq 0 ] || fail "tern still holds ${held} TIME-WAIT records after 2MSL"
command -v dpdk-telemetry.py >/dev/null &&
  { echo /tern/engines | timeout 10 dpdk-telemetry.py -f "$prefix" \
      >"$tmp/telemetry.txt" 2>&1 || true; }
[ ! -f "$tmp/telemetry.txt" ] || grep -q '"engines"' "$tmp/telemetry.txt" ||
  fail "dpdk-telemetry.py could not read /tern/engines: $(cat "$tmp/telemetry.txt")"

kill "$cap_pid"
wait "$cap_pid" 2>/dev/null || true
cap_pid=""
say "tshark: malformed packets, bad checksums, expert errors from tern"
# The ICMP errors the router sent quote tern's segments, truncated; tshark
# would judge the quoted checksums: those messages (type 3) are not tern's.
tshark -r "$tmp/cap.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
  -Y "ip.src == ${tern_ip} && !(icmp.type == 3) && (_ws.malformed || _ws.expert.severity == error || \
      tcp.checksum.status == \"Bad\" || ip.checksum.status == \"Bad\")" \
  >"$tmp/bad.txt" 2>"$tmp/tshark.err" || fail "tshark: $(cat "$tmp/tshark.err")"
frames=$(tshark -r "$tmp/cap.pcap" -Y "ip.src == ${tern_ip}" 2>/dev/null | wc -l)
[ "$frames" -gt 1000 ] || fail "capture holds only ${frames} frames from tern"
if [ -s "$tmp/bad.txt" ]; then
  tshark -r "$tmp/cap.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
    -Y "ip.src == ${tern_ip} && !(icmp.type == 3) && (_ws.malformed || _ws.expert.severity == error || \
        tcp.checksum.status == \"Bad\" || ip.checksum.status == \"Bad\")" \
    -T fields -e frame.number -e tcp.srcport -e tcp.dstport -e tcp.seq \
    -e tcp.len -e _ws.expert.message 2>/dev/null | head -5 >&2
  fail "tshark flags $(wc -l <"$tmp/bad.txt") of tern's packets"
fi
say "tshark: ${frames} frames from tern, none malformed or with a bad checksum"

say "ab -n 20000 -c 100"
in_ns ab -q -n 20000 -c 100 -s 10 "http://${tern_ip}/" >"$tmp/ab.txt" 2>&1 ||
  fail "ab failed: $(tail -5 "$tmp/ab.txt")"
grep -q "^Complete requests: *20000" "$tmp/ab.txt" || fail "ab: $(cat "$tmp/ab.txt")"
grep -q "^Failed requests: *0" "$tmp/ab.txt" || fail "ab: failed requests"
! grep -q "^Non-2xx responses" "$tmp/ab.txt" || fail "ab: non-2xx responses"
say "ab: $(grep '^Requests per second' "$tmp/ab.txt")"

say "wrk -t2 -c50 -d3s"
in_ns wrk -t2 -c50 -d3s --timeout 5s "http://${tern_ip}/" >"$tmp/wrk.txt" 2>&1 ||
  fail "wrk failed: $(cat "$tmp/wrk.txt")"
! grep -q "Socket errors" "$tmp/wrk.txt" || fail "wrk: $(grep 'Socket errors' "$tmp/wrk.txt")"
! grep -q "Non-2xx" "$tmp/wrk.txt" || fail "wrk: non-2xx responses"
grep -q "requests in" "$tmp/wrk.txt" || fail "wrk: $(cat "$tmp/wrk.txt")"
say "wrk: $(grep 'Requests/sec' "$tmp/wrk.txt")"

kill -TERM "$tern_pid"
tern_rc=0
wait "$tern_pid" || tern_rc=$?
tern_pid=""
[ "$tern_rc" -eq 0 ] || fail "tern exited with status ${tern_rc} on SIGTERM"
counter() { awk -v n="$1" '$1 == n { print $2 }' "$tmp/tern.log"; }
[ -n "$(counter tcp_in)" ] || fail "tern printed no counters"
! grep -E "tern: (error|warning):" "$tmp/tern.log" ||
  fail "tern logged an error or a warning"
start=$(counter mbufs_available_start)
end=$(counter mbufs_available_end)
[ "$start" = "$end" ] || fail "mbuf pool: ${start} available at start, ${end} at end"
accepted=$(counter service.accepted)
[ "$accepted" -ge 20000 ] || fail "service.accepted is ${accepted}"
if [ "$engines" -gt 1 ]; then
  for e in $(seq 0 $((engines - 1))); do
    a=$(counter "engine${e}.service.accepted")
    [ "${a:-0}" -gt 0 ] || fail "engine ${e} accepted no connection"
    say "engine ${e} accepted ${a} connections"
  done
fi
say "PASS (${engines} engine(s), accepted ${accepted}, mbufs ${start} = ${end})"
