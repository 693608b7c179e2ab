#!/usr/bin/python3
"""Kernel-TCP clients for tern's end-to-end tests (tests/dpdk/tern_e2e_test.sh).

Each subcommand drives the Linux kernel's own TCP against a running tern and
exits 0 when what it saw matches what it expects, 1 (with a message) when
not. Everything is bounded in time (socket timeouts) and in count. Only the
Python standard library is used.

  echo HOST PORT BYTES           send BYTES random bytes, receive them back,
                                 compare SHA-256 digests
  shutwr HOST PORT BYTES         send BYTES, shutdown(SHUT_WR), then read until
                                 EOF: every byte must come back
  refused HOST PORT              connect must fail with ECONNREFUSED (RST)
  http-close HOST PORT N         N requests with "Connection: close": tern
                                 closes first (tern enters TIME-WAIT)
  client-close HOST PORT N       N connections that send a line and close
                                 first (Linux enters TIME-WAIT)
  hold HOST PORT SECONDS         keep one connection open, idle, then close
  telemetry SOCKET CMD [KEY...]  run a telemetry command on DPDK's v2 socket
                                 and print KEY=VALUE for each KEY (0 if absent);
                                 with no KEY, print the reply as JSON
"""

import hashlib
import json
import os
import socket
import sys
import threading
import time

TIMEOUT = 20.0


def fail(msg):
    print(f"e2e_clients: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def connect(host, port):
    s = socket.create_connection((host, port), timeout=TIMEOUT)
    s.settimeout(TIMEOUT)
    return s


def recv_all(s, limit):
    chunks = []
    n = 0
    while n < limit:
        b = s.recv(min(65536, limit - n))
        if not b:
            break
        chunks.append(b)
        n += len(b)
    return b"".join(chunks)


def cmd_echo(host, port, size):
    data = os.urandom(size)
    s = connect(host, port)
    err = []

    def sender():
        try:
            s.sendall(data)
        except OSError as e:  # reported after the join
            err.append(e)

    t = threading.Thread(target=sender)
    t.start()
    got = recv_all(s, size)
    t.join(TIMEOUT)
    s.close()
    if err:
        fail(f"echo: send failed: {err[0]}")
    if len(got) != size:
        fail(f"echo: received {len(got)} of {size} bytes")
    a = hashlib.sha256(data).hexdigest()
    b = hashlib.sha256(got).hexdigest()
    if a != b:
        fail(f"echo: digest {b} != sent {a}")
    print(f"echo: {size} bytes round-tripped, sha256 {a[:16]}")


def cmd_shutwr(host, port, size):
    data = os.urandom(size)
    s = connect(host, port)
    got = []

    def reader():
        got.append(recv_all(s, size + 1))

    t = threading.Thread(target=reader)
    t.start()
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    t.join(TIMEOUT)
    s.close()
    if not got:
        fail("shutwr: reader did not finish")
    if got[0] != data:
        fail(f"shutwr: got {len(got[0])} bytes back after SHUT_WR, sent {size}")
    print(f"shutwr: all {size} bytes received after shutdown(SHUT_WR), then EOF")


def cmd_refused(host, port):
    try:
        s = socket.create_connection((host, port), timeout=5.0)
    except ConnectionRefusedError:
        print(f"refused: connect to {host}:{port} got RST (ECONNREFUSED)")
        return
    except OSError as e:
        fail(f"refused: expected ECONNREFUSED, got {e}")
    s.close()
    fail(f"refused: connect to closed port {port} succeeded")


def cmd_http_close(host, port, n):
    for i in range(n):
        s = connect(host, port)
        s.sendall(b"GET / HTTP/1.1\r\nHost: tern\r\nConnection: close\r\n\r\n")
        resp = recv_all(s, 1 << 20)  # until tern's FIN
        s.close()
        if not resp.startswith(b"HTTP/1.1 200"):
            fail(f"http-close: request {i}: {resp[:40]!r}")
    print(f"http-close: {n} responses, each ended by tern's FIN")


def cmd_client_close(host, port, n):
    for _ in range(n):
        s = connect(host, port)
        s.sendall(b"bye\n")
        s.close()  # we close first: TIME-WAIT is ours
    print(f"client-close: {n} connections closed by the client first")


def cmd_hold(host, port, seconds):
    s = connect(host, port)
    time.sleep(seconds)
    s.close()


def cmd_telemetry(path, cmd, keys):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5.0)
    s.connect(path)
    info = json.loads(s.recv(16384).decode())
    s.send(cmd.encode())
    reply = json.loads(s.recv(int(info.get("max_output_len", 16384))).decode())
    s.close()
    values = reply.get(cmd.split(",")[0]) or {}
    if not keys:
        print(json.dumps(values, indent=1, sort_keys=True))
    for k in keys:
        # "tcp.passive_opens" is {"tcp": {"passive_opens": n}} (telemetry
        # names allow no dot); absent means zero.
        v = values
        for part in k.split(".", 1):
            v = v.get(part, {}) if isinstance(v, dict) else {}
        print(f"{k}={v if isinstance(v, int) else 0}")


def main(argv):
    if len(argv) < 2:
        fail(__doc__)
    c = argv[1]
    if c == "echo":
        cmd_echo(argv[2], int(argv[3]), int(argv[4]))
    elif c == "shutwr":
        cmd_shutwr(argv[2], int(argv[3]), int(argv[4]))
    elif c == "refused":
        cmd_refused(argv[2], int(argv[3]))
    elif c == "http-close":
        cmd_http_close(argv[2], int(argv[3]), int(argv[4]))
    elif c == "client-close":
        cmd_client_close(argv[2], int(argv[3]), int(argv[4]))
    elif c == "hold":
        cmd_hold(argv[2], int(argv[3]), float(argv[4]))
    elif c == "telemetry":
        cmd_telemetry(argv[2], argv[3], argv[4:])
    else:
        fail(f"unknown subcommand {c}")


if __name__ == "__main__":
    main(sys.argv)
