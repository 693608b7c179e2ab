// RFC 9293 3.10.7.1-2 (segments without a connection, LISTEN), RFC 6191
// (TIME-WAIT reuse), RFC 6528 (ISN), and the bookkeeping that ties
// connections, TIME-WAIT records, listeners and timers together.
#include "lib/tcp/endpoint.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/base/dcheck.h"
#include "lib/base/random.h"
#include "lib/tcp/icmp.h"

namespace tern::tcp {

using wire::tcp_flags::kAck;
using wire::tcp_flags::kFin;
using wire::tcp_flags::kRst;
using wire::tcp_flags::kSyn;

namespace {

// The timestamp clock (RFC 7323 5.4): `now` in whole milliseconds, to which
// each connection adds its offset.
uint32_t MillisClock(Instant now) {
  return static_cast<uint32_t>(now.ToNanos() / 1000'000);
}

// Connection-table values: bit 31 marks a TIME-WAIT record, bit 30 a
// half-open record; otherwise the value is a connection slab index.
constexpr uint32_t kTimeWaitBit = 1u << 31;
constexpr uint32_t kHalfOpenBit = 1u << 30;
constexpr uint32_t kIndexMask = kHalfOpenBit - 1;
// Linux's default ip_local_port_range.
constexpr uint32_t kEphemeralFirst = 32768;
constexpr uint32_t kEphemeralLast = 60999;

}  // namespace

const char* ToString(SockError e) {
  switch (e) {
    case SockError::kOk:
      return "ok";
    case SockError::kWouldBlock:
      return "would_block";
    case SockError::kBadHandle:
      return "bad_handle";
    case SockError::kNotConnected:
      return "not_connected";
    case SockError::kConnReset:
      return "conn_reset";
    case SockError::kConnRefused:
      return "conn_refused";
    case SockError::kTimedOut:
      return "timed_out";
    case SockError::kBrokenPipe:
      return "broken_pipe";
    case SockError::kInvalid:
      return "invalid";
    case SockError::kAddrInUse:
      return "addr_in_use";
    case SockError::kNoResources:
      return "no_resources";
    case SockError::kAlreadyConnected:
      return "already_connected";
    case SockError::kInProgress:
      return "in_progress";
    case SockError::kNetUnreachable:
      return "net_unreachable";
    case SockError::kHostUnreachable:
      return "host_unreachable";
    case SockError::kNoProtocol:
      return "no_protocol";
    case SockError::kProtocolError:
      return "protocol_error";
  }
  return "?";
}

absl::StatusOr<std::unique_ptr<Endpoint>> Endpoint::Create(
    const EndpointConfig& config, SegmentSink* sink, Instant now,
    const Secrets& secrets) {
  if (absl::Status s = config.Validate(); !s.ok()) {
    return s;
  }
  if (sink == nullptr) {
    return absl::InvalidArgumentError("Endpoint::Create: sink is null");
  }
  SipKey isn_key;
  if (secrets.isn_key) {
    isn_key = *secrets.isn_key;
  } else {
    absl::StatusOr<SipKey> k = RandomSipKey();
    if (!k.ok()) {
      return k.status();
    }
    isn_key = *k;
  }
  std::array<uint8_t, 16> table_key{};
  if (secrets.table_key) {
    table_key = *secrets.table_key;
  } else if (absl::Status s = FillRandom(table_key); !s.ok()) {
    return s;
  }
  // The table holds connections and TIME-WAIT records.
  absl::StatusOr<ConnTable> table = ConnTable::Create(
      config.max_connections + config.max_half_open + config.max_time_wait,
      table_key);
  if (!table.ok()) {
    return table.status();
  }
  absl::StatusOr<Slab<Connection>> conns =
      Slab<Connection>::Create(config.max_connections);
  if (!conns.ok()) {
    return conns.status();
  }
  absl::StatusOr<Slab<HalfOpen>> half_opens =
      Slab<HalfOpen>::Create(config.max_half_open);
  if (!half_opens.ok()) {
    return half_opens.status();
  }
  absl::StatusOr<Slab<TimeWaitRecord>> tws =
      Slab<TimeWaitRecord>::Create(std::max<size_t>(config.max_time_wait, 1));
  if (!tws.ok()) {
    return tws.status();
  }
  // EndpointConfig::max_reassembling's default (its comment gives the
  // reasoning), which max_sack_scoreboards shares.
  const auto pool_bound = [&config](size_t configured) {
    return configured != 0
               ? configured
               : std::max(config.max_connections / 8,
                          std::min<size_t>(config.max_connections, 64));
  };
  absl::StatusOr<std::unique_ptr<AssemblerPool>> assemblers =
      AssemblerPool::Create(
          std::max<size_t>(pool_bound(config.max_reassembling), 1));
  if (!assemblers.ok()) {
    return assemblers.status();
  }
  absl::StatusOr<std::unique_ptr<ScoreboardPool>> scoreboards =
      ScoreboardPool::Create(
          std::max<size_t>(pool_bound(config.max_sack_scoreboards), 1));
  if (!scoreboards.ok()) {
    return scoreboards.status();
  }
  // Every connection may hold a send queue: the bound is the slab's.
  absl::StatusOr<std::unique_ptr<SendQueuePool>> send_queues =
      SendQueuePool::Create(std::max<size_t>(config.max_connections, 1));
  if (!send_queues.ok()) {
    return send_queues.status();
  }
  // Every connection may turn keepalive on: the bound is the slab's.
  absl::StatusOr<std::unique_ptr<KeepalivePool>> keepalives =
      KeepalivePool::Create(std::max<size_t>(config.max_connections, 1));
  if (!keepalives.ok()) {
    return keepalives.status();
  }
  std::unique_ptr<SynCookieSecretStore> own_cookies;
  const SynCookieSecretStore* cookies = secrets.cookie_store;
  if (cookies == nullptr) {
    absl::StatusOr<std::unique_ptr<SynCookieSecretStore>> store =
        SynCookieSecretStore::Create();
    if (!store.ok()) {
      return store.status();
    }
    own_cookies = std::move(*store);
    cookies = own_cookies.get();
  }
  return std::unique_ptr<Endpoint>(new Endpoint(
      config, sink, now, IsnGenerator(isn_key), std::move(*table),
      std::move(*assemblers), std::move(*scoreboards), std::move(*send_queues),
      std::move(*keepalives), std::move(*conns), std::move(*half_opens),
      std::move(*tws), std::move(own_cookies), cookies));
}

Endpoint::Endpoint(const EndpointConfig& config, SegmentSink* sink, Instant now,
                   IsnGenerator isn, ConnTable table,
                   std::unique_ptr<AssemblerPool> assemblers,
                   std::unique_ptr<ScoreboardPool> scoreboards,
                   std::unique_ptr<SendQueuePool> send_queues,
                   std::unique_ptr<KeepalivePool> keepalives,
                   Slab<Connection> conns, Slab<HalfOpen> half_opens,
                   Slab<TimeWaitRecord> time_waits,
                   std::unique_ptr<SynCookieSecretStore> own_cookies,
                   const SynCookieSecretStore* cookies)
    : config_(config),
      cache_(config.buffer_allocator != nullptr ? config.buffer_allocator
                                                : &HeapBufferAllocator(),
             config.buffer_cache_bytes),
      buffers_(&cache_),
      sink_(sink),
      isn_(isn),
      table_(std::move(table)),
      assemblers_(std::move(assemblers)),
      scoreboards_(std::move(scoreboards)),
      send_queues_(std::move(send_queues)),
      keepalives_(std::move(keepalives)),
      conns_(std::move(conns)),
      half_opens_(std::move(half_opens)),
      time_waits_(std::move(time_waits)),
      wheel_(TimerWheel::Options{.start = now}),
      synack_fifos_(new DeadlineFifo[config.synack_retries + 1]),
      synack_fifo_count_(static_cast<size_t>(config.synack_retries) + 1),
      own_cookies_(std::move(own_cookies)),
      cookies_(cookies),
      listeners_(new Listener[config.max_listeners]),
      listener_count_(config.max_listeners) {
  open_listeners_.reserve(config.max_listeners);
  ready_.reserve(config.max_connections + config.max_listeners);
}

Endpoint::~Endpoint() {
  // Records are destroyed by their slabs; unlink their timer nodes first so
  // the wheel holds no dangling pointers while it is destroyed.
  for (uint32_t i = 0; i < conns_.capacity(); ++i) {
    if (Connection* c = conns_.GetByIndex(i)) {
      wheel_.Cancel(&c->timer);
    }
  }
  for (size_t i = 0; i < synack_fifo_count_; ++i) {
    synack_fifos_[i].Cancel(wheel_);
  }
  time_wait_fifo_.Cancel(wheel_);
}

absl::Status EndpointConfig::Validate() const {
  if (mss < 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("mss: expected at least 64, got ", mss));
  }
  if (max_connections == 0 || max_connections >= (1u << 30)) {
    return absl::InvalidArgumentError(
        "max_connections: expected 1 to 2^30 - 1");
  }
  if (max_half_open == 0 || max_half_open >= (1u << 30)) {
    return absl::InvalidArgumentError("max_half_open: expected 1 to 2^30 - 1");
  }
  if (max_time_wait >= (1u << 31)) {
    return absl::InvalidArgumentError("max_time_wait: expected below 2^31");
  }
  if (max_listeners == 0 || max_listeners >= (1u << 30)) {
    return absl::InvalidArgumentError("max_listeners: expected 1 to 2^30 - 1");
  }
  if (no_socket_rst_per_second > kMaxNoSocketRstPerSecond) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no_socket_rst_per_second: expected 0 to ", kMaxNoSocketRstPerSecond,
        ", got ", no_socket_rst_per_second));
  }
  if (syn_retries < 0 || synack_retries < 0 || data_retries < 0) {
    return absl::InvalidArgumentError("retries: expected non-negative counts");
  }
  if (synack_retries > 255) {
    // HalfOpen::retries is a byte, as Linux's tcp_synack_retries (0 to 255).
    return absl::InvalidArgumentError("synack_retries: expected 0 to 255");
  }
  if (msl <= Duration::Zero() || msl > kMaxMsl) {
    return absl::InvalidArgumentError(
        "msl: expected a positive duration of at most 12 hours");
  }
  if (rto.initial <= Duration::Zero() || rto.max <= Duration::Zero() ||
      rto.max > kMaxSynAckSchedule) {
    return absl::InvalidArgumentError(
        "rto: expected a positive initial RTO and a positive rto.max of at "
        "most 24 hours");
  }
  // A half-open record lives for its whole SYN-ACK schedule; its times are
  // 32-bit ticks (deadline_fifo.h, CoarseAckLimiter), exact for 39 hours.
  Duration schedule = Duration::Zero();
  for (int i = 0; i <= synack_retries; ++i) {
    schedule += SynAckTimeout(rto, i);
  }
  if (schedule > kMaxSynAckSchedule) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rto, synack_retries: the SYN-ACK schedule (every timeout from the "
        "first SYN-ACK to the last) must end within 24 hours, got ",
        schedule.ToMillis() / 1000, " s"));
  }
  if (conn_defaults.send_buffer == 0 || conn_defaults.recv_buffer == 0) {
    return absl::InvalidArgumentError("buffers: expected non-zero sizes");
  }
  if (delayed_ack < Duration::Zero() || delayed_ack >= Duration::Millis(500)) {
    // RFC 9293 3.8.6.3 (MUST-40): the delay MUST be less than 0.5 s.
    return absl::InvalidArgumentError(
        "delayed_ack: expected 0 to 499 ms (RFC 9293 MUST-40)");
  }
  if (timer_quota == 0) {
    return absl::InvalidArgumentError("timer_quota: expected at least 1");
  }
  return absl::OkStatus();
}

