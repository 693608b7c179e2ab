#include "lib/port/engine.h"

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "lib/base/dcheck.h"
#include "lib/port/log.h"
#include "lib/wire/arp.h"
#include "lib/wire/byte_order.h"
#include "lib/wire/checksum.h"
#include "lib/wire/ethernet.h"
#include "lib/wire/icmp.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/tcp_frame.h"
#include "lib/wire/tcp_header.h"

namespace tern::port {
namespace {

constexpr size_t kIpTcpHeaders =
    wire::kIpv4MinHeaderLen + wire::kTcpMinHeaderLen;

// ICMP error messages about a datagram we sent that TCP acts on (RFC 792,
// RFC 5927): destination unreachable, time exceeded, parameter problem.
bool IsIcmpError(uint8_t type) {
  return type ==
             static_cast<uint8_t>(wire::IcmpType::kDestinationUnreachable) ||
         type == static_cast<uint8_t>(wire::IcmpType::kTimeExceeded) ||
         type == static_cast<uint8_t>(wire::IcmpType::kParameterProblem);
}

// ICMP messages tern drops without parsing: source quench (RFC 6633
// deprecates it; hosts ignore it) and redirect (RFC 792; tern's next hop is
// its configured gateway; it keeps no route table for a redirect to change,
// RFC 1122 3.3.1.2).
bool IsIgnoredIcmp(uint8_t type) {
  constexpr uint8_t kSourceQuench = 4;  // RFC 792
  constexpr uint8_t kRedirect = 5;      // RFC 792
  return type == kSourceQuench || type == kRedirect;
}

}  // namespace

Engine::Engine(const EngineOptions& options, EthdevPort* port, uint16_t index,
               Steering* steering)
    : options_(options),
      port_(port),
      index_(index),
      steering_(steering),
      arp_(options.arp, this, &arp_counters_),
      responder_(port->mac(), options.address, &counters_) {}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(
    const EngineOptions& options, EthdevPort* port, uint16_t index,
    Steering* steering, const tcp::SynCookieSecretStore* cookies, Instant now) {
  if (port == nullptr || index >= port->queues()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Engine::Create: engine ", index, " has no queue"));
  }
  if (options.prefix_len < 1 || options.prefix_len > 32) {
    return absl::InvalidArgumentError("Engine::Create: prefix_len not 1..32");
  }
  std::unique_ptr<Engine> e(new Engine(options, port, index, steering));
  e->netmask_ = options.prefix_len == 32
                    ? 0xffffffffu
                    : ~((1u << (32 - options.prefix_len)) - 1);
  e->sharing_ = steering != nullptr && steering->engines() > 1;
  e->BuildHeaderTemplate();
  e->steer_ = e->sharing_ && !port->rss();

  // The MSS we announce: what the port's MTU carries (RFC 9293 3.7.1:
  // MTU - 40 for IPv4 without options) and what one mbuf holds with the
  // longest TCP header.
  tcp::EndpointConfig ec = options.endpoint;
  const size_t by_mtu = port->mtu() - kIpTcpHeaders;
  const size_t by_mbuf = RTE_MBUF_DEFAULT_DATAROOM - wire::kEthHeaderLen -
                         wire::kIpv4MinHeaderLen - wire::kTcpMaxHeaderLen;
  ec.mss = static_cast<uint16_t>(std::min(by_mtu, by_mbuf));
  ec.coalesce_sends = true;  // Flush once per iteration (the loop's job)
  if (options.dpdk_buffers) {
    // The NIC's socket: the engines that poll it should run there too.
    e->buffers_ = std::make_unique<DpdkBufferAllocator>(
        rte_eth_dev_socket_id(port->port_id()));
    ec.buffer_allocator = e->buffers_.get();
  }
  e->options_.endpoint = ec;

  tcp::EndpointSecrets secrets;
  secrets.cookie_store = cookies;
  absl::StatusOr<std::unique_ptr<tcp::Endpoint>> ep =
      tcp::Endpoint::Create(ec, e.get(), now, secrets);
  if (!ep.ok()) {
    return ep.status();
  }
  e->endpoint_ = std::move(*ep);
  size_t batch = port->burst();
  if (options.rx_fault.Active() || options.tx_fault.Active()) {
    // Every engine and direction draws its own sequence from the seed.
    FaultOptions rx = options.rx_fault;
    rx.seed ^= (2 * uint64_t{index} + 1) * 0x9e3779b97f4a7c15ull;
    FaultOptions tx = options.tx_fault;
    tx.seed ^= (2 * uint64_t{index} + 2) * 0x9e3779b97f4a7c15ull;
    tx.corrupt = 0;
    if (rx.Active()) {
      e->rx_fault_ =
          std::make_unique<FaultInjector>(rx, &e->rx_fault_counters_);
    }
    if (tx.Active()) {
      e->tx_fault_ =
          std::make_unique<FaultInjector>(tx, &e->tx_fault_counters_);
    }
    e->rx_fault_out_.resize(FaultInjector::kMaxOut);
    e->tx_fault_out_.resize(FaultInjector::kMaxOut);
    // What one Apply returns (released, duplicated) goes through one batch.
    batch = std::max<size_t>(batch, FaultInjector::kMaxOut);
  }
  e->rx_.resize(port->burst());
  e->batch_.resize(batch);
  e->batch_mbufs_.resize(batch);
  e->gather_.resize(batch * kMaxGatherFrame);
  e->now_ = now;
  // The first poll runs the ARP tick, which starts resolving the gateway.
  e->next_arp_tick_ = now;
  return e;
}

Engine::~Engine() {
  // The endpoint may still send (RSTs of aborted connections) while it is
  // destroyed; the ARP cache must outlive it, which member order ensures
  // only for members declared after it, so release it explicitly first.
  endpoint_.reset();
  arp_.DropAllPending();
  PushTx();
  rte_pktmbuf_free_bulk(stash_.data(), stash_n_);
  stash_n_ = 0;
}

uint16_t Engine::OwnerOf(uint16_t local_port, wire::Ipv4Addr remote,
                         uint16_t remote_port) const {
  if (port_->rss()) {
    // The queue the reply lands on: its source is the remote end.
    return port_->RssQueue(remote, remote_port, options_.address, local_port);
  }
  if (steer_) {
    return FlowOwner(remote, remote_port, options_.address, local_port,
                     steering_->engines());
  }
  return index_;
}

absl::StatusOr<tcp::ConnHandle> Engine::Connect(wire::Ipv4Addr remote,
                                                uint16_t remote_port,
                                                const tcp::ConnOptions& options,
                                                Instant now) {
  now_ = now;
  if (!port_->rss() && !steer_) {
    return endpoint_->Connect(options_.address, remote, remote_port, options,
                              now);
  }
  // Linux's ip_local_port_range, as Endpoint::Connect uses.
  constexpr uint32_t kFirst = 32768;
  constexpr uint32_t kLast = 60999;
  constexpr uint32_t kRange = kLast - kFirst + 1;
  for (uint32_t i = 0; i < kRange; ++i) {
    const auto port =
        static_cast<uint16_t>(kFirst + (port_cursor_ + i) % kRange);
    if (OwnerOf(port, remote, remote_port) != index_) {
      continue;
    }
    absl::StatusOr<tcp::ConnHandle> h = endpoint_->Connect(
        options_.address, remote, remote_port, options, now, port);
    if (h.ok()) {
      port_cursor_ = (port_cursor_ + i + 1) % kRange;
      return h;
    }
    if (h.status().code() != absl::StatusCode::kAlreadyExists) {
      return h.status();
    }
  }
  return absl::ResourceExhaustedError(
      "Engine::Connect: no free ephemeral port maps to this engine");
}

unsigned Engine::PollOnce(Instant now) {
  if (reflect_) {
    return PollReflect(now);
  }
  now_ = now;
  // Steered packets first: the other engines received them before this
  // iteration, so a flow whose packets arrive on both queues stays in order
  // as far as this engine can tell.
  unsigned handled = 0;
  if (sharing_) {
    const unsigned k = steering_->Receive(index_, rx_.data(), port_->burst());
    counters_.steered_in.Add(k);
    HandleFrames(rx_.data(), k, /*from_ring=*/true);
    DeliverTcp();
    handled += k;
  }
  const uint16_t received =
      port_->RxBurst(index_, rx_.data(), port_->burst(), &counters_);
  const uint16_t n = rx_tap_ != nullptr ? ApplyTap(received) : received;
  if (rx_fault_ != nullptr) {
    // The injector takes at most kMaxIn packets per call.
    for (uint16_t first = 0; first < n; first += FaultInjector::kMaxIn) {
      const size_t chunk =
          std::min<size_t>(FaultInjector::kMaxIn, size_t{n} - first);
      const size_t k = rx_fault_->Apply(rx_.data() + first, chunk, now,
                                        rx_fault_out_.data());
      HandleFrames(rx_fault_out_.data(), k, /*from_ring=*/false);
      DeliverTcp();
    }
  } else {
    HandleFrames(rx_.data(), n, /*from_ring=*/false);
    DeliverTcp();
  }
  handled += received;
  if (app_ != nullptr) {
    app_->Poll(now);
  }
  endpoint_->Flush(now);
  if (now >= endpoint_->NextDeadline()) {
    endpoint_->OnTimers(now);
  }
  if (tx_fault_ != nullptr && tx_fault_->held() > 0) {
    const size_t k = tx_fault_->Release(now, tx_fault_out_.data());
    for (size_t i = 0; i < k; ++i) {
      port_->Transmit(index_, tx_fault_out_[i], &counters_);
    }
    tx_pending_ = tx_pending_ || k > 0;
  }
  if (now >= next_arp_tick_) {
    arp_.Tick(now);
    // The gateway is resolved before anything needs it and again whenever
    // its entry went (no answer after max_probes): replies to a flood of
    // SYNs from off the prefix would otherwise queue behind the first
    // request and most be dropped (drop.arp_pending_full; 88 to 1,144 per
    // bench/synflood ratio trial before, sessions 8 to 11).
    // With engines sharing the port, engine 0 asks for all: the answer
    // reaches every engine through the ARP broadcast on the rings.
    if (options_.gateway.has_value() && (!sharing_ || index_ == 0)) {
      arp_.Solicit(*options_.gateway, now);
    }
    next_arp_tick_ = now + options_.arp_tick;
  }
  EndIteration(received, now);
  return handled;
}

void Engine::EndIteration(uint16_t received, Instant now) {
  // Send at once when the receive side went quiet (latency); under load the
  // TX buffer fills and leaves by itself, and the timed drain bounds a
  // partial buffer's wait (l3fwd's BURST_TX_DRAIN_US).
  PushTx();
  if (tx_pending_ && received < port_->burst()) {
    port_->Flush(index_, &counters_);
    tx_pending_ = false;
  } else {
    port_->Drain(index_, now, &counters_);
  }
}

unsigned Engine::PollReflect(Instant now) {
  now_ = now;
  // tern-reflect's loop body (app/tern-reflect/main.cc), on this engine's
  // queue pair and TX buffer: the frames leave as tern's own output does,
  // but past the TX fault injector (a held frame would wait for the next
  // TCP phase). IEEE 802.3: destination MAC at 0, EtherType at 12.
  constexpr size_t kEthType = 12;
  const uint16_t received =
      port_->RxBurst(index_, rx_.data(), port_->burst(), &counters_);
  for (uint16_t i = 0; i < received; ++i) {
    rte_mbuf* m = rx_[i];
    auto* p = rte_pktmbuf_mtod(m, uint8_t*);
    const bool one_segment = m->nb_segs == 1;
    const size_t len = rte_pktmbuf_data_len(m);
    const uint16_t type =
        len >= kEthType + 2 ? wire::LoadBe16(p + kEthType) : 0;
    if (type == wire::kEtherTypeArp && one_segment) {
      HandleFrame(m, /*from_ring=*/false);  // answered as always
      continue;
    }
    if (type != wire::kEtherTypeIpv4 || !one_segment ||
        len < wire::kReflectableFrameLen ||
        std::memcmp(p, port_->mac().octets.data(), 6) != 0) {
      Drop(m, PortDrop::kNotReflected);
      continue;
    }
    wire::SwapFrameAddresses({p, len});
    counters_.reflected.Inc();
    tx_pending_ = true;
    tx_out_[tx_out_n_++] = m;
    if (tx_out_n_ == tx_out_.size()) {
      PushTx();
    }
  }
  TERN_DCHECK(batch_n_ == 0);  // an ARP frame never enters the TCP batch
  EndIteration(received, now);
  return received;
}

void Engine::FlushTx() {
  PushTx();
  port_->Flush(index_, &counters_);
  tx_pending_ = false;
}

uint16_t Engine::ApplyTap(uint16_t n) {
  uint16_t kept = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (rx_tap_->Take(rx_[i])) {
      counters_.rx_tapped.Inc();
    } else {
      rx_[kept++] = rx_[i];
    }
  }
  return kept;
}

