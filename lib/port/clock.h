// The port layer's clock: the CPU timestamp counter (TSC) as tern::Instant.
//
// Contract:
// - TscConverter is pure arithmetic (no DPDK call): given the TSC frequency
//   and an origin count, it maps cycle counts to Instant/Duration and back,
//   exactly (floor of cycles * 1e9 / hz; no floating point, no overflow for
//   any uptime below 2^63 ns), with multiplications only: no division after
//   construction. Cycle counts before the origin map to
//   negative Instants.
// - TscClock reads rte_get_tsc_cycles(); its epoch (Instant 0) is the moment
//   it was created. Create() fails when DPDK reports a zero TSC frequency,
//   and must be called after InitEal (EAL measures the frequency).
// - Now() is cheap enough for every loop iteration (one rdtsc and three
//   multiplications)
//   and monotonic on CPUs with an invariant TSC, which EAL assumes.
#ifndef TERN_LIB_PORT_CLOCK_H_
#define TERN_LIB_PORT_CLOCK_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "lib/base/time.h"

namespace tern::port {

class TscConverter {
 public:
  // hz must be non-zero.
  TscConverter(uint64_t hz, uint64_t origin_cycles);

  Instant ToInstant(uint64_t cycles) const;
  Duration ToDuration(uint64_t cycles) const;
  // Rounds up, so waiting that many cycles lasts at least `d`; negative `d`
  // gives 0.
  uint64_t ToCycles(Duration d) const;

  uint64_t hz() const { return hz_; }
  uint64_t origin_cycles() const { return origin_; }

 private:
  uint64_t CyclesToNanos(uint64_t cycles) const;

  uint64_t hz_;
  uint64_t origin_;
  // 1e9 / hz_ as whole nanoseconds per cycle plus a 64-bit binary fraction
  // (rounded down); see clock.cc.
  uint64_t whole_;
  uint64_t frac_;
};

class TscClock {
 public:
  static absl::StatusOr<TscClock> Create();

  Instant Now() const;
  uint64_t NowCycles() const;
  const TscConverter& converter() const { return converter_; }

 private:
  explicit TscClock(TscConverter converter) : converter_(converter) {}
  TscConverter converter_;
};

}  // namespace tern::port

#endif  // TERN_LIB_PORT_CLOCK_H_
