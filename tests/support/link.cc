#include "tests/support/link.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tern::tcp::testing {

WireSegment EmitToWire(const OutSegment& segment) {
  std::vector<uint8_t> payload(segment.PayloadLen());
  segment.payload.CopyTo(payload);
  wire::TcpRepr tcp = segment.tcp;
  tcp.payload = payload;
  WireSegment w;
  w.src = segment.src;
  w.dst = segment.dst;
  w.bytes.resize(tcp.BufferLen());
  tcp.Emit(w.bytes, w.src, w.dst);
  return w;
}

wire::WireError ParseFromWire(const WireSegment& w, wire::TcpRepr* out) {
  return wire::TcpRepr::Parse(w.bytes, w.src, w.dst,
                              wire::TcpRepr::Checksum::kVerify, out);
}

std::unique_ptr<Endpoint> MakeTestEndpoint(
    const EndpointConfig& config, SegmentSink* sink, Instant start, int side,
    const SynCookieSecretStore* cookie_store) {
  Endpoint::Secrets secrets;
  secrets.isn_key = SipKey{0x1111111111111111ULL * (side + 1),
                           0x2222222222222222ULL * (side + 1)};
  std::array<uint8_t, 16> key{};
  for (size_t i = 0; i < key.size(); ++i) {
    key[i] = static_cast<uint8_t>(i * 7 + side);
  }
  secrets.table_key = key;
  secrets.cookie_store = cookie_store;
  absl::StatusOr<std::unique_ptr<Endpoint>> ep =
      Endpoint::Create(config, sink, start, secrets);
  if (!ep.ok()) {
    std::abort();  // a test config error: nothing sensible to do
  }
  return std::move(*ep);
}

void Link::Sink::Send(const OutSegment& segment) {
  WireSegment w = EmitToWire(segment);
  Packet p;
  p.from = side_;
  p.src = w.src;
  p.dst = w.dst;
  p.bytes = std::move(w.bytes);
  link_->queue_[side_].push_back(std::move(p));
}

Link::Link(const EndpointConfig& a, const EndpointConfig& b, Instant start)
    : now_(start), sinks_{Sink(this, kA), Sink(this, kB)} {
  const EndpointConfig* cfg[2] = {&a, &b};
  for (int s = 0; s < 2; ++s) {
    ep_[s] = MakeTestEndpoint(*cfg[s], &sinks_[s], start, s);
  }
}

Link::~Link() = default;

bool Link::DeliverOne(Side from) {
  if (queue_[from].empty()) {
    return false;
  }
  Packet p = std::move(queue_[from].front());
  queue_[from].pop_front();
  wire::WireError e = wire::TcpRepr::Parse(
      p.bytes, p.src, p.dst, wire::TcpRepr::Checksum::kVerify, &p.tcp);
  if (e != wire::WireError::kOk) {
    ++wire_errors_;
    return true;
  }
  const bool dropped = drop_ && drop_(p);
  trace_.push_back(TraceEntry{from, p.tcp.flags, p.tcp.seq.raw(),
                              p.tcp.ack.raw(), p.tcp.payload.size(), dropped});
  if (dropped) {
    return true;
  }
  Side to = from == kA ? kB : kA;
  ep_[to]->OnSegment(InSegment{p.src, p.dst, p.tcp}, now_);
  return true;
}

void Link::Fire() {
  ep_[kA]->OnTimers(now_);
  ep_[kB]->OnTimers(now_);
}

size_t Link::Run() {
  size_t n = 0;
  Fire();
  while (queued() > 0) {
    // Alternate directions so that crossing segments really cross.
    if (DeliverOne(kA)) {
      ++n;
    }
    if (DeliverOne(kB)) {
      ++n;
    }
  }
  return n;
}

void Link::AdvanceTo(Instant t) {
  Run();
  for (int guard = 0; guard < 10'000'000; ++guard) {
    Instant d = std::min(ep_[kA]->NextDeadline(), ep_[kB]->NextDeadline());
    if (d > t) {
      break;
    }
    now_ = std::max(now_, d);
    Run();
    Instant next = std::min(ep_[kA]->NextDeadline(), ep_[kB]->NextDeadline());
    if (next <= now_) {
      // NextDeadline is a lower bound: step by one wheel tick (65.536 us).
      now_ += Duration::Micros(66);
      if (now_ > t) {
        now_ = t;
        Run();
        break;
      }
    }
  }
  now_ = std::max(now_, t);
  Run();
}

void Link::Advance(Duration d) { AdvanceTo(now_ + d); }

std::string TraceToString(const std::vector<Link::TraceEntry>& trace) {
  std::string s;
  for (const Link::TraceEntry& e : trace) {
    std::string flags;
    const std::pair<uint8_t, const char*> names[] = {
        {wire::tcp_flags::kSyn, "S"},
        {wire::tcp_flags::kFin, "F"},
        {wire::tcp_flags::kRst, "R"},
        {wire::tcp_flags::kPsh, "P"},
        {wire::tcp_flags::kAck, "."}};
    for (const auto& [bit, name] : names) {
      if ((e.flags & bit) != 0) {
        flags += name;
      }
    }
    absl::StrAppend(&s, e.from == Link::kA ? "A>B " : "B>A ", flags,
                    e.len > 0 ? absl::StrCat(" len ", e.len) : "",
                    e.dropped ? " (dropped)" : "", "\n");
  }
  return s;
}

}  // namespace tern::tcp::testing