void Engine::Drop(rte_mbuf* m, PortDrop reason) {
  counters_.drops.Inc(reason);
  rte_pktmbuf_free(m);
}

rte_mbuf* Engine::NewMbuf() {
  if (stash_n_ == 0) {
    // Raw from the pool: rte_pktmbuf_alloc_bulk would reset all 32 at once,
    // each one's second cache line included, well before it is written.
    if (rte_mempool_get_bulk(port_->pool(),
                             reinterpret_cast<void**>(stash_.data()),
                             kMbufStash) != 0) {
      // Fewer than kMbufStash left in the pool: one at a time, so the last
      // mbufs are still used.
      return port_->AllocMbuf(&counters_);
    }
    stash_n_ = kMbufStash;
  }
  rte_mbuf* m = stash_[--stash_n_];
  ResetForTx(m);
  return m;
}

void Engine::ResetForTx(rte_mbuf* m) {
  // rte_pktmbuf_reset's work in the mbuf's first cache line. A pooled mbuf
  // already has next == NULL (rte_mbuf.h: every free path leaves it so, and
  // rte_mbuf_raw_alloc relies on it), as has a received one-segment mbuf;
  // tx_offload, in the second line, is set by whoever sets an offload flag.
  m->pkt_len = 0;
  m->data_len = 0;
  m->nb_segs = 1;  // first line too: only `next` relies on the pool
  m->vlan_tci = 0;
  m->vlan_tci_outer = 0;
  m->port = RTE_MBUF_PORT_INVALID;
  m->ol_flags &= RTE_MBUF_F_EXTERNAL;
  m->packet_type = 0;
  rte_pktmbuf_reset_headroom(m);
}

