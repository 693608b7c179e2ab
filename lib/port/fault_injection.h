// FaultInjector: a seeded impairment stage for a port's receive or transmit
// bursts, since this machine has no netem (doc/port.md).
//
// Contract:
// - Apply(pkts, n, now, out) takes ownership of n mbufs and returns, in
//   `out`, the mbufs that continue now (at most kMaxOut). Each packet is,
//   independently and in this order: dropped with probability `drop`;
//   corrupted with probability `corrupt` (one byte past the Ethernet header
//   is flipped and the mbuf's checksum-good flags are cleared, so the
//   receiver verifies in software and drops it, as a real bit error would
//   be caught); duplicated with probability `duplicate` (a second reference,
//   sent right after); delayed by `delay` (held, released in order once
//   due); held back with probability `reorder` until the next packet has
//   passed. A token bucket of `rate_mbps` (0: none) drops what exceeds it.
// - Deterministic for a given seed and input sequence (a SplitMix64
//   generator, Steele et al., OOPSLA 2014), so a failing run can be
//   repeated.
// - Held packets are bounded (kMaxHeld); past the bound a packet that
//   should be held continues at once. Flush frees what is still held.
// - Counters: dropped, corrupted, duplicated, delayed, reordered,
//   rate_dropped. One lcore per injector.
#ifndef TERN_LIB_PORT_FAULT_INJECTION_H_
#define TERN_LIB_PORT_FAULT_INJECTION_H_

#include <cstddef>
#include <cstdint>
#include <deque>

#include "lib/base/counters.h"
#include "lib/base/time.h"

struct rte_mbuf;
struct rte_mempool;

namespace tern::port {

struct FaultOptions {
  double drop = 0;       // probability per packet, 0..1
  double duplicate = 0;  // probability per packet
  double reorder = 0;    // probability per packet
  double corrupt = 0;    // probability per packet
  Duration delay;        // added to every packet
  uint32_t rate_mbps = 0;
  uint64_t seed = 1;
  bool Active() const {
    return drop > 0 || duplicate > 0 || reorder > 0 || corrupt > 0 ||
           delay > Duration() || rate_mbps > 0;
  }
};

struct FaultCounters {
  Counter dropped;
  Counter corrupted;
  Counter duplicated;
  Counter delayed;
  Counter reordered;
  Counter rate_dropped;
};

class FaultInjector {
 public:
  // Most packets one Apply returns: a burst, doubled by duplicates, plus
  // released held packets.
  static constexpr size_t kMaxIn = 64;
  static constexpr size_t kMaxOut = 256;
  static constexpr size_t kMaxHeld = 4096;

  FaultInjector(const FaultOptions& options, FaultCounters* counters);
  ~FaultInjector();
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  // `out` must hold kMaxOut pointers; n must be at most kMaxIn.
  size_t Apply(rte_mbuf** pkts, size_t n, Instant now, rte_mbuf** out);
  // Releases due held packets only (call when no burst arrived).
  size_t Release(Instant now, rte_mbuf** out);
  void Flush();
  size_t held() const { return held_.size(); }

 private:
  double Uniform();
  bool Chance(double p) { return p > 0 && Uniform() < p; }
  bool RateAllows(uint32_t bytes, Instant now);

  FaultOptions options_;
  FaultCounters* counters_;
  uint64_t state_;
  struct Held {
    rte_mbuf* m;
    Instant due;
  };
  std::deque<Held> held_;          // delayed, in order
  rte_mbuf* reordered_ = nullptr;  // waits for the next packet
  double tokens_ = 0;              // bytes
  Instant last_refill_;
};

}  // namespace tern::port

#endif  // TERN_LIB_PORT_FAULT_INJECTION_H_
