// tern-flood's legitimate clients (app/tern-flood/legit_clients.h) on an
// engine over the in-process ring wire (tests/support/ring_wire.h), against
// a server engine running the http service: each connection's handshake,
// request and response, and which connect latencies count as free of a
// stall of the client's loop (LegitClients::NoteStall). One thread polls
// both engines in turn on virtual time.
//
// Needs root (EAL); without it the binary exits 77, which meson reports as
// SKIP.
#include "app/tern-flood/legit_clients.h"

#include <rte_mempool.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/services/registry.h"
#include "app/services/service_host.h"
#include "gtest/gtest.h"
#include "lib/port/engine.h"
#include "tests/support/eal_test_main.h"
#include "tests/support/ring_wire.h"

namespace tern::flood {
namespace {

using port::testing::RingWire;

// RFC 2544 benchmarking range, as the rest of tern's tests.
constexpr wire::Ipv4Addr kServerIp = wire::Ipv4Addr::FromOctets(198, 18, 0, 1);
constexpr wire::Ipv4Addr kClientIp = wire::Ipv4Addr::FromOctets(198, 18, 0, 2);
constexpr uint16_t kHttpPort = 80;
constexpr size_t kMaxConnections = 64;
constexpr Duration kStep = Duration::Micros(10);  // virtual time per round
constexpr Duration kMsl = Duration::Millis(50);   // short TIME-WAIT

port::EngineOptions Options(wire::Ipv4Addr address) {
  port::EngineOptions o;
  o.address = address;
  o.prefix_len = 24;
  o.endpoint.max_connections = kMaxConnections;
  o.endpoint.max_half_open = kMaxConnections;
  o.endpoint.max_time_wait = kMaxConnections;
  o.endpoint.msl = kMsl;
  return o;
}

class ServerApp final : public port::Application {
 public:
  explicit ServerApp(tcp::Endpoint& ep) : host_(ep) {}
  app::ServiceHost& host() { return host_; }
  void Poll(Instant now) override { host_.Run(now); }

 private:
  app::ServiceHost host_;
};

class LegitClientsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RingWire>> w = RingWire::Create();
    ASSERT_TRUE(w.ok()) << w.status();
    wire_ = std::move(*w);
    pool_a0_ = rte_mempool_avail_count(wire_->a().pool());
    pool_b0_ = rte_mempool_avail_count(wire_->b().pool());
    absl::StatusOr<std::unique_ptr<tcp::SynCookieSecretStore>> cookies =
        tcp::SynCookieSecretStore::Create();
    ASSERT_TRUE(cookies.ok()) << cookies.status();
    cookies_ = std::move(*cookies);

    absl::StatusOr<std::unique_ptr<port::Engine>> server = port::Engine::Create(
        Options(kServerIp), &wire_->b(), 0, nullptr, cookies_.get(), now_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    server_app_ = std::make_unique<ServerApp>(server_->endpoint());
    server_->set_application(server_app_.get());
    absl::StatusOr<tcp::ListenerHandle> l =
        server_->endpoint().Listen(kServerIp, kHttpPort, tcp::ListenOptions{});
    ASSERT_TRUE(l.ok()) << l.status();
    absl::StatusOr<std::unique_ptr<app::Service>> s =
        app::MakeService("http", app::ServiceOptions{}, kMaxConnections);
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_TRUE(server_app_->host().Register(*l, std::move(*s)).ok());

    absl::StatusOr<std::unique_ptr<port::Engine>> client = port::Engine::Create(
        Options(kClientIp), &wire_->a(), 0, nullptr, cookies_.get(), now_);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
    FloodOptions o;
    o.address = kClientIp;
    o.target = kServerIp;
    o.target_port = kHttpPort;
    o.legit_rate = 1000;  // one connection per 100 rounds
    o.max_connections = kMaxConnections;
    clients_ = std::make_unique<LegitClients>(client_.get(), o);
    client_->set_application(clients_.get());
  }