bool Engine::Reusable(const rte_mbuf* m) const {
  return m->pool == port_->pool() && m->nb_segs == 1 && RTE_MBUF_DIRECT(m) &&
         rte_mbuf_refcnt_read(m) == 1;
}

inline rte_mbuf* Engine::TakeReceived(const tcp::InSegment* seg) {
  // std::less: a total order even for pointers outside batch_.
  const std::less<const tcp::InSegment*> less;
  const tcp::InSegment* first = batch_.data();
  if (!delivering_ || less(seg, first) || !less(seg, first + batch_n_)) {
    return nullptr;
  }
  const auto slot = static_cast<size_t>(seg - first);
  rte_mbuf* m = batch_mbufs_[slot];
  if (m == nullptr || !Reusable(m)) {
    return nullptr;
  }
  batch_mbufs_[slot] = nullptr;
  ResetForTx(m);
  counters_.rx_mbufs_replied.Inc();
  return m;
}

void Engine::ParseDrop(rte_mbuf* m, wire::WireError reason) {
  counters_.parse_drops.Inc(reason);
  rte_pktmbuf_free(m);
}

void Engine::HandleFrames(rte_mbuf* const* frames, size_t n, bool from_ring) {
  // The headers of a frame a few places ahead are fetched while this one is
  // parsed (l3fwd's PREFETCH_OFFSET): a NIC's DMA leaves them outside the
  // cache, and the parse would otherwise wait for each in turn.
  // Two cache lines: a SYN's headers with options are 74 bytes (Ethernet,
  // IPv4, TCP with 20 bytes of options).
  const auto prefetch = [](const rte_mbuf* m) {
    const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
    rte_prefetch0(p);
    rte_prefetch0(p + RTE_CACHE_LINE_SIZE);
  };
  for (size_t i = 0; i < n && i < kPrefetchAhead; ++i) {
    prefetch(frames[i]);
  }
  for (size_t i = 0; i < n; ++i) {
    if (i + kPrefetchAhead < n) {
      prefetch(frames[i + kPrefetchAhead]);
    }
    HandleFrame(frames[i], from_ring);
  }
}

inline void Engine::AddToBatch(rte_mbuf* m, wire::Ipv4Addr src,
                               wire::Ipv4Addr dst) {
  tcp::InSegment& seg = batch_[batch_n_];
  seg.src = src;
  seg.dst = dst;
  batch_mbufs_[batch_n_] = m;
  ++batch_n_;
  counters_.tcp_in.Inc();
}

inline bool Engine::AcceptEthernet(rte_mbuf* m, const wire::MacAddr& dst,
                                   const wire::MacAddr& src) {
  if (dst != port_->mac() && !dst.IsBroadcast()) {
    Drop(m, PortDrop::kNotForUsMac);
    return false;
  }
  if (src.IsMulticast()) {
    Drop(m, PortDrop::kBadSource);
    return false;
  }
  return true;
}

inline bool Engine::AcceptIpv4(rte_mbuf* m, wire::Ipv4Addr src,
                               wire::Ipv4Addr dst) {
  if (dst != options_.address) {
    Drop(m, PortDrop::kNotForUsIp);
    return false;
  }
  switch (wire::CheckSource(src, options_.address)) {
    case wire::SourceCheck::kOk:
      return true;
    case wire::SourceCheck::kInvalid:
      Drop(m, PortDrop::kBadSource);
      return false;
    case wire::SourceCheck::kOwnAddress:
      Drop(m, PortDrop::kLandSource);
      return false;
  }
  return false;
}

inline bool Engine::SteerAway(rte_mbuf* m, wire::Ipv4Addr src, uint16_t sport,
                              wire::Ipv4Addr dst, uint16_t dport,
                              bool from_ring) {
  if (!steer_ || from_ring) {
    return false;
  }
  const uint16_t owner =
      FlowOwner(src, sport, dst, dport, steering_->engines());
  if (owner == index_) {
    return false;
  }
  if (steering_->Forward(owner, m)) {
    counters_.steered_out.Inc();
  } else {
    Drop(m, PortDrop::kSteeringRingFull);
  }
  return true;
}

