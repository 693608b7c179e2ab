#include "lib/base/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace tern {
namespace {

// The nearest-rank percentile of sorted samples, the definition the
// histogram's contract states: rank max(1, ceil(p/100 * n)), 1-based.
uint64_t ExactPercentile(const std::vector<uint64_t>& sorted, double p) {
  const auto scaled = static_cast<uint64_t>(std::llround(p * 10000));
  // Small sample counts: the product fits in 64 bits.
  uint64_t rank = (scaled * sorted.size() + 999999) / 1000000;
  rank = std::max<uint64_t>(rank, 1);
  return sorted[rank - 1];
}

void ExpectWithinBound(const Histogram& h, std::vector<uint64_t> samples) {
  std::sort(samples.begin(), samples.end());
  for (double p :
       {0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const uint64_t exact = ExactPercentile(samples, p);
    const uint64_t got = h.ValueAtPercentile(p);
    EXPECT_GE(got, exact) << "p" << p;
    // x <= result <= x + x * 2^-P.
    const long double bound =
        static_cast<long double>(exact) * (1.0L + Histogram::kMaxRelativeError);
    EXPECT_LE(static_cast<long double>(got), bound) << "p" << p;
  }
  EXPECT_EQ(h.max(), samples.back());
  EXPECT_EQ(h.min(), samples.front());
  EXPECT_EQ(h.count(), samples.size());
}

TEST(Histogram, Empty_EverythingZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.Mean(), 0.0);
  EXPECT_EQ(h.ValueAtPercentile(50), 0u);
  EXPECT_EQ(h.ValueAtPercentile(100), 0u);
  const LatencySummary s = Summarize(h);
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.p999, 0u);
}

TEST(Histogram, SmallValues_Exact) {
  // Below 2^P every value has its own bucket.
  Histogram h;
  std::vector<uint64_t> samples;
  for (uint64_t v = 0; v < Histogram::kSubBuckets; ++v) {
    h.Record(v);
    samples.push_back(v);
  }
  for (double p : {1.0, 50.0, 90.0, 99.0}) {
    EXPECT_EQ(h.ValueAtPercentile(p), ExactPercentile(samples, p)) << p;
  }
  EXPECT_DOUBLE_EQ(h.Mean(), 63.5);
}

TEST(Histogram, BucketArithmetic_EdgeValues) {
  constexpr uint64_t kS = Histogram::kSubBuckets;
  EXPECT_EQ(Histogram::IndexOf(0), 0u);
  EXPECT_EQ(Histogram::IndexOf(kS - 1), kS - 1);
  EXPECT_EQ(Histogram::IndexOf(kS), kS);
  // [2^P, 2^(P+1)) is still exact (width 1); the next octave has width 2.
  EXPECT_EQ(Histogram::HighestEquivalent(2 * kS - 1), 2 * kS - 1);
  EXPECT_EQ(Histogram::LowestEquivalent(2 * kS + 1), 2 * kS);
  EXPECT_EQ(Histogram::HighestEquivalent(2 * kS), 2 * kS + 1);
  EXPECT_EQ(Histogram::IndexOf(UINT64_MAX), Histogram::kBuckets - 1);
  EXPECT_EQ(Histogram::HighestEquivalent(UINT64_MAX), UINT64_MAX);
  EXPECT_EQ(Histogram::LowestEquivalent(UINT64_MAX),
            UINT64_MAX - ((uint64_t{1} << (63 - Histogram::kSubBits)) - 1));
  // Indices are monotonic and every bucket's bounds map back to it.
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100000; ++i) {
    const uint64_t v = rng() >> (rng() % 64);
    const size_t idx = Histogram::IndexOf(v);
    ASSERT_LT(idx, Histogram::kBuckets);
    EXPECT_EQ(Histogram::IndexOf(Histogram::LowestEquivalent(v)), idx);
    EXPECT_EQ(Histogram::IndexOf(Histogram::HighestEquivalent(v)), idx);
    EXPECT_LE(Histogram::LowestEquivalent(v), v);
    EXPECT_GE(Histogram::HighestEquivalent(v), v);
    if (v > 0) {
      EXPECT_LE(Histogram::IndexOf(v - 1), idx);
    }
  }
}

TEST(Histogram, ExtremeValues_RecordedAndReported) {
  Histogram h;
  h.Record(0);
  h.Record(UINT64_MAX);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), UINT64_MAX);
  EXPECT_EQ(h.ValueAtPercentile(50), 0u);
  EXPECT_EQ(h.ValueAtPercentile(100), UINT64_MAX);
  EXPECT_EQ(h.ValueAtPercentile(99), UINT64_MAX);
}

TEST(Histogram, OneValue_EveryPercentileIsIt) {
  // Clamping to [min, max] makes a single sample exact at every percentile.
  Histogram h;
  h.Record(123456789);
  for (double p : {0.0, 50.0, 99.9, 100.0}) {
    EXPECT_EQ(h.ValueAtPercentile(p), 123456789u) << p;
  }
}

