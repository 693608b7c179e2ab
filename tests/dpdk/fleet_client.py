#!/usr/bin/python3
"""The client side of tests/dpdk/tern_fleet_test.sh (issue 14's scenario 4).

Two tern processes, A and B, serve the same address 198.18.0.1 and load the
same SYN-cookie secret file. This client, 198.18.0.2 on two interfaces (one
towards each server; it answers their ARP requests itself, the kernel has
no address here), plays the router that rehashes a flow between the
handshake's two halves:
1. a SYN to A; A answers with a cookie SYN-ACK; a final ACK one more than
   the cookie, with a request, to B: B must not complete it (a control: B
   really checks the cookie; it drops it or answers with a RST);
2. the right final ACK and "GET / HTTP/1.1" to B: B must complete the
   connection from the cookie A issued and answer "HTTP/1.1 200";
3. with SYNC_DIR: a SYN to A, then the secret rotation: the client creates
   SYNC_DIR/rotate and waits for SYNC_DIR/rotated (the test has written a
   new secret to the file and sent SIGHUP to both terns); the final ACK and
   request to B must still complete (the key A used is B's previous one);
4. with SYNC_DIR: a SYN to B, completed at A: both hosts now issue and
   validate under the new key.
Prints one line per step; exits 0 when all hold, 1 otherwise.

Usage: fleet_client.py IFACE_A MAC_A IFACE_B MAC_B [SYNC_DIR]
"""
import os
import random
import sys
import threading
import time

from scapy.all import (ARP, IP, TCP, AsyncSniffer, Ether, Raw,  # noqa: E402
                       conf, sendp)

conf.verb = 0
CLIENT = "198.18.0.2"
SERVER = "198.18.0.1"
# The client's MAC on both interfaces (locally administered).
CLIENT_MAC = "02:00:00:00:0d:02"
REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


class Client:
    def __init__(self, ifaces):
        self.seen = []
        self.lock = threading.Lock()
        self.sniffer = AsyncSniffer(iface=ifaces, prn=self.on_packet,
                                    store=False, filter="arp or tcp")
        self.sniffer.start()
        time.sleep(1.0)  # the sniffer's sockets are open

    def on_packet(self, p):
        if ARP in p and p[ARP].op == 1 and p[ARP].pdst == CLIENT:
            reply = Ether(dst=p[Ether].src, src=CLIENT_MAC) / ARP(
                op=2, hwsrc=CLIENT_MAC, psrc=CLIENT, hwdst=p[ARP].hwsrc,
                pdst=p[ARP].psrc)
            sendp(reply, iface=p.sniffed_on)
            return
        if TCP in p and p[IP].dst == CLIENT:
            with self.lock:
                self.seen.append((p.sniffed_on, p))

    def wait_for(self, iface, test, timeout=5.0):
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                for on, p in self.seen:
                    if on == iface and test(p):
                        return p
            time.sleep(0.02)
        return None

    def split(self, name, first, second, wrong_ack_first=False,
              between=None):
        """SYN to `first`, final ACK and request to `second`; True when
        `second` answers HTTP/1.1 200 (and, with wrong_ack_first, refused
        a wrong cookie before)."""
        (iface1, mac1), (iface2, mac2) = first, second
        sport = random.randint(20000, 60000)
        iss = random.getrandbits(32)

        def seg(mac, flags, seq, ack, payload=b""):
            pkt = Ether(src=CLIENT_MAC, dst=mac) / IP(
                src=CLIENT, dst=SERVER) / TCP(
                    sport=sport, dport=80, flags=flags, seq=seq, ack=ack,
                    window=64240,
                    options=[("MSS", 1460)] if flags == "S" else [])
            return pkt / Raw(payload) if payload else pkt

        sendp(seg(mac1, "S", iss, 0), iface=iface1)
        synack = self.wait_for(iface1, lambda p: p[TCP].dport == sport and
                               p[TCP].flags & 0x12 == 0x12)
        if synack is None:
            print("fleet_client: %s: no SYN-ACK to the SYN" % name)
            return False
        cookie = synack[TCP].seq
        print("fleet_client: %s: SYN answered with cookie %d" % (name, cookie))
        ok = True
        if between is not None:
            between()
        if wrong_ack_first:
            bad = (cookie + 2) & 0xffffffff
            sendp(seg(mac2, "A", iss + 1, bad), iface=iface2)
            sendp(seg(mac2, "PA", iss + 1, bad, REQUEST), iface=iface2)
            if self.wait_for(iface2, lambda p: p[TCP].dport == sport and
                             Raw in p, timeout=1.5) is not None:
                print("fleet_client: %s: data came back on a wrong cookie" %
                      name)
                ok = False
            else:
                print("fleet_client: %s: a wrong cookie was refused" % name)
        good = (cookie + 1) & 0xffffffff
        sendp(seg(mac2, "A", iss + 1, good), iface=iface2)
        sendp(seg(mac2, "PA", iss + 1, good, REQUEST), iface=iface2)
        data = self.wait_for(iface2, lambda p: p[TCP].dport == sport and
                             Raw in p and
                             bytes(p[Raw].load).startswith(b"HTTP/1.1 "))
        # End it: a RST at the next sequence number, so the server does not
        # retransmit to a client that is leaving.
        sendp(seg(mac2, "R", iss + 1 + len(REQUEST), 0), iface=iface2)
        if data is None:
            print("fleet_client: %s: no answer to the request on the cookie" %
                  name)
            return False
        status = bytes(data[Raw].load).split(b"\r\n", 1)[0].decode()
        print("fleet_client: %s: completed on the other host, answered %r" %
              (name, status))
        return ok and status.startswith("HTTP/1.1 200")


def main():
    iface_a, mac_a, iface_b, mac_b = sys.argv[1:5]
    sync = sys.argv[5] if len(sys.argv) > 5 else None
    a, b = (iface_a, mac_a), (iface_b, mac_b)
    c = Client([iface_a, iface_b])
    ok = c.split("A to B", a, b, wrong_ack_first=True)
    if sync is not None:
        def rotate():
            open(os.path.join(sync, "rotate"), "w").close()
            end = time.time() + 20
            while not os.path.exists(os.path.join(sync, "rotated")):
                if time.time() > end:
                    raise SystemExit("fleet_client: no rotation in 20 s")
                time.sleep(0.05)
            print("fleet_client: both hosts rotated the secret")

        ok = c.split("A to B across the rotation", a, b, between=rotate) and ok
        ok = c.split("B to A after the rotation", b, a) and ok
    c.sniffer.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
