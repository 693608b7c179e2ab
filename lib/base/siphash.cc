// SipHash-2-4 over byte strings (Aumasson & Bernstein, INDOCRYPT 2012).
//
// The byte path is kept out of line: it serves the control plane and tests,
// while the data path uses the inline word variants in the header, which share
// the same rounds so the test vectors cover both.
#include "lib/base/siphash.h"

#include <array>
#include <cstddef>
#include <cstring>

#include "lib/base/random.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define TERN_SIPHASH_AVX512 1
#endif

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

namespace siphash_internal {

void Words3BatchScalar(const SipKey& key, const uint64_t* a, const uint64_t* b,
                       const uint64_t* c, uint64_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    out[i] = SipHash24Words(key, a[i], b[i], c[i]);
  }
}

#ifdef TERN_SIPHASH_AVX512
namespace {

// State::Round and State::Absorb on eight lanes at once.
struct Lanes {
  __m512i v0, v1, v2, v3;
};

// A rotation of every lane; the zero-masking form with all lanes selected
// is the same vprolq (GCC 12 warns on the plain form's undefined source).
template <int kBits>
__attribute__((target("avx512f"))) inline __m512i Rol(__m512i x) {
  return _mm512_maskz_rol_epi64(0xff, x, kBits);
}

__attribute__((target("avx512f"))) inline void Round8(Lanes& s) {
  s.v0 = _mm512_add_epi64(s.v0, s.v1);
  s.v1 = Rol<13>(s.v1);
  s.v1 = _mm512_xor_si512(s.v1, s.v0);
  s.v0 = Rol<32>(s.v0);
  s.v2 = _mm512_add_epi64(s.v2, s.v3);
  s.v3 = Rol<16>(s.v3);
  s.v3 = _mm512_xor_si512(s.v3, s.v2);
  s.v0 = _mm512_add_epi64(s.v0, s.v3);
  s.v3 = Rol<21>(s.v3);
  s.v3 = _mm512_xor_si512(s.v3, s.v0);
  s.v2 = _mm512_add_epi64(s.v2, s.v1);
  s.v1 = Rol<17>(s.v1);
  s.v1 = _mm512_xor_si512(s.v1, s.v2);
  s.v2 = Rol<32>(s.v2);
}

__attribute__((target("avx512f"))) inline void Absorb8(Lanes& s, __m512i m) {
  s.v3 = _mm512_xor_si512(s.v3, m);
  Round8(s);
  Round8(s);
  s.v0 = _mm512_xor_si512(s.v0, m);
}

__attribute__((target("avx512f"))) void Words3BatchAvx512(
    const SipKey& key, const uint64_t* a, const uint64_t* b, const uint64_t* c,
    uint64_t* out, size_t n) {
  constexpr size_t kLanes = 8;
  for (size_t done = 0; done < n; done += kLanes) {
    // A short last group goes through zero-padded copies, so no load or
    // store reaches past the caller's arrays.
    const size_t k = n - done < kLanes ? n - done : kLanes;
    alignas(64) uint64_t la[kLanes] = {};
    alignas(64) uint64_t lb[kLanes] = {};
    alignas(64) uint64_t lc[kLanes] = {};
    alignas(64) uint64_t lo[kLanes];
    std::memcpy(la, a + done, k * sizeof(uint64_t));
    std::memcpy(lb, b + done, k * sizeof(uint64_t));
    std::memcpy(lc, c + done, k * sizeof(uint64_t));
    Lanes s;
    s.v0 = _mm512_set1_epi64(static_cast<long long>(key.k0 ^ kInit0));
    s.v1 = _mm512_set1_epi64(static_cast<long long>(key.k1 ^ kInit1));
    s.v2 = _mm512_set1_epi64(static_cast<long long>(key.k0 ^ kInit2));
    s.v3 = _mm512_set1_epi64(static_cast<long long>(key.k1 ^ kInit3));
    Absorb8(s, _mm512_load_si512(la));
    Absorb8(s, _mm512_load_si512(lb));
    Absorb8(s, _mm512_load_si512(lc));
    Absorb8(s, _mm512_set1_epi64(static_cast<long long>(LengthBlock(24))));
    s.v2 = _mm512_xor_si512(s.v2, _mm512_set1_epi64(0xff));
    Round8(s);
    Round8(s);
    Round8(s);
    Round8(s);
    _mm512_store_si512(lo, _mm512_xor_si512(_mm512_xor_si512(s.v0, s.v1),
                                            _mm512_xor_si512(s.v2, s.v3)));
    std::memcpy(out + done, lo, k * sizeof(uint64_t));
  }
}

}  // namespace
#endif

Words3BatchFn Words3BatchVector() {
#ifdef TERN_SIPHASH_AVX512
  static const bool supported = __builtin_cpu_supports("avx512f");
  return supported ? &Words3BatchAvx512 : nullptr;
#else
  return nullptr;
#endif
}

}  // namespace siphash_internal

void SipHash24Words3Batch(const SipKey& key, const uint64_t* a,
                          const uint64_t* b, const uint64_t* c, uint64_t* out,
                          size_t n) {
  static const siphash_internal::Words3BatchFn fn = [] {
    const siphash_internal::Words3BatchFn vector =
        siphash_internal::Words3BatchVector();
    return vector != nullptr ? vector : &siphash_internal::Words3BatchScalar;
  }();
  fn(key, a, b, c, out, n);
}

bool SipHashBatchIsVectorized() {
  return siphash_internal::Words3BatchVector() != nullptr;
}

absl::StatusOr<SipKey> RandomSipKey() {
  std::array<uint8_t, 16> bytes;
  if (absl::Status st = FillRandom(bytes); !st.ok()) {
    return st;
  }
  return SipKey::FromBytes(bytes);
}

}  // namespace tern
