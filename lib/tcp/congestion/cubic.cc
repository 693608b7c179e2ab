// CUBIC window arithmetic: RFC 9438 sections 4.1-4.10, RFC 5681 sections 3.1
// and 4.1, RFC 3465 section 2, RFC 6582 section 3.2.
#include "lib/tcp/congestion/cubic.h"

#include <algorithm>
#include <bit>
#include <limits>

#include "lib/base/dcheck.h"
#include "lib/tcp/congestion/window.h"

namespace tern::tcp {
namespace {

using congestion::InitialWindow;
using congestion::SlowStartIncrease;
using congestion::SsthreshFloor;

// Time unit of W_cubic: 1/1024 s (about 1 ms), so that (t-K)^3 of any
// realistic epoch fits 64 bits.
constexpr int kTickShift = 10;
// |t-K| is clamped to 2^20 ticks (about 17 minutes): the cube then stays
// below 2^60, and a window that far from W_max is clamped by 1.5*cwnd anyway.
constexpr int64_t kMaxOffsetTicks = int64_t{1} << 20;
constexpr int64_t kNanosPerSecond = 1'000'000'000;

int64_t ToTicks(Duration d) {
  const int64_t ns = std::clamp<int64_t>(d.ToNanos(), 0, int64_t{1} << 50);
  return (ns << kTickShift) / kNanosPerSecond;
}

// floor(cbrt(n)) by Newton's method from a power of two above the root; it
// runs once per epoch, a handful of iterations.
uint64_t IntegerCbrt(uint64_t n) {
  if (n == 0) {
    return 0;
  }
  uint64_t x = uint64_t{1} << ((std::bit_width(n) + 2) / 3);
  while (true) {
    const uint64_t y = (2 * x + n / (x * x)) / 3;
    if (y >= x) {
      return x;
    }
    x = y;
  }
}

uint32_t Saturate(uint64_t v) {
  return static_cast<uint32_t>(
      std::min<uint64_t>(v, std::numeric_limits<uint32_t>::max()));
}

uint32_t LossSsthresh(uint32_t cwnd, uint32_t smss) {
  // RFC 9438 section 4.6: ssthresh = cwnd * beta_cubic, and cwnd never below
  // 2 SMSS after the reduction (RFC 5681 eq. 4 floor).
  return std::max(Saturate(uint64_t{cwnd} * Cubic::kBetaNum / Cubic::kBetaDen),
                  SsthreshFloor(smss));
}

}  // namespace

Cubic::Cubic(uint32_t smss, Instant now)
    : smss_(static_cast<uint16_t>(smss)),
      cwnd_(InitialWindow(smss)),
      ssthresh_(congestion::kInitialSsthresh),
      last_ack_(now) {
  // WCubic multiplies by SMSS in 64 bits after a 40-bit value.
  TERN_DCHECK(smss > 0 && smss <= 65535);
}

Duration Cubic::k() const {
  return Duration::Nanos((int64_t{k_ticks_} * kNanosPerSecond) >> kTickShift);
}

uint64_t Cubic::WCubic(Duration t) const {
  const int64_t offset = std::clamp(ToTicks(t) - int64_t{k_ticks_},
                                    -kMaxOffsetTicks, kMaxOffsetTicks);
  const uint64_t a = static_cast<uint64_t>(offset < 0 ? -offset : offset);
  // C*(t-K)^3 segments = C * a^3 / 2^30; in bytes, with a^3 >> 20 kept as
  // segments in units of 2^-10 (at most 2^40, times 2*SMSS below 2^57).
  const uint64_t delta = (((a * a * a) >> (3 * kTickShift - kTickShift)) *
                          kCNum * smss_ / kCDen) >>
                         kTickShift;
  if (offset < 0) {
    return delta >= w_max_ ? 0 : w_max_ - delta;
  }
  return uint64_t{w_max_} + delta;
}

void Cubic::StartEpoch(Instant now) {
  epoch_started_ = true;
  epoch_start_ = now;
  // Section 4.3: W_est starts at cwnd_epoch.
  w_est_ = cwnd_;
  w_est_acc_ = 0;
  cwnd_acc_ = 0;
  if (after_timeout_ || w_max_ <= cwnd_) {
    // Section 4.8 (first stage after a timeout): K = 0, W_max = cwnd_epoch.
    // Above W_max without a loss the same choice puts the epoch on the convex
    // side from its start, as eq. 2 with a non-positive difference would.
    w_max_ = cwnd_;
    k_ticks_ = 0;
    after_timeout_ = false;
    return;
  }
  // Eq. 2: K^3 = (W_max - cwnd_epoch)/(C*SMSS) seconds^3, in ticks^3:
  // diff * 2^30 * kCDen / (kCNum * SMSS). Dividing by SMSS after a 24-bit
  // shift keeps every step below 2^56 for a 32-bit diff.
  const uint64_t diff = w_max_ - cwnd_;
  const uint64_t k_cubed = (((diff << 24) / smss_) * kCDen / kCNum)
                           << (3 * kTickShift - 24);
  // k_cubed < 2^64, so its cube root is below 2^22 and fits k_ticks_.
  k_ticks_ = static_cast<int32_t>(IntegerCbrt(k_cubed));
}

void Cubic::OnAck(uint32_t newly_acked_bytes,
                  uint32_t /*bytes_in_flight_before*/, Instant now,
                  Duration srtt, bool cwnd_limited) {
  if (newly_acked_bytes == 0) {
    return;
  }
  rto_pending_ = false;
  const Instant previous_ack = last_ack_;
  last_ack_ = now;
  if (!cwnd_limited) {
    // Section 4.2: no growth, and the application-limited interval is not
    // counted in t.
    if (epoch_started_ && now > previous_ack) {
      epoch_start_ += now - previous_ack;
    }
    return;
  }
  if (in_slow_start()) {
    cwnd_ = SlowStartIncrease(cwnd_, newly_acked_bytes, smss_, ss_limit_);
    return;
  }
  if (!epoch_started_) {
    StartEpoch(now);
  }
  const Duration t = now - epoch_start_;

  // Section 4.3: Reno-friendly estimate, alpha = 1 once W_est >= cwnd_prior.
  const uint64_t alpha_num = w_est_ >= cwnd_prior_ ? kAlphaDen : kAlphaNum;
  const uint64_t divisor = uint64_t{kAlphaDen} * cwnd_;
  w_est_acc_ += alpha_num * newly_acked_bytes * smss_;
  w_est_ = Saturate(w_est_ + w_est_acc_ / divisor);
  w_est_acc_ %= divisor;

  if (WCubic(t) < w_est_) {
    // Reno-friendly region: cwnd follows W_est (never shrinking here).
    cwnd_ = std::max(cwnd_, w_est_);
    return;
  }
  // Sections 4.4-4.5: grow toward W_cubic(t + RTT), clamped to [cwnd,
  // 1.5*cwnd] (section 4.2).
  const uint64_t target = std::clamp<uint64_t>(WCubic(t + srtt), cwnd_,
                                               uint64_t{cwnd_} + cwnd_ / 2);
  cwnd_acc_ += (target - cwnd_) * newly_acked_bytes;
  const uint64_t increase = cwnd_acc_ / cwnd_;
  cwnd_acc_ %= cwnd_;
  cwnd_ = Saturate(cwnd_ + increase);
}

void Cubic::SaveForUndo() {
  has_undo_ = true;
  undo_cwnd_ = cwnd_;
  undo_ssthresh_ = ssthresh_;
  undo_w_max_ = w_max_;
  undo_cwnd_prior_ = cwnd_prior_;
}

void Cubic::OnCongestionEvent(uint32_t /*bytes_in_flight*/, Instant /*now*/) {
  SaveForUndo();
  // Section 4.7: fast convergence, W_max = cwnd*(1+beta)/2 when the flow
  // lost before regaining its previous W_max.
  if (cwnd_ < w_max_) {
    w_max_ = Saturate(uint64_t{cwnd_} * (kBetaDen + kBetaNum) / (2 * kBetaDen));
  } else {
    w_max_ = cwnd_;
  }
  cwnd_prior_ = cwnd_;
  ssthresh_ = LossSsthresh(cwnd_, smss_);
  cwnd_ = ssthresh_;
  epoch_started_ = false;
}

void Cubic::OnRecoveryExit() {
  cwnd_ = ssthresh_;
  epoch_started_ = false;
}

void Cubic::OnRetransmissionTimeout(uint32_t /*bytes_in_flight*/) {
  if (!rto_pending_) {
    // RFC 5681 section 3.1: repeated expiries of the same loss keep ssthresh.
    SaveForUndo();
    cwnd_prior_ = cwnd_;
    ssthresh_ = LossSsthresh(cwnd_, smss_);
    rto_pending_ = true;
  }
  cwnd_ = smss_;
  after_timeout_ = true;
  epoch_started_ = false;
}

void Cubic::OnIdleRestart(Instant now, Duration rto, Instant last_send) {
  if (now - last_send > rto) {
    cwnd_ = std::min(InitialWindow(smss_), cwnd_);
    epoch_started_ = false;
  }
}

void Cubic::OnSpuriousRetransmission() {
  if (!has_undo_) {
    return;
  }
  cwnd_ = std::max(cwnd_, undo_cwnd_);
  ssthresh_ = undo_ssthresh_;
  w_max_ = undo_w_max_;
  cwnd_prior_ = undo_cwnd_prior_;
  has_undo_ = false;
  rto_pending_ = false;
  after_timeout_ = false;
  epoch_started_ = false;
}

}  // namespace tern::tcp
