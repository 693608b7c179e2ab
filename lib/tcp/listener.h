// Listener: one listening socket's passive open, as a unit with a narrow
// face: its options, its accept queue, its SYN-cookie mode, and the pure
// verdict functions that decide what a segment for the listener, or for one
// of its half-open records, gets.
//
// RFC 9293 3.10.7.2 (LISTEN), 3.10.7.4 (SYN-RECEIVED), RFC 5961 sections 3
// and 4 (RST and SYN in SYN-RECEIVED), RFC 7323 5.3 (PAWS), RFC 4987 3.6
// (SYN cookies), RFC 6298 5.5 (SYN-ACK backoff).
//
// The split follows Linux's tcp_conn_request / tcp_check_req: ListenInput
// and HalfOpenInput look at a segment and the state and return a verdict
// (drop with a named reason, answer with a SYN-ACK, RST or ACK, try the
// cookie, queue the SYN, promote the record to a connection); the endpoint
// acts on it, since it owns the table, the slabs, the timers and the sink.
// doc/listener.md describes the unit, its verdicts, bounds and counters.
//
// Contract: the verdict functions are pure (no state changes, no I/O). A
// Listener is owned by its endpoint's lcore; nothing in it locks.
#ifndef TERN_LIB_TCP_LISTENER_H_
#define TERN_LIB_TCP_LISTENER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "lib/base/time.h"
#include "lib/tcp/api.h"
#include "lib/tcp/config.h"
#include "lib/tcp/half_open.h"
#include "lib/tcp/rtt_estimator.h"
#include "lib/tcp/stats.h"
#include "lib/wire/addr.h"
#include "lib/wire/tcp_header.h"

namespace tern::tcp {

// When a listener answers SYNs with SYN cookies (doc/syn_cookies.md).
enum class SynCookieMode : uint8_t {
  kOff,         // never: a full SYN queue drops SYNs (syn_queue_overflows)
  kOnOverflow,  // while the SYN queue is full, with hysteresis (default)
  kAlways,      // every SYN: no half-open state at all
};

// What the final ACK of a handshake meets when the accept queue is full.
enum class AcceptOverflow : uint8_t {
  kDrop,   // ignore it; the peer's retransmission completes it later (Linux
           // tcp_abort_on_overflow = 0, the default)
  kReset,  // answer RST (Linux tcp_abort_on_overflow = 1)
};

struct ListenOptions {
  // Accept-queue length (listen(2)'s backlog), clamped to
  // EndpointConfig::max_backlog.
  size_t backlog = 128;
  // Half-open (SYN-RECEIVED) connections allowed at once (Linux
  // tcp_max_syn_backlog; 1024 is its value on small machines).
  size_t syn_backlog = 1024;
  SynCookieMode cookies = SynCookieMode::kOnOverflow;
  AcceptOverflow overflow = AcceptOverflow::kDrop;
  ConnOptions conn;  // options of the connections it accepts
};

// One listener slot of an endpoint.
// Which of Listener::synack_templates a SYN-ACK uses: the window scale,
// SACK-permitted and timestamp options each present or not.
inline constexpr size_t SynAckTemplateIndex(bool wscale, bool sack, bool ts) {
  return (wscale ? 1u : 0u) | (sack ? 2u : 0u) | (ts ? 4u : 0u);
}

struct Listener {
  bool open = false;
  uint32_t generation = 0;
  wire::Ipv4Addr addr;  // 0.0.0.0 = any
  uint16_t port = 0;
  ListenOptions options;
  size_t half_open = 0;  // its records in the endpoint's half-open slab
  bool in_ready_list = false;
  bool cookie_active = false;  // on-overflow hysteresis state
  ListenerStats stats;
  // The SYN-ACK headers this listener sends, laid out once per combination
  // of the options a SYN asks for (SynAckTemplateIndex); the endpoint builds
  // them when the options are set (Endpoint::BuildSynAckTemplates).
  std::array<wire::TcpHeaderTemplate, 8> synack_templates;

  // (Re)opens the slot: backlog clamped to max_backlog, counters zeroed.
  void Open(wire::Ipv4Addr a, uint16_t p, const ListenOptions& o,
            size_t max_backlog);

  // ---- the accept queue: at most options.backlog connections, oldest
  // first. SetBacklog may leave more queued than a lowered bound; they stay.
  bool AcceptQueueFull() const { return aq_size_ >= options.backlog; }
  size_t accept_queue_length() const { return aq_size_; }
  // Requires !AcceptQueueFull().
  void PushAccepted(ConnHandle h);
  // False when empty.
  bool PopAccepted(ConnHandle* h);
  // Sets options.backlog (>= 1, already clamped); allocates the ring anew
  // (a control-plane call), keeping what is queued in order.
  void SetBacklog(size_t backlog);
  size_t accept_queue_capacity() const { return accept_queue_.capacity(); }

