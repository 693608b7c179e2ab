#include "lib/wire/arp.h"

#include <vector>

#include "gtest/gtest.h"

namespace tern::wire {
namespace {

ArpRepr Request() {
  ArpRepr a;
  a.op = ArpOp::kRequest;
  a.sender_mac = MacAddr{{0x02, 0, 0, 0, 0, 0x01}};
  a.sender_ip = Ipv4Addr::FromOctets(10, 0, 0, 1);
  a.target_ip = Ipv4Addr::FromOctets(10, 0, 0, 2);
  return a;
}

TEST(Arp, RequestBytesAndRoundTrip) {
  ArpRepr a = Request();
  std::vector<uint8_t> buf(ArpRepr::BufferLen());
  a.Emit(buf);
  const std::vector<uint8_t> expected = {
      0x00, 0x01, 0x08, 0x00, 6, 4,    0x00, 0x01,  // Ethernet, IPv4, request
      0x02, 0,    0,    0,    0, 0x01, 10,   0,    0, 1,   // sender
      0,    0,    0,    0,    0, 0,    10,   0,    0, 2};  // target
  EXPECT_EQ(buf, expected);
  ArpRepr back;
  ASSERT_EQ(ArpRepr::Parse(buf, &back), WireError::kOk);
  EXPECT_EQ(back, a);
}

TEST(Arp, ReplyRoundTripWithEthernetPadding) {
  ArpRepr a = Request();
  a.op = ArpOp::kReply;
  a.target_mac = MacAddr{{0x02, 0, 0, 0, 0, 0x02}};
  std::vector<uint8_t> buf(46, 0);  // 60-byte frame minus 14 of Ethernet
  a.Emit(buf);
  auto back = ArpRepr::ParseOrStatus(buf);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, a);
}

TEST(Arp, EveryTruncationIsAnError) {
  std::vector<uint8_t> buf(ArpRepr::BufferLen());
  Request().Emit(buf);
  for (size_t n = 0; n < buf.size(); ++n) {
    std::vector<uint8_t> prefix(buf.begin(), buf.begin() + n);
    ArpRepr out;
    EXPECT_EQ(ArpRepr::Parse(prefix, &out), WireError::kArpTruncated) << n;
  }
}

TEST(Arp, RejectsRarpOpcodes) {
  std::vector<uint8_t> buf(ArpRepr::BufferLen());
  Request().Emit(buf);
  ArpRepr out;
  for (uint8_t op : {0, 3, 4, 8, 9}) {
    buf[7] = op;
    EXPECT_EQ(ArpRepr::Parse(buf, &out), WireError::kArpUnsupportedOp) << +op;
  }
}

}  // namespace
}  // namespace tern::wire
