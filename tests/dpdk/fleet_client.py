#!/usr/bin/python3
"""The client side of tests/dpdk/tern_fleet_test.sh (issue 14's scenario 4).

Two tern processes, A and B, serve the same address 198.18.0.1 and load the
same SYN-cookie secret file. This client, 198.18.0.2 on two interfaces (one
towards each server; it answers their ARP requests itself, the kernel has
no address here), plays the router that rehashes a flow between the
handshake's two halves:
1. a SYN to A through IFACE_A; A answers with a cookie SYN-ACK;
2. a final ACK whose acknowledgment number is one more than the cookie's,
   sent to B through IFACE_B: B must not complete it (a control: B really
   checks the cookie; it drops it or answers with a RST);
3. the right final ACK and then "GET / HTTP/1.1" to B through IFACE_B: B
   must complete the connection from the cookie A issued and answer
   "HTTP/1.1 200".
Prints one line per step; exits 0 when all three hold, 1 otherwise.

Usage: fleet_client.py IFACE_A MAC_A IFACE_B MAC_B
"""
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


def main():
    iface_a, mac_a, iface_b, mac_b = sys.argv[1:5]
    seen = []
    lock = threading.Lock()

    def on_packet(p):
        if ARP in p and p[ARP].op == 1 and p[ARP].pdst == CLIENT:
            reply = Ether(dst=p[Ether].src, src=CLIENT_MAC) / ARP(
                op=2, hwsrc=CLIENT_MAC, psrc=CLIENT, hwdst=p[ARP].hwsrc,
                pdst=p[ARP].psrc)
            sendp(reply, iface=p.sniffed_on)
            return
        if TCP in p and p[IP].dst == CLIENT:
            with lock:
                seen.append((p.sniffed_on, p))

    sniffer = AsyncSniffer(iface=[iface_a, iface_b], prn=on_packet,
                           store=False, filter="arp or tcp")
    sniffer.start()
    time.sleep(1.0)  # the sniffer's sockets are open

    def wait_for(iface, test, timeout=5.0):
        end = time.time() + timeout
        while time.time() < end:
            with lock:
                for on, p in seen:
                    if on == iface and test(p):
                        return p
            time.sleep(0.02)
        return None

    sport = random.randint(20000, 60000)
    iss = random.getrandbits(32)
    ok = True

    def seg(mac, flags, seq, ack, payload=b""):
        pkt = Ether(src=CLIENT_MAC, dst=mac) / IP(src=CLIENT, dst=SERVER) / TCP(
            sport=sport, dport=80, flags=flags, seq=seq, ack=ack,
            window=64240, options=[("MSS", 1460)] if flags == "S" else [])
        return pkt / Raw(payload) if payload else pkt

    # 1. SYN to A.
    sendp(seg(mac_a, "S", iss, 0), iface=iface_a)
    synack = wait_for(iface_a, lambda p: p[TCP].dport == sport and
                      p[TCP].flags & 0x12 == 0x12)
    if synack is None:
        print("fleet_client: A sent no SYN-ACK")
        sniffer.stop()
        return 1
    cookie = synack[TCP].seq
    print("fleet_client: A answered the SYN with SYN-ACK seq %d" % cookie)

    # 2. A wrong final ACK to B (control): no connection may come of it.
    sendp(seg(mac_b, "A", iss + 1, (cookie + 2) & 0xffffffff), iface=iface_b)
    sendp(seg(mac_b, "PA", iss + 1, (cookie + 2) & 0xffffffff,
              b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), iface=iface_b)
    bogus = wait_for(iface_b, lambda p: p[TCP].dport == sport and
                     Raw in p, timeout=1.5)
    if bogus is not None:
        print("fleet_client: B answered data to a wrong cookie")
        ok = False
    else:
        print("fleet_client: B refused the wrong cookie")

    # 3. The right final ACK and a request to B.
    sendp(seg(mac_b, "A", iss + 1, (cookie + 1) & 0xffffffff), iface=iface_b)
    request = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    sendp(seg(mac_b, "PA", iss + 1, (cookie + 1) & 0xffffffff, request),
          iface=iface_b)
    data = wait_for(iface_b, lambda p: p[TCP].dport == sport and Raw in p
                    and bytes(p[Raw].load).startswith(b"HTTP/1.1 "))
    if data is None:
        print("fleet_client: B did not answer the request on A's cookie")
        ok = False
    else:
        status = bytes(data[Raw].load).split(b"\r\n", 1)[0].decode()
        print("fleet_client: B completed A's handshake and answered %r" %
              status)
        ok = ok and status.startswith("HTTP/1.1 200")
    # End it: a RST so B does not retransmit to a client that is leaving.
    sendp(seg(mac_b, "R", iss + 1 + len(request), 0), iface=iface_b)
    sniffer.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
