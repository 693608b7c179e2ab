// One crafted packet per WireError reason, and the reason names.
#include "lib/wire/wire_error.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/wire/arp.h"
#include "lib/wire/byte_order.h"
#include "lib/wire/checksum.h"
#include "lib/wire/ethernet.h"
#include "lib/wire/icmp.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/tcp_header.h"
#include "tests/unit/wire/test_packets.h"

namespace tern::wire {
namespace {

using Bytes = std::vector<uint8_t>;
using testing::kSynDst;
using testing::kSynSrc;

WireError Eth(const Bytes& b) {
  EthernetRepr e;
  size_t len = 0;
  return EthernetRepr::Parse(b, &e, &len);
}
WireError Arp(const Bytes& b) {
  ArpRepr a;
  return ArpRepr::Parse(b, &a);
}
WireError Ip(const Bytes& b) {
  Ipv4Repr ip;
  std::span<const uint8_t> payload;
  return Ipv4Repr::Parse(b, Ipv4Repr::Checksum::kVerify, &ip, &payload);
}
WireError Icmp(const Bytes& b) {
  IcmpRepr r;
  return IcmpRepr::Parse(b, &r);
}
WireError Tcp(const Bytes& b) {
  TcpRepr t;
  return TcpRepr::Parse(b, kSynSrc, kSynDst, TcpRepr::Checksum::kVerify, &t);
}

Bytes ArpPacket() {
  ArpRepr a;
  Bytes b(kArpLen);
  a.Emit(b);
  return b;
}
Bytes ArpWith(size_t at, uint8_t v) {
  Bytes b = ArpPacket();
  b[at] = v;
  return b;
}
Bytes IpPacket() {
  return Bytes(testing::kScapySyn.begin(), testing::kScapySyn.end());
}
// Edits one header byte and fixes the checksum so only the edit is wrong.
Bytes IpWith(size_t at, uint8_t v) {
  Bytes b = IpPacket();
  b[at] = v;
  size_t ihl = std::min<size_t>(size_t{b[0] & 0xfu} * 4, b.size());
  StoreBe16(&b[10], 0);
  StoreBe16(&b[10], InternetChecksum(std::span(b).first(ihl)));
  return b;
}
Bytes IcmpEcho() {
  IcmpRepr r;
  Bytes b(r.BufferLen());
  r.Emit(b);
  return b;
}
Bytes TcpSegment() {
  return Bytes(testing::kScapySyn.begin() + testing::kScapySynIpLen,
               testing::kScapySyn.end());
}
Bytes TcpOptions(const Bytes& opts) {
  Bytes seg(kTcpMinHeaderLen + opts.size(), 0);
  seg[12] = static_cast<uint8_t>(((kTcpMinHeaderLen + opts.size()) / 4) << 4);
  std::copy(opts.begin(), opts.end(), seg.begin() + kTcpMinHeaderLen);
  uint32_t sum = PseudoHeaderSum(kSynSrc, kSynDst, kIpProtoTcp,
                                 static_cast<uint16_t>(seg.size()));
  StoreBe16(&seg[16], ChecksumFinish(ChecksumPartial(seg, sum)));
  return seg;
}

TEST(WireError, EveryReasonHasACraftedPacket) {
  const Bytes eth_ok = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
  const Bytes vlan_short = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x81, 0x00, 0};
  const Bytes ipv6 = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd};
  Bytes ip_bad_sum = IpPacket();
  ip_bad_sum[15] ^= 0x01;  // source address changed, checksum not
  Bytes icmp_bad_sum = IcmpEcho();
  icmp_bad_sum[7] ^= 0x01;
  Bytes icmp_type = IcmpEcho();
  icmp_type[0] = 13;  // timestamp request: not handled
  StoreBe16(&icmp_type[2], 0);
  StoreBe16(&icmp_type[2], InternetChecksum(icmp_type));
  Bytes tcp_bad_doff = TcpSegment();
  tcp_bad_doff[12] = 0x40;
  Bytes tcp_doff_past = TcpSegment();
  tcp_doff_past[12] = 0xf0;
  Bytes tcp_bad_sum = TcpSegment();
  tcp_bad_sum[4] ^= 0x80;

