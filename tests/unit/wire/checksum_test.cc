#include "lib/wire/checksum.h"

#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "lib/wire/byte_order.h"

namespace tern::wire {
namespace {

// Bit-by-bit reference: RFC 1071 section 4.1's C, 16 bits at a time.
uint16_t ReferenceChecksum(const std::vector<uint8_t>& d) {
  uint32_t sum = 0;
  size_t i = 0;
  for (; i + 1 < d.size(); i += 2) {
    sum += (uint32_t{d[i]} << 8) | d[i + 1];
  }
  if (i < d.size()) {
    sum += uint32_t{d[i]} << 8;
  }
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(~sum);
}

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
  const std::vector<uint8_t> d = {0x00, 0x01, 0xf2, 0x03,
                                  0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(ChecksumFold(ChecksumPartial(d)), 0xddf2);
  EXPECT_EQ(InternetChecksum(d), 0x220d);
}

TEST(Checksum, EmptyIsAllOnes) { EXPECT_EQ(InternetChecksum({}), 0xffff); }

TEST(Checksum, OddLengthPadsLastByteHigh) {
  const std::vector<uint8_t> d = {0x12, 0x34, 0x56};
  EXPECT_EQ(InternetChecksum(d), static_cast<uint16_t>(~(0x1234 + 0x5600)));
}

TEST(Checksum, MatchesReferenceForEveryLengthAndOffset) {
  std::mt19937 rng(1071);
  std::vector<uint8_t> buf(2100);
  for (auto& b : buf) {
    b = static_cast<uint8_t>(rng());
  }
  for (size_t off = 0; off < 8; ++off) {
    for (size_t len = 0; len <= 2048; len += (len < 80 ? 1 : 37)) {
      std::vector<uint8_t> d(buf.begin() + off, buf.begin() + off + len);
      ASSERT_EQ(InternetChecksum(std::span(buf).subspan(off, len)),
                ReferenceChecksum(d))
          << "off " << off << " len " << len;
    }
  }
}

// ChecksumVerifies against the reference: random 20- and 40-byte headers,
// with a random pseudo-header sum or none, their checksum set right, then
// one bit flipped; sums of +0 and -0 (all zero, all ones); other lengths
// (the general path).
TEST(Checksum, VerifiesAsReference) {
  std::mt19937 rng(791);
  for (int trial = 0; trial < 40000; ++trial) {
    std::vector<uint8_t> h(trial % 4 < 2 ? 20 : 40);
    for (auto& b : h) {
      b = static_cast<uint8_t>(rng());
    }
    // The pseudo-header's words, as a sum of six of them.
    std::vector<uint8_t> pseudo(12);
    uint32_t initial = 0;
    if (trial % 2 == 1) {
      for (size_t i = 0; i < pseudo.size(); i += 2) {
        pseudo[i] = static_cast<uint8_t>(rng());
        pseudo[i + 1] = static_cast<uint8_t>(rng());
        initial += LoadBe16(pseudo.data() + i);
      }
    }
    std::vector<uint8_t> whole = pseudo;
    whole.insert(whole.end(), h.begin(), h.end());
    if (trial % 3 != 0) {
      // The checksum field (the IPv4 header's at 10, as good as any).
      whole[12 + 10] = 0;
      whole[12 + 11] = 0;
      StoreBe16(whole.data() + 12 + 10, ReferenceChecksum(whole));
      h.assign(whole.begin() + 12, whole.end());
      ASSERT_TRUE(ChecksumVerifies(h, initial)) << trial;
      const size_t at = rng() % h.size();
      const auto bit = static_cast<uint8_t>(1u << (rng() % 8));
      h[at] ^= bit;
      whole[12 + at] ^= bit;
    }
    ASSERT_EQ(ChecksumVerifies(h, initial), ReferenceChecksum(whole) == 0)
        << trial;
  }
  EXPECT_FALSE(ChecksumVerifies(std::vector<uint8_t>(20, 0x00)));
  EXPECT_TRUE(ChecksumVerifies(std::vector<uint8_t>(20, 0xff)));
  EXPECT_TRUE(ChecksumVerifies(std::vector<uint8_t>(40, 0xff)));
  // Every 64-bit add carries.
  std::vector<uint8_t> near(40, 0xff);
  near[39] = 0xfe;
  EXPECT_EQ(ChecksumVerifies(near), ReferenceChecksum(near) == 0);
  // Any 32-bit `initial` (its upper half too): the fast paths against the
  // general one.
  for (int trial = 0; trial < 20000; ++trial) {
    std::vector<uint8_t> h(trial % 2 == 0 ? 20 : 40);
    for (auto& b : h) {
      b = static_cast<uint8_t>(rng());
    }
    const auto initial = static_cast<uint32_t>(rng());
    const uint16_t field = ChecksumFinish(ChecksumPartial(h, initial));
    if (trial % 3 != 0) {
      // Make it verify: add the complement of the sum at word 5 (RFC 1071).
      h[10] = 0;
      h[11] = 0;
      StoreBe16(h.data() + 10, ChecksumFinish(ChecksumPartial(h, initial)));
    }
    ASSERT_EQ(ChecksumVerifies(h, initial),
              ChecksumFinish(ChecksumPartial(h, initial)) == 0)
        << trial << " " << field;
  }
  for (size_t len : {0, 2, 19, 21, 24, 39, 41, 60}) {
    std::vector<uint8_t> d(len, 0xff);
    EXPECT_EQ(ChecksumVerifies(d), ReferenceChecksum(d) == 0) << len;
  }
}

TEST(Checksum, AllOnesDataCarriesCorrectly) {
  // Worst case for carries: every 64-bit add overflows.
  std::vector<uint8_t> d(9000, 0xff);
  EXPECT_EQ(InternetChecksum(d), ReferenceChecksum(d));
  d.push_back(0xff);
  EXPECT_EQ(InternetChecksum(d), ReferenceChecksum(d));
}

TEST(Checksum, ChainingEvenPiecesEqualsWhole) {
  std::vector<uint8_t> d(301);
  for (size_t i = 0; i < d.size(); ++i) {
    d[i] = static_cast<uint8_t>(i * 7 + 3);
  }
  uint32_t sum = ChecksumPartial(std::span(d).first(100));
  sum = ChecksumPartial(std::span(d).subspan(100), sum);
  EXPECT_EQ(ChecksumFinish(sum), InternetChecksum(d));
}

TEST(Checksum, PseudoHeaderSumMatchesExplicitBytes) {
  const Ipv4Addr src = Ipv4Addr::FromOctets(192, 168, 1, 10);
  const Ipv4Addr dst = Ipv4Addr::FromOctets(10, 250, 3, 77);
  const std::vector<uint8_t> pseudo = {192, 168, 1, 10, 10,   250,
                                       3,   77,  0, 6,  0x05, 0xdc};
  EXPECT_EQ(ChecksumFold(PseudoHeaderSum(src, dst, 6, 1500)),
            ChecksumFold(ChecksumPartial(pseudo)));
}

TEST(Checksum, IncrementalUpdateMatchesRecomputation) {
  std::mt19937 rng(1624);
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> d(8 + (rng() % 60) * 2);
    for (auto& b : d) {
      b = static_cast<uint8_t>(rng());
    }
    // The data includes its own checksum field at offset 0, as a real
    // header does, so a full recomputation is directly comparable.
    StoreBe16(d.data(), 0);
    StoreBe16(d.data(), InternetChecksum(d));
    uint16_t before = LoadBe16(d.data());
    if (iter % 2 == 0) {
      size_t at = 2 + 2 * (rng() % ((d.size() - 2) / 2));
      uint16_t old_value = LoadBe16(d.data() + at);
      uint16_t new_value = static_cast<uint16_t>(rng());
      StoreBe16(d.data() + at, new_value);
      uint16_t updated = ChecksumUpdate16(before, old_value, new_value);
      StoreBe16(d.data(), 0);
      ASSERT_EQ(updated, InternetChecksum(d)) << iter;
    } else {
      size_t at = 2 + 2 * (rng() % ((d.size() - 4) / 2));
      uint32_t old_value = LoadBe32(d.data() + at);
      uint32_t new_value = static_cast<uint32_t>(rng());
      StoreBe32(d.data() + at, new_value);
      uint16_t updated = ChecksumUpdate32(before, old_value, new_value);
      StoreBe16(d.data(), 0);
      ASSERT_EQ(updated, InternetChecksum(d)) << iter;
    }
  }
}

TEST(Checksum, IncrementalUpdateOfVerifiedHeaderStillVerifies) {
  // Changing the TTL of a valid IPv4 header (the RFC 1624 use case).
  std::vector<uint8_t> h = {0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40,
                            0x00, 0x40, 0x06, 0x0a, 0x74, 0x0a, 0x00,
                            0x00, 0x01, 0x0a, 0x00, 0x00, 0x02};
  ASSERT_EQ(InternetChecksum(h), 0);
  uint16_t old_word = LoadBe16(&h[8]);
  h[8] = 63;
  StoreBe16(&h[10],
            ChecksumUpdate16(LoadBe16(&h[10]), old_word, LoadBe16(&h[8])));
  EXPECT_EQ(InternetChecksum(h), 0);
}

}  // namespace
}  // namespace tern::wire