  void TearDown() override {
    if (wire_ == nullptr) {
      return;
    }
    if (clients_ != nullptr) {
      clients_->StopOpening();
      EXPECT_TRUE(RunUntil([&] { return clients_->Idle(); }));
      // TIME-WAIT on the closing side, bounded: a few times 2 MSL.
      const int rounds =
          static_cast<int>((kMsl * 8).ToNanos() / kStep.ToNanos());
      EXPECT_TRUE(RunUntil(
          [&] {
            return client_->endpoint().connection_count() == 0 &&
                   client_->endpoint().time_wait_count() == 0 &&
                   server_->endpoint().connection_count() == 0 &&
                   server_->endpoint().time_wait_count() == 0;
          },
          rounds));
      client_->set_application(nullptr);
      client_->Shutdown(now_);
      server_->Shutdown(now_);
    }
    clients_.reset();
    server_app_.reset();
    client_.reset();
    server_.reset();
    wire_->a().Flush();
    wire_->b().Flush();
    wire_->FreeInFlight();
    EXPECT_EQ(rte_mempool_avail_count(wire_->a().pool()), pool_a0_);
    EXPECT_EQ(rte_mempool_avail_count(wire_->b().pool()), pool_b0_);
    wire_.reset();
  }

  void Round() {
    now_ = now_ + kStep;
    client_->PollOnce(now_);
    server_->PollOnce(now_);
  }
  bool RunUntil(const std::function<bool()>& done, int max_rounds = 200000) {
    for (int i = 0; i < max_rounds; ++i) {
      if (done()) {
        return true;
      }
      Round();
    }
    return done();
  }
  const LegitStats& Step() const { return clients_->current(); }

  std::unique_ptr<RingWire> wire_;
  unsigned pool_a0_ = 0;
  unsigned pool_b0_ = 0;
  std::unique_ptr<tcp::SynCookieSecretStore> cookies_;
  Instant now_ = Instant::FromNanos(0) + Duration::Seconds(1);
  std::unique_ptr<port::Engine> server_;
  std::unique_ptr<ServerApp> server_app_;
  std::unique_ptr<port::Engine> client_;
  std::unique_ptr<LegitClients> clients_;
};

// Without a stall every connection's connect latency counts in both
// histograms, and each connection completes its request.
TEST_F(LegitClientsTest, NoStall_EveryConnectLatencyInBoth) {
  ASSERT_TRUE(RunUntil([&] { return Step().connect_ns.count() >= 3; }));
  clients_->StopOpening();
  ASSERT_TRUE(RunUntil([&] { return clients_->Idle(); }));
  EXPECT_EQ(Step().attempted, Step().succeeded);
  EXPECT_GE(Step().succeeded, 3u);
  EXPECT_EQ(Step().connect_no_stall_ns.count(), Step().connect_ns.count());
  EXPECT_EQ(Step().connect_no_stall_ns.max(), Step().connect_ns.max());
}

// A stall noted between a connection's Connect and its SYN-ACK takes that
// connection out of connect_no_stall_ns; a connection opened after the
// stall, and a stall after a connection connected, change nothing.
TEST_F(LegitClientsTest, StallDuringHandshake_ThatConnectionOnlyInAll) {
  // The first connection is opened (its SYN waits for ARP, then the
  // server's SYN-ACK needs the server's poll): the stall falls inside its
  // handshake.
  ASSERT_TRUE(RunUntil([&] { return !clients_->Idle(); }));
  ASSERT_EQ(Step().attempted, 1u);
  ASSERT_EQ(Step().connect_ns.count(), 0u);
  clients_->NoteStall();
  ASSERT_TRUE(RunUntil([&] { return Step().connect_ns.count() == 1; }));
  EXPECT_EQ(Step().connect_no_stall_ns.count(), 0u);

  // The next ones start after the stall.
  ASSERT_TRUE(RunUntil([&] { return Step().connect_ns.count() == 3; }));
  EXPECT_EQ(Step().connect_no_stall_ns.count(), 2u);
  clients_->NoteStall();  // after they connected: nothing moves
  clients_->StopOpening();
  ASSERT_TRUE(RunUntil([&] { return clients_->Idle(); }));
  EXPECT_EQ(Step().connect_ns.count(), Step().attempted);
  EXPECT_EQ(Step().connect_no_stall_ns.count(), Step().attempted - 1);
  EXPECT_EQ(Step().succeeded, Step().attempted);
}

}  // namespace
}  // namespace tern::flood

int main(int argc, char** argv) {
  return tern::port::testing::RunTestsInEal(argc, argv, "legit_clients_test",
                                            256);
}
