#include "app/services/pattern.h"

#include <algorithm>

namespace tern::app {
namespace {

// kMaxChunk bytes starting at any phase of the period fit in the table.
constexpr size_t kTableSize = kPatternMaxChunk + kPatternPeriod;

constexpr std::array<uint8_t, kTableSize> MakeTable() {
  std::array<uint8_t, kTableSize> t{};
  for (size_t i = 0; i < kTableSize; ++i) {
    t[i] = PatternByte(i);
  }
  return t;
}

constexpr std::array<uint8_t, kTableSize> kTable = MakeTable();

}  // namespace

std::span<const uint8_t> PatternAt(uint64_t offset, uint64_t max) {
  const size_t n = static_cast<size_t>(
      std::min<uint64_t>(max, static_cast<uint64_t>(kPatternMaxChunk)));
  return std::span(kTable).subspan(offset % kPatternPeriod, n);
}

}  // namespace tern::app
