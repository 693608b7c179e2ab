#include "lib/wire/tcp_frame.h"

#include <optional>
#include <random>
#include <span>
#include <vector>

#include "gtest/gtest.h"
#include "lib/wire/byte_order.h"
#include "lib/wire/checksum.h"
#include "lib/wire/ethernet.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/tcp_header.h"

namespace tern::wire {
namespace {

const Ipv4Addr kClient = Ipv4Addr::FromOctets(198, 18, 0, 7);
const Ipv4Addr kServer = Ipv4Addr::FromOctets(198, 18, 0, 1);

// What the general parsers give, called in turn as the engine calls them:
// Ethernet, IPv4, then TCP when the protocol is TCP. `common` says whether
// the frame has the shape ParseTcpFrame takes: no VLAN tag, no IPv4
// options, TCP.
struct General {
  bool ok = false;
  bool common = false;
  TcpFrameHeaders headers;
  TcpRepr tcp;
};

General ParseGeneral(std::span<const uint8_t> frame, Ipv4Repr::Checksum ip_mode,
                     TcpRepr::Checksum tcp_mode) {
  General g;
  EthernetRepr eth;
  size_t eth_len = 0;
  if (EthernetRepr::Parse(frame, &eth, &eth_len) != WireError::kOk ||
      eth.ethertype != kEtherTypeIpv4) {
    return g;
  }
  Ipv4Repr ip;
  std::span<const uint8_t> l4;
  if (Ipv4Repr::Parse(frame.subspan(eth_len), ip_mode, &ip, &l4) !=
          WireError::kOk ||
      ip.protocol != kIpProtoTcp) {
    return g;
  }
  if (TcpRepr::Parse(l4, ip.src, ip.dst, tcp_mode, &g.tcp) != WireError::kOk) {
    return g;
  }
  g.ok = true;
  g.common = !eth.vlan_tci.has_value() && !ip.had_options;
  g.headers = {eth.dst, eth.src, ip.src, ip.dst};
  return g;
}

// The one-pass parser against the general ones on `frame`, in all four
// checksum modes: it takes the frame exactly when the general parsers do and
// the frame has its shape, and then gives the same fields, with the payload
// at the same bytes. Returns how many of the four it took.
int Check(const std::vector<uint8_t>& frame) {
  int taken = 0;
  for (const auto ip_mode :
       {Ipv4Repr::Checksum::kVerify, Ipv4Repr::Checksum::kTrustNic}) {
    for (const auto tcp_mode :
         {TcpRepr::Checksum::kVerify, TcpRepr::Checksum::kTrustNic}) {
      const General g = ParseGeneral(frame, ip_mode, tcp_mode);
      TcpFrameHeaders h;
      TcpRepr tcp;
      const bool fast = ParseTcpFrame(frame, ip_mode, tcp_mode, &h, &tcp);
      EXPECT_EQ(fast, g.ok && g.common)
          << "frame " << ::testing::PrintToString(frame);
      if (!fast || !g.ok) {
        continue;
      }
      ++taken;
      EXPECT_EQ(h.eth_dst, g.headers.eth_dst);
      EXPECT_EQ(h.eth_src, g.headers.eth_src);
      EXPECT_EQ(h.ip_src, g.headers.ip_src);
      EXPECT_EQ(h.ip_dst, g.headers.ip_dst);
      EXPECT_EQ(tcp, g.tcp) << "frame " << ::testing::PrintToString(frame);
      EXPECT_EQ(tcp.payload.data(), g.tcp.payload.data());
      EXPECT_EQ(tcp.payload.size(), g.tcp.payload.size());
    }
  }
  return taken;
}

// A frame: Ethernet (with a VLAN tag when asked), IPv4, TCP with `t`'s
// options and payload, padded with `pad` bytes after the IPv4 datagram (a
// short frame's padding to 60 bytes, IEEE 802.3 4.4.2).
std::vector<uint8_t> Frame(const TcpRepr& t, std::optional<uint16_t> vlan,
                           size_t pad, bool dont_fragment = true) {
  EthernetRepr eth;
  eth.dst = MacAddr{{0x02, 0, 0, 0, 0, 1}};
  eth.src = MacAddr{{0x02, 0, 0, 0, 0, 7}};
  eth.ethertype = kEtherTypeIpv4;
  eth.vlan_tci = vlan;
  Ipv4Repr ip;
  ip.src = kClient;
  ip.dst = kServer;
  ip.protocol = kIpProtoTcp;
  ip.id = 0x1c46;
  ip.dont_fragment = dont_fragment;
  ip.payload_len = static_cast<uint16_t>(t.BufferLen());
  std::vector<uint8_t> f(eth.HeaderLen() + ip.BufferLen() + pad, 0);
  eth.Emit(f);
  ip.Emit(std::span(f).subspan(eth.HeaderLen()));
  t.Emit(std::span(f).subspan(eth.HeaderLen() + ip.HeaderLen()), kClient,
         kServer);
  return f;
}

std::vector<TcpRepr> Segments() {
  std::vector<TcpRepr> out;
  TcpRepr syn;  // Linux's SYN options (the fast option read)
  syn.src_port = 40000;
  syn.dst_port = 80;
  syn.seq = SeqNum(0x12345678);
  syn.flags = tcp_flags::kSyn;
  syn.window = 64240;
  syn.options.mss = 1460;
  syn.options.sack_permitted = true;
  syn.options.timestamps = TcpTimestamps{1000, 0};
  syn.options.window_scale = 7;
  out.push_back(syn);
  TcpRepr bare = syn;  // no options
  bare.options = TcpOptions{};
  out.push_back(bare);
  TcpRepr mss_only = bare;  // options walked by the general option parser
  mss_only.options.mss = 536;
  out.push_back(mss_only);
  static const std::vector<uint8_t> kPayload = {'G', 'E', 'T', ' ', '/', '\n'};
  TcpRepr data;  // NOP NOP timestamps and SACK blocks, with a payload
  data.src_port = 40000;
  data.dst_port = 80;
  data.seq = SeqNum(0x12345679);
  data.ack = SeqNum(0xabcdef01);
  data.flags = tcp_flags::kAck | tcp_flags::kPsh;
  data.window = 502;
  data.options.timestamps = TcpTimestamps{2000, 77};
  data.options.sack_count = 2;
  data.options.sack[0] = {SeqNum(100), SeqNum(200)};
  data.options.sack[1] = {SeqNum(300), SeqNum(400)};
  data.payload = kPayload;
  out.push_back(data);
  return out;
}

// Valid frames of the common shape, and the shapes it leaves to the general
// parsers (a VLAN tag; no DF bit is still its shape).
TEST(TcpFrame, TakesTheCommonShapeAsTheGeneralParsersDo) {
  for (const TcpRepr& t : Segments()) {
    for (const size_t pad : {size_t{0}, size_t{6}, size_t{20}}) {
      EXPECT_EQ(Check(Frame(t, std::nullopt, pad)), 4);
      EXPECT_EQ(Check(Frame(t, std::nullopt, pad, /*dont_fragment=*/false)), 4);
      EXPECT_EQ(Check(Frame(t, uint16_t{42}, pad)), 0);
    }
  }
}

// An IPv4 header with options (IHL 6, a NOP and three EOLs) goes to the
// general parsers, which take it.
TEST(TcpFrame, LeavesIpv4OptionsToTheGeneralParsers) {
  const std::vector<uint8_t> plain = Frame(Segments()[0], std::nullopt, 0);
  std::vector<uint8_t> f(plain.begin(), plain.begin() + 14 + 20);
  f.insert(f.end(), {1, 0, 0, 0});
  f.insert(f.end(), plain.begin() + 14 + 20, plain.end());
  f[14] = 0x46;
  StoreBe16(&f[16], static_cast<uint16_t>(LoadBe16(&f[16]) + 4));
  StoreBe16(&f[24], 0);
  StoreBe16(&f[24], ChecksumFinish(ChecksumPartial({&f[14], 24}, 0)));
  ASSERT_TRUE(
      ParseGeneral(f, Ipv4Repr::Checksum::kVerify, TcpRepr::Checksum::kVerify)
          .ok);
  EXPECT_EQ(Check(f), 0);
}

// Every truncation and every single-byte change of every header byte (and
// of the payload's first byte) of each frame: the one-pass parser never
// takes what the general parsers refuse or a shape it does not handle, and
// agrees with them on whatever it takes. Values: all 256 for the bytes up to
// the end of the TCP header, which covers every kind, length, flag, offset
// and checksum byte.
TEST(TcpFrame, AgreesWithTheGeneralParsersOnEveryChangeAndTruncation) {
  size_t frames = 0;
  size_t taken = 0;
  for (const TcpRepr& t : Segments()) {
    const std::vector<uint8_t> base = Frame(t, std::nullopt, 6);
    for (size_t len = 0; len < base.size(); ++len) {
      std::vector<uint8_t> cut(base.begin(),
                               base.begin() + static_cast<long>(len));
      taken += static_cast<size_t>(Check(cut));
      ++frames;
    }
    const size_t headers =
        14 + 20 + t.HeaderLen() + (t.payload.empty() ? 0 : 1);
    for (size_t at = 0; at < headers; ++at) {
      for (int v = 0; v < 256; ++v) {
        if (v == base[at]) {
          continue;
        }
        std::vector<uint8_t> changed = base;
        changed[at] = static_cast<uint8_t>(v);
        taken += static_cast<size_t>(Check(changed));
        ++frames;
      }
    }
  }
  // Changes the checksum modes let through, and value bytes, keep the shape:
  // the test reaches the one-pass parser's success as well as its refusals.
  EXPECT_GT(taken, frames / 4);
}

}  // namespace
}  // namespace tern::wire
