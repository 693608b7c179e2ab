// RFC 1071 (computation), RFC 1624 (incremental update), RFC 9293 section 3.1
// (pseudo-header).
//
// The fast loop relies on RFC 1071 section 2(B), byte-order independence:
// summing the data as native little-endian 64-bit words gives the byte-swapped
// one's complement sum, so the bytes are loaded without swapping and the
// folded 16-bit result is swapped once at the end. Carries out of bit 63 are
// counted separately and added back, which is the end-around carry of
// RFC 1071 section 2(C) deferred to the end.
#include "lib/wire/checksum.h"

#include <bit>
#include <cstring>

namespace tern::wire {
namespace {

using checksum_internal::AddCarry;
using checksum_internal::Fold64;
using checksum_internal::Load64;

// The tail of 1..7 bytes as the native word that holds them at their offsets
// followed by zeros, so an odd last byte lands in the high half of a
// big-endian 16-bit word. On little-endian hosts the word is assembled in a
// register from 4-, 2- and 1-byte loads: copying the tail into a zeroed stack
// buffer and loading it as one word stalls on store forwarding (the load spans
// two stores), which made the 20-byte IPv4 header's verification cost more
// than the 40-byte TCP header's in the engine's SYN profile (9.7 % against
// 2.7 % of the samples, perf record --call-graph dwarf, 2026-12-06).
uint64_t LoadTail(const uint8_t* p, size_t n) {
  if constexpr (std::endian::native == std::endian::little) {
    uint64_t w = 0;
    size_t at = 0;
    if ((n & 4) != 0) {
      uint32_t v;
      std::memcpy(&v, p, sizeof(v));
      w = v;
      at = 4;
    }
    if ((n & 2) != 0) {
      uint16_t v;
      std::memcpy(&v, p + at, sizeof(v));
      w |= uint64_t{v} << (8 * at);
      at += 2;
    }
    if ((n & 1) != 0) {
      w |= uint64_t{p[at]} << (8 * at);
    }
    return w;
  } else {
    uint8_t tail[8] = {};
    std::memcpy(tail, p, n);
    return Load64(tail);
  }
}

// Native-order one's complement sum of `data`, unfolded, the last odd byte
// treated as followed by zero. The loop adds with the carry kept apart (one
// dependency chain per word, not two); the carries, fewer than 2^61 for any
// buffer that fits in memory, join at the end.
uint64_t NativeSum(const uint8_t* p, size_t n) {
  uint64_t sum = 0;
  uint64_t carries = 0;
  // Four independent accumulators would not help: each add depends on the
  // previous carry anyway. Unrolling by four halves the loop overhead.
  while (n >= 32) {
    uint64_t w0 = Load64(p);
    uint64_t w1 = Load64(p + 8);
    uint64_t w2 = Load64(p + 16);
    uint64_t w3 = Load64(p + 24);
    carries += __builtin_add_overflow(sum, w0, &sum);
    carries += __builtin_add_overflow(sum, w1, &sum);
    carries += __builtin_add_overflow(sum, w2, &sum);
    carries += __builtin_add_overflow(sum, w3, &sum);
    p += 32;
    n -= 32;
  }
  while (n >= 8) {
    carries += __builtin_add_overflow(sum, Load64(p), &sum);
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    carries += __builtin_add_overflow(sum, LoadTail(p, n), &sum);
  }
  return AddCarry(sum, carries);
}

}  // namespace

uint32_t ChecksumPartial(std::span<const uint8_t> data, uint32_t initial) {
  // `initial` joins the native sum before the one fold: swapping the bytes
  // of each of its 16-bit halves gives its native-order value (RFC 1071
  // section 2(B) holds for a sum of words as for one word), and the folded
  // native total is swapped once. Three folds became one: they were most
  // of this function's samples for 20- and 40-byte headers.
  uint64_t native = NativeSum(data.data(), data.size());
  if constexpr (std::endian::native == std::endian::little) {
    const uint32_t swapped =
        ((initial & 0x00ff00ffu) << 8) | ((initial >> 8) & 0x00ff00ffu);
    const uint16_t folded = Fold64(AddCarry(native, swapped));
    return static_cast<uint16_t>((folded >> 8) | (folded << 8));
  } else {
    return Fold64(AddCarry(native, initial));
  }
}

uint16_t InternetChecksum(std::span<const uint8_t> data) {
  return ChecksumFinish(ChecksumPartial(data));
}

uint16_t ChecksumUpdate16(uint16_t checksum, uint16_t old_value,
                          uint16_t new_value) {
  uint32_t sum = uint32_t{static_cast<uint16_t>(~checksum)} +
                 uint32_t{static_cast<uint16_t>(~old_value)} + new_value;
  return static_cast<uint16_t>(~Fold64(sum));
}

uint16_t ChecksumUpdate32(uint16_t checksum, uint32_t old_value,
                          uint32_t new_value) {
  uint16_t c =
      ChecksumUpdate16(checksum, static_cast<uint16_t>(old_value >> 16),
                       static_cast<uint16_t>(new_value >> 16));
  return ChecksumUpdate16(c, static_cast<uint16_t>(old_value),
                          static_cast<uint16_t>(new_value));
}

}  // namespace tern::wire
