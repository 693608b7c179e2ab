#include "tests/support/faulty_link.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_format.h"

namespace tern::tcp::testing {
namespace {

// The timer wheel's finest tick (65.536 us, lib/tcp/timer_wheel.h), rounded
// up: how far the clock moves when NextDeadline, a lower bound, is already
// due but OnTimers found nothing to run.
constexpr Duration kWheelTick = Duration::Micros(66);

// IPv4 header bytes counted by the bandwidth cap (no options).
constexpr size_t kIpv4HeaderLen = 20;

std::string DescribeDirection(const DirectionFaults& f) {
  return absl::StrFormat(
      "{drop=%g dup=%g reorder=%g/%d/%dus corrupt=%g latency=%dus "
      "jitter=%dus bw=%dbps}",
      f.drop, f.duplicate, f.reorder, f.reorder_after,
      f.reorder_max_hold.ToMicros(), f.corrupt, f.latency.ToMicros(),
      f.jitter.ToMicros(), f.bandwidth_bps);
}

}  // namespace

uint64_t FaultSeed(uint64_t fallback) {
  const char* s = std::getenv("TERN_FAULT_SEED");
  if (s == nullptr || *s == '\0') {
    return fallback;
  }
  return std::strtoull(s, nullptr, 0);
}

void FaultyLink::Sink::Send(const OutSegment& segment) {
  link_->OnSend(side_, segment);
}

FaultyLink::FaultyLink(uint64_t seed, const FaultOptions& faults,
                       const EndpointConfig& a, const EndpointConfig& b,
                       Instant start)
    : seed_(seed),
      faults_(faults),
      rng_(seed),
      now_(start),
      sinks_{Sink(this, kA), Sink(this, kB)},
      link_free_{start, start} {
  const EndpointConfig* cfg[2] = {&a, &b};
  for (int s = 0; s < 2; ++s) {
    ep_[s] = MakeTestEndpoint(*cfg[s], &sinks_[s], start, s);
  }
}

FaultyLink::~FaultyLink() = default;

bool FaultyLink::Bernoulli(double p) {
  if (p <= 0) {
    return false;  // draw nothing: a clean direction leaves the stream alone
  }
  // 53 random bits to [0, 1), the same on every standard library (the
  // std::*_distribution algorithms are implementation-defined).
  const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
  return u < p;
}

Instant FaultyLink::ArrivalTime(Side from, size_t bytes) {
  const DirectionFaults& f = from == kA ? faults_.a_to_b : faults_.b_to_a;
  Instant t = now_;
  if (f.bandwidth_bps > 0) {
    const Instant start = std::max(now_, link_free_[from]);
    const uint64_t bits = (bytes + kIpv4HeaderLen) * 8;
    const auto tx_ns = static_cast<int64_t>(
        static_cast<double>(bits) * 1e9 / static_cast<double>(f.bandwidth_bps));
    link_free_[from] = start + Duration::Nanos(tx_ns);
    t = link_free_[from];
  }
  t += f.latency;
  if (f.jitter > Duration::Zero()) {
    t += Duration::Nanos(static_cast<int64_t>(
        rng_() % static_cast<uint64_t>(f.jitter.ToNanos() + 1)));
  }
  return t;
}

FaultyLink::Key FaultyLink::Schedule(Instant at, Side from, WireSegment w) {
  Key key{at.ToNanos(), order_++};
  queue_.emplace(key, InFlight{from, std::move(w)});
  return key;
}

void FaultyLink::OnSend(Side from, const OutSegment& segment) {
  const DirectionFaults& f = from == kA ? faults_.a_to_b : faults_.b_to_a;
  DirectionStats& st = stats_[from];
  ++st.sent;
  st.payload_bytes += segment.PayloadLen();

  // This segment passes the ones held back before it, whatever becomes of it.
  // Released ones are delivered right after it (or at their own fallback
  // time when that is earlier).
  std::vector<Held>& held = held_[from];
  Instant release_at = Instant::Never();
  bool release_at_known = false;

  if (Bernoulli(f.drop)) {
    ++st.dropped;
  } else {
    WireSegment w = EmitToWire(segment);
    const uint64_t corrupted_before = st.corrupted;
    if (Bernoulli(f.corrupt)) {
      const uint64_t bit = rng_() % (w.bytes.size() * 8);
      w.bytes[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      ++st.corrupted;
    }
    const bool corrupted = st.corrupted != corrupted_before;
    const bool dup = Bernoulli(f.duplicate);
    const bool hold = Bernoulli(f.reorder);
    WireSegment copy;
    if (dup) {
      copy = w;
    }
    const Instant at = ArrivalTime(from, w.bytes.size());
    if (hold) {
      ++st.reordered;
      // Released by later segments below (not by this one).
      Key key = Schedule(at + f.reorder_max_hold, from, std::move(w));
      held.push_back(Held{key, f.reorder_after + 1});
    } else {
      Schedule(at, from, std::move(w));
    }
    release_at = at;
    release_at_known = true;
    if (dup) {
      ++st.duplicated;
      if (corrupted) {
        ++st.corrupted;  // the copy carries the same flipped bit
      }
      Schedule(ArrivalTime(from, copy.bytes.size()), from, std::move(copy));
    }
  }
  if (!release_at_known) {
    release_at = now_ + f.latency;  // as if it had been delivered
  }
  for (size_t i = 0; i < held.size();) {
    if (--held[i].remaining > 0) {
      ++i;
      continue;
    }
    auto node = queue_.extract(held[i].key);
    if (!node.empty()) {
      Key key{std::min(node.key().at_ns, release_at.ToNanos()), order_++};
      node.key() = key;
      queue_.insert(std::move(node));
    }
    held[i] = held.back();
    held.pop_back();
  }
}

void FaultyLink::Deliver(InFlight& f) {
  DirectionStats& st = stats_[f.from];
  wire::TcpRepr tcp;
  if (ParseFromWire(f.w, &tcp) != wire::WireError::kOk) {
    ++st.parse_failures;
    return;
  }
  ++st.delivered;
  const Side to = f.from == kA ? kB : kA;
  ep_[to]->OnSegment(InSegment{f.w.src, f.w.dst, tcp}, now_);
}

Instant FaultyLink::TimerTime() const {
  Instant d = std::min(ep_[kA]->NextDeadline(), ep_[kB]->NextDeadline());
  if (d != Instant::Never() && d <= timers_fired_at_) {
    return timers_fired_at_ + kWheelTick;
  }
  return d;
}

bool FaultyLink::Step(Instant until) {
  const Instant tq = queue_.empty()
                         ? Instant::Never()
                         : Instant::FromNanos(queue_.begin()->first.at_ns);
  const Instant tt = TimerTime();
  const Instant t = std::min(tq, tt);
  if (t == Instant::Never() || t > until) {
    return false;
  }
  now_ = std::max(now_, t);
  if (tq <= tt) {
    auto node = queue_.extract(queue_.begin());
    InFlight& f = node.mapped();
    // A held segment reaching its fallback time is no longer held.
    std::vector<Held>& held = held_[f.from];
    for (size_t i = 0; i < held.size(); ++i) {
      if (held[i].key == node.key()) {
        held[i] = held.back();
        held.pop_back();
        break;
      }
    }
    Deliver(f);
  } else {
    timers_fired_at_ = now_;
    ep_[kA]->OnTimers(now_);
    ep_[kB]->OnTimers(now_);
  }
  if (app_) {
    app_();
  }
  return true;
}

uint64_t FaultyLink::Run(Instant until) {
  uint64_t n = 0;
  if (app_) {
    app_();
  }
  while (Step(until)) {
    ++n;
  }
  if (until != Instant::Never()) {
    now_ = std::max(now_, until);
  }
  return n;
}

bool FaultyLink::RunUntil(const std::function<bool()>& done, Instant deadline) {
  if (app_) {
    app_();
  }
  while (!done()) {
    if (!Step(deadline)) {
      return done();
    }
  }
  return true;
}

std::string FaultyLink::Describe() const {
  return absl::StrFormat(
      "seed=%d (rerun with TERN_FAULT_SEED=%d) a>b %s b>a %s", seed_, seed_,
      DescribeDirection(faults_.a_to_b), DescribeDirection(faults_.b_to_a));
}

}  // namespace tern::tcp::testing
