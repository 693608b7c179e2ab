// TCP header and options: a checked view and a value type (TcpRepr).
//
// RFC 9293 section 3.1 (header format), RFC 9293 section 3.2 (options: EOL,
// NOP, MSS), RFC 7323 (window scale, timestamps), RFC 2018 (SACK-permitted,
// SACK blocks). Unknown options are skipped by their length field.
//
// Contract:
// - TcpRepr::Parse checks everything (length, data offset, every option's
//   length, the checksum over the RFC 9293 section 3.1 pseudo-header unless
//   the caller says the NIC verified it) and never reads out of bounds. On
//   failure it returns a WireError naming the first defect; the data path
//   counts that reason and drops the packet.
// - TcpRepr::Emit writes header, options and payload, and the checksum; `out`
//   must be at least BufferLen() bytes. It writes every option that is set,
//   whatever the flags (choosing which options a segment carries is the TCP
//   core's job), in the order Linux's tcp_options_write uses: MSS; then
//   SACK-permitted and timestamps as 04 02 08 0a tsval tsecr when both are
//   set, else NOP NOP + timestamps or NOP NOP + SACK-permitted; then NOP +
//   window scale (01 03 03 ws); then NOP NOP + SACK blocks. Each item is a
//   multiple of 4 bytes, so no padding is ever needed. Only the SACK blocks
//   that fit in the 40 bytes of option space are written (RFC 2018 section 3:
//   at most 4, and 3 next to timestamps); EmittedLen accounts for that.
// - Parse keeps repeated options' last value, reports SYN-only options on any
//   segment and window scale values above 14 as received: the TCP core
//   ignores or clamps them (RFC 7323 sections 2.2 and 2.3, RFC 9293 3.7.1).
#ifndef TERN_LIB_WIRE_TCP_HEADER_H_
#define TERN_LIB_WIRE_TCP_HEADER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

#include "absl/status/statusor.h"
#include "lib/base/dcheck.h"
#include "lib/base/seq_num.h"
#include "lib/wire/addr.h"
#include "lib/wire/byte_order.h"
#include "lib/wire/checksum.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/wire_error.h"

namespace tern::wire {

// Flag bits of header byte 13 (RFC 9293 section 3.1, RFC 3168 for ECE/CWR).
namespace tcp_flags {
inline constexpr uint8_t kFin = 0x01;
inline constexpr uint8_t kSyn = 0x02;
inline constexpr uint8_t kRst = 0x04;
inline constexpr uint8_t kPsh = 0x08;
inline constexpr uint8_t kAck = 0x10;
inline constexpr uint8_t kUrg = 0x20;
inline constexpr uint8_t kEce = 0x40;
inline constexpr uint8_t kCwr = 0x80;
}  // namespace tcp_flags

inline constexpr size_t kTcpMinHeaderLen = 20;  // RFC 9293 section 3.1
inline constexpr size_t kTcpMaxHeaderLen = 60;  // 4-bit data offset, words
inline constexpr size_t kTcpMaxSackBlocks = 4;  // RFC 2018 section 3: 40 bytes

struct SackBlock {
  SeqNum left;   // first sequence number of the block
  SeqNum right;  // sequence number just past the block
  bool operator==(const SackBlock&) const = default;
};

struct TcpTimestamps {
  uint32_t tsval = 0;
  uint32_t tsecr = 0;
  bool operator==(const TcpTimestamps&) const = default;
};

struct TcpOptions {
  std::optional<uint16_t> mss;              // kind 2, SYN only (RFC 9293 3.7.1)
  std::optional<uint8_t> window_scale;      // kind 3, SYN only (RFC 7323 2.2)
  bool sack_permitted = false;              // kind 4, SYN only (RFC 2018 2)
  std::optional<TcpTimestamps> timestamps;  // kind 8 (RFC 7323 3.2)
  uint8_t sack_count = 0;                   // kind 5 (RFC 2018 3)
  std::array<SackBlock, kTcpMaxSackBlocks> sack{};

  // Bytes Emit writes for the options: a multiple of 4, at most 40.
  size_t EmittedLen() const;
  bool operator==(const TcpOptions&) const = default;
};

struct TcpRepr {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  SeqNum seq;
  SeqNum ack;
  uint8_t flags = 0;    // tcp_flags bits
  uint16_t window = 0;  // raw 16-bit field, not scaled
  uint16_t urgent_ptr = 0;
  TcpOptions options;
  std::span<const uint8_t> payload;  // borrowed from the packet buffer

  bool Has(uint8_t f) const { return (flags & f) != 0; }
  // RFC 9293 SEG.LEN: payload plus one for SYN and one for FIN.
  uint32_t SegLen() const {
    return static_cast<uint32_t>(payload.size()) +
           (Has(tcp_flags::kSyn) ? 1 : 0) + (Has(tcp_flags::kFin) ? 1 : 0);
  }
  size_t HeaderLen() const { return kTcpMinHeaderLen + options.EmittedLen(); }
  size_t BufferLen() const { return HeaderLen() + payload.size(); }