void Engine::HandleFrame(rte_mbuf* m, bool from_ring) {
  // The frame's bytes: in place, or gathered from a chain into the batch
  // slot's buffer (TCP payload borrows from it until DeliverTcp).
  const size_t slot = batch_n_;
  std::span<const uint8_t> frame;
  if (m->nb_segs == 1) {
    frame = {rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m)};
  } else {
    const uint32_t len = rte_pktmbuf_pkt_len(m);
    if (len > kMaxGatherFrame || slot >= batch_mbufs_.size()) {
      Drop(m, PortDrop::kFrameTooLong);
      return;
    }
    uint8_t* buf = gather_.data() + slot * kMaxGatherFrame;
    const void* p = rte_pktmbuf_read(m, 0, len, buf);
    frame = {static_cast<const uint8_t*>(p), len};
  }

  // The common frame in one pass (wire::ParseTcpFrame). Anything it does not
  // take, another shape or any defect, goes the general way below, which
  // names the defect; what follows a successful parse is the general way's
  // checks in its order, so a frame is dropped for the same reason either
  // way (engine_test, the drop tests).
  const uint64_t ip_flags = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
  const uint64_t l4_flags = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
  const auto ip_mode = ip_flags == RTE_MBUF_F_RX_IP_CKSUM_GOOD
                           ? wire::Ipv4Repr::Checksum::kTrustNic
                           : wire::Ipv4Repr::Checksum::kVerify;
  const auto tcp_mode = l4_flags == RTE_MBUF_F_RX_L4_CKSUM_GOOD
                            ? wire::TcpRepr::Checksum::kTrustNic
                            : wire::TcpRepr::Checksum::kVerify;
  tcp::InSegment& seg = batch_[slot];
  if (ip_flags != RTE_MBUF_F_RX_IP_CKSUM_BAD &&
      l4_flags != RTE_MBUF_F_RX_L4_CKSUM_BAD) {
    wire::TcpFrameHeaders h;
    if (wire::ParseTcpFrame(frame, ip_mode, tcp_mode, &h, &seg.tcp)) {
      if (AcceptEthernet(m, h.eth_dst, h.eth_src) &&
          AcceptIpv4(m, h.ip_src, h.ip_dst) &&
          !SteerAway(m, h.ip_src, seg.tcp.src_port, h.ip_dst, seg.tcp.dst_port,
                     from_ring)) {
        AddToBatch(m, h.ip_src, h.ip_dst);
      }
      return;
    }
  }

  wire::EthernetRepr eth;
  size_t eth_len = 0;
  if (wire::WireError e = wire::EthernetRepr::Parse(frame, &eth, &eth_len);
      e != wire::WireError::kOk) {
    ParseDrop(m, e);
    return;
  }
  if (!AcceptEthernet(m, eth.dst, eth.src)) {
    return;
  }
  const std::span<const uint8_t> l3 = frame.subspan(eth_len);
  if (eth.ethertype == wire::kEtherTypeArp) {
    HandleArp(m, frame, l3, from_ring);
    return;
  }

  // IPv4 (the wire layer accepts nothing else besides ARP).
  if (ip_flags == RTE_MBUF_F_RX_IP_CKSUM_BAD) {
    Drop(m, PortDrop::kNicBadIpChecksum);
    return;
  }
  wire::Ipv4Repr ip;
  std::span<const uint8_t> l4;
  if (wire::WireError e = wire::Ipv4Repr::Parse(l3, ip_mode, &ip, &l4);
      e != wire::WireError::kOk) {
    ParseDrop(m, e);
    return;
  }
  if (!AcceptIpv4(m, ip.src, ip.dst)) {
    return;
  }
  if (ip.protocol == wire::kIpProtoIcmp) {
    if (!l4.empty() && IsIcmpError(l4[0])) {
      HandleIcmpError(m, l4, from_ring);
      return;
    }
    if (!l4.empty() && IsIgnoredIcmp(l4[0])) {
      Drop(m, PortDrop::kIcmpErrorIgnored);
      return;
    }
    Reply(frame);  // echo requests are answered; the responder counts others
    rte_pktmbuf_free(m);
    return;
  }
  if (ip.protocol != wire::kIpProtoTcp) {
    Drop(m, PortDrop::kUnsupportedIpProtocol);
    return;
  }
  if (l4.size() < 4) {
    ParseDrop(m, wire::WireError::kTcpTruncated);
    return;
  }
  const uint16_t sport = static_cast<uint16_t>((l4[0] << 8) | l4[1]);
  const uint16_t dport = static_cast<uint16_t>((l4[2] << 8) | l4[3]);
  if (SteerAway(m, ip.src, sport, ip.dst, dport, from_ring)) {
    return;
  }
  if (l4_flags == RTE_MBUF_F_RX_L4_CKSUM_BAD) {
    Drop(m, PortDrop::kNicBadL4Checksum);
    return;
  }
  if (wire::WireError e =
          wire::TcpRepr::Parse(l4, ip.src, ip.dst, tcp_mode, &seg.tcp);
      e != wire::WireError::kOk) {
    ParseDrop(m, e);
    return;
  }
  AddToBatch(m, ip.src, ip.dst);
}

void Engine::DeliverTcp() {
  // The whole burst in one call: the endpoint looks its 4-tuples up
  // together (ConnTable::FindBurst with prefetching).
  if (batch_n_ > 0) {
    delivering_ = true;
    endpoint_->OnSegments({batch_.data(), batch_n_}, now_);
    delivering_ = false;
    // The endpoint copied what it keeps: the mbufs are done with.
    RecycleReceived(batch_mbufs_.data(), batch_n_);
  }
  batch_n_ = 0;
}

void Engine::RecycleReceived(rte_mbuf** mbufs, size_t n) {
  const unsigned stashed_before = stash_n_;
  size_t freed = 0;
  for (size_t i = 0; i < n; ++i) {
    rte_mbuf* m = mbufs[i];
    if (m == nullptr) {
      continue;  // it carries a reply (TakeReceived)
    }
    // What rte_pktmbuf_free would put back as it is: one direct segment of
    // the port's pool that nobody else holds (its `next` is already NULL,
    // as the pool requires). Anything else is freed the ordinary way.
    if (stash_n_ < kMbufStash && Reusable(m)) {
      stash_[stash_n_++] = m;
    } else {
      mbufs[freed++] = m;
    }
  }
  counters_.rx_mbufs_reused.Add(stash_n_ - stashed_before);
  if (freed > 0) {
    rte_pktmbuf_free_bulk(mbufs, static_cast<unsigned>(freed));
  }
}

