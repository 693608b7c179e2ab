#include "lib/wire/ethernet.h"

#include <vector>

#include "gtest/gtest.h"

namespace tern::wire {
namespace {

EthernetRepr Sample() {
  EthernetRepr e;
  e.dst = MacAddr{{0x02, 0, 0, 0, 0, 0x02}};
  e.src = MacAddr{{0x02, 0, 0, 0, 0, 0x01}};
  e.ethertype = kEtherTypeIpv4;
  return e;
}

TEST(Ethernet, UntaggedRoundTrip) {
  EthernetRepr e = Sample();
  std::vector<uint8_t> buf(e.BufferLen());
  e.Emit(buf);
  EXPECT_EQ(buf, (std::vector<uint8_t>{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08,
                                       0x00}));
  EthernetRepr back;
  size_t header_len = 0;
  ASSERT_EQ(EthernetRepr::Parse(buf, &back, &header_len), WireError::kOk);
  EXPECT_EQ(header_len, kEthHeaderLen);
  EXPECT_EQ(back, e);
}

TEST(Ethernet, VlanTaggedRoundTrip) {
  EthernetRepr e = Sample();
  e.ethertype = kEtherTypeArp;
  e.vlan_tci = 0x2064;  // PCP 1, VID 100
  std::vector<uint8_t> buf(e.BufferLen());
  ASSERT_EQ(buf.size(), 18u);
  e.Emit(buf);
  EXPECT_EQ(buf[12], 0x81);
  EXPECT_EQ(buf[13], 0x00);
  EXPECT_EQ(buf[14], 0x20);
  EXPECT_EQ(buf[15], 0x64);
  EXPECT_EQ(buf[16], 0x08);
  EXPECT_EQ(buf[17], 0x06);
  auto back = EthernetRepr::ParseOrStatus(buf);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, e);
}

TEST(Ethernet, RejectsOtherEthertypes) {
  EthernetRepr e = Sample();
  std::vector<uint8_t> buf(e.BufferLen());
  e.Emit(buf);
  EthernetRepr out;
  size_t len = 0;
  for (uint16_t type : {0x86dd, 0x88a8, 0x0600, 0x05dc}) {
    buf[12] = static_cast<uint8_t>(type >> 8);
    buf[13] = static_cast<uint8_t>(type);
    EXPECT_EQ(EthernetRepr::Parse(buf, &out, &len),
              WireError::kEthUnsupportedType)
        << type;
  }
}

TEST(Ethernet, QinQIsUnsupported) {
  std::vector<uint8_t> buf = {2,    0,    0,    0,    0,    2,    2,
                              0,    0,    0,    0,    1,    0x81, 0x00,
                              0x00, 0x64, 0x81, 0x00, 0x00, 0x01};
  EthernetRepr out;
  size_t len = 0;
  EXPECT_EQ(EthernetRepr::Parse(buf, &out, &len),
            WireError::kEthUnsupportedType);
}

TEST(Ethernet, EveryTruncationIsAnError) {
  EthernetRepr e = Sample();
  e.vlan_tci = 7;
  std::vector<uint8_t> buf(e.BufferLen());
  e.Emit(buf);
  for (size_t n = 0; n < buf.size(); ++n) {
    std::vector<uint8_t> prefix(buf.begin(), buf.begin() + n);
    EthernetRepr out;
    size_t len = 0;
    WireError err = EthernetRepr::Parse(prefix, &out, &len);
    EXPECT_EQ(err, n < kEthHeaderLen ? WireError::kEthTruncated
                                     : WireError::kVlanTruncated)
        << n;
  }
}

}  // namespace
}  // namespace tern::wire