TEST(Histogram, UniformSamples_WithinRelativeErrorOfExact) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<uint64_t> d(0, 10'000'000);
  Histogram h;
  std::vector<uint64_t> samples;
  for (int i = 0; i < 200000; ++i) {
    samples.push_back(d(rng));
    h.Record(samples.back());
  }
  ExpectWithinBound(h, samples);
}

TEST(Histogram, LogNormalLatencies_WithinRelativeErrorOfExact) {
  // Latency-shaped: a body around 30 us and a long tail, in nanoseconds.
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> d(10.3, 1.2);
  Histogram h;
  std::vector<uint64_t> samples;
  for (int i = 0; i < 200000; ++i) {
    samples.push_back(static_cast<uint64_t>(d(rng)));
    h.Record(samples.back());
  }
  ExpectWithinBound(h, samples);
}

TEST(Histogram, PercentileRank_ExactForDecimalPercentiles) {
  // 1000 samples 1..1000: p99.9 is the 999th, not the 1000th (a double
  // product 0.999 * 1000 may round above 999).
  Histogram h;
  for (uint64_t v = 1; v <= 1000; ++v) {
    h.Record(v * 1000);
  }
  const uint64_t p999 = h.ValueAtPercentile(99.9);
  EXPECT_GE(p999, 999000u);
  EXPECT_LT(p999, 1000000u);
  EXPECT_EQ(h.ValueAtPercentile(100), 1000000u);
}

TEST(Histogram, Merge_EqualsRecordingBoth) {
  std::mt19937_64 rng(3);
  std::exponential_distribution<double> d(1e-5);
  Histogram a;
  Histogram b;
  Histogram both;
  std::vector<uint64_t> samples;
  for (int i = 0; i < 50000; ++i) {
    const auto v = static_cast<uint64_t>(d(rng));
    (i % 3 == 0 ? a : b).Record(v);
    both.Record(v);
    samples.push_back(v);
  }
  Histogram merged = a;
  merged.Merge(b);
  EXPECT_EQ(merged.count(), both.count());
  EXPECT_EQ(merged.min(), both.min());
  EXPECT_EQ(merged.max(), both.max());
  EXPECT_NEAR(merged.Mean(), both.Mean(), 1e-6 * both.Mean());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    EXPECT_EQ(merged.ValueAtPercentile(p), both.ValueAtPercentile(p)) << p;
  }
  ExpectWithinBound(merged, samples);
}

TEST(Histogram, MergeEmpty_KeepsMinAndMax) {
  Histogram a;
  a.Record(500);
  a.Record(700);
  Histogram empty;
  a.Merge(empty);
  EXPECT_EQ(a.min(), 500u);
  EXPECT_EQ(a.max(), 700u);
  empty.Merge(a);
  EXPECT_EQ(empty.min(), 500u);
  EXPECT_EQ(empty.count(), 2u);
}

TEST(Histogram, RecordNAndReset) {
  Histogram h;
  h.RecordN(1000, 99);
  h.RecordN(5000, 1);
  h.RecordN(7, 0);  // nothing
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.min(), 1000u);
  // 1000 shares its bucket with 1001..1003 (width 4 in [512, 1024)):
  // the reported value is the bucket's top, within the bound.
  EXPECT_GE(h.ValueAtPercentile(99), 1000u);
  EXPECT_LE(h.ValueAtPercentile(99), 1000u + 1000u / 128);
  EXPECT_EQ(h.ValueAtPercentile(99.9), 5000u);  // clamped to max
  h.Reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.ValueAtPercentile(50), 0u);
}

TEST(Histogram, HugeCounts_Saturate) {
  Histogram h;
  h.RecordN(10, UINT64_MAX);
  h.RecordN(10, 5);
  EXPECT_EQ(h.count(), UINT64_MAX);
  EXPECT_EQ(h.ValueAtPercentile(50), 10u);
}

TEST(Histogram, Summary_Percentiles) {
  Histogram h;
  for (uint64_t v = 1; v <= 10000; ++v) {
    h.Record(v);
  }
  const LatencySummary s = Summarize(h);
  EXPECT_EQ(s.count, 10000u);
  // Exact ranks 5000, 9000, 9900, 9990 within 1/128.
  EXPECT_GE(s.p50, 5000u);
  EXPECT_LE(s.p50, 5000u + 5000u / 128);
  EXPECT_GE(s.p90, 9000u);
  EXPECT_LE(s.p90, 9000u + 9000u / 128);
  EXPECT_GE(s.p99, 9900u);
  EXPECT_LE(s.p99, 9900u + 9900u / 128);
  EXPECT_GE(s.p999, 9990u);
  EXPECT_LE(s.p999, 10000u);
  EXPECT_EQ(s.max, 10000u);
}

}  // namespace
}  // namespace tern