Env Endpoint::MakeEnv(Instant now) {
  return Env{config_,      *sink_,        stats_,        now,         buffers_,
             *assemblers_, *scoreboards_, *send_queues_, *keepalives_};
}

Env Endpoint::MakeAppEnv(Instant now) {
  Env env = MakeEnv(now);
  env.defer_output = config_.coalesce_sends;
  return env;
}

void Endpoint::LinkDirty(uint32_t index, Connection* c) {
  TERN_DCHECK(!c->in_dirty_list);
  c->in_dirty_list = true;
  c->dirty_prev = dirty_tail_;
  c->dirty_next = kNoDirty;
  if (dirty_tail_ == kNoDirty) {
    dirty_head_ = index;
  } else {
    conns_.GetByIndex(dirty_tail_)->dirty_next = index;
  }
  dirty_tail_ = index;
}

void Endpoint::UnlinkDirty(uint32_t index, Connection* c) {
  if (!c->in_dirty_list) {
    return;
  }
  if (c->dirty_prev == kNoDirty) {
    dirty_head_ = c->dirty_next;
  } else {
    conns_.GetByIndex(c->dirty_prev)->dirty_next = c->dirty_next;
  }
  if (c->dirty_next == kNoDirty) {
    dirty_tail_ = c->dirty_prev;
  } else {
    conns_.GetByIndex(c->dirty_next)->dirty_prev = c->dirty_prev;
  }
  c->in_dirty_list = false;
  c->dirty_prev = c->dirty_next = kNoDirty;
  (void)index;
}

void Endpoint::Flush(Instant now) {
  if (dirty_head_ == kNoDirty) {
    return;
  }
  Env env = MakeEnv(now);
  while (dirty_head_ != kNoDirty) {
    const uint32_t index = dirty_head_;
    Connection* c = conns_.GetByIndex(index);
    TERN_DCHECK(c != nullptr);
    UnlinkDirty(index, c);
    c->FlushOutput(env);
    After(env, *conns_.HandleAt(index), c, Verdict::kKeep);
  }
}

// ---------------------------------------------------------------------------
// Data path.

bool Endpoint::TableInsert(const FourTuple& tuple, uint32_t value) {
  if (!table_.Insert(tuple, value)) {
    return false;
  }
  NoteTableChange(tuple);
  return true;
}

void Endpoint::TableErase(const FourTuple& tuple) {
  if (table_.Erase(tuple)) {
    NoteTableChange(tuple);
  }
}

void Endpoint::NoteTableChange(const FourTuple& tuple) {
  ++table_changes_;
  if (!(tuple == burst_tuple_)) {
    foreign_table_change_ = true;
  }
}

void Endpoint::OnSegment(const InSegment& seg, Instant now) {
  Dispatch(seg, table_.Find(seg.Tuple()), now);
}

void Endpoint::OnSegments(std::span<const InSegment> segments, Instant now) {
  // Not re-entrant: the burst's state (burst_tuple_, the scratch arrays,
  // the precomputed cookies) belongs to one call; a sink must not deliver
  // into this endpoint from inside it.
  TERN_DCHECK(!in_on_segments_);
  in_on_segments_ = true;
  std::array<FourTuple, ConnTable::kBurst>& tuples = burst_tuples_;
  std::array<std::optional<uint32_t>, ConnTable::kBurst>& found = burst_found_;
  const uint32_t now_ms = MillisClock(now);
  while (!segments.empty()) {
    const size_t n = std::min(segments.size(), ConnTable::kBurst);
    for (size_t i = 0; i < n; ++i) {
      tuples[i] = segments[i].Tuple();
    }
    table_.FindBurst(std::span<const FourTuple>(tuples.data(), n),
                     std::span<std::optional<uint32_t>>(found.data(), n));
    // The records next: a connection's first cache line is what its
    // segment touches first (the TIME-WAIT and half-open slabs are small).
    for (size_t i = 0; i < n; ++i) {
      if (found[i] && (*found[i] & (kTimeWaitBit | kHalfOpenBit)) == 0) {
        conns_.Prefetch(*found[i]);
      }
    }
    PrecomputeCookies(segments.first(n),
                      std::span<const std::optional<uint32_t>>(found.data(), n),
                      now);
    for (size_t i = 0; i < n; ++i) {
      // found[i] again: an earlier segment may have added the 4-tuple.
      if (((burst_lane_mask_ >> i) & 1) != 0 && !found[i] &&
          AnswerInLane(segments[i], i, now_ms)) {
        continue;
      }
      // What the segment sends comes after the lane's SYN-ACKs before it.
      FlushLane();
      burst_tuple_ = tuples[i];
      foreign_table_change_ = false;
      const uint64_t changes = table_changes_;
      if ((burst_cookie_mask_ >> i) & 1) {
        precomputed_for_ = &segments[i];
        precomputed_cookie_ = burst_cookies_[i];
      }
      Dispatch(segments[i], found[i], now);
      precomputed_for_ = nullptr;
      if (table_changes_ == changes) {
        continue;
      }
      // The table changed: later lookups of this 4-tuple (of every 4-tuple
      // if another one changed) are made again, as OnSegment would make them.
      for (size_t j = i + 1; j < n; ++j) {
        if (foreign_table_change_ || tuples[j] == tuples[i]) {
          found[j] = table_.Find(tuples[j]);
        }
      }
    }
    FlushLane();
    segments = segments.subspan(n);
  }
  in_on_segments_ = false;
}

bool Endpoint::AnswerInLane(const InSegment& seg, size_t i, uint32_t now_ms) {
  // What Dispatch, HandleListen and SendCookieSynAck would do for this bare
  // SYN (no 4-tuple in the table, both ports set, no payload: checked by
  // PrecomputeCookies), when the listener answers it with a cookie and
  // changes no state: counted the same, the SYN-ACK held for FlushLane.
  // Anything else takes the general path. The listener's state may have
  // changed since PrecomputeCookies, by the burst's earlier segments.
  Listener& l = listeners_[burst_listener_[i]];
  // Open: only the application closes a listener, and nothing calls it
  // during OnSegments.
  TERN_DCHECK(l.open);
  if (!l.CookieSettled() || l.AcceptQueueFull()) {
    return false;
  }
  // The endpoint's own counters (segments_in, segments_out and the listen
  // totals) are added for the whole lane by FlushLane.
  l.stats.syns_received.Inc();
  l.stats.cookies_sent.Inc();
  l.stats.synacks_sent.Inc();
  CookieSynAck(l, seg, burst_cookies_[i], now_ms, &lane_[lane_n_++]);
  return true;
}

void Endpoint::FlushLane() {
  if (lane_n_ == 0) {
    return;
  }
  sink_->SendSynAcks(std::span<const SynAckSegment>(lane_.data(), lane_n_));
  // AnswerInLane's SYNs as Dispatch, HandleListen and SendCookieSynAck
  // count them.
  stats_.segments_in.Add(lane_n_);
  stats_.segments_out.Add(lane_n_);
  stats_.listen.syns_received.Add(lane_n_);
  stats_.listen.cookies_sent.Add(lane_n_);
  stats_.listen.synacks_sent.Add(lane_n_);
  lane_n_ = 0;
}

