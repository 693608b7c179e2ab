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

// One ACK from a window's budget: false when `per_second` are used.
inline bool TakeOne(uint32_t* used, uint32_t per_second) {
  if (*used >= per_second) {
    return false;
  }
  ++*used;
  return true;
}

class AckLimiter {
 public:
  // True when one more ACK fits in the budget of `per_second` for the
  // current one-second window (which starts at the first ACK after the
  // last window ended).
  bool Allow(Instant now, uint32_t per_second) {
    if (now - window_start() >= Duration::Seconds(1)) {
      const uint64_t ns = static_cast<uint64_t>(now.ToNanos());
      start_low_ = static_cast<uint32_t>(ns);
      start_high_ = static_cast<uint32_t>(ns >> 32);
      used_ = 0;
    }
    return TakeOne(&used_, per_second);
  }

 private:
  Instant window_start() const {
    return Instant::FromNanos(
        static_cast<int64_t>(uint64_t{start_high_} << 32 | start_low_));
  }

  // The window's start, an Instant kept as two 32-bit halves so that the
  // limiter is 12 bytes aligned to 4 and packs among a record's 4-byte
  // fields instead of taking 16 (Connection, HalfOpen).
  uint32_t start_low_ = 0;
  uint32_t start_high_ = 0;
  uint32_t used_ = 0;
};
static_assert(sizeof(AckLimiter) == 12 && alignof(AckLimiter) == 4);

// A coarse clock for compact records whose life is bounded (HalfOpen): an
// Instant as the low 32 bits of its 2^16 ns ticks (65.536 us, the timer
// wheel's default tick), so differences are exact modulo 2^32 ticks (78
// hours) to within one tick.
inline constexpr int kCoarseTickShift = 16;
inline uint32_t CoarseTick(Instant t) {
  return static_cast<uint32_t>(static_cast<uint64_t>(t.ToNanos()) >>
                               kCoarseTickShift);
}
// The fewest whole coarse ticks between two readings that guarantee at least
// `d` between the instants read: readings k ticks apart are more than k - 1
// ticks apart in time.
constexpr uint32_t CoarseTicksAtLeast(Duration d) {
  const uint64_t tick = uint64_t{1} << kCoarseTickShift;
  const uint64_t ns = static_cast<uint64_t>(d.ToNanos());
  return static_cast<uint32_t>((ns + tick - 1) / tick + 1);
}

// AckLimiter's budget in 8 bytes for a record that lives less than 2^31
// coarse ticks (39 hours, differences taken signed; HalfOpen's life is bounded
// by EndpointConfig's SYN-ACK schedule): the window starts at a coarse tick,
// and a new one starts once at least one second has passed (1 s to 1.00015 s).
class CoarseAckLimiter {
 public:
  bool Allow(Instant now, uint32_t per_second) {
    const uint32_t tick = CoarseTick(now);
    // Signed: a `now` before the window's start (a clock stepped back)
    // keeps the window, as AckLimiter does.
    if (used_ == 0 || static_cast<int32_t>(tick - start_) >=
                          static_cast<int32_t>(kWindowTicks)) {
      start_ = tick;
      used_ = 0;
    }
    return TakeOne(&used_, per_second);
  }

 private:
  static constexpr uint32_t kWindowTicks =
      CoarseTicksAtLeast(Duration::Seconds(1));

  uint32_t start_ = 0;
  uint32_t used_ = 0;
};
static_assert(sizeof(CoarseAckLimiter) == 8);

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_ACK_LIMITER_H_
