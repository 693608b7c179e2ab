# Shell functions shared by the dpdk suite's end-to-end tests, bench scripts
# and scripts/run-demo: the tests' messages and preconditions, start tern and
# wait for it, stop it, hand its TAP interface to a network namespace, and
# join two namespaces with a veth pair. Source it; it sets no options and
# runs nothing by itself.

# meson's exit status for a skipped test.
TERN_SKIP=77

# tern_test_init NAME [stderr]: names the script for say, skip and fail;
# with "stderr", say writes to standard error (for scripts whose standard
# output is data).
tern_test_init() {
  TERN_TEST_NAME=$1
  TERN_SAY_FD=1
  [ "${2:-}" != stderr ] || TERN_SAY_FD=2
}
# say MESSAGE: "NAME: MESSAGE".
say() { echo "${TERN_TEST_NAME:-test}: $*" >&"${TERN_SAY_FD:-1}"; }
# skip REASON: "NAME: SKIP: REASON", exit 77 (meson: skipped).
skip() { say "SKIP: $*"; exit "$TERN_SKIP"; }
# fail REASON: "NAME: FAIL: REASON" on standard error, exit 1.
fail() { echo "${TERN_TEST_NAME:-test}: FAIL: $*" >&2; exit 1; }

# require_root WHY: skips unless run as root ("needs root (WHY)").
require_root() { [ "$(id -u)" -eq 0 ] || skip "needs root ($1)"; }
# require_cores N [WHY]: skips on a machine with fewer than N CPUs.
require_cores() {
  [ "$(nproc)" -ge "$1" ] ||
    skip "needs $1 cores${2:+ ($2)}, have $(nproc)"
}
# require_pmd NAME: skips unless DPDK's net_NAME driver is installed.
require_pmd() {
  compgen -G "/usr/lib/*/dpdk/pmds-*/librte_net_$1.so*" >/dev/null ||
    skip "DPDK's net_$1 driver is not installed"
}
# require_python: skips without Debian's /usr/bin/python3 (the JSON checks).
require_python() {
  [ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is missing"
}

# tern_start BINARY CONFIG LOG [ARGS...]: starts tern in the background with
# its output in LOG, sets TERN_PID, and waits up to 20 s for its start line.
# Returns 1 with a message on stderr when tern exits or does not start.
tern_start() {
  local binary=$1 config=$2 log=$3
  shift 3
  "$binary" --config "$config" "$@" >"$log" 2>&1 &
  TERN_PID=$!
  for _ in $(seq 200); do
    grep -q "tern serving" "$log" && return 0
    if ! kill -0 "$TERN_PID" 2>/dev/null; then
      echo "tern exited during start-up" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "tern did not start in 20 s" >&2
  return 1
}

# tern_mac LOG: the MAC address tern logged in its start line.
tern_mac() {
  sed -n 's/.*tern serving.*(mac \([0-9a-fA-F:]*\),.*/\1/p' "$1" | head -n1
}

# tern_kill PID: for cleanup traps; SIGTERM, then SIGKILL after 10 s; never
# fails.
tern_kill() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# tap_to_netns IFACE NS ADDRESS/PREFIX: creates namespace NS (lo up), moves
# tern's TAP interface IFACE into it with ADDRESS/PREFIX and a MAC of its
# own (net_tap gives the kernel's side the PMD's MAC; a distinct one makes
# captures readable and ARP learn a real binding), and brings it up.
tap_to_netns() {
  local iface=$1 ns=$2 addr=$3
  ip netns add "$ns" || return 1
  ip link set "$iface" netns "$ns" || return 1
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "$iface" address 02:00:c6:12:00:02
  ip -n "$ns" addr add "$addr" dev "$iface"
  ip -n "$ns" link set "$iface" up
}

# netns_make NS [noipv6]: creates namespace NS with lo up; with "noipv6",
# IPv6 off in it (no router solicitations or DAD frames in a capture or a
# packet socket's stream).
netns_make() {
  ip netns add "$1" || return 1
  ip -n "$1" link set lo up
  if [ "${2:-}" = noipv6 ]; then
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip netns exec "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
  fi
}

# veth_join NS_A IF_A MAC_A NS_B IF_B MAC_B [raw]: a veth pair IF_A in NS_A
# and IF_B in NS_B (namespaces that exist), both up; a MAC of "" keeps the
# kernel's random one. With "raw", checksum offloads off on both ends: a
# packet socket (net_af_packet) reads the frame as the kernel left it, and a
# veth with transmit checksum offload leaves partial TCP checksums that a
# DPDK stack rejects.
veth_join() {
  local ns_a=$1 if_a=$2 mac_a=$3 ns_b=$4 if_b=$5 mac_b=$6 raw=${7:-}
  ip link add "$if_a" netns "$ns_a" ${mac_a:+address "$mac_a"} type veth \
    peer name "$if_b" netns "$ns_b" ${mac_b:+address "$mac_b"} || return 1
  if [ "$raw" = raw ]; then
    ip netns exec "$ns_a" ethtool -K "$if_a" tx off rx off >/dev/null || return 1
    ip netns exec "$ns_b" ethtool -K "$if_b" tx off rx off >/dev/null || return 1
  fi
  ip -n "$ns_a" link set "$if_a" up
  ip -n "$ns_b" link set "$if_b" up
}
