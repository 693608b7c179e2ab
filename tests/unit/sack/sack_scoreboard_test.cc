// Tests of the sender's SACK scoreboard: RFC 2018, RFC 2883 section 4 and the
// RFC 6675 section 4 functions IsLost, SetPipe and NextSeg.
#include "lib/tcp/sack_scoreboard.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace tern::tcp {
namespace {

using wire::SackBlock;
using Rule = NextSegment::Rule;

constexpr uint32_t kSmss = 1000;
// Near the top of the sequence space so every test also crosses 2^32.
constexpr uint32_t kIss = 0xffffd000u;

SeqNum S(uint32_t offset) { return SeqNum(kIss + offset); }
SackBlock B(uint32_t left, uint32_t right) {
  return SackBlock{S(left), S(right)};
}

// A fixture with 10 segments of kSmss outstanding: [S(0), S(10000)).
class SackTest : public ::testing::Test {
 protected:
  SackUpdate Ack(uint32_t una, std::initializer_list<SackBlock> blocks) {
    std::vector<SackBlock> v(blocks);
    return sb_.Update(S(una), snd_max_, v);
  }
  std::vector<std::pair<uint32_t, uint32_t>> Ranges() const {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    for (const auto& r : sb_.ranges()) {
      out.emplace_back(r.left.raw() - kIss, r.right.raw() - kIss);
    }
    return out;
  }
  using R = std::vector<std::pair<uint32_t, uint32_t>>;

