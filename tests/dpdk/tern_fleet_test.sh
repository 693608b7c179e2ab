#!/usr/bin/env bash
# Issue 14's scenario 4 in miniature: a fleet of two tern processes behind
# one address, sharing one SYN-cookie secret file, and a flow that a router
# rehashes between the handshake's two halves.
#
# Namespaces A and B each hold a tern (net_af_packet on its veth end,
# address 198.18.0.1, cookies "always", the same [syn_cookies] secret_file,
# a mode-600 file made for the run); namespace C holds the other ends of
# both veth pairs, no kernel address, and tests/dpdk/fleet_client.py
# (scapy), which sends a SYN to A, takes A's cookie SYN-ACK, and sends the
# final ACK and a request to B.
#
# Then the rotation: after A answered a second SYN, the test writes a new
# secret into the file and sends SIGHUP to both terns (each reads the file
# again and rotates, the old key staying valid as the previous one).
#
# What it checks: B refuses a final ACK carrying a wrong cookie (a control:
# B really validates), B completes the connection from the cookie A issued
# and answers the request with HTTP/1.1 200; across the rotation, B still
# completes a cookie A issued just before it; after it, A completes a
# cookie B issued; both terns logged the rotation,
# the counters agree (A and B each sent and validated cookies) and both
# exit 0. Every
# address is in 198.18.0.0/15; the namespaces have no route out; a trap
# removes the namespaces, the processes and the files on any exit.
#
# Usage: tern_fleet_test.sh PATH_TO_TERN
# Exit: 0 pass, 1 fail, 77 skip (not root, driver or tool missing).
set -euo pipefail
. "$(dirname "$0")/tern_lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
tern_test_init tern_fleet_test
tern=${1:?usage: $0 PATH_TO_TERN}
require_root "DPDK EAL, namespaces"
require_cores 2 "one lcore per tern"
require_pmd af_packet
command -v ethtool >/dev/null || skip "ethtool is missing (scripts/setup)"
/usr/bin/python3 -c "import scapy" 2>/dev/null || skip "python3-scapy is missing"
[ -x "$tern" ] || fail "$tern is not an executable"

id=$$
tmp=$(mktemp -d /tmp/tern_fleet_test.XXXXXX)
ns_c="tft_c_${id}" ns_a="tft_a_${id}" ns_b="tft_b_${id}"
pid_a="" pid_b=""
cleanup() {
  local rc=$?
  tern_kill "$pid_a"
  tern_kill "$pid_b"
  for ns in "$ns_c" "$ns_a" "$ns_b"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "/var/run/dpdk/tft_a_${id}" "/var/run/dpdk/tft_b_${id}"
  if [ "$rc" -ne 0 ] && [ "$rc" -ne "$TERN_SKIP" ]; then
    for f in a.log b.log client.log; do
      [ -f "$tmp/$f" ] || continue
      echo "--- $f (last 30 lines) ---" >&2
      tail -n 30 "$tmp/$f" >&2
    done
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The shared secret: 16 random bytes as 32 hexadecimal digits, readable by
# the owner only (LoadSynCookieSecretFile refuses anything wider).
secret="$tmp/cookie_secret"
(umask 077; head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$secret")

for ns in "$ns_c" "$ns_a" "$ns_b"; do
  netns_make "$ns" noipv6
done
# One veth pair per server; checksum offloads off (packet sockets on both
# sides read and write whole frames).
for s in a b; do
  ns_var="ns_$s"
  veth_join "$ns_c" "tft${s}c${id}" 02:00:00:00:0d:02 \
    "${!ns_var}" "tft${s}s${id}" "02:00:00:00:0${s}:01" raw
done

start_tern() {
  local s=$1 lcore=$2 ns=$3
  cat >"$tmp/$s.toml" <<TOML
[eal]
args = ["--no-huge", "-m", "256", "--no-pci", "-l", "${lcore}",
        "--vdev=net_af_packet0,iface=tft${s}s${id}",
        "--file-prefix=tft_${s}_${id}"]
[port]
name = "net_af_packet0"
idle_sleep_us = 100
[ip]
address = "198.18.0.1"
prefix_len = 24
[[listener]]
port = 80
service = "http"
cookies = "always"
[syn_cookies]
secret_file = "${secret}"
[shutdown]
drain_ms = 200
TOML
  ip netns exec "$ns" "$tern" --config "$tmp/$s.toml" >"$tmp/$s.log" 2>&1 &
  TERN_PID=$!
  for _ in $(seq 200); do
    grep -q "tern serving" "$tmp/$s.log" && return 0
    kill -0 "$TERN_PID" 2>/dev/null || fail "tern $s exited during start-up"
    sleep 0.1
  done
  fail "tern $s did not start in 20 s"
}
start_tern a 0 "$ns_a"
pid_a=$TERN_PID
start_tern b 1 "$ns_b"
pid_b=$TERN_PID
say "two terns serve 198.18.0.1 with one secret file"

mkdir "$tmp/sync"
ip netns exec "$ns_c" timeout 60 /usr/bin/python3 "$here/fleet_client.py" \
  "tftac${id}" 02:00:00:00:0a:01 "tftbc${id}" 02:00:00:00:0b:01 "$tmp/sync" \
  >"$tmp/client.log" 2>&1 &
client_pid=$!
# The rotation, when the client asks for it: a new secret in the same file,
# SIGHUP to both terns, then wait for both to log it.
for _ in $(seq 400); do
  [ -e "$tmp/sync/rotate" ] && break
  kill -0 "$client_pid" 2>/dev/null || break
  sleep 0.05
done
if [ -e "$tmp/sync/rotate" ]; then
  (umask 077; head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$secret.new")
  mv "$secret.new" "$secret"
  kill -HUP "$pid_a" "$pid_b"
  for _ in $(seq 100); do
    grep -q "syn_cookies: rotated" "$tmp/a.log" &&
      grep -q "syn_cookies: rotated" "$tmp/b.log" && break
    sleep 0.05
  done
  grep -q "syn_cookies: rotated" "$tmp/a.log" || fail "A did not rotate"
  grep -q "syn_cookies: rotated" "$tmp/b.log" || fail "B did not rotate"
  touch "$tmp/sync/rotated"
fi
rc=0
wait "$client_pid" || rc=$?
cat "$tmp/client.log"
[ "$rc" -eq 0 ] || fail "a flow split across the fleet did not complete"

for s in a b; do
  pid_var="pid_$s"
  kill -TERM "${!pid_var}"
  trc=0
  wait "${!pid_var}" || trc=$?
  eval "pid_$s=''"
  [ "$trc" -eq 0 ] || fail "tern $s exited with status $trc"
done
for s in a b; do
  grep -Eq "^listen\.cookies_sent [1-9]" "$tmp/$s.log" || fail "$s sent no cookie"
  grep -Eq "^listen\.cookies_validated [1-9]" "$tmp/$s.log" ||
    fail "$s validated no cookie"
done
say "PASS"
