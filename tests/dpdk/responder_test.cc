// Tests of lib/port/responder.h: ARP and ICMP echo answers and every drop
// reason, on frames built with lib/wire and replies parsed back with it.

#include "lib/port/responder.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "gtest/gtest.h"
#include "lib/wire/arp.h"
#include "lib/wire/checksum.h"
#include "lib/wire/ethernet.h"
#include "lib/wire/icmp.h"
#include "lib/wire/ipv4.h"

namespace tern::app {
using ::tern::port::kEthMinFrameLen;
using ::tern::port::Responder;
namespace {

using port::PortDrop;
using wire::WireError;

const wire::MacAddr kOurMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
const wire::MacAddr kPeerMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
// RFC 2544 benchmarking range, never routed.
constexpr wire::Ipv4Addr kOurIp = wire::Ipv4Addr::FromOctets(198, 18, 0, 1);
constexpr wire::Ipv4Addr kPeerIp = wire::Ipv4Addr::FromOctets(198, 18, 0, 2);

std::vector<uint8_t> EthFrame(const wire::EthernetRepr& eth,
                              std::span<const uint8_t> payload) {
  std::vector<uint8_t> f(eth.HeaderLen() + payload.size());
  eth.Emit(f);
  std::copy(payload.begin(), payload.end(), f.begin() + eth.HeaderLen());
  return f;
}

std::vector<uint8_t> ArpFrame(
    wire::ArpOp op, wire::Ipv4Addr target,
    wire::MacAddr eth_dst = wire::MacAddr::Broadcast(),
    wire::Ipv4Addr sender = kPeerIp) {
  wire::ArpRepr arp{.op = op,
                    .sender_mac = kPeerMac,
                    .sender_ip = sender,
                    .target_mac = {},
                    .target_ip = target};
  std::array<uint8_t, wire::kArpLen> body{};
  arp.Emit(body);
  return EthFrame({.dst = eth_dst,
                   .src = kPeerMac,
                   .ethertype = wire::kEtherTypeArp,
                   .vlan_tci = std::nullopt},
                  body);
}

struct Echo {
  wire::IcmpType type = wire::IcmpType::kEchoRequest;
  wire::Ipv4Addr src = kPeerIp;
  wire::Ipv4Addr dst = kOurIp;
  uint8_t protocol = wire::kIpProtoIcmp;
  wire::MacAddr eth_dst = kOurMac;
  std::optional<uint16_t> vlan;
};

const std::array<uint8_t, 8> kPingData = {'t', 'e', 'r', 'n', 0, 1, 2, 3};

std::vector<uint8_t> EchoFrame(const Echo& e) {
  wire::IcmpRepr icmp{.type = e.type,
                      .code = 0,
                      .echo_id = 0x1234,
                      .echo_seq = 7,
                      .next_hop_mtu = 0,
                      .data = kPingData};
  wire::Ipv4Repr ip;
  ip.src = e.src;
  ip.dst = e.dst;
  ip.protocol = e.protocol;
  ip.payload_len = static_cast<uint16_t>(icmp.BufferLen());
  std::vector<uint8_t> body(ip.BufferLen());
  ip.Emit(body);
  icmp.Emit(std::span<uint8_t>(body).subspan(ip.HeaderLen()));
  return EthFrame({.dst = e.eth_dst,
                   .src = kPeerMac,
                   .ethertype = wire::kEtherTypeIpv4,
                   .vlan_tci = e.vlan},
                  body);
}

class ResponderTest : public ::testing::Test {
 protected:
  size_t Respond(const std::vector<uint8_t>& frame) {
    return responder_.Respond(frame, out_);
  }
  std::span<const uint8_t> Out(size_t len) const {
    return std::span<const uint8_t>(out_).first(len);
  }
  // Exactly one drop, for `reason`, and no reply.
  void ExpectDropped(const std::vector<uint8_t>& frame, PortDrop reason) {
    EXPECT_EQ(Respond(frame), 0u);
    EXPECT_EQ(counters_.drops.Get(reason), 1u) << port::ToString(reason);
    EXPECT_EQ(counters_.TotalDrops(), 1u);
  }
  void ExpectParseDropped(const std::vector<uint8_t>& frame, WireError e) {
    EXPECT_EQ(Respond(frame), 0u);
    EXPECT_EQ(counters_.parse_drops.Get(e), 1u) << wire::ToString(e);
    EXPECT_EQ(counters_.TotalDrops(), 1u);
  }

