// RFC 791 section 3.1 (format), RFC 1122 section 3.2.1 (checks a host must
// make), RFC 1071 (checksum).
//
// Order of checks: structure first (version, IHL, total length), so that the
// checksum is computed only over bytes known to exist; then the checksum, so
// that a corrupted header is reported as corrupted rather than as whatever
// its damaged fields happen to say; then options and fragmentation, which
// are only meaningful in a header that arrived intact.
#include "lib/wire/ipv4.h"

#include <cstring>

#include "lib/base/dcheck.h"
#include "lib/wire/byte_order.h"
#include "lib/wire/checksum.h"

namespace tern::wire {
namespace {

constexpr uint8_t kVersion = 4;               // RFC 791 3.1
constexpr uint16_t kFlagDf = 0x4000;          // RFC 791 3.1, bit 1 of flags
constexpr uint16_t kFlagMf = 0x2000;          // RFC 791 3.1, bit 2 of flags
constexpr uint16_t kFragOffsetMask = 0x1fff;  // RFC 791 3.1, 13 bits
constexpr uint8_t kOptEnd = 0;                // RFC 791 3.1, End of Option List
constexpr uint8_t kOptNop = 1;                // RFC 791 3.1, No Operation

// RFC 791 3.1: single-octet options are EOL and NOP; every other option has
// a length octet counting type and length, so at least 2.
bool OptionsWellFormed(const uint8_t* p, size_t len) {
  size_t i = 0;
  while (i < len) {
    uint8_t type = p[i];
    if (type == kOptEnd) {
      return true;
    }
    if (type == kOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= len) {
      return false;
    }
    uint8_t opt_len = p[i + 1];
    if (opt_len < 2 || opt_len > len - i) {
      return false;
    }
    i += opt_len;
  }
  return true;
}

}  // namespace

WireError Ipv4Repr::Parse(std::span<const uint8_t> packet, Checksum mode,
                          Ipv4Repr* out, std::span<const uint8_t>* payload) {
  if (packet.size() < kIpv4MinHeaderLen) {
    return WireError::kIpv4Truncated;
  }
  const uint8_t* p = packet.data();
  if ((p[0] >> 4) != kVersion) {
    return WireError::kIpv4BadVersion;
  }
  size_t header_len = size_t{p[0] & 0x0fu} * 4;
  if (header_len < kIpv4MinHeaderLen) {
    return WireError::kIpv4BadHeaderLength;
  }
  if (header_len > packet.size()) {
    return WireError::kIpv4Truncated;
  }
  // RFC 1122 3.2.1.1 leaves "total length larger than received" to the
  // host; a datagram that lost bytes on the way cannot be delivered, and a
  // total length shorter than the header is simply wrong.
  size_t total_len = LoadBe16(p + 2);
  if (total_len < header_len || total_len > packet.size()) {
    return WireError::kIpv4BadTotalLength;
  }
  if (mode == Checksum::kVerify &&
      !ChecksumVerifies(packet.first(header_len))) {
    return WireError::kIpv4BadChecksum;
  }
  if (!OptionsWellFormed(p + kIpv4MinHeaderLen,
                         header_len - kIpv4MinHeaderLen)) {
    return WireError::kIpv4BadOptions;
  }
  uint16_t frag = LoadBe16(p + 6);
  if ((frag & kFlagMf) != 0 || (frag & kFragOffsetMask) != 0) {
    return WireError::kIpv4Fragment;
  }
  out->src = Ipv4Addr{LoadBe32(p + 12)};
  out->dst = Ipv4Addr{LoadBe32(p + 16)};
  out->protocol = p[9];
  out->ttl = p[8];
  out->dscp = static_cast<uint8_t>(p[1] >> 2);
  out->ecn = static_cast<uint8_t>(p[1] & 0x3);
  out->id = LoadBe16(p + 4);
  out->dont_fragment = (frag & kFlagDf) != 0;
  out->payload_len = static_cast<uint16_t>(total_len - header_len);
  out->had_options = header_len > kIpv4MinHeaderLen;
  *payload = packet.subspan(header_len, total_len - header_len);
  return WireError::kOk;
}

absl::StatusOr<Ipv4Repr> Ipv4Repr::ParseOrStatus(
    std::span<const uint8_t> packet, std::span<const uint8_t>* payload) {
  Ipv4Repr repr;
  std::span<const uint8_t> body;
  WireError e = Parse(packet, Checksum::kVerify, &repr, &body);
  if (e != WireError::kOk) {
    return ToStatus(e);
  }
  if (payload != nullptr) {
    *payload = body;
  }
  return repr;
}

void SwapFrameAddresses(std::span<uint8_t> frame) {
  TERN_DCHECK(frame.size() >= kReflectableFrameLen);
  constexpr size_t kSrc = 14 + 12;
  constexpr size_t kDst = 14 + 16;
  uint8_t* p = frame.data();
  uint8_t tmp[6];
  std::memcpy(tmp, p, 6);
  std::memcpy(p, p + 6, 6);
  std::memcpy(p + 6, tmp, 6);
  std::memcpy(tmp, p + kSrc, 4);
  std::memcpy(p + kSrc, p + kDst, 4);
  std::memcpy(p + kDst, tmp, 4);
}

void Ipv4Repr::Emit(std::span<uint8_t> out, bool checksum_offload) const {
  TERN_DCHECK(out.size() >= kIpv4MinHeaderLen);
  TERN_DCHECK(size_t{payload_len} + kIpv4MinHeaderLen <= 0xffff);
  TERN_DCHECK(dscp < 64 && ecn < 4);
  uint8_t* p = out.data();
  p[0] = static_cast<uint8_t>((kVersion << 4) | (kIpv4MinHeaderLen / 4));
  p[1] = static_cast<uint8_t>((dscp << 2) | (ecn & 0x3));
  StoreBe16(p + 2, static_cast<uint16_t>(kIpv4MinHeaderLen + payload_len));
  StoreBe16(p + 4, id);
  StoreBe16(p + 6, dont_fragment ? kFlagDf : 0);
  p[8] = ttl;
  p[9] = protocol;
  StoreBe16(p + 10, 0);
  StoreBe32(p + 12, src.value);
  StoreBe32(p + 16, dst.value);
  if (!checksum_offload) {
    // Summed from the fields, not read back from `out`: loading the bytes
    // just stored stalls on store forwarding (the engine benchmark's perf
    // profile had this checksum as the SYN path's largest single cost).
    // RFC 1071: the one's complement sum of the header's 16-bit words.
    const uint32_t sum =
        ((uint32_t{p[0]} << 8) | p[1]) + (kIpv4MinHeaderLen + payload_len) +
        id + (dont_fragment ? kFlagDf : 0) + ((uint32_t{ttl} << 8) | protocol) +
        ChecksumWords(src.value) + ChecksumWords(dst.value);
    StoreBe16(p + 10, ChecksumFinish(sum));
  }
}

}  // namespace tern::wire