void Endpoint::PrecomputeCookies(std::span<const InSegment> segs,
                                 std::span<const std::optional<uint32_t>> found,
                                 Instant now) {
  burst_cookie_mask_ = 0;
  burst_lane_mask_ = 0;
  // First the candidates alone, so that a burst with fewer than two (every
  // burst of an established flow) costs a flag test per segment and no
  // request array.
  uint32_t candidates = 0;
  uint32_t lane = 0;
  for (size_t i = 0; i < segs.size(); ++i) {
    const wire::TcpRepr& t = segs[i].tcp;
    if (found[i] || (t.flags & (kSyn | kAck | kRst | kFin)) != kSyn) {
      continue;
    }
    uint32_t index = 0;
    if (!MatchListener(segs[i].dst, t.dst_port, &index)) {
      continue;
    }
    // The listener's mode as it stands; UseCookie decides per SYN, and a
    // cookie computed here for a SYN it then queues is only not used.
    const Listener& l = listeners_[index];
    if (l.options.cookies == SynCookieMode::kAlways ||
        (l.options.cookies == SynCookieMode::kOnOverflow && l.cookie_active)) {
      candidates |= 1u << i;
      burst_listener_[i] = index;
      // The lane (AnswerInLane) takes the common SYN: no payload, no port 0.
      if (t.payload.empty() && t.src_port != 0 && t.dst_port != 0) {
        lane |= 1u << i;
      }
    }
  }
  if (std::popcount(candidates) < 2) {
    return;
  }
  std::array<CookieRequest, ConnTable::kBurst>& requests = burst_requests_;
  std::array<uint8_t, ConnTable::kBurst>& at = burst_request_at_;
  size_t k = 0;
  for (uint32_t rest = candidates; rest != 0; rest &= rest - 1) {
    const auto i = static_cast<size_t>(std::countr_zero(rest));
    const wire::TcpRepr& t = segs[i].tcp;
    // Field by field: a tuple built whole and copied was four narrow stores
    // read back as one 16-byte load, a store-forwarding stall (perf).
    CookieRequest& r = requests[k];
    r.tuple.local_addr = segs[i].dst;
    r.tuple.remote_addr = segs[i].src;
    r.tuple.local_port = t.dst_port;
    r.tuple.remote_port = t.src_port;
    r.client_isn = t.seq;
    r.mss_index = CookieMssIndex(PeerMss(t.options));
    at[k] = static_cast<uint8_t>(i);
    ++k;
  }
  std::array<SeqNum, ConnTable::kBurst>& cookies = burst_request_cookies_;
  EncodeSynCookies(std::span<const CookieRequest>(requests.data(), k),
                   SynCookieCounter(now), cookies_->Current(),
                   std::span<SeqNum>(cookies.data(), k));
  for (size_t j = 0; j < k; ++j) {
    burst_cookies_[at[j]] = cookies[j];
  }
  burst_cookie_mask_ = candidates;
  burst_lane_mask_ = lane;
}

void Endpoint::Dispatch(const InSegment& seg, std::optional<uint32_t> found,
                        Instant now) {
  stats_.segments_in.Inc();
  if (seg.tcp.src_port == 0 || seg.tcp.dst_port == 0) {
    stats_.drops.Inc(DropReason::kPortZero);
    return;
  }
  Env env = MakeEnv(now);
  env.defer_peer_output = config_.coalesce_sends;
  const FourTuple tuple = seg.Tuple();
  if (std::optional<uint32_t> v = found) {
    if ((*v & kTimeWaitBit) != 0) {
      HandleTimeWait(env, *v & ~kTimeWaitBit, seg);
      return;
    }
    if ((*v & kHalfOpenBit) != 0) {
      HandleHalfOpen(env, *v & kIndexMask, seg);
      return;
    }
    std::optional<SlabHandle> h = conns_.HandleAt(*v);
    Connection* c = conns_.GetByIndex(*v);
    TERN_DCHECK(c != nullptr && h.has_value());
    Verdict verdict = c->OnSegment(env, seg.tcp);
    After(env, *h, c, verdict);
    return;
  }
  if (uint32_t i; MatchListener(tuple.local_addr, tuple.local_port, &i)) {
    HandleListen(env, listeners_[i], i, seg);
    return;
  }
  HandleClosed(env, seg);
}

void Endpoint::OnIcmpError(const IcmpError& error, Instant now) {
  stats_.icmp_errors_in.Inc();
  const std::optional<uint32_t> found = table_.Find(error.tuple);
  if (!found) {
    stats_.drops.Inc(DropReason::kIcmpNoConnection);
    return;
  }
  if ((*found & kTimeWaitBit) != 0) {
    stats_.drops.Inc(DropReason::kIcmpTimeWait);
    return;
  }
  Env env = MakeEnv(now);
  if ((*found & kHalfOpenBit) != 0) {
    const uint32_t index = *found & kIndexMask;
    const HalfOpen* r = half_opens_.GetByIndex(index);
    TERN_DCHECK(r != nullptr);
    // RFC 5927 section 4.1 with SND.UNA = ISS, SND.NXT = ISS + 1; Linux's
    // tcp_req_err checks the same.
    if (r == nullptr || error.seq != r->iss) {
      stats_.drops.Inc(DropReason::kIcmpOutOfWindow);
      return;
    }
    if (IcmpIsHard(error)) {
      stats_.icmp_aborts.Inc();
      FreeHalfOpen(env.now, index);
    } else {
      stats_.icmp_soft_errors.Inc();  // the SYN-ACK timer decides
    }
    return;
  }
  std::optional<SlabHandle> h = conns_.HandleAt(*found);
  Connection* c = conns_.GetByIndex(*found);
  TERN_DCHECK(c != nullptr && h.has_value());
  const Verdict verdict = c->OnIcmpError(env, error);
  After(env, *h, c, verdict);
}

bool Endpoint::MatchListener(wire::Ipv4Addr addr, uint16_t port,
                             uint32_t* index) {
  // A short array of the open listeners (usually one or two), not the
  // listener slots themselves: every SYN scans it.
  for (const OpenListener& o : open_listeners_) {
    if (o.port == port && (o.addr.value == 0 || o.addr == addr)) {
      *index = o.index;
      return true;
    }
  }
  return false;
}

void Endpoint::SendResetFor(Env& env, const InSegment& seg) {
  // RFC 9293 3.10.7.1: if the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>;
  // otherwise <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
  OutSegment out;
  out.src = seg.dst;
  out.dst = seg.src;
  out.tcp.src_port = seg.tcp.dst_port;
  out.tcp.dst_port = seg.tcp.src_port;
  if (seg.tcp.Has(kAck)) {
    out.tcp.seq = seg.tcp.ack;
    out.tcp.flags = kRst;
  } else {
    out.tcp.seq = SeqNum(0);
    out.tcp.ack = seg.tcp.seq + seg.tcp.SegLen();
    out.tcp.flags = kRst | kAck;
  }
  env.sink.Send(out);
  stats_.segments_out.Inc();
  stats_.rst_sent.Inc();
}

void Endpoint::SendNoSocketReset(Env& env, const InSegment& seg) {
  // The draw for the limiter's jitter: the keyed ISN function (SipHash,
  // secret to an off-path observer) of a tuple no segment has, made of a
  // counter of draws so that each draw hashes a different input.
  ++rst_draws_;
  FourTuple draw{};
  draw.local_port = static_cast<uint16_t>(rst_draws_);
  draw.remote_port = static_cast<uint16_t>(rst_draws_ >> 16);
  const uint32_t random = isn_.Generate(draw, env.now).raw();
  if (!rst_limiter_.Take(env.now, config_.no_socket_rst_per_second, random)) {
    stats_.rst_limited.Inc();
    return;
  }
  SendResetFor(env, seg);
}

void Endpoint::HandleClosed(Env& env, const InSegment& seg) {
  // RFC 9293 3.10.7.1: "An incoming segment containing a RST is discarded."
  if (seg.tcp.Has(kRst)) {
    stats_.drops.Inc(DropReason::kNoSocketRst);
    return;
  }
  stats_.drops.Inc(DropReason::kNoSocket);
  SendNoSocketReset(env, seg);
}