  SackScoreboard sb_;
  SeqNum snd_max_ = S(10000);
};

TEST_F(SackTest, Update_DisjointBlocks_RecordedSorted) {
  SackUpdate u = Ack(0, {B(5000, 6000), B(2000, 3000), B(8000, 9000)});
  EXPECT_EQ(u.newly_sacked, 3000u);
  EXPECT_FALSE(u.dsack);
  EXPECT_EQ(Ranges(), (R{{2000, 3000}, {5000, 6000}, {8000, 9000}}));
  EXPECT_EQ(sb_.SackedBytes(), 3000u);
  EXPECT_EQ(sb_.HighestSacked(), S(9000));
}

TEST_F(SackTest, Update_AdjacentAndOverlapping_Merge) {
  Ack(0, {B(2000, 3000)});
  SackUpdate u = Ack(0, {B(3000, 4000)});  // touches: one range
  EXPECT_EQ(u.newly_sacked, 1000u);
  EXPECT_EQ(Ranges(), (R{{2000, 4000}}));
  u = Ack(0, {B(6000, 7000), B(1500, 2500)});  // overlaps the low edge
  EXPECT_EQ(u.newly_sacked, 1500u);
  EXPECT_EQ(Ranges(), (R{{1500, 4000}, {6000, 7000}}));
  u = Ack(0, {B(1000, 8000)});  // swallows both
  EXPECT_EQ(u.newly_sacked, 7000u - 2500u - 1000u);
  EXPECT_EQ(Ranges(), (R{{1000, 8000}}));
  EXPECT_EQ(sb_.SackedBytes(), 7000u);
}

TEST_F(SackTest, Update_RepeatedBlock_NothingNew) {
  Ack(0, {B(2000, 3000)});
  SackUpdate u = Ack(0, {B(2000, 3000)});
  EXPECT_EQ(u.newly_sacked, 0u);
  EXPECT_FALSE(u.dsack);
  EXPECT_EQ(sb_.SackedBytes(), 1000u);
}

TEST_F(SackTest, Update_OutOfRangeBlocks_Ignored) {
  // Beyond SND.MAX, empty, inverted, wholly acknowledged: all ignored. The
  // acknowledged one is not first, so it is not a D-SACK either.
  SackUpdate u =
      Ack(1000, {B(9000, 11000), B(4000, 4000), B(5000, 4000), B(0, 1000)});
  EXPECT_EQ(u.newly_sacked, 0u);
  EXPECT_FALSE(u.dsack);
  EXPECT_TRUE(sb_.empty());
  // A block far outside the window, 2^31 away, is also ignored.
  u = Ack(1000, {B(0x80000000u, 0x80001000u)});
  EXPECT_TRUE(sb_.empty());
}

TEST_F(SackTest, Update_BlockStraddlingSndUna_ClippedWhenNotFirst) {
  SackUpdate u = Ack(3000, {B(6000, 7000), B(2000, 4000)});
  EXPECT_FALSE(u.dsack);
  EXPECT_EQ(u.newly_sacked, 2000u);
  EXPECT_EQ(Ranges(), (R{{3000, 4000}, {6000, 7000}}));
}

TEST_F(SackTest, OnCumulativeAck_DropsAndTrims) {
  Ack(0, {B(1000, 2000), B(3000, 5000), B(7000, 8000)});
  sb_.OnCumulativeAck(S(2000));
  EXPECT_EQ(Ranges(), (R{{3000, 5000}, {7000, 8000}}));
  sb_.OnCumulativeAck(S(4000));  // inside a range: trimmed
  EXPECT_EQ(Ranges(), (R{{4000, 5000}, {7000, 8000}}));
  EXPECT_EQ(sb_.SackedBytes(), 2000u);
  EXPECT_FALSE(sb_.IsSacked(S(3500)));
  Ack(8000, {});
  EXPECT_TRUE(sb_.empty());
  EXPECT_EQ(sb_.SackedBytes(), 0u);
  EXPECT_EQ(sb_.HighestSacked(), S(8000));  // SND.UNA when empty
}

TEST_F(SackTest, Reset_ForgetsEverything) {
  Ack(0, {B(1000, 2000), B(3000, 5000)});
  sb_.Reset();
  EXPECT_TRUE(sb_.empty());
  EXPECT_EQ(sb_.SackedBytes(), 0u);
  EXPECT_FALSE(sb_.IsSacked(S(1000)));
}

// RFC 2883 section 4, first case: the first block lies below the cumulative
// ACK (a retransmission whose original had arrived).
TEST_F(SackTest, Dsack_FirstBlockBelowCumulativeAck) {
  SackUpdate u = Ack(4000, {B(3000, 4000)});
  EXPECT_TRUE(u.dsack);
  EXPECT_EQ(u.dsack_left, S(3000));
  EXPECT_EQ(u.dsack_right, S(4000));
  EXPECT_EQ(u.newly_sacked, 0u);
  EXPECT_TRUE(sb_.empty());
  // Followed by an ordinary block, which is recorded.
  u = Ack(4000, {B(3000, 4000), B(6000, 7000)});
  EXPECT_TRUE(u.dsack);
  EXPECT_EQ(u.newly_sacked, 1000u);
  EXPECT_EQ(Ranges(), (R{{6000, 7000}}));
}

// RFC 2883 section 4, second case: the first block is contained in the
// second (a duplicate above the cumulative ACK).
TEST_F(SackTest, Dsack_FirstBlockInsideSecond) {
  Ack(0, {B(4000, 6000)});
  SackUpdate u = Ack(0, {B(5000, 6000), B(4000, 7000)});
  EXPECT_TRUE(u.dsack);
  EXPECT_EQ(u.dsack_left, S(5000));
  EXPECT_EQ(u.dsack_right, S(6000));
  EXPECT_EQ(u.newly_sacked, 1000u);  // only 6000-7000 is new
  EXPECT_EQ(Ranges(), (R{{4000, 7000}}));
}

TEST_F(SackTest, Dsack_OrdinaryFirstBlock_NotDsack) {
  // First block above the ACK and not inside the second one.
  SackUpdate u = Ack(0, {B(6000, 7000), B(4000, 5000)});
  EXPECT_FALSE(u.dsack);
  // Overlapping the second one only partially is not containment.
  u = Ack(0, {B(4500, 5500), B(4000, 5000)});
  EXPECT_FALSE(u.dsack);
  EXPECT_EQ(Ranges(), (R{{4000, 5500}, {6000, 7000}}));
}

TEST_F(SackTest, IsSacked_Edges) {
  Ack(0, {B(2000, 3000)});
  EXPECT_FALSE(sb_.IsSacked(S(1999)));
  EXPECT_TRUE(sb_.IsSacked(S(2000)));
  EXPECT_TRUE(sb_.IsSacked(S(2999)));
  EXPECT_FALSE(sb_.IsSacked(S(3000)));
}

// RFC 6675 section 4 IsLost, DupThresh discontiguous SACKed sequences above.
TEST_F(SackTest, IsLost_ThreeDiscontiguousSegmentsAbove) {
  // Small segments so the byte rule (> 2 * SMSS) does not fire.
  Ack(0, {B(1000, 1100), B(1200, 1300)});
  EXPECT_FALSE(sb_.IsLost(S(0), kSmss));  // two above
  Ack(0, {B(1400, 1500)});
  EXPECT_TRUE(sb_.IsLost(S(0), kSmss));      // three above
  EXPECT_FALSE(sb_.IsLost(S(1100), kSmss));  // two above
  EXPECT_FALSE(sb_.IsLost(S(1000), kSmss));  // SACKed itself
  EXPECT_FALSE(sb_.IsLost(S(1500), kSmss));  // nothing above
}

// RFC 6675 section 4 IsLost, more than (DupThresh - 1) * SMSS bytes above.
TEST_F(SackTest, IsLost_EnoughBytesAbove) {
  Ack(0, {B(1000, 3000)});  // exactly 2 * SMSS: not more than
  EXPECT_FALSE(sb_.IsLost(S(0), kSmss));
  Ack(0, {B(3000, 3001)});
  EXPECT_TRUE(sb_.IsLost(S(0), kSmss));
  // Three contiguous full segments form one range but 3 * SMSS bytes.
  sb_.Reset();
  Ack(0, {B(5000, 8000)});
  EXPECT_TRUE(sb_.IsLost(S(4999), kSmss));
  EXPECT_TRUE(sb_.IsLost(S(0), kSmss));
  EXPECT_FALSE(sb_.IsLost(S(8000), kSmss));
}

// Pipe, scenario 1: segment 0 lost, segments 1..3 SACKed, 4..9 in flight.
TEST_F(SackTest, Pipe_OneLossThreeSacked) {
  Ack(0, {B(1000, 4000)});
  // Octets of segment 0 are lost (3 * SMSS above): not counted; 4..9 are not
  // lost: 6000 bytes. Nothing retransmitted yet.
  EXPECT_EQ(sb_.Pipe(S(0), snd_max_, S(0), kSmss), 6000u);
  // After retransmitting segment 0 (HighRxt covers it), it counts once.
  EXPECT_EQ(sb_.Pipe(S(0), snd_max_, S(1000), kSmss), 7000u);
}

// Pipe, scenario 2: not enough SACKed to declare the hole lost, and a
// retransmitted byte that is not lost counts twice (SetPipe (a) and (b)).
TEST_F(SackTest, Pipe_NotLostAndRetransmittedCountsTwice) {
  Ack(0, {B(1000, 2000)});
  EXPECT_EQ(sb_.Pipe(S(0), snd_max_, S(0), kSmss), 9000u);
  EXPECT_EQ(sb_.Pipe(S(0), snd_max_, S(1000), kSmss), 10000u);
}

// Pipe, scenario 3: several holes, each judged separately.
TEST_F(SackTest, Pipe_SeveralHoles) {
  // Holes: [0,1000) lost (3 ranges above), [2000,3000) lost (2 ranges but
  // 3000 bytes above > 2000), [4000,5000) not lost (1 range, 2000 bytes),
  // [7000,10000) not lost (nothing above).
  Ack(0, {B(1000, 2000), B(3000, 4000), B(5000, 7000)});
  EXPECT_TRUE(sb_.IsLost(S(0), kSmss));
  EXPECT_TRUE(sb_.IsLost(S(2000), kSmss));
  EXPECT_FALSE(sb_.IsLost(S(4000), kSmss));
  EXPECT_EQ(sb_.Pipe(S(0), snd_max_, S(0), kSmss), 4000u);
  // Retransmitted [0, 2500): 1000 + 500 from (b).
  EXPECT_EQ(sb_.Pipe(S(0), snd_max_, S(2500), kSmss), 5500u);
  // No SACKs: every byte in flight.
  sb_.Reset();
  EXPECT_EQ(sb_.Pipe(S(0), snd_max_, S(0), kSmss), 10000u);
}

// NextSeg rule (1): the lowest lost hole above HighRxt, at most SMSS, never
// into SACKed data.
TEST_F(SackTest, NextSeg_Rule1_LostHoleFirst) {
  Ack(0, {B(500, 1000), B(2000, 3000), B(4000, 8000)});
  auto n = sb_.NextSeg(S(0), snd_max_, S(0), S(20000), kSmss, true);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, (NextSegment{S(0), 500, true, Rule::kLost}));
  // With [0, 500) retransmitted, the next lost hole is [1000, 2000).
  n = sb_.NextSeg(S(0), snd_max_, S(500), S(20000), kSmss, true);
  EXPECT_EQ(*n, (NextSegment{S(1000), 1000, true, Rule::kLost}));
  // HighRxt in the middle of a hole: continue from it.
  n = sb_.NextSeg(S(0), snd_max_, S(1200), S(20000), kSmss, true);
  EXPECT_EQ(*n, (NextSegment{S(1200), 800, true, Rule::kLost}));
  // A hole longer than SMSS gives one SMSS.
  sb_.Reset();
  Ack(0, {B(3000, 6000)});
  n = sb_.NextSeg(S(0), snd_max_, S(0), S(20000), kSmss, true);
  EXPECT_EQ(*n, (NextSegment{S(0), kSmss, true, Rule::kLost}));
}

