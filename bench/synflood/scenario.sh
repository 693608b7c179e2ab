#!/usr/bin/env bash
# One trial of issue 14's SYN-flood suite: sets up one system under test,
# runs tern-flood's flood steps against it, writes tern-flood's JSON to OUT,
# and removes everything it made (processes, namespaces, veth pair, files),
# also on failure. bench/synflood/run and the dpdk suite's tests call it.
#
# Scenarios and stacks:
#   kernel_bypass tern   tern-flood and tern, DPDK processes joined by
#                        net_memif (tern's cookie mode from --mode).
#   kernel_bypass bare   tern-reflect in tern's place: the bare loop.
#   linux tern           a veth pair: tern-flood on one end (net_af_packet,
#                        or net_af_xdp with --veth-pmd af_xdp; namespace G),
#                        tern on the other (the same driver, namespace S, its
#                        cookie mode from --mode).
#   linux linux          the same pair, the Linux kernel in namespace S with
#                        nginx (Debian's nginx-light, the response tern's
#                        http service sends); --mode syncookies=1 or
#                        syncookies=0 sets net.ipv4.tcp_syncookies in S;
#                        tcp_no_metrics_save=1 (the clients' one address
#                        never becomes a proven peer) and `ip tcp_metrics
#                        flush` before the trial.
# Addresses: the server 198.18.0.1/24, tern-flood 198.18.0.2, spoofed
# sources 198.19.0.0/16 routed via tern-flood; every address is in
# 198.18.0.0/15 and the namespaces have no other route (no route out).
# CPUs: tern-flood on CPU 1, the server (tern's lcore, nginx's worker) on
# CPU 0.
#
# The JSON is tern-flood's document (doc/flood.md) with "server_counters"
# added: the server's counters over the trial (tern's listener cookie
# counters, the namespace's TcpExt counters, or tern-reflect's totals;
# in the linux scenario also the server's veth end's RX packets and drops);
# with tern, each step also gets "server_step": tern's counters over an
# interval inside that step (interval_s long: frames in and out, SYNs,
# cookies sent and validated, RSTs, the loop's busy cycles), from its telemetry sampled every
# 0.25 s (telemetry_sampler.py), or null when fewer than two samples fell
# in the step.
# Every trial also records what the machine did meanwhile, from /proc/stat
# and /proc/cpuinfo sampled every 0.25 s (machine_sampler.py): each step's
# "machine_step" and the document's "machine" (over all steps' traffic)
# give per CPU the shares of busy, idle and stolen time (steal: the
# hypervisor ran something else while that vCPU had work) and each
# processor's lowest
# and highest cpu MHz, over an interval inside the step as server_step's.
#
# Usage: scenario.sh --build DIR --scenario S --stack T --mode M
#          --steps LIST --duration SECONDS --legit-rate R --out JSON
#          [--ceiling PPS] [--legit-timeout-ms N] [--log DIR] [--kind K]
#          [--flood-args "FLAGS"] [--veth-pmd af_packet|af_xdp]
#          [--rt PRIO] [--rt-period-us N] [--reflect-alternation-ms N]
#          [--yield-every-us N] [--yield-us N]
# --kind: tern-flood's --flood-kind (syn, ack, rst, fin, data; default syn).
# --flood-args: more tern-flood flags, split at spaces (e.g. "--tx-keep off").
# --rt PRIO: run tern (or tern-reflect) and tern-flood with SCHED_FIFO at
#   PRIO (chrt; 0, the default, leaves them SCHED_OTHER), so that on a
#   machine with no spare core nothing else preempts the two polling
#   loops; the kernel's RT throttling (sched_rt_runtime_us, 95 % by
#   default) still leaves every CPU some time for everything else. nginx
#   and the kernel's TCP (softirq) are not changed by it.
# --rt-period-us N: with --rt, the RT bandwidth period of the root CPU
#   group for the trial (cgroup v1 cpu.rt_period_us, or the
#   kernel.sched_rt_period_us sysctl without it), keeping its runtime
#   share (95 % by default): the throttle's pause becomes 5 % of N
#   instead of 50 ms once a second, which otherwise stalls both polling
#   loops together and is most of the connect latency's tail. 0, the
#   default, leaves the kernel's period. Restored on exit.
# --afp-frames N: frames in each net_af_packet ring (RX and TX, both ends;
#   default 512, the driver's DFLT_FRAME_COUNT).
# --veth-pmd af_packet|af_xdp: the DPDK driver on the veth ends of the linux
#   scenario (tern-flood's, and tern's with --stack tern): net_af_packet
#   (the default) or net_af_xdp, an AF_XDP socket on the veth's queue 0
#   fed by the driver's default XDP program, attached natively to the veth.
# --reflect-alternation-ms N: with kernel_bypass tern, tern runs with
#   --reflect-alternation-ms N (a measuring instrument: its engine
#   alternates between TCP and the bare reflect loop every N ms on the same
#   memif queue pair, doc/flood.md), and the document gets
#   "reflect_alternation": every phase (mode, Unix start, duration, frames
#   in and out, busy cycles, tx_pps) and per step the pairs of a TCP phase
#   and the reflect phase after it that lie wholly inside the step, each
#   with its ratio (the TCP phase's tx_pps over the reflect phase's) and
#   both phases' cycles per frame, and
#   their median, minimum and maximum.
# --yield-every-us N, --yield-us N: the polling loops (tern's [port]
#   yield_every_us and yield_us, tern-flood's and tern-reflect's flags of
#   the same names) sleep at least yield-us (default 50, at most 500) in
#   every N us, so that with --rt they stay under the RT throttle, which
#   would otherwise stop them for 1 to 3 ms at a time (doc/flood.md). 0, the
#   default, never yields.
# --log DIR keeps the processes' logs there. Exit: 0 done (the JSON
# written), 1 failure, 77 not root or a driver missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../tests/dpdk/tern_lib.sh"
. "$here/yield_args.sh"