void Endpoint::HandleListen(Env& env, Listener& l, uint32_t listener_index,
                            const InSegment& seg) {
  const ListenVerdict v = ListenInput(l, seg.tcp);
  switch (v.action) {
    case ListenAction::kDrop:
      stats_.drops.Inc(v.reason);
      if (v.reason == DropReason::kAcceptQueueFullSyn) {
        l.stats.syns_received.Inc();
        stats_.listen.syns_received.Inc();
        l.stats.accept_queue_full_syns.Inc();
        stats_.listen.accept_queue_full_syns.Inc();
      }
      return;
    case ListenAction::kReset:
      stats_.drops.Inc(v.reason);
      SendNoSocketReset(env, seg);
      return;
    case ListenAction::kCookieAck:
      if (!TryCookieAck(env, l, listener_index, seg)) {
        stats_.drops.Inc(DropReason::kListenAck);
        SendNoSocketReset(env, seg);
      }
      return;
    case ListenAction::kSyn:
      break;
  }
  if (!seg.tcp.payload.empty()) {
    stats_.drops.Inc(DropReason::kSynData);
  }
  l.stats.syns_received.Inc();
  stats_.listen.syns_received.Inc();
  const bool endpoint_full = half_opens_.size() >= half_opens_.capacity();
  if (l.UseCookie(endpoint_full, stats_.listen)) {
    SendCookieSynAck(env, l, seg);
    return;
  }
  if (l.SynQueueFull(endpoint_full)) {
    stats_.drops.Inc(DropReason::kSynQueueFull);
    l.stats.syn_queue_overflows.Inc();
    stats_.listen.syn_queue_overflows.Inc();
    return;
  }
  std::optional<SlabHandle> h = half_opens_.Alloc();
  if (!h) {
    stats_.drops.Inc(DropReason::kSynQueueFull);
    return;
  }
  HalfOpen* r = half_opens_.Get(*h);
  const FourTuple tuple = seg.Tuple();
  if (!TableInsert(tuple, h->index | kHalfOpenBit)) {
    half_opens_.Free(*h);
    stats_.drops.Inc(DropReason::kTableFull);
    return;
  }
  // RFC 9293 3.10.7.2: IRS = SEG.SEQ, ISS from RFC 6528. Data on the SYN is
  // not kept (no TCP Fast Open; doc/state_machine.md).
  const ConnOptions& co = l.options.conn;
  const wire::TcpOptions& in = seg.tcp.options;
  // The record is a connection in SYN-RECEIVED: its transitions are counted
  // like a Connection's (stats().Transitions).
  CountTransition(State::kListen, State::kSynReceived);
  r->tuple = tuple;
  r->iss = isn_.Generate(tuple, env.now);
  r->irs = seg.tcp.seq;
  r->listener_index = listener_index;
  r->listener_generation = l.generation;
  r->peer_mss = PeerMss(in);
  r->peer_window = seg.tcp.window;
  if (co.window_scaling && in.window_scale) {
    r->peer_wscale = *in.window_scale;
    r->flags |= HalfOpen::kWindowScale;
  }
  if (co.timestamps && in.timestamps) {
    r->flags |= HalfOpen::kTimestamps;
    r->ts_recent = in.timestamps->tsval;
  }
  if (co.sack_permitted && in.sack_permitted) {
    r->flags |= HalfOpen::kSack;
  }
  ++l.half_open;
  // The SYN's payload (if any) is not kept, and seg is not read after this.
  SendHalfOpenSynAck(env, *r, l, &seg);
  l.stats.synacks_sent.Inc();
  stats_.listen.synacks_sent.Inc();
  // RFC 6298 2.1: the first retransmission after the initial RTO.
  QueueHalfOpen(env.now, h->index);
}

void Endpoint::QueueHalfOpen(Instant now, uint32_t index) {
  const uint8_t retries = half_opens_.LiveAt(index)->retries;
  TERN_DCHECK(retries < synack_fifo_count_);
  synack_fifos_[retries].Push(wheel_, now,
                              now + SynAckTimeout(config_.rto, retries), index,
                              HalfOpenLinks());
}

void Endpoint::QueueTimeWait(Instant now, uint32_t index) {
  // RFC 9293 3.10.7.4: "start the time-wait timer" of 2 MSL.
  time_wait_fifo_.Push(wheel_, now, now + config_.msl * 2, index,
                       TimeWaitLinks());
}

void Endpoint::FreeTimeWait(Instant now, uint32_t index) {
  TimeWaitRecord* r = time_waits_.GetByIndex(index);
  TERN_DCHECK(r != nullptr);
  if (r->timer.queued()) {
    time_wait_fifo_.Remove(wheel_, now, index, TimeWaitLinks());
  }
  TableErase(r->tuple);
  time_waits_.Free(*time_waits_.HandleAt(index));
}

DeadlineFifo* Endpoint::SynAckFifoOf(const TimerNode* node) {
  // The queues are one array: the node names its queue by its address.
  const std::less<const void*> less;
  const void* first = synack_fifos_[0].node();
  const void* last = synack_fifos_[synack_fifo_count_ - 1].node();
  if (less(node, first) || less(last, node)) {
    return nullptr;
  }
  const size_t i =
      static_cast<size_t>((reinterpret_cast<const char*>(node) -
                           reinterpret_cast<const char*>(first)) /
                          static_cast<ptrdiff_t>(sizeof(DeadlineFifo)));
  TERN_DCHECK(synack_fifos_[i].node() == node);
  return &synack_fifos_[i];
}

void Endpoint::MakeSynAck(const FourTuple& tuple, SeqNum iss, SeqNum ack,
                          const Listener& l,
                          std::optional<uint8_t> offer_wscale, bool sack,
                          bool ts, uint32_t tsval, uint32_t tsecr,
                          const InSegment* reply_to,
                          SynAckSegment* out_segment) const {
  // The template holds the rest: the flags, the unscaled window (RFC 7323
  // 2.2), the MSS, and the options only as the peer offered them (RFC 7323
  // 2.2, 3.2; RFC 2018 2), laid out by BuildSynAckTemplates.
  SynAckSegment& out = *out_segment;
  out.src = tuple.local_addr;
  out.dst = tuple.remote_addr;
  out.src_port = tuple.local_port;
  out.dst_port = tuple.remote_port;
  out.seq = iss;
  out.ack = ack;
  out.tsval = tsval;
  out.tsecr = tsecr;
  out.header_template = &l.synack_templates[SynAckTemplateIndex(
      offer_wscale.has_value(), sack, ts)];
  out.reply_to = reply_to;
  // The template must still lay out the SYN-ACK the listener's options give
  // now (Listen and SetListenerConnOptions rebuild them).
  TERN_DCHECK(out.header_template->Matches(
      SynAckProto(l.options.conn, offer_wscale, sack, ts)));
}

void Endpoint::SendSynAck(Env& env, const FourTuple& tuple, SeqNum iss,
                          SeqNum ack, const Listener& l,
                          std::optional<uint8_t> offer_wscale, bool sack,
                          bool ts, uint32_t tsval, uint32_t tsecr,
                          const InSegment* reply_to) {
  SynAckSegment out;
  MakeSynAck(tuple, iss, ack, l, offer_wscale, sack, ts, tsval, tsecr, reply_to,
             &out);
  env.sink.SendSynAck(out);
  stats_.segments_out.Inc();
}

wire::TcpRepr Endpoint::SynAckProto(const ConnOptions& co,
                                    std::optional<uint8_t> offer_wscale,
                                    bool sack, bool ts) const {
  wire::TcpRepr proto;
  proto.flags = kSyn | kAck;
  // The SYN-ACK's window is never scaled (RFC 7323 2.2); options only as
  // the peer offered them (RFC 7323 2.2, 3.2; RFC 2018 2).
  proto.window = SynAckWindow(co);
  proto.options.mss = AnnouncedMss(config_, co);
  proto.options.window_scale = offer_wscale;
  proto.options.sack_permitted = sack;
  if (ts) {
    proto.options.timestamps = wire::TcpTimestamps{0, 0};
  }
  return proto;
}

void Endpoint::BuildSynAckTemplates(Listener& l) {
  // Every layout SendSynAck can produce for this listener's options: the
  // peer's SYN decides which options are answered.
  const ConnOptions& co = l.options.conn;
  for (int wscale = 0; wscale < 2; ++wscale) {
    for (int sack = 0; sack < 2; ++sack) {
      for (int ts = 0; ts < 2; ++ts) {
        const wire::TcpRepr proto = SynAckProto(
            co,
            wscale != 0 ? std::optional<uint8_t>(OfferedWindowScale(co))
                        : std::nullopt,
            sack != 0, ts != 0);
        l.synack_templates[SynAckTemplateIndex(wscale != 0, sack != 0,
                                               ts != 0)] =
            wire::TcpHeaderTemplate::Make(proto);
      }
    }
  }
}

void Endpoint::SendHalfOpenSynAck(Env& env, const HalfOpen& r,
                                  const Listener& l,
                                  const InSegment* reply_to) {
  const ConnOptions& co = l.options.conn;
  std::optional<uint8_t> wscale;
  if ((r.flags & HalfOpen::kWindowScale) != 0) {
    wscale = OfferedWindowScale(co);
  }
  // RFC 7323 5.4: our clock is ms plus a per-connection offset, the ISS.
  SendSynAck(env, r.tuple, r.iss, r.irs + 1, l, wscale,
             (r.flags & HalfOpen::kSack) != 0,
             (r.flags & HalfOpen::kTimestamps) != 0,
             MillisClock(env.now) + r.iss.raw(), r.ts_recent, reply_to);
}

void Endpoint::SendHalfOpenAck(Env& env, HalfOpen& r, bool limited) {
  // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> for an unacceptable segment, rate
  // limited like every ACK that answers something out of window.
  if (limited &&
      !r.ack_limiter.Allow(env.now, config_.challenge_ack_per_second)) {
    stats_.challenge_acks_limited.Inc();
    return;
  }
  OutSegment out;
  out.src = r.tuple.local_addr;
  out.dst = r.tuple.remote_addr;
  out.tcp.src_port = r.tuple.local_port;
  out.tcp.dst_port = r.tuple.remote_port;
  out.tcp.seq = r.iss + 1;
  out.tcp.ack = r.irs + 1;
  out.tcp.flags = kAck;
  const Listener* l = GetListener({r.listener_index, r.listener_generation});
  if (l != nullptr) {
    // RFC 7323 2.2: only a SYN's window is unscaled; once both SYNs carried
    // the option this ACK's is shifted (Linux's tcp_v4_reqsk_send_ack),
    // rounded up so that the edge the SYN-ACK advertised does not shrink
    // (RFC 9293 3.8.6), as Connection::WindowField rounds.
    uint32_t window = SynAckWindow(l->options.conn);
    if ((r.flags & HalfOpen::kWindowScale) != 0) {
      const uint8_t shift = OfferedWindowScale(l->options.conn);
      window = (window + (1u << shift) - 1) >> shift;
    }
    out.tcp.window = static_cast<uint16_t>(window);
  }
  if ((r.flags & HalfOpen::kTimestamps) != 0) {
    out.tcp.options.timestamps =
        wire::TcpTimestamps{MillisClock(env.now) + r.iss.raw(), r.ts_recent};
  }
  env.sink.Send(out);
  stats_.segments_out.Inc();
}

