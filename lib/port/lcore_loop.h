// The per-lcore loop: DPDK l3fwd's receive, process, transmit, drain cycle
// around one Engine, with tern's shutdown drain.
//
// Contract:
// - RunEngineLoop polls `engine` (Engine::PollOnce) until `stop` becomes
//   true or `deadline` passes, then drains: the application is told to stop
//   accepting and finish (Application::BeginDrain), the loop keeps polling
//   until the application reports Drained() or `drain_time` has passed,
//   then resets what remains (Application::AbortAll), polls a last time so
//   the resets leave, and shuts the engine down (Engine::Shutdown).
// - `periodic`, when set, is called about once per `period` from this loop
//   (the main lcore prints statistics with it).
// - An empty receive burst is followed by a sleep of idle_sleep_us when it
//   is non-zero (0 busy-polls, the DPDK way).
// - `busy_cycles`, when set, is a counter the loop alone writes: it adds the
//   TSC cycles of every iteration that received packets (PollOnce's whole
//   work: receive, process, transmit), so busy cycles over packets received
//   is the engine's cost per packet (a descheduled lcore's lost time inside
//   such an iteration counts too).
// - `stalls` and `stalled_us`, when set, are counters the loop alone
//   writes: an iteration that begins kLoopStall (1 ms) or more after the
//   one before counts as a stall, its gap in microseconds (the lcore was
//   off its core, or a sleep or a periodic call overran; every packet that
//   arrived meanwhile waited that long).
// - `yield_every`, when non-zero, gives the core away on a fixed cadence
//   (DutyYield below): it sleeps at least `yield_sleep` in every
//   `yield_every`, its idle sleeps and stalls counting towards it, flushes
//   the engine's TX buffer before each sleep it adds, and counts those in
//   `yields` when set. For a SCHED_FIFO loop on a core it
//   shares: the kernel's RT throttle, if the loop never sleeps, stops it
//   for 1 to 3 ms at a time, and a short sleep of the loop's own choosing
//   keeps it under the throttle (doc/operator_guide.md).
// - `reflect_alternation`, when non-zero, makes the loop a measuring
//   instrument (bench/synflood's rate ratio, doc/flood.md): it switches the
//   engine between its stack and reflect mode (Engine::set_reflect) every
//   reflect_alternation, starting with the stack, and appends each finished
//   phase to `phases` (without `phases` it does not alternate). The loop
//   never grows `phases`
//   beyond the capacity the caller reserved: when it is full the engine
//   stays in stack mode. A stop request ends the alternation in stack mode
//   before the drain (the last phase is recorded).
#ifndef TERN_LIB_PORT_LCORE_LOOP_H_
#define TERN_LIB_PORT_LCORE_LOOP_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "lib/base/counters.h"
#include "lib/base/time.h"
#include "lib/port/clock.h"
#include "lib/port/engine.h"
#include "lib/port/loop_limits.h"

namespace tern::port {

// One phase of the reflect alternation: what the engine's queue pair carried
// in it.
struct ReflectPhase {
  bool reflect = false;  // the bare loop; otherwise the stack
  Instant start;
  Instant end;
  // The start as Unix time (the system clock read at the switch), to be
  // matched with another process's timeline.
  int64_t start_unix_ns = 0;
  uint64_t rx_packets = 0;
  uint64_t tx_packets = 0;   // frames the driver took (PortCounters)
  uint64_t busy_cycles = 0;  // of the loop's busy_cycles, when set
};

// kLoopStall and kMaxYieldSleep: lib/port/loop_limits.h.

// A polling loop's voluntary sleeps on a fixed cadence, so that it sleeps
// at least `sleep` in every window of `every`. A window begins at `start`
// and at each yield. Time the loop spends off its core anyway (its idle
// sleeps, and stalls) is reported with NoteSleep and counts towards the
// window's `sleep`; once it adds up to that, a new window begins there.
// On an iteration that made no such sleep, the loop asks Due(now), and
// when a window has lasted `every`, does what must not wait (flushes its
// TX buffer) and calls Yield(now), which sleeps what the window still owes
// (`sleep` less the idle sleeps in it) and begins the next window; Tick
// does both for a loop with nothing to flush. With iterations short
// against `every`, a busy loop so runs at most about (every - sleep) /
// every of its time; a longer iteration ends a window later, and no sleep
// is made up. With `every` zero it never sleeps. The sleep function is
// DPDK's rte_delay_us_sleep unless a test injects one.
class DutyYield {
 public:
  using SleepFn = void (*)(unsigned us);
  DutyYield(Duration every, Duration sleep, Instant start,
            SleepFn sleep_fn = nullptr);
  bool Due(Instant now) const {
    return every_ > Duration::Zero() && now - window_start_ >= every_;
  }
  void Yield(Instant now);
  // Due, then Yield; true when it slept.
  bool Tick(Instant now) {
    if (!Due(now)) {
      return false;
    }
    Yield(now);
    return true;
  }
  // The loop was off its core for `slept` (an idle sleep as asked for, or
  // a stall's gap) until about `now`.
  void NoteSleep(Instant now, Duration slept);

 private:
  Duration every_;
  Duration sleep_;
  Instant window_start_;
  Duration slept_;  // time off the core reported in this window, < sleep_
  SleepFn sleep_fn_;
};

struct LoopOptions {
  uint32_t idle_sleep_us = 0;
  // DutyYield's cadence and sleep; zero `yield_every` never yields.
  Duration yield_every = Duration::Zero();
  Duration yield_sleep = Duration::Micros(50);
  Counter* yields = nullptr;
  // How long connections may take to finish after a stop request.
  Duration drain_time = Duration::Seconds(5);
  Instant deadline = Instant::Never();
  std::function<void(Instant)> periodic;
  Duration period = Duration::Seconds(1);
  Counter* busy_cycles = nullptr;
  Counter* stalls = nullptr;
  Counter* stalled_us = nullptr;
  Duration reflect_alternation = Duration::Zero();
  std::vector<ReflectPhase>* phases = nullptr;
};

void RunEngineLoop(Engine& engine, const TscClock& clock,
                   const LoopOptions& options, const std::atomic<bool>& stop);

}  // namespace tern::port

#endif  // TERN_LIB_PORT_LCORE_LOOP_H_