// NextSeg rule (2): new data when no hole is lost.
TEST_F(SackTest, NextSeg_Rule2_NewDataWhenNothingLost) {
  Ack(0, {B(1000, 2000)});  // hole [0,1000) not lost
  auto n = sb_.NextSeg(S(0), snd_max_, S(0), S(20000), kSmss, true);
  EXPECT_EQ(*n, (NextSegment{S(10000), kSmss, false, Rule::kNewData}));
  // Less than SMSS left to send.
  n = sb_.NextSeg(S(0), snd_max_, S(0), S(10300), kSmss, true);
  EXPECT_EQ(*n, (NextSegment{S(10000), 300, false, Rule::kNewData}));
  // Lost holes still come before new data.
  Ack(0, {B(3000, 6000)});
  n = sb_.NextSeg(S(0), snd_max_, S(0), S(20000), kSmss, true);
  EXPECT_EQ(n->rule, Rule::kLost);
  EXPECT_EQ(n->seq, S(0));
}

// NextSeg rule (3): no lost hole, no new data: the first unSACKed hole above
// HighRxt and below the highest SACKed byte.
TEST_F(SackTest, NextSeg_Rule3_UnsackedNotLost) {
  Ack(0, {B(1000, 2000), B(4000, 5000)});  // holes [0,1000), [2000,4000)
  EXPECT_FALSE(sb_.IsLost(S(0), kSmss));
  auto n = sb_.NextSeg(S(0), snd_max_, S(0), snd_max_, kSmss, true);
  EXPECT_EQ(*n, (NextSegment{S(0), 1000, true, Rule::kUnsackedNotLost}));
  n = sb_.NextSeg(S(0), snd_max_, S(1000), snd_max_, kSmss, true);
  EXPECT_EQ(*n, (NextSegment{S(2000), 1000, true, Rule::kUnsackedNotLost}));
  n = sb_.NextSeg(S(0), snd_max_, S(3500), snd_max_, kSmss, true);
  EXPECT_EQ(*n, (NextSegment{S(3500), 500, true, Rule::kUnsackedNotLost}));
}