  enum class Checksum { kVerify, kTrustNic };
  // Parses `segment` (TCP header + payload, exactly the IP payload).
  // On success fills *out (payload borrows from `segment`) and returns kOk;
  // on an option error *out's options are left partly parsed.
  static WireError Parse(std::span<const uint8_t> segment, Ipv4Addr src,
                         Ipv4Addr dst, Checksum mode, TcpRepr* out);
  // Control-plane convenience: the same, as StatusOr.
  static absl::StatusOr<TcpRepr> ParseOrStatus(std::span<const uint8_t> segment,
                                               Ipv4Addr src, Ipv4Addr dst);
  // Writes BufferLen() bytes into `out` with the checksum filled in.
  // With `checksum_offload` the checksum field gets the pseudo-header sum
  // only, as DPDK's TX checksum offload expects.
  void Emit(std::span<uint8_t> out, Ipv4Addr src, Ipv4Addr dst,
            bool checksum_offload = false) const;

  bool operator==(const TcpRepr& o) const;
};

// A TCP header laid out once for many segments that differ only in their
// ports, sequence and acknowledgment numbers and timestamp values: a
// listener's SYN-ACKs (issue 12). Make() emits a prototype with those fields
// zero, keeps the bytes, where TSval sits, and the one's complement sum of
// the fixed bytes with the pseudo-header's protocol and length; Emit() copies
// the bytes, writes the variable fields and finishes the checksum from that
// sum plus the variable fields' words (RFC 1071 section 2: the sum is
// independent of order and zero words add nothing), so no option is laid
// out and no byte summed twice.
//
// Contract: Emit(out, seg, ...) writes exactly what seg.Emit(out, ...) would
// when seg.Matches(template) (flags, window, urgent pointer, options and
// their values except the timestamp values, an empty payload), which a
// TERN_DCHECK checks; `out` holds header_len() bytes.
class TcpHeaderTemplate {
 public:
  TcpHeaderTemplate() = default;
  // proto's ports, seq, ack and timestamp values are ignored; its payload
  // must be empty.
  static TcpHeaderTemplate Make(const TcpRepr& proto);

  size_t header_len() const { return len_; }
  // The header's fields with the variable ones zeroed (Matches): flags,
  // window, options as laid out, timestamps {0, 0} when present.
  const TcpRepr& proto() const { return proto_; }
  bool Matches(const TcpRepr& seg) const;
  void Emit(std::span<uint8_t> out, const TcpRepr& seg, Ipv4Addr src,
            Ipv4Addr dst, bool checksum_offload = false) const;
  // The same bytes from the variable fields alone: ports, sequence and
  // acknowledgment numbers and, when the template has timestamps, TSval and
  // TSecr (ignored otherwise).
  // Always inlined, as ChecksumVerifies (checksum.h): once per SYN-ACK.
  [[gnu::always_inline]] void Emit(std::span<uint8_t> out, uint16_t src_port,
                                   uint16_t dst_port, uint32_t seq,
                                   uint32_t ack, uint32_t tsval, uint32_t tsecr,
                                   Ipv4Addr src, Ipv4Addr dst,
                                   bool checksum_offload = false) const;

