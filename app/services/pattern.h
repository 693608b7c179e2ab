// The fixed byte pattern the http and source services send: 64-byte lines
// of printable ASCII, so a body shown by curl is readable and a receiver can
// check any byte from its offset alone (PatternByte).
//
// Contract: the pattern is a compile-time table, so sending it allocates and
// copies nothing per connection; At(offset, max) returns up to kMaxChunk
// contiguous bytes of the infinite stream starting at `offset`.
#ifndef TERN_APP_SERVICES_PATTERN_H_
#define TERN_APP_SERVICES_PATTERN_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace tern::app {

// One line: 63 printable characters and '\n'.
inline constexpr size_t kPatternPeriod = 64;
// The largest piece At returns: 16 KiB is a few segments per Send call and
// keeps the table small enough to stay in L2.
inline constexpr size_t kPatternMaxChunk = 16 * 1024;

// The byte at `offset` of the stream.
constexpr uint8_t PatternByte(uint64_t offset) {
  constexpr char kLine[kPatternPeriod + 1] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.\n";
  return static_cast<uint8_t>(kLine[offset % kPatternPeriod]);
}

// Up to min(max, kPatternMaxChunk) bytes of the stream from `offset`.
std::span<const uint8_t> PatternAt(uint64_t offset, uint64_t max);

}  // namespace tern::app

#endif  // TERN_APP_SERVICES_PATTERN_H_
