#include "lib/wire/ipv4.h"

#include <algorithm>
#include <vector>

#include "gtest/gtest.h"
#include "lib/wire/byte_order.h"
#include "lib/wire/checksum.h"
#include "lib/wire/tcp_header.h"
#include "tests/unit/wire/test_packets.h"

namespace tern::wire {
namespace {

using testing::kScapySyn;
using testing::kScapySynIpLen;

std::vector<uint8_t> ScapySyn() {
  return std::vector<uint8_t>(kScapySyn.begin(), kScapySyn.end());
}

// Rewrites the header checksum after a test edits a field.
void Refresh(std::vector<uint8_t>& p) {
  size_t ihl = size_t{p[0] & 0xfu} * 4;
  StoreBe16(&p[10], 0);
  StoreBe16(&p[10], InternetChecksum(std::span(p).first(ihl)));
}

TEST(Ipv4, ParsesScapyHeader) {
  std::vector<uint8_t> p = ScapySyn();
  Ipv4Repr ip;
  std::span<const uint8_t> payload;
  ASSERT_EQ(Ipv4Repr::Parse(p, Ipv4Repr::Checksum::kVerify, &ip, &payload),
            WireError::kOk);
  EXPECT_EQ(ip.src, testing::kSynSrc);
  EXPECT_EQ(ip.dst, testing::kSynDst);
  EXPECT_EQ(ip.protocol, kIpProtoTcp);
  EXPECT_EQ(ip.ttl, 64);
  EXPECT_EQ(ip.id, 0x1c46);
  EXPECT_TRUE(ip.dont_fragment);
  EXPECT_FALSE(ip.had_options);
  EXPECT_EQ(ip.payload_len, 40);
  EXPECT_EQ(payload.data(), p.data() + kScapySynIpLen);
  EXPECT_EQ(payload.size(), 40u);
}

TEST(Ipv4, EmitReproducesScapyHeaderAndChecksum) {
  Ipv4Repr ip;
  ip.src = testing::kSynSrc;
  ip.dst = testing::kSynDst;
  ip.protocol = kIpProtoTcp;
  ip.id = 0x1c46;
  ip.payload_len = 40;
  std::vector<uint8_t> out(Ipv4Repr::HeaderLen());
  ip.Emit(out);
  EXPECT_EQ(out, std::vector<uint8_t>(kScapySyn.begin(),
                                      kScapySyn.begin() + kScapySynIpLen));
}

TEST(Ipv4, ChecksumOffloadLeavesFieldZero) {
  Ipv4Repr ip;
  ip.payload_len = 8;
  std::vector<uint8_t> out(Ipv4Repr::HeaderLen(), 0xee);
  ip.Emit(out, /*checksum_offload=*/true);
  EXPECT_EQ(LoadBe16(&out[10]), 0);
}

TEST(Ipv4, RoundTripEveryField) {
  Ipv4Repr ip;
  ip.src = Ipv4Addr::FromOctets(1, 2, 3, 4);
  ip.dst = Ipv4Addr::FromOctets(5, 6, 7, 8);
  ip.protocol = kIpProtoIcmp;
  ip.ttl = 1;
  ip.dscp = 46;  // EF
  ip.ecn = 2;    // ECT(0)
  ip.id = 0xbeef;
  ip.dont_fragment = false;
  ip.payload_len = 3;
  std::vector<uint8_t> buf(ip.BufferLen(), 0);
  ip.Emit(buf);
  auto back = Ipv4Repr::ParseOrStatus(buf);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, ip);
}

TEST(Ipv4, EthernetPaddingIsTrimmedByTotalLength) {
  // A bare SYN-less 40-byte datagram padded to fill a 60-byte frame.
  Ipv4Repr ip;
  ip.protocol = kIpProtoTcp;
  ip.payload_len = 20;
  std::vector<uint8_t> buf(46, 0xaa);
  ip.Emit(buf);
  Ipv4Repr back;
  std::span<const uint8_t> payload;
  ASSERT_EQ(Ipv4Repr::Parse(buf, Ipv4Repr::Checksum::kVerify, &back, &payload),
            WireError::kOk);
  EXPECT_EQ(payload.size(), 20u);
  EXPECT_EQ(back.payload_len, 20);
}

TEST(Ipv4, OptionsAreSkippedAndNoted) {
  // IHL 7: router alert (RFC 2113, 94 04 00 00), NOP, NOP, NOP, EOL.
  std::vector<uint8_t> p = {0x47, 0,  0, 32, 0, 0,  0x40, 0,    64,   6,    0,
                            0,    10, 0, 0,  1, 10, 0,    0,    2,    0x94, 4,
                            0,    0,  1, 1,  1, 0,  0xde, 0xad, 0xbe, 0xef};
  Refresh(p);
  Ipv4Repr ip;
  std::span<const uint8_t> payload;
  ASSERT_EQ(Ipv4Repr::Parse(p, Ipv4Repr::Checksum::kVerify, &ip, &payload),
            WireError::kOk);
  EXPECT_TRUE(ip.had_options);
  ASSERT_EQ(payload.size(), 4u);
  EXPECT_EQ(payload[0], 0xde);
}

TEST(Ipv4, MalformedOptionsAreRejected) {
  // Each body is the 4 option bytes of an IHL 6 header.
  const std::vector<std::vector<uint8_t>> bad = {
      {0x94, 0, 0, 0},  // length 0
      {0x94, 1, 0, 0},  // length 1
      {0x94, 5, 0, 0},  // runs past the header
      {1, 1, 1, 0x94},  // length byte missing
  };
  for (const auto& opts : bad) {
    std::vector<uint8_t> p = {0x46, 0, 0,  24, 0, 0, 0,  0, 64, 6,
                              0,    0, 10, 0,  0, 1, 10, 0, 0,  2};
    p.insert(p.end(), opts.begin(), opts.end());
    Refresh(p);
    Ipv4Repr ip;
    std::span<const uint8_t> payload;
    EXPECT_EQ(Ipv4Repr::Parse(p, Ipv4Repr::Checksum::kVerify, &ip, &payload),
              WireError::kIpv4BadOptions);
  }
}

TEST(Ipv4, FragmentsAreReported) {
  for (uint16_t frag : {0x2000 /* MF */, 0x0001 /* offset 8 */,
                        0x3fff /* MF and max offset */}) {
    std::vector<uint8_t> p = ScapySyn();
    StoreBe16(&p[6], frag);
    Refresh(p);
    Ipv4Repr ip;
    std::span<const uint8_t> payload;
    EXPECT_EQ(Ipv4Repr::Parse(p, Ipv4Repr::Checksum::kVerify, &ip, &payload),
              WireError::kIpv4Fragment)
        << frag;
  }
}

TEST(Ipv4, TrustNicSkipsChecksum) {
  std::vector<uint8_t> p = ScapySyn();
  p[11] ^= 1;
  Ipv4Repr ip;
  std::span<const uint8_t> payload;
  EXPECT_EQ(Ipv4Repr::Parse(p, Ipv4Repr::Checksum::kVerify, &ip, &payload),
            WireError::kIpv4BadChecksum);
  EXPECT_EQ(Ipv4Repr::Parse(p, Ipv4Repr::Checksum::kTrustNic, &ip, &payload),
            WireError::kOk);
}

TEST(Ipv4, EveryTruncationIsAnError) {
  std::vector<uint8_t> full = ScapySyn();
  for (size_t n = 0; n < full.size(); ++n) {
    // A fresh allocation of exactly n bytes so ASan sees any overread.
    std::vector<uint8_t> prefix(full.begin(), full.begin() + n);
    Ipv4Repr ip;
    std::span<const uint8_t> payload;
    EXPECT_NE(
        Ipv4Repr::Parse(prefix, Ipv4Repr::Checksum::kVerify, &ip, &payload),
        WireError::kOk)
        << n;
  }
}

}  // namespace
}  // namespace tern::wire

