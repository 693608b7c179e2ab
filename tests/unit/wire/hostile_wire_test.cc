// The hostile-input catalogue below the TCP core (issue 15;
// doc/security.md): malformed Ethernet, IPv4 and TCP headers and options,
// each run through the wire layer in the order the port's frame handler runs
// it (Engine::HandleFrame: Ethernet, IPv4, TCP). Each class must be refused
// with its own WireError, which the port counts as
// `parse_drop.<ToString(error)>`, or accepted where the RFC says so. The
// address checks (wire::CheckSource) are the port's `drop.bad_source` and
// `drop.land_source`; tests/dpdk/engine_test.cc shows the engine counting
// them for real frames.
#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <vector>

#include "lib/wire/addr.h"
#include "lib/wire/byte_order.h"
#include "lib/wire/checksum.h"
#include "lib/wire/ethernet.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/tcp_header.h"
#include "lib/wire/wire_error.h"

namespace tern::wire {
namespace {

constexpr Ipv4Addr kSrc = Ipv4Addr::FromOctets(198, 51, 100, 7);
constexpr Ipv4Addr kDst = Ipv4Addr::FromOctets(192, 0, 2, 1);
constexpr size_t kEth = kEthHeaderLen;
constexpr size_t kIp = kIpv4MinHeaderLen;

// A frame: Ethernet, IPv4 (no options) and a TCP SYN with MSS, SACK-perm,
// timestamps and window scale, plus `payload_len` bytes of data.
std::vector<uint8_t> Frame(size_t payload_len = 0) {
  TcpRepr tcp;
  tcp.src_port = 40000;
  tcp.dst_port = 80;
  tcp.seq = SeqNum(1000);
  tcp.flags = tcp_flags::kSyn;
  tcp.window = 65535;
  tcp.options.mss = 1460;
  tcp.options.sack_permitted = true;
  tcp.options.timestamps = TcpTimestamps{1, 0};
  tcp.options.window_scale = 7;
  std::vector<uint8_t> data(payload_len, 'd');
  tcp.payload = data;
  Ipv4Repr ip;
  ip.src = kSrc;
  ip.dst = kDst;
  ip.protocol = kIpProtoTcp;
  ip.payload_len = static_cast<uint16_t>(tcp.BufferLen());
  EthernetRepr eth;
  eth.dst = MacAddr{{2, 0, 0, 0, 0, 1}};
  eth.src = MacAddr{{2, 0, 0, 0, 0, 2}};
  eth.ethertype = kEtherTypeIpv4;
  std::vector<uint8_t> f(kEth + kIp + tcp.BufferLen());
  eth.Emit(f);
  ip.Emit(std::span(f).subspan(kEth));
  tcp.Emit(std::span(f).subspan(kEth + kIp), kSrc, kDst);
  return f;
}

// The IPv4 header checksum recomputed after an edit (so that only the
// defect under test is present).
void FixIpChecksum(std::vector<uint8_t>& f) {
  const size_t ihl = size_t{f[kEth] & 0xfu} * 4;
  StoreBe16(&f[kEth + 10], 0);
  StoreBe16(&f[kEth + 10],
            InternetChecksum(std::span(f).subspan(kEth, std::max(ihl, kIp))));
}

// The TCP checksum recomputed over [tcp_off, end) with the pseudo-header.
void FixTcpChecksum(std::vector<uint8_t>& f, size_t tcp_off) {
  const std::span<uint8_t> seg = std::span(f).subspan(tcp_off);
  StoreBe16(&seg[16], 0);
  const uint32_t pseudo = PseudoHeaderSum(kSrc, kDst, kIpProtoTcp,
                                          static_cast<uint16_t>(seg.size()));
  StoreBe16(&seg[16], ChecksumFinish(ChecksumPartial(seg, pseudo)));
}

// The frame handler's parse chain (Engine::HandleFrame); `tcp` is the
// parsed segment when the result is kOk.
WireError ParseFrame(std::span<const uint8_t> frame, TcpRepr* tcp = nullptr,
                     Ipv4Repr* ip_out = nullptr) {
  EthernetRepr eth;
  size_t eth_len = 0;
  if (WireError e = EthernetRepr::Parse(frame, &eth, &eth_len);
      e != WireError::kOk) {
    return e;
  }
  Ipv4Repr ip;
  std::span<const uint8_t> l4;
  if (WireError e = Ipv4Repr::Parse(frame.subspan(eth_len),
                                    Ipv4Repr::Checksum::kVerify, &ip, &l4);
      e != WireError::kOk) {
    return e;
  }
  if (ip_out != nullptr) {
    *ip_out = ip;
  }
  TcpRepr t;
  WireError e =
      TcpRepr::Parse(l4, ip.src, ip.dst, TcpRepr::Checksum::kVerify, &t);
  if (tcp != nullptr) {
    *tcp = t;
  }
  return e;
}

// Replaces the TCP options of Frame() (20 bytes: MSS, SACK-perm + TS, NOP +
// wscale) by `opts`, padded with EOL to a multiple of four, and fixes the
// data offset, lengths and checksums.
std::vector<uint8_t> WithTcpOptions(std::vector<uint8_t> opts) {
  while (opts.size() % 4 != 0) {
    opts.push_back(0);
  }
  std::vector<uint8_t> f = Frame();
  f.resize(kEth + kIp + kTcpMinHeaderLen);
  f.insert(f.end(), opts.begin(), opts.end());
  f[kEth + kIp + 12] =
      static_cast<uint8_t>(((kTcpMinHeaderLen + opts.size()) / 4) << 4);
  StoreBe16(&f[kEth + 2], static_cast<uint16_t>(f.size() - kEth));
  FixIpChecksum(f);
  FixTcpChecksum(f, kEth + kIp);
  return f;
}

TEST(HostileWire, Hostile_WellFormedFrame_Parser) {
  TcpRepr t;
  ASSERT_EQ(ParseFrame(Frame(), &t), WireError::kOk);
  EXPECT_EQ(t.options.mss, 1460);
}

// ---- checksums (RFC 791 3.1, RFC 9293 3.1 MUST-3)

TEST(HostileWire, Hostile_IpBadChecksum_Parser) {
  std::vector<uint8_t> f = Frame();
  f[kEth + 10] ^= 0x01;
  EXPECT_EQ(ParseFrame(f), WireError::kIpv4BadChecksum);
}

TEST(HostileWire, Hostile_TcpBadChecksum_Parser) {
  std::vector<uint8_t> f = Frame(10);
  f.back() ^= 0x80;
  EXPECT_EQ(ParseFrame(f), WireError::kTcpBadChecksum);
}

// ---- truncation

TEST(HostileWire, Hostile_EthernetTruncated_Parser) {
  const std::vector<uint8_t> f = Frame();
  for (size_t n = 0; n < kEth; ++n) {
    EXPECT_EQ(ParseFrame(std::span(f).first(n)), WireError::kEthTruncated) << n;
  }
}

TEST(HostileWire, Hostile_VlanTagTruncated_Parser) {
  std::vector<uint8_t> f(kEth + 2, 0);
  StoreBe16(&f[12], kEtherTypeVlan);
  EXPECT_EQ(ParseFrame(f), WireError::kVlanTruncated);
}

TEST(HostileWire, Hostile_IpTruncated_Parser) {
  const std::vector<uint8_t> f = Frame();
  for (size_t n = kEth; n < kEth + kIp; ++n) {
    EXPECT_EQ(ParseFrame(std::span(f).first(n)), WireError::kIpv4Truncated)
        << n;
  }
}

TEST(HostileWire, Hostile_TcpTruncated_Parser) {
  // The IP total length says 20 + 19: a TCP header one byte short.
  std::vector<uint8_t> f = Frame();
  f.resize(kEth + kIp + kTcpMinHeaderLen - 1);
  StoreBe16(&f[kEth + 2], kIp + kTcpMinHeaderLen - 1);
  FixIpChecksum(f);
  EXPECT_EQ(ParseFrame(f), WireError::kTcpTruncated);
}

// ---- IPv4 lengths and header fields

TEST(HostileWire, Hostile_IpTotalLengthBeyondFrame_Parser) {
  std::vector<uint8_t> f = Frame();
  StoreBe16(&f[kEth + 2], static_cast<uint16_t>(f.size() - kEth + 1));
  FixIpChecksum(f);
  EXPECT_EQ(ParseFrame(f), WireError::kIpv4BadTotalLength);
}

TEST(HostileWire, Hostile_IpTotalLengthBelowHeader_Parser) {
  std::vector<uint8_t> f = Frame();
  StoreBe16(&f[kEth + 2], kIp - 1);
  FixIpChecksum(f);
  EXPECT_EQ(ParseFrame(f), WireError::kIpv4BadTotalLength);
}

// Shorter than the frame: the bytes past the total length are link padding
// (or garbage) and are not read as TCP; the checksum covers only the
// datagram.
TEST(HostileWire, Hostile_IpTotalLengthShorterThanFrame_Parser) {
  std::vector<uint8_t> f = Frame(4);
  for (int i = 0; i < 30; ++i) {
    f.push_back(0xee);
  }
  TcpRepr t;
  ASSERT_EQ(ParseFrame(f, &t), WireError::kOk);
  EXPECT_EQ(t.payload.size(), 4u);
}

// The total length cuts the TCP payload: the checksum (computed over the
// whole segment) no longer matches.
TEST(HostileWire, Hostile_IpTotalLengthCutsSegment_Parser) {
  std::vector<uint8_t> f = Frame(10);
  StoreBe16(&f[kEth + 2], static_cast<uint16_t>(f.size() - kEth - 5));
  FixIpChecksum(f);
  EXPECT_EQ(ParseFrame(f), WireError::kTcpBadChecksum);
}

TEST(HostileWire, Hostile_IpHeaderLengthBelow5_Parser) {
  for (uint8_t ihl = 0; ihl < 5; ++ihl) {
    std::vector<uint8_t> f = Frame();
    f[kEth] = static_cast<uint8_t>(0x40 | ihl);
    FixIpChecksum(f);
    EXPECT_EQ(ParseFrame(f), WireError::kIpv4BadHeaderLength) << int{ihl};
  }
}

TEST(HostileWire, Hostile_IpHeaderLengthPastPacket_Parser) {
  std::vector<uint8_t> f = Frame();
  f.resize(kEth + kIp + 8);
  StoreBe16(&f[kEth + 2], kIp + 8);
  f[kEth] = 0x4f;  // IHL 15: 60 bytes, past the 28 there are
  EXPECT_EQ(ParseFrame(f), WireError::kIpv4Truncated);
}

TEST(HostileWire, Hostile_IpVersionNot4_Parser) {
  std::vector<uint8_t> f = Frame();
  f[kEth] = 0x65;
  FixIpChecksum(f);
  EXPECT_EQ(ParseFrame(f), WireError::kIpv4BadVersion);
}

// IP options: well-formed ones are skipped (RFC 9293 MUST-50, RFC 1122
// 3.2.1.8); a malformed list is refused.
std::vector<uint8_t> WithIpOptions(std::vector<uint8_t> opts) {
  std::vector<uint8_t> f = Frame();
  f.insert(f.begin() + kEth + kIp, opts.begin(), opts.end());
  f[kEth] = static_cast<uint8_t>(0x40 | ((kIp + opts.size()) / 4));
  StoreBe16(&f[kEth + 2], static_cast<uint16_t>(f.size() - kEth));
  FixIpChecksum(f);
  return f;
}

TEST(HostileWire, Hostile_IpOptions_Parser) {
  // Router alert (RFC 2113), then a loose source route (RFC 791) that tern
  // does not honour, then EOL.
  std::vector<uint8_t> f =
      WithIpOptions({0x94, 4, 0, 0, 0x83, 7, 4, 10, 0, 0, 9, 0});
  TcpRepr t;
  Ipv4Repr ip;
  ASSERT_EQ(ParseFrame(f, &t, &ip), WireError::kOk);
  EXPECT_TRUE(ip.had_options);
  EXPECT_EQ(t.options.mss, 1460);
}

TEST(HostileWire, Hostile_IpOptionsMalformed_Parser) {
  for (const std::vector<uint8_t>& o :
       std::vector<std::vector<uint8_t>>{{0x94, 0, 0, 0},
                                         {0x94, 1, 0, 0},
                                         {0x83, 9, 4, 0},
                                         {1, 1, 1, 0x83}}) {
    EXPECT_EQ(ParseFrame(WithIpOptions(o)), WireError::kIpv4BadOptions);
  }
}

// Fragments: tern does not reassemble (AMNESIA:33 and Ripple20 were
// reassembly bugs); both the first (MF) and a later fragment are refused.
TEST(HostileWire, Hostile_IpFragment_Parser) {
  for (uint16_t frag : {0x2000 /* MF */, 0x0001 /* offset 8 */,
                        0x3fff /* MF, largest offset */}) {
    std::vector<uint8_t> f = Frame();
    StoreBe16(&f[kEth + 6], frag);
    FixIpChecksum(f);
    EXPECT_EQ(ParseFrame(f), WireError::kIpv4Fragment) << frag;
  }
}

// TTL 0: RFC 1122 3.2.1.7, a host "MUST NOT discard a datagram just because
// it was received with TTL less than 2". Accepted.
TEST(HostileWire, Hostile_Ttl0_Parser) {
  std::vector<uint8_t> f = Frame();
  f[kEth + 8] = 0;
  FixIpChecksum(f);
  Ipv4Repr ip;
  ASSERT_EQ(ParseFrame(f, nullptr, &ip), WireError::kOk);
  EXPECT_EQ(ip.ttl, 0);
}

// ---- source addresses (RFC 1122 3.2.1.3; RFC 9293 MUST-63)

TEST(HostileWire, Hostile_SourceZero_Parser) {
  EXPECT_EQ(CheckSource(Ipv4Addr{0}, kDst), SourceCheck::kInvalid);
  EXPECT_EQ(CheckSource(Ipv4Addr::FromOctets(0, 1, 2, 3), kDst),
            SourceCheck::kInvalid);
}

TEST(HostileWire, Hostile_SourceBroadcast_Parser) {
  EXPECT_EQ(CheckSource(Ipv4Addr{0xffffffff}, kDst), SourceCheck::kInvalid);
}

TEST(HostileWire, Hostile_SourceMulticast_Parser) {
  EXPECT_EQ(CheckSource(Ipv4Addr::FromOctets(224, 0, 0, 1), kDst),
            SourceCheck::kInvalid);
  EXPECT_EQ(CheckSource(Ipv4Addr::FromOctets(239, 255, 255, 250), kDst),
            SourceCheck::kInvalid);
  EXPECT_EQ(CheckSource(Ipv4Addr::FromOctets(240, 0, 0, 1), kDst),
            SourceCheck::kInvalid);  // reserved (class E)
}

TEST(HostileWire, Hostile_SourceLoopback_Parser) {
  EXPECT_EQ(CheckSource(Ipv4Addr::FromOctets(127, 0, 0, 1), kDst),
            SourceCheck::kInvalid);
  EXPECT_EQ(CheckSource(Ipv4Addr::FromOctets(127, 255, 0, 9), kDst),
            SourceCheck::kInvalid);
}

TEST(HostileWire, Hostile_SourceEqualsDestination_Parser) {
  EXPECT_EQ(CheckSource(kDst, kDst), SourceCheck::kOwnAddress);
  EXPECT_EQ(CheckSource(kSrc, kDst), SourceCheck::kOk);
  EXPECT_EQ(CheckSource(Ipv4Addr::FromOctets(1, 0, 0, 0), kDst),
            SourceCheck::kOk);
  EXPECT_EQ(CheckSource(Ipv4Addr::FromOctets(223, 255, 255, 255), kDst),
            SourceCheck::kOk);
}

// ---- TCP header

TEST(HostileWire, Hostile_TcpDataOffsetBelow5_Parser) {
  for (uint8_t off = 0; off < 5; ++off) {
    std::vector<uint8_t> f = Frame();
    f[kEth + kIp + 12] = static_cast<uint8_t>(off << 4);
    FixTcpChecksum(f, kEth + kIp);
    EXPECT_EQ(ParseFrame(f), WireError::kTcpBadDataOffset) << int{off};
  }
}

TEST(HostileWire, Hostile_TcpDataOffsetPastSegment_Parser) {
  std::vector<uint8_t> f = Frame();  // 40-byte TCP header, no payload
  f[kEth + kIp + 12] = 0xf0;         // 60
  FixTcpChecksum(f, kEth + kIp);
  EXPECT_EQ(ParseFrame(f), WireError::kTcpDataOffsetPastPacket);
}

// ---- TCP options (RFC 9293 3.1 MUST-7, MUST-68)

TEST(HostileWire, Hostile_TcpOptionLength0_Parser) {
  EXPECT_EQ(ParseFrame(WithTcpOptions({99, 0})),
            WireError::kTcpOptionLengthZeroOrOne);
}

TEST(HostileWire, Hostile_TcpOptionLength1_Parser) {
  EXPECT_EQ(ParseFrame(WithTcpOptions({2, 1, 0, 0})),
            WireError::kTcpOptionLengthZeroOrOne);
}

TEST(HostileWire, Hostile_TcpOptionPastHeader_Parser) {
  EXPECT_EQ(ParseFrame(WithTcpOptions({1, 1, 99, 10, 0, 0, 0, 0})),
            WireError::kTcpOptionPastHeader);
  // A kind byte with no room for its length.
  EXPECT_EQ(ParseFrame(WithTcpOptions({1, 1, 1, 2})),
            WireError::kTcpOptionPastHeader);
}

TEST(HostileWire, Hostile_TcpOptionWrongLength_Parser) {
  for (const std::vector<uint8_t>& o : std::vector<std::vector<uint8_t>>{
           {2, 3, 5},                    // MSS, 3 bytes
           {3, 4, 7, 0},                 // window scale, 4
           {4, 3, 0},                    // SACK-permitted, 3
           {8, 9, 0, 0, 0, 1, 0, 0, 0},  // timestamps, 9
           {5, 9, 0, 0, 0, 1, 0, 0, 0},  // SACK, not 2 + 8n
           {5, 2}}) {                    // SACK, no block
    EXPECT_EQ(ParseFrame(WithTcpOptions(o)), WireError::kTcpOptionBadLength)
        << int{o[0]};
  }
}

// More SACK blocks than fit: a length announcing five.
TEST(HostileWire, Hostile_TcpSackMoreBlocksThanFit_Parser) {
  std::vector<uint8_t> o = {1, 1, 5, 42};
  o.resize(40, 0);
  EXPECT_EQ(ParseFrame(WithTcpOptions(o)), WireError::kTcpTooManySackBlocks);
}

// Duplicate and conflicting options: each is parsed and the last one of a
// kind wins, as in Linux's tcp_parse_options; nothing is read twice or out
// of bounds.
TEST(HostileWire, Hostile_TcpDuplicateOptions_Parser) {
  TcpRepr t;
  ASSERT_EQ(ParseFrame(WithTcpOptions({2, 4, 5, 0xb4, 2, 4, 0, 48}), &t),
            WireError::kOk);
  EXPECT_EQ(t.options.mss, 48);
}

TEST(HostileWire, Hostile_TcpConflictingOptions_Parser) {
  TcpRepr t;
  ASSERT_EQ(
      ParseFrame(WithTcpOptions({3, 3, 2, 3, 3,  14, 8, 10, 0, 0, 0, 5, 0,
                                 0, 0, 0, 8, 10, 0,  0, 0,  9, 0, 0, 0, 0}),
                 &t),
      WireError::kOk);
  EXPECT_EQ(t.options.window_scale, 14);
  ASSERT_TRUE(t.options.timestamps.has_value());
  EXPECT_EQ(t.options.timestamps->tsval, 9u);
}

// Options after EOL are not read (RFC 9293 3.2: EOL ends the list).
TEST(HostileWire, Hostile_TcpOptionsAfterEol_Parser) {
  TcpRepr t;
  ASSERT_EQ(ParseFrame(WithTcpOptions({0, 2, 4, 0, 1}), &t), WireError::kOk);
  EXPECT_FALSE(t.options.mss.has_value());
}

// A Fast Open option (kind 34, RFC 7413) on a SYN with data: tern has no
// Fast Open, the option is skipped by its length and the SYN parses as any
// SYN with data (the core answers the SYN alone: HostileTest
// Hostile_SynWithData_Listen).
TEST(HostileWire, Hostile_SynWithFastOpenOption_Parser) {
  std::vector<uint8_t> f =
      WithTcpOptions({2, 4, 5, 0xb4, 34, 10, 1, 2, 3, 4, 5, 6, 7, 8});
  const std::vector<uint8_t> data = {'G', 'E', 'T'};
  f.insert(f.end(), data.begin(), data.end());
  StoreBe16(&f[kEth + 2], static_cast<uint16_t>(f.size() - kEth));
  FixIpChecksum(f);
  FixTcpChecksum(f, kEth + kIp);
  TcpRepr t;
  ASSERT_EQ(ParseFrame(f, &t), WireError::kOk);
  EXPECT_EQ(t.options.mss, 1460);
  EXPECT_EQ(t.payload.size(), 3u);
}

// An unknown option with the largest length byte: past the header.
TEST(HostileWire, Hostile_TcpUnknownOptionHugeLength_Parser) {
  EXPECT_EQ(ParseFrame(WithTcpOptions({200, 255, 0, 0})),
            WireError::kTcpOptionPastHeader);
}

}  // namespace
}  // namespace tern::wire