// NextSeg rule (4): the rescue retransmission includes the highest
// outstanding unSACKed byte, once per recovery (the caller's flag).
TEST_F(SackTest, NextSeg_Rule4_Rescue) {
  Ack(0, {B(1000, 2000)});
  // Everything below the highest SACK retransmitted; the tail [2000, 10000)
  // is above any SACK so rules (1) and (3) do not apply to it.
  auto n = sb_.NextSeg(S(0), snd_max_, S(2000), snd_max_, kSmss, true);
  EXPECT_EQ(*n, (NextSegment{S(9000), kSmss, true, Rule::kRescue}));
  EXPECT_FALSE(
      sb_.NextSeg(S(0), snd_max_, S(2000), snd_max_, kSmss, false).has_value());
  // The highest unSACKed hole shorter than SMSS is sent whole.
  Ack(0, {B(2000, 9600)});
  n = sb_.NextSeg(S(0), snd_max_, S(2000), snd_max_, kSmss, true);
  EXPECT_EQ(*n, (NextSegment{S(9600), 400, true, Rule::kRescue}));
  // Nothing outstanding unSACKed: nothing to send at all.
  Ack(0, {B(0, 1000), B(9600, 10000)});
  EXPECT_FALSE(
      sb_.NextSeg(S(0), snd_max_, S(0), snd_max_, kSmss, true).has_value());
}

