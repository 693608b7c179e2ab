#include "lib/tcp/rtt_estimator.h"

#include <algorithm>

namespace tern::tcp {

RttEstimator::RttEstimator(const Options& options) : options_(options) {}

void RttEstimator::Sample(Duration rtt) {
  if (rtt < Duration::Zero()) {
    return;
  }
  if (!has_sample_) {
    srtt_ = rtt;
    rttvar_ = rtt / 2;
    has_sample_ = true;
  } else {
    Duration err = srtt_ - rtt;
    if (err < Duration::Zero()) {
      err = Duration::Zero() - err;
    }
    rttvar_ = (rttvar_ * 3 + err) / 4;
    srtt_ = (srtt_ * 7 + rtt) / 8;
  }
  backoff_ = 0;
}

void RttEstimator::Backoff() {
  // Stop doubling once the maximum is reached so the shift cannot overflow.
  if (rto() < options_.max) {
    ++backoff_;
  }
}

Duration RttEstimator::rto() const {
  Duration base = options_.initial;
  if (has_sample_) {
    base = srtt_ + std::max(options_.granularity, rttvar_ * 4);
    base = std::clamp(base, options_.min, options_.max);
  }
  for (int i = 0; i < backoff_ && base < options_.max; ++i) {
    base = base * 2;
  }
  return std::min(base, options_.max);
}

}  // namespace tern::tcp