build="" scenario="" stack="" mode="" steps="" duration="" legit=""
out="" ceiling="" legit_timeout=3000 logdir="" kind=syn extra_flood_args=""
afp_frames=512 rt_prio=0 rt_period_us=0 veth_pmd=af_packet alternation_ms=0
yield_every_us=0 yield_us=50
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2 ;;
    --scenario) scenario=$2 ;;
    --stack) stack=$2 ;;
    --mode) mode=$2 ;;
    --steps) steps=$2 ;;
    --duration) duration=$2 ;;
    --legit-rate) legit=$2 ;;
    --out) out=$2 ;;
    --ceiling) ceiling=$2 ;;
    --legit-timeout-ms) legit_timeout=$2 ;;
    --log) logdir=$2 ;;
    --kind) kind=$2 ;;
    --flood-args) extra_flood_args=$2 ;;
    --afp-frames) afp_frames=$2 ;;
    --rt) rt_prio=$2 ;;
    --rt-period-us) rt_period_us=$2 ;;
    --veth-pmd) veth_pmd=$2 ;;
    --reflect-alternation-ms) alternation_ms=$2 ;;
    --yield-every-us) yield_every_us=$2 ;;
    --yield-us) yield_us=$2 ;;
    *) echo "scenario.sh: unknown argument $1" >&2; exit 1 ;;
  esac
  shift 2
done
for v in build scenario stack mode steps duration legit out; do
  [ -n "${!v}" ] || { echo "scenario.sh: --${v/_/-} is required" >&2; exit 1; }
done
[[ "$rt_prio" =~ ^[0-9]+$ ]] && [ "$rt_prio" -le 99 ] ||
  { echo "scenario.sh: --rt takes a priority 0 to 99, not '$rt_prio'" >&2; exit 1; }
# 1 ms to 1 s: the kernel refuses periods below 1 ms and above 1 s is the
# default's own tail.
[[ "$rt_period_us" =~ ^[0-9]+$ ]] &&
  { [ "$rt_period_us" -eq 0 ] || { [ "$rt_period_us" -ge 1000 ] && [ "$rt_period_us" -le 1000000 ]; }; } ||
  { echo "scenario.sh: --rt-period-us takes 0 or 1000 to 1000000, not '$rt_period_us'" >&2; exit 1; }
[[ "$alternation_ms" =~ ^[0-9]+$ ]] && [ "$alternation_ms" -le 10000 ] ||
  { echo "scenario.sh: --reflect-alternation-ms takes 0 to 10000, not '$alternation_ms'" >&2; exit 1; }
[ "$alternation_ms" -eq 0 ] || [ "$scenario/$stack" = kernel_bypass/tern ] ||
  { echo "scenario.sh: --reflect-alternation-ms is for kernel_bypass tern" >&2; exit 1; }
