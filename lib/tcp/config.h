// Configuration of the TCP core: per-endpoint limits and per-connection
// defaults. Every default states its source.
#ifndef TERN_LIB_TCP_CONFIG_H_
#define TERN_LIB_TCP_CONFIG_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "lib/base/time.h"
#include "lib/tcp/buffer_allocator.h"
#include "lib/tcp/congestion/congestion.h"
#include "lib/tcp/rtt_estimator.h"

namespace tern::tcp {

// Keepalive (RFC 1122 section 4.2.3.6). Defaults as Linux:
// tcp_keepalive_time 7200 s, tcp_keepalive_intvl 75 s, tcp_keepalive_probes 9.
struct KeepaliveOptions {
  bool enabled = false;  // RFC 1122: MUST default to off
  Duration idle = Duration::Seconds(7200);
  Duration interval = Duration::Seconds(75);
  int probes = 9;
};

// Which rule holds back a segment smaller than the MSS while data is in
// flight (when nodelay is off).
enum class NagleMode : uint8_t {
  // Minshall's variant, Linux's default (tcp_minshall_check): only while an
  // earlier small segment is unacknowledged, so the tail of a write that is
  // not a whole number of segments leaves at once.
  kMinshall,
  // RFC 1122 4.2.3.4: while any data is unacknowledged.
  kClassic,
};

// Per-connection options; a listener's options are the defaults of the
// connections it accepts.
struct ConnOptions {
  size_t send_buffer = 256 * 1024;  // bytes
  size_t recv_buffer = 256 * 1024;  // bytes; sets the window scale we offer
  // Chunks SendRef may queue at once (slots taken once, with the first
  // reference). 256 covers the default send buffer in chunks of 1 KiB or
  // more: 180 full segments of 1460 bytes, one per 2 KiB mbuf (DPDK's
  // RTE_MBUF_DEFAULT_DATAROOM), fill it. Copies between references take a
  // slot each too.
  size_t send_ref_chunks = 256;
  bool nodelay = false;  // Nagle on by default (RFC 1122 4.2.3.4)
  NagleMode nagle = NagleMode::kMinshall;  // which Nagle rule, as Linux
  bool timestamps = true;                  // offer RFC 7323 timestamps
  bool window_scaling = true;              // offer RFC 7323 window scale
  bool sack_permitted = true;              // offer RFC 2018 SACK-permitted
  // Congestion control (doc/congestion.md): CUBIC, the default of the
  // reliable-transfer issue and of Linux (RFC 9438), or NewReno (RFC 5681).
  CcAlgorithm congestion = CcAlgorithm::kCubic;
  KeepaliveOptions keepalive;
  // Slow start grows cwnd by at most this many SMSS per ACK: RFC 3465's
  // L = 2 (also RFC 5681 3.1's allowance). 0: by every newly acknowledged
  // byte, as Linux's tcp_slow_start does (the socket API's linux profile).
  uint32_t slow_start_limit = 2;
  // When reading opens the receive window, an ACK announces it once the
  // right edge can move by min(buffer / 2, MSS) (RFC 9293 3.8.6.2.2, tern's
  // default). With linux_window_update the rule is Linux's tcp_cleanup_rbuf:
  // only when the advertised window had fallen to half the buffer or less
  // and the new one is at least twice it (fewer pure window updates).
  bool linux_window_update = false;
  // The window scale offered instead of the one derived from recv_buffer
  // (RFC 7323 2.3 leaves the choice to the receiver). The socket API's linux
  // profile sets 8, what Linux derives from the 15 MiB tcp_rmem maximum that
  // packetdrill's defaults configure. Unset: ReceiveWindowScale(recv_buffer).
  std::optional<uint8_t> wscale;
  // In-order data segments acknowledged at once at the start of the
  // connection, before delayed ACKs begin: Linux's quick-ACK mode
  // (TCP_MAX_QUICKACKS = 16). 0: RFC 1122 4.2.3.2 delayed ACKs from the first
  // segment (tern's default).
  uint16_t quick_acks = 0;
  // MSS ceiling set by the application (TCP_MAXSEG); 0 = none. Caps the MSS
  // announced in our SYN or SYN-ACK and the segments we send.
  uint16_t mss_clamp = 0;
};

struct EndpointConfig {
  // Largest segment the port carries: MTU 1500 - 20 (IPv4) - 20 (TCP)
  // = 1460, the MSS we announce (RFC 9293 section 3.7.1).
  uint16_t mss = 1460;
  size_t max_connections = 65536;  // slab and table size
  size_t max_listeners = 64;
  // Half-open (SYN-RECEIVED) records per endpoint, all listeners together:
  // the per-lcore bound next to each listener's syn_backlog. Past it, SYNs
  // get cookies (or are dropped when the listener has cookies off).
  size_t max_half_open = 65536;
  // TIME-WAIT records are bounded (Linux: tcp_max_tw_buckets). At the bound a
  // closing connection skips TIME-WAIT and is counted (time_wait_overflow).
  size_t max_time_wait = 65536;
  // Connections holding out-of-order data (or an out-of-order FIN) at once:
  // each takes one Assembler (about 420 bytes) from a per-endpoint pool on
  // its first out-of-order segment and gives it back when its holes fill.
  // Past the bound an out-of-order segment of a connection holding none is
  // dropped unacknowledged (drop reason no_reassembly_memory) and
  // retransmitted by its sender. 0 means max_connections / 8, at least
  // min(max_connections, 64): a hole is a loss in flight, and even at a 10 %
  // segment loss rate with ~1 RTT to repair it, far fewer than one connection
  // in eight of those open has a hole at the same instant
  // (doc/reassembly.md).
  size_t max_reassembling = 0;
  // Connections holding SACK information at once: each takes one
  // SackScoreboard (272 bytes) from a per-endpoint pool on the first ACK
  // whose SACK blocks it records and gives it back once cumulative ACKs
  // cover every SACKed range (scoreboard_pool.h). Past the bound the SACK
  // blocks of a connection holding none are not recorded (counter
  // sack_scoreboard_refused), which RFC 2018 section 8 allows. 0 means the
  // same default as max_reassembling, for the same reason: SACK blocks
  // arrive only while a hole exists at the peer.
  size_t max_sack_scoreboards = 0;