void Endpoint::CountTransition(State from, State to) {
  stats_.transitions[static_cast<int>(from)][static_cast<int>(to)].Inc();
}

int64_t Endpoint::StateGauge(State s) const {
  int64_t n = 0;
  for (int other = 0; other < kNumStates; ++other) {
    n += static_cast<int64_t>(
        stats_.transitions[other][static_cast<int>(s)].Get());
    n -= static_cast<int64_t>(
        stats_.transitions[static_cast<int>(s)][other].Get());
  }
  return n;
}

void Endpoint::FreeHalfOpen(Instant now, uint32_t index, bool promoted) {
  HalfOpen* r = half_opens_.GetByIndex(index);
  if (r == nullptr) {
    return;
  }
  if (!promoted) {
    // RFC 9293 3.10.7.4: back to LISTEN, i.e. this connection is CLOSED.
    CountTransition(State::kSynReceived, State::kClosed);
  }
  if (r->timer.queued()) {
    synack_fifos_[r->retries].Remove(wheel_, now, index, HalfOpenLinks());
  }
  TableErase(r->tuple);
  if (Listener* l = GetListener({r->listener_index, r->listener_generation});
      l != nullptr && l->half_open > 0) {
    --l->half_open;
  }
  half_opens_.Free(*half_opens_.HandleAt(index));
}

void Endpoint::HandleHalfOpen(Env& env, uint32_t index, const InSegment& seg) {
  HalfOpen* r = half_opens_.GetByIndex(index);
  TERN_DCHECK(r != nullptr);
  Listener* l = GetListener({r->listener_index, r->listener_generation});
  HalfOpenContext ctx;
  ctx.now = env.now;
  ctx.listener_open = l != nullptr;
  if (l != nullptr) {
    ctx.accept_queue_full = l->AcceptQueueFull();
    ctx.overflow = l->options.overflow;
    ctx.rcv_wnd = SynAckWindow(l->options.conn);
  }
  const HalfOpenVerdict v = HalfOpenInput(*r, seg.tcp, ctx);
  if (v.reason != DropReason::kCount) {
    stats_.drops.Inc(v.reason);
  }
  if (v.reason == DropReason::kAcceptQueueFull) {
    l->stats.accept_overflows.Inc();
    stats_.listen.accept_overflows.Inc();
    if (v.action == HalfOpenAction::kResetAndFree) {
      // Linux's tcp_abort_on_overflow = 1.
      l->stats.accept_overflow_resets.Inc();
      stats_.listen.accept_overflow_resets.Inc();
    }
  }
  switch (v.action) {
    case HalfOpenAction::kDrop:
      return;
    case HalfOpenAction::kResendSynAck:
      if (!seg.tcp.payload.empty()) {
        stats_.drops.Inc(DropReason::kSynData);  // as in HandleListen
      }
      r->flags |= HalfOpen::kDupAnswered;
      r->last_dup_answer = CoarseTick(env.now);
      SendHalfOpenSynAck(env, *r, *l);
      stats_.synack_retransmits.Inc();
      return;
    case HalfOpenAction::kAck:
      SendHalfOpenAck(env, *r);
      return;
    case HalfOpenAction::kChallengeAck:
      if (r->ack_limiter.Allow(env.now, config_.challenge_ack_per_second)) {
        stats_.challenge_acks.Inc();
        SendHalfOpenAck(env, *r, /*limited=*/false);
      } else {
        stats_.challenge_acks_limited.Inc();
      }
      return;
    case HalfOpenAction::kReset:
      SendResetFor(env, seg);
      return;
    case HalfOpenAction::kResetAndFree:
      SendResetFor(env, seg);
      FreeHalfOpen(env.now, index);
      return;
    case HalfOpenAction::kFree:
      FreeHalfOpen(env.now, index);
      return;
    case HalfOpenAction::kPromote:
      Promote(env, index, seg);
      return;
  }
}

void Endpoint::Promote(Env& env, uint32_t index, const InSegment& seg) {
  HalfOpen r = *half_opens_.GetByIndex(index);
  Listener* l = GetListener({r.listener_index, r.listener_generation});
  TERN_DCHECK(l != nullptr);
  std::optional<SlabHandle> h = conns_.Alloc();
  if (!h) {
    // Keep the half-open record: the peer's retransmission may find room.
    stats_.drops.Inc(DropReason::kTableFull);
    return;
  }
  FreeHalfOpen(env.now, index, /*promoted=*/true);
  if (!TableInsert(r.tuple, h->index)) {
    conns_.Free(*h);
    stats_.drops.Inc(DropReason::kTableFull);
    CountTransition(State::kSynReceived, State::kClosed);  // no connection
    return;
  }
  Connection* c = conns_.Get(*h);
  c->in_table = true;
  c->listener_index = r.listener_index;
  c->listener_generation = r.listener_generation;
  c->accepted = false;
  Connection::SynReceivedParams p;
  p.tuple = r.tuple;
  p.iss = r.iss;
  p.irs = r.irs;
  p.peer_mss = r.peer_mss;
  p.peer_window = r.peer_window;
  if ((r.flags & HalfOpen::kWindowScale) != 0) {
    p.peer_wscale = r.peer_wscale;
  }
  p.transition_counted = true;
  p.sack_permitted = (r.flags & HalfOpen::kSack) != 0;
  if ((r.flags & HalfOpen::kTimestamps) != 0) {
    p.ts_recent = r.ts_recent;
  }
  p.synack_window = SynAckWindow(l->options.conn);
  p.synack_retransmitted = r.retries > 0;
  c->InitSynReceived(env, p, l->options.conn);
  const Verdict v = c->OnSegment(env, seg.tcp);
  TERN_DCHECK(c->state() != State::kSynReceived);
  After(env, *h, c, v);
}

void Endpoint::OnHalfOpenTimer(Env& env, uint32_t index) {
  HalfOpen* r = half_opens_.GetByIndex(index);
  if (r == nullptr) {
    return;
  }
  Listener* l = GetListener({r->listener_index, r->listener_generation});
  if (l == nullptr || r->retries >= config_.synack_retries) {
    // The last SYN-ACK went unanswered: the record goes (a spoofed SYN
    // ends here).
    stats_.synack_timeouts.Inc();
    FreeHalfOpen(env.now, index);
    return;
  }
  ++r->retries;
  SendHalfOpenSynAck(env, *r, *l);
  stats_.synack_retransmits.Inc();
  QueueHalfOpen(env.now, index);
}

void Endpoint::SendCookieSynAck(Env& env, Listener& l, const InSegment& seg) {
  // Computed with the burst's others when OnSegments could (the same tuple,
  // ISN, MSS index, counter and, unless a rotation came in between, key).
  const SeqNum cookie =
      precomputed_for_ == &seg
          ? precomputed_cookie_
          : EncodeSynCookie(seg.Tuple(), seg.tcp.seq,
                            CookieMssIndex(PeerMss(seg.tcp.options)),
                            SynCookieCounter(env.now), cookies_->Current());
  SynAckSegment out;
  CookieSynAck(l, seg, cookie, MillisClock(env.now), &out);
  env.sink.SendSynAck(out);
  stats_.segments_out.Inc();
  l.stats.cookies_sent.Inc();
  stats_.listen.cookies_sent.Inc();
  l.stats.synacks_sent.Inc();
  stats_.listen.synacks_sent.Inc();
}

void Endpoint::CookieSynAck(const Listener& l, const InSegment& seg,
                            SeqNum cookie, uint32_t now_ms,
                            SynAckSegment* out) const {
  // Stateless: everything the final ACK needs is in the cookie (the ISS) and,
  // with timestamps, in the low bits of our TSval (doc/syn_cookies.md).
  const ConnOptions& co = l.options.conn;
  const wire::TcpOptions& in = seg.tcp.options;
  std::optional<uint8_t> wscale;
  bool sack = false;
  // The timestamps go to MakeSynAck as plain values: an optional built here
  // and copied as an argument cost a store-forwarding stall (perf annotate,
  // doc/benchmarks.md issue 12).
  const bool ts = co.timestamps && in.timestamps.has_value();
  uint32_t tsval = 0;
  if (ts) {
    CookieTsOptions opts;
    if (co.window_scaling && in.window_scale) {
      opts.window_shift =
          std::min<uint8_t>(*in.window_scale, CookieTsOptions::kMaxWindowShift);
      wscale = OfferedWindowScale(co);
    }
    opts.sack_permitted = co.sack_permitted && in.sack_permitted;
    sack = opts.sack_permitted;
    uint32_t ts_clock = now_ms + cookie.raw();
    tsval = EncodeTsOptions(ts_clock, opts);
  }
  // Without timestamps the cookie cannot carry window scale or SACK: the
  // documented fallback offers neither.
  MakeSynAck(seg.Tuple(), cookie, seg.tcp.seq + 1, l, wscale, sack, ts, tsval,
             ts ? in.timestamps->tsval : 0, &seg, out);
}

