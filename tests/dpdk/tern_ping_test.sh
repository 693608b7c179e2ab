#!/usr/bin/env bash
# End-to-end: tern on a DPDK net_tap port answers the Linux kernel's ARP and
# ping. The TAP interface is moved into a network namespace made for this run,
# so no traffic leaves the test: the kernel in the namespace is the peer.
#
# Usage: tern_ping_test.sh PATH_TO_TERN
# Exit: 0 pass, 1 fail, 77 skip (not root, no /dev/net/tun, no ip/ping).
set -euo pipefail
. "$(dirname "$0")/tern_lib.sh"

tern_test_init tern_ping_test
tern=${1:?usage: $0 PATH_TO_TERN}

require_root "network namespaces, TAP devices"
[ -c /dev/net/tun ] || skip "/dev/net/tun is missing (no TUN/TAP support)"
command -v ip >/dev/null || skip "ip (iproute2) is not installed"
command -v ping >/dev/null || skip "ping (iputils-ping) is not installed"
[ -x "$tern" ] || fail "$tern is not an executable"

# Names unique per run; interface names are limited to 15 characters.
id=$$
iface="tt${id}"
ns="tern_ns_${id}"
# RFC 2544 benchmarking range; the namespace is private, so fixed addresses
# cannot collide with anything outside it.
tern_ip=198.18.0.1
peer_ip=198.18.0.2
tmp=$(mktemp -d /tmp/tern_ping_test.XXXXXX)
tern_pid=""

cleanup() {
  local rc=$?
  tern_kill "${tern_pid:-${TERN_PID:-}}"
  ip netns del "$ns" 2>/dev/null || true
  # EAL leaves its runtime directory behind; the prefix is unique per run.
  rm -rf "/var/run/dpdk/tern_ping_${id}"
  if [ "$rc" -ne 0 ] && [ "$rc" -ne "$TERN_SKIP" ] && [ -f "$tmp/tern.log" ]; then
    echo "--- tern output ---" >&2
    cat "$tmp/tern.log" >&2
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

cat >"$tmp/tern.toml" <<TOML
[eal]
args = ["--no-huge", "-m", "256", "--no-pci",
        "--vdev=net_tap0,iface=${iface}",
        "--file-prefix=tern_ping_${id}"]
[port]
name = "net_tap0"
mbufs = 4095
rx_ring = 512
tx_ring = 512
idle_sleep_us = 100
[ip]
address = "${tern_ip}"
prefix_len = 24
TOML

# --duration bounds tern's life even if this script is killed without
# running its trap.
tern_start "$tern" "$tmp/tern.toml" "$tmp/tern.log" --duration 60 ||
  fail "tern did not start"
tern_pid=$TERN_PID
tern_mac=$(tern_mac "$tmp/tern.log")
[ -n "$tern_mac" ] || fail "could not read tern's MAC from its log"

tap_to_netns "$iface" "$ns" "${peer_ip}/24" || fail "cannot move $iface into $ns"

say "pinging ${tern_ip} (tern, mac ${tern_mac}) from ${ns}"
if ! ip netns exec "$ns" ping -c 5 -W 1 -i 0.2 "$tern_ip" | tee "$tmp/ping.txt"
then
  fail "ping failed"
fi
grep -q " 5 received" "$tmp/ping.txt" || fail "not all 5 echo requests answered"

neigh=$(ip -n "$ns" neigh show "$tern_ip" dev "$iface")
say "neighbour entry: ${neigh}"
echo "$neigh" | grep -qi "lladdr ${tern_mac}" ||
  fail "ARP did not resolve ${tern_ip} to ${tern_mac}"

kill -TERM "$tern_pid"
tern_rc=0
wait "$tern_pid" || tern_rc=$?
tern_pid=""
[ "$tern_rc" -eq 0 ] || fail "tern exited with status ${tern_rc} on SIGTERM"

counter() { awk -v n="$1" '$1 == n { print $2 }' "$tmp/tern.log"; }
replies=$(counter icmp_echo_replies)
arps=$(counter arp_replies)
[ -n "$replies" ] || fail "tern printed no counters on SIGTERM"
[ "$replies" -ge 5 ] || fail "icmp_echo_replies is ${replies}, expected >= 5"
[ "$arps" -ge 1 ] || fail "arp_replies is ${arps}, expected >= 1"
say "PASS (icmp_echo_replies=${replies} arp_replies=${arps})"
