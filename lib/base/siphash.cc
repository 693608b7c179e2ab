// SipHash-2-4 over byte strings (Aumasson & Bernstein, INDOCRYPT 2012).
//
// The byte path is kept out of line: it serves the control plane and tests,
// while the data path uses the inline word variants in the header, which share
// the same rounds so the test vectors cover both.
#include "lib/base/siphash.h"

#include <array>
#include <cstddef>

#include "lib/base/random.h"

namespace tern {
namespace {

// Explicit little-endian assembly rather than memcpy: the paper defines the
// message words as little-endian, and this keeps the code correct on any host
// without a byte-order branch.
uint64_t LoadLe64(const uint8_t* p, size_t n) {
  uint64_t w = 0;
  for (size_t i = 0; i < n; ++i) {
    w |= uint64_t{p[i]} << (8 * i);
  }
  return w;
}

}  // namespace

SipKey SipKey::FromBytes(std::span<const uint8_t, 16> bytes) {
  return SipKey{LoadLe64(bytes.data(), 8), LoadLe64(bytes.data() + 8, 8)};
}

uint64_t SipHash24(const SipKey& key, std::span<const uint8_t> data) {
  siphash_internal::State s(key);
  const size_t full = data.size() & ~size_t{7};
  for (size_t i = 0; i < full; i += 8) {
    s.Absorb(LoadLe64(data.data() + i, 8));
  }
  // The final block carries the 0..7 tail bytes in its low bytes and the
  // length modulo 256 in its top byte, the rest zero (paper, section 2).
  const uint64_t last = siphash_internal::LengthBlock(data.size()) |
                        LoadLe64(data.data() + full, data.size() - full);
  s.Absorb(last);
  return s.Finish();
}

absl::StatusOr<SipKey> RandomSipKey() {
  std::array<uint8_t, 16> bytes;
  if (absl::Status st = FillRandom(bytes); !st.ok()) {
    return st;
  }
  return SipKey::FromBytes(bytes);
}

}  // namespace tern
