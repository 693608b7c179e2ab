#!/usr/bin/env bash
# Side by side on this machine: tern over net_tap versus nginx (Debian's
# nginx-light) over a veth pair, measured with the same kernel clients and
# the same settings in one run, and the ratio of the two.
#
# Layout (everything in namespaces this script makes, addresses from the
# RFC 2544 benchmarking range 198.18.0.0/15):
#   namespace tsb_cli: the clients (ab, wrk); tern's TAP interface
#     198.18.0.2/24 -> tern at 198.18.0.1; a veth end 198.18.1.2/24
#   namespace tsb_srv: the other veth end 198.18.1.1/24, nginx on port 80
# Both servers answer GET / with a 1024-byte body, keep-alive allowed; both
# get one core: tern runs one engine pinned to CPU 1 (-l 1, busy polling),
# nginx one worker pinned to CPU 1; the clients are pinned to CPU 0. The
# kernel's own work for the veth path (softirq) lands where it runs, which
# is part of what the comparison measures.
#
# Usage: bench/sidebyside.sh [BUILD_DIR] ; env: SB_REQUESTS (ab, 20000),
# SB_SECONDS (wrk, 5), SB_PERF=1 to record `perf` profiles of both servers
# during wrk and print their top symbols.
# Needs root; prints a table; removes what it made, also on failure.
set -euo pipefail

cd "$(dirname "$0")/.."
. tests/dpdk/tern_lib.sh
build=${1:-build}
requests=${SB_REQUESTS:-20000}
seconds=${SB_SECONDS:-5}
tern="$build/app/tern/tern"

tern_test_init sidebyside stderr
require_root "namespaces, TAP devices"
for t in ab wrk nginx taskset ip; do
  command -v "$t" >/dev/null || fail "$t missing (scripts/setup)"
done
[ -x "$tern" ] || fail "$tern missing (ninja -C $build)"
require_cores 2 "tern and nginx pinned apart"

id=$$
cli=tsb_cli_$id
srv=tsb_srv_$id
tap=tsb$id
prefix=tsb_$id
tmp=$(mktemp -d /tmp/tern_sidebyside.XXXXXX)
tern_pid=""
nginx_pid=""
cleanup() {
  local rc=$?
  tern_kill "${tern_pid:-${TERN_PID:-}}"
  tern_kill "$nginx_pid"
  ip netns del "$cli" 2>/dev/null || true
  ip netns del "$srv" 2>/dev/null || true
  rm -rf "/var/run/dpdk/$prefix" "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

netns_make "$cli"
netns_make "$srv"
veth_join "$cli" "v${id}c" "" "$srv" "v${id}s" ""
ip -n "$cli" addr add 198.18.1.2/24 dev "v${id}c"
ip -n "$srv" addr add 198.18.1.1/24 dev "v${id}s"

# nginx: one worker on CPU 1, a 1024-byte body, no logging.
head -c 1024 /dev/zero | tr '\0' 'x' >"$tmp/index.html"
cat >"$tmp/nginx.conf" <<CONF
daemon off;
worker_processes 1;
worker_cpu_affinity 10;
pid $tmp/nginx.pid;
error_log $tmp/nginx_error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $tmp;
  proxy_temp_path $tmp;
  fastcgi_temp_path $tmp;
  uwsgi_temp_path $tmp;
  scgi_temp_path $tmp;
  server {
    listen 198.18.1.1:80 backlog=4096;
    location / { root $tmp; index index.html; }
  }
}
CONF
ip netns exec "$srv" nginx -c "$tmp/nginx.conf" -e "$tmp/nginx_error.log" &
nginx_pid=$!

# tern: one engine on CPU 1, busy polling.
cat >"$tmp/tern.toml" <<TOML
[eal]
args = ["--no-huge", "-m", "512", "--no-pci", "-l", "1",
        "--vdev=net_tap0,iface=${tap}", "--file-prefix=${prefix}"]