  port::PortCounters counters_;
  Responder responder_{kOurMac, kOurIp, &counters_};
  std::array<uint8_t, 2048> out_{};
};

TEST_F(ResponderTest, ArpRequestForUs_Replied) {
  const size_t len = Respond(ArpFrame(wire::ArpOp::kRequest, kOurIp));
  ASSERT_EQ(len, kEthMinFrameLen);  // 42 bytes padded
  absl::StatusOr<wire::EthernetRepr> eth =
      wire::EthernetRepr::ParseOrStatus(Out(len));
  ASSERT_TRUE(eth.ok()) << eth.status();
  EXPECT_EQ(eth->dst, kPeerMac);
  EXPECT_EQ(eth->src, kOurMac);
  EXPECT_EQ(eth->ethertype, wire::kEtherTypeArp);
  absl::StatusOr<wire::ArpRepr> arp =
      wire::ArpRepr::ParseOrStatus(Out(len).subspan(wire::kEthHeaderLen));
  ASSERT_TRUE(arp.ok()) << arp.status();
  EXPECT_EQ(arp->op, wire::ArpOp::kReply);
  EXPECT_EQ(arp->sender_mac, kOurMac);
  EXPECT_EQ(arp->sender_ip, kOurIp);
  EXPECT_EQ(arp->target_mac, kPeerMac);
  EXPECT_EQ(arp->target_ip, kPeerIp);
  EXPECT_EQ(counters_.arp_replies.Get(), 1u);
  EXPECT_EQ(counters_.TotalDrops(), 0u);
}

TEST_F(ResponderTest, ArpProbeForUs_RepliedToZeroSender) {
  // RFC 5227 probe: sender IP 0.0.0.0.
  const size_t len =
      Respond(ArpFrame(wire::ArpOp::kRequest, kOurIp,
                       wire::MacAddr::Broadcast(), wire::Ipv4Addr{0}));
  ASSERT_GT(len, 0u);
  absl::StatusOr<wire::ArpRepr> arp =
      wire::ArpRepr::ParseOrStatus(Out(len).subspan(wire::kEthHeaderLen));
  ASSERT_TRUE(arp.ok()) << arp.status();
  EXPECT_EQ(arp->target_ip, wire::Ipv4Addr{0});
  EXPECT_EQ(arp->target_mac, kPeerMac);
}

TEST_F(ResponderTest, ArpRequestForOther_DroppedNotForUsIp) {
  ExpectDropped(ArpFrame(wire::ArpOp::kRequest,
                         wire::Ipv4Addr::FromOctets(198, 18, 0, 9)),
                PortDrop::kNotForUsIp);
}

TEST_F(ResponderTest, ArpReply_DroppedNotRequest) {
  ExpectDropped(ArpFrame(wire::ArpOp::kReply, kOurIp, kOurMac),
                PortDrop::kArpNotRequest);
}

TEST_F(ResponderTest, OtherDestinationMac_DroppedNotForUsMac) {
  ExpectDropped(ArpFrame(wire::ArpOp::kRequest, kOurIp, kPeerMac),
                PortDrop::kNotForUsMac);
}

TEST_F(ResponderTest, EchoRequest_Replied) {
  const size_t len = Respond(EchoFrame({}));
  // 14 + 20 + 8 + 8 = 50 bytes, padded with zeros to the Ethernet minimum.
  ASSERT_EQ(len, kEthMinFrameLen);
  EXPECT_TRUE(std::all_of(out_.begin() + 50, out_.begin() + 60,
                          [](uint8_t b) { return b == 0; }));
  absl::StatusOr<wire::EthernetRepr> eth =
      wire::EthernetRepr::ParseOrStatus(Out(len));
  ASSERT_TRUE(eth.ok()) << eth.status();
  EXPECT_EQ(eth->dst, kPeerMac);
  EXPECT_EQ(eth->src, kOurMac);
  std::span<const uint8_t> ip_payload;
  absl::StatusOr<wire::Ipv4Repr> ip = wire::Ipv4Repr::ParseOrStatus(
      Out(len).subspan(wire::kEthHeaderLen), &ip_payload);
  ASSERT_TRUE(ip.ok()) << ip.status();  // checksum verified
  EXPECT_EQ(ip->src, kOurIp);
  EXPECT_EQ(ip->dst, kPeerIp);
  EXPECT_EQ(ip->protocol, wire::kIpProtoIcmp);
  absl::StatusOr<wire::IcmpRepr> icmp =
      wire::IcmpRepr::ParseOrStatus(ip_payload);  // checksum verified
  ASSERT_TRUE(icmp.ok()) << icmp.status();
  EXPECT_EQ(icmp->type, wire::IcmpType::kEchoReply);
  EXPECT_EQ(icmp->echo_id, 0x1234);
  EXPECT_EQ(icmp->echo_seq, 7);
  EXPECT_TRUE(std::equal(icmp->data.begin(), icmp->data.end(),
                         kPingData.begin(), kPingData.end()));
  EXPECT_EQ(counters_.icmp_echo_replies.Get(), 1u);
  EXPECT_EQ(counters_.TotalDrops(), 0u);
}

TEST_F(ResponderTest, EchoRequestWithVlan_ReplyKeepsTag) {
  const size_t len = Respond(EchoFrame({.vlan = 42}));
  ASSERT_GT(len, 0u);
  absl::StatusOr<wire::EthernetRepr> eth =
      wire::EthernetRepr::ParseOrStatus(Out(len));
  ASSERT_TRUE(eth.ok()) << eth.status();
  EXPECT_EQ(eth->vlan_tci, 42);
}

TEST_F(ResponderTest, EchoToOtherAddress_DroppedNotForUsIp) {
  ExpectDropped(EchoFrame({.dst = kPeerIp}), PortDrop::kNotForUsIp);
}

TEST_F(ResponderTest, EchoFromBroadcastSource_DroppedBadSource) {
  ExpectDropped(EchoFrame({.src = wire::Ipv4Addr{0xffffffff}}),
                PortDrop::kBadSource);
}

// Hostile-input catalogue (doc/security.md): source addresses an echo is
// never answered from (RFC 1122 3.2.1.3, 3.2.2.6).
TEST_F(ResponderTest, Hostile_SourceLoopback_Responder) {
  ExpectDropped(EchoFrame({.src = wire::Ipv4Addr::FromOctets(127, 0, 0, 1)}),
                PortDrop::kBadSource);
}

TEST_F(ResponderTest, Hostile_SourceZero_Responder) {
  ExpectDropped(EchoFrame({.src = wire::Ipv4Addr{0}}), PortDrop::kBadSource);
}

TEST_F(ResponderTest, Hostile_SourceMulticast_Responder) {
  ExpectDropped(EchoFrame({.src = wire::Ipv4Addr::FromOctets(224, 0, 0, 9)}),
                PortDrop::kBadSource);
}

// Defect fixed: an echo from our own address (a "land" packet) was answered
// to ourselves.
TEST_F(ResponderTest, Hostile_SourceEqualsDestination_Responder) {
  ExpectDropped(EchoFrame({.src = kOurIp}), PortDrop::kLandSource);
}

TEST_F(ResponderTest, EchoReply_DroppedNotEchoRequest) {
  ExpectDropped(EchoFrame({.type = wire::IcmpType::kEchoReply}),
                PortDrop::kIcmpNotEchoRequest);
}

TEST_F(ResponderTest, Udp_DroppedUnsupportedProtocol) {
  ExpectDropped(EchoFrame({.protocol = 17}), PortDrop::kUnsupportedIpProtocol);
}

TEST_F(ResponderTest, CorruptIpChecksum_ParseDropped) {
  std::vector<uint8_t> f = EchoFrame({});
  f[wire::kEthHeaderLen + 10] ^= 0xff;
  ExpectParseDropped(f, WireError::kIpv4BadChecksum);
}

TEST_F(ResponderTest, CorruptIcmpChecksum_ParseDropped) {
  std::vector<uint8_t> f = EchoFrame({});
  f.back() ^= 0xff;
  ExpectParseDropped(f, WireError::kIcmpBadChecksum);
}

TEST_F(ResponderTest, Ipv6_ParseDroppedUnsupportedEthertype) {
  std::vector<uint8_t> f = EchoFrame({});
  f[12] = 0x86;  // 0x86dd, IPv6
  f[13] = 0xdd;
  ExpectParseDropped(f, WireError::kEthUnsupportedType);
}

TEST_F(ResponderTest, TruncatedFrame_ParseDropped) {
  ExpectParseDropped(std::vector<uint8_t>(10, 0), WireError::kEthTruncated);
}

TEST_F(ResponderTest, OutTooSmall_DroppedReplyTooLarge) {
  const std::vector<uint8_t> f = EchoFrame({});
  std::array<uint8_t, 40> small{};
  EXPECT_EQ(responder_.Respond(f, small), 0u);
  EXPECT_EQ(counters_.drops.Get(PortDrop::kReplyTooLarge), 1u);
}

}  // namespace
}  // namespace tern::app
