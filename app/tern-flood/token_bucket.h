// TokenBucket: paces events to a rate on a caller's clock (tern-flood runs
// it on the TSC, tests on virtual time).
//
// Contract: tokens accrue at `rate_per_s` from the first Take, up to
// `capacity` (the largest burst after an idle spell); Take(now, want)
// returns how many of `want` may go now (0..want) and spends them. Over any
// interval of length T after the first Take the total taken is at most
// rate * T + capacity. Time going backwards accrues nothing. Fractions of a
// token are kept (in nanotokens), so low rates are exact over time.
#ifndef TERN_APP_TERN_FLOOD_TOKEN_BUCKET_H_
#define TERN_APP_TERN_FLOOD_TOKEN_BUCKET_H_

#include <algorithm>
#include <cstdint>

#include "lib/base/time.h"

namespace tern::flood {

class TokenBucket {
 public:
  // rate_per_s in [0, 1e9]: steps are clamped to 1 s so the level (in
  // nanotokens) stays far below 2^64; capacity is at most 1e9 tokens.
  TokenBucket(double rate_per_s, uint64_t capacity)
      : rate_(rate_per_s), capacity_nt_(capacity * kNano) {}

  uint64_t Take(Instant now, uint64_t want) {
    if (!started_) {
      started_ = true;
      last_ = now;
      level_nt_ = 0;
    }
    if (now > last_) {
      // Clamp the step so rate * ns stays in range; a gap that long fills
      // the bucket whatever the rate (capacity <= rate * 1 s in practice).
      const int64_t ns = std::min<int64_t>((now - last_).ToNanos(), kNano);
      const auto accrued =
          static_cast<uint64_t>(rate_ * static_cast<double>(ns));
      level_nt_ = std::min(capacity_nt_, level_nt_ + accrued);
      last_ = now;
    }
    const uint64_t n = std::min(want, level_nt_ / kNano);
    level_nt_ -= n * kNano;
    return n;
  }

 private:
  static constexpr uint64_t kNano = 1'000'000'000;
  double rate_;  // tokens per second = nanotokens per nanosecond
  uint64_t capacity_nt_;
  uint64_t level_nt_ = 0;
  Instant last_;
  bool started_ = false;
};

}  // namespace tern::flood

#endif  // TERN_APP_TERN_FLOOD_TOKEN_BUCKET_H_
