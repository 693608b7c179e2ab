#!/usr/bin/env python3
"""Writes the endpoint_fuzz seed corpus (tests/fuzz/corpus/endpoint/).

The format is endpoint_fuzz.cc's: steps of one op byte (op % 10) and its
operands. A segment (ops 0-3) is [op, port index, dst (15: port 81), flags,
mode, dseq(2), dack(2)], then raw seq and ack (2 bytes each, shifted left 16)
when the port has heard nothing or mode % 8 == 0, then window(2), an options
byte (1 MSS(2), 2 wscale(1), 4 SACK-permitted, 8 timestamps(1+2), 0x30 SACK
blocks, 0x40 payload length(2)). Mode bit 2 takes the sequence number the
endpoint expects, bit 4 the acknowledgment number. 4 advances the clock by
1 + U16 ms, 5 accepts, 6 sends [6, pick, len(2)], 7 receives [7, pick],
8 shuts down [8, pick], 9 closes [9, pick, abort if % 4 == 0].
"""
import os

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def syn(port=0):
    return bytes([0, port, 0, SYN, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0xFF, 0xFF,
                  0x01, 0x05, 0xB4])


def seg(flags, port=0, opts=0, extra=b""):
    # Mode 6: the expected seq and ack.
    return bytes([1, port, 0, flags, 6, 0, 0, 0, 0, 0xFF, 0xFF, opts]) + extra


def data(n, port=0):
    return seg(ACK | PSH, port, 0x40, bytes([n >> 8, n & 0xFF]))


ACCEPT = bytes([5])
SEND = lambda n: bytes([6, 0, n >> 8, n & 0xFF])
RECV = bytes([7, 0])
SHUT = bytes([8, 0])
CLOSE = bytes([9, 0, 1])
ABORT = bytes([9, 0, 0])
WAIT = lambda ms: bytes([4, ms >> 8, ms & 0xFF])

HS = syn() + seg(ACK)
SEEDS = {
    "handshake_data_passive_close": HS + ACCEPT + data(100) + RECV + SEND(300)
    + seg(ACK) + seg(FIN | ACK) + CLOSE + seg(ACK),
    "active_close_time_wait": HS + ACCEPT + CLOSE + seg(ACK) + seg(FIN | ACK)
    + WAIT(0xFFFF) + WAIT(0xFFFF),
    "retransmissions": HS + ACCEPT + SEND(4000) + WAIT(3000) + WAIT(6000)
    + seg(ACK),
    "two_peers_abort": HS + syn(1) + seg(ACK, 1) + ACCEPT + ABORT + data(10, 1),
    "shutdown_and_rst": HS + ACCEPT + SHUT + seg(RST),
    "sack_blocks": HS + ACCEPT + SEND(3000) + bytes([1, 0, 0, ACK, 6, 0, 0, 0,
                                                      0, 0xFF, 0xFF, 0x20, 0,
                                                      10, 0x02, 0x00]),
    "syn_flood_port_zero": syn(3) + syn(1) + syn(2) + WAIT(2000) + WAIT(60000),
}

if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "endpoint")
    os.makedirs(out, exist_ok=True)
    for name, body in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(body)
