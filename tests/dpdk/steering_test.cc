// FlowOwner: the software steering function (lib/port/steering.h). Pure, so
// tested without EAL.
#include "lib/port/steering.h"

#include <array>

#include "gtest/gtest.h"

namespace tern::port {
namespace {

const wire::Ipv4Addr kA = wire::Ipv4Addr::FromOctets(198, 18, 0, 1);
const wire::Ipv4Addr kB = wire::Ipv4Addr::FromOctets(198, 18, 0, 2);

TEST(FlowOwner, SymmetricInBothEnds) {
  for (uint16_t engines : {2, 3, 4, 8}) {
    for (uint16_t port = 1000; port < 3000; ++port) {
      EXPECT_EQ(FlowOwner(kA, 80, kB, port, engines),
                FlowOwner(kB, port, kA, 80, engines));
    }
  }
}

TEST(FlowOwner, OneEngine_AlwaysZero) {
  EXPECT_EQ(FlowOwner(kA, 80, kB, 1234, 1), 0);
  EXPECT_EQ(FlowOwner(kA, 80, kB, 1234, 0), 0);
}

TEST(FlowOwner, SpreadsEphemeralPortsEvenly) {
  // Clients from one address to one server port differ only in the source
  // port: every engine must get a fair share (within 10 % of even).
  for (uint16_t engines : {2, 4, 6}) {
    std::array<int, 8> count{};
    const int ports = 28232;  // Linux's ip_local_port_range, 32768-60999
    for (int p = 32768; p < 32768 + ports; ++p) {
      const uint16_t o =
          FlowOwner(kB, static_cast<uint16_t>(p), kA, 80, engines);
      ASSERT_LT(o, engines);
      ++count[o];
    }
    for (uint16_t e = 0; e < engines; ++e) {
      EXPECT_NEAR(count[e], ports / engines, ports / engines / 10)
          << "engine " << e << " of " << engines;
    }
  }
}

}  // namespace
}  // namespace tern::port
