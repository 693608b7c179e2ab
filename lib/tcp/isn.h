// IsnGenerator: initial sequence numbers per RFC 6528.
//
// RFC 6528 section 3 (and RFC 9293 section 3.4.1, which adopts it):
//   ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
// M is a timer that ticks every 4 microseconds; F is a keyed pseudorandom
// function of the connection identifier. Here F is SipHash-2-4 (RFC 6528
// section 3 asks for a PRF such as a keyed hash; SipHash is one) truncated to
// its low 32 bits, and M is now / 4 us truncated to 32 bits, so it wraps every
// 2^32 * 4 us, about 4.77 hours.
//
// Contract:
// - Generate is pure given the key: the same tuple and instant give the same
//   ISN. For one tuple, ISNs advance with M: one unit per 4 us (RFC 9293
//   section 3.4.1), so a new incarnation of a connection starts above the
//   sequence space of an older one unless they are hours apart.
// - Different tuples, or different keys, give ISNs that an off-path attacker
//   cannot relate (RFC 6528 section 3: the key must be secret and hard to
//   guess). Create draws the key from getrandom(2).
// - `now` is any monotonic Instant; the epoch does not matter because only
//   differences of M are meaningful to the peer.
// - Allocation-free and thread-compatible (const after construction); each
//   lcore may hold its own generator or share one read-only.
#ifndef TERN_LIB_TCP_ISN_H_
#define TERN_LIB_TCP_ISN_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "lib/base/seq_num.h"
#include "lib/base/siphash.h"
#include "lib/base/time.h"
#include "lib/tcp/four_tuple.h"

namespace tern::tcp {

class IsnGenerator {
 public:
  // RFC 9293 section 3.4.1: the ISN clock's unit.
  static constexpr int64_t kTickNanos = 4000;

  // A generator with a fresh secret from getrandom(2).
  static absl::StatusOr<IsnGenerator> Create();

  explicit IsnGenerator(SipKey key) : key_(key) {}

  SeqNum Generate(const FourTuple& tuple, Instant now) const;

  // M of RFC 6528: `now` in 4 us ticks, truncated to 32 bits.
  static constexpr uint32_t Clock(Instant now) {
    return static_cast<uint32_t>(now.ToNanos() / kTickNanos);
  }

 private:
  SipKey key_;
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_ISN_H_
