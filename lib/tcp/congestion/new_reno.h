// NewReno: the window arithmetic of RFC 5681 and RFC 6582.
//
// RFC 5681 section 3.1: slow start (equation 2 with RFC 3465 byte counting,
// L = 2*SMSS) while cwnd < ssthresh, then congestion avoidance by counting
// acknowledged bytes (+1 SMSS per cwnd of acknowledged bytes, the method
// section 3.1 recommends over equation 3). Equation (4) on a loss, LW = 1 SMSS
// after a retransmission timeout, section 4.1 restart after idle.
// RFC 6582 section 3.2 step 3 option (2) on leaving fast recovery.
// Undo after a spurious retransmission restores the saved cwnd and ssthresh,
// as RFC 9438 section 4.9 does for CUBIC (RFC 4015 section 3 is more
// conservative; the connection only reports spurious losses it proved).
// Loss detection, and cwnd inflation during recovery, are the connection's.
#ifndef TERN_LIB_TCP_CONGESTION_NEW_RENO_H_
#define TERN_LIB_TCP_CONGESTION_NEW_RENO_H_

#include <cstdint>

#include "lib/base/time.h"

namespace tern::tcp {

class NewReno {
 public:
  NewReno(uint32_t smss, Instant now);
  // Slow start grows cwnd by at most this many SMSS per ACK (RFC 3465
  // L = 2, the default); 0 = by every newly acknowledged byte (Linux).
  uint32_t smss() const { return smss_; }
  void set_smss(uint32_t smss) { smss_ = smss; }
  void set_slow_start_limit(uint32_t segments) { ss_limit_ = segments; }

  uint32_t cwnd() const { return cwnd_; }
  uint32_t ssthresh() const { return ssthresh_; }
  bool in_slow_start() const { return cwnd_ < ssthresh_; }

  // An ACK of newly_acked_bytes new data outside recovery. cwnd_limited is
  // false when the sender had less than cwnd to send (RFC 7661 section 4:
  // an application-limited flow does not grow cwnd).
  void OnAck(uint32_t newly_acked_bytes, uint32_t bytes_in_flight_before,
             Instant now, Duration srtt, bool cwnd_limited);
  // Entering fast recovery: ssthresh = max(FlightSize/2, 2*SMSS), cwnd =
  // ssthresh (RFC 6675 section 5 step 4.2; a connection doing RFC 6582
  // inflation adds its 3*SMSS itself).
  void OnCongestionEvent(uint32_t bytes_in_flight, Instant now);
  // The full acknowledgment that ends fast recovery: cwnd = ssthresh.
  void OnRecoveryExit();
  // Equation (4) ssthresh, cwnd = LW = 1 SMSS. Repeated expiries before new
  // data is acknowledged keep ssthresh (RFC 5681 section 3.1).
  void OnRetransmissionTimeout(uint32_t bytes_in_flight);
  // RFC 5681 section 4.1: after more than one RTO without sending,
  // cwnd = min(IW, cwnd).
  void OnIdleRestart(Instant now, Duration rto, Instant last_send);
  // The last reduction was spurious: restore cwnd and ssthresh.
  void OnSpuriousRetransmission();

 private:
  void SaveForUndo();

  uint32_t smss_;
  uint32_t ss_limit_ = 2;  // RFC 3465 L, in segments; 0 = none
  uint32_t cwnd_;
  uint32_t ssthresh_;
  // RFC 5681 section 3.1 / RFC 3465 section 2.1: bytes acknowledged in
  // congestion avoidance not yet turned into cwnd.
  uint32_t bytes_acked_ = 0;
  bool rto_pending_ = false;
  bool has_undo_ = false;
  uint32_t undo_cwnd_ = 0;
  uint32_t undo_ssthresh_ = 0;
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_CONGESTION_NEW_RENO_H_
