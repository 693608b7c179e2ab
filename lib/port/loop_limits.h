// Limits of the per-lcore polling loops (lib/port/lcore_loop.h), in a
// header without DPDK so that the DPDK-free parsers of tern's config and of
// tern-flood's command line (app/config.cc, app/tern-flood/flood_options.cc)
// check against the same figures the loops use.
#ifndef TERN_LIB_PORT_LOOP_LIMITS_H_
#define TERN_LIB_PORT_LOOP_LIMITS_H_

#include "lib/base/time.h"

namespace tern::port {

// The gap between two loop iterations that counts as a stall: well above an
// iteration's own work (a burst of 32 SYNs takes about 4 us, doc/
// benchmarks.md) and the idle sleep, at the scale of a connect latency's
// 1 ms target (issue 14); tern-flood counts its own stalls the same way.
inline constexpr Duration kLoopStall = Duration::Millis(1);

// The longest yield sleep the parsers accept (tern's [port] yield_us,
// tern-flood's and tern-reflect's --yield-us): half of kLoopStall, so that a
// yield with its iteration's work and a sleep's usual overrun stays below
// a stall and is not counted as one.
inline constexpr Duration kMaxYieldSleep = Duration::Micros(500);

}  // namespace tern::port

#endif  // TERN_LIB_PORT_LOOP_LIMITS_H_
