#include "lib/port/lcore_loop.h"

#include <rte_cycles.h>

namespace tern::port {

void RunEngineLoop(Engine& engine, const TscClock& clock,
                   const LoopOptions& options, const std::atomic<bool>& stop) {
  Application* app = engine.application();
  bool draining = false;
  Instant drain_deadline = Instant::Never();
  Instant next_periodic = clock.Now() + options.period;
  while (true) {
    const Instant now = clock.Now();
    if (!draining &&
        (stop.load(std::memory_order_relaxed) || now >= options.deadline)) {
      draining = true;
      drain_deadline = now + options.drain_time;
      if (app != nullptr) {
        app->BeginDrain(now);
      }
    }
    if (draining &&
        (app == nullptr || app->Drained() || now >= drain_deadline)) {
      if (app != nullptr) {
        app->AbortAll(now);
      }
      // What the application no longer holds (connections it closed, still
      // in FIN-WAIT, CLOSING or LAST-ACK) ends too, with RSTs where RFC
      // 9293's ABORT sends them, so no peer waits on a process that is gone.
      engine.endpoint().AbortAll(now);
      engine.PollOnce(now);
      engine.Shutdown(now);
      return;
    }
    const uint64_t start = options.busy_cycles != nullptr ? rte_rdtsc() : 0;
    const unsigned n = engine.PollOnce(now);
    if (n > 0 && options.busy_cycles != nullptr) {
      options.busy_cycles->Add(rte_rdtsc() - start);
    }
    if (options.periodic && now >= next_periodic) {
      options.periodic(now);
      next_periodic = now + options.period;
    }
    if (n == 0 && options.idle_sleep_us != 0) {
      rte_delay_us_sleep(options.idle_sleep_us);
    }
  }
}

}  // namespace tern::port
