#include "lib/tcp/assembler.h"

#include <array>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace tern::tcp {

// White-box access to the recency clock, to test its wrap.
class AssemblerPeer {
 public:
  static void SetClock(Assembler& a, uint32_t clock) { a.clock_ = clock; }
  static uint32_t clock(const Assembler& a) { return a.clock_; }
};

namespace {

using Range = Assembler::Range;
using Result = Assembler::InsertResult;

std::vector<Range> Ranges(const Assembler& a) {
  return {a.ranges().begin(), a.ranges().end()};
}

constexpr SeqNum kRcvNxt(0xfffffff0u);  // blocks straddle the 2^32 wrap

wire::SackBlock Block(uint32_t start, uint32_t end) {
  return {kRcvNxt + start, kRcvNxt + end};
}

std::vector<wire::SackBlock> Sack(const Assembler& a, size_t n) {
  std::array<wire::SackBlock, wire::kTcpMaxSackBlocks> out{};
  size_t k = a.SackBlocks(kRcvNxt, std::span(out.data(), n));
  return {out.begin(), out.begin() + k};
}

TEST(Assembler, Empty_Initially) {
  Assembler a;
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(a.range_count(), 0u);
  EXPECT_EQ(a.highest_end(), 0u);
  EXPECT_EQ(a.PopFront(), 0u);
  EXPECT_FALSE(a.FinReached());
  EXPECT_TRUE(Sack(a, 4).empty());
}

TEST(Assembler, Add_Disjoint_KeptSorted) {
  Assembler a;
  EXPECT_EQ(a.Add(20, 5), Result::kAdded);
  EXPECT_EQ(a.Add(5, 5), Result::kAdded);
  EXPECT_EQ(a.Add(40, 1), Result::kAdded);
  EXPECT_EQ(Ranges(a), (std::vector<Range>{{5, 10}, {20, 25}, {40, 41}}));
  EXPECT_EQ(a.highest_end(), 41u);
  EXPECT_EQ(a.range_count(), 3u);
  EXPECT_EQ(a.PopFront(), 0u) << "a hole at offset 0 remains";
}

TEST(Assembler, Add_TouchingLeftNeighbour_Merges) {
  Assembler a;
  a.Add(10, 5);
  EXPECT_EQ(a.Add(15, 5), Result::kAdded);
  EXPECT_EQ(Ranges(a), (std::vector<Range>{{10, 20}}));
}

TEST(Assembler, Add_TouchingRightNeighbour_Merges) {
  Assembler a;
  a.Add(10, 5);
  EXPECT_EQ(a.Add(4, 6), Result::kAdded);
  EXPECT_EQ(Ranges(a), (std::vector<Range>{{4, 15}}));
}

TEST(Assembler, Add_FillingHoleExactly_MergesBoth) {
  Assembler a;
  a.Add(10, 5);
  a.Add(20, 5);
  EXPECT_EQ(a.Add(15, 5), Result::kAdded);
  EXPECT_EQ(Ranges(a), (std::vector<Range>{{10, 25}}));
}

TEST(Assembler, Add_SpanningSeveral_MergesAll) {
  Assembler a;
  a.Add(10, 2);
  a.Add(20, 2);
  a.Add(30, 2);
  a.Add(50, 2);
  EXPECT_EQ(a.Add(5, 40), Result::kAdded);
  EXPECT_EQ(Ranges(a), (std::vector<Range>{{5, 45}, {50, 52}}));
}

TEST(Assembler, Add_OverlappingLeft_Extends) {
  Assembler a;
  a.Add(10, 10);
  EXPECT_EQ(a.Add(15, 10), Result::kAdded);
  EXPECT_EQ(Ranges(a), (std::vector<Range>{{10, 25}}));
}

TEST(Assembler, Add_OverlappingRight_Extends) {
  Assembler a;
  a.Add(10, 10);
  EXPECT_EQ(a.Add(5, 10), Result::kAdded);
  EXPECT_EQ(Ranges(a), (std::vector<Range>{{5, 20}}));
}

TEST(Assembler, Add_ContainingExisting_Extends) {
  Assembler a;
  a.Add(10, 10);
  EXPECT_EQ(a.Add(5, 30), Result::kAdded);
  EXPECT_EQ(Ranges(a), (std::vector<Range>{{5, 35}}));
}

TEST(Assembler, Add_ContainedInExisting_Duplicate) {
  Assembler a;
  a.Add(10, 10);
  EXPECT_EQ(a.Add(12, 3), Result::kDuplicate);
  EXPECT_EQ(a.Add(10, 10), Result::kDuplicate);
  EXPECT_EQ(a.Add(19, 1), Result::kDuplicate);
  EXPECT_EQ(Ranges(a), (std::vector<Range>{{10, 20}}));
}

TEST(Assembler, Add_ZeroLength_DuplicateAndNothingRecorded) {
  Assembler a;
  EXPECT_EQ(a.Add(10, 0), Result::kDuplicate);
  EXPECT_TRUE(a.empty());
}

TEST(Assembler, Add_BeyondRangeBound_Refused) {
  Assembler a;
  for (uint32_t k = 0; k < Assembler::kMaxRanges; ++k) {
    ASSERT_EQ(a.Add(10 + 10 * k, 1), Result::kAdded);
  }
  const std::vector<Range> before = Ranges(a);
  EXPECT_EQ(a.Add(5, 1), Result::kTooManyRanges);
  EXPECT_EQ(a.Add(1000, 1), Result::kTooManyRanges);
  EXPECT_EQ(a.Add(12, 1), Result::kTooManyRanges) << "between two ranges";
  EXPECT_EQ(Ranges(a), before);
  // Growing, joining or repeating an existing range needs no new slot.
  EXPECT_EQ(a.Add(11, 1), Result::kAdded);
  EXPECT_EQ(a.Add(9, 1), Result::kAdded);
  EXPECT_EQ(a.Add(20, 1), Result::kDuplicate);
  EXPECT_EQ(a.Add(12, 8), Result::kAdded) << "joins [9,12) and [20,21)";
  EXPECT_EQ(a.range_count(), Assembler::kMaxRanges - 1);
  EXPECT_EQ(a.Add(5000, 1), Result::kAdded) << "the freed slot is usable";
  EXPECT_EQ(a.Add(6000, 1), Result::kTooManyRanges);
}

TEST(Assembler, Add_InOrderWhenFull_AcceptedAndPopped) {
  Assembler a;
  for (uint32_t k = 0; k < Assembler::kMaxRanges; ++k) {
    ASSERT_EQ(a.Add(10 + 10 * k, 1), Result::kAdded);
  }
  EXPECT_EQ(a.Add(0, 3), Result::kAdded);
  EXPECT_EQ(a.range_count(), Assembler::kMaxRanges + 1);
  EXPECT_EQ(a.Add(4, 1), Result::kTooManyRanges)
      << "the range at 0 does not open extra room beyond it";
  EXPECT_EQ(a.PopFront(), 3u);
  EXPECT_EQ(a.range_count(), Assembler::kMaxRanges);
  EXPECT_EQ(a.ranges()[0], (Range{7, 8}));
}

TEST(Assembler, PopFront_AfterHoleFilled_ReturnsRunAndRebases) {
  Assembler a;
  a.Add(10, 10);
  a.Add(30, 5);
  EXPECT_EQ(a.PopFront(), 0u);
  EXPECT_EQ(a.Add(0, 10), Result::kAdded);
  EXPECT_EQ(a.PopFront(), 20u);
  EXPECT_EQ(Ranges(a), (std::vector<Range>{{10, 15}}));
  EXPECT_EQ(a.PopFront(), 0u);
  EXPECT_EQ(a.highest_end(), 15u);
}

TEST(Assembler, Advance_ShiftsAndDiscardsBelowZero) {
  Assembler a;
  a.Add(10, 10);
  a.Add(30, 10);
  a.Add(50, 10);
  a.Advance(35);
  EXPECT_EQ(Ranges(a), (std::vector<Range>{{0, 5}, {15, 25}}));
  EXPECT_EQ(a.PopFront(), 5u);
  EXPECT_EQ(Ranges(a), (std::vector<Range>{{10, 20}}));
  a.Advance(10);
  EXPECT_EQ(Ranges(a), (std::vector<Range>{{0, 10}})) << "adjacent at 0";
  EXPECT_EQ(a.PopFront(), 10u);
  EXPECT_TRUE(a.empty());
}

TEST(Assembler, Advance_PastEverything_Empties) {
  Assembler a;
  a.Add(10, 10);
  a.Add(30, 10);
  a.Advance(100);
  EXPECT_TRUE(a.empty());
  a.Advance(0);
  EXPECT_TRUE(a.empty());
}

TEST(Assembler, Fin_OutOfOrder_ReachedWhenBytesBeforeItPopped) {
  Assembler a;
  a.Add(10, 10);
  a.SetFin(20);
  EXPECT_TRUE(a.fin_known());
  EXPECT_FALSE(a.FinReached());
  a.Add(0, 5);
  EXPECT_EQ(a.PopFront(), 5u);
  EXPECT_FALSE(a.FinReached());
  EXPECT_EQ(a.fin_offset(), 15u);
  a.Add(0, 5);
  EXPECT_EQ(a.PopFront(), 15u);
  EXPECT_TRUE(a.FinReached());
  EXPECT_TRUE(a.empty());
}

TEST(Assembler, Fin_ReachedThroughAdvance) {
  Assembler a;
  a.SetFin(8);
  a.Advance(5);
  EXPECT_FALSE(a.FinReached());
  a.Advance(3);
  EXPECT_TRUE(a.FinReached());
}

TEST(Assembler, Fin_AtZero_ReachedAtOnce) {
  Assembler a;
  a.SetFin(0);
  EXPECT_TRUE(a.FinReached());
}

TEST(Assembler, Fin_BytesPastIt_ClippedOrRefused) {
  Assembler a;
  a.Add(30, 10);
  a.Add(10, 10);
  a.SetFin(15);
  EXPECT_EQ(Ranges(a), (std::vector<Range>{{10, 15}}));
  EXPECT_EQ(a.Add(15, 5), Result::kBeyondFin);
  EXPECT_EQ(a.Add(40, 5), Result::kBeyondFin);
  EXPECT_EQ(a.Add(5, 20), Result::kAdded);
  EXPECT_EQ(Ranges(a), (std::vector<Range>{{5, 15}}));
}

TEST(Assembler, Fin_SecondPosition_Ignored) {
  Assembler a;
  a.SetFin(20);
  a.SetFin(10);
  EXPECT_EQ(a.fin_offset(), 20u);
  a.Add(0, 20);
  EXPECT_EQ(a.PopFront(), 20u);
  EXPECT_TRUE(a.FinReached());
}

TEST(Assembler, Clear_ForgetsEverything) {
  Assembler a;
  a.Add(10, 10);
  a.SetFin(30);
  a.Clear();
  EXPECT_TRUE(a.empty());
  EXPECT_FALSE(a.fin_known());
  EXPECT_TRUE(Sack(a, 4).empty());
}

// RFC 2018 section 4: "The first SACK block (i.e., the one immediately
// following the kind and length fields in the option) MUST specify the
// contiguous block of data containing the segment which triggered this ACK".
TEST(AssemblerSack, FirstBlock_ContainsTriggeringSegment) {
  Assembler a;
  a.Add(100, 10);
  a.Add(300, 10);
  a.Add(200, 10);
  auto blocks = Sack(a, 4);
  ASSERT_FALSE(blocks.empty());
  EXPECT_EQ(blocks[0], Block(200, 210));
  a.Add(310, 5);  // extends [300, 310)
  blocks = Sack(a, 4);
  EXPECT_EQ(blocks[0], Block(300, 315));
}

// "... unless that segment advanced the Acknowledgment Number field": the
// popped range is not reported and the others keep their order.
TEST(AssemblerSack, InOrderSegment_NotReported) {
  Assembler a;
  a.Add(100, 10);
  a.Add(200, 10);
  a.Add(0, 10);
  EXPECT_EQ(a.PopFront(), 10u);
  EXPECT_EQ(Sack(a, 4),
            (std::vector<wire::SackBlock>{Block(190, 200), Block(90, 100)}));
}

TEST(AssemblerSack, RangeAtZeroBeforePopFront_NotReported) {
  Assembler a;
  a.Add(100, 10);
  a.Add(0, 10);
  EXPECT_EQ(Sack(a, 4), (std::vector<wire::SackBlock>{Block(100, 110)}));
}

// "The SACK option SHOULD be filled out by repeating the most recently
// reported SACK blocks (based on first SACK blocks in previous SACK options)
// that are not subsets of a SACK block already included".
TEST(AssemblerSack, OtherBlocks_MostRecentlyReportedFirst) {
  Assembler a;
  a.Add(10, 1);  // reported first in ACK 1
  a.Add(20, 1);  // ACK 2
  a.Add(30, 1);  // ACK 3
  a.Add(40, 1);  // ACK 4
  a.Add(50, 1);  // ACK 5
  EXPECT_EQ(Sack(a, 4),
            (std::vector<wire::SackBlock>{Block(50, 51), Block(40, 41),
                                          Block(30, 31), Block(20, 21)}));
  a.Add(21, 1);  // ACK 6: [20, 22) is first again
  EXPECT_EQ(Sack(a, 4),
            (std::vector<wire::SackBlock>{Block(20, 22), Block(50, 51),
                                          Block(40, 41), Block(30, 31)}));
}

TEST(AssemblerSack, DuplicateSegment_ReportsItsRangeFirst) {
  Assembler a;
  a.Add(10, 10);
  a.Add(30, 10);
  EXPECT_EQ(a.Add(12, 2), Result::kDuplicate);
  EXPECT_EQ(Sack(a, 4),
            (std::vector<wire::SackBlock>{Block(10, 20), Block(30, 40)}));
}

TEST(AssemblerSack, MergedRanges_ReportedOnceNoSubsets) {
  Assembler a;
  a.Add(10, 5);
  a.Add(20, 5);
  a.Add(40, 5);
  a.Add(15, 5);  // joins the first two
  EXPECT_EQ(Sack(a, 4),
            (std::vector<wire::SackBlock>{Block(10, 25), Block(40, 45)}));
}

// RFC 2018 section 3: at most 4 blocks, 3 when timestamps (10 bytes) are
// also carried; the caller sizes the span.
TEST(AssemblerSack, Limit_FourOrThreeWithTimestamps) {
  Assembler a;
  for (uint32_t k = 1; k <= 6; ++k) {
    a.Add(10 * k, 1);
  }
  EXPECT_EQ(Sack(a, 4).size(), 4u);
  EXPECT_EQ(Sack(a, 3), (std::vector<wire::SackBlock>{
                            Block(60, 61), Block(50, 51), Block(40, 41)}));
  EXPECT_EQ(Sack(a, 0).size(), 0u);
}

TEST(AssemblerSack, ClockWrap_KeepsRecencyOrder) {
  Assembler a;
  a.Add(30, 1);
  a.Add(10, 1);
  a.Add(20, 1);
  AssemblerPeer::SetClock(a, 0xffffffffu);
  a.Add(40, 1);  // renumbers, then stamps the new range newest
  EXPECT_LT(AssemblerPeer::clock(a), 10u);
  EXPECT_EQ(Sack(a, 4),
            (std::vector<wire::SackBlock>{Block(40, 41), Block(20, 21),
                                          Block(10, 11), Block(30, 31)}));
  a.Add(10, 1);
  EXPECT_EQ(Sack(a, 4)[0], Block(10, 11));
}

// Randomised against a byte-set model: offsets past RCV.NXT that have arrived.
class ByteModel {
 public:
  std::vector<Range> Ranges() const {
    std::vector<Range> out;
    for (uint32_t b : bytes_) {
      if (!out.empty() && out.back().end == b) {
        ++out.back().end;
      } else {
        out.push_back({b, b + 1});
      }
    }
    return out;
  }
  // Bytes present in [offset, offset + len).
  uint32_t CountIn(uint32_t offset, uint32_t len) const {
    uint32_t n = 0;
    for (auto it = bytes_.lower_bound(offset);
         it != bytes_.end() && *it < offset + len; ++it) {
      ++n;
    }
    return n;
  }
  void Insert(uint32_t offset, uint32_t len) {
    for (uint32_t b = offset; b < offset + len; ++b) {
      bytes_.insert(b);
    }
  }
  void Advance(uint32_t n) {
    std::set<uint32_t> next;
    for (uint32_t b : bytes_) {
      if (b >= n) {
        next.insert(b - n);
      }
    }
    bytes_.swap(next);
  }
  uint32_t Front() const {
    uint32_t n = 0;
    while (bytes_.count(n) != 0) {
      ++n;
    }
    return n;
  }

