#include "app/tern-flood/segment_builder.h"

#include <cstring>
#include <span>

#include "lib/base/dcheck.h"
#include "lib/base/seq_num.h"
#include "lib/wire/byte_order.h"
#include "lib/wire/checksum.h"
#include "lib/wire/ethernet.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/tcp_header.h"

namespace tern::flood {
namespace {

// Offsets in the untagged frame (IEEE 802.3: 14-byte header; RFC 791 3.1;
// RFC 9293 3.1).
constexpr size_t kIp = wire::kEthHeaderLen;
constexpr size_t kIpId = kIp + 4;
constexpr size_t kIpChecksum = kIp + 10;
constexpr size_t kIpSrc = kIp + 12;
constexpr size_t kTcp = kIp + wire::kIpv4MinHeaderLen;
constexpr size_t kTcpSeq = kTcp + 4;
constexpr size_t kTcpAck = kTcp + 8;
constexpr size_t kTcpChecksum = kTcp + 16;
// In Linux's SYN options (02 04 mss 04 02 08 0a tsval tsecr 01 03 03 ws,
// what TcpRepr::Emit writes for them), TSval follows MSS and 04 02 08 0a.
constexpr size_t kTsvalInOptions = 8;

bool HasAck(FloodKind k) {
  return k == FloodKind::kAck || k == FloodKind::kFin || k == FloodKind::kData;
}

}  // namespace

FloodDraw FloodDraw::From(uint64_t r1, uint64_t r2,
                          const FloodOptions& options) {
  const Ipv4Prefix& range = options.spoof_range;
  const uint32_t ports =
      uint32_t{options.spoof_port_max} - options.spoof_port_min + 1;
  FloodDraw d;
  d.src = wire::Ipv4Addr{range.base.value |
                         (static_cast<uint32_t>(r1) & ~range.Mask())};
  d.src_port =
      static_cast<uint16_t>(options.spoof_port_min + (r1 >> 32) % ports);
  d.ip_id = static_cast<uint16_t>(r1 >> 48);
  d.seq = static_cast<uint32_t>(r2);
  // The upper half of r1 picked the port, so its bits are reused rotated.
  d.ack =
      HasAck(options.kind) ? static_cast<uint32_t>((r1 >> 16) ^ (r2 >> 32)) : 0;
  d.tsval = static_cast<uint32_t>(r2 >> 32);
  return d;
}

SegmentBuilder::SegmentBuilder(const FloodOptions& options,
                               wire::MacAddr src_mac, wire::MacAddr dst_mac)
    : options_(options), src_mac_(src_mac), dst_mac_(dst_mac) {
  // The frame with every drawn field zero, as the general path writes it.
  len_ = static_cast<uint8_t>(WriteGeneral(bytes_.data(), FloodDraw{}));
  const bool ts = options_.kind == FloodKind::kSyn && options_.syn_options;
  ts_at_ =
      ts ? static_cast<uint8_t>(kTcp + wire::kTcpMinHeaderLen + kTsvalInOptions)
         : 0;
  // TcpRepr::Emit put the timestamps option's kind and length (8, 10) just
  // before TSval (RFC 7323 section 3.2), or the template writes elsewhere.
  TERN_DCHECK(ts_at_ == 0 ||
              (bytes_[ts_at_ - 2] == 8 && bytes_[ts_at_ - 1] == 10));
  // The fixed words: the checksum fields zeroed, the source address's
  // pseudo-header words left for Write (the address is drawn).
  std::array<uint8_t, kMaxFrameLen> zeroed = bytes_;
  wire::StoreBe16(&zeroed[kIpChecksum], 0);
  wire::StoreBe16(&zeroed[kTcpChecksum], 0);
  ip_sum_ = wire::ChecksumPartial({&zeroed[kIp], wire::kIpv4MinHeaderLen});
  const size_t tcp_len = len_ - kTcp;
  tcp_sum_ = wire::ChecksumPartial(
      {&zeroed[kTcp], tcp_len},
      wire::PseudoHeaderSum(wire::Ipv4Addr{0}, options_.target,
                            wire::kIpProtoTcp, static_cast<uint16_t>(tcp_len)));
}

size_t SegmentBuilder::WriteGeneral(uint8_t* out, const FloodDraw& d) const {
  wire::TcpRepr tcp;
  tcp.src_port = d.src_port;
  tcp.dst_port = options_.target_port;
  tcp.seq = SeqNum(d.seq);
  tcp.ack = SeqNum(d.ack);
  // Linux's SYN window with MSS 1460: tcp_select_initial_window
  // (net/ipv4/tcp_output.c) rounds the 65535-byte space down to a multiple
  // of the MSS, 44 * 1460 = 64240.
  tcp.window = 64240;
  static constexpr uint8_t kByte[1] = {'x'};
  switch (options_.kind) {
    case FloodKind::kSyn:
      tcp.flags = wire::tcp_flags::kSyn;
      break;
    case FloodKind::kAck:
      tcp.flags = wire::tcp_flags::kAck;
      break;
    case FloodKind::kRst:
      tcp.flags = wire::tcp_flags::kRst;
      tcp.window = 0;
      break;
    case FloodKind::kFin:
      tcp.flags = wire::tcp_flags::kFin | wire::tcp_flags::kAck;
      break;
    case FloodKind::kData:
      tcp.flags = wire::tcp_flags::kAck | wire::tcp_flags::kPsh;
      tcp.payload = kByte;
      break;
  }
  if (options_.kind == FloodKind::kSyn && options_.syn_options) {
    tcp.options.mss = 1460;  // Ethernet MTU 1500 - 40 (RFC 9293 3.7.1)
    tcp.options.sack_permitted = true;
    tcp.options.timestamps = wire::TcpTimestamps{d.tsval, 0};
    // Linux's shift for its default tcp_rmem max of 6 MiB (2^23 > 6 MiB >
    // 65535 << 6).
    tcp.options.window_scale = 7;
  }
  wire::Ipv4Repr ip;
  ip.src = d.src;
  ip.dst = options_.target;
  ip.protocol = wire::kIpProtoTcp;
  ip.id = d.ip_id;
  ip.payload_len = static_cast<uint16_t>(tcp.BufferLen());
  wire::EthernetRepr eth;
  eth.src = src_mac_;
  eth.dst = dst_mac_;
  eth.ethertype = wire::kEtherTypeIpv4;
  const size_t len = eth.BufferLen() + ip.BufferLen();
  TERN_DCHECK(len <= kMaxFrameLen);
  eth.Emit({out, eth.BufferLen()});
  ip.Emit({out + kIp, ip.HeaderLen()});
  tcp.Emit({out + kTcp, tcp.BufferLen()}, ip.src, ip.dst);
  return len;
}

void SegmentBuilder::Write(uint8_t* out, const FloodDraw& d) const {
  std::memcpy(out, bytes_.data(), kMaxFrameLen);
  wire::StoreBe16(out + kIpId, d.ip_id);
  wire::StoreBe32(out + kIpSrc, d.src.value);
  wire::StoreBe16(out + kIpChecksum,
                  wire::ChecksumFinish(
                      ip_sum_ + wire::ChecksumWords(d.src.value) + d.ip_id));
  wire::StoreBe16(out + kTcp, d.src_port);
  wire::StoreBe32(out + kTcpSeq, d.seq);
  wire::StoreBe32(out + kTcpAck, d.ack);
  // Every term is below 2^17 and there are at most 10: no overflow.
  uint32_t sum = tcp_sum_ + wire::ChecksumWords(d.src.value) + d.src_port +
                 wire::ChecksumWords(d.seq) + wire::ChecksumWords(d.ack);
  if (ts_at_ != 0) {
    wire::StoreBe32(out + ts_at_, d.tsval);
    sum += wire::ChecksumWords(d.tsval);
  }
  wire::StoreBe16(out + kTcpChecksum, wire::ChecksumFinish(sum));
}

}  // namespace tern::flood
