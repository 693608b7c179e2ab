// PortCounters: what one port's loop did, every drop under a named reason.
//
// Contract: one writer (the lcore that polls the port), lock-free readers (see
// lib/base/counters.h). Every received packet ends in exactly one of: a reply
// counted under `tx_*`, a parse drop under `parse_drops` (the wire layer's
// reason), a policy drop under `drops` (a PortDrop reason), or a frame an RX
// tap took (`rx_tapped`, Engine::set_rx_tap), or a frame sent back in
// reflect mode (`reflected`, Engine::set_reflect). Transmit-side
// losses are counted separately because they are not tied to one received
// packet. ForEach visits every counter under a stable snake_case name, the
// name the counter dump and the docs use.
#ifndef TERN_LIB_PORT_PORT_COUNTERS_H_
#define TERN_LIB_PORT_PORT_COUNTERS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "lib/base/counters.h"
#include "lib/wire/wire_error.h"

namespace tern::port {

// Packets that parsed correctly but that this endpoint does not handle.
// Ethertypes other than IPv4 and ARP are rejected by the wire layer and
// counted as parse_drop.eth_unsupported_type.
enum class PortDrop : uint8_t {
  // Ethernet destination is neither our MAC nor broadcast.
  kNotForUsMac,
  // ARP or IPv4 target address is not ours.
  kNotForUsIp,
  // IPv4 protocol other than ICMP and TCP (UDP, ...).
  kUnsupportedIpProtocol,
  // ICMP message of a type the wire layer parses but tern does not answer
  // (echo reply, destination unreachable, time exceeded). Types the wire
  // layer does not know are parse_drop.icmp_unsupported_type.
  kIcmpNotEchoRequest,
  // ARP reply or other ARP operation we do not act on.
  kArpNotRequest,
  // Source address we never answer: broadcast or multicast MAC, or an IPv4
  // source in 0/8, 127/8, multicast, reserved or broadcast
  // (wire::CheckSource: RFC 1122 3.2.1.3, RFC 9293 MUST-63).
  kBadSource,
  // IPv4 source equal to our own address (a "land" packet,
  // wire::SourceCheck::kOwnAddress).
  kLandSource,
  // A chained (multi-segment) frame longer than the engine's 9018-byte
  // gather buffer (jumbo Ethernet plus a VLAN tag): not read.
  kFrameTooLong,
  // No mbuf for a reply.
  kNoMbuf,
  // The reply would not fit in one mbuf's data room.
  kReplyTooLarge,
  // The NIC flagged a bad IPv4 or TCP checksum (RTE_MBUF_F_RX_*_CKSUM_BAD).
  kNicBadIpChecksum,
  kNicBadL4Checksum,
  // Software steering: the owning lcore's ring was full.
  kSteeringRingFull,
  // ICMP source quench (RFC 6633: ignored) or redirect (tern routes
  // through its configured gateway only).
  kIcmpErrorIgnored,
  // ICMP error whose quoted datagram is not an IPv4 header and 8 bytes of
  // its payload (RFC 792).
  kIcmpQuoteMalformed,
  // ICMP error about a datagram that is not a TCP segment from tern's
  // address.
  kIcmpNotAboutUs,
  // Outgoing segment to an address off-link with no gateway configured.
  kNoRoute,
  // Outgoing segment whose next hop has a full ARP pending queue, a full
  // ARP table, or no answer after the last ARP request.
  kArpPendingFull,
  kArpTableFull,
  kArpUnresolved,
  // Outgoing segment larger than one mbuf (a core bug; MSS is clamped).
  kSegmentTooLarge,
  // Reflect mode (Engine::set_reflect): a frame that is neither ARP nor a
  // one-segment IPv4 frame to our MAC, so neither reflected nor served.
  kNotReflected,
  kCount,
};

const char* ToString(PortDrop d);

struct PortCounters {
  Counter rx_packets;
  Counter rx_bytes;
  Counter tx_packets;
  // Frames whose payload left by reference (chained mbufs, no copy).
  Counter tx_zero_copy;
  // rte_eth_tx_burst took fewer than offered: the TX ring was full.
  Counter tx_dropped_ring_full;
  Counter arp_replies;
  Counter arp_requests_in;  // ARP requests for our address
  Counter arp_replies_in;   // ARP replies (they teach the ARP cache)
  Counter icmp_echo_replies;
  Counter tcp_in;          // TCP segments handed to the endpoint
  Counter icmp_errors_in;  // ICMP errors handed to the endpoint
  // Software steering (lib/port/steering.h): packets this lcore handed to
  // their owner, and packets it took from its ring.
  Counter steered_out;
  Counter steered_in;
  // Frames an RX tap took before the engine parsed them
  // (Engine::set_rx_tap; tern-flood's replies to spoofed sources).
  Counter rx_tapped;
  // IPv4 frames sent straight back in reflect mode (Engine::set_reflect),
  // handed to the TX buffer (tx_packets counts what the driver took).
  Counter reflected;
  // Received mbufs kept after delivery for the frames the engine builds
  // next instead of going back to the pool (Engine::RecycleReceived).
  Counter rx_mbufs_reused;
  // Received mbufs that carried the reply to their own segment (a SYN-ACK
  // built in its SYN's mbuf; Engine::TakeReceived).
  Counter rx_mbufs_replied;
  CounterArray<wire::WireError> parse_drops;
  CounterArray<PortDrop> drops;

  // Every counter, including parse_drops and drops per reason, as
  // ("rx_packets", n), ("parse_drop.ipv4_bad_checksum", n),
  // ("drop.not_for_us_mac", n), ... in a fixed order.
  void ForEach(const std::function<void(std::string_view name, uint64_t value)>&
                   visit) const;
  // Total packets dropped for any reason, transmit side included.
  uint64_t TotalDrops() const;
  // One "name value" line per counter; with `nonzero_only` the zero ones are
  // left out, except rx/tx packet counts, which are always shown.
  std::string Format(bool nonzero_only) const;
};

}  // namespace tern::port

#endif  // TERN_LIB_PORT_PORT_COUNTERS_H_