 private:
  std::array<uint8_t, kTcpMaxHeaderLen> bytes_{};
  TcpRepr proto_;           // with the variable fields zeroed (Matches)
  uint32_t fixed_sum_ = 0;  // fixed bytes + pseudo-header protocol, length
  uint8_t len_ = 0;
  uint8_t ts_at_ = 0;  // offset of TSval; 0 without timestamps
};

// Inline: a SYN-ACK's writer, once per SYN of a flood, where the call with
// its ten arguments cost a quarter of the function (callgrind, issue 14).
inline void TcpHeaderTemplate::Emit(std::span<uint8_t> out, uint16_t src_port,
                                    uint16_t dst_port, uint32_t seq,
                                    uint32_t ack, uint32_t tsval,
                                    uint32_t tsecr, Ipv4Addr src, Ipv4Addr dst,
                                    bool checksum_offload) const {
  TERN_DCHECK(out.size() >= len_);
  uint8_t* p = out.data();
  // Fixed-size copies: a memcpy of len_ bytes became `rep movsq`, whose
  // start-up cost was over half of this function's samples (perf annotate).
  // len_ is a multiple of 4 from 20 to 60; 40 (MSS, SACK-permitted,
  // timestamps and window scale: what a Linux or tern client offers) is
  // copied without the loop.
  if (len_ == 40) {
    std::memcpy(p, bytes_.data(), 40);
  } else {
    std::memcpy(p, bytes_.data(), kTcpMinHeaderLen);
    size_t at = kTcpMinHeaderLen;
    for (; at + 8 <= len_; at += 8) {
      std::memcpy(p + at, bytes_.data() + at, 8);
    }
    if (at < len_) {
      std::memcpy(p + at, bytes_.data() + at, 4);
    }
  }
  StoreBe16(p, src_port);
  StoreBe16(p + 2, dst_port);
  StoreBe32(p + 4, seq);
  StoreBe32(p + 8, ack);
  uint32_t variable =
      uint32_t{src_port} + dst_port + ChecksumWords(seq) + ChecksumWords(ack);
  if (ts_at_ != 0) {
    StoreBe32(p + ts_at_, tsval);
    StoreBe32(p + ts_at_ + 4, tsecr);
    variable += ChecksumWords(tsval) + ChecksumWords(tsecr);
  }
  // Every term is below 2^17 and there are at most 14: no overflow.
  const uint16_t field =
      checksum_offload
          ? ChecksumFold(PseudoHeaderSum(src, dst, kIpProtoTcp, len_))
          : ChecksumFinish(fixed_sum_ + ChecksumWords(src.value) +
                           ChecksumWords(dst.value) + variable);
  StoreBe16(p + 16, field);
}

// The option parser TcpRepr::Parse and ParseTcpFrame (tcp_frame.h) fall
// back to for any layout other than ParseTcpOptionsFast's two (below):
// every option walked in turn. Fills *out's fields for the options found (it
// does not clear the others) and returns the first defect, as Parse reports
// it.
WireError ParseTcpOptionsGeneral(const uint8_t* p, size_t len, TcpOptions* out);

// The fixed header's fields (RFC 9293 section 3.1) read from `p`, which
// holds at least kTcpMinHeaderLen bytes: ports, sequence and acknowledgment
// numbers, flags, window and urgent pointer. TcpRepr::Parse and
// ParseTcpFrame (tcp_frame.h) share it; options and payload are theirs.
inline void ReadTcpFixedFields(const uint8_t* p, TcpRepr* out) {
  out->src_port = LoadBe16(p);
  out->dst_port = LoadBe16(p + 2);
  out->seq = SeqNum(LoadBe32(p + 4));
  out->ack = SeqNum(LoadBe32(p + 8));
  out->flags = p[13];
  out->window = LoadBe16(p + 14);
  out->urgent_ptr = LoadBe16(p + 18);
}

// The two option layouts that nearly every segment carries, recognised by
// their fixed bytes and read directly (RFC 7323 Appendix A recommends the
// first for every segment with timestamps, and Linux's tcp_options_write
// sends both; Linux's own tcp_parse_aligned_timestamp has the same shortcut
// for the first):
//   timestamps:  01 01 08 0a tsval tsecr                     (12 bytes)
//   Linux SYN:   02 04 mss 04 02 08 0a tsval tsecr 01 03 03 ws (20 bytes)
// True, with *out's fields filled as ParseTcpOptionsGeneral fills them, when
// the `len` bytes are one of them; false, *out untouched, for anything else
// (another length, or any kind or length byte different), which the caller
// then walks with ParseTcpOptionsGeneral (tcp_header_test:
// OptionFastPathsMatchTheGeneralParser). TcpRepr::Parse and ParseTcpFrame
// (tcp_frame.h) take it first. A five-option SYN walked one option at a time
// was most of Parse's cost on the SYN path (callgrind: about 130 of its 205
// instructions per SYN, doc/benchmarks.md, issue 14); inline, as a call cost
// half as much again as the read (callgrind, issue 14).
[[gnu::always_inline]] inline bool ParseTcpOptionsFast(const uint8_t* p,
                                                       size_t len,
                                                       TcpOptions* out) {
  constexpr uint32_t kNopNopTimestamps = 0x0101080a;
  constexpr uint32_t kSackPermittedTimestamps = 0x0402080a;
  constexpr uint16_t kMssKindLen = 0x0204;
  constexpr uint32_t kNopWindowScale = 0x010303;  // the top three bytes
  if (len == 12 && LoadBe32(p) == kNopNopTimestamps) {
    out->timestamps = TcpTimestamps{LoadBe32(p + 4), LoadBe32(p + 8)};
    return true;
  }
  if (len == 20 && LoadBe16(p) == kMssKindLen &&
      LoadBe32(p + 4) == kSackPermittedTimestamps &&
      (LoadBe32(p + 16) >> 8) == kNopWindowScale) {
    out->mss = LoadBe16(p + 2);
    out->sack_permitted = true;
    out->timestamps = TcpTimestamps{LoadBe32(p + 8), LoadBe32(p + 12)};
    out->window_scale = p[19];
    return true;
  }
  return false;
}

}  // namespace tern::wire

#endif  // TERN_LIB_WIRE_TCP_HEADER_H_
