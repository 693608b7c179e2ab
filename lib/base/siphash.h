// SipHash-2-4: a keyed 64-bit pseudorandom function for short inputs.
//
// Algorithm from J.-P. Aumasson and D. J. Bernstein, "SipHash: a fast
// short-input PRF", INDOCRYPT 2012: 2 compression rounds per 8-byte block,
// 4 finalization rounds, 128-bit key. tern uses it wherever a secret must
// decide a value an attacker can observe but must not predict: SYN-cookie
// MACs (lib/tcp/syn_cookie.h) and RFC 6528 initial sequence numbers
// (lib/tcp/isn.h).
//
// Contract:
// - SipHash24(key, bytes) is the function of the paper, bit for bit: the key
//   bytes k[0..15] map to k0 = little-endian k[0..7], k1 = little-endian
//   k[8..15]; the result is the 64-bit output whose little-endian bytes are
//   the paper's test vectors.
// - SipHash24Words(key, a, b) equals SipHash24 over the 16-byte string
//   LE64(a) || LE64(b); SipHash24Words(key, a, b, c) equals SipHash24 over the
//   24-byte string LE64(a) || LE64(b) || LE64(c), where LE64 is the 8-byte
//   little-endian encoding. They skip all byte handling and are inline so the
//   data path pays only for the rounds.
// - All functions are pure, allocate nothing and are safe from any thread.
// - SipHash24Words3Batch(key, a, b, c, out, n) sets out[i] to
//   SipHash24Words(key, a[i], b[i], c[i]) for every i < n, the same 64-bit
//   values. On a CPU with AVX-512F it computes eight messages per pass in
//   the vector registers (one lane each, rotations native), which is where a
//   burst of SYNs gains (doc/benchmarks.md, session 6); elsewhere it calls
//   the scalar function. The CPU is asked once, at the first call.
//   SipHashBatchIsVectorized() says which path serves.
// - RandomSipKey draws a key from getrandom(2) (lib/base/random.h); control
//   plane only.
#ifndef TERN_LIB_BASE_SIPHASH_H_
#define TERN_LIB_BASE_SIPHASH_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/statusor.h"

namespace tern {

struct SipKey {
  uint64_t k0 = 0;
  uint64_t k1 = 0;

  // The paper's key layout: k0 from bytes 0..7, k1 from bytes 8..15, each
  // little-endian.
  static SipKey FromBytes(std::span<const uint8_t, 16> bytes);

  bool operator==(const SipKey&) const = default;
};

uint64_t SipHash24(const SipKey& key, std::span<const uint8_t> data);

absl::StatusOr<SipKey> RandomSipKey();

namespace siphash_internal {

// The initial state constants, "somepseudorandomlygeneratedbytes" in ASCII
// (paper, section 2, "Initialization").
inline constexpr uint64_t kInit0 = 0x736f6d6570736575;
inline constexpr uint64_t kInit1 = 0x646f72616e646f6d;
inline constexpr uint64_t kInit2 = 0x6c7967656e657261;
inline constexpr uint64_t kInit3 = 0x7465646279746573;

struct State {
  uint64_t v0, v1, v2, v3;

  constexpr explicit State(const SipKey& key)
      : v0(key.k0 ^ kInit0),
        v1(key.k1 ^ kInit1),
        v2(key.k0 ^ kInit2),
        v3(key.k1 ^ kInit3) {}

  // SipRound, paper section 2, figure 2.3: rotation amounts 13, 32, 16, 21,
  // 17, 32.
  constexpr void Round() {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }

  // Compression with c = 2 rounds.
  constexpr void Absorb(uint64_t m) {
    v3 ^= m;
    Round();
    Round();
    v0 ^= m;
  }

  // Finalization with d = 4 rounds after xoring 0xff into v2.
  constexpr uint64_t Finish() {
    v2 ^= 0xff;
    Round();
    Round();
    Round();
    Round();
    return v0 ^ v1 ^ v2 ^ v3;
  }
};

// The last block of a message whose length is a multiple of 8: no tail bytes,
// the length modulo 256 in the top byte (paper, section 2, "Compression").
constexpr uint64_t LengthBlock(uint64_t len) { return (len & 0xff) << 56; }

}  // namespace siphash_internal

constexpr uint64_t SipHash24Words(const SipKey& key, uint64_t a, uint64_t b) {
  siphash_internal::State s(key);
  s.Absorb(a);
  s.Absorb(b);
  s.Absorb(siphash_internal::LengthBlock(16));
  return s.Finish();
}

constexpr uint64_t SipHash24Words(const SipKey& key, uint64_t a, uint64_t b,
                                  uint64_t c) {
  siphash_internal::State s(key);
  s.Absorb(a);
  s.Absorb(b);
  s.Absorb(c);
  s.Absorb(siphash_internal::LengthBlock(24));
  return s.Finish();
}

void SipHash24Words3Batch(const SipKey& key, const uint64_t* a,
                          const uint64_t* b, const uint64_t* c, uint64_t* out,
                          size_t n);
bool SipHashBatchIsVectorized();

namespace siphash_internal {

// The two paths of SipHash24Words3Batch, for its tests: the scalar loop, and
// the AVX-512F one (nullptr where the build or the CPU has none).
void Words3BatchScalar(const SipKey& key, const uint64_t* a, const uint64_t* b,
                       const uint64_t* c, uint64_t* out, size_t n);
using Words3BatchFn = void (*)(const SipKey&, const uint64_t*, const uint64_t*,
                               const uint64_t*, uint64_t*, size_t);
Words3BatchFn Words3BatchVector();

}  // namespace siphash_internal

}  // namespace tern

#endif  // TERN_LIB_BASE_SIPHASH_H_
