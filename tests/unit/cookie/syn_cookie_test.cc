// The SYN-cookie codec: round trips, tampering, ageing, key rotation, the MSS
// table and the timestamp option bits.
#include "lib/tcp/syn_cookie.h"

#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace tern::tcp {
namespace {

const SynCookieSecrets kSecrets{
    SipKey{0x1111222233334444ULL, 0x5555666677778888ULL}};
const SynCookieSecrets kOtherSecrets{
    SipKey{0x9999aaaabbbbccccULL, 0xddddeeeeffff0000ULL}};

const FourTuple kTuple{.local_addr = wire::Ipv4Addr::FromOctets(10, 0, 0, 1),
                       .remote_addr = wire::Ipv4Addr::FromOctets(192, 0, 2, 7),
                       .local_port = 443,
                       .remote_port = 51000};
constexpr SeqNum kClientIsn(0xdeadbeef);
constexpr uint32_t kCounter = 1000;

FourTuple RandomTuple(std::mt19937_64& rng) {
  return FourTuple{.local_addr = wire::Ipv4Addr{static_cast<uint32_t>(rng())},
                   .remote_addr = wire::Ipv4Addr{static_cast<uint32_t>(rng())},
                   .local_port = static_cast<uint16_t>(rng()),
                   .remote_port = static_cast<uint16_t>(rng())};
}

TEST(SynCookie, RoundTrip_EveryMssIndexRandomTuples) {
  std::mt19937_64 rng(5);
  for (uint8_t index = 0; index < kCookieMssTable.size(); ++index) {
    for (int i = 0; i < 2000; ++i) {
      const FourTuple t = RandomTuple(rng);
      const SeqNum isn(static_cast<uint32_t>(rng()));
      const auto counter = static_cast<uint32_t>(rng());
      const SeqNum cookie = EncodeSynCookie(t, isn, index, counter, kSecrets);
      const CookieDecodeResult r =
          DecodeSynCookie(t, cookie, isn, counter, kSecrets);
      ASSERT_TRUE(r.accepted()) << *r.reject;
      ASSERT_EQ(r.mss_index, index);
      ASSERT_EQ(r.mss(), kCookieMssTable[index]);
    }
  }
}

// The batch encoder gives each SYN the cookie EncodeSynCookie gives it, for
// bursts that fill no group of eight, several, and more than its chunk of 32.
TEST(SynCookie, BatchEqualsOneByOne) {
  std::mt19937_64 rng(11);
  for (size_t n : {0, 1, 7, 8, 9, 31, 32, 33, 70}) {
    std::vector<CookieRequest> in(n);
    for (CookieRequest& r : in) {
      r.tuple = RandomTuple(rng);
      r.client_isn = SeqNum(static_cast<uint32_t>(rng()));
      r.mss_index = static_cast<uint8_t>(rng() % kCookieMssTable.size());
    }
    const auto counter = static_cast<uint32_t>(rng());
    std::vector<SeqNum> out(n);
    EncodeSynCookies(in, counter, kSecrets, out);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(out[i], EncodeSynCookie(in[i].tuple, in[i].client_isn,
                                        in[i].mss_index, counter, kSecrets))
          << "n " << n << " i " << i;
      ASSERT_TRUE(DecodeSynCookie(in[i].tuple, out[i], in[i].client_isn,
                                  counter, kSecrets)
                      .accepted());
    }
  }
}

TEST(SynCookie, EncodeIsDeterministic) {
  EXPECT_EQ(EncodeSynCookie(kTuple, kClientIsn, 2, kCounter, kSecrets),
            EncodeSynCookie(kTuple, kClientIsn, 2, kCounter, kSecrets));
}

TEST(SynCookie, LayoutFieldsInTopBits) {
  const SeqNum cookie = EncodeSynCookie(kTuple, kClientIsn, 5, 0x7, kSecrets);
  EXPECT_EQ(cookie.raw() >> 30, 0x3u);
  EXPECT_EQ((cookie.raw() >> 27) & 0x7, 5u);
}

