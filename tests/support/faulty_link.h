// A fault-injecting in-memory link: two Endpoints over one fake clock, each
// direction with its own latency, jitter, bandwidth cap, and probabilities of
// loss, duplication, reordering and corruption, all drawn from one seeded
// std::mt19937_64 so that a run is a function of (seed, options, workload).
//
// Every segment is emitted to bytes (wire::TcpRepr::Emit, checksum included)
// and parsed back with checksum verification on delivery (as Link does,
// tests/support/link.h). Deliveries and timer expiries are processed in time
// order from one event queue keyed by (time, insertion order); the clock
// jumps from event to event.
//
// Faults, per segment and in this order: drop (lost, nothing else happens);
// corruption (one random bit of the emitted bytes flipped: the receiver's
// checksum MUST reject it, counted in parse_failures); duplication (a second
// copy with its own delay, corruption not re-drawn); reordering (held back
// until `reorder_after` later segments of the same direction were sent, or
// `reorder_max_hold` passed, whichever comes first). Jitter also reorders
// when it exceeds the gap between two segments.
//
// Typical use:
//   FaultyLink link(seed, FaultOptions::Symmetric({.drop = 0.05, ...}));
//   link.SetApp([&] { /* Send / Recv / PollEvents */ });
//   link.RunUntil([&] { return done; }, deadline);
// and SCOPED_TRACE(link.Describe()) so that a failure prints the seed.
//
// Not thread-safe; one link per test.
#ifndef TERN_TESTS_SUPPORT_FAULTY_LINK_H_
#define TERN_TESTS_SUPPORT_FAULTY_LINK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "lib/tcp/endpoint.h"
#include "tests/support/link.h"

namespace tern::tcp::testing {

// Faults of one direction. Probabilities are per segment, in [0, 1].
struct DirectionFaults {
  double drop = 0;
  double duplicate = 0;
  double reorder = 0;
  double corrupt = 0;
  // A reordered segment is released after this many later segments of the
  // same direction, or after reorder_max_hold, whichever comes first.
  int reorder_after = 3;
  Duration reorder_max_hold = Duration::Millis(10);
  // One-way latency, plus a uniform draw in [0, jitter].
  Duration latency = Duration::Zero();
  Duration jitter = Duration::Zero();
  // Payload-independent serialization: bytes on the wire (TCP segment + 20
  // bytes of IPv4 header) at this rate, in bits per second; 0 = unlimited.
  // The queue in front of it is unbounded.
  uint64_t bandwidth_bps = 0;
};

struct FaultOptions {
  DirectionFaults a_to_b;
  DirectionFaults b_to_a;

  static FaultOptions Symmetric(const DirectionFaults& f) {
    return FaultOptions{f, f};
  }
};

// What one direction did, in segments.
struct DirectionStats {
  uint64_t sent = 0;           // handed to the link by the sender
  uint64_t payload_bytes = 0;  // payload of the segments sent
  uint64_t delivered = 0;      // parsed and handed to the receiver
  uint64_t dropped = 0;
  uint64_t duplicated = 0;
  uint64_t reordered = 0;
  uint64_t corrupted = 0;       // copies in flight with a flipped bit
  uint64_t parse_failures = 0;  // deliveries the receiver's parse rejected
};

class FaultyLink {
 public:
  using Side = Link::Side;
  static constexpr Side kA = Link::kA;
  static constexpr Side kB = Link::kB;

  FaultyLink(uint64_t seed, const FaultOptions& faults,
             const EndpointConfig& a = EndpointConfig{},
             const EndpointConfig& b = EndpointConfig{},
             Instant start = Instant::FromNanos(1'000'000'000));
  ~FaultyLink();
  FaultyLink(const FaultyLink&) = delete;
  FaultyLink& operator=(const FaultyLink&) = delete;

  Endpoint& a() { return *ep_[kA]; }
  Endpoint& b() { return *ep_[kB]; }
  Endpoint& ep(Side s) { return *ep_[s]; }
  Instant now() const { return now_; }
  uint64_t seed() const { return seed_; }
  const FaultOptions& faults() const { return faults_; }
  // Faults can be changed between runs (e.g. a clean handshake first).
  void SetFaults(const FaultOptions& f) { faults_ = f; }

  // Called after every event (a delivery, or the timers of an instant), with
  // the clock at the event's time: the application's turn to Send, Recv and
  // PollEvents.
  void SetApp(std::function<void()> app) { app_ = std::move(app); }

  // Processes events in time order until none is due at or before `until`;
  // the clock ends at `until` (or stays if it is already past). Returns the
  // number of events processed.
  uint64_t Run(Instant until);
  uint64_t RunFor(Duration d) { return Run(now_ + d); }
  // Processes events until done() holds (checked after each event) or the
  // clock would pass `deadline`; true when done() holds.
  bool RunUntil(const std::function<bool()>& done, Instant deadline);

  const DirectionStats& stats(Side from) const { return stats_[from]; }
  size_t in_flight() const { return queue_.size(); }

  // "seed=N" plus the options: print it on failure (SCOPED_TRACE) and rerun
  // with TERN_FAULT_SEED=N to reproduce.
  std::string Describe() const;

 private:
  class Sink : public SegmentSink {
   public:
    Sink(FaultyLink* link, Side side) : link_(link), side_(side) {}
    void Send(const OutSegment& segment) override;

   private:
    FaultyLink* link_;
    Side side_;
  };

  struct Key {
    int64_t at_ns;
    uint64_t order;
    auto operator<=>(const Key&) const = default;
  };
  struct InFlight {
    Side from;
    WireSegment w;
  };
  struct Held {
    Key key;        // its fallback delivery (reorder_max_hold) in queue_
    int remaining;  // later segments still to pass it
  };

  void OnSend(Side from, const OutSegment& segment);
  // When a segment sent now in direction `from` arrives (latency, jitter,
  // bandwidth).
  Instant ArrivalTime(Side from, size_t bytes);
  Key Schedule(Instant at, Side from, WireSegment w);
  void Deliver(InFlight& f);
  // The earliest timer instant, nudged one wheel tick past now when the
  // wheel's lower bound is already due but OnTimers found nothing to run.
  Instant TimerTime() const;
  // One event at or before `until`; false when there is none.
  bool Step(Instant until);
  bool Bernoulli(double p);

  uint64_t seed_;
  FaultOptions faults_;
  std::mt19937_64 rng_;
  Instant now_;
  Sink sinks_[2];
  std::unique_ptr<Endpoint> ep_[2];
  std::map<Key, InFlight> queue_;
  std::vector<Held> held_[2];
  Instant link_free_[2];  // bandwidth cap: when the transmitter is idle
  Instant timers_fired_at_ = Instant::FromNanos(-1);
  uint64_t order_ = 0;
  std::function<void()> app_;
  DirectionStats stats_[2];
};

// The seed a test should use: TERN_FAULT_SEED from the environment when set
// (to reproduce a failure), else `fallback`.
uint64_t FaultSeed(uint64_t fallback);

// 64-bit FNV-1a, incremental: a stream checksum for transfer tests.
class Fnv1a64 {
 public:
  void Update(std::span<const uint8_t> bytes) {
    for (uint8_t b : bytes) {
      h_ = (h_ ^ b) * 0x100000001b3ULL;
    }
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;  // FNV offset basis
};

}  // namespace tern::tcp::testing

#endif  // TERN_TESTS_SUPPORT_FAULTY_LINK_H_
