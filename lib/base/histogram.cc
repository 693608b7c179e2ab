#include "lib/base/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace tern {
namespace {

// Percentiles are taken in units of 10^-4 percent (99.9 -> 999000 of
// 1000000), so the rank is exact integer arithmetic for every percentile
// with at most four decimals; a double product such as 0.999 * 1000 would
// round up to a rank too high.
constexpr uint64_t kPercentScale = 10000;
constexpr uint64_t kWhole = 100 * kPercentScale;

// The bucket index's inverse: the lowest value of bucket `index`.
uint64_t LowestOfIndex(size_t index) {
  const uint64_t top = index >> Histogram::kSubBits;
  const unsigned shift = top == 0 ? 0 : static_cast<unsigned>(top - 1);
  const uint64_t mantissa = index - uint64_t{shift} * Histogram::kSubBuckets;
  return mantissa << shift;
}

uint64_t WidthOfIndex(size_t index) {
  const uint64_t top = index >> Histogram::kSubBits;
  const unsigned shift = top == 0 ? 0 : static_cast<unsigned>(top - 1);
  return uint64_t{1} << shift;
}

uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  const uint64_t s = a + b;
  return s < a ? UINT64_MAX : s;
}

}  // namespace

Histogram::Histogram() : counts_(kBuckets, 0) {}

size_t Histogram::IndexOf(uint64_t value) {
  if (value < kSubBuckets) {
    return static_cast<size_t>(value);
  }
  const unsigned e = 63u - static_cast<unsigned>(std::countl_zero(value));
  const unsigned shift = e - kSubBits;
  return static_cast<size_t>(uint64_t{shift} * kSubBuckets + (value >> shift));
}

uint64_t Histogram::LowestEquivalent(uint64_t value) {
  return LowestOfIndex(IndexOf(value));
}

uint64_t Histogram::HighestEquivalent(uint64_t value) {
  const size_t i = IndexOf(value);
  // Cannot overflow: the last bucket ends at UINT64_MAX exactly.
  return LowestOfIndex(i) + (WidthOfIndex(i) - 1);
}

void Histogram::RecordN(uint64_t value, uint64_t n) {
  if (n == 0) {
    return;
  }
  uint64_t& c = counts_[IndexOf(value)];
  c = SaturatingAdd(c, n);
  count_ = SaturatingAdd(count_, n);
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<long double>(value) * static_cast<long double>(n);
}

void Histogram::Merge(const Histogram& other) {
  if (other.count_ == 0) {
    return;
  }
  for (size_t i = 0; i < kBuckets; ++i) {
    counts_[i] = SaturatingAdd(counts_[i], other.counts_[i]);
  }
  count_ = SaturatingAdd(count_, other.count_);
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void Histogram::Reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
  sum_ = 0;
}

double Histogram::Mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / count_);
}

uint64_t Histogram::ValueAtPercentile(double percentile) const {
  if (count_ == 0) {
    return 0;
  }
  const double clamped = std::clamp(percentile, 0.0, 100.0);
  const auto scaled =
      static_cast<uint64_t>(std::llround(clamped * kPercentScale));
  if (scaled >= kWhole) {
    return max_;
  }
  // Nearest rank: ceil(scaled / kWhole * count), at least 1, without a
  // 128-bit product: count = q * kWhole + rem, so the rank is
  // q * scaled + ceil(rem * scaled / kWhole); q * scaled < count (scaled <
  // kWhole) and rem * scaled < 10^12 cannot overflow.
  const uint64_t q = count_ / kWhole;
  const uint64_t rem = count_ % kWhole;
  uint64_t rank = q * scaled + (rem * scaled + kWhole - 1) / kWhole;
  rank = std::max<uint64_t>(rank, 1);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen = SaturatingAdd(seen, counts_[i]);
    if (seen >= rank) {
      const uint64_t highest = LowestOfIndex(i) + (WidthOfIndex(i) - 1);
      return std::clamp(highest, min_, max_);
    }
  }
  return max_;  // unreachable while counts add up to count_
}

LatencySummary Summarize(const Histogram& h) {
  LatencySummary s;
  s.count = h.count();
  s.p50 = h.ValueAtPercentile(50);
  s.p90 = h.ValueAtPercentile(90);
  s.p99 = h.ValueAtPercentile(99);
  s.p999 = h.ValueAtPercentile(99.9);
  s.max = h.max();
  return s;
}

}  // namespace tern