bool Endpoint::TryCookieAck(Env& env, Listener& l, uint32_t listener_index,
                            const InSegment& seg) {
  const FourTuple tuple = seg.Tuple();
  const SeqNum cookie = seg.tcp.ack - 1;
  const SeqNum client_isn = seg.tcp.seq - 1;
  const uint32_t counter = SynCookieCounter(env.now);
  CookieDecodeResult r =
      DecodeSynCookie(tuple, cookie, client_isn, counter, cookies_->Current());
  if (!r.accepted() && *r.reject == CookieReject::kBadMac) {
    // Issued before the last rotation?
    CookieDecodeResult prev = DecodeSynCookie(tuple, cookie, client_isn,
                                              counter, cookies_->Previous());
    if (prev.accepted()) {
      r = prev;
    }
  }
  if (!r.accepted()) {
    Counter* c = &l.stats.cookies_rejected_bad_mac;
    Counter* total = &stats_.listen.cookies_rejected_bad_mac;
    if (*r.reject == CookieReject::kExpired) {
      c = &l.stats.cookies_rejected_expired;
      total = &stats_.listen.cookies_rejected_expired;
    } else if (*r.reject == CookieReject::kBadMssIndex) {
      c = &l.stats.cookies_rejected_bad_mss_index;
      total = &stats_.listen.cookies_rejected_bad_mss_index;
    }
    c->Inc();
    total->Inc();
    return false;  // the caller answers with RST, as for any stray ACK
  }
  l.stats.cookies_validated.Inc();
  stats_.listen.cookies_validated.Inc();
  if (l.AcceptQueueFull()) {
    stats_.drops.Inc(DropReason::kAcceptQueueFull);
    l.stats.accept_overflows.Inc();
    stats_.listen.accept_overflows.Inc();
    if (l.options.overflow == AcceptOverflow::kReset) {
      l.stats.accept_overflow_resets.Inc();
      stats_.listen.accept_overflow_resets.Inc();
      SendResetFor(env, seg);
    }
    // kDrop: the client retransmits its ACK (or data) and, while the cookie
    // is still valid, gets in once the application has accepted.
    return true;
  }
  std::optional<SlabHandle> h = conns_.Alloc();
  if (!h) {
    stats_.drops.Inc(DropReason::kTableFull);
    return true;
  }
  if (!TableInsert(tuple, h->index)) {
    conns_.Free(*h);
    stats_.drops.Inc(DropReason::kTableFull);
    return true;
  }
  Connection* c = conns_.Get(*h);
  c->in_table = true;
  c->listener_index = listener_index;
  c->listener_generation = l.generation;
  c->accepted = false;
  const ConnOptions& co = l.options.conn;
  Connection::SynReceivedParams p;
  p.tuple = tuple;
  p.iss = cookie;
  p.irs = client_isn;
  p.peer_mss = r.mss();
  p.peer_window = seg.tcp.window;
  if (co.timestamps && seg.tcp.options.timestamps) {
    CookieTsOptions ts_options =
        DecodeTsOptions(seg.tcp.options.timestamps->tsecr);
    p.peer_wscale = ts_options.window_shift;
    p.sack_permitted = ts_options.sack_permitted;
    p.ts_recent = seg.tcp.options.timestamps->tsval;
    p.skip_ts_rtt_sample = true;
  }
  p.synack_window = SynAckWindow(co);
  // Unknown: the SYN-ACK left no trace. Treat it as resent (no RTT sample
  // from the handshake, RFC 6298 5.7's 3 s RTO until a sample arrives).
  p.synack_retransmitted = true;
  c->InitSynReceived(env, p, co);
  Verdict v = c->OnSegment(env, seg.tcp);
  TERN_DCHECK(c->state() != State::kSynReceived);
  After(env, *h, c, v);
  return true;
}

void Endpoint::SendTimeWaitAck(Env& env, const TimeWaitRecord& r) {
  OutSegment out;
  out.src = r.tuple.local_addr;
  out.dst = r.tuple.remote_addr;
  out.tcp.src_port = r.tuple.local_port;
  out.tcp.dst_port = r.tuple.remote_port;
  out.tcp.seq = r.snd_nxt;
  out.tcp.ack = r.rcv_nxt;
  out.tcp.flags = kAck;
  out.tcp.window = r.window;
  if (r.timestamps != 0) {
    out.tcp.options.timestamps =
        wire::TcpTimestamps{MillisClock(env.now) + r.ts_offset, r.ts_recent};
  }
  env.sink.Send(out);
  stats_.segments_out.Inc();
}

void Endpoint::HandleTimeWait(Env& env, uint32_t index, const InSegment& seg) {
  TimeWaitRecord* r = time_waits_.GetByIndex(index);
  TERN_DCHECK(r != nullptr);
  TimeWaitVerdict v = TimeWaitInput(*r, seg.tcp);
  switch (v.action) {
    case TimeWaitAction::kDrop:
      stats_.drops.Inc(v.reason);
      return;
    case TimeWaitAction::kAck:
      if (v.reason != DropReason::kCount) {
        stats_.drops.Inc(v.reason);
      }
      // Rate-limited like every ACK answering an out-of-window segment.
      if (TimeWaitAckAllowed(*r, env.now)) {
        SendTimeWaitAck(env, *r);
      } else {
        stats_.challenge_acks_limited.Inc();
      }
      return;
    case TimeWaitAction::kAckAndRestart:
      if (r->timestamps != 0 && seg.tcp.options.timestamps) {
        r->ts_recent = seg.tcp.options.timestamps->tsval;
      }
      // Rate-limited too: a flood of FINs must not draw one ACK each.
      if (TimeWaitAckAllowed(*r, env.now)) {
        SendTimeWaitAck(env, *r);
      } else {
        stats_.challenge_acks_limited.Inc();
      }
      time_wait_fifo_.Remove(wheel_, env.now, index, TimeWaitLinks());
      QueueTimeWait(env.now, index);
      return;
    case TimeWaitAction::kReopen: {
      uint32_t listener_index = 0;
      if (!MatchListener(r->tuple.local_addr, r->tuple.local_port,
                         &listener_index)) {
        // No listener to take the SYN: the record stays and answers it as a
        // SYN that does not reopen it (Linux's tcp_v4_rcv: TCP_TW_SYN with
        // no listener falls through to TCP_TW_ACK). Freeing it would let a
        // blind SYN above RCV.NXT end an active opener's TIME-WAIT early
        // and draw a RST; found by the differential fuzz target.
        stats_.drops.Inc(DropReason::kTimeWaitSyn);
        if (TimeWaitAckAllowed(*r, env.now)) {
          SendTimeWaitAck(env, *r);
        } else {
          stats_.challenge_acks_limited.Inc();
        }
        return;
      }
      stats_.time_wait_reopened.Inc();
      CountTransition(State::kTimeWait, State::kClosed);
      FreeTimeWait(env.now, index);
      // Process the SYN as if the tuple were free (RFC 6191 section 2).
      HandleListen(env, listeners_[listener_index], listener_index, seg);
      return;
    }
  }
}

Instant Endpoint::OnTimers(Instant now) {
  wheel_.Advance(now, config_.timer_quota,
                 [this, now](TimerNode* node) { OnTimer(node, now); });
  return wheel_.NextDeadline();
}

void Endpoint::OnTimer(TimerNode* node, Instant now) {
  stats_.timers_fired.Inc();
  // The node is embedded in a connection, half-open or TIME-WAIT record,
  // each kind in its own slab: its address names the record. A record's
  // timer is cancelled before the record is freed, so the slot is live.
  if (const std::optional<uint32_t> index = conns_.SlotOf(node)) {
    Connection* c = conns_.GetByIndex(*index);
    TERN_DCHECK(c != nullptr && &c->timer == node);
    if (c == nullptr) {
      return;
    }
    Env env = MakeEnv(now);
    Verdict v = c->OnTimer(env);
    After(env, *conns_.HandleAt(*index), c, v);
    return;
  }
  if (DeadlineFifo* fifo = SynAckFifoOf(node)) {
    if (fifo->empty()) {
      return;  // not armed while empty (deadline_fifo.h)
    }
    // The queue's head is due; the queue's node is re-armed for the next.
    const uint32_t index = fifo->PopFired(wheel_, now, HalfOpenLinks());
    Env env = MakeEnv(now);
    OnHalfOpenTimer(env, index);
    return;
  }
  TERN_DCHECK(node == time_wait_fifo_.node());
  if (node != time_wait_fifo_.node() || time_wait_fifo_.empty()) {
    return;
  }
  const uint32_t index = time_wait_fifo_.PopFired(wheel_, now, TimeWaitLinks());
  // 2 MSL have passed (RFC 9293 3.10.8): delete the record.
  stats_.time_wait_expired.Inc();
  CountTransition(State::kTimeWait, State::kClosed);
  FreeTimeWait(now, index);
}

// ---------------------------------------------------------------------------
// Connection bookkeeping.

void Endpoint::Unlink(Connection* c) {
  if (c->in_table) {
    TableErase(c->tuple());
    c->in_table = false;
  }
}

void Endpoint::EnterTimeWait(Env& env, Connection* c) {
  Unlink(c);
  if (time_waits_.size() >= config_.max_time_wait) {
    // At the bound the connection skips TIME-WAIT, as Linux does when
    // tcp_max_tw_buckets is reached; counted so operators see it.
    stats_.time_wait_overflow.Inc();
    // No record: the connection's TIME-WAIT ends here.
    CountTransition(State::kTimeWait, State::kClosed);
    return;
  }
  std::optional<SlabHandle> h = time_waits_.Alloc();
  if (!h) {
    stats_.time_wait_overflow.Inc();
    // No record: the connection's TIME-WAIT ends here.
    CountTransition(State::kTimeWait, State::kClosed);
    return;
  }
  TimeWaitRecord* r = time_waits_.Get(*h);
  *r = c->MakeTimeWait(env);
  if (!TableInsert(r->tuple, h->index | kTimeWaitBit)) {
    time_waits_.Free(*h);
    stats_.time_wait_overflow.Inc();
    CountTransition(State::kTimeWait, State::kClosed);
    return;
  }
  stats_.time_wait_created.Inc();
  QueueTimeWait(env.now, h->index);
}

