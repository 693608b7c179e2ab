// Engine: one lcore's TCP terminator over one queue pair of a port.
//
// It owns the lcore's tcp::Endpoint (connection table, listeners, SYN and
// accept queues, timer wheel), its ARP cache and the mbuf <-> segment codec,
// and runs DPDK l3fwd's loop body: receive a burst, parse it in place,
// hand the TCP segments to the endpoint, let the application act, flush the
// coalesced output, run due timers, transmit. Nothing here is shared with
// another lcore except the steering rings (lock-free) and the SYN-cookie
// secret store (read-mostly, lock-free readers).
//
// Contract:
// - Received frames: Ethernet to our MAC or broadcast; ARP requests for our
//   address are answered (RFC 826) and teach the ARP cache; ARP replies
//   teach it; ICMP echo requests are answered (RFC 792); IPv4 to our address
//   carrying TCP goes to the endpoint. Checksums the NIC verified
//   (RTE_MBUF_F_RX_*_CKSUM_GOOD) are trusted, ones it flagged bad are
//   dropped, the rest are verified in software. Chained mbufs are gathered
//   and read. Every frame that is not answered or handed to the endpoint is
//   counted under one named drop reason (PortCounters).
// - Sent segments (SegmentSink::Send, and a listener's SYN-ACKs through
//   SendSynAck): Ethernet + IPv4 + TCP headers are written into an mbuf of
//   the port's pool (a SYN-ACK into the mbuf of the SYN it answers while
//   that SYN is being delivered, tcp::OutSegment::reply_to; any other frame
//   into a fresh one) and the payload is copied after them; checksums are
//   left to the NIC where it offers TX offload.
//   The next hop (the destination on-link, else the gateway) is resolved
//   through the ARP cache; a frame waiting for an answer is held there.
// - Every mbuf is freed exactly once: received ones after their segment was
//   processed (or steered, or dropped; kept for the next frames built, or
//   sent as the reply they carry), sent ones by the driver, held ones
//   when the ARP cache sends or drops them (Shutdown drops what is left).
// - Single-threaded: every call comes from the owning lcore.
#ifndef TERN_LIB_PORT_ENGINE_H_
#define TERN_LIB_PORT_ENGINE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/base/time.h"
#include "lib/port/arp_cache.h"
#include "lib/port/dpdk_buffers.h"
#include "lib/port/ethdev_port.h"
#include "lib/port/fault_injection.h"
#include "lib/port/port_counters.h"
#include "lib/port/responder.h"
#include "lib/port/steering.h"
#include "lib/tcp/cookie_secrets.h"
#include "lib/tcp/endpoint.h"
#include "lib/wire/ethernet.h"
#include "lib/wire/ipv4.h"

struct rte_mbuf;