TEST_F(SackTest, NextSeg_NoSacks_NewDataOrRescue) {
  auto n = sb_.NextSeg(S(0), snd_max_, S(0), S(12000), kSmss, true);
  EXPECT_EQ(n->rule, Rule::kNewData);
  n = sb_.NextSeg(S(0), snd_max_, S(0), snd_max_, kSmss, true);
  EXPECT_EQ(*n, (NextSegment{S(9000), kSmss, true, Rule::kRescue}));
}

TEST(SackCapacity, Full_DropsHighestKeepsLowest) {
  SackScoreboard sb;
  const SeqNum una(kIss);
  const SeqNum max = una + 1000000;
  // kMaxRanges islands of 10 bytes every 100 bytes, inserted high to low.
  for (size_t k = SackScoreboard::kMaxRanges; k-- > 0;) {
    SackBlock b{una + 100 * (k + 1), una + 100 * (k + 1) + 10};
    sb.Update(una, max, std::span<const SackBlock>(&b, 1));
  }
  ASSERT_EQ(sb.range_count(), SackScoreboard::kMaxRanges);
  const SeqNum top = una + 100 * SackScoreboard::kMaxRanges + 10;
  EXPECT_EQ(sb.HighestSacked(), top);
  // A new highest island is the one forgotten.
  SackBlock high{top + 100, top + 110};
  SackUpdate u = sb.Update(una, max, std::span<const SackBlock>(&high, 1));
  EXPECT_EQ(u.newly_sacked, 0u);
  EXPECT_FALSE(sb.IsSacked(top + 100));
  EXPECT_EQ(sb.range_count(), SackScoreboard::kMaxRanges);
  // A new low island evicts the highest one.
  SackBlock low{una + 10, una + 20};
  u = sb.Update(una, max, std::span<const SackBlock>(&low, 1));
  EXPECT_EQ(u.newly_sacked, 10u);
  EXPECT_TRUE(sb.IsSacked(una + 10));
  EXPECT_FALSE(sb.IsSacked(top - 10));
  EXPECT_EQ(sb.HighestSacked(), top - 100);
  EXPECT_EQ(sb.range_count(), SackScoreboard::kMaxRanges);
  EXPECT_EQ(sb.SackedBytes(), 10u * SackScoreboard::kMaxRanges);
  // Merging needs no room: an extension of an island is always recorded.
  SackBlock grow{una + 20, una + 30};
  u = sb.Update(una, max, std::span<const SackBlock>(&grow, 1));
  EXPECT_EQ(u.newly_sacked, 10u);
  // The forgotten island comes back once there is room (the receiver repeats
  // its blocks, RFC 2018 section 4).
  sb.OnCumulativeAck(una + 150);
  SackBlock again{top - 10, top};
  sb.Update(una + 150, max, std::span<const SackBlock>(&again, 1));
  EXPECT_TRUE(sb.IsSacked(top - 10));
}

