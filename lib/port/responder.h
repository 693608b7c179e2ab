// Responder: tern's answers below TCP, ARP replies (RFC 826) and ICMP echo
// replies (RFC 792, RFC 1122 section 3.2.2.6), as a pure function on bytes.
//
// Contract:
// - Respond(frame, out) looks at one received Ethernet frame and either
//   writes the complete reply frame into `out` (returning its length) or
//   returns 0 after incrementing exactly one drop counter: the wire layer's
//   reason in parse_drops, or a PortDrop in drops. It also counts the reply
//   (arp_replies, icmp_echo_replies). `frame` and `out` must not overlap.
// - Answered: ARP requests whose target is our address, from any sender
//   including probes with sender 0.0.0.0 (RFC 5227 section 2.1.1); ICMP echo
//   requests to our address from a unicast source. A VLAN tag on the request
//   is kept on the reply.
// - Replies are padded to the Ethernet minimum of 60 bytes without FCS
//   (IEEE 802.3 clause 3.2.8: 64 bytes with the 4-byte FCS).
// - No DPDK, no clock, no allocation: the caller owns both buffers.
#ifndef TERN_LIB_PORT_RESPONDER_H_
#define TERN_LIB_PORT_RESPONDER_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/port/port_counters.h"
#include "lib/wire/addr.h"

namespace tern::port {

inline constexpr size_t kEthMinFrameLen = 60;  // IEEE 802.3 3.2.8, minus FCS

class Responder {
 public:
  Responder(wire::MacAddr mac, wire::Ipv4Addr ip, PortCounters* counters)
      : mac_(mac), ip_(ip), counters_(counters) {}

  size_t Respond(std::span<const uint8_t> frame, std::span<uint8_t> out);

 private:
  size_t Drop(PortDrop reason);
  size_t ParseDrop(wire::WireError reason);

  wire::MacAddr mac_;
  wire::Ipv4Addr ip_;
  PortCounters* counters_;
};

}  // namespace tern::port

#endif  // TERN_LIB_PORT_RESPONDER_H_
