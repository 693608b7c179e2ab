// tern-flood's legitimate clients (app/tern-flood/legit_clients.h) on an
// engine over the in-process ring wire (tests/support/ring_wire.h), against
// a server engine running the http service: each connection's handshake,
// request and response, and which connect latencies count as free of a
// stall of the client's loop (LegitClients::NoteStall). One thread polls
// both engines in turn on virtual time (EnginePairTest,
// tests/support/engine_pair.h).
//
// Needs root (EAL); without it the binary exits 77, which meson reports as
// SKIP.
#include "app/tern-flood/legit_clients.h"

#include <memory>

#include "gtest/gtest.h"
#include "lib/port/engine.h"
#include "tests/support/eal_test_main.h"
#include "tests/support/engine_pair.h"

namespace tern::flood {
namespace {

using port::testing::kPairClientIp;
using port::testing::kPairServerIp;

constexpr uint16_t kHttpPort = 80;
constexpr size_t kMaxConnections = 64;

class LegitClientsTest : public port::testing::EnginePairTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(CreateWire());
    ASSERT_NO_FATAL_FAILURE(CreateServer(
        port::testing::PairEngineOptions(kPairServerIp, kMaxConnections)));
    ASSERT_NO_FATAL_FAILURE(Serve(kHttpPort, "http", kMaxConnections));
    ASSERT_NO_FATAL_FAILURE(CreateClient(
        port::testing::PairEngineOptions(kPairClientIp, kMaxConnections)));
    FloodOptions o;
    o.address = kPairClientIp;
    o.target = kPairServerIp;
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
    if (clients_ != nullptr && client_ != nullptr && server_ != nullptr) {
      clients_->StopOpening();
      EXPECT_TRUE(RunUntil([&] { return clients_->Idle(); }));
    }
    TearDownPair([&] {
      if (client_ != nullptr) {
        client_->set_application(nullptr);
      }
      clients_.reset();
    });
  }

  const LegitStats& Step() const { return clients_->current(); }

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
