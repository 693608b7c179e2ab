#include "lib/port/clock.h"

#include <rte_cycles.h>

#include "absl/numeric/int128.h"
#include "lib/base/dcheck.h"

namespace tern::port {
namespace {

constexpr uint64_t kNanosPerSecond = 1'000'000'000;

}  // namespace

// floor(cycles * 1e9 / hz) with no division on the per-iteration path: the
// engine converts the TSC once per loop iteration, and the three 64-bit
// divisions this used to take were 4.9 % of tern's samples under wrk
// (doc/benchmarks.md). 1e9 / hz = whole_ + frac_ / 2^64 with frac_ rounded
// down, so the product below is the exact quotient or one less (the error
// cycles * 2^-64 is below 1 for any 64-bit count), and one 128-bit
// multiply-compare settles which.
TscConverter::TscConverter(uint64_t hz, uint64_t origin_cycles)
    : hz_(hz),
      origin_(origin_cycles),
      whole_(hz == 0 ? 0 : kNanosPerSecond / hz),
      frac_(hz == 0 ? 0
                    : absl::Uint128Low64(
                          absl::MakeUint128(kNanosPerSecond % hz, 0) / hz)) {
  TERN_DCHECK(hz != 0);
}

uint64_t TscConverter::CyclesToNanos(uint64_t cycles) const {
  const absl::uint128 c = cycles;
  uint64_t q = absl::Uint128Low64(c * whole_ + ((c * frac_) >> 64));
  if (absl::uint128{q + 1} * hz_ <= c * kNanosPerSecond) {
    ++q;
  }
  return q;
}

Instant TscConverter::ToInstant(uint64_t cycles) const {
  if (cycles >= origin_) {
    return Instant::FromNanos(
        static_cast<int64_t>(CyclesToNanos(cycles - origin_)));
  }
  return Instant::FromNanos(
      -static_cast<int64_t>(CyclesToNanos(origin_ - cycles)));
}

Duration TscConverter::ToDuration(uint64_t cycles) const {
  return Duration::Nanos(static_cast<int64_t>(CyclesToNanos(cycles)));
}

uint64_t TscConverter::ToCycles(Duration d) const {
  if (d <= Duration::Zero()) {
    return 0;
  }
  const auto ns = static_cast<uint64_t>(d.ToNanos());
  const uint64_t whole = (ns / kNanosPerSecond) * hz_;
  const uint64_t part = ns % kNanosPerSecond * hz_;
  return whole + (part + kNanosPerSecond - 1) / kNanosPerSecond;
}

absl::StatusOr<TscClock> TscClock::Create() {
  const uint64_t hz = rte_get_tsc_hz();
  if (hz == 0) {
    return absl::FailedPreconditionError(
        "TscClock: rte_get_tsc_hz() returned 0 (EAL not initialized, or the "
        "TSC frequency could not be measured)");
  }
  return TscClock(TscConverter(hz, rte_get_tsc_cycles()));
}

uint64_t TscClock::NowCycles() const { return rte_get_tsc_cycles(); }

Instant TscClock::Now() const { return converter_.ToInstant(NowCycles()); }

}  // namespace tern::port
