#!/usr/bin/env python3
"""Writes the sock_fuzz seed corpus (tests/fuzz/corpus/sock/).

The format is sock_fuzz.cc's: op bytes (op % 16) and operands. 0-3 a peer
segment [op, which, flags, mode, dseq(2), dack(2), (raw seq(4) ack(4) when
mode % 8 == 0 or no flow), window(2), len byte]; which % 4 == 0 aims at port
80 from a fresh remote port, otherwise at a flow the endpoint sent to; mode
bit 2 takes the expected seq, bit 4 the expected ack. 4 advance [4, ms(2)],
5 socket [5, nonblock], 6 bind [6, pick, local?, port80?(, port(2))],
7 listen [7, pick, backlog], 8 accept [8, pick, flags], 9 connect
[9, pick, port8080?(, port(2))], 10 send [10, pick, n(2), flags], 11 recv
[11, pick, n(2), flags], 12 shutdown [12, pick, how], 13 close [13, pick],
14 socket option [14, pick, option, mode, 16 value bytes], 15 poll/epoll
[15, mode, pick...]. A pick byte b chooses fds[b % (n + 1)], n meaning a
descriptor that is not open.
"""
import os

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def seg(which, flags, mode=6, raw=None, lb=0):
    b = bytes([0, which, flags, mode, 0, 0, 0, 0])
    if raw is not None:
        b += raw[0].to_bytes(4, "big") + raw[1].to_bytes(4, "big")
    return b + bytes([0xFF, 0xFF, lb])


SOCKET = bytes([5, 1])
BIND80 = bytes([6, 0, 1, 1])
LISTEN = bytes([7, 0, 16])
ACCEPT = bytes([8, 0, 1])
CONNECT = bytes([9, 0, 1])
SEND = lambda pick, n: bytes([10, pick, n >> 8, n & 0xFF, 1])
RECV = lambda pick: bytes([11, pick, 0x10, 0x00, 2])
CLOSE = lambda pick: bytes([13, pick])
WAIT = lambda ms: bytes([4, ms >> 8, ms & 0xFF])
POLL = bytes([15, 0, 0])

SEEDS = {
    "listen_accept_echo_close": SOCKET + BIND80 + LISTEN
    + seg(0, SYN, 0, (1000, 0)) + seg(1, ACK) + ACCEPT + POLL
    + seg(1, ACK | PSH, lb=21) + RECV(1) + SEND(1, 100) + seg(1, ACK)
    + CLOSE(1) + seg(1, ACK) + seg(1, FIN | ACK) + CLOSE(0) + WAIT(0xFFFF),
    "connect_send_reset": SOCKET + CONNECT + seg(1, SYN | ACK, 4, (5000, 0))
    + SEND(0, 3000) + seg(1, ACK) + seg(1, RST) + RECV(0) + CLOSE(0),
    "epoll_and_options": SOCKET + bytes([15, 3, 0]) + bytes([15, 1, 0])
    + bytes([14, 0, 6, 0x80]) + bytes(16) + bytes([14, 0, 4, 0xC1])
    + bytes([1, 0, 0, 0, 0, 0, 0, 0]) + bytes(8) + CONNECT + bytes([15, 9, 0])
    + bytes([14, 0, 11, 4]) + bytes(16),
    "shutdown_half_close": SOCKET + CONNECT + seg(1, SYN | ACK, 4, (5000, 0))
    + bytes([12, 0, 1]) + seg(1, ACK) + seg(1, FIN | ACK) + RECV(0)
    + CLOSE(0) + WAIT(60000),
}

if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sock")
    os.makedirs(out, exist_ok=True)
    for name, body in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(body)
