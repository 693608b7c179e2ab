#include "lib/port/lcore_loop.h"

#include <rte_cycles.h>

#include <chrono>

namespace tern::port {

DutyYield::DutyYield(Duration every, Duration sleep, Instant start,
                     SleepFn sleep_fn)
    : every_(every),
      sleep_(sleep),
      window_start_(start),
      sleep_fn_(sleep_fn != nullptr ? sleep_fn : &rte_delay_us_sleep) {}

void DutyYield::Yield(Instant now) {
  // slept_ < sleep_ (NoteSleep): at least a microsecond is owed.
  const int64_t owed_us = (sleep_ - slept_).ToMicros();
  sleep_fn_(static_cast<unsigned>(owed_us > 0 ? owed_us : 1));
  window_start_ = now;
  slept_ = Duration::Zero();
}

void DutyYield::NoteSleep(Instant now, Duration slept) {
  slept_ += slept;
  if (slept_ >= sleep_) {
    window_start_ = now;
    slept_ = Duration::Zero();
  }
}

void RunEngineLoop(Engine& engine, const TscClock& clock,
                   const LoopOptions& options, const std::atomic<bool>& stop) {
  Application* app = engine.application();
  bool draining = false;
  Instant drain_deadline = Instant::Never();
  Instant next_periodic = clock.Now() + options.period;
  const bool alternate = options.reflect_alternation > Duration::Zero() &&
                         options.phases != nullptr;
  ReflectPhase phase;
  const auto begin_phase = [&](Instant now, bool reflect) {
    engine.set_reflect(reflect);
    phase.reflect = reflect;
    phase.start = now;
    phase.start_unix_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count();
    phase.rx_packets = engine.counters().rx_packets.Get();
    phase.tx_packets = engine.counters().tx_packets.Get();
    phase.busy_cycles =
        options.busy_cycles != nullptr ? options.busy_cycles->Get() : 0;
  };
  // Closes the running phase; false when `phases` is full.
  const auto end_phase = [&](Instant now) {
    if (options.phases->size() == options.phases->capacity()) {
      return false;
    }
    ReflectPhase done = phase;
    done.end = now;
    done.rx_packets = engine.counters().rx_packets.Get() - phase.rx_packets;
    done.tx_packets = engine.counters().tx_packets.Get() - phase.tx_packets;
    done.busy_cycles =
        (options.busy_cycles != nullptr ? options.busy_cycles->Get() : 0) -
        phase.busy_cycles;
    options.phases->push_back(done);
    return true;
  };
  bool alternating = alternate;
  Instant next_switch = Instant::Never();
  if (alternating) {
    const Instant now = clock.Now();
    begin_phase(now, /*reflect=*/false);
    next_switch = now + options.reflect_alternation;
  }
  Instant prev = clock.Now();
  DutyYield yield(options.yield_every, options.yield_sleep, prev);
  while (true) {
    const Instant now = clock.Now();
    if (now - prev >= kLoopStall) {
      // Off its core that long: the kernel had the core meanwhile.
      yield.NoteSleep(now, now - prev);
      if (options.stalls != nullptr) {
        options.stalls->Inc();
      }
      if (options.stalled_us != nullptr) {
        options.stalled_us->Add(
            static_cast<uint64_t>((now - prev).ToNanos() / 1000));
      }
    }
    prev = now;
    if (alternating && now >= next_switch) {
      // Whatever the reflect phase put in the TX buffer leaves within it.
      engine.FlushTx();
      const Instant at = clock.Now();
      if (end_phase(at)) {
        begin_phase(at, !phase.reflect);
        next_switch = at + options.reflect_alternation;
      } else {
        engine.set_reflect(false);
        alternating = false;
      }
    }
    if (!draining &&
        (stop.load(std::memory_order_relaxed) || now >= options.deadline)) {
      if (alternating) {
        engine.FlushTx();
        end_phase(clock.Now());
        engine.set_reflect(false);
        alternating = false;
      }
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
      yield.NoteSleep(now, Duration::Micros(options.idle_sleep_us));
    } else if (yield.Due(now)) {
      // What the TX buffer holds leaves before the sleep, not after it.
      engine.FlushTx();
      yield.Yield(now);
      if (options.yields != nullptr) {
        options.yields->Inc();
      }
    }
  }
}

}  // namespace tern::port