check_yield_args scenario.sh "$yield_every_us" "$yield_us" 1
case "$veth_pmd" in
  af_packet | af_xdp) ;;
  *) echo "scenario.sh: --veth-pmd takes af_packet or af_xdp, not '$veth_pmd'" >&2; exit 1 ;;
esac
if [ "$rt_prio" -gt 0 ] &&
  [ "$(cat /proc/sys/kernel/sched_rt_runtime_us 2>/dev/null)" = "-1" ]; then
  # Without RT throttling two SCHED_FIFO pollers on both CPUs would starve
  # everything else, this script included.
  echo "scenario.sh: --rt needs RT throttling (kernel.sched_rt_runtime_us is -1)" >&2
  exit 1
fi

tern_test_init "scenario.sh [$scenario/$stack/$mode]" stderr
require_root "DPDK EAL, namespaces"

tern=$build/app/tern/tern
flood=$build/app/tern-flood/tern-flood
reflect=$build/app/tern-reflect/tern-reflect
id=$$
tmp=$(mktemp -d /tmp/tern_synflood.XXXXXX)
gen_ns="tsf_g_${id}"
srv_ns="tsf_s_${id}"
gen_if="tsfg${id}"
srv_if="tsfs${id}"
prefixes=("tsf_srv_${id}" "tsf_cli_${id}")
server_pid=""
flood_pid=""
sampler_pid=""
machine_pid=""
made_ns=0
# The RT bandwidth files and their values before the trial, when
# --rt-period-us changed them.
rt_period_file="" rt_runtime_file="" rt_old_period="" rt_old_runtime=""

# Sets the period and runtime of RT bandwidth (runtime first when the
# period shrinks, period first when it grows: the kernel refuses a runtime
# above its period).
set_rt_bandwidth() {
  local period=$1 runtime=$2
  if [ "$period" -lt "$(cat "$rt_period_file")" ]; then
    echo "$runtime" >"$rt_runtime_file" && echo "$period" >"$rt_period_file"
  else
    echo "$period" >"$rt_period_file" && echo "$runtime" >"$rt_runtime_file"
  fi
}