void Engine::HandleIcmpError(rte_mbuf* m, std::span<const uint8_t> message,
                             bool from_ring) {
  wire::IcmpRepr icmp;
  if (wire::WireError e = wire::IcmpRepr::Parse(message, &icmp);
      e != wire::WireError::kOk) {
    ParseDrop(m, e);
    return;
  }
  // The quoted datagram: our IPv4 header and at least the first 8 bytes of
  // its TCP header (RFC 792), enough for the ports and the sequence number.
  const std::span<const uint8_t> q = icmp.data;
  if (q.size() < wire::kIpv4MinHeaderLen || (q[0] >> 4) != 4) {
    Drop(m, PortDrop::kIcmpQuoteMalformed);
    return;
  }
  const size_t ihl = size_t{q[0] & 0x0fu} * 4;
  constexpr size_t kQuotedTcpBytes = 8;  // RFC 792: 64 bits of the payload
  if (ihl < wire::kIpv4MinHeaderLen || q.size() < ihl + kQuotedTcpBytes) {
    Drop(m, PortDrop::kIcmpQuoteMalformed);
    return;
  }
  const wire::Ipv4Addr quoted_src{wire::LoadBe32(q.data() + 12)};
  const wire::Ipv4Addr quoted_dst{wire::LoadBe32(q.data() + 16)};
  // Only an error about a TCP segment we sent concerns a connection.
  if (q[9] != wire::kIpProtoTcp || quoted_src != options_.address) {
    Drop(m, PortDrop::kIcmpNotAboutUs);
    return;
  }
  const uint8_t* t = q.data() + ihl;
  const uint16_t local_port = wire::LoadBe16(t);
  const uint16_t remote_port = wire::LoadBe16(t + 2);
  // The connection's engine, which an error routed by its outer addresses
  // (a router's) rarely reaches first.
  if (sharing_ && !from_ring) {
    const uint16_t owner = OwnerOf(local_port, quoted_dst, remote_port);
    if (owner != index_) {
      if (steering_->Forward(owner, m)) {
        counters_.steered_out.Inc();
      } else {
        Drop(m, PortDrop::kSteeringRingFull);
      }
      return;
    }
  }
  tcp::IcmpError e;
  switch (icmp.type) {
    case wire::IcmpType::kDestinationUnreachable:
      e.kind = icmp.code == wire::kIcmpCodeFragmentationNeeded
                   ? tcp::IcmpError::Kind::kFragmentationNeeded
                   : tcp::IcmpError::Kind::kUnreachable;
      break;
    case wire::IcmpType::kTimeExceeded:
      e.kind = tcp::IcmpError::Kind::kTimeExceeded;
      break;
    default:
      e.kind = tcp::IcmpError::Kind::kParameterProblem;
      break;
  }
  e.code = icmp.code;
  e.next_hop_mtu = icmp.next_hop_mtu;
  e.quoted_length = wire::LoadBe16(q.data() + 2);
  e.tuple = tcp::FourTuple{quoted_src, quoted_dst, local_port, remote_port};
  e.seq = SeqNum(wire::LoadBe32(t + 4));
  counters_.icmp_errors_in.Inc();
  endpoint_->OnIcmpError(e, now_);
  rte_pktmbuf_free(m);
}

void Engine::HandleArp(rte_mbuf* m, std::span<const uint8_t> frame,
                       std::span<const uint8_t> arp_bytes, bool from_ring) {
  wire::ArpRepr arp;
  if (wire::WireError e = wire::ArpRepr::Parse(arp_bytes, &arp);
      e != wire::WireError::kOk) {
    ParseDrop(m, e);
    return;
  }
  // RFC 826 "Packet Reception": update an existing entry for the sender
  // (merge flag); add it when we are the target.
  const bool for_us = arp.target_ip == options_.address;
  if (arp.sender_ip.value != 0 && arp.sender_ip != options_.address) {
    arp_.Learn(arp.sender_ip, arp.sender_mac, now_, /*update_only=*/!for_us);
  }
  if (from_ring) {
    rte_pktmbuf_free(m);  // another engine answered it; we only learn
    return;
  }
  if (sharing_) {
    const unsigned others = steering_->engines() - 1u;
    const unsigned sent = steering_->Broadcast(index_, m);
    counters_.drops.Add(PortDrop::kSteeringRingFull, others - sent);
  }
  if (arp.op == wire::ArpOp::kRequest && for_us) {
    counters_.arp_requests_in.Inc();
  }
  if (arp.op == wire::ArpOp::kReply) {
    counters_.arp_replies_in.Inc();  // learnt above
    rte_pktmbuf_free(m);
    return;
  }
  Reply(frame);  // answers a request for us; counts any other as a drop
  rte_pktmbuf_free(m);
}

void Engine::Reply(std::span<const uint8_t> frame) {
  rte_mbuf* reply = NewMbuf();
  if (reply == nullptr) {
    return;
  }
  const std::span<uint8_t> out(rte_pktmbuf_mtod(reply, uint8_t*),
                               rte_pktmbuf_tailroom(reply));
  const size_t len = responder_.Respond(frame, out);
  if (len == 0) {
    rte_pktmbuf_free(reply);
    return;
  }
  reply->data_len = static_cast<uint16_t>(len);
  reply->pkt_len = static_cast<uint32_t>(len);
  Transmit(reply);
}

void Engine::Transmit(rte_mbuf* m) {
  tx_pending_ = true;
  if (tx_fault_ == nullptr) {
    tx_out_[tx_out_n_++] = m;
    if (tx_out_n_ == tx_out_.size()) {
      PushTx();
    }
    return;
  }
  const size_t k = tx_fault_->Apply(&m, 1, now_, tx_fault_out_.data());
  for (size_t i = 0; i < k; ++i) {
    port_->Transmit(index_, tx_fault_out_[i], &counters_);
  }
}

void Engine::PushTx() {
  if (tx_out_n_ > 0) {
    port_->TransmitBurst(index_, tx_out_.data(),
                         static_cast<uint16_t>(tx_out_n_), &counters_);
    tx_out_n_ = 0;
  }
}