TEST(SynCookie, EverySingleBitFlip_Rejected) {
  std::mt19937_64 rng(6);
  for (int trial = 0; trial < 200; ++trial) {
    const FourTuple t = RandomTuple(rng);
    const SeqNum isn(static_cast<uint32_t>(rng()));
    const auto index = static_cast<uint8_t>(rng() % kCookieMssTable.size());
    const SeqNum cookie = EncodeSynCookie(t, isn, index, kCounter, kSecrets);
    for (int bit = 0; bit < 32; ++bit) {
      const SeqNum bad(cookie.raw() ^ (1u << bit));
      const CookieDecodeResult r =
          DecodeSynCookie(t, bad, isn, kCounter, kSecrets);
      ASSERT_FALSE(r.accepted()) << "bit " << bit;
      if (bit < 27) {
        EXPECT_EQ(r.reject, CookieReject::kBadMac) << "bit " << bit;
      }
    }
  }
}

TEST(SynCookie, MssIndexBitFlip_RejectedAsBadIndexOrMac) {
  // Index 4 (1460) flipped at bit 1 of the index field gives 6: no entry.
  const SeqNum cookie =
      EncodeSynCookie(kTuple, kClientIsn, 4, kCounter, kSecrets);
  const SeqNum to_six(cookie.raw() ^ (2u << 27));
  EXPECT_EQ(
      DecodeSynCookie(kTuple, to_six, kClientIsn, kCounter, kSecrets).reject,
      CookieReject::kBadMssIndex);
  // Flipped to 5 (a valid entry, 8960): the MAC covers the index.
  const SeqNum to_five(cookie.raw() ^ (1u << 27));
  EXPECT_EQ(
      DecodeSynCookie(kTuple, to_five, kClientIsn, kCounter, kSecrets).reject,
      CookieReject::kBadMac);
}

TEST(SynCookie, IndexSevenIsInvalid) {
  const SeqNum forged((kCounter & 3) << 30 | 7u << 27 | 0x123);
  EXPECT_EQ(
      DecodeSynCookie(kTuple, forged, kClientIsn, kCounter, kSecrets).reject,
      CookieReject::kBadMssIndex);
}

TEST(SynCookie, WrongTuple_BadMac) {
  const SeqNum cookie =
      EncodeSynCookie(kTuple, kClientIsn, 3, kCounter, kSecrets);
  FourTuple t = kTuple;
  t.remote_port += 1;
  EXPECT_EQ(DecodeSynCookie(t, cookie, kClientIsn, kCounter, kSecrets).reject,
            CookieReject::kBadMac);
  t = kTuple;
  t.remote_addr.value += 1;
  EXPECT_EQ(DecodeSynCookie(t, cookie, kClientIsn, kCounter, kSecrets).reject,
            CookieReject::kBadMac);
  t = kTuple;
  t.local_addr.value += 1;
  EXPECT_EQ(DecodeSynCookie(t, cookie, kClientIsn, kCounter, kSecrets).reject,
            CookieReject::kBadMac);
  t = kTuple;
  t.local_port += 1;
  EXPECT_EQ(DecodeSynCookie(t, cookie, kClientIsn, kCounter, kSecrets).reject,
            CookieReject::kBadMac);
}

TEST(SynCookie, WrongClientIsn_BadMac) {
  const SeqNum cookie =
      EncodeSynCookie(kTuple, kClientIsn, 3, kCounter, kSecrets);
  EXPECT_EQ(DecodeSynCookie(kTuple, cookie, kClientIsn + 1, kCounter, kSecrets)
                .reject,
            CookieReject::kBadMac);
}

TEST(SynCookie, CurrentAndPreviousCounter_Accepted) {
  const SeqNum cookie =
      EncodeSynCookie(kTuple, kClientIsn, 1, kCounter, kSecrets);
  EXPECT_TRUE(DecodeSynCookie(kTuple, cookie, kClientIsn, kCounter, kSecrets)
                  .accepted());
  EXPECT_TRUE(
      DecodeSynCookie(kTuple, cookie, kClientIsn, kCounter + 1, kSecrets)
          .accepted());
}

TEST(SynCookie, TwoAndThreeStepsOld_Expired) {
  const SeqNum cookie =
      EncodeSynCookie(kTuple, kClientIsn, 1, kCounter, kSecrets);
  EXPECT_EQ(DecodeSynCookie(kTuple, cookie, kClientIsn, kCounter + 2, kSecrets)
                .reject,
            CookieReject::kExpired);
  EXPECT_EQ(DecodeSynCookie(kTuple, cookie, kClientIsn, kCounter + 3, kSecrets)
                .reject,
            CookieReject::kExpired);
}