void Endpoint::Release(SlabHandle h, Connection* c) {
  wheel_.Cancel(&c->timer);
  UnlinkDirty(h.index, c);
  conns_.Free(h);  // ~Connection releases any referenced chunk left
}

void Endpoint::After(Env& env, SlabHandle h, Connection* c, Verdict v) {
  switch (v) {
    case Verdict::kKeep:
      break;
    case Verdict::kEstablished: {
      Listener* l = GetListener({c->listener_index, c->listener_generation});
      if (l == nullptr) {
        // The listener went away during the handshake.
        c->Abort(env);
        Unlink(c);
        Release(h, c);
        return;
      }
      l->PushAccepted(ConnHandle{h.index, h.generation});
      c->in_accept_queue = true;
      if (!l->in_ready_list) {
        l->in_ready_list = true;
        PushReady(
            ReadyEntry{c->listener_index | kReadyListener, l->generation});
      }
      break;
    }
    case Verdict::kTimeWait:
      EnterTimeWait(env, c);
      break;
    case Verdict::kClosed:
      Unlink(c);
      break;
  }

  const bool done = !c->in_table;
  if (done && (c->orphaned() || (!c->accepted && !c->in_accept_queue))) {
    // Nobody holds a handle, and no accept queue will hand one out: the
    // record goes.
    Release(h, c);
    return;
  }
  // A connection waiting in an accept queue keeps its events until Accept.
  if (c->accepted) {
    if (uint32_t e = c->TakeEvents(); e != 0 && !c->orphaned()) {
      c->pending_events |= e;
      QueueEvent(h, c);
    }
  }
  if (!done && c->output_pending() && !c->in_dirty_list) {
    LinkDirty(h.index, c);
  }
  Instant deadline = done ? Instant::Never() : c->ProtocolDeadline();
  if (!done) {
    // The buffer reclaim is lazy: a timer still armed no later than it (for
    // a delayed ACK just sent, say) stays armed instead of being moved, and
    // arms the reclaim when it fires; so a busy connection whose buffers
    // keep emptying costs no extra timer-wheel operation per segment.
    const Instant reclaim = c->reclaim_deadline();
    if (reclaim < deadline) {
      if (c->timer.armed() && c->timer_deadline <= reclaim) {
        return;
      }
      deadline = reclaim;
    }
  }
  if (deadline == Instant::Never()) {
    wheel_.Cancel(&c->timer);
  } else if (!c->timer.armed() || deadline != c->timer_deadline) {
    c->timer_deadline = deadline;
    wheel_.Arm(&c->timer, deadline);
  }
}

// ---------------------------------------------------------------------------
// Application.

Connection* Endpoint::Lookup(ConnHandle h) {
  Connection* c = conns_.Get(SlabHandle{h.index, h.generation});
  if (c == nullptr || c->orphaned() || !c->accepted) {
    return nullptr;
  }
  return c;
}

const Connection* Endpoint::Find(ConnHandle h) const {
  return const_cast<Endpoint*>(this)->Lookup(h);
}

absl::StatusOr<ListenerHandle> Endpoint::Listen(wire::Ipv4Addr addr,
                                                uint16_t port,
                                                const ListenOptions& options) {
  if (port == 0) {
    return absl::InvalidArgumentError("Listen: port 0");
  }
  if (options.backlog == 0 || options.syn_backlog == 0) {
    return absl::InvalidArgumentError(
        "Listen: backlog and syn_backlog must be at least 1");
  }
  uint32_t free_index = UINT32_MAX;
  for (uint32_t i = 0; i < listener_count_; ++i) {
    const Listener& l = listeners_[i];
    if (l.open && l.port == port &&
        (l.addr.value == 0 || addr.value == 0 || l.addr == addr)) {
      return absl::AlreadyExistsError(absl::StrCat(
          "Listen: ", addr.ToString(), ":", port, " is already listening"));
    }
    if (!l.open && free_index == UINT32_MAX) {
      free_index = i;
    }
  }
  if (free_index == UINT32_MAX) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "Listen: all ", listener_count_, " listener slots are in use"));
  }
  Listener& l = listeners_[free_index];
  l.Open(addr, port, options, config_.max_backlog);
  BuildSynAckTemplates(l);
  open_listeners_.push_back(OpenListener{addr, port, free_index});
  return ListenerHandle{free_index, l.generation};
}

SockError Endpoint::CloseListener(ListenerHandle lh, Instant now) {
  Listener* l = GetListener(lh);
  if (l == nullptr) {
    return SockError::kBadHandle;
  }
  Env env = MakeEnv(now);
  // Connections never accepted are reset (Linux inet_csk_listen_stop).
  for (ConnHandle ch; l->PopAccepted(&ch);) {
    SlabHandle sh{ch.index, ch.generation};
    if (Connection* c = conns_.Get(sh)) {
      c->Abort(env);
      Unlink(c);
      Release(sh, c);
    }
  }
  l->open = false;
  l->half_open = 0;
  std::erase_if(open_listeners_,
                [&](const OpenListener& o) { return o.index == lh.index; });
  // Half-open records find their listener gone lazily: a final ACK is
  // answered with RST (HandleHalfOpen) and the next SYN-ACK timer frees them,
  // so closing a listener costs nothing per record.
  return SockError::kOk;
}

absl::StatusOr<ConnHandle> Endpoint::Connect(wire::Ipv4Addr local,
                                             wire::Ipv4Addr remote,
                                             uint16_t remote_port,
                                             const ConnOptions& options,
                                             Instant now, uint16_t local_port) {
  if (remote_port == 0 || remote.value == 0) {
    return absl::InvalidArgumentError("Connect: remote address or port is 0");
  }
  FourTuple tuple{local, remote, local_port, remote_port};
  if (local_port == 0) {
    // Start at a point that moves on with every connect so that ports are
    // reused as late as possible; probe for a free 4-tuple.
    const uint32_t range = kEphemeralLast - kEphemeralFirst + 1;
    bool found = false;
    for (uint32_t i = 0; i < range; ++i) {
      uint32_t port = kEphemeralFirst + (port_cursor_ + i) % range;
      tuple.local_port = static_cast<uint16_t>(port);
      if (!table_.Find(tuple)) {
        port_cursor_ = (port_cursor_ + i + 1) % range;
        found = true;
        break;
      }
    }
    if (!found) {
      return absl::ResourceExhaustedError(
          "Connect: no free ephemeral port for this destination");
    }
  } else if (table_.Find(tuple)) {
    return absl::AlreadyExistsError("Connect: 4-tuple in use");
  }
  std::optional<SlabHandle> h = conns_.Alloc();
  if (!h) {
    return absl::ResourceExhaustedError("Connect: connection table full");
  }
  if (!TableInsert(tuple, h->index)) {
    conns_.Free(*h);
    return absl::ResourceExhaustedError("Connect: connection table full");
  }
  Connection* c = conns_.Get(*h);
  c->in_table = true;
  Env env = MakeEnv(now);
  c->InitActive(env, tuple, isn_.Generate(tuple, now), options);
  After(env, *h, c, Verdict::kKeep);
  return ConnHandle{h->index, h->generation};
}

size_t Endpoint::Accept(ListenerHandle lh, std::span<ConnHandle> out) {
  Listener* l = GetListener(lh);
  if (l == nullptr) {
    return 0;
  }
  size_t n = 0;
  for (ConnHandle ch; n < out.size() && l->PopAccepted(&ch);) {
    Connection* c = conns_.Get(SlabHandle{ch.index, ch.generation});
    if (c == nullptr) {
      continue;  // reset while it waited; its record is gone
    }
    c->accepted = true;
    c->in_accept_queue = false;
    // What happened while it waited is now visible to the application: the
    // events it kept, and what is readable now.
    c->pending_events |= c->TakeEvents() | events::kConnected |
                         (c->Poll() & (events::kReadable | events::kPeerClosed |
                                       events::kWritable));
    QueueEvent(SlabHandle{ch.index, ch.generation}, c);
    out[n++] = ch;
  }
  return n;
}

std::optional<ConnHandle> Endpoint::Accept(ListenerHandle lh) {
  ConnHandle h;
  if (Accept(lh, std::span<ConnHandle>(&h, 1)) == 1) {
    return h;
  }
  return std::nullopt;
}

bool Endpoint::Acceptable(ListenerHandle lh) const {
  const Listener* l = GetListener(lh);
  return l != nullptr && l->accept_queue_length() > 0;
}

size_t Endpoint::half_open_count(ListenerHandle lh) const {
  const Listener* l = GetListener(lh);
  return l == nullptr ? 0 : l->half_open;
}

const ListenerStats* Endpoint::listener_stats(ListenerHandle lh) const {
  const Listener* l = GetListener(lh);
  return l == nullptr ? nullptr : &l->stats;
}

bool Endpoint::cookie_mode(ListenerHandle lh) const {
  const Listener* l = GetListener(lh);
  return l != nullptr && l->cookie_active;
}

size_t Endpoint::accept_queue_length(ListenerHandle lh) const {
  const Listener* l = GetListener(lh);
  return l == nullptr ? 0 : l->accept_queue_length();
}

const TimeWaitRecord* Endpoint::FindTimeWait(const FourTuple& tuple) const {
  std::optional<uint32_t> v = table_.Find(tuple);
  if (!v || (*v & kTimeWaitBit) == 0) {
    return nullptr;
  }
  return const_cast<Slab<TimeWaitRecord>&>(time_waits_)
      .GetByIndex(*v & ~kTimeWaitBit);
}

#define TERN_WITH_CONN(h, now)    \
  Connection* c = Lookup(h);      \
  if (c == nullptr) {             \
    return SockError::kBadHandle; \
  }                               \
  Env env = MakeAppEnv(now);      \
  SlabHandle sh { h.index, h.generation }

