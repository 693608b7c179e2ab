// RstLimiter: the per-endpoint bound on RSTs answering segments for no
// connection (RFC 9293 3.10.7.1, and 3.10.7.2's reset of an ACK to a
// listener), so that a flood of such segments cannot make tern reflect one
// RST each at whatever source they claim.
//
// A token bucket: `rate` tokens a second, holding at most `rate` (one
// second's burst). FreeBSD bounds the same answers at 200 a second
// (net.inet.icmp.icmplim, which badport_bandlim applies to
// BANDLIM_RST_CLOSEDPORT and BANDLIM_RST_OPENPORT); Linux bounds ICMP
// errors per host (icmp_ratelimit, icmp_msgs_per_sec).
//
// A budget shared by every 4-tuple is a side channel: an off-path attacker
// who spends it with spoofed segments aimed at a guessed 4-tuple and counts
// the RSTs its own probes still get learns whether the guess hit a
// connection (which answers with an ACK instead, leaving the budget whole).
// CVE-2020-25705 (SADDNS) used Linux's global ICMP limit that way; Linux
// then randomised it ("icmp: randomize the global rate limiter", Linux 5.10)
// and FreeBSD added net.inet.icmp.icmplim_jitter (16 by default). So here too:
// each time the bucket refills to full, its capacity is redrawn as rate minus a
// secret pseudo-random 0..Jitter(rate).
//
// Contract: no allocation, no clock of its own (`now` is passed in); the
// pseudo-random draw comes from the caller (a keyed hash).
#ifndef TERN_LIB_TCP_RST_LIMITER_H_
#define TERN_LIB_TCP_RST_LIMITER_H_

#include <algorithm>
#include <cstdint>

#include "lib/base/time.h"

namespace tern::tcp {

class RstLimiter {
 public:
  // rate: tokens per second, 0 = no limit (FreeBSD: icmplim 0 disables the
  // limit). random: a fresh secret pseudo-random value for this call.
  bool Take(Instant now, uint32_t rate, uint32_t random) {
    if (rate == 0) {
      return true;
    }
    if (!started_) {
      started_ = true;
      last_ = now;
      cap_ = Capacity(rate, random);
      tokens_ = cap_;
    }
    const int64_t elapsed = (now - last_).ToNanos();
    if (elapsed > 0) {
      // At most one second's worth: the bucket holds no more.
      const uint64_t ns =
          static_cast<uint64_t>(std::min<int64_t>(elapsed, kNanosPerSecond));
      const uint64_t add = ns * rate / kNanosPerSecond;
      if (add > 0) {
        if (tokens_ + add >= cap_) {
          cap_ = Capacity(rate, random);
          tokens_ = cap_;
          last_ = now;
        } else {
          tokens_ += static_cast<uint32_t>(add);
          // Keep the fraction of a token not yet earned.
          last_ = last_ + Duration::Nanos(static_cast<int64_t>(
                              add * kNanosPerSecond / rate));
        }
      }
    }
    if (tokens_ == 0) {
      return false;
    }
    --tokens_;
    return true;
  }
  uint32_t tokens() const { return tokens_; }

  // The most subtracted from the capacity: FreeBSD's ratio, icmplim_jitter
  // 16 to icmplim 200 (8 %), at least 1.
  static uint32_t Jitter(uint32_t rate) {
    return std::max<uint32_t>(static_cast<uint32_t>(uint64_t{rate} * 16 / 200),
                              1);
  }
  static uint32_t Capacity(uint32_t rate, uint32_t random) {
    const uint32_t j = std::min(Jitter(rate), rate - 1);
    return rate - random % (j + 1);
  }

 private:
  static constexpr int64_t kNanosPerSecond = 1'000'000'000;
  bool started_ = false;
  Instant last_;
  uint32_t tokens_ = 0;
  uint32_t cap_ = 0;
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_RST_LIMITER_H_
