#include "app/tern-flood/syn_flood.h"

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "app/tern-flood/xorshift.h"
#include "lib/base/random.h"
#include "lib/wire/ethernet.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/tcp_header.h"

namespace tern::flood {
namespace {

// Byte offsets in an untagged Ethernet frame (IEEE 802.3 header of 14
// bytes; IPv4 header fields from RFC 791 section 3.1; ARP from RFC 826).
constexpr size_t kEthType = 12;
constexpr size_t kIp = 14;
constexpr size_t kIpProto = kIp + 9;
constexpr size_t kIpDst = kIp + 16;
constexpr size_t kArpTargetIp = kIp + 24;
constexpr size_t kTcpFlagsInHeader = 13;

uint32_t Load32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

}  // namespace

SynFlood::SynFlood(const FloodOptions& options, uint16_t port_id,
                   wire::MacAddr src_mac)
    : options_(options), port_id_(port_id), src_mac_(src_mac) {}

SynFlood::~SynFlood() {
  if (pool_ != nullptr) {
    rte_mempool_free(pool_);
  }
}

absl::StatusOr<std::unique_ptr<SynFlood>> SynFlood::Create(
    const FloodOptions& options, uint16_t port_id, wire::MacAddr src_mac,
    uint32_t mbufs) {
  std::unique_ptr<SynFlood> f(new SynFlood(options, port_id, src_mac));
  // Per-lcore cache of 256 (RTE_MEMPOOL_CACHE_MAX_SIZE is 512; DPDK's
  // examples use 256, MEMPOOL_CACHE_SIZE in examples/l2fwd/main.c).
  f->pool_ =
      rte_pktmbuf_pool_create("tern_flood_syns", mbufs, 256, 0,
                              RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
  if (f->pool_ == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("rte_pktmbuf_pool_create(tern_flood_syns, ", mbufs,
                     "): ", rte_strerror(rte_errno)));
  }
  uint64_t seed = options.seed;
  while (seed == 0) {
    if (absl::Status s = FillRandom(std::span<uint8_t>(
            reinterpret_cast<uint8_t*>(&seed), sizeof(seed)));
        !s.ok()) {
      return s;
    }
  }
  f->state_ = seed;
  return f;
}

uint64_t SynFlood::Next() { return XorShift64Star(state_); }

void SynFlood::set_target_mac(wire::MacAddr mac) {
  builder_.emplace(options_, src_mac_, mac);
}

bool SynFlood::Build(rte_mbuf* m) {
  const uint64_t r1 = Next();
  const uint64_t r2 = Next();
  // Set directly: the mbuf is fresh from the pool (one segment, empty), and
  // the builder's fixed-size copy needs kMaxFrameLen bytes of room.
  if (rte_pktmbuf_tailroom(m) < SegmentBuilder::kMaxFrameLen) {
    return false;
  }
  const size_t len = builder_->frame_len();
  m->data_len = static_cast<uint16_t>(len);
  m->pkt_len = static_cast<uint32_t>(len);
  builder_->Write(rte_pktmbuf_mtod(m, uint8_t*),
                  FloodDraw::From(r1, r2, options_));
  return true;
}

uint16_t SynFlood::SendBurst(uint16_t n) {
  if (!builder_.has_value() || n == 0) {
    return 0;
  }
  n = std::min(n, kMaxBurst);
  rte_mbuf* pkts[kMaxBurst];
  if (rte_pktmbuf_alloc_bulk(pool_, pkts, n) != 0) {
    // The bulk call takes all or nothing; a nearly empty pool gets one at a
    // time so the flood degrades instead of stopping.
    uint16_t k = 0;
    while (k < n && (pkts[k] = rte_pktmbuf_alloc(pool_)) != nullptr) {
      ++k;
    }
    counters_.no_mbuf.Add(n - k);
    n = k;
  }
  uint16_t built = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (Build(pkts[i])) {
      pkts[built++] = pkts[i];
    } else {
      rte_pktmbuf_free(pkts[i]);
      counters_.no_mbuf.Inc();  // does not fit: cannot happen at 2 KiB
    }
  }
  const uint16_t sent = rte_eth_tx_burst(port_id_, 0, pkts, built);
  if (sent < built) {
    rte_pktmbuf_free_bulk(pkts + sent, built - sent);
    counters_.tx_full.Add(built - sent);
  }
  counters_.sent.Add(sent);
  return sent;
}

bool SynFlood::Take(rte_mbuf* m) {
  const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint16_t len = rte_pktmbuf_data_len(m);
  if (len < kIpDst + 4) {
    return false;
  }
  const uint16_t type =
      static_cast<uint16_t>((p[kEthType] << 8) | p[kEthType + 1]);
  if (type == wire::kEtherTypeArp) {
    if (len < kArpTargetIp + 4 || !options_.spoof_range.Contains(wire::Ipv4Addr{
                                      Load32(p + kArpTargetIp)})) {
      return false;
    }
    counters_.spoofed_other.Inc();
    rte_pktmbuf_free(m);
    return true;
  }
  if (type != wire::kEtherTypeIpv4 ||
      !options_.spoof_range.Contains(wire::Ipv4Addr{Load32(p + kIpDst)})) {
    return false;
  }
  const size_t ihl = static_cast<size_t>(p[kIp] & 0x0f) * 4;
  const size_t flags_at = kIp + ihl + kTcpFlagsInHeader;
  constexpr uint8_t kSynAck = wire::tcp_flags::kSyn | wire::tcp_flags::kAck;
  const bool tcp = p[kIpProto] == wire::kIpProtoTcp && flags_at < len;
  if (tcp && (p[flags_at] & kSynAck) == kSynAck) {
    counters_.synacks_seen.Inc();
  } else if (tcp && (p[flags_at] & wire::tcp_flags::kRst) != 0) {
    counters_.rsts_seen.Inc();
  } else {
    counters_.spoofed_other.Inc();
  }
  rte_pktmbuf_free(m);
  return true;
}

}  // namespace tern::flood