  const std::map<WireError, std::function<WireError()>> cases = {
      {WireError::kOk, [&] { return Eth(eth_ok); }},
      {WireError::kEthTruncated, [&] { return Eth(Bytes(13)); }},
      {WireError::kVlanTruncated, [&] { return Eth(vlan_short); }},
      {WireError::kEthUnsupportedType, [&] { return Eth(ipv6); }},
      {WireError::kArpTruncated, [&] { return Arp(Bytes(27)); }},
      {WireError::kArpUnsupportedHardware, [&] { return Arp(ArpWith(1, 6)); }},
      {WireError::kArpUnsupportedProtocol,
       [&] { return Arp(ArpWith(2, 0x86)); }},
      {WireError::kArpBadAddressLength, [&] { return Arp(ArpWith(5, 16)); }},
      {WireError::kArpUnsupportedOp, [&] { return Arp(ArpWith(7, 3)); }},
      {WireError::kIpv4Truncated, [&] { return Ip(Bytes(19, 0x45)); }},
      {WireError::kIpv4BadVersion, [&] { return Ip(IpWith(0, 0x65)); }},
      {WireError::kIpv4BadHeaderLength, [&] { return Ip(IpWith(0, 0x44)); }},
      {WireError::kIpv4BadTotalLength, [&] { return Ip(IpWith(3, 61)); }},
      {WireError::kIpv4BadChecksum, [&] { return Ip(ip_bad_sum); }},
      {WireError::kIpv4Fragment, [&] { return Ip(IpWith(6, 0x20)); }},
      {WireError::kIpv4BadOptions,
       [&] {
         // IHL 6 with the first payload word read as option 0x9c, length 0x40.
         return Ip(IpWith(0, 0x46));
       }},
      {WireError::kIcmpTruncated, [&] { return Icmp(Bytes(7)); }},
      {WireError::kIcmpBadChecksum, [&] { return Icmp(icmp_bad_sum); }},
      {WireError::kIcmpUnsupportedType, [&] { return Icmp(icmp_type); }},
      {WireError::kTcpTruncated, [&] { return Tcp(Bytes(19)); }},
      {WireError::kTcpBadDataOffset, [&] { return Tcp(tcp_bad_doff); }},
      {WireError::kTcpDataOffsetPastPacket, [&] { return Tcp(tcp_doff_past); }},
      {WireError::kTcpBadChecksum, [&] { return Tcp(tcp_bad_sum); }},
      {WireError::kTcpOptionLengthZeroOrOne,
       [&] {
         return Tcp(TcpOptions({8, 1, 0, 0}));
       }},
      {WireError::kTcpOptionPastHeader,
       [&] {
         return Tcp(TcpOptions({1, 1, 1, 8}));
       }},
      {WireError::kTcpOptionBadLength,
       [&] {
         return Tcp(TcpOptions({2, 6, 0, 0, 0, 0, 0, 0}));
       }},
      {WireError::kTcpTooManySackBlocks,
       [&] {
         return Tcp(TcpOptions({5, 42, 0, 0}));
       }},
  };
  for (size_t i = 0; i < static_cast<size_t>(WireError::kCount); ++i) {
    WireError want = static_cast<WireError>(i);
    auto it = cases.find(want);
    ASSERT_NE(it, cases.end()) << "no crafted packet for " << ToString(want);
    EXPECT_EQ(ToString(it->second()), std::string(ToString(want)));
  }
}

TEST(WireError, NamesAreUniqueSnakeCase) {
  std::set<std::string> seen;
  for (size_t i = 0; i < static_cast<size_t>(WireError::kCount); ++i) {
    std::string name = ToString(static_cast<WireError>(i));
    EXPECT_TRUE(seen.insert(name).second) << name;
    for (char c : name) {
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')
          << name;
    }
  }
  EXPECT_EQ(std::string(ToString(WireError::kTcpBadChecksum)),
            "tcp_bad_checksum");
}

TEST(WireError, ToStatus) {
  EXPECT_TRUE(ToStatus(WireError::kOk).ok());
  absl::Status s = ToStatus(WireError::kIpv4Fragment);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "ipv4_fragment");
}

}  // namespace
}  // namespace tern::wire
