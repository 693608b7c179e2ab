# Shell functions shared by the dpdk suite's end-to-end tests, bench scripts
# and scripts/run-demo: start tern and wait for it, stop it, and hand its TAP
# interface to a network namespace. Source it; it sets no options and runs
# nothing by itself.

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
