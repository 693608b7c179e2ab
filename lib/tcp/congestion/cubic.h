// CUBIC: the window arithmetic of RFC 9438.
//
// Windows are bytes, W_cubic is evaluated in integer fixed point: time in
// ticks of 1/1024 s, K from an integer cube root computed once per epoch, so
// OnAck does no floating point and no division by non-constants except by cwnd.
// Section 4.2: W_cubic(t) = C*(t-K)^3 + W_max (eq. 1), K = cbrt((W_max -
// cwnd_epoch)/C) (eq. 2), target = W_cubic(t+RTT) clamped to [cwnd, 1.5 cwnd],
// cwnd += (target-cwnd)/cwnd per acknowledged segment.
// Section 4.3: Reno-friendly estimate W_est += alpha*acked/cwnd with
// alpha = 3(1-beta)/(1+beta), alpha = 1 once W_est >= cwnd_prior; cwnd follows
// W_est when W_cubic(t) < W_est. Sections 4.4-4.5: concave below W_max, convex
// above (the same curve). Section 4.6: ssthresh = cwnd*beta on a loss.
// Section 4.7: fast convergence. Section 4.8: timeout. Section 4.9: undo.
// Section 4.10: standard slow start (RFC 5681 with RFC 3465 byte counting).
// Section 4.2 (application-limited): cwnd does not grow and t stops while the
// flow is not cwnd-limited.
#ifndef TERN_LIB_TCP_CONGESTION_CUBIC_H_
#define TERN_LIB_TCP_CONGESTION_CUBIC_H_

#include <cstdint>

#include "lib/base/dcheck.h"
#include "lib/base/time.h"

namespace tern::tcp {

class Cubic {
 public:
  // RFC 9438 section 4.1.1 (values argued in section 5): beta_cubic = 0.7,
  // C = 0.4, as exact fractions.
  static constexpr uint32_t kBetaNum = 7;
  static constexpr uint32_t kBetaDen = 10;
  static constexpr uint32_t kCNum = 2;
  static constexpr uint32_t kCDen = 5;
  // RFC 9438 section 4.3 eq. 5: alpha_cubic = 3(1-0.7)/(1+0.7) = 9/17.
  static constexpr uint32_t kAlphaNum = 9;
  static constexpr uint32_t kAlphaDen = 17;

  Cubic(uint32_t smss, Instant now);
  // Slow start grows cwnd by at most this many SMSS per ACK (RFC 3465
  // L = 2, the default); 0 = by every newly acknowledged byte (Linux).
  uint32_t smss() const { return smss_; }
  void set_smss(uint32_t smss) {
    TERN_DCHECK(smss > 0 && smss <= 65535);
    smss_ = static_cast<uint16_t>(smss);
  }
  void set_slow_start_limit(uint32_t segments) { ss_limit_ = segments; }

  uint32_t cwnd() const { return cwnd_; }
  uint32_t ssthresh() const { return ssthresh_; }
  bool in_slow_start() const { return cwnd_ < ssthresh_; }

  // Same contract as NewReno::OnAck; srtt is the RTT of section 4.2's
  // W_cubic(t + RTT).
  void OnAck(uint32_t newly_acked_bytes, uint32_t bytes_in_flight_before,
             Instant now, Duration srtt, bool cwnd_limited);
  // Section 4.6 / 4.7: W_max bookkeeping with fast convergence,
  // ssthresh = max(cwnd*beta, 2*SMSS), cwnd = ssthresh. Section 4.6 lets an
  // implementation use cwnd instead of FlightSize if it keeps cwnd from
  // growing while application-limited, which OnAck does.
  void OnCongestionEvent(uint32_t bytes_in_flight, Instant now);
  // RFC 6582 section 3.2 step 3 option (2): cwnd = ssthresh.
  void OnRecoveryExit();
  // Section 4.8: ssthresh as in 4.6, cwnd = 1 SMSS; the next congestion
  // avoidance stage starts with K = 0 and W_max = its initial cwnd.
  void OnRetransmissionTimeout(uint32_t bytes_in_flight);
  // RFC 5681 section 4.1 restart window; the epoch starts afresh.
  void OnIdleRestart(Instant now, Duration rto, Instant last_send);
  // Section 4.9: restore cwnd, ssthresh, W_max and cwnd_prior.
  void OnSpuriousRetransmission();

  // Introspection for tests and telemetry.
  uint32_t w_max() const { return w_max_; }
  uint32_t w_est() const { return w_est_; }
  bool epoch_started() const { return epoch_started_; }
  Instant epoch_start() const { return epoch_start_; }
  Duration k() const;
  // W_cubic(t) of eq. 1 in bytes, t measured from the epoch start.
  uint64_t WCubic(Duration t) const;

 private:
  void StartEpoch(Instant now);
  void SaveForUndo();

  // 80 bytes, one of them padding (the record is in every Connection,
  // doc/benchmarks.md): the SMSS, the flags, the 4-byte fields, then the
  // 8-byte ones. The SMSS and cwnd sit where NewReno has its own, which keeps
  // GCC's -Wmaybe-uninitialized quiet about the other alternative when a
  // std::variant visit is inlined.
  uint16_t smss_;  // at most 65535 (the constructor's and set_smss' check)
  bool epoch_started_ : 1 = false;
  bool after_timeout_ : 1 = false;
  bool rto_pending_ : 1 = false;
  bool has_undo_ : 1 = false;
  uint32_t ss_limit_ = 2;  // RFC 3465 L, in segments; 0 = none
  uint32_t cwnd_;
  uint32_t ssthresh_;
  uint32_t w_max_ = 0;
  uint32_t cwnd_prior_ = 0;
  uint32_t w_est_ = 0;
  // K in ticks: the cube root of a 64-bit value, below 2^22 (StartEpoch).
  int32_t k_ticks_ = 0;
  uint32_t undo_cwnd_ = 0;
  uint32_t undo_ssthresh_ = 0;
  uint32_t undo_w_max_ = 0;
  uint32_t undo_cwnd_prior_ = 0;
  // Remainders carried between ACKs so small increments are not lost.
  uint64_t w_est_acc_ = 0;
  uint64_t cwnd_acc_ = 0;
  Instant epoch_start_;
  Instant last_ack_;
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_CONGESTION_CUBIC_H_
