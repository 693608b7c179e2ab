#include "lib/base/seq_num.h"

#include <gtest/gtest.h>

namespace tern {
namespace {

TEST(SeqNum, ComparesAcrossWrap) {
  SeqNum a(0xffff'fff0u);
  SeqNum b = a + 0x20;  // wraps to 0x10
  EXPECT_EQ(b.raw(), 0x10u);
  EXPECT_LT(a, b);
  EXPECT_GT(b, a);
  EXPECT_EQ(b - a, 0x20);
  EXPECT_EQ(a - b, -0x20);
}

TEST(SeqNum, HalfCircleBoundary) {
  // RFC 1982 section 3.2: numbers exactly 2^31 apart are not ordered; the
  // signed difference makes the later one compare as smaller. Tcp never
  // compares values that far apart, the test pins the arithmetic down.
  SeqNum a(0);
  SeqNum b(0x8000'0000u);
  EXPECT_EQ(b - a, INT32_MIN);
  EXPECT_LT(b, a);
  SeqNum c(0x7fff'ffffu);
  EXPECT_GT(c, a);
}

TEST(SeqNum, Ranges) {
  SeqNum lo(0xffff'fffeu);
  SeqNum hi = lo + 4;
  EXPECT_TRUE(lo.InHalfOpen(lo, hi));
  EXPECT_TRUE((lo + 3).InHalfOpen(lo, hi));
  EXPECT_FALSE(hi.InHalfOpen(lo, hi));
  EXPECT_TRUE(hi.InClosed(lo, hi));
  EXPECT_FALSE((lo - 1).InClosed(lo, hi));
  EXPECT_FALSE(lo.InHalfOpen(lo, lo));
  EXPECT_EQ(SeqNum::Max(lo, hi), hi);
  EXPECT_EQ(SeqNum::Min(lo, hi), lo);
}

TEST(SeqNum, CompoundAssignment) {
  SeqNum s(5);
  s += 10;
  EXPECT_EQ(s.raw(), 15u);
  s -= 20;
  EXPECT_EQ(s.raw(), 0xffff'fffbu);
}

}  // namespace
}  // namespace tern