TEST(SynCookie, AliasedAge_CaughtByMac) {
  // Four and five steps old alias to ages 0 and 1 in the 2-bit field; the MAC
  // covers the full counter.
  const SeqNum cookie =
      EncodeSynCookie(kTuple, kClientIsn, 1, kCounter, kSecrets);
  for (uint32_t age = 4; age < 64; ++age) {
    const CookieDecodeResult r =
        DecodeSynCookie(kTuple, cookie, kClientIsn, kCounter + age, kSecrets);
    ASSERT_FALSE(r.accepted()) << "age " << age;
    if (age % 4 < 2) {
      EXPECT_EQ(r.reject, CookieReject::kBadMac) << "age " << age;
    } else {
      EXPECT_EQ(r.reject, CookieReject::kExpired) << "age " << age;
    }
  }
}

TEST(SynCookie, FromTheFuture_Expired) {
  const SeqNum cookie =
      EncodeSynCookie(kTuple, kClientIsn, 1, kCounter + 1, kSecrets);
  EXPECT_EQ(
      DecodeSynCookie(kTuple, cookie, kClientIsn, kCounter, kSecrets).reject,
      CookieReject::kExpired);
}

TEST(SynCookie, CounterWrapsAt32Bits) {
  const SeqNum cookie =
      EncodeSynCookie(kTuple, kClientIsn, 0, 0xffffffffu, kSecrets);
  EXPECT_TRUE(
      DecodeSynCookie(kTuple, cookie, kClientIsn, 0, kSecrets).accepted());
  EXPECT_EQ(DecodeSynCookie(kTuple, cookie, kClientIsn, 1, kSecrets).reject,
            CookieReject::kExpired);
}

TEST(SynCookie, KeyRotation) {
  // Issued under the old key; after rotation the listener tries the new key,
  // then the old one.
  const SeqNum old_cookie =
      EncodeSynCookie(kTuple, kClientIsn, 4, kCounter, kSecrets);
  EXPECT_EQ(
      DecodeSynCookie(kTuple, old_cookie, kClientIsn, kCounter, kOtherSecrets)
          .reject,
      CookieReject::kBadMac);
  EXPECT_TRUE(
      DecodeSynCookie(kTuple, old_cookie, kClientIsn, kCounter, kSecrets)
          .accepted());
  const SeqNum new_cookie =
      EncodeSynCookie(kTuple, kClientIsn, 4, kCounter, kOtherSecrets);
  EXPECT_TRUE(
      DecodeSynCookie(kTuple, new_cookie, kClientIsn, kCounter, kOtherSecrets)
          .accepted());
  EXPECT_EQ(DecodeSynCookie(kTuple, new_cookie, kClientIsn, kCounter, kSecrets)
                .reject,
            CookieReject::kBadMac);
}

TEST(SynCookie, RandomGuesses_RarelyAccepted) {
  // 2^20 random cookies: the expected number of forgeries is
  // 2^20 * (1/2 age) * (6/8 index) * 2^-27, about 0.006.
  std::mt19937_64 rng(7);
  int accepted = 0;
  for (int i = 0; i < (1 << 20); ++i) {
    const SeqNum guess(static_cast<uint32_t>(rng()));
    accepted += DecodeSynCookie(kTuple, guess, kClientIsn, kCounter, kSecrets)
                    .accepted();
  }
  EXPECT_EQ(accepted, 0);
}

TEST(SynCookie, Secrets_CreateDrawsFreshKeys) {
  absl::StatusOr<SynCookieSecrets> a = SynCookieSecrets::Create();
  absl::StatusOr<SynCookieSecrets> b = SynCookieSecrets::Create();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_NE(a->key, b->key);
}

TEST(SynCookieCounter, SixtyFourSecondSteps) {
  EXPECT_EQ(SynCookieCounter(Instant()), 0u);
  EXPECT_EQ(SynCookieCounter(Instant() + Duration::Seconds(63)), 0u);
  EXPECT_EQ(SynCookieCounter(Instant() + Duration::Seconds(64)), 1u);
  EXPECT_EQ(SynCookieCounter(Instant() + Duration::Seconds(64 * 1000 + 5)),
            1000u);
}

TEST(CookieMssIndex, BelowSmallestEntry_Smallest) {
  EXPECT_EQ(CookieMssIndex(0), 0);
  EXPECT_EQ(CookieMssIndex(88), 0);
  EXPECT_EQ(CookieMssIndex(535), 0);
}

TEST(CookieMssIndex, ExactlyAtEntries_ThatEntry) {
  for (uint8_t i = 0; i < kCookieMssTable.size(); ++i) {
    EXPECT_EQ(CookieMssIndex(kCookieMssTable[i]), i) << kCookieMssTable[i];
  }
}

