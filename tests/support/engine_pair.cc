#include "tests/support/engine_pair.h"

#include <rte_mempool.h>

#include "app/services/registry.h"

namespace tern::port::testing {

EngineOptions PairEngineOptions(wire::Ipv4Addr address,
                                size_t max_connections) {
  EngineOptions o;
  o.address = address;
  o.prefix_len = 24;
  o.endpoint.max_connections = max_connections;
  o.endpoint.max_half_open = max_connections;
  o.endpoint.max_time_wait = max_connections;
  o.endpoint.msl = kPairMsl;
  return o;
}

void EnginePairTest::CreateWire() {
  absl::StatusOr<std::unique_ptr<RingWire>> w = RingWire::Create();
  ASSERT_TRUE(w.ok()) << w.status();
  wire_ = std::move(*w);
  pool_a0_ = rte_mempool_avail_count(wire_->a().pool());
  pool_b0_ = rte_mempool_avail_count(wire_->b().pool());
  absl::StatusOr<std::unique_ptr<tcp::SynCookieSecretStore>> cookies =
      tcp::SynCookieSecretStore::Create();
  ASSERT_TRUE(cookies.ok()) << cookies.status();
  cookies_ = std::move(*cookies);
}

void EnginePairTest::CreateServer(const EngineOptions& options,
                                  Steering* steering) {
  server_app_.reset();
  server_.reset();
  absl::StatusOr<std::unique_ptr<Engine>> server =
      Engine::Create(options, &wire_->b(), 0, steering, cookies_.get(), now_);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = std::move(*server);
  server_app_ = std::make_unique<ServiceApp>(server_->endpoint());
  server_->set_application(server_app_.get());
}

void EnginePairTest::Serve(uint16_t port, std::string_view service,
                           size_t max_connections) {
  absl::StatusOr<tcp::ListenerHandle> l = server_->endpoint().Listen(
      server_->options().address, port, tcp::ListenOptions{});
  ASSERT_TRUE(l.ok()) << l.status();
  absl::StatusOr<std::unique_ptr<app::Service>> s =
      app::MakeService(service, app::ServiceOptions{}, max_connections);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE(server_app_->host().Register(*l, std::move(*s)).ok());
}

void EnginePairTest::CreateClient(const EngineOptions& options) {
  absl::StatusOr<std::unique_ptr<Engine>> client =
      Engine::Create(options, &wire_->a(), 0, nullptr, cookies_.get(), now_);
  ASSERT_TRUE(client.ok()) << client.status();
  client_ = std::move(*client);
}

void EnginePairTest::Round() {
  now_ = now_ + kStep;
  client_->PollOnce(now_);
  server_->PollOnce(now_);
}

bool EnginePairTest::RunUntil(const std::function<bool()>& done,
                              int max_rounds) {
  for (int i = 0; i < max_rounds; ++i) {
    if (done()) {
      return true;
    }
    Round();
  }
  return done();
}

bool EnginePairTest::Settle() {
  const int rounds = static_cast<int>((kMsl * 8).ToNanos() / kStep.ToNanos());
  return RunUntil(
      [&] {
        return client_->endpoint().connection_count() == 0 &&
               client_->endpoint().time_wait_count() == 0 &&
               server_->endpoint().connection_count() == 0 &&
               server_->endpoint().time_wait_count() == 0;
      },
      rounds);
}

void EnginePairTest::TearDownPair(
    const std::function<void()>& release_client_app) {
  if (client_ != nullptr && server_ != nullptr) {
    EXPECT_TRUE(Settle()) << "connections or TIME-WAIT left: client "
                          << client_->endpoint().connection_count() << "/"
                          << client_->endpoint().time_wait_count()
                          << ", server "
                          << server_->endpoint().connection_count() << "/"
                          << server_->endpoint().time_wait_count();
    client_->Shutdown(now_);
    server_->Shutdown(now_);
  }
  release_client_app();
  server_app_.reset();
  client_.reset();
  server_.reset();
  wire_->a().Flush();
  wire_->b().Flush();
  wire_->FreeInFlight();
  // Every mbuf freed exactly once: the pools are back where they started.
  EXPECT_EQ(rte_mempool_avail_count(wire_->a().pool()), pool_a0_);
  EXPECT_EQ(rte_mempool_avail_count(wire_->b().pool()), pool_b0_);
  wire_.reset();
}

}  // namespace tern::port::testing