// A per-byte model of the scoreboard and of the RFC 6675 functions, written
// directly from the RFC text, one octet at a time.
class Model {
 public:
  explicit Model(uint32_t size) : sacked_(size, false) {}
  // offsets relative to kIss
  uint32_t Sack(uint32_t una, uint32_t max, uint32_t l, uint32_t r) {
    end_ = std::max(end_, max);
    uint32_t added = 0;
    for (uint32_t b = std::max(l, una); b < r && b < max; ++b) {
      if (!sacked_[b]) {
        sacked_[b] = true;
        ++added;
      }
    }
    return added;
  }
  void CumAck(uint32_t una) {
    for (uint32_t b = 0; b < una; ++b) {
      sacked_[b] = false;
    }
  }
  bool Sacked(uint32_t b) const { return sacked_[b]; }
  uint32_t Bytes() const {
    uint32_t n = 0;
    for (bool s : sacked_) {
      n += s;
    }
    return n;
  }
  uint32_t Highest(uint32_t una) const {
    for (uint32_t b = sacked_.size(); b-- > 0;) {
      if (sacked_[b]) {
        return b + 1;
      }
    }
    return una;
  }
  bool Lost(uint32_t s, uint32_t smss) const {
    if (sacked_[s]) {
      return false;
    }
    uint32_t runs = 0;
    uint32_t bytes = 0;
    for (uint32_t b = s + 1; b < end_; ++b) {
      if (sacked_[b]) {
        ++bytes;
        if (!sacked_[b - 1]) {
          ++runs;
        }
      }
    }
    return runs >= 3 || bytes > 2 * smss;
  }
  uint32_t Pipe(uint32_t una, uint32_t max, uint32_t rxt, uint32_t smss) const {
    uint32_t pipe = 0;
    for (uint32_t s = una; s < max; ++s) {
      if (sacked_[s]) {
        continue;
      }
      pipe += !Lost(s, smss);
      pipe += s < rxt;
    }
    return pipe;
  }
  std::optional<NextSegment> Next(uint32_t una, uint32_t max, uint32_t rxt,
                                  uint32_t data_end, uint32_t smss,
                                  bool rescue) const {
    uint32_t highest = Highest(una);
    auto seg_from = [&](uint32_t s, Rule rule) {
      uint32_t e = s;
      while (e < max && e - s < smss && !sacked_[e]) {
        ++e;
      }
      return NextSegment{S(s), e - s, true, rule};
    };
    for (uint32_t s = std::max(una, rxt); s < highest; ++s) {
      if (!sacked_[s] && Lost(s, smss)) {
        return seg_from(s, Rule::kLost);
      }
    }
    if (data_end > max) {
      return NextSegment{S(max), std::min(smss, data_end - max), false,
                         Rule::kNewData};
    }
    for (uint32_t s = std::max(una, rxt); s < highest; ++s) {
      if (!sacked_[s]) {
        return seg_from(s, Rule::kUnsackedNotLost);
      }
    }
    if (rescue) {
      for (uint32_t e = max; e > una; --e) {
        if (!sacked_[e - 1]) {
          uint32_t s = e - 1;
          while (s > una && !sacked_[s - 1] && e - s < smss) {
            --s;
          }
          return NextSegment{S(s), e - s, true, Rule::kRescue};
        }
      }
    }
    return std::nullopt;
  }

 private:
  std::vector<bool> sacked_;
  uint32_t end_ = 0;  // nothing at or above this offset is SACKed
};