namespace tern::port {

struct EngineOptions {
  wire::Ipv4Addr address;
  uint8_t prefix_len = 24;
  // Next hop for destinations off the prefix; none: such segments are
  // dropped (drop.no_route).
  std::optional<wire::Ipv4Addr> gateway;
  // endpoint.mss is lowered to what the port's MTU and one mbuf carry.
  tcp::EndpointConfig endpoint;
  ArpCacheOptions arp;
  // How often the ARP cache retransmits requests and expires entries.
  Duration arp_tick = Duration::Millis(100);
  // Impairments of received and of transmitted frames (tests; off by
  // default). Corruption applies to received frames only: on transmit the
  // NIC's checksum offload would make a corrupted frame look valid.
  FaultOptions rx_fault;
  FaultOptions tx_fault;
  // Connection buffers from DPDK's heap (hugepage memory when EAL has it)
  // instead of the process heap.
  bool dpdk_buffers = false;
};

// What runs inside the loop beside the protocol: the services
// (app/services/service_host.h) or a test's client.
class Application {
 public:
  virtual ~Application() = default;
  // Once per loop iteration, after the received burst went to the endpoint
  // and before its output is flushed.
  virtual void Poll(Instant now) = 0;
  // Shutdown: stop accepting, let connections finish.
  virtual void BeginDrain(Instant now) { (void)now; }
  // True when nothing is left to finish.
  virtual bool Drained() const { return true; }
  // End of the drain time: reset what remains.
  virtual void AbortAll(Instant now) { (void)now; }
};

// Sees the frames the engine receives from its queue before it parses them.
// tern-flood takes the replies to its spoofed SYNs here (doc/flood.md), so
// they are counted by the generator and never reach the endpoint.
class RxTap {
 public:
  virtual ~RxTap() = default;
  // Called once per frame taken from the port's queue (not for frames
  // another engine steered here: the receiving engine's tap saw them), in
  // arrival order, before any parsing or fault injection. Returning true
  // takes the mbuf: the tap then owns it and must free it; the engine counts
  // it in PortCounters::rx_tapped. Returning false leaves it to the engine.
  // It must not call back into the engine.
  virtual bool Take(rte_mbuf* m) = 0;
};

class Engine final : public tcp::SegmentSink,
                     public tcp::PayloadPinner,
                     private ArpCache::Callbacks {
 public:
  // `index` is the engine's lcore rank and its queue on `port`; `steering`
  // may be null for a single engine; `cookies` (shared by all engines) must
  // outlive the engine, as must port and steering.
  static absl::StatusOr<std::unique_ptr<Engine>> Create(
      const EngineOptions& options, EthdevPort* port, uint16_t index,
      Steering* steering, const tcp::SynCookieSecretStore* cookies,
      Instant now);
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  uint16_t index() const { return index_; }
  tcp::Endpoint& endpoint() { return *endpoint_; }
  const tcp::Endpoint& endpoint() const { return *endpoint_; }
  void set_application(Application* app) { app_ = app; }
  Application* application() const { return app_; }
  // The tap (may be null: none, the default) must outlive its use.
  void set_rx_tap(RxTap* tap) { rx_tap_ = tap; }
  const PortCounters& counters() const { return counters_; }
  const ArpCounters& arp_counters() const { return arp_counters_; }
  const FaultCounters& rx_fault_counters() const { return rx_fault_counters_; }
  const FaultCounters& tx_fault_counters() const { return tx_fault_counters_; }
  const ArpCache& arp() const { return arp_; }
  const EngineOptions& options() const { return options_; }

  // Active open from our address, with an ephemeral source port whose
  // replies reach this engine: the port's RSS queue when it spreads flows
  // itself, the steering owner otherwise (RSS-aware port selection, as
  // Seastar does). Errors as Endpoint::Connect; ResourceExhausted when no
  // ephemeral port maps here.
  absl::StatusOr<tcp::ConnHandle> Connect(wire::Ipv4Addr remote,
                                          uint16_t remote_port,
                                          const tcp::ConnOptions& options,
                                          Instant now);
  // The engine a flow is delivered to (this one's index when it is the
  // only one).
  uint16_t OwnerOf(uint16_t local_port, wire::Ipv4Addr remote,
                   uint16_t remote_port) const;

  // One loop iteration; returns the packets received (0: idle).
  unsigned PollOnce(Instant now);

  // Reflect mode, a measuring instrument (bench/synflood's rate ratio,
  // doc/flood.md): while on, PollOnce is a bare forwarding loop over the
  // same queue pair, as tern-reflect is. Each received one-segment IPv4
  // frame to our MAC goes straight back with its Ethernet and IPv4
  // addresses swapped (both checksums cover the addresses as sums, so they
  // stay valid) and is counted in `reflected`; ARP is handled as usual;
  // anything else is dropped as drop.not_reflected. Nothing reaches the
  // endpoint, whose timers and application wait: a connection sees a
  // reflect phase as a silent peer. The RX tap, fault injection and the
  // steering ring are not used: it is for one engine (tern refuses
  // --reflect-alternation-ms with more). Off by default.
  void set_reflect(bool on) { reflect_ = on; }
  bool reflect() const { return reflect_; }
  // Hands the TX buffer to the driver now (a generator sharing the queue
  // calls it before its own burst, so the engine's frames go first).
  void FlushTx();
  // Announces our address (RFC 5227 section 2.3 ARP announcement).
  void SendGratuitousArp();
  // Flushes the endpoint and the TX buffer, drops frames still waiting for
  // ARP and frees what the steering ring holds for us.
  void Shutdown(Instant now);

  // tcp::SegmentSink
  void Send(const tcp::OutSegment& segment) override;
  // A listener's SYN-ACK written from its template and variable fields
  // (tcp::SynAckSegment): the frame Send would build from
  // segment.ToOutSegment(), without the OutSegment.
  void SendSynAck(const tcp::SynAckSegment& segment) override;
  // The same frames as SendSynAck for each, in one pass: within a run of
  // consecutive frames to one next hop, once the ARP cache has resolved it
  // it is not asked again (nothing changes the cache within the call).
  void SendSynAcks(std::span<const tcp::SynAckSegment> segments) override;

  // tcp::PayloadPinner: copies `bytes` once into an mbuf from the port's
  // pool (an external buffer from rte_malloc when larger than one mbuf, up
  // to 64512 bytes) and hands out references to it; segments carrying them
  // chain the mbuf by reference (indirect mbufs) when the port takes
  // multi-segment frames, and are copied otherwise. Null when the pool or
  // DPDK's heap is empty or `bytes` is empty or too large. The pinned
  // payload must be destroyed before the engine.
  std::unique_ptr<tcp::PinnedPayload> Pin(
      std::span<const uint8_t> bytes) override;

  // The owner of references to mbufs (tokens are rte_mbuf pointers): its
  // Release frees one reference.
  tcp::PayloadOwner* mbuf_owner() { return &mbuf_owner_; }

  // Free mbufs this engine holds ahead for the frames it builds (at most
  // kMbufStash; see stash_): a pool count taken while the engine lives is
  // short by this many.
  unsigned stashed_mbufs() const { return stash_n_; }

 private:
  Engine(const EngineOptions& options, EthdevPort* port, uint16_t index,
         Steering* steering);

  // Every frame of a burst through HandleFrame, each one's headers
  // prefetched kPrefetchAhead frames before it is parsed.
  void HandleFrames(rte_mbuf* const* frames, size_t n, bool from_ring);
  void HandleFrame(rte_mbuf* m, bool from_ring);
  // HandleFrame's checks after parsing, shared by its one-pass and general
  // ways: each drops m, counted, and returns false when the frame is not
  // ours (AcceptEthernet, AcceptIpv4); SteerAway hands a frame that another
  // engine owns to it (or drops it when its ring is full) and returns true.
  // Always inlined: once per frame, where a call cost as much as the checks
  // (callgrind, issue 14).
  [[gnu::always_inline]] inline bool AcceptEthernet(rte_mbuf* m,
                                                    const wire::MacAddr& dst,
                                                    const wire::MacAddr& src);
  [[gnu::always_inline]] inline bool AcceptIpv4(rte_mbuf* m, wire::Ipv4Addr src,
                                                wire::Ipv4Addr dst);
  // The frame whose TCP segment HandleFrame parsed into the next batch
  // slot, from src to dst: the slot taken, counted as tcp_in.
  [[gnu::always_inline]] inline void AddToBatch(rte_mbuf* m, wire::Ipv4Addr src,
                                                wire::Ipv4Addr dst);
  [[gnu::always_inline]] inline bool SteerAway(rte_mbuf* m, wire::Ipv4Addr src,
                                               uint16_t sport,
                                               wire::Ipv4Addr dst,
                                               uint16_t dport, bool from_ring);
  // PollOnce in reflect mode.
  unsigned PollReflect(Instant now);
  // The end of a loop iteration that received `received` frames: the TX
  // buffer to the driver, flushed or drained.
  void EndIteration(uint16_t received, Instant now);
  // Hands tx_out_ to the port.
  void PushTx();
  // Send() for a segment with payload held in mbufs: headers in one mbuf,
  // the payload chained behind it by reference.
  void SendChained(const tcp::OutSegment& segment, wire::Ipv4Addr next_hop);
  // The next hop towards dst: dst itself on our subnet, else the gateway;
  // false (counted as drop.no_route) without one.
  bool NextHop(wire::Ipv4Addr dst, wire::Ipv4Addr* next_hop);
  // An mbuf for a frame answering `reply_to` (TakeReceived) or, failing
  // that, a fresh one (NewMbuf); nullptr when the pool is empty. Always
  // inlined, as WriteSynAck: once per SYN-ACK of a flood, where the calls
  // cost a quarter of their bodies (callgrind, issue 14).
  [[gnu::always_inline]] inline rte_mbuf* FrameMbuf(
      const tcp::InSegment* reply_to);
  // Gives FrameMbuf's one-segment mbuf the length `total` and returns its
  // data; nullptr, the mbuf dropped (drop.segment_too_large), when it does
  // not fit.
  uint8_t* SizeFrame(rte_mbuf* m, size_t total);
  // SendSynAck's frame, written: its mbuf and next hop, or nullptr (counted
  // where it failed).
  [[gnu::always_inline]] inline rte_mbuf* WriteSynAck(
      const tcp::SynAckSegment& segment, wire::Ipv4Addr* next_hop);
  // Sends m to next_hop once the ARP cache resolves it (now, or when its
  // reply comes); true when it was resolved now, with its address in *mac.
  bool Resolve(rte_mbuf* m, wire::Ipv4Addr next_hop, wire::MacAddr* mac);
  void Resolve(rte_mbuf* m, wire::Ipv4Addr next_hop) {
    wire::MacAddr mac;
    Resolve(m, next_hop, &mac);
  }
  // The Ethernet and IPv4 headers of a TCP frame from src to dst carrying
  // l4_len bytes, written at `frame` (the destination MAC is left for
  // Resolve): copied from l2l3_ with the length, the destination and the
  // checksum filled in.
  void BuildHeaderTemplate();
  // The driver's IPv4/TCP checksum offload flags on a frame built by Send
  // or SendChained, as the port offers them.
  static void SetChecksumOffloads(rte_mbuf* m, const PortOffloads& off);
  [[gnu::always_inline]] inline void EmitHeaders(uint8_t* frame,
                                                 wire::Ipv4Addr src,
                                                 wire::Ipv4Addr dst,
                                                 uint16_t l4_len,
                                                 bool checksum_offload) const;
  // An ICMP error (destination unreachable, time exceeded, parameter
  // problem): the quoted TCP segment's connection gets it
  // (tcp::Endpoint::OnIcmpError), on its own engine.
  void HandleIcmpError(rte_mbuf* m, std::span<const uint8_t> message,
                       bool from_ring);
  void HandleArp(rte_mbuf* m, std::span<const uint8_t> frame,
                 std::span<const uint8_t> arp_bytes, bool from_ring);
  void Reply(std::span<const uint8_t> frame);
  void DeliverTcp();
  // Received mbufs the engine is done with: those NewMbuf can hand out as
  // they are (one direct segment of the port's pool, a reference count of
  // one) go on top of stash_ while it has room, so the next frames built
  // reuse them, their header cache line still warm from the parse; the
  // rest go back to the pool. Reorders `mbufs`.
  void RecycleReceived(rte_mbuf** mbufs, size_t n);
  // Whether a received mbuf can carry a frame the engine builds as it is:
  // one direct segment of the port's pool that nobody else holds.
  bool Reusable(const rte_mbuf* m) const;
  // The mbuf that received `seg`, a segment of the batch being delivered,
  // taken out of the batch (DeliverTcp then leaves it alone) and reset for
  // a frame this engine builds; nullptr when `seg` is not one of the
  // batch's or its mbuf is not Reusable (tcp::OutSegment::reply_to).
  // Always inlined (as EmitHeaders): once per SYN-ACK of a flood, where the
  // calls cost a fifth of their bodies (callgrind, doc/benchmarks.md).
  [[gnu::always_inline]] inline rte_mbuf* TakeReceived(
      const tcp::InSegment* seg);
  // rte_pktmbuf_reset's work on a pooled mbuf (NewMbuf, TakeReceived).
  static void ResetForTx(rte_mbuf* m);
  // Offers rx_[0, n) to the tap; keeps the frames it left, in order.
  uint16_t ApplyTap(uint16_t n);
  void Drop(rte_mbuf* m, PortDrop reason);
  // A fresh mbuf from the port's pool for a frame this engine builds, or
  // nullptr (counted as drop.no_mbuf); taken from stash_.
  rte_mbuf* NewMbuf();
  void ParseDrop(rte_mbuf* m, wire::WireError reason);
  // Every frame leaves through here (the TX fault stage, then the port).
  void Transmit(rte_mbuf* m);

  // ArpCache::Callbacks
  void SendArpRequest(wire::Ipv4Addr ip) override;
  void SendPending(ArpCache::Packet pkt, const wire::MacAddr& mac) override;
  void DropPending(ArpCache::Packet pkt) override;

  EngineOptions options_;
  EthdevPort* port_;
  uint16_t index_;
  Steering* steering_;
  // Several engines share the port: ARP frames are broadcast to all and
  // ICMP errors handed to their connection's engine over the steering rings.
  bool sharing_ = false;
  bool steer_ = false;  // software steering on (several engines, no RSS)
  uint32_t netmask_ = 0;
  PortCounters counters_;
  bool reflect_ = false;
  ArpCounters arp_counters_;
  FaultCounters rx_fault_counters_;
  FaultCounters tx_fault_counters_;
  std::unique_ptr<FaultInjector> rx_fault_;
  std::unique_ptr<FaultInjector> tx_fault_;
  // What the RX and the TX fault stages return; apart, because handling a
  // received frame can transmit (an ARP or echo reply) while the RX
  // stage's output is still being walked.
  std::vector<rte_mbuf*> rx_fault_out_;
  std::vector<rte_mbuf*> tx_fault_out_;
  ArpCache arp_;
  Responder responder_;
  class MbufOwner final : public tcp::PayloadOwner {
   public:
    void Release(uint64_t token) override;
  };
  MbufOwner mbuf_owner_;                          // outlives endpoint_
  std::unique_ptr<DpdkBufferAllocator> buffers_;  // outlives endpoint_
  std::unique_ptr<tcp::Endpoint> endpoint_;
  Application* app_ = nullptr;
  RxTap* rx_tap_ = nullptr;
  Instant now_;
  Instant next_arp_tick_;
  bool tx_pending_ = false;
  uint32_t port_cursor_ = 0;

  // Every TCP frame's Ethernet and IPv4 headers as far as they do not
  // depend on the segment (source MAC, EtherType, version, DF, TTL,
  // protocol, source address), and the IPv4 checksum sum of those fields:
  // Ipv4Repr::Emit and EthernetRepr::Emit were 4.6 % of
  // BM_Engine_CookieSynToSynAck's samples (doc/benchmarks.md, session 6).
  std::array<uint8_t, wire::kEthHeaderLen + wire::kIpv4MinHeaderLen> l2l3_{};
  uint32_t l3_sum_ = 0;

  // Frames sent since the last PushTx, handed to the port together
  // (EthdevPort::TransmitBurst) when kTxBatch are ready and before every
  // flush: the port's per-frame Transmit was 6 % of
  // BM_Engine_CookieSynToSynAck's samples (doc/benchmarks.md, session 6).
  static constexpr size_t kTxBatch = 32;
  std::array<rte_mbuf*, kTxBatch> tx_out_{};
  size_t tx_out_n_ = 0;

  // How far ahead HandleFrames prefetches a frame's headers: l3fwd's
  // PREFETCH_OFFSET (examples/l3fwd/l3fwd.h); measured in
  // BM_Engine_CookieSynToSynAck (doc/benchmarks.md, session 6).
  static constexpr size_t kPrefetchAhead = 3;

  // Mbufs allocated ahead, refilled kMbufStash at a time with
  // rte_mempool_get_bulk when empty and reset one by one as NewMbuf hands
  // them out (one pool operation instead of one per frame;
  // AllocMbuf was 5.9 % of BM_Engine_CookieSynToSynAck's samples), and
  // topped up with received mbufs (RecycleReceived), last in first out.
  // Returned to the pool by the destructor, so a pool count taken with every
  // engine gone is unaffected.
  static constexpr unsigned kMbufStash = 32;
  std::array<rte_mbuf*, kMbufStash> stash_{};
  unsigned stash_n_ = 0;

  // The TCP segments of the current burst and the mbufs they borrow from.
  std::vector<tcp::InSegment> batch_;
  // A slot is nullptr once its mbuf carries a reply (TakeReceived).
  std::vector<rte_mbuf*> batch_mbufs_;
  size_t batch_n_ = 0;
  // True while DeliverTcp's OnSegments call runs: only then do batch_'s
  // segments stand for received frames the endpoint may answer in place.
  bool delivering_ = false;
  std::vector<rte_mbuf*> rx_;
  // Gather buffers for chained mbufs, one per batch slot.
  std::vector<uint8_t> gather_;
};

// The largest frame a chained mbuf may carry and still be read: 9000-byte
// jumbo MTU + 14-byte Ethernet header + 4-byte 802.1Q tag.
inline constexpr size_t kMaxGatherFrame = 9018;

}  // namespace tern::port

#endif  // TERN_LIB_PORT_ENGINE_H_
