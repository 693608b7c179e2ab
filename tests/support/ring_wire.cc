#include "tests/support/ring_wire.h"

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "lib/wire/ethernet.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/tcp_header.h"

namespace tern::port::testing {
namespace {

// Wires made so far in this process: names of vdevs, rings and MACs must
// not repeat while an earlier wire's device may still be registered.
unsigned next_wire = 0;

absl::Status RteError(absl::string_view what, int e) {
  return absl::InternalError(
      absl::StrCat(what, ": ", rte_strerror(e), " (errno ", e, ")"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<RingWire>> RingWire::Create(
    const RingWireOptions& options) {
  const unsigned n = next_wire++;
  std::unique_ptr<RingWire> w(new RingWire());
  const std::string ab_name = absl::StrCat("wire", n, "_ab");
  const std::string ba_name = absl::StrCat("wire", n, "_ba");
  // One thread drives both ends: single producer, single consumer.
  const unsigned flags = RING_F_SP_ENQ | RING_F_SC_DEQ;
  const int socket = static_cast<int>(rte_socket_id());
  w->ab_ = rte_ring_create(ab_name.c_str(), options.ring_size, socket, flags);
  if (w->ab_ == nullptr) {
    return RteError(absl::StrCat("rte_ring_create(", ab_name, ")"), rte_errno);
  }
  w->ba_ = rte_ring_create(ba_name.c_str(), options.ring_size, socket, flags);
  if (w->ba_ == nullptr) {
    return RteError(absl::StrCat("rte_ring_create(", ba_name, ")"), rte_errno);
  }

  struct Side {
    const char* suffix;
    rte_ring* rx;
    rte_ring* tx;
    uint8_t mac_last;
    PortCounters* counters;
    std::unique_ptr<EthdevPort>* port;
  };
  const Side sides[] = {
      {"a", w->ba_, w->ab_, 0x0a, &w->a_counters_, &w->a_},
      {"b", w->ab_, w->ba_, 0x0b, &w->b_counters_, &w->b_},
  };
  for (const Side& s : sides) {
    const std::string ring_name = absl::StrCat("wire", n, s.suffix);
    rte_ring* rx = s.rx;
    rte_ring* tx = s.tx;
    const int port_id = rte_eth_from_rings(ring_name.c_str(), &rx, 1, &tx, 1,
                                           static_cast<unsigned>(socket));
    if (port_id < 0) {
      return RteError(absl::StrCat("rte_eth_from_rings(", ring_name, ")"),
                      rte_errno);
    }
    // The device is named "net_ring_" + the name given; EthdevPort looks
    // ports up by device name, so ask DPDK rather than repeat its rule.
    char dev_name[RTE_ETH_NAME_MAX_LEN];
    if (int rc = rte_eth_dev_get_name_by_port(static_cast<uint16_t>(port_id),
                                              dev_name);
        rc != 0) {
      return RteError("rte_eth_dev_get_name_by_port", -rc);
    }
    const std::string name = dev_name;
    EthdevPortOptions po;
    po.name = name;
    po.mbufs = options.mbufs;
    po.rx_ring = options.rx_ring;
    po.tx_ring = options.tx_ring;
    po.burst = options.burst;
    // Two engines on one wire need two addresses, or each would take the
    // other's frames for its own; net_ring gives every device the same.
    // Locally administered (bit 1 of the first octet), unicast.
    po.mac = wire::MacAddr{
        {0x02, 0x00, 0x00, 0x00, static_cast<uint8_t>(n & 0xff), s.mac_last}};
    absl::StatusOr<std::unique_ptr<EthdevPort>> port =
        EthdevPort::Create(po, s.counters);
    if (!port.ok()) {
      return port.status();
    }
    *s.port = std::move(*port);
  }
  if (w->a_->mac() == w->b_->mac()) {
    return absl::InternalError(absl::StrCat(
        "ring wire ", n, ": both ports have MAC ", w->a_->mac().ToString()));
  }
  return w;
}

RingWire::~RingWire() {
  FreeInFlight();
  // The ports first: a net_ring device made from our rings does not free
  // them when closed (it only frees rings it created itself).
  a_.reset();
  b_.reset();
  rte_ring_free(ab_);
  rte_ring_free(ba_);
}

unsigned RingWire::InFlight() const {
  return (ab_ != nullptr ? rte_ring_count(ab_) : 0) +
         (ba_ != nullptr ? rte_ring_count(ba_) : 0);
}

unsigned RingWire::FreeInFlight() {
  unsigned freed = 0;
  for (rte_ring* r : {ab_, ba_}) {
    if (r == nullptr) {
      continue;
    }
    void* m[64];
    unsigned k = 0;
    while ((k = rte_ring_dequeue_burst(r, m, 64, nullptr)) > 0) {
      rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(m), k);
      freed += k;
    }
  }
  return freed;
}

std::vector<uint8_t> SynFrame(const SynFrameSpec& spec) {
  wire::TcpRepr tcp;
  tcp.src_port = spec.src_port;
  tcp.dst_port = spec.dst_port;
  tcp.seq = SeqNum(spec.isn);
  tcp.flags = wire::tcp_flags::kSyn;
  tcp.window = 64240;
  tcp.options.mss = 1460;
  tcp.options.sack_permitted = true;
  tcp.options.timestamps = wire::TcpTimestamps{spec.tsval, 0};
  tcp.options.window_scale = 7;
  wire::Ipv4Repr ip;
  ip.src = spec.src;
  ip.dst = spec.dst;
  ip.protocol = wire::kIpProtoTcp;
  ip.payload_len = static_cast<uint16_t>(tcp.BufferLen());
  wire::EthernetRepr eth;
  eth.src = spec.src_mac;
  eth.dst = spec.dst_mac;
  eth.ethertype = wire::kEtherTypeIpv4;
  std::vector<uint8_t> f(eth.BufferLen() + ip.BufferLen());
  eth.Emit({f.data(), eth.BufferLen()});
  ip.Emit({f.data() + eth.BufferLen(), ip.HeaderLen()});
  tcp.Emit({f.data() + eth.BufferLen() + ip.HeaderLen(), tcp.BufferLen()},
           ip.src, ip.dst);
  return f;
}

rte_mbuf* MbufOf(rte_mempool* pool, std::span<const uint8_t> bytes) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (m == nullptr) {
    return nullptr;
  }
  if (bytes.size() > rte_pktmbuf_tailroom(m) ||
      rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size())) == nullptr) {
    rte_pktmbuf_free(m);
    return nullptr;
  }
  std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), bytes.data(), bytes.size());
  return m;
}

}  // namespace tern::port::testing
