// SynFlood: tern-flood's spoofed SYN generator and the RX tap that takes the
// replies to its spoofed sources.
//
// Contract:
// - Create makes the flood's own mbuf pool (so a flood that outruns the
//   link cannot starve the engine's receive path) and seeds its generator
//   (options.seed, or getrandom when 0).
// - SendBurst(n) builds up to n segments of options.kind (SYNs unless
//   --flood-kind says otherwise; the other kinds as FloodKind describes),
//   each from a random source address in
//   the spoof range and a random port in the port range, with a random ISN
//   and IPv4 ID and, with syn_options, Linux's SYN options (MSS 1460,
//   SACK-permitted, timestamps with a random TSval, window scale 7; RFC
//   9293 3.7.1, RFC 2018 section 2, RFC 7323 sections 2 and 3), checksums
//   computed in software (each frame from SegmentBuilder's template), and
//   hands them straight to the port's TX queue 0
//   with rte_eth_tx_burst. It returns how many the driver accepted
//   (`sent`); the rest are freed and counted in `tx_full`; SYNs it could
//   not build for want of an mbuf are counted in `no_mbuf`. Nothing is sent
//   before set_target_mac.
// - Take (RxTap) looks at the first segment of a received frame: an IPv4
//   frame whose destination is in the spoof range is taken and freed,
//   counted in `synacks_seen` when it is TCP with SYN and ACK set, in
//   `rsts_seen` when it is TCP with RST set, and in `spoofed_other`
//   otherwise; an ARP request for an address in the range
//   is taken the same way (counted in `spoofed_other`, never answered).
//   Checksums are not verified: the frames are only counted. Everything
//   else is left to the engine.
// - One lcore: SendBurst and Take come from the thread that polls the
//   engine, which shares the TX queue with it.
#ifndef TERN_APP_TERN_FLOOD_SYN_FLOOD_H_
#define TERN_APP_TERN_FLOOD_SYN_FLOOD_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "app/tern-flood/flood_options.h"
#include "app/tern-flood/segment_builder.h"
#include "lib/base/counters.h"
#include "lib/port/engine.h"
#include "lib/wire/addr.h"

struct rte_mbuf;
struct rte_mempool;

namespace tern::flood {

struct SynFloodCounters {
  Counter sent;
  Counter tx_full;
  Counter no_mbuf;
  Counter synacks_seen;
  Counter rsts_seen;
  Counter spoofed_other;
};

class SynFlood final : public port::RxTap {
 public:
  // The most SYNs one SendBurst builds (a TX burst, as DPDK's examples
  // use: MAX_PKT_BURST 32 in examples/l3fwd/l3fwd.h).
  static constexpr uint16_t kMaxBurst = 32;

  static absl::StatusOr<std::unique_ptr<SynFlood>> Create(
      const FloodOptions& options, uint16_t port_id, wire::MacAddr src_mac,
      uint32_t mbufs);
  ~SynFlood() override;
  SynFlood(const SynFlood&) = delete;
  SynFlood& operator=(const SynFlood&) = delete;

  // Lays the flood's frame out (SegmentBuilder) for that destination MAC.
  void set_target_mac(wire::MacAddr mac);
  bool has_target_mac() const { return builder_.has_value(); }
  uint16_t SendBurst(uint16_t n);
  bool Take(rte_mbuf* m) override;
  const SynFloodCounters& counters() const { return counters_; }
  rte_mempool* pool() const { return pool_; }

 private:
  SynFlood(const FloodOptions& options, uint16_t port_id,
           wire::MacAddr src_mac);
  uint64_t Next();  // xorshift64*
  bool Build(rte_mbuf* m);

  FloodOptions options_;
  uint16_t port_id_;
  wire::MacAddr src_mac_;
  std::optional<SegmentBuilder> builder_;  // once the target MAC is known
  rte_mempool* pool_ = nullptr;
  uint64_t state_ = 0;
  SynFloodCounters counters_;
};

}  // namespace tern::flood

#endif  // TERN_APP_TERN_FLOOD_SYN_FLOOD_H_
