#include "lib/port/clock.h"

#include <rte_cycles.h>

#include "lib/base/dcheck.h"

namespace tern::port {
namespace {

constexpr uint64_t kNanosPerSecond = 1'000'000'000;

// cycles * 1e9 / hz without a 128-bit product: whole seconds first, then the
// remainder, whose product with 1e9 stays below hz * 1e9 (< 2^64 for
// hz < 18 GHz).
uint64_t CyclesToNanos(uint64_t cycles, uint64_t hz) {
  return (cycles / hz) * kNanosPerSecond + (cycles % hz) * kNanosPerSecond / hz;
}

}  // namespace

TscConverter::TscConverter(uint64_t hz, uint64_t origin_cycles)
    : hz_(hz), origin_(origin_cycles) {
  TERN_DCHECK(hz != 0);
}

Instant TscConverter::ToInstant(uint64_t cycles) const {
  if (cycles >= origin_) {
    return Instant::FromNanos(
        static_cast<int64_t>(CyclesToNanos(cycles - origin_, hz_)));
  }
  return Instant::FromNanos(
      -static_cast<int64_t>(CyclesToNanos(origin_ - cycles, hz_)));
}

Duration TscConverter::ToDuration(uint64_t cycles) const {
  return Duration::Nanos(static_cast<int64_t>(CyclesToNanos(cycles, hz_)));
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
