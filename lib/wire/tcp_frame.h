// The frame nearly every TCP segment arrives in, parsed in one pass: an
// Ethernet II header without a VLAN tag (IEEE 802.3), an IPv4 header without
// options that is not a fragment (RFC 791 section 3.1), then TCP (RFC 9293
// section 3.1), with both checksums (RFC 1071) unless the NIC verified them.
//
// The engine's receive path calls it before the general parsers
// (EthernetRepr::Parse, Ipv4Repr::Parse, TcpRepr::Parse), which each take a
// span, fill a value type with fields TCP does not use and check what the
// previous one already knew; called in turn they were about 400 of a SYN's
// 1,260 instructions in the engine benchmark (callgrind, issue 14).
//
// Contract: ParseTcpFrame returns true only when those three parsers, called
// in turn on `frame` with the same checksum modes, would all succeed and the
// IPv4 protocol is TCP; it then fills *headers and *tcp with exactly what
// they give (the TCP payload borrows from `frame`, trimmed to the IPv4 total
// length as Ipv4Repr::Parse trims it). For anything else, another shape or
// any defect, it returns false with *headers and *tcp partly written, and the
// caller runs the general parsers, which name the defect. It reads nothing
// outside `frame`. tcp_frame_test checks it against the general parsers on
// valid frames and on every single-byte change and truncation of them.
#ifndef TERN_LIB_WIRE_TCP_FRAME_H_
#define TERN_LIB_WIRE_TCP_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "lib/wire/addr.h"
#include "lib/wire/byte_order.h"
#include "lib/wire/checksum.h"
#include "lib/wire/ethernet.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/tcp_header.h"
#include "lib/wire/wire_error.h"

namespace tern::wire {

// What the general parsers give besides the TcpRepr that the receive path
// uses: the Ethernet addresses and the IPv4 addresses.
struct TcpFrameHeaders {
  MacAddr eth_dst;
  MacAddr eth_src;
  Ipv4Addr ip_src;
  Ipv4Addr ip_dst;
};

// Always inlined: once per received frame, where the three calls it
// replaces cost more than their checks (callgrind, issue 14).
[[gnu::always_inline]] inline bool ParseTcpFrame(std::span<const uint8_t> frame,
                                                 Ipv4Repr::Checksum ip_mode,
                                                 TcpRepr::Checksum tcp_mode,
                                                 TcpFrameHeaders* headers,
                                                 TcpRepr* tcp) {
  constexpr size_t kIpAt = kEthHeaderLen;
  constexpr size_t kTcpAt = kIpAt + kIpv4MinHeaderLen;
  // RFC 791 3.1: version 4, IHL 5 words (no options).
  constexpr uint8_t kVersionIhl = 0x45;
  // RFC 791 3.1: the MF flag and the 13-bit fragment offset; DF may be set.
  constexpr uint16_t kFragmentBits = 0x3fff;
  if (frame.size() < kTcpAt + kTcpMinHeaderLen) {
    return false;
  }
  const uint8_t* p = frame.data();
  const uint8_t* ip = p + kIpAt;
  if (LoadBe16(p + 12) != kEtherTypeIpv4 || ip[0] != kVersionIhl ||
      ip[9] != kIpProtoTcp || (LoadBe16(ip + 6) & kFragmentBits) != 0) {
    return false;
  }
  const size_t total_len = LoadBe16(ip + 2);
  if (total_len < kIpv4MinHeaderLen + kTcpMinHeaderLen ||
      total_len > frame.size() - kIpAt) {
    return false;
  }
  if (ip_mode == Ipv4Repr::Checksum::kVerify &&
      !ChecksumVerifies({ip, kIpv4MinHeaderLen}, 0)) {
    return false;
  }
  const uint8_t* t = p + kTcpAt;
  const size_t segment_len = total_len - kIpv4MinHeaderLen;
  const size_t header_len = static_cast<size_t>(t[12] >> 4) * 4;
  if (header_len < kTcpMinHeaderLen || header_len > segment_len) {
    return false;
  }
  const Ipv4Addr src{LoadBe32(ip + 12)};
  const Ipv4Addr dst{LoadBe32(ip + 16)};
  if (tcp_mode == TcpRepr::Checksum::kVerify &&
      !ChecksumVerifies({t, segment_len},
                        PseudoHeaderSum(src, dst, kIpProtoTcp,
                                        static_cast<uint16_t>(segment_len)))) {
    return false;
  }
  tcp->options = TcpOptions{};
  const size_t options_len = header_len - kTcpMinHeaderLen;
  if (options_len > 0 &&
      !ParseTcpOptionsFast(t + kTcpMinHeaderLen, options_len, &tcp->options) &&
      ParseTcpOptionsGeneral(t + kTcpMinHeaderLen, options_len,
                             &tcp->options) != WireError::kOk) {
    return false;
  }
  ReadTcpFixedFields(t, tcp);
  tcp->payload = {t + header_len, segment_len - header_len};
  std::memcpy(headers->eth_dst.octets.data(), p, 6);
  std::memcpy(headers->eth_src.octets.data(), p + 6, 6);
  headers->ip_src = src;
  headers->ip_dst = dst;
  return true;
}

}  // namespace tern::wire

#endif  // TERN_LIB_WIRE_TCP_FRAME_H_
