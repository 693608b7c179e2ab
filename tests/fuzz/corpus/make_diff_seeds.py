#!/usr/bin/env python3
"""Writes the diff_fuzz seed corpus (tests/fuzz/corpus/diff/).

The input format is diff_fuzz.cc's: a scenario byte (0 a listener, 1 an
active open, 2 no socket), then steps. A segment step is
[op 0-5, ctl, seq mode, ack mode, d, len byte] followed by a raw 32-bit seq
(seq mode 5) and a raw 32-bit ack (ack mode 6); seq modes are relative to
the model's RCV.NXT (0 exact, 1 +1+d, 2 -1-d, 3 past the window +d, 4 -1,
6 the window's last octet), ack modes to SND.NXT / SND.UNA (0 SND.NXT,
1 SND.UNA, 2 inside, 3 SND.NXT+1+d, 4 SND.UNA-1-d, 5 SND.UNA-70000-d, 7 ISS);
a len byte b with b % 4 == 0 carries 1 + (b / 4) % 64 octets of text.
[6, n-1] is SEND of n octets, [7] is CLOSE.
"""
import os
import struct

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def seg(ctl, sm=0, am=0, d=0, lb=1, seq=None, ack=None):
    b = bytes([0, ctl, sm, am, d, lb])
    if sm == 5:
        b += struct.pack(">I", seq)
    if am == 6:
        b += struct.pack(">I", ack)
    return b


def data(n):
    return bytes([((n - 1) % 64) * 4])


SEND = lambda n: bytes([6, n - 1])
CLOSE = bytes([7])
PASSIVE_HS = bytes([0]) + seg(SYN, 5, seq=1000) + seg(ACK)
ACTIVE_HS = bytes([1]) + seg(SYN | ACK, 5, 0, seq=5000)

SEEDS = {
    "passive_data_passive_close": PASSIVE_HS + seg(ACK | PSH, lb=36) + SEND(20)
    + seg(ACK) + seg(FIN | ACK) + CLOSE + seg(ACK),
    "passive_active_close_time_wait": PASSIVE_HS + CLOSE + seg(ACK)
    + seg(FIN | ACK) + seg(ACK) + seg(FIN | ACK, 4) + seg(RST)
    + seg(SYN, 1, d=100),
    "established_rfc5961": PASSIVE_HS + seg(RST, 1, d=5) + seg(RST, 3)
    + seg(SYN) + seg(ACK, 0, 3) + seg(ACK, 0, 5) + seg(ACK | PSH, 2, 0, 3, 8)
    + seg(RST | ACK, 6) + seg(RST),
    "active_open_data_close": ACTIVE_HS + seg(ACK | PSH, lb=20) + SEND(64)
    + seg(ACK) + CLOSE + seg(FIN | ACK) + seg(ACK, 4),
    "simultaneous_open": bytes([1]) + seg(SYN, 5, seq=7000) + seg(SYN, 4)
    + seg(ACK) + SEND(5) + seg(ACK),
    "simultaneous_open_close": bytes([1]) + seg(SYN, 5, seq=7000) + CLOSE
    + seg(ACK) + seg(FIN | ACK),
    "simultaneous_close": PASSIVE_HS + CLOSE + seg(FIN | ACK, 0, 1)
    + seg(ACK),
    "closed_port": bytes([2]) + seg(SYN, 5, seq=1) + seg(ACK, 5, 6, seq=2,
                                                           ack=3)
    + seg(RST, 5, seq=9) + seg(FIN, 5, seq=4) + seg(0, 5, lb=8, seq=10),
    "orphan_data_reset": PASSIVE_HS + CLOSE + seg(ACK) + seg(ACK | PSH, lb=40),
    "listen_bad_segments": bytes([0]) + seg(ACK, 5, 6, seq=1, ack=2)
    + seg(RST, 5, seq=1) + seg(SYN | FIN, 5, seq=1) + seg(FIN, 5, seq=1),
    "syn_received": bytes([0]) + seg(SYN, 5, seq=1000) + seg(SYN, 4)
    + seg(ACK, 0, 3) + seg(ACK, 3) + seg(RST, 1, d=1) + seg(RST),
    "syn_sent_bad_acks": bytes([1]) + seg(ACK, 5, 7, seq=1)
    + seg(RST | ACK, 5, 3, seq=1) + seg(RST, 5, seq=1)
    + seg(SYN | ACK, 5, 3, seq=1) + seg(SYN | ACK, 5, 0, seq=1),
    "close_wait_last_ack": PASSIVE_HS + seg(FIN | ACK) + SEND(10)
    + seg(ACK | PSH, 0, 0, 0, 4) + CLOSE + seg(ACK, 0, 1) + seg(ACK),
}

if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "diff")
    os.makedirs(out, exist_ok=True)
    for name, body in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(body)
