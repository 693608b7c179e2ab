// AckLimiter: the budget of RFC 5961 challenge ACKs (section 7: "rate-limit"
// them) and of ACKs answering unacceptable segments, one per connection and
// one per half-open record.
//
// CVE-2016-5696 (Cao et al., "Off-Path TCP Exploits", USENIX Security 2016):
// Linux's budget was one counter per host, so an off-path attacker who
// spent it with spoofed segments and counted the challenge ACKs left on a
// connection of its own learned whether its guesses had hit another
// connection. Linux answered with a randomised host budget and later a
// per-socket limit only (tcp_oow_rate_limited; commit 79e3602caa6f disabled
// the host budget). tern keeps no shared budget: what one connection or
// record spends is invisible to every other one (HostileTest
// Hostile_ChallengeAckSideChannel_*).
#ifndef TERN_LIB_TCP_ACK_LIMITER_H_
#define TERN_LIB_TCP_ACK_LIMITER_H_

#include <cstdint>

#include "lib/base/time.h"

namespace tern::tcp {

class AckLimiter {
 public:
  // True when one more ACK fits in the budget of `per_second` for the
  // current one-second window (which starts at the first ACK after the
  // last window ended).
  bool Allow(Instant now, uint32_t per_second) {
    if (now - window_start_ >= Duration::Seconds(1)) {
      window_start_ = now;
      used_ = 0;
    }
    if (used_ >= per_second) {
      return false;
    }
    ++used_;
    return true;
  }

 private:
  Instant window_start_;
  uint32_t used_ = 0;
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_ACK_LIMITER_H_