bool Engine::NextHop(wire::Ipv4Addr dst, wire::Ipv4Addr* next_hop) {
  if ((dst.value & netmask_) == (options_.address.value & netmask_)) {
    *next_hop = dst;
    return true;
  }
  if (!options_.gateway.has_value()) {
    counters_.drops.Inc(PortDrop::kNoRoute);
    return false;
  }
  *next_hop = *options_.gateway;
  return true;
}

inline rte_mbuf* Engine::FrameMbuf(const tcp::InSegment* reply_to) {
  // A reply to a received segment is built in that segment's mbuf when it
  // can be (its header lines are in the cache from the parse); else in a
  // fresh one.
  rte_mbuf* m = reply_to != nullptr ? TakeReceived(reply_to) : nullptr;
  return m != nullptr ? m : NewMbuf();
}

uint8_t* Engine::SizeFrame(rte_mbuf* m, size_t total) {
  if (total > rte_pktmbuf_tailroom(m)) {
    Drop(m, PortDrop::kSegmentTooLarge);
    return nullptr;
  }
  // Set directly: rte_pktmbuf_append would walk to the last segment through
  // the second cache line.
  m->data_len = static_cast<uint16_t>(total);
  m->pkt_len = static_cast<uint32_t>(total);
  return rte_pktmbuf_mtod(m, uint8_t*);
}

void Engine::SendSynAck(const tcp::SynAckSegment& segment) {
  wire::Ipv4Addr next_hop;
  if (rte_mbuf* m = WriteSynAck(segment, &next_hop)) {
    Resolve(m, next_hop);
  }
}

void Engine::SendSynAcks(std::span<const tcp::SynAckSegment> segments) {
  // A flood's SYN-ACKs mostly share a next hop (the gateway). Within this
  // call no ARP frame is handled and now_ stands, so the cache would give a
  // hop it resolved once the same address again, with nothing else to do.
  bool known = false;
  wire::Ipv4Addr hop;
  wire::MacAddr mac;
  for (const tcp::SynAckSegment& segment : segments) {
    wire::Ipv4Addr next_hop;
    rte_mbuf* m = WriteSynAck(segment, &next_hop);
    if (m == nullptr) {
      continue;
    }
    if (known && next_hop == hop) {
      SendPending(m, mac);
      continue;
    }
    known = Resolve(m, next_hop, &mac);
    hop = next_hop;
  }
}

inline rte_mbuf* Engine::WriteSynAck(const tcp::SynAckSegment& segment,
                                     wire::Ipv4Addr* next_hop) {
  if (!NextHop(segment.dst, next_hop)) {
    return nullptr;
  }
  rte_mbuf* m = FrameMbuf(segment.reply_to);
  if (m == nullptr) {
    return nullptr;
  }
  const wire::TcpHeaderTemplate& t = *segment.header_template;
  const size_t tcp_header = t.header_len();
  const size_t total =
      wire::kEthHeaderLen + wire::kIpv4MinHeaderLen + tcp_header;
  // At most 94 bytes (a 60-byte TCP header): an mbuf's data room always
  // holds it, but the check costs nothing next to the writes.
  uint8_t* p = SizeFrame(m, total);
  if (p == nullptr) {
    return nullptr;
  }
  const PortOffloads& off = port_->offloads();
  EmitHeaders(p, segment.src, segment.dst, static_cast<uint16_t>(tcp_header),
              off.tx_ipv4_cksum);
  t.Emit({p + wire::kEthHeaderLen + wire::kIpv4MinHeaderLen, tcp_header},
         segment.src_port, segment.dst_port, segment.seq.raw(),
         segment.ack.raw(), segment.tsval, segment.tsecr, segment.src,
         segment.dst, off.tx_tcp_cksum);
  SetChecksumOffloads(m, off);
  return m;
}

void Engine::Send(const tcp::OutSegment& segment) {
  wire::Ipv4Addr next_hop;
  if (!NextHop(segment.dst, &next_hop)) {
    return;
  }
  if (port_->offloads().tx_multi_seg) {
    for (size_t i = 0; i < segment.payload.count; ++i) {
      if (segment.payload.owner[i] == &mbuf_owner_) {
        SendChained(segment, next_hop);
        return;
      }
    }
  }
  // A reply built in the received mbuf overwrites it: its payload must not
  // borrow from there (none does: only SYN-ACKs name what they answer).
  TERN_DCHECK(segment.reply_to == nullptr || segment.payload.count == 0);
  rte_mbuf* m = FrameMbuf(segment.reply_to);
  if (m == nullptr) {
    return;
  }
  // A listener's SYN-ACKs come through SendSynAck; a template given here
  // (a caller's ToOutSegment) lays out the same bytes as TcpRepr::Emit.
  const size_t tcp_header = segment.tcp.HeaderLen();
  const size_t payload = segment.PayloadLen();
  const size_t l3_len = wire::kIpv4MinHeaderLen + tcp_header + payload;
  const size_t total = wire::kEthHeaderLen + l3_len;
  uint8_t* p = SizeFrame(m, total);
  if (p == nullptr) {
    return;
  }
  uint8_t* tcp_at = p + wire::kEthHeaderLen + wire::kIpv4MinHeaderLen;
  // The payload goes straight to its place; TcpRepr::Emit leaves a payload
  // that already sits after the header untouched.
  segment.payload.CopyTo({tcp_at + tcp_header, payload});

  const PortOffloads& off = port_->offloads();
  EmitHeaders(p, segment.src, segment.dst,
              static_cast<uint16_t>(tcp_header + payload), off.tx_ipv4_cksum);
  wire::TcpRepr tcp = segment.tcp;
  tcp.payload = {tcp_at + tcp_header, payload};
  tcp.Emit({tcp_at, tcp_header + payload}, segment.src, segment.dst,
           off.tx_tcp_cksum);
  SetChecksumOffloads(m, off);
  Resolve(m, next_hop);
}

void Engine::SetChecksumOffloads(rte_mbuf* m, const PortOffloads& off) {
  if (!off.tx_ipv4_cksum && !off.tx_tcp_cksum) {
    return;
  }
  m->tx_offload = 0;  // not reset by NewMbuf
  m->l2_len = wire::kEthHeaderLen;
  m->l3_len = wire::kIpv4MinHeaderLen;
  m->ol_flags |= RTE_MBUF_F_TX_IPV4;
  if (off.tx_ipv4_cksum) {
    m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
  }
  if (off.tx_tcp_cksum) {
    m->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM;
  }
}