  RttEstimator::Options rto;
  // SYN retransmissions before connect fails (Linux tcp_syn_retries = 6).
  int syn_retries = 6;
  // SYN-ACK retransmissions before a half-open connection is dropped (Linux
  // tcp_synack_retries = 5).
  int synack_retries = 5;
  // Data and FIN retransmissions before the connection is aborted with
  // ETIMEDOUT (Linux tcp_retries2 = 15).
  int data_retries = 15;
  // RFC 9293 section 3.4.2 MSL; TIME-WAIT lasts 2 MSL. Linux's TIME-WAIT is
  // 60 s, i.e. MSL 30 s.
  Duration msl = Duration::Seconds(30);
  // The bounds that keep the compact records' 32-bit tick times exact
  // (deadline_fifo.h: within 2^31 ticks of 65.536 us, 39 hours): 2 MSL at
  // most 24 hours (tern.toml's time_wait_ms allows a day), and a half-open
  // record's whole SYN-ACK schedule at most 24 hours (Linux's longest, 255
  // retries at TCP_RTO_MAX = 120 s, is 8.5 hours).
  static constexpr Duration kMaxMsl = Duration::Seconds(12 * 3600);
  static constexpr Duration kMaxSynAckSchedule = Duration::Seconds(24 * 3600);
  // How long an orphaned connection (closed by the application) waits in
  // FIN-WAIT-2 for the peer's FIN (Linux tcp_fin_timeout = 60 s).
  Duration fin_wait2_timeout = Duration::Seconds(60);
  // Delayed ACK timer (RFC 9293 3.8.6.3: MUST be under 0.5 s; RFC 5681 4.2:
  // SHOULD be at most 200 ms... Linux's minimum is 40 ms).
  Duration delayed_ack = Duration::Millis(40);
  // RFC 5961 section 7: challenge ACKs (and ACKs answering unacceptable
  // segments in SYN-RECEIVED) are rate limited, per connection and per
  // half-open record: a budget shared by the endpoint is a side channel
  // (CVE-2016-5696; ack_limiter.h). 1000 is the value Linux's host-wide
  // tcp_challenge_ack_limit had.
  uint32_t challenge_ack_per_second = 1000;
  // RSTs answering segments for no connection (RFC 9293 3.10.7.1, and the
  // RST for an ACK to a listener of 3.10.7.2) at most this many a second,
  // the burst included, with a secret jitter of up to 8 % (RstLimiter,
  // lib/tcp/rst_limiter.h); the rest are counted (rst_limited) and not
  // sent. 200 is FreeBSD's net.inet.icmp.icmplim, which bounds the same
  // answers (badport_bandlim). 0: no limit.
  uint32_t no_socket_rst_per_second = 200;
  static constexpr uint32_t kMaxNoSocketRstPerSecond = 100'000'000;
  // Listen backlog ceiling (Linux somaxconn = 4096).
  size_t max_backlog = 4096;
  // Timer expiries handled per OnTimers call, so that a burst of expiries
  // cannot stall the poll loop (the rest run on the next call).
  size_t timer_quota = 1024;
  // Coalesce application output per poll iteration: Send, SendRef,
  // ShutdownWrite and SetNodelay only mark the connection, and Flush(now)
  // transmits once for everything the iteration queued, so several small
  // sends leave as full segments and a FIN rides on the last data. Off by
  // default because segments then wait for Flush: the per-lcore loop turns
  // it on and calls Flush after its receive burst and application
  // callbacks; callers without such a loop (tests, tools) keep the
  // immediate output they expect. What a received segment calls for (its
  // ACK, data its ACK releases) is deferred the same way, so a burst gets
  // one ACK and a response carries the ACK of its request (RFC 9293 MUST-58,
  // MUST-59); challenge ACKs, RSTs, ACKs of unacceptable segments and
  // everything timers send are never deferred.
  bool coalesce_sends = false;
  // Header prediction on ESTABLISHED (Connection's fast path, doc/
  // state_machine.md): in-order pure ACKs and data segments that need none
  // of RFC 9293 3.10.7.4's checks beyond the prediction are handled without
  // the general steps, with the same result. Off only for the differential
  // test that holds the two paths to identical output.
  bool header_prediction = true;
  ConnOptions conn_defaults;
  // Where connections' send and receive buffers (and SendRef chunk slots)
  // come from (buffer_allocator.h); null: the process heap. Not owned; it
  // must outlive the endpoint.
  BufferAllocator* buffer_allocator = nullptr;
  // Buffers freed by connections that the endpoint keeps for the next ones
  // (BufferCache): 16 MiB, 32 connections' worth at the default 256 KiB
  // buffers each way, absorbs the churn of short connections at any rate
  // (BM_Engine_ShortConnections, doc/benchmarks.md). 0: no cache.
  size_t buffer_cache_bytes = 16 << 20;

  absl::Status Validate() const;
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_CONFIG_H_
