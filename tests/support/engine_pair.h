// EnginePairTest: the gtest fixture of the dpdk suite's two-engine tests.
// A server engine on port B of a RingWire (tests/support/ring_wire.h) runs
// tern's services (ServiceApp over app::ServiceHost, as tern runs them); a
// client engine on port A runs whatever Application the test gives it. One
// thread polls both in turn (Round: client first) on virtual time, kStep a
// round.
//
// Contract:
// - SetUp of a derived fixture calls CreateWire first, then CreateServer
//   (and Serve per listener) and CreateClient; RecreateServer-style tests
//   may call CreateServer again, which destroys the server first.
// - TearDownPair ends a test: it waits out the connections and TIME-WAIT
//   records of both endpoints (Settle, a non-fatal expectation naming what
//   is left), shuts both engines down, calls `release_client_app` (the
//   client's application is detached or destroyed there, before the
//   engines), destroys the engines, empties the wire and requires both
//   mempools back at the counts CreateWire found: every mbuf freed once.
// - Needs an initialized EAL (tests/support/eal_test_main.h).
#ifndef TERN_TESTS_SUPPORT_ENGINE_PAIR_H_
#define TERN_TESTS_SUPPORT_ENGINE_PAIR_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "app/services/service_host.h"
#include "gtest/gtest.h"
#include "lib/base/time.h"
#include "lib/port/engine.h"
#include "lib/tcp/cookie_secrets.h"
#include "lib/wire/ipv4.h"
#include "tests/support/ring_wire.h"

namespace tern::port::testing {

// RFC 2544 benchmarking range, as the rest of tern's tests.
inline constexpr wire::Ipv4Addr kPairServerIp =
    wire::Ipv4Addr::FromOctets(198, 18, 0, 1);
inline constexpr wire::Ipv4Addr kPairClientIp =
    wire::Ipv4Addr::FromOctets(198, 18, 0, 2);

// Virtual time per poll round: both engines see the same clock.
inline constexpr Duration kPairStep = Duration::Micros(10);
// TIME-WAIT lasts 2 MSL; short, so the tests can wait it out.
inline constexpr Duration kPairMsl = Duration::Millis(50);

// An engine on the pair's /24 with tables of `max_connections` records
// (connections, half-open, TIME-WAIT) and kPairMsl.
EngineOptions PairEngineOptions(wire::Ipv4Addr address, size_t max_connections);

// The server's application: the services, as tern runs them.
class ServiceApp final : public Application {
 public:
  explicit ServiceApp(tcp::Endpoint& ep) : host_(ep) {}
  app::ServiceHost& host() { return host_; }
  void Poll(Instant now) override { host_.Run(now); }

 private:
  app::ServiceHost host_;
};

class EnginePairTest : public ::testing::Test {
 protected:
  static constexpr Duration kStep = kPairStep;
  static constexpr Duration kMsl = kPairMsl;

  void CreateWire();
  void CreateServer(const EngineOptions& options, Steering* steering = nullptr);
  // A listener on kPairServerIp:port served by `service` (app/services'
  // registry) with room for `max_connections`.
  void Serve(uint16_t port, std::string_view service, size_t max_connections);
  void CreateClient(const EngineOptions& options);

  // One loop iteration of each engine, client first.
  void Round();
  bool RunUntil(const std::function<bool()>& done, int max_rounds = 200000);
  // Runs until neither endpoint holds a connection or a TIME-WAIT record
  // (bounded: a few times 2 MSL of virtual time).
  bool Settle();
  void TearDownPair(const std::function<void()>& release_client_app);

  std::unique_ptr<RingWire> wire_;
  unsigned pool_a0_ = 0;
  unsigned pool_b0_ = 0;
  std::unique_ptr<tcp::SynCookieSecretStore> cookies_;
  Instant now_ = Instant::FromNanos(0) + Duration::Seconds(1);
  std::unique_ptr<Engine> server_;
  std::unique_ptr<ServiceApp> server_app_;
  std::unique_ptr<Engine> client_;
};

}  // namespace tern::port::testing

#endif  // TERN_TESTS_SUPPORT_ENGINE_PAIR_H_