void Engine::BuildHeaderTemplate() {
  wire::EthernetRepr eth;
  eth.src = port_->mac();  // dst: written when the next hop is resolved
  eth.ethertype = wire::kEtherTypeIpv4;
  eth.Emit({l2l3_.data(), wire::kEthHeaderLen});
  wire::Ipv4Repr ip;
  ip.src = options_.address;
  ip.protocol = wire::kIpProtoTcp;
  // With DF set the ID has no meaning (RFC 6864 section 4.1).
  ip.id = 0;
  ip.dont_fragment = true;
  uint8_t* ip_at = l2l3_.data() + wire::kEthHeaderLen;
  ip.Emit({ip_at, wire::kIpv4MinHeaderLen}, /*checksum_offload=*/true);
  // Total length and destination stay zero in the template, so its sum is
  // that of the fields every frame shares (RFC 1071: the sum of the words
  // of the others is added per frame).
  wire::StoreBe16(ip_at + 2, 0);
  l3_sum_ = wire::ChecksumPartial({ip_at, wire::kIpv4MinHeaderLen});
}

inline void Engine::EmitHeaders(uint8_t* frame, wire::Ipv4Addr src,
                                wire::Ipv4Addr dst, uint16_t l4_len,
                                bool checksum_offload) const {
  if (src != options_.address) {
    // Not this engine's address (no segment of the endpoint has another):
    // the general emitter.
    wire::Ipv4Repr ip;
    ip.src = src;
    ip.dst = dst;
    ip.protocol = wire::kIpProtoTcp;
    ip.id = 0;
    ip.dont_fragment = true;
    ip.payload_len = l4_len;
    ip.Emit({frame + wire::kEthHeaderLen, wire::kIpv4MinHeaderLen},
            checksum_offload);
    std::memcpy(frame, l2l3_.data(), wire::kEthHeaderLen);
    return;
  }
  std::memcpy(frame, l2l3_.data(), l2l3_.size());
  uint8_t* ip_at = frame + wire::kEthHeaderLen;
  const uint32_t total = wire::kIpv4MinHeaderLen + uint32_t{l4_len};
  wire::StoreBe16(ip_at + 2, static_cast<uint16_t>(total));
  wire::StoreBe32(ip_at + 16, dst.value);
  if (!checksum_offload) {
    wire::StoreBe16(
        ip_at + 10,
        wire::ChecksumFinish(l3_sum_ + total + wire::ChecksumWords(dst.value)));
  }
}

bool Engine::Resolve(rte_mbuf* m, wire::Ipv4Addr next_hop, wire::MacAddr* mac) {
  switch (arp_.Resolve(next_hop, now_, m, mac)) {
    case ArpCache::Result::kResolved:
      SendPending(m, *mac);
      return true;
    case ArpCache::Result::kQueued:
      return false;
    case ArpCache::Result::kDroppedPendingFull:
      Drop(m, PortDrop::kArpPendingFull);
      return false;
    case ArpCache::Result::kDroppedTableFull:
      Drop(m, PortDrop::kArpTableFull);
      return false;
  }
  return false;
}

void Engine::SendChained(const tcp::OutSegment& segment,
                         wire::Ipv4Addr next_hop) {
  rte_mbuf* head = NewMbuf();
  if (head == nullptr) {
    return;
  }
  const size_t tcp_header = segment.tcp.HeaderLen();
  const size_t payload = segment.PayloadLen();
  const size_t headers =
      wire::kEthHeaderLen + wire::kIpv4MinHeaderLen + tcp_header;
  auto* p = reinterpret_cast<uint8_t*>(
      rte_pktmbuf_append(head, static_cast<uint16_t>(headers)));
  if (p == nullptr) {
    Drop(head, PortDrop::kSegmentTooLarge);
    return;
  }
  const PortOffloads& off = port_->offloads();
  // The payload, in stream order: copies into direct mbufs (the header
  // mbuf first), referenced memory as indirect mbufs attached to the mbuf
  // that holds it, so a retransmission sends that same memory again. The
  // software checksum sums each piece; a piece that starts at an odd offset
  // of the payload contributes its sum byte-swapped (RFC 1071 section 2(B)).
  uint32_t payload_sum = 0;
  size_t offset = 0;
  rte_mbuf* tail = head;
  for (size_t i = 0; i < segment.payload.count; ++i) {
    const std::span<const uint8_t> span = segment.payload.span[i];
    if (span.empty()) {
      continue;
    }
    if (segment.payload.owner[i] == &mbuf_owner_) {
      rte_mbuf* seg = NewMbuf();
      if (seg == nullptr) {
        rte_pktmbuf_free(head);
        return;
      }
      auto* source = reinterpret_cast<rte_mbuf*>(segment.payload.token[i]);
      rte_pktmbuf_attach(seg, source);
      seg->data_off = static_cast<uint16_t>(
          span.data() - static_cast<const uint8_t*>(seg->buf_addr));
      seg->data_len = static_cast<uint16_t>(span.size());
      seg->pkt_len = seg->data_len;
      tail->next = seg;
      tail = seg;
      ++head->nb_segs;
    } else {
      if (!RTE_MBUF_DIRECT(tail) || rte_pktmbuf_tailroom(tail) < span.size()) {
        rte_mbuf* seg = NewMbuf();
        if (seg == nullptr) {
          rte_pktmbuf_free(head);
          return;
        }
        tail->next = seg;
        tail = seg;
        ++head->nb_segs;
      }
      uint8_t* dst = reinterpret_cast<uint8_t*>(
          rte_pktmbuf_append(tail, static_cast<uint16_t>(span.size())));
      std::memcpy(dst, span.data(), span.size());
      if (tail != head) {
        tail->pkt_len = tail->data_len;
      }
    }
    if (!off.tx_tcp_cksum) {
      uint32_t part = wire::ChecksumPartial(span);
      if (offset % 2 == 1) {
        part = ((part & 0xff) << 8) | (part >> 8);
      }
      payload_sum += part;
    }
    offset += span.size();
  }
  head->pkt_len = static_cast<uint32_t>(headers + payload);

  uint8_t* tcp_at = p + wire::kEthHeaderLen + wire::kIpv4MinHeaderLen;
  EmitHeaders(p, segment.src, segment.dst,
              static_cast<uint16_t>(tcp_header + payload), off.tx_ipv4_cksum);
  wire::TcpRepr tcp = segment.tcp;
  tcp.payload = {};
  // The header alone, its checksum field then set for the whole segment.
  tcp.Emit({tcp_at, tcp_header}, segment.src, segment.dst,
           /*checksum_offload=*/true);
  const uint32_t pseudo =
      wire::PseudoHeaderSum(segment.src, segment.dst, wire::kIpProtoTcp,
                            static_cast<uint16_t>(tcp_header + payload));
  uint16_t field = 0;
  if (off.tx_tcp_cksum) {
    field = wire::ChecksumFold(pseudo);
  } else {
    tcp_at[16] = 0;
    tcp_at[17] = 0;
    field = wire::ChecksumFinish(
        wire::ChecksumPartial({tcp_at, tcp_header}, pseudo) + payload_sum);
  }
  tcp_at[16] = static_cast<uint8_t>(field >> 8);
  tcp_at[17] = static_cast<uint8_t>(field);
  SetChecksumOffloads(head, off);
  counters_.tx_zero_copy.Inc();
  Resolve(head, next_hop);
}

