#include "lib/wire/addr.h"

#include "gtest/gtest.h"

namespace tern::wire {
namespace {

TEST(Ipv4Addr, RoundTripsText) {
  auto a = Ipv4Addr::FromString("192.168.1.254");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(*a, Ipv4Addr::FromOctets(192, 168, 1, 254));
  EXPECT_EQ(a->ToString(), "192.168.1.254");
  EXPECT_EQ(Ipv4Addr{0}.ToString(), "0.0.0.0");
  EXPECT_EQ(Ipv4Addr{0xffffffff}.ToString(), "255.255.255.255");
}

TEST(Ipv4Addr, RejectsMalformedText) {
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.4 ", " 1.2.3.4",
        "a.b.c.d", "1.2.3.-4", "1.2.3.0004", "1.2.3.4.", ".1.2.3"}) {
    EXPECT_FALSE(Ipv4Addr::FromString(bad).has_value()) << bad;
  }
}

TEST(MacAddr, RoundTripsText) {
  auto m = MacAddr::FromString("02:AB:cd:00:ff:10");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(*m, (MacAddr{{0x02, 0xab, 0xcd, 0x00, 0xff, 0x10}}));
  EXPECT_EQ(m->ToString(), "02:ab:cd:00:ff:10");
  EXPECT_FALSE(m->IsMulticast());
  EXPECT_TRUE(MacAddr::Broadcast().IsBroadcast());
  EXPECT_TRUE(MacAddr::Broadcast().IsMulticast());
}

TEST(MacAddr, RejectsMalformedText) {
  for (const char* bad :
       {"", "02:ab:cd:00:ff", "02:ab:cd:00:ff:1", "02-ab-cd-00-ff-10",
        "02:ab:cd:00:ff:1g", "02:ab:cd:00:ff:10:"}) {
    EXPECT_FALSE(MacAddr::FromString(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace tern::wire