 private:
  std::set<uint32_t> bytes_;
};

TEST(AssemblerRandom, AgreesWithByteModel) {
  std::mt19937 rng(20240531);
  Assembler a;
  ByteModel model;
  size_t added = 0, duplicate = 0, refused = 0, pops = 0;
  constexpr int kOps = 100000;
  for (int op = 0; op < kOps; ++op) {
    const uint32_t kind = rng() % 100;
    if (kind < 85) {
      // Mostly small segments with gaps, so the range bound is hit often.
      const uint32_t offset = rng() % 600;
      const uint32_t len = (rng() % 4 == 0) ? rng() % 40 : 1 + rng() % 3;
      const std::vector<Range> before = model.Ranges();
      const size_t beyond =
          before.size() - (!before.empty() && before[0].start == 0 ? 1 : 0);
      const bool is_new = model.CountIn(offset, len) < len;
      // A new range is needed when no held byte overlaps or touches the
      // segment.
      const uint32_t lo = offset == 0 ? 0 : offset - 1;
      const bool needs_range =
          is_new && model.CountIn(lo, offset + len + 1 - lo) == 0;
      Result r = a.Add(offset, len);
      if (!is_new) {
        ASSERT_EQ(r, Result::kDuplicate) << "op " << op;
      } else if (needs_range && offset > 0 && beyond >= Assembler::kMaxRanges) {
        ASSERT_EQ(r, Result::kTooManyRanges) << "op " << op;
        ++refused;
      } else {
        ASSERT_EQ(r, Result::kAdded) << "op " << op;
        model.Insert(offset, len);
        ++added;
      }
      duplicate += r == Result::kDuplicate ? 1 : 0;
      if (r != Result::kTooManyRanges && len > 0) {
        // The first SACK block holds this segment unless it sits at 0.
        std::array<wire::SackBlock, 4> out{};
        size_t k = a.SackBlocks(kRcvNxt, out);
        Range front = a.ranges().empty() ? Range{} : a.ranges()[0];
        if (offset >= front.end || front.start != 0) {
          ASSERT_GE(k, 1u);
          EXPECT_TRUE(kRcvNxt + offset >= out[0].left &&
                      kRcvNxt + offset + len <= out[0].right)
              << "op " << op;
        }
        for (size_t x = 0; x < k; ++x) {
          for (size_t y = x + 1; y < k; ++y) {
            EXPECT_FALSE(out[x] == out[y]) << "op " << op;
          }
        }
      }
      // The caller pops after each Add.
      if (rng() % 2 == 0) {
        const uint32_t front = model.Front();
        ASSERT_EQ(a.PopFront(), front) << "op " << op;
        model.Advance(front);
        pops += front > 0 ? 1 : 0;
      }
    } else if (kind < 95) {
      const uint32_t front = model.Front();
      ASSERT_EQ(a.PopFront(), front) << "op " << op;
      model.Advance(front);
    } else {
      const uint32_t n = rng() % 50;
      a.Advance(n);
      model.Advance(n);
    }
    ASSERT_EQ(Ranges(a), model.Ranges()) << "op " << op;
    ASSERT_LE(a.range_count(), Assembler::kMaxRanges + 1);
  }
  // The mix exercised every outcome.
  EXPECT_GT(added, 1000u);
  EXPECT_GT(duplicate, 1000u);
  EXPECT_GT(refused, 100u);
  EXPECT_GT(pops, 100u);
}

}  // namespace
}  // namespace tern::tcp