  // Whether this SYN is answered with a cookie. On overflow, cookies start
  // when the SYN queue is full (this listener's syn_backlog, or the
  // endpoint's half-open slab: endpoint_full) and stop only when it has
  // drained to half and the slab is not full, so the mode does not flap;
  // transitions are counted here and in `total`.
  bool UseCookie(bool endpoint_full, ListenerStats& total);
  // Whether UseCookie would answer with a cookie now and change nothing:
  // cookies always, or on overflow with the mode on and the queue above
  // half (Endpoint::OnSegments' cookie lane).
  bool CookieSettled() const {
    return options.cookies == SynCookieMode::kAlways ||
           (options.cookies == SynCookieMode::kOnOverflow && cookie_active &&
            half_open > options.syn_backlog / 2);
  }
  // Whether a SYN that does not get a cookie finds room in the SYN queue.
  bool SynQueueFull(bool endpoint_full) const {
    return half_open >= options.syn_backlog || endpoint_full;
  }

 private:
  std::vector<ConnHandle> accept_queue_;  // ring
  size_t aq_head_ = 0;
  size_t aq_size_ = 0;
};

// ---- a segment for a listening tuple (no record for its 4-tuple)

enum class ListenAction : uint8_t {
  kDrop,       // count `reason`, send nothing
  kReset,      // count `reason`, answer <SEQ=SEG.ACK><CTL=RST>
  kCookieAck,  // an ACK that may carry a cookie: validate it (a failure is
               // answered as kReset with kListenAck)
  kSyn,        // a SYN to answer: with a cookie (Listener::UseCookie) or a
               // half-open record when the SYN queue has room
};

struct ListenVerdict {
  ListenAction action;
  DropReason reason = DropReason::kCount;
};

// RFC 9293 3.10.7.2 in its order (RST, ACK, SYN), with Linux's additions:
// SYN+FIN discarded (tcp_rcv_state_process), a SYN to a full accept queue
// dropped whether cookies are on or not (tcp_conn_request's
// sk_acceptq_is_full).
ListenVerdict ListenInput(const Listener& l, const wire::TcpRepr& seg);

// ---- a segment for a half-open record's 4-tuple

enum class HalfOpenAction : uint8_t {
  kDrop,          // count `reason`, send nothing
  kResendSynAck,  // a retransmitted SYN: the SYN-ACK again (and note the
                  // time: HalfOpen::kDupAnswered, last_dup_answer)
  kAck,           // count `reason`; <SEQ=ISS+1><ACK=IRS+1>, rate limited
  kChallengeAck,  // count `reason`; RFC 5961 challenge ACK, rate limited
  kReset,         // count `reason`; <SEQ=SEG.ACK><CTL=RST>; record stays
  kResetAndFree,  // <SEQ=SEG.ACK><CTL=RST>; the record goes (listener
                  // closed, or accept overflow with AcceptOverflow::kReset)
  kFree,          // the record goes quietly (RST at RCV.NXT: back to LISTEN)
  kPromote,       // an acceptable final ACK: make the connection
};

struct HalfOpenVerdict {
  HalfOpenAction action;
  DropReason reason = DropReason::kCount;
};

// What HalfOpenInput needs besides the record and the segment.
struct HalfOpenContext {
  Instant now;
  bool listener_open = false;      // the record's listener still listens
  bool accept_queue_full = false;  // its accept queue, when open
  AcceptOverflow overflow = AcceptOverflow::kDrop;
  uint16_t rcv_wnd = 0;  // the window the SYN-ACK announced (unscaled)
};

// Duplicate SYNs to a half-open record are answered at most this often:
// Linux's net.ipv4.tcp_invalid_ratelimit default (500 ms), which
// tcp_oow_rate_limited applies per request. The record keeps the time in
// coarse ticks (HalfOpen::last_dup_answer), so the interval is 500 ms to
// 500.1 ms.
inline constexpr Duration kDupSynInterval = Duration::Millis(500);

// RFC 9293 3.10.7.4 for passive SYN-RECEIVED in its order, with RFC 5961
// (RST at RCV.NXT only; a SYN with another ISN gets a challenge ACK and the
// record stays) and RFC 7323 5.3 (PAWS before the sequence check).
HalfOpenVerdict HalfOpenInput(const HalfOpen& r, const wire::TcpRepr& seg,
                              const HalfOpenContext& ctx);

// The one SYN-ACK retransmission schedule: the timeout after the
// `retries`-th retransmission (0: after the first SYN-ACK), RFC 6298 2.1's
// initial RTO doubled each time (5.5), at most rto.max.
Duration SynAckTimeout(const RttEstimator::Options& rto, int retries);

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_LISTENER_H_