[port]
name = "net_tap0"
mbufs = 16383
idle_sleep_us = 0
[ip]
address = "198.18.0.1"
[tcp]
max_connections = 65536
[[listener]]
port = 80
service = "http"
http_body_bytes = 1024
TOML
tern_start "$tern" "$tmp/tern.toml" "$tmp/tern.log" --duration 600 ||
  fail "tern did not start"
tern_pid=$TERN_PID
ip link set "$tap" netns "$cli"
ip -n "$cli" link set "$tap" address 02:00:c6:12:00:02
ip -n "$cli" addr add 198.18.0.2/24 dev "$tap"
ip -n "$cli" link set "$tap" up
sleep 1

client() { ip netns exec "$cli" taskset -c 0 "$@"; }
client curl -sf -o /dev/null http://198.18.0.1/ || fail "tern does not answer"
client curl -sf -o /dev/null http://198.18.1.1/ || fail "nginx does not answer"

run_ab() {
  local perf_pid=""
  if [ "${SB_PERF:-0}" = 1 ]; then
    perf record -o "$tmp/perf_ab_$2.data" -p "$3" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  client ab -q -n "$requests" -c 100 -s 10 "http://$1/" >"$tmp/ab_$2.txt" 2>&1
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" || true
  fi
  awk '/^Requests per second/ { print $4 }' "$tmp/ab_$2.txt"
}
run_wrk() {
  local perf_pid=""
  if [ "${SB_PERF:-0}" = 1 ]; then
    perf record -o "$tmp/perf_$2.data" -p "$3" -- sleep "$seconds" \
      >/dev/null 2>&1 &
    perf_pid=$!
  fi
  client wrk -t1 -c50 -d"${seconds}s" "http://$1/" >"$tmp/wrk_$2.txt" 2>&1
  [ -z "$perf_pid" ] || wait "$perf_pid" || true
  awk '/^Requests\/sec/ { print $2 }' "$tmp/wrk_$2.txt"
}

nginx_worker=$(pgrep -P "$nginx_pid" -f "nginx: worker" | head -n1 || true)
[ -n "$nginx_worker" ] || nginx_worker=$nginx_pid
ab_tern=$(run_ab 198.18.0.1 tern "$tern_pid")
ab_nginx=$(run_ab 198.18.1.1 nginx "$nginx_worker")
wrk_tern=$(run_wrk 198.18.0.1 tern "$tern_pid")
wrk_nginx=$(run_wrk 198.18.1.1 nginx "$nginx_worker")
for f in "$tmp"/ab_*.txt; do
  grep -q "^Failed requests: *0" "$f" || fail "$(basename "$f"): failed requests"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "sidebyside: ab -n $requests -c 100 (new connection per request), wrk -t1 -c50 -d${seconds}s (keep-alive), clients on CPU 0, servers on CPU 1"
printf '%-28s %14s %14s %8s\n' "client" "tern (tap)" "nginx (veth)" "ratio"
printf '%-28s %14s %14s %8s\n' "ab connections/s" "$ab_tern" "$ab_nginx" "$(ratio "$ab_tern" "$ab_nginx")"
printf '%-28s %14s %14s %8s\n' "wrk requests/s" "$wrk_tern" "$wrk_nginx" "$(ratio "$wrk_tern" "$wrk_nginx")"
if [ "${SB_PERF:-0}" = 1 ]; then
  for s in tern nginx ab_tern ab_nginx; do
    echo "sidebyside: perf, $s (wrk unless ab_; top 12 symbols, self time)"
    perf report -i "$tmp/perf_$s.data" --sort dso,symbol --stdio 2>/dev/null |
      grep -E '^ +[0-9.]+%' | head -n 12 | sed -E 's/ +$//'
    echo "sidebyside: perf, $s: share of samples in the kernel"
    perf report -i "$tmp/perf_$s.data" --sort dso --stdio 2>/dev/null |
      grep -E '^ +[0-9.]+%' | head -n 4 | sed -E 's/ +$//' 
  done
fi
