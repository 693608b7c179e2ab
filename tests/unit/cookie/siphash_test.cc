// SipHash-2-4 against the paper's test vectors, and the word variants against
// the byte path.
#include "lib/base/siphash.h"

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace tern {
namespace {

// Key 00 01 .. 0f, as in the paper's Appendix A and its vector table.
SipKey PaperKey() {
  std::array<uint8_t, 16> k;
  for (int i = 0; i < 16; ++i) {
    k[i] = static_cast<uint8_t>(i);
  }
  return SipKey::FromBytes(k);
}

std::vector<uint8_t> Iota(size_t n) {
  std::vector<uint8_t> m(n);
  for (size_t i = 0; i < n; ++i) {
    m[i] = static_cast<uint8_t>(i);
  }
  return m;
}

// SipHash-2-4 of messages 00, 00 01, ..., 00 .. 3e (lengths 0..63) under
// PaperKey(), as 64-bit integers (the paper's vectors are their little-endian
// bytes). Computed by an independent Python implementation written from the
// paper for this test, which reproduces the paper's Appendix A value
// (entry 15, a129ca6149be45e5) and the published first entry 726fdb47dd0e0e31.
constexpr std::array<uint64_t, 64> kVectors = {
    0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL,
    0x85676696d7fb7e2dULL, 0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL,
    0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL, 0x93f5f5799a932462ULL,
    0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
    0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL,
    0xa129ca6149be45e5ULL, 0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL,
    0x4bc1b3f0968dd39cULL, 0xbb6dc91da77961bdULL, 0xbed65cf21aa2ee98ULL,
    0xd0f2cbb02e3b67c7ULL, 0x93536795e3a33e88ULL, 0xa80c038ccd5ccec8ULL,
    0xb8ad50c6f649af94ULL, 0xbce192de8a85b8eaULL, 0x17d835b85bbb15f3ULL,
    0x2f2e6163076bcfadULL, 0xde4daaaca71dc9a5ULL, 0xa6a2506687956571ULL,
    0xad87a3535c49ef28ULL, 0x32d892fad841c342ULL, 0x7127512f72f27cceULL,
    0xa7f32346f95978e3ULL, 0x12e0b01abb051238ULL, 0x15e034d40fa197aeULL,
    0x314dffbe0815a3b4ULL, 0x027990f029623981ULL, 0xcadcd4e59ef40c4dULL,
    0x9abfd8766a33735cULL, 0x0e3ea96b5304a7d0ULL, 0xad0c42d6fc585992ULL,
    0x187306c89bc215a9ULL, 0xd4a60abcf3792b95ULL, 0xf935451de4f21df2ULL,
    0xa9538f0419755787ULL, 0xdb9acddff56ca510ULL, 0xd06c98cd5c0975ebULL,
    0xe612a3cb9ecba951ULL, 0xc766e62cfcadaf96ULL, 0xee64435a9752fe72ULL,
    0xa192d576b245165aULL, 0x0a8787bf8ecb74b2ULL, 0x81b3e73d20b49b6fULL,
    0x7fa8220ba3b2eceaULL, 0x245731c13ca42499ULL, 0xb78dbfaf3a8d83bdULL,
    0xea1ad565322a1a0bULL, 0x60e61c23a3795013ULL, 0x6606d7e446282b93ULL,
    0x6ca4ecb15c5f91e1ULL, 0x9f626da15c9625f3ULL, 0xe51b38608ef25f57ULL,
    0x958a324ceb064572ULL,
};

TEST(SipHash24, PaperAppendixA) {
  // Appendix A: the 15-byte message 00 .. 0e.
  EXPECT_EQ(SipHash24(PaperKey(), Iota(15)), 0xa129ca6149be45e5ULL);
}

TEST(SipHash24, KeyBytesAreLittleEndian) {
  EXPECT_EQ(PaperKey().k0, 0x0706050403020100ULL);
  EXPECT_EQ(PaperKey().k1, 0x0f0e0d0c0b0a0908ULL);
}

TEST(SipHash24, VectorTable64) {
  for (size_t n = 0; n < kVectors.size(); ++n) {
    EXPECT_EQ(SipHash24(PaperKey(), Iota(n)), kVectors[n]) << "length " << n;
  }
}

std::vector<uint8_t> Le64s(std::initializer_list<uint64_t> words) {
  std::vector<uint8_t> out;
  for (uint64_t w : words) {
    for (int i = 0; i < 8; ++i) {
      out.push_back(static_cast<uint8_t>(w >> (8 * i)));
    }
  }
  return out;
}

TEST(SipHash24Words, TwoWordsEqualSixteenLittleEndianBytes) {
  // Message 00 .. 0f read as two little-endian words is vector 16.
  EXPECT_EQ(
      SipHash24Words(PaperKey(), 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL),
      kVectors[16]);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 1000; ++i) {
    const SipKey key{rng(), rng()};
    const uint64_t a = rng(), b = rng();
    ASSERT_EQ(SipHash24Words(key, a, b), SipHash24(key, Le64s({a, b})));
  }
}

TEST(SipHash24Words, ThreeWordsEqualTwentyFourLittleEndianBytes) {
  EXPECT_EQ(SipHash24Words(PaperKey(), 0x0706050403020100ULL,
                           0x0f0e0d0c0b0a0908ULL, 0x1716151413121110ULL),
            kVectors[24]);
  std::mt19937_64 rng(2);
  for (int i = 0; i < 1000; ++i) {
    const SipKey key{rng(), rng()};
    const uint64_t a = rng(), b = rng(), c = rng();
    ASSERT_EQ(SipHash24Words(key, a, b, c), SipHash24(key, Le64s({a, b, c})));
  }
}

TEST(SipHash24Words, UsableInConstantExpressions) {
  static_assert(
      SipHash24Words(SipKey{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL},
                     0x0706050403020100ULL,
                     0x0f0e0d0c0b0a0908ULL) == 0x3f2acc7f57c29bdbULL);
}

// Every batch length from 0 to 40 (five full groups of eight, every short
// last group) against the scalar word function, through `fn`.
void ExpectBatchEqualsScalar(siphash_internal::Words3BatchFn fn) {
  std::mt19937_64 rng(3);
  for (size_t n = 0; n <= 40; ++n) {
    const SipKey key{rng(), rng()};
    std::vector<uint64_t> a(n), b(n), c(n);
    for (size_t i = 0; i < n; ++i) {
      a[i] = rng();
      b[i] = rng();
      c[i] = rng();
    }
    // One slot past the end: a batch must not write beyond out[n - 1].
    std::vector<uint64_t> out(n + 1, 0x5a5a5a5a5a5a5a5aULL);
    fn(key, a.data(), b.data(), c.data(), out.data(), n);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(out[i], SipHash24Words(key, a[i], b[i], c[i]))
          << "n " << n << " i " << i;
    }
    ASSERT_EQ(out[n], 0x5a5a5a5a5a5a5a5aULL) << "n " << n;
  }
}

TEST(SipHash24Words3Batch, ScalarPathEqualsTheWordFunction) {
  ExpectBatchEqualsScalar(&siphash_internal::Words3BatchScalar);
}

TEST(SipHash24Words3Batch, VectorPathEqualsTheWordFunction) {
  siphash_internal::Words3BatchFn fn = siphash_internal::Words3BatchVector();
  if (fn == nullptr) {
    GTEST_SKIP() << "this CPU or build has no AVX-512F: the batch is the "
                    "scalar path, tested above";
  }
  ExpectBatchEqualsScalar(fn);
}

TEST(SipHash24Words3Batch, DispatchedPathEqualsTheWordFunction) {
  ExpectBatchEqualsScalar(&SipHash24Words3Batch);
  EXPECT_EQ(SipHashBatchIsVectorized(),
            siphash_internal::Words3BatchVector() != nullptr);
}

TEST(RandomSipKey, DrawsDistinctKeys) {
  absl::StatusOr<SipKey> a = RandomSipKey();
  absl::StatusOr<SipKey> b = RandomSipKey();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  // Equal 128-bit random keys have probability 2^-128.
  EXPECT_NE(*a, *b);
}

}  // namespace
}  // namespace tern
