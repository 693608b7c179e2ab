#include "lib/wire/tcp_header.h"

#include <algorithm>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "lib/wire/byte_order.h"
#include "lib/wire/checksum.h"
#include "lib/wire/ipv4.h"
#include "tests/unit/wire/test_packets.h"

namespace tern::wire {
namespace {

using testing::kScapySyn;
using testing::kScapySynIpLen;
using testing::kSynDst;
using testing::kSynSrc;

std::vector<uint8_t> ScapySynTcp() {
  return std::vector<uint8_t>(kScapySyn.begin() + kScapySynIpLen,
                              kScapySyn.end());
}

TcpRepr ScapySynRepr() {
  TcpRepr t;
  t.src_port = 40000;
  t.dst_port = 80;
  t.seq = SeqNum(0x12345678);
  t.flags = tcp_flags::kSyn;
  t.window = 64240;
  t.options.mss = 1460;
  t.options.sack_permitted = true;
  t.options.timestamps = TcpTimestamps{1000, 0};
  t.options.window_scale = 7;
  return t;
}

std::vector<uint8_t> EmitTcp(const TcpRepr& t, bool offload = false) {
  std::vector<uint8_t> out(t.BufferLen());
  t.Emit(out, kSynSrc, kSynDst, offload);
  return out;
}

std::vector<uint8_t> OptionBytes(const std::vector<uint8_t>& segment) {
  size_t hl = static_cast<size_t>(segment[12] >> 4) * 4;
  return std::vector<uint8_t>(segment.begin() + kTcpMinHeaderLen,
                              segment.begin() + static_cast<long>(hl));
}

// A header with the given raw option bytes (padded by the caller), with a
// correct checksum.
std::vector<uint8_t> WithOptions(const std::vector<uint8_t>& opts) {
  std::vector<uint8_t> seg(kTcpMinHeaderLen + opts.size(), 0);
  StoreBe16(&seg[0], 1234);
  StoreBe16(&seg[2], 80);
  seg[12] = static_cast<uint8_t>(((kTcpMinHeaderLen + opts.size()) / 4) << 4);
  seg[13] = tcp_flags::kSyn;
  std::copy(opts.begin(), opts.end(), seg.begin() + kTcpMinHeaderLen);
  uint32_t sum = PseudoHeaderSum(kSynSrc, kSynDst, kIpProtoTcp,
                                 static_cast<uint16_t>(seg.size()));
  StoreBe16(&seg[16], ChecksumFinish(ChecksumPartial(seg, sum)));
  return seg;
}

WireError ParseVerify(const std::vector<uint8_t>& seg, TcpRepr* out) {
  return TcpRepr::Parse(seg, kSynSrc, kSynDst, TcpRepr::Checksum::kVerify, out);
}

TEST(TcpHeader, ParsesScapySyn) {
  std::vector<uint8_t> seg = ScapySynTcp();
  TcpRepr t;
  ASSERT_EQ(ParseVerify(seg, &t), WireError::kOk);
  EXPECT_EQ(t, ScapySynRepr());
  EXPECT_TRUE(t.payload.empty());
  EXPECT_EQ(t.SegLen(), 1u);
}

// TcpRepr::Parse reads two layouts without walking them (tcp_header.cc,
// ParseTcpOptionsFast): for those layouts with random values, and for every
// single-byte change of them, the fast read takes exactly the byte strings
// of its layout (a changed value byte is still the layout, a changed kind or
// length byte is not), gives what the general walk gives when it takes one,
// and Parse gives what the walk gives for every string: the same error, the
// same options.
TEST(TcpHeader, OptionFastPathsMatchTheGeneralParser) {
  std::mt19937 rng(14);
  std::uniform_int_distribution<int> byte(0, 255);
  size_t checked = 0;
  size_t fast_taken = 0;
  const auto check = [&](const std::vector<uint8_t>& opts, bool layout) {
    TcpOptions general;
    const WireError ge =
        ParseTcpOptionsGeneral(opts.data(), opts.size(), &general);
    TcpOptions fast;
    const bool taken = ParseTcpOptionsFast(opts.data(), opts.size(), &fast);
    ASSERT_EQ(taken, layout) << "options " << ::testing::PrintToString(opts);
    if (taken) {
      ASSERT_EQ(ge, WireError::kOk);
      ASSERT_EQ(fast, general) << "options " << ::testing::PrintToString(opts);
      ++fast_taken;
    } else {
      ASSERT_EQ(fast, TcpOptions{});  // untouched
    }
    TcpRepr parsed;
    const WireError e = ParseVerify(WithOptions(opts), &parsed);
    ASSERT_EQ(e, ge) << "options " << ::testing::PrintToString(opts);
    if (e == WireError::kOk) {
      ASSERT_EQ(parsed.options, general)
          << "options " << ::testing::PrintToString(opts);
    }
    ++checked;
  };
  // The layouts' value bytes (any value keeps the layout).
  const std::vector<size_t> ts_values = {4, 5, 6, 7, 8, 9, 10, 11};
  const std::vector<size_t> syn_values = {2,  3,  8,  9,  10, 11,
                                          12, 13, 14, 15, 19};
  size_t value_changes = 0;
  for (int round = 0; round < 16; ++round) {
    // NOP NOP timestamps (RFC 7323 Appendix A).
    std::vector<uint8_t> ts = {1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t at : ts_values) {
      ts[at] = static_cast<uint8_t>(byte(rng));
    }
    // Linux's SYN: MSS, SACK-permitted + timestamps, NOP + window scale.
    std::vector<uint8_t> syn = {2, 4, 0, 0, 4, 2, 8, 10, 0, 0,
                                0, 0, 0, 0, 0, 0, 1, 3,  3, 0};
    for (size_t at : syn_values) {
      syn[at] = static_cast<uint8_t>(byte(rng));
    }
    for (const auto& [layout, values] :
         {std::pair{ts, ts_values}, std::pair{syn, syn_values}}) {
      check(layout, true);
      for (size_t at = 0; at < layout.size(); ++at) {
        const bool value_byte =
            std::find(values.begin(), values.end(), at) != values.end();
        for (int v = 0; v < 256; ++v) {
          std::vector<uint8_t> changed = layout;
          changed[at] = static_cast<uint8_t>(v);
          check(changed, value_byte || v == layout[at]);
          value_changes += value_byte ? 1 : 0;
        }
      }
    }
  }
  EXPECT_EQ(checked, 32u + 16u * (12u + 20u) * 256u);
  // Each layout as drawn, each value change, and each fixed byte set to its
  // own value: 16 * (2 + (8 + 11) * 256 + (4 + 9))
  EXPECT_EQ(value_changes, 16u * (8u + 11u) * 256u);
  EXPECT_EQ(fast_taken, 16u * (2u + (8u + 11u) * 256u + (4u + 9u)));
  // The values of the SYN layout land in their own fields.
  TcpRepr t;
  ASSERT_EQ(ParseVerify(WithOptions({2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                                     0, 1, 0,    0,    0, 2, 1, 3,  3, 9}),
                        &t),
            WireError::kOk);
  EXPECT_EQ(t.options.mss, 1460);
  EXPECT_TRUE(t.options.sack_permitted);
  EXPECT_EQ(t.options.timestamps, (TcpTimestamps{1, 2}));
  EXPECT_EQ(t.options.window_scale, 9);
  EXPECT_EQ(t.options.sack_count, 0);
}

TEST(TcpHeader, EmittedSynEqualsScapyBytesIncludingChecksum) {
  EXPECT_EQ(EmitTcp(ScapySynRepr()), ScapySynTcp());
}

TEST(TcpHeader, SynAckOptionsMatchLinuxByteSequence) {
  // Linux 6.x SYN-ACK to a SYN with all four options (tcp_options_write):
  // MSS, SACK-perm folded into the timestamp's NOPs, NOP + wscale.
  TcpRepr t = ScapySynRepr();
  t.flags = tcp_flags::kSyn | tcp_flags::kAck;
  t.ack = SeqNum(0x12345679);
  t.options.timestamps = TcpTimestamps{0xa1b2c3d4, 1000};
  const std::vector<uint8_t> linux_order = {
      0x02, 0x04, 0x05, 0xb4,                          // MSS 1460
      0x04, 0x02, 0x08, 0x0a, 0xa1, 0xb2, 0xc3, 0xd4,  // SACK-perm, TS
      0x00, 0x00, 0x03, 0xe8,                          // TSecr
      0x01, 0x03, 0x03, 0x07};                         // NOP, wscale 7
  std::vector<uint8_t> seg = EmitTcp(t);
  EXPECT_EQ(OptionBytes(seg), linux_order);
  EXPECT_EQ(seg[12] >> 4, 10);
}

TEST(TcpHeader, SynWithoutSackPermittedPadsTimestampWithNops) {
  TcpRepr t = ScapySynRepr();
  t.options.sack_permitted = false;
  std::vector<uint8_t> opts = OptionBytes(EmitTcp(t));
  ASSERT_EQ(opts.size(), 20u);
  EXPECT_EQ(std::vector<uint8_t>(opts.begin() + 4, opts.begin() + 8),
            (std::vector<uint8_t>{0x01, 0x01, 0x08, 0x0a}));
}

TEST(TcpHeader, SynWithoutTimestampsSendsNopNopSackPermitted) {
  TcpRepr t = ScapySynRepr();
  t.options.timestamps.reset();
  EXPECT_EQ(OptionBytes(EmitTcp(t)),
            (std::vector<uint8_t>{0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04,
                                  0x02, 0x01, 0x03, 0x03, 0x07}));
}

TEST(TcpHeader, DataSegmentOptionsAreTimestampsThenSack) {
  const std::vector<uint8_t> payload = {'h', 'e', 'l', 'l', 'o'};
  TcpRepr t;
  t.src_port = 80;
  t.dst_port = 40000;
  t.seq = SeqNum(100);
  t.ack = SeqNum(200);
  t.flags = tcp_flags::kAck | tcp_flags::kPsh;
  t.window = 502;
  t.options.timestamps = TcpTimestamps{7, 8};
  t.options.sack_count = 1;
  t.options.sack[0] = SackBlock{SeqNum(300), SeqNum(400)};
  t.payload = payload;
  std::vector<uint8_t> seg = EmitTcp(t);
  EXPECT_EQ(OptionBytes(seg),
            (std::vector<uint8_t>{1, 1, 8, 10, 0, 0, 0, 7,  0, 0, 0, 8,  //
                                  1, 1, 5, 10, 0, 0, 1, 44, 0, 0, 1, 144}));
  TcpRepr back;
  ASSERT_EQ(ParseVerify(seg, &back), WireError::kOk);
  EXPECT_EQ(back, t);
  EXPECT_EQ(back.SegLen(), 5u);
}

TEST(TcpHeader, SackBlocksLimitedToWhatFits) {
  TcpRepr t;
  t.flags = tcp_flags::kAck;
  t.options.sack_count = 4;
  for (uint32_t i = 0; i < 4; ++i) {
    t.options.sack[i] = SackBlock{SeqNum(i * 100), SeqNum(i * 100 + 50)};
  }
  EXPECT_EQ(t.options.EmittedLen(), 36u);  // 4 blocks alone
  t.options.timestamps = TcpTimestamps{1, 2};
  EXPECT_EQ(t.options.EmittedLen(), 40u);  // RFC 2018 3: 3 with timestamps
  std::vector<uint8_t> seg = EmitTcp(t);
  TcpRepr back;
  ASSERT_EQ(ParseVerify(seg, &back), WireError::kOk);
  EXPECT_EQ(back.options.sack_count, 3);
  EXPECT_EQ(back.options.sack[2], t.options.sack[2]);
}

TEST(TcpHeader, EmittedLenMatchesEmitForEveryOptionCombination) {
  for (int mask = 0; mask < 16; ++mask) {
    for (uint8_t sacks = 0; sacks <= kTcpMaxSackBlocks; ++sacks) {
      TcpRepr t;
      t.flags = tcp_flags::kAck;
      if (mask & 1) {
        t.options.mss = 536;
      }
      if (mask & 2) {
        t.options.window_scale = 14;
      }
      if (mask & 4) {
        t.options.sack_permitted = true;
      }
      if (mask & 8) {
        t.options.timestamps = TcpTimestamps{5, 6};
      }
      t.options.sack_count = sacks;
      for (uint8_t i = 0; i < sacks; ++i) {
        t.options.sack[i] = SackBlock{SeqNum(i), SeqNum(i + 1u)};
      }
      size_t len = t.options.EmittedLen();
      ASSERT_EQ(len % 4, 0u);
      ASSERT_LE(len, 40u);
      std::vector<uint8_t> seg = EmitTcp(t);
      ASSERT_EQ(static_cast<size_t>(seg[12] >> 4) * 4, kTcpMinHeaderLen + len);
      TcpRepr back;
      ASSERT_EQ(ParseVerify(seg, &back), WireError::kOk) << mask << sacks;
      EXPECT_EQ(back.options.mss, t.options.mss);
      EXPECT_EQ(back.options.window_scale, t.options.window_scale);
      EXPECT_EQ(back.options.sack_permitted, t.options.sack_permitted);
      EXPECT_EQ(back.options.timestamps, t.options.timestamps);
      EXPECT_LE(back.options.sack_count, sacks);
      // Re-emitting what was parsed is a fixed point.
      EXPECT_EQ(EmitTcp(back), seg);
    }
  }
}

TEST(TcpHeader, ChecksumOffloadStoresPseudoHeaderSum) {
  TcpRepr t = ScapySynRepr();
  std::vector<uint8_t> seg = EmitTcp(t, /*offload=*/true);
  EXPECT_EQ(LoadBe16(&seg[16]),
            ChecksumFold(PseudoHeaderSum(kSynSrc, kSynDst, kIpProtoTcp,
                                         static_cast<uint16_t>(seg.size()))));
  TcpRepr back;
  EXPECT_EQ(ParseVerify(seg, &back), WireError::kTcpBadChecksum);
  EXPECT_EQ(TcpRepr::Parse(seg, kSynSrc, kSynDst, TcpRepr::Checksum::kTrustNic,
                           &back),
            WireError::kOk);
}

TEST(TcpHeader, PayloadAlreadyInPlaceIsNotCopied) {
  TcpRepr t;
  t.flags = tcp_flags::kAck;
  std::vector<uint8_t> buf(kTcpMinHeaderLen + 3);
  buf[20] = 'x';
  buf[21] = 'y';
  buf[22] = 'z';
  t.payload = std::span<const uint8_t>(buf).subspan(kTcpMinHeaderLen);
  t.Emit(buf, kSynSrc, kSynDst);
  auto back = TcpRepr::ParseOrStatus(buf, kSynSrc, kSynDst);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->payload[2], 'z');
}

TEST(TcpHeader, WrongAddressesFailChecksum) {
  auto r = TcpRepr::ParseOrStatus(ScapySynTcp(), kSynDst, kSynSrc);
  // Swapping src and dst leaves the pseudo-header sum unchanged.
  EXPECT_TRUE(r.ok());
  r = TcpRepr::ParseOrStatus(ScapySynTcp(), kSynSrc,
                             Ipv4Addr::FromOctets(10, 0, 0, 3));
  EXPECT_EQ(r.status().message(), "tcp_bad_checksum");
}

TEST(TcpHeader, UnknownOptionsAreSkippedByLength) {
  // Kind 30 (MPTCP) with 4 data bytes, then MSS.
  TcpRepr t;
  ASSERT_EQ(
      ParseVerify(WithOptions({30, 6, 1, 2, 3, 4, 2, 4, 0x05, 0xb4, 0, 0}), &t),
      WireError::kOk);
  EXPECT_EQ(t.options.mss, 1460);
}

TEST(TcpHeader, EolEndsTheListAndLaterBytesAreIgnored) {
  TcpRepr t;
  ASSERT_EQ(ParseVerify(WithOptions({1, 0, 0xff, 0x00}), &t), WireError::kOk);
  EXPECT_EQ(t.options, TcpOptions{});
}

TEST(TcpHeader, WindowScaleAbove14IsKeptAsReceived) {
  TcpRepr t;
  ASSERT_EQ(ParseVerify(WithOptions({1, 3, 3, 200}), &t), WireError::kOk);
  EXPECT_EQ(t.options.window_scale, 200);
}

TEST(TcpHeader, RepeatedOptionKeepsLastValue) {
  TcpRepr t;
  ASSERT_EQ(ParseVerify(WithOptions({2, 4, 0, 100, 2, 4, 0, 200}), &t),
            WireError::kOk);
  EXPECT_EQ(t.options.mss, 200);
}

TEST(TcpHeader, OptionErrorsAreNamed) {
  struct Case {
    std::vector<uint8_t> opts;
    WireError want;
  };
  const std::vector<Case> cases = {
      {{2, 0, 0, 0}, WireError::kTcpOptionLengthZeroOrOne},
      {{30, 1, 0, 0}, WireError::kTcpOptionLengthZeroOrOne},
      {{1, 1, 1, 2}, WireError::kTcpOptionPastHeader},  // no length byte
      {{30, 8, 0, 0}, WireError::kTcpOptionPastHeader},
      {{8, 10, 0, 0}, WireError::kTcpOptionPastHeader},
      {{2, 3, 0, 0}, WireError::kTcpOptionBadLength},  // MSS
      {{2, 5, 0, 0, 0, 0, 0, 0}, WireError::kTcpOptionBadLength},
      {{3, 4, 7, 0}, WireError::kTcpOptionBadLength},  // wscale
      {{3, 2, 0, 0}, WireError::kTcpOptionBadLength},
      {{4, 3, 0, 0}, WireError::kTcpOptionBadLength},  // SACK-permitted
      {{8, 8, 0, 0, 0, 0, 0, 0}, WireError::kTcpOptionBadLength},  // TS
      {{5, 2, 0, 0}, WireError::kTcpOptionBadLength},  // SACK, no block
      {{5, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, WireError::kTcpOptionBadLength},
      {{5, 42, 0, 0}, WireError::kTcpTooManySackBlocks},
  };
  for (const Case& c : cases) {
    TcpRepr t;
    EXPECT_EQ(ParseVerify(WithOptions(c.opts), &t), c.want)
        << ToString(c.want) << " opts[0]=" << +c.opts[0];
  }
}

TEST(TcpHeader, DataOffsetErrors) {
  std::vector<uint8_t> seg = ScapySynTcp();
  TcpRepr t;
  for (uint8_t doff = 0; doff < 5; ++doff) {
    seg[12] = static_cast<uint8_t>(doff << 4);
    EXPECT_EQ(
        TcpRepr::Parse(seg, kSynSrc, kSynDst, TcpRepr::Checksum::kTrustNic, &t),
        WireError::kTcpBadDataOffset);
  }
  for (uint8_t doff = 11; doff < 16; ++doff) {
    seg[12] = static_cast<uint8_t>(doff << 4);
    EXPECT_EQ(
        TcpRepr::Parse(seg, kSynSrc, kSynDst, TcpRepr::Checksum::kTrustNic, &t),
        WireError::kTcpDataOffsetPastPacket);
  }
}

TEST(TcpHeader, EveryTruncationIsAnError) {
  std::vector<uint8_t> full = ScapySynTcp();
  for (size_t n = 0; n < full.size(); ++n) {
    std::vector<uint8_t> prefix(full.begin(), full.begin() + n);
    TcpRepr t;
    EXPECT_NE(ParseVerify(prefix, &t), WireError::kOk) << n;
    EXPECT_NE(TcpRepr::Parse(prefix, kSynSrc, kSynDst,
                             TcpRepr::Checksum::kTrustNic, &t),
              WireError::kOk)
        << n;
  }
}

TEST(TcpHeader, EveryTruncatedOptionListIsAnErrorWithoutOverread) {
  // Shrinking the data offset cuts the option list at every word boundary;
  // the parser must see an option running past the header, never read it.
  std::vector<uint8_t> full = ScapySynTcp();
  for (uint8_t doff = 6; doff < 10; ++doff) {
    std::vector<uint8_t> seg(full.begin(), full.begin() + doff * 4);
    seg[12] = static_cast<uint8_t>(doff << 4 | (seg[12] & 0xf));
    TcpRepr t;
    WireError e =
        TcpRepr::Parse(seg, kSynSrc, kSynDst, TcpRepr::Checksum::kTrustNic, &t);
    EXPECT_TRUE(e == WireError::kOk || e == WireError::kTcpOptionPastHeader)
        << +doff << " " << ToString(e);
  }
}

// The header template writes exactly what TcpRepr::Emit writes, checksum
// included (software and offload), for every SYN-ACK option layout and
// random ports, numbers, addresses and timestamp values.
TEST(TcpHeaderTemplate, EmitEqualsTcpReprEmitForEveryLayout) {
  std::mt19937_64 rng(12);
  for (int layout = 0; layout < 16; ++layout) {
    TcpRepr proto;
    proto.flags = tcp_flags::kSyn | tcp_flags::kAck;
    proto.window = static_cast<uint16_t>(rng());
    if ((layout & 8) != 0) {
      proto.options.mss = static_cast<uint16_t>(rng());
    }
    if ((layout & 1) != 0) {
      proto.options.window_scale = static_cast<uint8_t>(rng() % 15);
    }
    proto.options.sack_permitted = (layout & 2) != 0;
    if ((layout & 4) != 0) {
      proto.options.timestamps = TcpTimestamps{1, 2};
    }
    const TcpHeaderTemplate t = TcpHeaderTemplate::Make(proto);
    ASSERT_EQ(t.header_len(), proto.HeaderLen());
    for (int i = 0; i < 1000; ++i) {
      TcpRepr seg = proto;
      seg.src_port = static_cast<uint16_t>(rng());
      seg.dst_port = static_cast<uint16_t>(rng());
      seg.seq = SeqNum(static_cast<uint32_t>(rng()));
      seg.ack = SeqNum(static_cast<uint32_t>(rng()));
      if (seg.options.timestamps) {
        seg.options.timestamps = TcpTimestamps{static_cast<uint32_t>(rng()),
                                               static_cast<uint32_t>(rng())};
      }
      ASSERT_TRUE(t.Matches(seg));
      const Ipv4Addr src{static_cast<uint32_t>(rng())};
      const Ipv4Addr dst{static_cast<uint32_t>(rng())};
      for (bool offload : {false, true}) {
        std::vector<uint8_t> want(seg.HeaderLen(), 0xee);
        std::vector<uint8_t> got(seg.HeaderLen(), 0x11);
        seg.Emit(want, src, dst, offload);
        t.Emit(got, seg, src, dst, offload);
        ASSERT_EQ(got, want) << "layout " << layout << " offload " << offload;
      }
    }
  }
}

TEST(TcpHeaderTemplate, OtherWindowOrOptionsDoNotMatch) {
  TcpRepr proto;
  proto.flags = tcp_flags::kSyn | tcp_flags::kAck;
  proto.window = 65535;
  proto.options.mss = 1460;
  proto.options.timestamps = TcpTimestamps{0, 0};
  const TcpHeaderTemplate t = TcpHeaderTemplate::Make(proto);
  TcpRepr seg = proto;
  seg.options.timestamps = TcpTimestamps{7, 9};
  seg.seq = SeqNum(5);
  EXPECT_TRUE(t.Matches(seg));
  seg.window = 1000;
  EXPECT_FALSE(t.Matches(seg));
  seg = proto;
  seg.options.sack_permitted = true;
  EXPECT_FALSE(t.Matches(seg));
  seg = proto;
  seg.options.timestamps.reset();
  EXPECT_FALSE(t.Matches(seg));
}

}  // namespace
}  // namespace tern::wire
