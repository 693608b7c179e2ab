// TxBudget: when the flood may hand frames to the TX queue it shares with
// the engine, so that the legitimate clients' segments still leave when the
// flood runs as fast as it can.
//
// The flood and the engine send on one TX queue. A flood at "max" offers
// more than the peer takes and keeps the ring full; the engine's SYNs and
// ACKs, flushed once per iteration, then find no room and are dropped
// (tx_dropped_ring_full). The ring's only signal is a burst the driver did
// not take in full, so:
// - Allow(now) is how many frames this iteration may send: the cap (a full
//   burst), or 0 while a pause runs.
// - Account(offered, accepted, now): a refusal (accepted < offered) starts
//   a pause of `pause`. The caller flushes the engine's frames before each
//   flood burst, so during the pause the slots the peer frees go to the
//   engine first. A pause shorter than the time the peer takes to drain a
//   full ring costs the flood nothing: the peer still has a ring's worth
//   to read when the flood resumes.
// DPDK-free: unit-tested on virtual time.
#ifndef TERN_APP_TERN_FLOOD_TX_BUDGET_H_
#define TERN_APP_TERN_FLOOD_TX_BUDGET_H_

#include <cstdint>

#include "lib/base/time.h"

namespace tern::flood {

class TxBudget {
 public:
  TxBudget(uint16_t cap, Duration pause) : cap_(cap), pause_(pause) {}

  uint16_t Allow(Instant now) const { return now < resume_ ? 0 : cap_; }

  void Account(uint16_t offered, uint16_t accepted, Instant now) {
    if (accepted < offered) {
      resume_ = now + pause_;
      ++refusals_;
    }
  }

  uint64_t refusals() const { return refusals_; }

 private:
  uint16_t cap_;
  Duration pause_;
  Instant resume_;
  uint64_t refusals_ = 0;
};

}  // namespace tern::flood

#endif  // TERN_APP_TERN_FLOOD_TX_BUDGET_H_