cleanup() {
  local rc=$?
  tern_kill "$flood_pid"
  tern_kill "$sampler_pid"
  tern_kill "$machine_pid"
  tern_kill "$server_pid"
  if [ -n "$rt_old_period" ]; then
    set_rt_bandwidth "$rt_old_period" "$rt_old_runtime" 2>/dev/null ||
      echo "scenario.sh: could not restore the RT bandwidth ($rt_period_file: $rt_old_period, $rt_runtime_file: $rt_old_runtime)" >&2
  fi
  if [ "$made_ns" -eq 1 ]; then
    ip netns pids "$srv_ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$gen_ns" 2>/dev/null || true
    ip netns del "$srv_ns" 2>/dev/null || true
  fi
  for p in "${prefixes[@]}"; do rm -rf "/var/run/dpdk/$p"; done
  if [ -n "$logdir" ]; then
    mkdir -p "$logdir"
    cp "$tmp"/*.log "$logdir/" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ "$rc" -ne "$TERN_SKIP" ]; then
    for f in "$tmp"/*.log; do
      [ -f "$f" ] || continue
      echo "--- $(basename "$f") (last 30 lines) ---" >&2
      tail -n 30 "$f" >&2
    done
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_for LOG PATTERN PID WHAT: up to 20 s for PATTERN in LOG.
wait_for() {
  for _ in $(seq 200); do
    grep -qs "$2" "$1" && return 0
    kill -0 "$3" 2>/dev/null || fail "$4 exited during start-up"
    sleep 0.1
  done
  fail "$4 did not start in 20 s"
}

# tern's configuration: one lcore on CPU 0, the http service with its
# default 1024-byte body, the given cookie mode.
tern_config() {
  local vdev=$1 port=$2
  cat >"$tmp/tern.toml" <<TOML
[eal]
args = ["--no-huge", "-m", "512", "--no-pci", "-l", "0",
        "${vdev}", "--file-prefix=${prefixes[0]}",
        "--log-level=pmd.net.memif:warning"]
[port]
name = "${port}"
idle_sleep_us = 10
yield_every_us = ${yield_every_us}
yield_us = ${yield_us}
[ip]
address = "198.18.0.1"
prefix_len = 24
gateway = "198.18.0.2"
[tcp]
max_connections = 65536
max_half_open = 65536
[[listener]]
port = 80
service = "http"
cookies = "${mode}"
http_body_bytes = 1024
[shutdown]
drain_ms = 1000
TOML
}

flood_args=(--address 198.18.0.2 --target 198.18.0.1
  --spoof-range 198.19.0.0/16 --flood-kind "$kind"
  --flood-pps "$steps" --duration "$duration"
  --legit-rate "$legit" --legit-timeout-ms "$legit_timeout"
  --scenario "$scenario" --stack "$stack" --mode "$mode" --json "$out")
[ -z "$ceiling" ] || flood_args+=(--ceiling-pps "$ceiling")
[ "$yield_every_us" -eq 0 ] ||
  flood_args+=(--yield-every-us "$yield_every_us" --yield-us "$yield_us")
# shellcheck disable=SC2206  # split at spaces on purpose
[ -z "$extra_flood_args" ] || flood_args+=($extra_flood_args)
eal_flood=(--no-huge -m 512 --no-pci -l 1 "--file-prefix=${prefixes[1]}"
  --log-level=pmd.net.memif:warning)

# start_sampler: tern's counters every 0.25 s over its telemetry socket
# (telemetry_sampler.py) into samples.txt, for the per-step figures.
start_sampler() {
  /usr/bin/python3 "$here/telemetry_sampler.py" \
    "/var/run/dpdk/${prefixes[0]}/dpdk_telemetry.v2" "$tmp/samples.txt" \
    >"$tmp/sampler.log" 2>&1 &
  sampler_pid=$!
}

# start_machine_sampler: /proc/stat and the cpu MHz every 0.25 s
# (machine_sampler.py) into machine.txt, for each step's machine_step.
start_machine_sampler() {
  /usr/bin/python3 "$here/machine_sampler.py" "$tmp/machine.txt" \
    >"$tmp/machine_sampler.log" 2>&1 &
  machine_pid=$!
}

# --rt-period-us: the root group's RT period for this trial. Our processes
# must be in that group (chrt works there: a child group of cgroup v1 has no
# RT runtime unless given some).
shorten_rt_period() {
  [ "$rt_prio" -gt 0 ] && [ "$rt_period_us" -gt 0 ] || return 0
  if [ -f /sys/fs/cgroup/cpu/cpu.rt_period_us ]; then
    grep -Eq '^[0-9]+:([^:]*,)?cpu(,[^:]*)?:/$' /proc/self/cgroup ||
      fail "--rt-period-us: this shell is not in the root cpu cgroup ($(grep -E ':cpu[,:]' /proc/self/cgroup))"
    rt_period_file=/sys/fs/cgroup/cpu/cpu.rt_period_us
    rt_runtime_file=/sys/fs/cgroup/cpu/cpu.rt_runtime_us
  else
    rt_period_file=/proc/sys/kernel/sched_rt_period_us
    rt_runtime_file=/proc/sys/kernel/sched_rt_runtime_us
  fi
  local period runtime
  period=$(cat "$rt_period_file")
  runtime=$(cat "$rt_runtime_file")
  [ "$runtime" -gt 0 ] || fail "--rt-period-us: RT runtime is $runtime in $rt_runtime_file"
  local new_runtime=$((rt_period_us * runtime / period))
  rt_old_period=$period
  rt_old_runtime=$runtime
  set_rt_bandwidth "$rt_period_us" "$new_runtime" 2>/dev/null ||
    fail "--rt-period-us: the kernel refused period $rt_period_us us, runtime $new_runtime us ($rt_period_file)"
  [ "$(cat "$rt_period_file")" = "$rt_period_us" ] &&
    [ "$(cat "$rt_runtime_file")" = "$new_runtime" ] ||
    fail "--rt-period-us: $rt_period_file and $rt_runtime_file read back $(cat "$rt_period_file") and $(cat "$rt_runtime_file")"
  say "RT bandwidth: ${new_runtime} us of every ${rt_period_us} us (was ${runtime} of ${period})"
}
shorten_rt_period

# SCHED_FIFO for the main thread of process $1 (the polling lcore) when
# --rt asked for it; DPDK's control threads (interrupts, memif's socket)
# stay SCHED_OTHER, or a polling loop of the same priority would starve
# them on the CPU they share.
make_rt() {
  [ "$rt_prio" -gt 0 ] || return 0
  # A process that has just exited is no failure of this script.
  chrt -f -p "$rt_prio" "$1" >/dev/null 2>&1 || ! kill -0 "$1" 2>/dev/null ||
    fail "chrt -f -p $rt_prio $1"
}

run_flood() {
  # The flood's own deadline: every step plus the legitimate deadline and
  # start-up.
  local steps_n
  steps_n=$(awk -F, '{print NF}' <<<"$steps")
  local limit=$((steps_n * duration + legit_timeout / 1000 + 30))
  "$@" >"$tmp/flood.log" 2>&1 &
  flood_pid=$!
  local rt_done=0
  local rc=0
  local waited=0
  while kill -0 "$flood_pid" 2>/dev/null; do
    sleep 1
    waited=$((waited + 1))
    # SCHED_FIFO once tern-flood's first progress line shows the link up
    # and traffic flowing: the memif link comes up through both processes'
    # control threads, which share a CPU with the other's polling loop and
    # took about a second under SCHED_FIFO (the first 80 legitimate SYNs
    # of every trial were lost and retransmitted). The first step is the
    # one without flood, so the measured floods all run under it.
    if [ "$rt_done" -eq 0 ] && grep -q '^t=[0-9]' "$tmp/flood.log"; then
      [ "$stack" = linux ] || make_rt "$server_pid"
      make_rt "$flood_pid"
      rt_done=1
      [ "$rt_prio" -eq 0 ] || say "SCHED_FIFO $rt_prio from t=${waited}s"
    fi
    [ "$waited" -lt "$limit" ] || { tern_kill "$flood_pid"; fail "tern-flood ran past ${limit} s"; }
  done
  wait "$flood_pid" || rc=$?
  flood_pid=""
  [ "$rc" -eq 0 ] || fail "tern-flood exited with status $rc"
  [ "$rt_prio" -eq 0 ] || [ "$rt_done" -eq 1 ] ||
    fail "--rt $rt_prio asked for, but tern-flood printed no progress line to apply it at"
}

start_machine_sampler
case "$scenario/$stack" in
  kernel_bypass/tern | kernel_bypass/bare)
    require_pmd memif
    sock="$tmp/memif.sock"
    srv_vdev="--vdev=net_memif0,role=server,socket=${sock},socket-abstract=no,mac=02:00:00:00:0e:01"
    if [ "$stack" = tern ]; then
      tern_config "$srv_vdev" net_memif0
      tern_args=(--config "$tmp/tern.toml")
      [ "$alternation_ms" -eq 0 ] ||
        tern_args+=(--reflect-alternation-ms "$alternation_ms")
      "$tern" "${tern_args[@]}" >"$tmp/server.log" 2>&1 &
      server_pid=$!
      wait_for "$tmp/server.log" "tern serving" "$server_pid" tern
      start_sampler
    else
      "$reflect" --no-huge -m 256 --no-pci -l 0 "$srv_vdev" \
        "--file-prefix=${prefixes[0]}" --log-level=pmd.net.memif:warning -- \
        --port net_memif0 --yield-every-us "$yield_every_us" \
        --yield-us "$yield_us" >"$tmp/server.log" 2>&1 &
      server_pid=$!
      wait_for "$tmp/server.log" "tern-reflect: reflecting" "$server_pid" tern-reflect
      flood_args+=(--target-mac 02:00:00:00:0e:01)
    fi
    run_flood "$flood" "${eal_flood[@]}" \
      "--vdev=net_memif0,role=client,socket=${sock},socket-abstract=no,mac=02:00:00:00:0e:02" \
      -- --port net_memif0 "${flood_args[@]}"
    ;;
  linux/tern | linux/linux)
    require_pmd "$veth_pmd"
    # net_af_xdp needs the kernel's AF_XDP sockets (CONFIG_XDP_SOCKETS;
    # family 44 in linux/socket.h): without them neither tern-flood nor tern
    # could open its port, which is this machine's limit, not a failure.
    # (A kernel with AF_XDP but without native XDP on veth, which would need
    # generic mode, has not been tried: this one attaches natively,
    # doc/flood.md.)
    if [ "$veth_pmd" = af_xdp ] && ! /usr/bin/python3 -c \
      'import socket; socket.socket(44, socket.SOCK_RAW).close()' 2>/dev/null; then
      skip "this kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS) for net_af_xdp"
    fi
    command -v ethtool >/dev/null || skip "ethtool is missing (scripts/setup)"
    made_ns=1
    netns_make "$gen_ns" noipv6
    netns_make "$srv_ns" noipv6
    # Checksums in the frames themselves (veth_join's "raw").
    veth_join "$gen_ns" "$gen_if" 02:00:00:00:0f:02 \
      "$srv_ns" "$srv_if" 02:00:00:00:0f:01 raw
    # veth_vdev IFACE: the --vdev argument for one veth end. net_af_xdp
    # binds queue 0 (start_queue's default), a veth's only queue unless
    # made with more.
    veth_vdev() {
      case "$veth_pmd" in
        af_packet) echo "--vdev=net_af_packet0,iface=$1,framecnt=${afp_frames}" ;;
        af_xdp) echo "--vdev=net_af_xdp0,iface=$1" ;;
      esac
    }
    veth_port=net_${veth_pmd}0
    if [ "$stack" = tern ]; then
      tern_config "$(veth_vdev "$srv_if")" "$veth_port"
      ip netns exec "$srv_ns" "$tern" --config "$tmp/tern.toml" >"$tmp/server.log" 2>&1 &
      server_pid=$!
      wait_for "$tmp/server.log" "tern serving" "$server_pid" tern
      start_sampler
    else
      command -v nginx >/dev/null || skip "nginx is missing (scripts/setup)"
      case "$mode" in
        syncookies=1) cookies=1 ;;
        syncookies=0) cookies=0 ;;
        *) fail "--mode for linux is syncookies=1 or syncookies=0" ;;
      esac
      ip -n "$srv_ns" addr add 198.18.0.1/24 dev "$srv_if"
      ip -n "$srv_ns" route add 198.19.0.0/16 via 198.18.0.2 dev "$srv_if"
      ip netns exec "$srv_ns" sysctl -qw net.ipv4.tcp_syncookies="$cookies"
      # The legitimate clients share one address and stand for many new
      # clients; Linux would otherwise learn that address as a proven peer
      # (tcp_peer_is_proven: an RTT in its TCP metrics) and, with cookies
      # off, keep admitting it when three quarters of the SYN queue are
      # taken, which no new client of a flooded server gets.
      ip netns exec "$srv_ns" sysctl -qw net.ipv4.tcp_no_metrics_save=1
      ip -n "$srv_ns" tcp_metrics flush all 2>/dev/null || true
      # The body tern's http service sends: 1024 bytes, no-store.
      head -c 1024 /dev/zero | tr '\0' 'x' >"$tmp/index.html"
      cat >"$tmp/nginx.conf" <<CONF
daemon off;
worker_processes 1;
worker_cpu_affinity 01;
pid $tmp/nginx.pid;
error_log $tmp/nginx_error.log warn;
events { worker_connections 65536; }
http {
  access_log off;
  client_body_temp_path $tmp;
  proxy_temp_path $tmp;
  fastcgi_temp_path $tmp;
  uwsgi_temp_path $tmp;
  scgi_temp_path $tmp;
  server {
    listen 198.18.0.1:80 backlog=4096;
    add_header Cache-Control no-store;
    location / { root $tmp; index index.html; }
  }
}
CONF
      ip netns exec "$srv_ns" nginx -c "$tmp/nginx.conf" -e "$tmp/nginx_error.log" \
        >"$tmp/server.log" 2>&1 &
      server_pid=$!
      for _ in $(seq 100); do
        ip netns exec "$srv_ns" ss -Hltn 'sport = :80' | grep -q LISTEN && break
        kill -0 "$server_pid" 2>/dev/null || fail "nginx exited during start-up"
        sleep 0.1
      done
    fi
    run_flood ip netns exec "$gen_ns" "$flood" "${eal_flood[@]}" \
      "$(veth_vdev "$gen_if")" -- --port "$veth_port" \
      "${flood_args[@]}"
    ;;
  *) fail "unknown scenario/stack $scenario/$stack" ;;
esac

# The server's own counters over the whole trial (all steps together) go
# into the document as "server_counters": tern's counter dump at exit, or
# the Linux namespace's SNMP counters (nstat; a fresh namespace starts at 0).
tern_kill "$sampler_pid"
sampler_pid=""
touch "$tmp/samples.txt"
tern_kill "$machine_pid"
machine_pid=""
touch "$tmp/machine.txt"
case "$stack" in
  tern)
    kill -TERM "$server_pid"
    rc=0
    wait "$server_pid" || rc=$?
    server_pid=""
    [ "$rc" -eq 0 ] || fail "tern exited with status $rc"
    # Every non-zero drop reason too: where a frame was lost is named.
    grep -E "^(listen\.[a-z_]+|tcp\.rst_sent|tcp_drop\.[a-z_]+|drop\.[a-z_]+|parse_drop\.[a-z_]+|rx_packets|tx_packets|tx_dropped_ring_full|reflected) [0-9]+$" \
      "$tmp/server.log" >"$tmp/counters.txt" || true
    grep -E "^reflect_phase " "$tmp/server.log" >"$tmp/phases.txt" || true
    ;;
  linux)
    ip netns exec "$srv_ns" nstat -az TcpExtSyncookiesSent TcpExtSyncookiesRecv \
      TcpExtSyncookiesFailed TcpExtListenOverflows TcpExtListenDrops \
      TcpExtTCPReqQFullDrop TcpExtTCPReqQFullDoCookies TcpPassiveOpens 2>/dev/null |
      awk '/^(Tcp)/ {print $1, $2}' >"$tmp/counters.txt" || true
    ;;
  bare)
    tern_kill "$server_pid"
    server_pid=""
    sed -n 's/^tern-reflect: rx \([0-9]*\) tx \([0-9]*\) tx_full \([0-9]*\).* yields \([0-9]*\)$/rx \1\ntx \2\ntx_full \3\nyields \4/p' \
      "$tmp/server.log" >"$tmp/counters.txt" || true
    ;;
esac
# Over the veth pair, the frames that reached the server's veth end and the
# ones it dropped there (with net_af_xdp, the frames its XDP program could
# not put in tern's socket), read while the namespace still exists; with
# tern, the frames lost before it are veth.rx_packets less its rx_packets.
if [ "$scenario" = linux ]; then
  ip -n "$srv_ns" -s -j link show "$srv_if" | /usr/bin/python3 -c '
import json, sys
rx = json.load(sys.stdin)[0]["stats64"]["rx"]
print("veth.rx_packets", rx["packets"])
print("veth.rx_dropped", rx["dropped"])' >>"$tmp/counters.txt" ||
    fail "could not read the counters of $srv_if"
fi
veth_pmd_used=""
[ "$scenario" = linux ] && veth_pmd_used=$veth_pmd
touch "$tmp/phases.txt"
/usr/bin/python3 - "$out" "$tmp/counters.txt" "$tmp/samples.txt" \
  "$tmp/machine.txt" "$here" "$veth_pmd_used" "$tmp/phases.txt" \
  "$alternation_ms" "$rt_prio" "$yield_every_us" "$yield_us" <<'PY'
import json, os, statistics, sys
sys.path.insert(0, sys.argv[5])
from machine_sampler import machine_interval  # noqa: E402
doc = json.load(open(sys.argv[1]))
# tern's cookie counters, frames and TX-ring drops always; its other listen
# and drop counters when non-zero.
always = {"listen.cookies_sent", "listen.cookies_validated",
          "listen.cookies_rejected_bad_mac", "listen.cookies_rejected_expired",
          "listen.cookies_rejected_bad_mss_index", "tcp.rst_sent",
          "tcp_drop.listen_rst", "rx_packets", "tx_packets",
          "tx_dropped_ring_full"}
counters = {}
for line in open(sys.argv[2]):
    name, value = line.split()
    if int(value) or name in always or not name.startswith(
            ("listen.", "tcp_drop.", "drop.", "parse_drop.")):
        counters[name] = int(value)
doc["server_counters"] = counters
# Per step, tern's counters over the step from the telemetry samples: the
# first sample at or after the step's start to the last at or before its
# end, so the interval lies inside the step (shorter by at most a sampling
# period at each end; interval_s says how long it was) and the neighbouring
# steps' traffic stays out.
samples = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]


def inside(records, start, end):
    """The records (time-ordered samples, each with "t") in [start, end]."""
    return [r for r in records if start <= r["t"] <= end]


keys = ["rx_packets", "tx_packets", "tx_dropped_ring_full",
        "listen.syns_received", "listen.cookies_sent",
        "listen.cookies_validated", "tcp.rst_sent", "tcp_drop.listen_rst",
        "loop.busy_cycles", "loop.stalls", "loop.stalled_us", "loop.yields"]
for step in doc["steps"]:
    within = inside(samples, step["start_unix_s"], step["end_unix_s"])
    if len(within) < 2:
        step["server_step"] = None
        continue
    a, b = within[0], within[-1]
    d = {"interval_s": round(b["t"] - a["t"], 3)}
    for k in keys:
        d[k] = b["stats"].get(k, 0) - a["stats"].get(k, 0)
    d["cycles_per_packet"] = (round(d["loop.busy_cycles"] / d["rx_packets"])
                              if d["rx_packets"] else None)
    step["server_step"] = d
# The machine per step and over the traffic, chosen as the server's
# intervals are (the samples inside), null when fewer than two fell in it.
machine = [json.loads(l) for l in open(sys.argv[4]) if l.strip()]
user_hz = os.sysconf("SC_CLK_TCK")


def machine_over(start, end):
    within = inside(machine, start, end)
    return machine_interval(within, user_hz) if len(within) >= 2 else None


for step in doc["steps"]:
    step["machine_step"] = machine_over(step["start_unix_s"],
                                        step["end_unix_s"])
doc["machine"] = {
    # /proc/stat counts in USER_HZ ticks: the shares' resolution is one
    # tick in interval_s * user_hz.
    "user_hz": user_hz,
    "traffic": machine_over(doc["steps"][0]["start_unix_s"],
                            doc["steps"][-1]["end_unix_s"])
    if doc["steps"] else None,
}
# --reflect-alternation-ms: tern's phases, and per step the pairs of a TCP
# phase and the reflect phase right after it, both wholly inside the step.
if int(sys.argv[8]):
    phases = []
    for line in open(sys.argv[7]):
        f = dict(kv.split("=", 1) for kv in line.split()[1:])
        ph = {"engine": int(f["engine"]), "index": int(f["index"]),
              "mode": f["mode"],
              "start_unix_s": int(f["start_unix_ns"]) / 1e9,
              "duration_s": int(f["duration_ns"]) / 1e9,
              "rx_packets": int(f["rx_packets"]),
              "tx_packets": int(f["tx_packets"]),
              "busy_cycles": int(f["busy_cycles"])}
        ph["tx_pps"] = (round(ph["tx_packets"] / ph["duration_s"], 1)
                        if ph["duration_s"] > 0 else None)
        ph["cycles_per_packet"] = (round(ph["busy_cycles"] / ph["rx_packets"])
                                   if ph["rx_packets"] else None)
        phases.append(ph)
    steps = []
    for step in doc["steps"]:
        lo, hi = step["start_unix_s"], step["end_unix_s"]
        within = [p for p in phases if p["start_unix_s"] >= lo and
                  p["start_unix_s"] + p["duration_s"] <= hi]
        pairs = []
        for a, b in zip(within, within[1:]):
            if (a["mode"] == "stack" and b["mode"] == "reflect" and
                    a["engine"] == b["engine"] and
                    b["index"] == a["index"] + 1 and b["tx_pps"]):
                pairs.append({"engine": a["engine"],
                              "stack_index": a["index"],
                              "stack_pps": a["tx_pps"],
                              "reflect_pps": b["tx_pps"],
                              "ratio": round(a["tx_pps"] / b["tx_pps"], 4),
                              "stack_cycles_per_packet": a["cycles_per_packet"],
                              "reflect_cycles_per_packet":
                                  b["cycles_per_packet"]})
        ratios = sorted(p["ratio"] for p in pairs)
        steps.append({
            "flood_pps_offered": step.get("flood_pps_offered"),
            "pairs": pairs,
            "median": round(statistics.median(ratios), 4) if ratios else None,
            "min": ratios[0] if ratios else None,
            "max": ratios[-1] if ratios else None})
    doc["reflect_alternation"] = {"phase_ms": int(sys.argv[8]),
                                  "phases": phases, "steps": steps}
# The DPDK driver on the veth ends (--veth-pmd), in the linux scenario.
if sys.argv[6]:
    doc["veth_pmd"] = sys.argv[6]
# How the polling loops ran: SCHED_FIFO priority (0: not raised) and their
# yield (0: none).
doc["rt_priority"] = int(sys.argv[9])
doc["yield_every_us"] = int(sys.argv[10])
doc["yield_us"] = int(sys.argv[11]) if int(sys.argv[10]) else 0
with open(sys.argv[1], "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
PY
say "done: $out"
