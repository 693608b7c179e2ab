// RFC 9293 section 3.1 (header, checksum over the pseudo-header), section
// 3.2 (option syntax: EOL, NOP, kind-length-data), section 3.7.1 (MSS);
// RFC 7323 sections 2.2 and 3.2 (window scale, timestamps); RFC 2018 sections
// 2 and 3 (SACK-permitted, SACK).
//
// Parsing. Each option's length byte is checked against its kind before the
// option's extent is checked against the header, so a malformed option is
// named by what is wrong with it; neither check reads past the length byte.
// A repeated option overwrites the earlier one: RFC 9293 leaves duplicates
// undefined and Linux also keeps the last. SYN-only options (MSS, window
// scale, SACK-permitted) on other segments are reported as received; RFC
// 7323 2.2 and RFC 9293 3.7.1 tell the TCP core to ignore them, so the core
// decides, not the parser. Window scale values above 14 are kept as received
// for the same reason: RFC 7323 2.3 has the receiver clamp them to 14 (and
// log), which the core does.
//
// Emission follows Linux's tcp_options_write so that tern's segments look
// like Linux's to middleboxes and to fingerprinting peers:
//   MSS:                02 04 mss
//   SACK-perm + TS:     04 02 08 0a tsval tsecr
//   TS alone:           01 01 08 0a tsval tsecr
//   SACK-perm alone:    01 01 04 02
//   window scale:       01 03 03 ws
//   SACK blocks:        01 01 05 (2+8n) blocks...
// Every item is a multiple of 4 bytes, so no trailing padding is ever needed.
#include "lib/wire/tcp_header.h"

#include <algorithm>
#include <cstring>

#include "lib/base/dcheck.h"
#include "lib/wire/byte_order.h"
#include "lib/wire/checksum.h"
#include "lib/wire/ipv4.h"

