#include "lib/wire/icmp.h"

#include <vector>

#include "gtest/gtest.h"
#include "lib/wire/checksum.h"

namespace tern::wire {
namespace {

TEST(Icmp, EchoRequestKnownAnswer) {
  // Echo request id 1 seq 1 data "abcd"; checksum computed by hand:
  // 0800 + 0000 + 0001 + 0001 + 6162 + 6364 = 0xccc8 -> ~0xccc8 = 0x3337.
  const std::vector<uint8_t> msg = {8, 0, 0x33, 0x37, 0,   1,
                                    0, 1, 'a',  'b',  'c', 'd'};
  IcmpRepr r;
  ASSERT_EQ(IcmpRepr::Parse(msg, &r), WireError::kOk);
  EXPECT_EQ(r.type, IcmpType::kEchoRequest);
  EXPECT_EQ(r.echo_id, 1);
  EXPECT_EQ(r.echo_seq, 1);
  EXPECT_EQ(r.data.size(), 4u);
  EXPECT_EQ(r.data.data(), msg.data() + 8);
  std::vector<uint8_t> out(r.BufferLen());
  r.Emit(out);
  EXPECT_EQ(out, msg);
}

TEST(Icmp, EchoReplyRoundTrip) {
  const std::vector<uint8_t> data = {1, 2, 3, 4, 5, 6, 7};
  IcmpRepr r;
  r.type = IcmpType::kEchoReply;
  r.echo_id = 0x1234;
  r.echo_seq = 0xfedc;
  r.data = data;
  std::vector<uint8_t> out(r.BufferLen());
  r.Emit(out);
  EXPECT_EQ(InternetChecksum(out), 0);
  auto back = IcmpRepr::ParseOrStatus(out);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, r);
}

TEST(Icmp, FragmentationNeededCarriesNextHopMtu) {
  // RFC 1191 section 4: the low 16 bits of the second word are the MTU.
  const std::vector<uint8_t> quoted(28, 0x45);
  IcmpRepr r;
  r.type = IcmpType::kDestinationUnreachable;
  r.code = kIcmpCodeFragmentationNeeded;
  r.next_hop_mtu = 1400;
  r.data = quoted;
  std::vector<uint8_t> out(r.BufferLen());
  r.Emit(out);
  EXPECT_EQ(out[4], 0);
  EXPECT_EQ(out[5], 0);
  EXPECT_EQ(out[6], 0x05);
  EXPECT_EQ(out[7], 0x78);
  IcmpRepr back;
  ASSERT_EQ(IcmpRepr::Parse(out, &back), WireError::kOk);
  EXPECT_EQ(back, r);
}

TEST(Icmp, TimeExceededRoundTrip) {
  const std::vector<uint8_t> quoted(28, 0x11);
  IcmpRepr r;
  r.type = IcmpType::kTimeExceeded;
  r.code = 1;
  r.data = quoted;
  std::vector<uint8_t> out(r.BufferLen());
  r.Emit(out);
  IcmpRepr back;
  ASSERT_EQ(IcmpRepr::Parse(out, &back), WireError::kOk);
  EXPECT_EQ(back, r);
}

TEST(Icmp, ParameterProblemCarriesPointer) {
  const std::vector<uint8_t> quoted(28, 0x22);
  IcmpRepr r;
  r.type = IcmpType::kParameterProblem;
  r.pointer = 9;  // RFC 792: the octet where the error was found
  r.data = quoted;
  std::vector<uint8_t> out(r.BufferLen());
  r.Emit(out);
  EXPECT_EQ(out[0], 12);
  EXPECT_EQ(out[4], 9);
  EXPECT_EQ(out[5], 0);
  IcmpRepr back;
  ASSERT_EQ(IcmpRepr::Parse(out, &back), WireError::kOk);
  EXPECT_EQ(back.pointer, 9);
  EXPECT_EQ(back, r);
}

TEST(Icmp, SourceQuenchIsUnsupported) {
  // RFC 6633 deprecates source quench; the parser does not take it.
  std::vector<uint8_t> msg = {4, 0, 0, 0, 0, 0, 0, 0};
  const uint16_t sum = static_cast<uint16_t>(~(4u << 8) & 0xffff);
  msg[2] = static_cast<uint8_t>(sum >> 8);
  msg[3] = static_cast<uint8_t>(sum);
  IcmpRepr back;
  EXPECT_EQ(IcmpRepr::Parse(msg, &back), WireError::kIcmpUnsupportedType);
}

TEST(Icmp, EchoReplyBuiltInPlaceOverTheRequest) {
  const std::vector<uint8_t> data = {'p', 'i', 'n', 'g', '!'};
  IcmpRepr req;
  req.echo_id = 3;
  req.echo_seq = 4;
  req.data = data;
  std::vector<uint8_t> buf(req.BufferLen());
  req.Emit(buf);
  IcmpRepr reply;
  ASSERT_EQ(IcmpRepr::Parse(buf, &reply), WireError::kOk);
  reply.type = IcmpType::kEchoReply;
  reply.Emit(buf);  // reply.data borrows from buf itself
  IcmpRepr back;
  ASSERT_EQ(IcmpRepr::Parse(buf, &back), WireError::kOk);
  EXPECT_EQ(back.type, IcmpType::kEchoReply);
  EXPECT_EQ(std::vector<uint8_t>(back.data.begin(), back.data.end()), data);
}

TEST(Icmp, EveryTruncationIsAnError) {
  const std::vector<uint8_t> data = {9, 9, 9, 9};
  IcmpRepr r;
  r.data = data;
  std::vector<uint8_t> full(r.BufferLen());
  r.Emit(full);
  for (size_t n = 0; n < full.size(); ++n) {
    std::vector<uint8_t> prefix(full.begin(), full.begin() + n);
    IcmpRepr out;
    EXPECT_NE(IcmpRepr::Parse(prefix, &out), WireError::kOk) << n;
  }
}

}  // namespace
}  // namespace tern::wire