TEST(CookieMssIndex, BetweenEntries_RoundsDown) {
  EXPECT_EQ(kCookieMssTable[CookieMssIndex(537)], 536);
  EXPECT_EQ(kCookieMssTable[CookieMssIndex(1299)], 536);
  EXPECT_EQ(kCookieMssTable[CookieMssIndex(1380)], 1300);
  EXPECT_EQ(kCookieMssTable[CookieMssIndex(1451)], 1440);
  EXPECT_EQ(kCookieMssTable[CookieMssIndex(1459)], 1452);
  EXPECT_EQ(kCookieMssTable[CookieMssIndex(1461)], 1460);
  EXPECT_EQ(kCookieMssTable[CookieMssIndex(8959)], 1460);
  EXPECT_EQ(kCookieMssTable[CookieMssIndex(65535)], 8960);
}

TEST(CookieMssIndex, NeverAboveClientMssFromSmallestEntryUp) {
  for (uint32_t mss = kCookieMssTable[0]; mss <= 65535; ++mss) {
    ASSERT_LE(kCookieMssTable[CookieMssIndex(static_cast<uint16_t>(mss))], mss);
  }
}

TEST(CookieTs, RoundTrip_EveryShiftSackEcn) {
  std::mt19937_64 rng(8);
  for (int shift = 0; shift <= 14; ++shift) {
    for (bool sack : {false, true}) {
      for (bool ecn : {false, true}) {
        const CookieTsOptions opts{.window_shift = static_cast<uint8_t>(shift),
                                   .sack_permitted = sack,
                                   .ecn = ecn};
        const auto clock = static_cast<uint32_t>(rng());
        const uint32_t tsval = EncodeTsOptions(clock, opts);
        EXPECT_EQ(DecodeTsOptions(tsval), opts)
            << shift << " " << sack << " " << ecn;
      }
    }
  }
}

TEST(CookieTs, RoundTrip_NoWindowScale) {
  for (bool sack : {false, true}) {
    for (bool ecn : {false, true}) {
      const CookieTsOptions opts{
          .window_shift = std::nullopt, .sack_permitted = sack, .ecn = ecn};
      const uint32_t tsval = EncodeTsOptions(123456789, opts);
      EXPECT_EQ(tsval & 0xf, 15u);
      EXPECT_EQ(DecodeTsOptions(tsval), opts);
    }
  }
}

TEST(CookieTs, ShiftAbove14_EncodedAs14) {
  // RFC 7323 section 2.3: a shift above 14 is used as 14.
  const CookieTsOptions opts{.window_shift = 15};
  EXPECT_EQ(DecodeTsOptions(EncodeTsOptions(1 << 20, opts)).window_shift, 14);
}

TEST(CookieTs, Layout) {
  const CookieTsOptions opts{
      .window_shift = 7, .sack_permitted = true, .ecn = true};
  // Clock low bits 63 >= option bits 55: the high bits are kept as they are.
  EXPECT_EQ(EncodeTsOptions(0x12345fff, opts), 0x12345fc0u | 7 | 16 | 32);
  // Clock low bits 0 < 55: one 64-unit block back.
  EXPECT_EQ(EncodeTsOptions(0x12345fc0, opts), 0x12345f80u | 7 | 16 | 32);
}

TEST(CookieTs, NeverAheadOfClock_LagBelow64) {
  std::mt19937_64 rng(9);
  for (int i = 0; i < 100000; ++i) {
    const auto clock = static_cast<uint32_t>(rng());
    const CookieTsOptions opts{.window_shift = static_cast<uint8_t>(rng() % 15),
                               .sack_permitted = (rng() & 1) != 0,
                               .ecn = (rng() & 1) != 0};
    const uint32_t tsval = EncodeTsOptions(clock, opts);
    const uint32_t lag = clock - tsval;  // modular, RFC 7323 section 5.2
    ASSERT_LT(lag, 64u) << clock;
    ASSERT_EQ(DecodeTsOptions(tsval), opts);
  }
}

TEST(CookieTs, ClockNearZero_WrapsBackwards) {
  // Clock 0 with non-zero options steps back across the wrap.
  const uint32_t tsval = EncodeTsOptions(0, CookieTsOptions{.window_shift = 3});
  EXPECT_EQ(tsval, 0xffffffc3u);
}

}  // namespace
}  // namespace tern::tcp
