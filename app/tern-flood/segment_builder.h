// SegmentBuilder: the frames of tern-flood's flood, written from a template.
//
// Every frame of a flood step is the same Ethernet, IPv4 and TCP header but
// for a few fields drawn at random per frame (FloodDraw): the source address,
// the IPv4 ID, the source port, the sequence number, the acknowledgment
// number of the kinds that carry one, and the SYN's TSval. The builder lays
// the frame out once with those fields zero, keeps the one's complement sums
// of its fixed bytes (RFC 1071 section 2: the sum does not depend on the
// order of its words, and zero words add nothing), and per frame copies the
// bytes, writes the drawn fields and finishes both checksums from the kept
// sums plus the drawn fields' words: no option is laid out and no byte summed
// twice. Emitted one layer at a time (wire::*Repr::Emit), a SYN cost the
// generator about as much as tern's answer to it (issue 14).
//
// Contract:
// - FloodDraw::From(r1, r2, options) turns two 64-bit random words into a
//   draw for options.kind: a source in options.spoof_range, a port in
//   [spoof_port_min, spoof_port_max], the acknowledgment number zero for
//   the kinds without ACK (kSyn, kRst), TSval used only with syn options.
// - Write(out, draw) writes kMaxFrameLen bytes at `out` (the copy is of
//   fixed size): the frame's frame_len() bytes, exactly what
//   WriteGeneral(out, draw) writes (flood_unit_test checks every kind, with
//   and without options, on random draws), then zeros.
// - WriteGeneral writes the same frame through wire::EthernetRepr,
//   Ipv4Repr and TcpRepr's Emit, checksums included: the reference.
// - The frame (RFC 791 3.1, RFC 9293 3.1): IPv4 with DF set, TTL 64, no
//   options; TCP window 64240 (0 for RST), flags by kind (SYN; ACK; RST;
//   FIN+ACK; ACK+PSH with one payload byte 'x'); with syn options on a SYN,
//   Linux's: MSS 1460, SACK-permitted, timestamps (TSval drawn, TSecr 0),
//   window scale 7 (RFC 9293 3.7.1, RFC 2018 2, RFC 7323 2 and 3).
// DPDK-free, so it is unit-tested without EAL.
#ifndef TERN_APP_TERN_FLOOD_SEGMENT_BUILDER_H_
#define TERN_APP_TERN_FLOOD_SEGMENT_BUILDER_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "app/tern-flood/flood_options.h"
#include "lib/wire/addr.h"

namespace tern::flood {

struct FloodDraw {
  wire::Ipv4Addr src;
  uint16_t src_port = 0;
  uint16_t ip_id = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint32_t tsval = 0;

  static FloodDraw From(uint64_t r1, uint64_t r2, const FloodOptions& options);
};

class SegmentBuilder {
 public:
  // Ethernet 14 + IPv4 20 + TCP 20 + options 20 (or a 1-byte payload),
  // rounded up to a multiple of 16 for the fixed-size copy.
  static constexpr size_t kMaxFrameLen = 80;

  SegmentBuilder(const FloodOptions& options, wire::MacAddr src_mac,
                 wire::MacAddr dst_mac);

  size_t frame_len() const { return len_; }
  void Write(uint8_t* out, const FloodDraw& d) const;
  // Returns frame_len().
  size_t WriteGeneral(uint8_t* out, const FloodDraw& d) const;

 private:
  FloodOptions options_;
  wire::MacAddr src_mac_;
  wire::MacAddr dst_mac_;
  std::array<uint8_t, kMaxFrameLen> bytes_{};
  uint32_t ip_sum_ = 0;   // the IPv4 header's fixed words
  uint32_t tcp_sum_ = 0;  // TCP's fixed words with the pseudo-header's
  uint8_t len_ = 0;
  uint8_t ts_at_ = 0;  // TSval's offset in the frame; 0 without timestamps
};

}  // namespace tern::flood

#endif  // TERN_APP_TERN_FLOOD_SEGMENT_BUILDER_H_