// Random ACK streams against the model. The window is at most 64 bytes, so at
// most 32 disjoint islands exist and the capacity bound never applies: the
// scoreboard must agree with the model exactly.
TEST(SackRandom, MatchesPerByteModel) {
  std::mt19937 gen(6675);
  auto rng = [&gen] { return static_cast<uint32_t>(gen()); };
  constexpr uint32_t kWindow = 64;
  constexpr uint32_t kTotal = 4000;
  int rules[5] = {};
  int dsacks = 0;
  int nothing = 0;
  for (int run = 0; run < 8; ++run) {
    SackScoreboard sb;
    Model model(kTotal + kWindow);
    const uint32_t smss = 1 + rng() % 6;
    // Start above 2 so that blocks up to 2 bytes below SND.UNA stay positive
    // offsets (the sequence numbers themselves still wrap past 2^32).
    uint32_t una = 8;
    uint32_t max = una + 1 + rng() % kWindow;
    while (una < kTotal) {
      // One ACK: maybe advance SND.UNA, up to 4 blocks, some bogus.
      if (rng() % 4 == 0) {
        una = std::min(max, una + rng() % 8);
        model.CumAck(una);
      }
      std::vector<SackBlock> blocks;
      uint32_t nblocks = rng() % 5;
      for (uint32_t k = 0; k < nblocks; ++k) {
        uint32_t l = una + rng() % (max - una + 4) - 2;
        uint32_t r = l + rng() % 10;
        if (rng() % 8 == 0) {
          std::swap(l, r);
        }
        blocks.push_back(B(l, r));
      }
      // Predict the D-SACK verdict and the model's update.
      bool dsack = false;
      if (!blocks.empty()) {
        uint32_t l0 = blocks[0].left.raw() - kIss;
        uint32_t r0 = blocks[0].right.raw() - kIss;
        bool sane = l0 < r0 && r0 <= max;
        bool inside = blocks.size() >= 2 && blocks[1].left < blocks[1].right &&
                      blocks[1].left <= blocks[0].left &&
                      blocks[0].right <= blocks[1].right;
        dsack = sane && (l0 < una || inside);
      }
      uint32_t expect_new = 0;
      for (size_t k = dsack ? 1 : 0; k < blocks.size(); ++k) {
        uint32_t l = blocks[k].left.raw() - kIss;
        uint32_t r = blocks[k].right.raw() - kIss;
        if (l < r && r <= max && r > una) {
          expect_new += model.Sack(una, max, l, r);
        }
      }
      SackUpdate u = sb.Update(S(una), S(max), blocks);
      ASSERT_EQ(u.dsack, dsack);
      ASSERT_EQ(u.newly_sacked, expect_new);
      ASSERT_EQ(sb.SackedBytes(), model.Bytes());
      ASSERT_EQ(sb.HighestSacked(), S(model.Highest(una)));
      for (uint32_t b = una; b < max; ++b) {
        ASSERT_EQ(sb.IsSacked(S(b)), model.Sacked(b)) << b;
        ASSERT_EQ(sb.IsLost(S(b), smss), model.Lost(b, smss)) << b;
      }
      uint32_t rxt = una + rng() % (max - una + 1);
      uint32_t data_end = rng() % 2 ? max : max + rng() % 10;
      bool rescue = rng() % 2;
      ASSERT_EQ(sb.Pipe(S(una), S(max), S(rxt), smss),
                model.Pipe(una, max, rxt, smss));
      std::optional<NextSegment> next =
          sb.NextSeg(S(una), S(max), S(rxt), S(data_end), smss, rescue);
      ASSERT_EQ(next, model.Next(una, max, rxt, data_end, smss, rescue));
      if (next) {
        ++rules[static_cast<int>(next->rule)];
      } else {
        ++nothing;
      }
      dsacks += u.dsack;
      // Send more data, keeping the window within kWindow.
      max = std::min(una + kWindow, max + rng() % 6);
      if (max == una) {
        max = una + 1;
      }
    }
  }
  // The stream exercised every rule and both outcomes.
  for (int rule = 1; rule <= 4; ++rule) {
    EXPECT_GT(rules[rule], 100) << "rule " << rule;
  }
  EXPECT_GT(nothing, 100);
  EXPECT_GT(dsacks, 100);
}

// Large windows with many islands: the capacity bound applies, and the
// scoreboard must only ever claim bytes the model holds as SACKed and keep its
// byte count and range order consistent.
TEST(SackRandom, BoundedIsSubsetOfModel) {
  std::mt19937 gen(2018);
  auto rng = [&gen] { return static_cast<uint32_t>(gen()); };
  constexpr uint32_t kWindow = 2000;
  SackScoreboard sb;
  Model model(kWindow);
  for (int ack = 0; ack < 3000; ++ack) {
    uint32_t l = rng() % kWindow;
    uint32_t r = std::min(kWindow, l + 1 + rng() % 12);
    SackBlock b = B(l, r);
    model.Sack(0, kWindow, l, r);
    sb.Update(S(0), S(kWindow), std::span<const SackBlock>(&b, 1));
    ASSERT_LE(sb.range_count(), SackScoreboard::kMaxRanges);
    uint32_t counted = 0;
    for (uint32_t x = 0; x < kWindow; ++x) {
      if (sb.IsSacked(S(x))) {
        ASSERT_TRUE(model.Sacked(x)) << x;
        ++counted;
      }
    }
    ASSERT_EQ(counted, sb.SackedBytes());
    // Ranges are sorted, disjoint and non-adjacent.
    auto ranges = sb.ranges();
    for (size_t k = 0; k + 1 < ranges.size(); ++k) {
      ASSERT_LT(ranges[k].right, ranges[k + 1].left);
    }
  }
}

}  // namespace
}  // namespace tern::tcp
