#include "lib/tcp/rtt_estimator.h"

#include <algorithm>

namespace tern::tcp {

void RttEstimator::RestartAfterSynTimeout() {
  *this = RttEstimator();
  syn_timeout_ = true;
}

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

void RttEstimator::Backoff(const Options& options) {
  // Stop doubling once the maximum is reached so the shift cannot overflow.
  if (rto(options) < options.max) {
    ++backoff_;
  }
}

Duration RttEstimator::rto(const Options& o) const {
  Duration base =
      syn_timeout_ ? std::max(o.initial, kSynTimeoutRto) : o.initial;
  if (has_sample_) {
    base = srtt_ + std::max(o.granularity, rttvar_ * 4);
    base = std::clamp(base, o.min, o.max);
  }
  for (int i = 0; i < backoff_ && base < o.max; ++i) {
    base = base * 2;
  }
  return std::min(base, o.max);
}

}  // namespace tern::tcp
