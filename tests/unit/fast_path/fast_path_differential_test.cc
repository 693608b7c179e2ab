// Header prediction against the general path: random traces run twice from
// the same seed, once with EndpointConfig::header_prediction on and once
// with it forced off, must send byte-identical segments (checksums
// included), deliver the same bytes to both applications and end in the
// same states with the same counters.
//
// A trace: two endpoints, one connection (timestamps, SACK and window
// scaling each on or off per seed), data both ways in random sizes, reads
// of random sizes (the advertised window opens and closes), and a wire that
// delivers, drops, duplicates and reorders segments at random while the
// clock jumps by random amounts (delayed ACKs, retransmissions, SACK
// recovery, persist probes). Every segment is emitted to bytes and parsed
// back with checksum verification, as a wire would carry it.
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/tcp/endpoint.h"
#include "tests/support/link.h"

namespace tern::tcp::testing {
namespace {

constexpr wire::Ipv4Addr kAddrA = wire::Ipv4Addr::FromOctets(10, 0, 0, 1);
constexpr wire::Ipv4Addr kAddrB = wire::Ipv4Addr::FromOctets(10, 0, 0, 2);
constexpr uint16_t kPort = 8080;
constexpr int kSteps = 4000;
constexpr int kSeeds = 150;

struct Outcome {
  std::vector<std::vector<uint8_t>> sent[2];
  std::string received[2];
  State state[2] = {State::kClosed, State::kClosed};
  uint64_t segments_in[2] = {0, 0};
  uint64_t retransmits[2] = {0, 0};
  uint64_t predicted = 0;
  bool connected = false;
};

class Recorder : public SegmentSink {
 public:
  void Send(const OutSegment& s) override {
    WireSegment w = EmitToWire(s);
    log.push_back(w.bytes);
    queue.push_back(std::move(w));
  }
  std::deque<WireSegment> queue;
  std::vector<std::vector<uint8_t>> log;
};

Outcome RunTrace(uint64_t seed, bool prediction) {
  std::mt19937_64 rng(seed);
  EndpointConfig cfg;
  cfg.max_connections = 8;
  cfg.max_half_open = 8;
  cfg.max_time_wait = 8;
  cfg.header_prediction = prediction;
  // Small buffers so the windows fill, close and open again.
  cfg.conn_defaults.send_buffer = 8192 + (rng() % 4) * 4096;
  cfg.conn_defaults.recv_buffer = 4096 + (rng() % 4) * 4096;
  cfg.conn_defaults.timestamps = rng() % 4 != 0;
  cfg.conn_defaults.sack_permitted = rng() % 4 != 0;
  cfg.conn_defaults.window_scaling = rng() % 2 != 0;
  cfg.conn_defaults.nodelay = rng() % 2 != 0;
  cfg.conn_defaults.quick_acks = static_cast<uint16_t>(rng() % 3);
  const double drop = static_cast<double>(rng() % 4) / 100.0;

  Instant now = Instant::FromNanos(1'000'000'000);
  Recorder sinks[2];
  std::unique_ptr<Endpoint> ep[2] = {MakeTestEndpoint(cfg, &sinks[0], now, 0),
                                     MakeTestEndpoint(cfg, &sinks[1], now, 1)};
  ListenOptions lo;
  lo.conn = cfg.conn_defaults;
  ListenerHandle l = *ep[1]->Listen(kAddrB, kPort, lo);
  std::optional<ConnHandle> conn[2];
  conn[0] = *ep[0]->Connect(kAddrA, kAddrB, kPort, cfg.conn_defaults, now);
  Outcome out;
  std::vector<uint8_t> buf(16384);
  uint8_t next_byte[2] = {0, 0};

  auto deliver = [&](int from, const WireSegment& w) {
    wire::TcpRepr tcp;
    if (ParseFromWire(w, &tcp) != wire::WireError::kOk) {
      ADD_FAILURE() << "unparsable segment";
      return;
    }
    ep[1 - from]->OnSegment(InSegment{w.src, w.dst, tcp}, now);
  };
  auto app = [&] {
    if (!conn[1]) {
      conn[1] = ep[1]->Accept(l);
    }
  };
  auto step_wire = [&](bool faults) {
    const int from = static_cast<int>(rng() % 2);
    std::deque<WireSegment>& q = sinks[from].queue;
    if (q.empty()) {
      return;
    }
    const uint64_t r = rng() % 100;
    if (faults && r < drop * 100) {
      q.pop_front();
      return;
    }
    if (faults && r < 8 && q.size() > 1) {
      std::swap(q[0], q[1 + rng() % (q.size() - 1)]);  // reorder
    }
    WireSegment w = q.front();
    if (!(faults && r >= 8 && r < 12)) {  // else duplicated: stays queued
      q.pop_front();
    }
    deliver(from, w);
  };

  for (int i = 0; i < kSteps; ++i) {
    app();
    const uint64_t op = rng() % 100;
    if (op < 45) {
      step_wire(/*faults=*/true);
    } else if (op < 65) {
      const int side = static_cast<int>(rng() % 2);
      if (conn[side]) {
        std::vector<uint8_t> data(1 + rng() % 5000);
        for (uint8_t& b : data) {
          b = next_byte[side];
        }
        IoResult r = ep[side]->Send(*conn[side], data, now);
        next_byte[side] = static_cast<uint8_t>(next_byte[side] + r.bytes);
      }
    } else if (op < 85) {
      const int side = static_cast<int>(rng() % 2);
      if (conn[side]) {
        const size_t n = 1 + rng() % buf.size();
        IoResult r = ep[side]->Recv(*conn[side], std::span(buf).first(n), now);
        out.received[side].append(buf.begin(), buf.begin() + r.bytes);
      }
    } else if (op < 97) {
      now = now + Duration::Micros(static_cast<int64_t>(rng() % 60'000));
      ep[0]->OnTimers(now);
      ep[1]->OnTimers(now);
    } else {
      const int side = static_cast<int>(rng() % 2);
      if (conn[side]) {
        ep[side]->SetNodelay(*conn[side], rng() % 2 != 0, now);
      }
    }
  }
  // Settle: no more faults, everything delivered, timers run.
  for (int round = 0; round < 200; ++round) {
    app();
    while (!sinks[0].queue.empty() || !sinks[1].queue.empty()) {
      step_wire(/*faults=*/false);
    }
    for (int side = 0; side < 2; ++side) {
      if (conn[side]) {
        IoResult r = ep[side]->Recv(*conn[side], buf, now);
        out.received[side].append(buf.begin(), buf.begin() + r.bytes);
      }
    }
    now = now + Duration::Millis(50);
    ep[0]->OnTimers(now);
    ep[1]->OnTimers(now);
  }
  for (int side = 0; side < 2; ++side) {
    out.sent[side] = sinks[side].log;
    if (conn[side]) {
      const Connection* c = ep[side]->Find(*conn[side]);
      out.state[side] = c != nullptr ? c->state() : State::kClosed;
    }
    const EndpointStats& s = ep[side]->stats();
    out.segments_in[side] = s.segments_in.Get();
    out.retransmits[side] = s.retransmits.Get();
    out.predicted += s.predicted_acks.Get() + s.predicted_data.Get();
  }
  out.connected = conn[0].has_value() && conn[1].has_value();
  return out;
}

// The index of the first segment that differs, or -1.
int FirstDifference(const std::vector<std::vector<uint8_t>>& a,
                    const std::vector<std::vector<uint8_t>>& b) {
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i] != b[i]) {
      return static_cast<int>(i);
    }
  }
  return a.size() == b.size() ? -1
                              : static_cast<int>(std::min(a.size(), b.size()));
}

TEST(HeaderPrediction, RandomTracesSendAndDeliverTheSameAsTheGeneralPath) {
  uint64_t predicted = 0;
  uint64_t segments = 0;
  uint64_t retransmits = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    const Outcome fast = RunTrace(seed, true);
    const Outcome slow = RunTrace(seed, false);
    ASSERT_TRUE(fast.connected);
    EXPECT_EQ(slow.predicted, 0u);
    for (int side = 0; side < 2; ++side) {
      SCOPED_TRACE(::testing::Message() << "side " << side);
      ASSERT_EQ(FirstDifference(fast.sent[side], slow.sent[side]), -1)
          << "of " << fast.sent[side].size() << " / " << slow.sent[side].size()
          << " segments";
      EXPECT_EQ(fast.received[side], slow.received[side]);
      EXPECT_EQ(fast.state[side], slow.state[side]);
      EXPECT_EQ(fast.segments_in[side], slow.segments_in[side]);
      EXPECT_EQ(fast.retransmits[side], slow.retransmits[side]);
      segments += fast.sent[side].size();
      retransmits += fast.retransmits[side];
    }
    predicted += fast.predicted;
  }
  // The traces exercise both paths: most segments are predicted, and losses
  // sent the rest through the general path (retransmissions).
  EXPECT_GT(predicted, segments / 4);
  EXPECT_GT(retransmits, 0u);
  RecordProperty("segments", static_cast<int>(segments));
  RecordProperty("predicted", static_cast<int>(predicted));
}

// The fast path is taken for the two segment kinds it predicts, and only
// when enabled: one-segment requests read at once, each acknowledged by a
// delayed pure ACK (whose window alternates as the receiver's edge moves in
// MSS steps).
TEST(HeaderPrediction, InOrderDataAndPureAcksArePredicted) {
  for (bool on : {true, false}) {
    SCOPED_TRACE(on ? "on" : "off");
    EndpointConfig cfg;
    cfg.header_prediction = on;
    Link link(cfg, cfg);
    ListenerHandle l = *link.b().Listen(kAddrB, kPort, ListenOptions{});
    ConnHandle a =
        *link.a().Connect(kAddrA, kAddrB, kPort, ConnOptions{}, link.now());
    link.Run();
    ConnHandle b = *link.b().Accept(l);
    std::vector<uint8_t> request(1448, 'q');
    std::vector<uint8_t> got(1448);
    for (int i = 0; i < 5; ++i) {
      ASSERT_EQ(link.a().Send(a, request, link.now()).bytes, request.size());
      link.Run();
      EXPECT_EQ(link.b().Recv(b, got, link.now()).bytes, got.size());
      link.Advance(Duration::Millis(200));  // B's delayed ACK
    }
    const uint64_t predicted_data = link.b().stats().predicted_data.Get();
    const uint64_t predicted_acks = link.a().stats().predicted_acks.Get();
    if (on) {
      EXPECT_EQ(predicted_data, 5u);
      EXPECT_EQ(predicted_acks, 5u);
    } else {
      EXPECT_EQ(predicted_data, 0u);
      EXPECT_EQ(predicted_acks, 0u);
    }
  }
}

}  // namespace
}  // namespace tern::tcp::testing