IoResult Endpoint::Send(ConnHandle h, std::span<const uint8_t> data,
                        Instant now) {
  Connection* c = Lookup(h);
  if (c == nullptr) {
    return {0, SockError::kBadHandle};
  }
  Env env = MakeAppEnv(now);
  IoResult r = c->Send(env, data);
  After(env, SlabHandle{h.index, h.generation}, c, Verdict::kKeep);
  return r;
}

IoResult Endpoint::SendRef(ConnHandle h, const PayloadRef& ref, Instant now) {
  Connection* c = Lookup(h);
  if (c == nullptr) {
    return {0, SockError::kBadHandle};
  }
  Env env = MakeAppEnv(now);
  IoResult r = c->SendRef(env, ref);
  After(env, SlabHandle{h.index, h.generation}, c, Verdict::kKeep);
  return r;
}

IoResult Endpoint::Recv(ConnHandle h, std::span<uint8_t> out, Instant now) {
  Connection* c = Lookup(h);
  if (c == nullptr) {
    return {0, SockError::kBadHandle};
  }
  Env env = MakeAppEnv(now);  // a window update waits for Flush too
  IoResult r = c->Recv(env, out);
  After(env, SlabHandle{h.index, h.generation}, c, Verdict::kKeep);
  return r;
}

SockError Endpoint::SetBacklog(ListenerHandle listener, size_t backlog) {
  Listener* l = GetListener(listener);
  if (l == nullptr) {
    return SockError::kBadHandle;
  }
  if (backlog == 0) {
    return SockError::kInvalid;
  }
  backlog = std::min(backlog, config_.max_backlog);
  l->SetBacklog(backlog);
  return SockError::kOk;
}

size_t Endpoint::backlog(ListenerHandle listener) const {
  const Listener* l = GetListener(listener);
  return l == nullptr ? 0 : l->options.backlog;
}

SockError Endpoint::SetListenerConnOptions(ListenerHandle listener,
                                           const ConnOptions& options) {
  Listener* l = GetListener(listener);
  if (l == nullptr) {
    return SockError::kBadHandle;
  }
  l->options.conn = options;
  BuildSynAckTemplates(*l);
  return SockError::kOk;
}

IoResult Endpoint::Peek(ConnHandle h, std::span<uint8_t> out) const {
  const Connection* c = Find(h);
  if (c == nullptr) {
    return {0, SockError::kBadHandle};
  }
  return {c->Peek(out), SockError::kOk};
}

SockError Endpoint::SetSendBuffer(ConnHandle h, size_t bytes, Instant now) {
  TERN_WITH_CONN(h, now);
  c->SetSendBuffer(bytes);
  After(env, sh, c, Verdict::kKeep);
  return SockError::kOk;
}

SockError Endpoint::ShutdownWrite(ConnHandle h, Instant now) {
  TERN_WITH_CONN(h, now);
  SockError e = c->ShutdownWrite(env);
  After(env, sh, c,
        c->state() == State::kClosed && c->in_table ? Verdict::kClosed
                                                    : Verdict::kKeep);
  return e;
}

SockError Endpoint::Close(ConnHandle h, Instant now) {
  TERN_WITH_CONN(h, now);
  Verdict v = c->Close(env);
  if (!c->in_table) {
    // Already closed or in TIME-WAIT: the record only waited for the handle.
    v = Verdict::kKeep;
  }
  After(env, sh, c, v);
  if (Connection* still = conns_.Get(sh);
      still != nullptr && !still->in_table) {
    Release(sh, still);
  }
  return SockError::kOk;
}

SockError Endpoint::Abort(ConnHandle h, Instant now) {
  TERN_WITH_CONN(h, now);
  c->Abort(env);
  Unlink(c);
  Release(sh, c);
  return SockError::kOk;
}

size_t Endpoint::AbortAll(Instant now) {
  Env env = MakeEnv(now);
  size_t ended = 0;
  for (uint32_t i = 0; i < conns_.capacity(); ++i) {
    Connection* c = conns_.GetByIndex(i);
    if (c == nullptr) {
      continue;
    }
    const std::optional<SlabHandle> h = conns_.HandleAt(i);
    TERN_DCHECK(h.has_value());
    c->Abort(env);
    Unlink(c);
    Release(*h, c);
    stats_.shutdown_aborts.Inc();
    ++ended;
  }
  for (uint32_t i = 0; i < half_opens_.capacity(); ++i) {
    if (half_opens_.GetByIndex(i) != nullptr) {
      FreeHalfOpen(env.now, i);
    }
  }
  return ended;
}

SockError Endpoint::SetNodelay(ConnHandle h, bool on, Instant now) {
  TERN_WITH_CONN(h, now);
  c->SetNodelay(env, on);
  After(env, sh, c, Verdict::kKeep);
  return SockError::kOk;
}

SockError Endpoint::SetKeepalive(ConnHandle h, const KeepaliveOptions& ka,
                                 Instant now) {
  TERN_WITH_CONN(h, now);
  const SockError e = c->SetKeepalive(env, ka);
  After(env, sh, c, Verdict::kKeep);
  return e;
}

#undef TERN_WITH_CONN

SockError Endpoint::TakeError(ConnHandle h) {
  Connection* c = Lookup(h);
  if (c == nullptr) {
    return SockError::kBadHandle;
  }
  return c->TakeError();
}

uint32_t Endpoint::Poll(ConnHandle h) const {
  const Connection* c = Find(h);
  return c == nullptr ? 0 : c->Poll();
}

void Endpoint::QueueEvent(SlabHandle h, Connection* c) {
  if (!c->in_ready_list) {
    c->in_ready_list = true;
    PushReady(ReadyEntry{h.index, h.generation});
  }
}

bool Endpoint::ReadyLive(ReadyEntry e) const {
  if ((e.index & kReadyListener) != 0) {
    return GetListener(ListenerHandle{e.index & ~kReadyListener,
                                      e.generation}) != nullptr;
  }
  return conns_.Get(SlabHandle{e.index, e.generation}) != nullptr;
}

void Endpoint::PushReady(ReadyEntry e) {
  if (ready_.size() == ready_.capacity()) {
    // The application has not polled for a while and released connections
    // left entries behind: drop those and the ones already taken, so the
    // list stays within what Create reserved (a live connection or listener
    // is in it at most once).
    size_t kept = 0;
    for (size_t i = ready_head_; i < ready_.size(); ++i) {
      if (ReadyLive(ready_[i])) {
        ready_[kept++] = ready_[i];
      }
    }
    ready_.resize(kept);
    ready_head_ = 0;
  }
  TERN_DCHECK(ready_.size() < ready_.capacity());
  ready_.push_back(e);
}

SockError Endpoint::SetContext(ConnHandle h, uint64_t context) {
  Connection* c = Lookup(h);
  if (c == nullptr) {
    return SockError::kBadHandle;
  }
  c->context = context;
  return SockError::kOk;
}

uint64_t Endpoint::Context(ConnHandle h) const {
  const Connection* c = Find(h);
  return c == nullptr ? 0 : c->context;
}

size_t Endpoint::MemoryBytes() const {
  size_t bytes = sizeof(*this) + conns_.MemoryBytes() +
                 half_opens_.MemoryBytes() + time_waits_.MemoryBytes() +
                 table_.MemoryBytes() + assemblers_->MemoryBytes() +
                 scoreboards_->MemoryBytes() + send_queues_->MemoryBytes() +
                 keepalives_->MemoryBytes() + buffers_.bytes() +
                 cache_.cached_bytes() +
                 ready_.capacity() * sizeof(ReadyEntry) +
                 synack_fifo_count_ * sizeof(DeadlineFifo) +
                 open_listeners_.capacity() * sizeof(OpenListener) +
                 listener_count_ * sizeof(Listener);
  for (size_t i = 0; i < listener_count_; ++i) {
    bytes += listeners_[i].accept_queue_capacity() * sizeof(ConnHandle);
  }
  if (own_cookies_ != nullptr) {
    bytes += sizeof(SynCookieSecretStore);
  }
  return bytes;
}

size_t Endpoint::PollEvents(std::span<Event> out) {
  size_t n = 0;
  size_t i = ready_head_;
  for (; i < ready_.size() && n < out.size(); ++i) {
    const ReadyEntry r = ready_[i];
    if ((r.index & kReadyListener) != 0) {
      const ListenerHandle lh{r.index & ~kReadyListener, r.generation};
      Listener* l = GetListener(lh);
      if (l == nullptr) {
        continue;
      }
      l->in_ready_list = false;
      if (l->accept_queue_length() > 0) {
        out[n++] = Event{{}, lh, events::kAcceptable};
      }
      continue;
    }
    Connection* c = conns_.Get(SlabHandle{r.index, r.generation});
    if (c == nullptr) {
      continue;
    }
    c->in_ready_list = false;
    if (c->pending_events != 0 && !c->orphaned()) {
      out[n++] = Event{
          ConnHandle{r.index, r.generation}, {}, c->pending_events, c->context};
      c->pending_events = 0;
    }
  }
  ready_head_ = i;
  if (ready_head_ == ready_.size()) {
    ready_.clear();
    ready_head_ = 0;
  } else if (ready_head_ > ready_.size() / 2) {
    // Amortised O(1) per event taken: the move costs what is left, which is
    // less than what was taken since the last compaction.
    ready_.erase(ready_.begin(),
                 ready_.begin() + static_cast<ptrdiff_t>(ready_head_));
    ready_head_ = 0;
  }
  return n;
}

}  // namespace tern::tcp