namespace tern::wire {
namespace {

// Emit sums the header from its fields; whatever the fields, the header it
// writes must verify (RFC 1071: the sum over the header, checksum included,
// is 0xffff, i.e. InternetChecksum gives 0) and parse back equal.
TEST(Ipv4, EmitChecksumFromFieldsVerifiesForRandomHeaders) {
  uint64_t x = 0x9e3779b97f4a7c15ull;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int i = 0; i < 10000; ++i) {
    Ipv4Repr ip;
    ip.src.value = static_cast<uint32_t>(next());
    ip.dst.value = static_cast<uint32_t>(next());
    ip.protocol = static_cast<uint8_t>(next());
    ip.ttl = static_cast<uint8_t>(next());
    ip.dscp = static_cast<uint8_t>(next() % 64);
    ip.ecn = static_cast<uint8_t>(next() % 4);
    ip.id = static_cast<uint16_t>(next());
    ip.dont_fragment = (next() & 1) != 0;
    ip.payload_len = static_cast<uint16_t>(next() % (0xffff - 20));
    std::vector<uint8_t> buf(kIpv4MinHeaderLen + ip.payload_len);
    ip.Emit(buf);
    ASSERT_EQ(InternetChecksum(std::span<const uint8_t>(buf).first(20)), 0)
        << "header " << i;
    absl::StatusOr<Ipv4Repr> back = Ipv4Repr::ParseOrStatus(buf);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, ip);
  }
}

// The bare loops' reflection: both address pairs swapped, nothing else
// changed, both checksums still valid (they sum the addresses).
TEST(Ipv4, SwapFrameAddresses_TurnsTheFrameBackChecksumsStillValid) {
  std::vector<uint8_t> frame = {0x02, 0, 0, 0, 0,    0xaa, 0x02,
                                0,    0, 0, 0, 0xbb, 0x08, 0x00};
  frame.insert(frame.end(), kScapySyn.begin(), kScapySyn.end());
  std::vector<uint8_t> before = frame;
  SwapFrameAddresses(frame);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(frame[i], before[6 + i]);
    EXPECT_EQ(frame[6 + i], before[i]);
  }
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(frame[14 + 12 + i], before[14 + 16 + i]);
    EXPECT_EQ(frame[14 + 16 + i], before[14 + 12 + i]);
  }
  EXPECT_TRUE(std::equal(frame.begin() + 12, frame.begin() + 14 + 12,
                         before.begin() + 12));
  EXPECT_TRUE(std::equal(frame.begin() + 14 + 20, frame.end(),
                         before.begin() + 14 + 20));
  Ipv4Repr ip;
  std::span<const uint8_t> l4;
  ASSERT_EQ(Ipv4Repr::Parse(std::span<const uint8_t>(frame).subspan(14),
                            Ipv4Repr::Checksum::kVerify, &ip, &l4),
            WireError::kOk);
  TcpRepr tcp;
  EXPECT_EQ(
      TcpRepr::Parse(l4, ip.src, ip.dst, TcpRepr::Checksum::kVerify, &tcp),
      WireError::kOk);
  SwapFrameAddresses(frame);
  EXPECT_EQ(frame, before);
}

}  // namespace
}  // namespace tern::wire
