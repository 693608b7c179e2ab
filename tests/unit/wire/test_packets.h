// Known-good packets shared by the wire tests.
#ifndef TERN_TESTS_UNIT_WIRE_TEST_PACKETS_H_
#define TERN_TESTS_UNIT_WIRE_TEST_PACKETS_H_

#include <array>
#include <cstdint>

#include "lib/wire/addr.h"

namespace tern::wire::testing {

inline constexpr Ipv4Addr kSynSrc = Ipv4Addr::FromOctets(10, 0, 0, 1);
inline constexpr Ipv4Addr kSynDst = Ipv4Addr::FromOctets(10, 0, 0, 2);

// A Linux-style SYN, IPv4 header + TCP header, checksums computed by scapy
// 2.5.0, independently of tern:
//   /usr/bin/python3 -c 'from scapy.all import *;
//     p = IP(src="10.0.0.1", dst="10.0.0.2", id=0x1c46, flags="DF", ttl=64)/
//         TCP(sport=40000, dport=80, seq=0x12345678, flags="S", window=64240,
//             options=[("MSS",1460),("SAckOK",b""),("Timestamp",(1000,0)),
//                      ("NOP",None),("WScale",7)]);
//     print(bytes(p).hex())'
// IP checksum 0x0a74, TCP checksum 0x2fe8.
inline constexpr std::array<uint8_t, 60> kScapySyn = {
    // IPv4
    0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0x0a, 0x74,
    0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
    // TCP: ports, seq, ack, doff 10 + SYN, window, checksum, urgent
    0x9c, 0x40, 0x00, 0x50, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x00, 0x00,
    0xa0, 0x02, 0xfa, 0xf0, 0x2f, 0xe8, 0x00, 0x00,
    // options: MSS 1460, SACK-perm + TS(1000, 0), NOP, wscale 7
    0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x00, 0x03, 0xe8,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07};

inline constexpr size_t kScapySynIpLen = 20;

}  // namespace tern::wire::testing

#endif  // TERN_TESTS_UNIT_WIRE_TEST_PACKETS_H_
