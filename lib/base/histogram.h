// Histogram: a log-linear histogram of non-negative integer values (latencies
// in nanoseconds, sizes), after Gil Tene's HdrHistogram
// (http://hdrhistogram.org/, "HdrHistogram: A High Dynamic Range
// Histogram"): fixed memory, bounded relative error, O(1) recording,
// mergeable (one per lcore, merged by the reader).
//
// Layout (kSubBits = P = 7, so 2^P = 128 sub-buckets per power of two):
//
// | values              | bucket width | index                               |
// | ------------------- | ------------ | ----------------------------------- |
// | [0, 2^P)            | 1 (exact)    | v                                   |
// | [2^e, 2^(e+1)), e>=P| 2^(e-P)      | (e-P+1)*2^P + (v >> (e-P)) - 2^P    |
//
// e runs from P to 63, so the whole uint64_t range takes (64-P+1) * 2^P =
// 7424 counters (58 KiB), allocated once by the constructor.
//
// Contract:
// - Record(v) counts v in its bucket; count(), min(), max() and Mean() are
//   exact (min and max are tracked beside the buckets).
// - ValueAtPercentile(p), p in [0, 100], uses the nearest-rank definition:
//   the value x of rank k = max(1, ceil(p/100 * count())) among the recorded
//   values sorted ascending. It returns the highest value that shares x's
//   bucket, clamped to [min(), max()], so x <= result <= x + x * 2^-P:
//   the relative error is at most kMaxRelativeError (1/128 = 0.78 %), and
//   never an under-estimate. p = 100 gives max() exactly; an empty histogram
//   gives 0.
// - Merge(other) adds other's counts: the result equals a histogram that
//   recorded both value streams. Counts saturate at UINT64_MAX rather than
//   wrap (not reachable at any real rate).
// - Not thread-safe: one writer; merge copies after the writer is done, or
//   snapshots taken by the writer.
#ifndef TERN_LIB_BASE_HISTOGRAM_H_
#define TERN_LIB_BASE_HISTOGRAM_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tern {

class Histogram {
 public:
  // Sub-bucket resolution bits: 7 bits bound the error below 1 %, the
  // precision HdrHistogram calls "2 significant decimal digits" (its
  // sub_bucket_count of 2^ceil(log2(2 * 10^2)) = 256 halves the error again
  // at twice the memory; 1 % is finer than any latency figure tern reports).
  static constexpr int kSubBits = 7;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBits;
  static constexpr size_t kBuckets = (64 - kSubBits + 1) * kSubBuckets;
  static constexpr double kMaxRelativeError = 1.0 / kSubBuckets;

  Histogram();
  Histogram(const Histogram&) = default;
  Histogram& operator=(const Histogram&) = default;
  Histogram(Histogram&&) = default;
  Histogram& operator=(Histogram&&) = default;

  void Record(uint64_t value) { RecordN(value, 1); }
  void RecordN(uint64_t value, uint64_t n);
  void Merge(const Histogram& other);
  void Reset();

  uint64_t count() const { return count_; }
  // 0 when empty.
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double Mean() const;
  uint64_t ValueAtPercentile(double percentile) const;

  // The bucket arithmetic, public for tests and for readers that print
  // bucket bounds.
  static size_t IndexOf(uint64_t value);
  static uint64_t LowestEquivalent(uint64_t value);
  static uint64_t HighestEquivalent(uint64_t value);

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  // Sum for the mean, in long double: 2^64 values of 2^64 overflow uint64.
  long double sum_ = 0;
};

// The percentiles tern-flood and the benchmarks report.
struct LatencySummary {
  uint64_t count = 0;
  uint64_t p50 = 0;
  uint64_t p90 = 0;
  uint64_t p99 = 0;
  uint64_t p999 = 0;
  uint64_t max = 0;
};
LatencySummary Summarize(const Histogram& h);

}  // namespace tern

#endif  // TERN_LIB_BASE_HISTOGRAM_H_
