// RttEstimator: the retransmission timeout of RFC 6298.
//
// RFC 6298 section 2: before the first sample RTO = initial (1 s); the first
// sample R sets SRTT = R, RTTVAR = R/2; later samples R' update
// RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'| and SRTT = 7/8 SRTT + 1/8 R' (alpha
// 1/8, beta 1/4); RTO = SRTT + max(G, 4 RTTVAR), clamped to [min, max].
// Section 5.5: each expiry doubles the RTO (Backoff) up to max; only a new
// RTT sample clears the backoff (Karn: an ACK of retransmitted data gives
// none, so the backed-off RTO stays until one arrives).
// Section 5.7: after a SYN timeout, an RTO below 3 s is re-initialized to
// 3 s when data transmission begins (RestartAfterSynTimeout).
// Karn's rule (section 3) is the caller's: it never samples a retransmitted
// segment unless the sample comes from a timestamp echo (RFC 7323 section 4).
// The estimator holds the samples only: the Options come with each call that
// needs them (a connection passes its endpoint's EndpointConfig::rto, 32
// bytes it does not hold), and must be the same at every call.
#ifndef TERN_LIB_TCP_RTT_ESTIMATOR_H_
#define TERN_LIB_TCP_RTT_ESTIMATOR_H_

#include "lib/base/time.h"

namespace tern::tcp {

class RttEstimator {
 public:
  struct Options {
    Duration initial = Duration::Seconds(1);  // RFC 6298 section 2.1
    // RFC 6298 section 2.4 says 1 s; Linux uses 200 ms (TCP_RTO_MIN) and so
    // do we by default, as the reliable-transfer issue asks.
    Duration min = Duration::Millis(200);
    // RFC 6298 section 2.5 allows a maximum of at least 60 s; Linux uses
    // 120 s (TCP_RTO_MAX).
    Duration max = Duration::Seconds(120);
    // Clock granularity G of RFC 6298 section 2.3.
    Duration granularity = Duration::Millis(1);
  };

  // RFC 6298 5.7's 3 s.
  static constexpr Duration kSynTimeoutRto = Duration::Seconds(3);

  // RFC 6298 5.7: starts afresh (no sample, no backoff) with the initial
  // RTO raised to at least kSynTimeoutRto.
  void RestartAfterSynTimeout();

  void Sample(Duration rtt);
  // Doubles the RTO (RFC 6298 section 5.5), at most up to options.max.
  void Backoff(const Options& options);

  Duration rto(const Options& options) const;
  bool has_sample() const { return has_sample_; }
  Duration srtt() const { return srtt_; }
  Duration rttvar() const { return rttvar_; }
  int backoff() const { return backoff_; }

 private:
  Duration srtt_;
  Duration rttvar_;
  int backoff_ = 0;
  bool has_sample_ = false;
  bool syn_timeout_ = false;  // RestartAfterSynTimeout: initial >= 3 s
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_RTT_ESTIMATOR_H_