namespace tern::wire {
namespace {

// Option kinds (RFC 9293 3.2, RFC 7323, RFC 2018; IANA "TCP Option Kind
// Numbers") and their fixed lengths including kind and length bytes.
constexpr uint8_t kOptEol = 0;
constexpr uint8_t kOptNop = 1;
constexpr uint8_t kOptMss = 2;
constexpr uint8_t kOptWindowScale = 3;
constexpr uint8_t kOptSackPermitted = 4;
constexpr uint8_t kOptSack = 5;
constexpr uint8_t kOptTimestamps = 8;
constexpr uint8_t kLenMss = 4;            // RFC 9293 3.2
constexpr uint8_t kLenWindowScale = 3;    // RFC 7323 2.2
constexpr uint8_t kLenSackPermitted = 2;  // RFC 2018 2
constexpr uint8_t kLenTimestamps = 10;    // RFC 7323 3.2
constexpr uint8_t kLenSackBlock = 8;      // RFC 2018 3: two 32-bit edges
constexpr size_t kMaxOptionSpace = kTcpMaxHeaderLen - kTcpMinHeaderLen;

// SACK blocks that fit after the other options (RFC 2018 3: at most 4, and 3
// when timestamps are also sent).
size_t SackBlocksEmitted(const TcpOptions& o, size_t other_len) {
  if (o.sack_count == 0 || other_len + 4 + kLenSackBlock > kMaxOptionSpace) {
    return 0;
  }
  size_t fit = (kMaxOptionSpace - other_len - 4) / kLenSackBlock;
  return std::min<size_t>(o.sack_count, fit);
}

size_t LenWithoutSack(const TcpOptions& o) {
  size_t len = 0;
  if (o.mss.has_value()) {
    len += kLenMss;
  }
  if (o.timestamps.has_value()) {
    len += 2 + kLenTimestamps;  // with SACK-perm or NOP,NOP in front
  } else if (o.sack_permitted) {
    len += 2 + kLenSackPermitted;
  }
  if (o.window_scale.has_value()) {
    len += 1 + kLenWindowScale;
  }
  return len;
}

// Checks an option's length byte against its kind (nothing beyond it is read).
WireError CheckOptionLength(uint8_t kind, uint8_t len) {
  switch (kind) {
    case kOptMss:
      return len == kLenMss ? WireError::kOk : WireError::kTcpOptionBadLength;
    case kOptWindowScale:
      return len == kLenWindowScale ? WireError::kOk
                                    : WireError::kTcpOptionBadLength;
    case kOptSackPermitted:
      return len == kLenSackPermitted ? WireError::kOk
                                      : WireError::kTcpOptionBadLength;
    case kOptTimestamps:
      return len == kLenTimestamps ? WireError::kOk
                                   : WireError::kTcpOptionBadLength;
    case kOptSack: {
      if (len < 2 + kLenSackBlock || (len - 2) % kLenSackBlock != 0) {
        return WireError::kTcpOptionBadLength;
      }
      // A well-formed length announcing more than RFC 2018's four blocks.
      // Such an option cannot fit in 40 bytes; it is named for what it
      // claims rather than reported as merely running past the header.
      if (static_cast<size_t>(len - 2) / kLenSackBlock > kTcpMaxSackBlocks) {
        return WireError::kTcpTooManySackBlocks;
      }
      return WireError::kOk;
    }
    default:
      return WireError::kOk;
  }
}

}  // namespace

WireError ParseTcpOptionsGeneral(const uint8_t* p, size_t len,
                                 TcpOptions* out) {
  size_t i = 0;
  while (i < len) {
    uint8_t kind = p[i];
    if (kind == kOptEol) {
      break;
    }
    if (kind == kOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= len) {
      return WireError::kTcpOptionPastHeader;
    }
    uint8_t opt_len = p[i + 1];
    if (opt_len < 2) {
      return WireError::kTcpOptionLengthZeroOrOne;
    }
    if (WireError e = CheckOptionLength(kind, opt_len); e != WireError::kOk) {
      return e;
    }
    if (opt_len > len - i) {
      return WireError::kTcpOptionPastHeader;
    }
    const uint8_t* d = p + i + 2;
    switch (kind) {
      case kOptMss:
        out->mss = LoadBe16(d);
        break;
      case kOptWindowScale:
        out->window_scale = d[0];
        break;
      case kOptSackPermitted:
        out->sack_permitted = true;
        break;
      case kOptTimestamps:
        out->timestamps = TcpTimestamps{LoadBe32(d), LoadBe32(d + 4)};
        break;
      case kOptSack: {
        size_t n = (opt_len - 2) / kLenSackBlock;
        out->sack_count = static_cast<uint8_t>(n);
        for (size_t b = 0; b < n; ++b) {
          out->sack[b] = SackBlock{SeqNum(LoadBe32(d + b * kLenSackBlock)),
                                   SeqNum(LoadBe32(d + b * kLenSackBlock + 4))};
        }
        break;
      }
      default:
        break;  // unknown kind: skipped by its length (RFC 9293 3.2)
    }
    i += opt_len;
  }
  return WireError::kOk;
}

namespace {

WireError ParseOptions(const uint8_t* p, size_t len, TcpOptions* out) {
  if (ParseTcpOptionsFast(p, len, out)) {
    return WireError::kOk;
  }
  return ParseTcpOptionsGeneral(p, len, out);
}

// Writes the options in Linux order; returns the bytes written.
size_t EmitOptions(const TcpOptions& o, uint8_t* p) {
  uint8_t* start = p;
  if (o.mss.has_value()) {
    p[0] = kOptMss;
    p[1] = kLenMss;
    StoreBe16(p + 2, *o.mss);
    p += kLenMss;
  }
  if (o.timestamps.has_value()) {
    if (o.sack_permitted) {
      p[0] = kOptSackPermitted;
      p[1] = kLenSackPermitted;
    } else {
      p[0] = kOptNop;
      p[1] = kOptNop;
    }
    p[2] = kOptTimestamps;
    p[3] = kLenTimestamps;
    StoreBe32(p + 4, o.timestamps->tsval);
    StoreBe32(p + 8, o.timestamps->tsecr);
    p += 2 + kLenTimestamps;
  } else if (o.sack_permitted) {
    p[0] = kOptNop;
    p[1] = kOptNop;
    p[2] = kOptSackPermitted;
    p[3] = kLenSackPermitted;
    p += 2 + kLenSackPermitted;
  }
  if (o.window_scale.has_value()) {
    p[0] = kOptNop;
    p[1] = kOptWindowScale;
    p[2] = kLenWindowScale;
    p[3] = *o.window_scale;
    p += 1 + kLenWindowScale;
  }
  size_t n = SackBlocksEmitted(o, static_cast<size_t>(p - start));
  if (n > 0) {
    p[0] = kOptNop;
    p[1] = kOptNop;
    p[2] = kOptSack;
    p[3] = static_cast<uint8_t>(2 + n * kLenSackBlock);
    p += 4;
    for (size_t b = 0; b < n; ++b) {
      StoreBe32(p, o.sack[b].left.raw());
      StoreBe32(p + 4, o.sack[b].right.raw());
      p += kLenSackBlock;
    }
  }
  return static_cast<size_t>(p - start);
}

}  // namespace

size_t TcpOptions::EmittedLen() const {
  size_t len = LenWithoutSack(*this);
  size_t n = SackBlocksEmitted(*this, len);
  return len + (n > 0 ? 4 + n * kLenSackBlock : 0);
}

WireError TcpRepr::Parse(std::span<const uint8_t> segment, Ipv4Addr src,
                         Ipv4Addr dst, Checksum mode, TcpRepr* out) {
  if (segment.size() < kTcpMinHeaderLen) {
    return WireError::kTcpTruncated;
  }
  const uint8_t* p = segment.data();
  size_t header_len = static_cast<size_t>(p[12] >> 4) * 4;
  if (header_len < kTcpMinHeaderLen) {
    return WireError::kTcpBadDataOffset;
  }
  if (header_len > segment.size()) {
    return WireError::kTcpDataOffsetPastPacket;
  }
  // Checksum before options: a corrupted segment is reported as corrupted,
  // not as whichever option its damage happened to hit.
  if (mode == Checksum::kVerify) {
    uint32_t sum = PseudoHeaderSum(src, dst, kIpProtoTcp,
                                   static_cast<uint16_t>(segment.size()));
    if (segment.size() > 0xffff || !ChecksumVerifies(segment, sum)) {
      return WireError::kTcpBadChecksum;
    }
  }
  // Straight into *out: options built in a local and copied over were
  // written byte by byte and read back 16 bytes at a time, a store-forwarding
  // stall that perf annotate put at over half of Parse's samples on the SYN
  // path (doc/benchmarks.md, issue 12).
  out->options = TcpOptions{};
  if (WireError e = ParseOptions(p + kTcpMinHeaderLen,
                                 header_len - kTcpMinHeaderLen, &out->options);
      e != WireError::kOk) {
    return e;
  }
  ReadTcpFixedFields(p, out);
  out->payload = segment.subspan(header_len);
  return WireError::kOk;
}

absl::StatusOr<TcpRepr> TcpRepr::ParseOrStatus(std::span<const uint8_t> segment,
                                               Ipv4Addr src, Ipv4Addr dst) {
  TcpRepr repr;
  WireError e = Parse(segment, src, dst, Checksum::kVerify, &repr);
  if (e != WireError::kOk) {
    return ToStatus(e);
  }
  return repr;
}

void TcpRepr::Emit(std::span<uint8_t> out, Ipv4Addr src, Ipv4Addr dst,
                   bool checksum_offload) const {
  TERN_DCHECK(options.sack_count <= kTcpMaxSackBlocks);
  const size_t header_len = HeaderLen();
  const size_t total = header_len + payload.size();
  TERN_DCHECK(header_len <= kTcpMaxHeaderLen);
  TERN_DCHECK(out.size() >= total);
  TERN_DCHECK(total <= 0xffff);
  uint8_t* p = out.data();
  // The payload goes first: when the caller built it in place (zero copy),
  // it already sits at p + header_len and is left untouched; otherwise it
  // may overlap the source, hence memmove.
  if (!payload.empty() && payload.data() != p + header_len) {
    std::memmove(p + header_len, payload.data(), payload.size());
  }
  StoreBe16(p, src_port);
  StoreBe16(p + 2, dst_port);
  StoreBe32(p + 4, seq.raw());
  StoreBe32(p + 8, ack.raw());
  p[12] = static_cast<uint8_t>((header_len / 4) << 4);
  p[13] = flags;
  StoreBe16(p + 14, window);
  StoreBe16(p + 16, 0);
  StoreBe16(p + 18, urgent_ptr);
  size_t written = EmitOptions(options, p + kTcpMinHeaderLen);
  TERN_DCHECK(kTcpMinHeaderLen + written == header_len);
  (void)written;
  uint32_t sum =
      PseudoHeaderSum(src, dst, kIpProtoTcp, static_cast<uint16_t>(total));
  uint16_t field = checksum_offload
                       ? ChecksumFold(sum)
                       : ChecksumFinish(ChecksumPartial(out.first(total), sum));
  StoreBe16(p + 16, field);
}

namespace {

// The variable fields of a header template zeroed.
TcpRepr Normalized(const TcpRepr& seg) {
  TcpRepr r = seg;
  r.src_port = 0;
  r.dst_port = 0;
  r.seq = SeqNum(0);
  r.ack = SeqNum(0);
  if (r.options.timestamps.has_value()) {
    r.options.timestamps = TcpTimestamps{0, 0};
  }
  return r;
}

}  // namespace

TcpHeaderTemplate TcpHeaderTemplate::Make(const TcpRepr& proto) {
  TERN_DCHECK(proto.payload.empty());
  TcpHeaderTemplate t;
  t.proto_ = Normalized(proto);
  t.proto_.payload = {};
  t.len_ = static_cast<uint8_t>(t.proto_.HeaderLen());
  std::span<uint8_t> bytes(t.bytes_.data(), t.len_);
  t.proto_.Emit(bytes, Ipv4Addr{0}, Ipv4Addr{0}, /*checksum_offload=*/true);
  StoreBe16(t.bytes_.data() + 16, 0);  // the checksum field: summed as zero
  // Find TSval by walking the options Emit laid out (kind, length, data;
  // NOP is one byte).
  for (size_t at = kTcpMinHeaderLen; at + 1 < t.len_;) {
    const uint8_t kind = t.bytes_[at];
    if (kind == kOptEol) {
      break;
    }
    if (kind == kOptNop) {
      ++at;
      continue;
    }
    if (kind == kOptTimestamps) {
      t.ts_at_ = static_cast<uint8_t>(at + 2);
      break;
    }
    at += t.bytes_[at + 1];
  }
  TERN_DCHECK(t.proto_.options.timestamps.has_value() == (t.ts_at_ != 0));
  t.fixed_sum_ = ChecksumPartial(
      bytes, PseudoHeaderSum(Ipv4Addr{0}, Ipv4Addr{0}, kIpProtoTcp, t.len_));
  return t;
}

bool TcpHeaderTemplate::Matches(const TcpRepr& seg) const {
  return seg.payload.empty() && Normalized(seg) == proto_;
}

void TcpHeaderTemplate::Emit(std::span<uint8_t> out, const TcpRepr& seg,
                             Ipv4Addr src, Ipv4Addr dst,
                             bool checksum_offload) const {
  TERN_DCHECK(Matches(seg));
  const TcpTimestamps ts =
      ts_at_ != 0 ? *seg.options.timestamps : TcpTimestamps{};
  Emit(out, seg.src_port, seg.dst_port, seg.seq.raw(), seg.ack.raw(), ts.tsval,
       ts.tsecr, src, dst, checksum_offload);
}

bool TcpRepr::operator==(const TcpRepr& o) const {
  return src_port == o.src_port && dst_port == o.dst_port && seq == o.seq &&
         ack == o.ack && flags == o.flags && window == o.window &&
         urgent_ptr == o.urgent_ptr && options == o.options &&
         std::ranges::equal(payload, o.payload);
}

}  // namespace tern::wire
