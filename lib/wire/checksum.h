// The Internet checksum (RFC 1071), the TCP/IPv4 pseudo-header (RFC 9293
// section 3.1) and incremental update (RFC 1624 equation 3).
//
// Conventions: every 16-bit value here is the number whose big-endian bytes
// appear on the wire, held in a host integer. A "sum" is an unfolded one's
// complement accumulator; sums of different pieces may be added together
// (as long as the total stays below 2^32) and finished with ChecksumFinish.
//
// Contract:
// - ChecksumPartial(data) sums `data` as big-endian 16-bit words, the last odd
//   byte padded with zero. When chaining pieces, every piece but the last must
//   have even length, or the words straddling the boundary are misaligned.
// - Verifying a received header: the checksum of the whole covered range
//   (checksum field included) is zero, i.e. ChecksumFinish(sum) == 0.
#ifndef TERN_LIB_WIRE_CHECKSUM_H_
#define TERN_LIB_WIRE_CHECKSUM_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "lib/wire/addr.h"

namespace tern::wire {

// One's complement sum of `data`, folded to 16 bits (0..0xffff), plus
// `initial` folded in.
uint32_t ChecksumPartial(std::span<const uint8_t> data, uint32_t initial = 0);

// ChecksumFinish(ChecksumPartial(data)).
uint16_t InternetChecksum(std::span<const uint8_t> data);

// Whether `data`, its checksum field included, verifies with `initial` (a
// pseudo-header sum, or 0) added: ChecksumFinish(ChecksumPartial(data,
// initial)) == 0. Twenty and forty bytes (an IPv4 header without options, a
// SYN's TCP header with 20 bytes of options) are summed as loads without a
// loop. `initial` is below 2^32 as for ChecksumPartial. Always inlined: in
// the production build of `tern` GCC left it out of line, a call per
// checksum of every frame (perf, issue 14).
[[gnu::always_inline]] inline bool ChecksumVerifies(
    std::span<const uint8_t> data, uint32_t initial = 0);

// A 32-bit field's two 16-bit words, summed: its part of a sum (below
// 2^17), for checksums finished from a template's fixed sum plus the fields
// written per packet (RFC 1071 section 2: order does not matter).
inline uint32_t ChecksumWords(uint32_t v) { return (v >> 16) + (v & 0xffff); }

// Sum of the 12-byte IPv4 pseudo-header: src, dst, zero, protocol, and the
// transport length (header plus payload, RFC 9293 section 3.1).
inline uint32_t PseudoHeaderSum(Ipv4Addr src, Ipv4Addr dst, uint8_t protocol,
                                uint16_t transport_len) {
  return ChecksumWords(src.value) + ChecksumWords(dst.value) + protocol +
         transport_len;
}

// RFC 1624 equation 3: HC' = ~(~HC + ~m + m'). Returns the new checksum
// field after a 16-bit word of the covered data changes from `old_value` to
// `new_value`; the result equals a full recomputation (equation 3 avoids the
// -0 discrepancy of the RFC 1141 form).
uint16_t ChecksumUpdate16(uint16_t checksum, uint16_t old_value,
                          uint16_t new_value);
// The same for an aligned 32-bit field (an IPv4 address, a sequence number).
uint16_t ChecksumUpdate32(uint16_t checksum, uint32_t old_value,
                          uint32_t new_value);

namespace checksum_internal {

// a + b with the end-around carry of RFC 1071 section 2(C): a carry out of
// bit 63 comes back in at bit 0. The result cannot overflow again: when the
// addition carried, the truncated sum is at most 2^64 - 2.
inline uint64_t AddCarry(uint64_t a, uint64_t b) {
  uint64_t r;
  const bool carry = __builtin_add_overflow(a, b, &r);
  return r + carry;
}

// The one's complement sum held in `sum` folded to 16 bits: 64 to 32 to 16,
// each with its end-around carry.
inline uint16_t Fold64(uint64_t sum) {
  uint32_t lo = static_cast<uint32_t>(sum);
  uint32_t s32;
  s32 = lo + static_cast<uint32_t>(sum >> 32);
  s32 += s32 < lo;
  const auto lo16 = static_cast<uint16_t>(s32);
  auto s16 = static_cast<uint16_t>(lo16 + static_cast<uint16_t>(s32 >> 16));
  s16 += s16 < lo16;
  return s16;
}

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

}  // namespace checksum_internal

// Folds `sum` to 16 bits and complements it: the value to store in a
// checksum field.
inline uint16_t ChecksumFinish(uint32_t sum) {
  return static_cast<uint16_t>(~checksum_internal::Fold64(sum));
}

// Folds `sum` to 16 bits without complementing it (what a NIC with TX
// checksum offload expects to find pre-loaded in the TCP checksum field).
inline uint16_t ChecksumFold(uint32_t sum) {
  return checksum_internal::Fold64(sum);
}

// Inline: on the receive path of every frame (twice for a SYN), where a
// call cost as much as the sum (callgrind, doc/benchmarks.md issue 14).
inline bool ChecksumVerifies(std::span<const uint8_t> data, uint32_t initial) {
  using checksum_internal::AddCarry;
  using checksum_internal::Load64;
  const size_t n = data.size();
  if (n != 20 && n != 40) {
    return ChecksumFinish(ChecksumPartial(data, initial)) == 0;
  }
  // The native-order sum folds to 0xffff exactly when the big-endian one
  // does (RFC 1071 section 2(B): byte order only swaps the folded bytes,
  // and 0xffff is its own swap); the checksum is then ~0xffff = 0.
  // `initial` joins in native order, as in ChecksumPartial.
  const uint8_t* p = data.data();
  uint64_t sum = initial;
  if constexpr (std::endian::native == std::endian::little) {
    sum = ((initial & 0x00ff00ffu) << 8) | ((initial >> 8) & 0x00ff00ffu);
  }
  sum = AddCarry(sum, Load64(p));
  sum = AddCarry(sum, Load64(p + 8));
  if (n == 40) {
    sum = AddCarry(sum, Load64(p + 16));
    sum = AddCarry(sum, Load64(p + 24));
    sum = AddCarry(sum, Load64(p + 32));
  } else {
    uint32_t tail;
    std::memcpy(&tail, p + 16, sizeof(tail));
    sum = AddCarry(sum, tail);
  }
  return checksum_internal::Fold64(sum) == 0xffff;
}

}  // namespace tern::wire

#endif  // TERN_LIB_WIRE_CHECKSUM_H_