void Engine::MbufOwner::Release(uint64_t token) {
  rte_pktmbuf_free(reinterpret_cast<rte_mbuf*>(token));
}

namespace {

// A payload kept in one mbuf (direct, or attached to an external buffer),
// referenced once per Ref().
class PinnedMbuf final : public tcp::PinnedPayload {
 public:
  PinnedMbuf(rte_mbuf* m, tcp::PayloadOwner* owner) : m_(m), owner_(owner) {}
  ~PinnedMbuf() override { rte_pktmbuf_free(m_); }
  std::span<const uint8_t> bytes() const override {
    return {rte_pktmbuf_mtod(m_, const uint8_t*), rte_pktmbuf_data_len(m_)};
  }
  tcp::PayloadRef Ref() override {
    rte_mbuf_refcnt_update(m_, 1);
    return tcp::PayloadRef{bytes(), owner_, reinterpret_cast<uint64_t>(m_)};
  }

 private:
  rte_mbuf* m_;
  tcp::PayloadOwner* owner_;
};

void FreeExternal(void* addr, void* /*opaque*/) { rte_free(addr); }

}  // namespace

std::unique_ptr<tcp::PinnedPayload> Engine::Pin(
    std::span<const uint8_t> bytes) {
  // 64 KiB less 1 KiB: the external buffer's length is 16 bits and its
  // shared-info block sits at its end.
  constexpr size_t kMaxPinned = 64 * 1024 - 1024;
  if (bytes.empty() || bytes.size() > kMaxPinned) {
    return nullptr;
  }
  rte_mbuf* m = NewMbuf();
  if (m == nullptr) {
    return nullptr;
  }
  if (bytes.size() > rte_pktmbuf_tailroom(m)) {
    uint16_t buf_len = static_cast<uint16_t>(
        bytes.size() + sizeof(rte_mbuf_ext_shared_info) + 64);
    void* buf = rte_malloc_socket("tern_pinned", buf_len, RTE_CACHE_LINE_SIZE,
                                  rte_eth_dev_socket_id(port_->port_id()));
    if (buf == nullptr) {
      rte_pktmbuf_free(m);
      return nullptr;
    }
    rte_mbuf_ext_shared_info* shinfo = rte_pktmbuf_ext_shinfo_init_helper(
        buf, &buf_len, &FreeExternal, nullptr);
    if (shinfo == nullptr || buf_len < bytes.size()) {
      rte_free(buf);
      rte_pktmbuf_free(m);
      return nullptr;
    }
    rte_pktmbuf_attach_extbuf(m, buf, rte_malloc_virt2iova(buf), buf_len,
                              shinfo);
    m->data_off = 0;
  }
  auto* dst = reinterpret_cast<uint8_t*>(
      rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size())));
  if (dst == nullptr) {
    rte_pktmbuf_free(m);
    return nullptr;
  }
  std::memcpy(dst, bytes.data(), bytes.size());
  return std::make_unique<PinnedMbuf>(m, &mbuf_owner_);
}

void Engine::SendPending(ArpCache::Packet pkt, const wire::MacAddr& mac) {
  auto* m = static_cast<rte_mbuf*>(pkt);
  std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), mac.octets.data(),
              mac.octets.size());
  Transmit(m);
}

void Engine::DropPending(ArpCache::Packet pkt) {
  Drop(static_cast<rte_mbuf*>(pkt), PortDrop::kArpUnresolved);
}

void Engine::SendArpRequest(wire::Ipv4Addr ip) {
  rte_mbuf* m = NewMbuf();
  if (m == nullptr) {
    return;
  }
  const size_t len =
      std::max(wire::kEthHeaderLen + wire::kArpLen, kEthMinFrameLen);
  uint8_t* p = reinterpret_cast<uint8_t*>(
      rte_pktmbuf_append(m, static_cast<uint16_t>(len)));
  std::memset(p, 0, len);
  wire::EthernetRepr eth;
  eth.dst = wire::MacAddr::Broadcast();
  eth.src = port_->mac();
  eth.ethertype = wire::kEtherTypeArp;
  eth.Emit({p, wire::kEthHeaderLen});
  const wire::ArpRepr req{
      .op = wire::ArpOp::kRequest,
      .sender_mac = port_->mac(),
      .sender_ip = options_.address,
      .target_mac = {},
      .target_ip = ip,
  };
  req.Emit({p + wire::kEthHeaderLen, wire::kArpLen});
  Transmit(m);
}

void Engine::SendGratuitousArp() {
  // RFC 5227 section 2.3: an announcement is a request with sender and
  // target protocol address both ours.
  SendArpRequest(options_.address);
  FlushTx();
}

void Engine::Shutdown(Instant now) {
  now_ = now;
  endpoint_->Flush(now);
  if (rx_fault_ != nullptr) {
    rx_fault_->Flush();
  }
  if (tx_fault_ != nullptr) {
    tx_fault_->Flush();
  }
  FlushTx();
  arp_.DropAllPending();
  if (sharing_) {
    rte_mbuf* m[64];
    unsigned k = 0;
    while ((k = steering_->Receive(index_, m, 64)) > 0) {
      rte_pktmbuf_free_bulk(m, k);
    }
  }
}

}  // namespace tern::port
