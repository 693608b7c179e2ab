#!/usr/bin/python3
"""Samples tern's counters over DPDK telemetry during a flood trial.

Usage: telemetry_sampler.py SOCKET OUT [PERIOD_S]

Connects to tern's telemetry socket (DPDK's v2 protocol: a SOCK_SEQPACKET
Unix socket at /var/run/dpdk/<file-prefix>/dpdk_telemetry.v2 that sends an
information object on connect and answers each command with one JSON
object), asks "/tern/stats" every PERIOD_S seconds (default 0.25) and
appends one line per answer to OUT: {"t": wall-clock seconds, "stats":
{counter: value}} (the non-zero counters summed over engines, with tern's
dotted names: telemetry nests "listen.cookies_sent" as {"listen":
{"cookies_sent": n}}, and this flattens it back). Waits up to
10 s for the socket; stops on SIGTERM or when tern closes the socket.
bench/synflood/scenario.sh reads OUT to give each flood step tern's own
counters over that step.
"""
import json
import signal
import socket
import sys
import time

running = True


def stop(*_):
    global running
    running = False


def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flatten(v, prefix + k + "."))
        else:
            out[prefix + k] = v
    return out


def main():
    path, out = sys.argv[1], sys.argv[2]
    period = float(sys.argv[3]) if len(sys.argv) > 3 else 0.25
    signal.signal(signal.SIGTERM, stop)
    sock = None
    for _ in range(100):
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            sock.connect(path)
            break
        except OSError:
            sock.close()
            sock = None
            time.sleep(0.1)
    if sock is None:
        print("telemetry_sampler: no socket at %s" % path, file=sys.stderr)
        return 1
    sock.recv(16384)  # the information object
    with open(out, "a") as f:
        while running:
            try:
                sock.send(b"/tern/stats")
                reply = sock.recv(1 << 20)
            except OSError:
                break
            if not reply:
                break
            t = time.time()
            stats = flatten(json.loads(reply.decode()).get("/tern/stats") or {})
            f.write(json.dumps({"t": t, "stats": stats}) + "\n")
            f.flush()
            time.sleep(period)
    return 0


if __name__ == "__main__":
    sys.exit(main())
