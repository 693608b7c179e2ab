// Endpoint: the per-lcore TCP engine.
//
// It composes the connection table (4-tuple -> record), a slab of full
// connections, a slab of compact TIME-WAIT records, the listeners with their
// half-open bound and accept queues, and the timer wheel. Segments and `now`
// go in (OnSegment, OnTimers); segments come out through the SegmentSink;
// the application drives connections through handles and learns of progress
// through PollEvents (readiness, as epoll) or Poll (level-triggered, as poll).
//
// RFC 9293 3.10.7.1 (segments for no connection: reset generation), 3.10.7.2
// (LISTEN), RFC 6191 (TIME-WAIT reuse), RFC 6528 (ISNs), RFC 6335 / Linux
// ip_local_port_range (ephemeral ports).
//
// RSTs answering segments for no connection are bounded per endpoint
// (EndpointConfig::no_socket_rst_per_second, RstLimiter).
//
// Contract: single-threaded, owned by one lcore, no locks; nothing is
// allocated per segment (tables and slabs are sized by EndpointConfig at
// Create). Every dropped segment increments a DropReason in stats(). A handle
// used after its connection was released gets SockError::kBadHandle.
#ifndef TERN_LIB_TCP_ENDPOINT_H_
#define TERN_LIB_TCP_ENDPOINT_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/base/siphash.h"
#include "lib/tcp/api.h"
#include "lib/tcp/assembler_pool.h"
#include "lib/tcp/buffer_allocator.h"
#include "lib/tcp/config.h"
#include "lib/tcp/conn_table.h"
#include "lib/tcp/connection.h"
#include "lib/tcp/cookie_secrets.h"
#include "lib/tcp/deadline_fifo.h"
#include "lib/tcp/half_open.h"
#include "lib/tcp/isn.h"
#include "lib/tcp/listener.h"
#include "lib/tcp/rst_limiter.h"
#include "lib/tcp/scoreboard_pool.h"
#include "lib/tcp/segment.h"
#include "lib/tcp/slab.h"
#include "lib/tcp/stats.h"
#include "lib/tcp/syn_cookie.h"
#include "lib/tcp/time_wait.h"
#include "lib/tcp/timer_wheel.h"

namespace tern::tcp {

struct EndpointSecrets {
  // Keys for the RFC 6528 ISN function and the connection-table hash; drawn
  // from getrandom when not given (tests give fixed ones).
  std::optional<SipKey> isn_key;
  std::optional<std::array<uint8_t, 16>> table_key;
  // SYN-cookie secrets shared by every lcore's endpoint (it must outlive
  // them); when null the endpoint makes its own from getrandom.
  const SynCookieSecretStore* cookie_store = nullptr;
};

class Endpoint {
 public:
  using Secrets = EndpointSecrets;

  static absl::StatusOr<std::unique_ptr<Endpoint>> Create(
      const EndpointConfig& config, SegmentSink* sink, Instant now,
      const Secrets& secrets = {});
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  // ---- data path
  void OnSegment(const InSegment& segment, Instant now);
  // A receive burst: the same as calling OnSegment for each segment in
  // order, with the same segments sent, events, counters and state, but the
  // 4-tuples are looked up together first (ConnTable::FindBurst, which
  // prefetches their buckets) and the records found are prefetched. A
  // segment that changes the table (a SYN creating a half-open record, a
  // connection closing) makes the later segments of the burst with its
  // 4-tuple look it up again, so none acts on a stale lookup. Any burst size
  // works; it is looked up in runs of ConnTable::kBurst.
  void OnSegments(std::span<const InSegment> segments, Instant now);
  // An ICMP error about a segment this endpoint sent (RFC 5927, Linux's
  // tcp_v4_err): checked against the connection's send sequence space, then
  // a fragmentation-needed lowers the path's MSS and resends what no longer
  // fits (RFC 1191); in SYN-SENT (and an active SYN-RECEIVED) any other
  // error ends the attempt with its errno; on a half-open record a hard
  // error (protocol or port unreachable, administratively prohibited) frees
  // the record; in a synchronized state the error is soft (RFC 1122
  // 4.2.3.9, RFC 5927 section 4.2): kept, and reported instead of
  // ETIMEDOUT if the connection times out. Everything else is dropped with
  // a named reason.
  void OnIcmpError(const IcmpError& error, Instant now);
  // Runs due timers, at most config.timer_quota of them per call, and
  // returns NextDeadline() after them: the instant to call again.
  Instant OnTimers(Instant now);
  // The instant the earliest armed timer becomes due, exact (its deadline
  // rounded up to the wheel's tick, 65.536 us): OnTimers before it does
  // nothing, OnTimers at or after it runs at least that timer.
  // Instant::Never() when no timer is armed; <= the last `now` when the quota
  // left due timers for the next call. Application calls and segments can
  // arm earlier timers: ask again after them.
  Instant NextDeadline() const { return wheel_.NextDeadline(); }
  // Transmits what application calls deferred (EndpointConfig::
  // coalesce_sends), one Output per marked connection, in the order they
  // were marked. The per-lcore loop calls it once per poll iteration, after
  // the receive burst and the application's callbacks. Without
  // coalesce_sends nothing is ever deferred and Flush does nothing.
  void Flush(Instant now);
  bool flush_pending() const { return dirty_head_ != kNoDirty; }

  // ---- application
  absl::StatusOr<ListenerHandle> Listen(wire::Ipv4Addr addr, uint16_t port,
                                        const ListenOptions& options);
  // Closes a listener: connections waiting in its accept queue are reset,
  // half-open ones dropped.
  SockError CloseListener(ListenerHandle listener, Instant now);
  // Sets a listener's accept-queue bound (listen(2) on a listening socket,
  // Linux's inet_listen), clamped to EndpointConfig::max_backlog like
  // Listen's. It applies at once: connections already queued beyond a
  // smaller bound stay, and no SYN is answered until Accept takes the queue
  // below it. kInvalid for 0. Allocates (a control-plane call).
  SockError SetBacklog(ListenerHandle listener, size_t backlog);
  size_t backlog(ListenerHandle listener) const;
  // Replaces the options of the connections a listener accepts from now on
  // (setsockopt on a listening socket).
  SockError SetListenerConnOptions(ListenerHandle listener,
                                   const ConnOptions& options);
  // Active open. local_port 0 picks an ephemeral port (32768-60999, as
  // Linux's ip_local_port_range) whose 4-tuple is free.
  absl::StatusOr<ConnHandle> Connect(wire::Ipv4Addr local,
                                     wire::Ipv4Addr remote,
                                     uint16_t remote_port,
                                     const ConnOptions& options, Instant now,
                                     uint16_t local_port = 0);
  // Takes established connections from the accept queue, oldest first. An
  // accepted connection reports through PollEvents what happened while it
  // waited: kConnected always, and kReadable, kPeerClosed, kWritable, kReset
  // or kClosed for data, a FIN or a RST that arrived before Accept (an
  // event is queued for it here). A connection reset while it waited is
  // still returned, as Linux's accept does; Recv then reports kConnReset.
  size_t Accept(ListenerHandle listener, std::span<ConnHandle> out);
  std::optional<ConnHandle> Accept(ListenerHandle listener);

  IoResult Send(ConnHandle h, std::span<const uint8_t> data, Instant now);
  // Zero-copy send: queues ref.data by reference after whatever was sent
  // before (copied or referenced), in stream order. On success (bytes =
  // ref.data.size()) the endpoint owns the reference until it calls
  // ref.owner->Release(ref.token), exactly once: when the peer has
  // acknowledged the last byte, or when the connection reaches CLOSED (reset,
  // Abort, retransmissions exhausted), or its record or the endpoint is
  // destroyed. Segments and retransmissions carry spans pointing into
  // ref.data (OutSegment::payload), never copies. A chunk is taken whole or
  // not at all: kWouldBlock when the send buffer (ConnOptions::send_buffer,
  // copies and references together) or the chunk slots
  // (ConnOptions::send_ref_chunks) are full or the handshake is not complete,
  // kInvalid for an empty chunk, a null owner or a chunk larger than the send
  // buffer; then the caller keeps it and Release is not called. Chunks are
  // best at least MSS / 7 bytes: a segment holds at most kMaxPayloadSpans of
  // them.
  IoResult SendRef(ConnHandle h, const PayloadRef& ref, Instant now);
  IoResult Recv(ConnHandle h, std::span<uint8_t> out, Instant now);
  // Copies in-order received bytes without consuming them (MSG_PEEK).
  IoResult Peek(ConnHandle h, std::span<uint8_t> out) const;
  // Resizes a connection's send buffer (SO_SNDBUF after the handshake);
  // never below the bytes it holds.
  SockError SetSendBuffer(ConnHandle h, size_t bytes, Instant now);
  SockError ShutdownWrite(ConnHandle h, Instant now);
  // Gives the handle back; the connection finishes its close on its own.
  SockError Close(ConnHandle h, Instant now);
  // RST and release (SO_LINGER with zero timeout).
  SockError Abort(ConnHandle h, Instant now);
  // Ends every connection at once, as a host going away: each is aborted
  // as Abort does (an RST where RFC 9293's ABORT call sends one; orphans in
  // FIN-WAIT, CLOSING or LAST-ACK included) and freed, and every half-open
  // record is freed. TIME-WAIT records stay (they send nothing). Every
  // handle the application held is stale afterwards (kBadHandle). Returns
  // the number of connections ended (`shutdown_aborts`).
  size_t AbortAll(Instant now);
  SockError SetNodelay(ConnHandle h, bool on, Instant now);
  // kNoResources when keepalive was to be turned on and no keepalive record
  // could be had (keepalive_pool.h, counted as keepalive_refused).
  SockError SetKeepalive(ConnHandle h, const KeepaliveOptions& ka, Instant now);
  // The pending error (SO_ERROR), reported once.
  SockError TakeError(ConnHandle h);
  // The application's context of a connection: an opaque value the core
  // stores and returns in Event::context with every event of the
  // connection, so a service needs no table of its own keyed by handles.
  // 0 until set. SetContext gives kBadHandle for a handle not (or no longer)
  // the application's; Context gives 0 then.
  SockError SetContext(ConnHandle h, uint64_t context);
  uint64_t Context(ConnHandle h) const;

  // Edge events since the last call, one Event per connection or listener,
  // oldest first; what does not fit in `out` waits for the next call.
  // O(events taken): draining N events costs O(N) however `out` is sized.
  size_t PollEvents(std::span<Event> out);
  // Level-triggered readiness of one connection (0 for a bad handle).
  uint32_t Poll(ConnHandle h) const;
  bool Acceptable(ListenerHandle l) const;

  // ---- observation
  const Connection* Find(ConnHandle h) const;
  // The live connection record in slot `index` (0 <= index <
  // config().max_connections), or nullptr: a diagnostic walk over every
  // connection, application-held or not (the engine's per-connection dump).
  const Connection* ConnectionAt(uint32_t index) const {
    return const_cast<Slab<Connection>&>(conns_).GetByIndex(index);
  }
  const EndpointStats& stats() const { return stats_; }
  const EndpointConfig& config() const { return config_; }
  size_t connection_count() const { return conns_.size(); }
  // Connections holding out-of-order reassembly state now, and the bound
  // (EndpointConfig::max_reassembling).
  size_t assemblers_in_use() const { return assemblers_->in_use(); }
  size_t assemblers_capacity() const { return assemblers_->capacity(); }
  // Connections holding a SACK scoreboard, and the bound
  // (EndpointConfig::max_sack_scoreboards).
  size_t scoreboards_in_use() const { return scoreboards_->in_use(); }
  size_t scoreboards_capacity() const { return scoreboards_->capacity(); }
  // Connections holding a send queue (send_queue_pool.h).
  size_t send_queues_in_use() const { return send_queues_->in_use(); }
  // Connections holding keepalive state (keepalive_pool.h).
  size_t keepalives_in_use() const { return keepalives_->in_use(); }
  // What the out-of-line pools (reassembly, scoreboards, send queues,
  // keepalive) hold: they grow by chunks to their high-water mark and keep
  // it (record_pool.h); part of MemoryBytes().
  size_t PoolMemoryBytes() const {
    return assemblers_->MemoryBytes() + scoreboards_->MemoryBytes() +
           send_queues_->MemoryBytes() + keepalives_->MemoryBytes();
  }
  size_t time_wait_count() const { return time_waits_.size(); }
  // Half-open (SYN-RECEIVED) records on this endpoint, all listeners.
  size_t half_open_total() const { return half_opens_.size(); }
  // How many connections and records are in state `s` now, for s from
  // SYN-SENT to TIME-WAIT: half-open records count as SYN-RECEIVED, TIME-WAIT
  // records as TIME-WAIT. Exact, because every state change is counted in
  // stats().transitions, in one place each: Connection::SetState, and for
  // records Endpoint::CountTransition (half-open creation and expiry,
  // promotion being the connection's SYN-RECEIVED -> ESTABLISHED; TIME-WAIT
  // exit by expiry, reopening or a full record table). Entries minus exits,
  // O(states). Meaningless for CLOSED and LISTEN, which are not states of a
  // record here.
  int64_t StateGauge(State s) const;
  // The TIME-WAIT record of a tuple, if any (tests, diagnostics).
  const TimeWaitRecord* FindTimeWait(const FourTuple& tuple) const;
  size_t half_open_count(ListenerHandle l) const;
  // The listener's counters, or nullptr for a bad handle.
  const ListenerStats* listener_stats(ListenerHandle l) const;
  // Whether an on-overflow listener is answering with cookies right now.
  bool cookie_mode(ListenerHandle l) const;
  size_t accept_queue_length(ListenerHandle l) const;
  // Bytes this endpoint holds: the endpoint object, its slabs (connections,
  // half-open and TIME-WAIT records), the connection table, the listeners
  // and their accept queues, the event list, and the send and receive
  // buffers (and SendRef chunk slots) its connections took from the
  // BufferAllocator and still hold, and the buffers cached for reuse.
  // O(listeners).
  size_t MemoryBytes() const;
  // The part of MemoryBytes() in connection buffers.
  size_t buffer_bytes() const { return buffers_.bytes(); }
  // The part of MemoryBytes() in freed buffers kept for the next
  // connections (EndpointConfig::buffer_cache_bytes).
  const BufferCache& buffer_cache() const { return cache_; }

 private:
  // Forwards to the configured BufferAllocator and counts what is held.
  class CountingBuffers final : public BufferAllocator {
   public:
    explicit CountingBuffers(BufferAllocator* target) : target_(target) {}
    void* Allocate(size_t bytes, size_t align) override {
      void* p = target_->Allocate(bytes, align);
      if (p != nullptr) {
        bytes_ += bytes;
      }
      return p;
    }
    void Free(void* p, size_t bytes) override {
      bytes_ -= bytes;
      target_->Free(p, bytes);
    }
    size_t bytes() const { return bytes_; }

   private:
    BufferAllocator* target_;
    size_t bytes_ = 0;
  };

  Endpoint(const EndpointConfig& config, SegmentSink* sink, Instant now,
           IsnGenerator isn, ConnTable table,
           std::unique_ptr<AssemblerPool> assemblers,
           std::unique_ptr<ScoreboardPool> scoreboards,
           std::unique_ptr<SendQueuePool> send_queues,
           std::unique_ptr<KeepalivePool> keepalives, Slab<Connection> conns,
           Slab<HalfOpen> half_opens, Slab<TimeWaitRecord> time_waits,
           std::unique_ptr<SynCookieSecretStore> own_cookies,
           const SynCookieSecretStore* cookies);

  Env MakeEnv(Instant now);
  // For application calls: defers output when coalesce_sends is on.
  Env MakeAppEnv(Instant now);
  void LinkDirty(uint32_t index, Connection* c);
  void UnlinkDirty(uint32_t index, Connection* c);
  Connection* Lookup(ConnHandle h);
  Listener* FindListener(wire::Ipv4Addr addr, uint16_t port);
  Listener* GetListener(ListenerHandle h) {
    if (h.index >= listener_count_) {
      return nullptr;
    }
    Listener& l = listeners_[h.index];
    return l.open && l.generation == h.generation ? &l : nullptr;
  }
  const Listener* GetListener(ListenerHandle h) const {
    return const_cast<Endpoint*>(this)->GetListener(h);
  }

  // OnSegment after the lookup: `found` is the table's value for the tuple.
  void Dispatch(const InSegment& seg, std::optional<uint32_t> found,
                Instant now);
  // Every change of table_ goes through these, so a burst knows when a
  // lookup it made ahead went stale (OnSegments).
  bool TableInsert(const FourTuple& tuple, uint32_t value);
  void TableErase(const FourTuple& tuple);
  void NoteTableChange(const FourTuple& tuple);
  void HandleClosed(Env& env, const InSegment& seg);
  void HandleListen(Env& env, Listener& l, uint32_t listener_index,
                    const InSegment& seg);
  // A SYN-ACK with l's options, emitted by the sink from one of l's header
  // templates (OutSegment::header_template). reply_to: the SYN it answers
  // in this call, which the caller then no longer reads (OutSegment), or
  // null.
  void SendSynAck(Env& env, const FourTuple& tuple, SeqNum iss, SeqNum ack,
                  const Listener& l, std::optional<uint8_t> offer_wscale,
                  bool sack, bool ts, uint32_t tsval, uint32_t tsecr,
                  const InSegment* reply_to);
  // Writes the SynAckSegment SendSynAck sends to *out (in place: the
  // cookie lane's array, without a copy).
  void MakeSynAck(const FourTuple& tuple, SeqNum iss, SeqNum ack,
                  const Listener& l, std::optional<uint8_t> offer_wscale,
                  bool sack, bool ts, uint32_t tsval, uint32_t tsecr,
                  const InSegment* reply_to, SynAckSegment* out) const;
  // A SYN-ACK with co's options and those the peer asked for, its variable
  // fields (ports, numbers, timestamp values) zero: what a template lays out.
  wire::TcpRepr SynAckProto(const ConnOptions& co,
                            std::optional<uint8_t> offer_wscale, bool sack,
                            bool ts) const;
  // Lays out l.synack_templates for l's current options (Listen,
  // SetListenerConnOptions: a control-plane call).
  void BuildSynAckTemplates(Listener& l);
  void SendHalfOpenSynAck(Env& env, const HalfOpen& r, const Listener& l,
                          const InSegment* reply_to = nullptr);
  // limited: take a token from the ACK rate limiter first (false when the
  // caller already did).
  void SendHalfOpenAck(Env& env, HalfOpen& r, bool limited = true);
  void HandleHalfOpen(Env& env, uint32_t index, const InSegment& seg);
  void Promote(Env& env, uint32_t index, const InSegment& seg);
  void OnHalfOpenTimer(Env& env, uint32_t index);
  void FreeHalfOpen(Instant now, uint32_t index, bool promoted = false);
  // Queues the half-open record at `index` for its SYN-ACK timeout at its
  // retransmission count.
  void QueueHalfOpen(Instant now, uint32_t index);
  // Queues the TIME-WAIT record at `index` to expire 2 MSL after now.
  void QueueTimeWait(Instant now, uint32_t index);
  void FreeTimeWait(Instant now, uint32_t index);
  // The queue `node` belongs to, or nullptr.
  DeadlineFifo* SynAckFifoOf(const TimerNode* node);
  // The queues' view of the records' links (DeadlineFifo's link_of).
  auto HalfOpenLinks() {
    return [this](uint32_t i) -> FifoLink& {
      return half_opens_.LiveAt(i)->timer;
    };
  }
  auto TimeWaitLinks() {
    return [this](uint32_t i) -> FifoLink& {
      return time_waits_.LiveAt(i)->timer;
    };
  }
  void CountTransition(State from, State to);
  // The window a SYN-ACK announces: the receive buffer, unscaled (RFC 7323
  // 2.2), at most 65535.
  static uint16_t SynAckWindow(const ConnOptions& co) {
    return static_cast<uint16_t>(std::min<size_t>(co.recv_buffer, 0xffff));
  }
  void SendCookieSynAck(Env& env, Listener& l, const InSegment& seg);
  // Writes to *out the SYN-ACK answering seg with `cookie` as its ISS
  // (doc/syn_cookies.md: the TSval carries the offered options); now_ms is
  // the timestamp clock, now in whole milliseconds (RFC 7323 5.4).
  void CookieSynAck(const Listener& l, const InSegment& seg, SeqNum cookie,
                    uint32_t now_ms, SynAckSegment* out) const;
  // OnSegments' cookie lane: answers segment i of the burst (a bit of
  // burst_lane_mask_) into lane_ and returns true, or returns false and
  // changes nothing when the general path must take it.
  bool AnswerInLane(const InSegment& seg, size_t i, uint32_t now_ms);
  // Sends lane_'s SYN-ACKs (SegmentSink::SendSynAcks) and empties it.
  void FlushLane();
  // Fills burst_cookies_ for the segments of `segs` that are bare SYNs
  // missing the table (found[i] empty) to a listener answering with
  // cookies now, when there are at least two: their MACs computed together
  // (EncodeSynCookies), which a flood of SYNs repays.
  void PrecomputeCookies(std::span<const InSegment> segs,
                         std::span<const std::optional<uint32_t>> found,
                         Instant now);
  // True when the ACK carried a valid cookie and was handled.
  bool TryCookieAck(Env& env, Listener& l, uint32_t listener_index,
                    const InSegment& seg);
  bool MatchListener(wire::Ipv4Addr addr, uint16_t port, uint32_t* index);
  void HandleTimeWait(Env& env, uint32_t index, const InSegment& seg);
  void SendTimeWaitAck(Env& env, const TimeWaitRecord& r);
  void SendResetFor(Env& env, const InSegment& seg);
  // SendResetFor for a segment of no connection (3.10.7.1, a listener's
  // 3.10.7.2), within EndpointConfig::no_socket_rst_per_second; a RST held
  // back is counted in stats().rst_limited.
  void SendNoSocketReset(Env& env, const InSegment& seg);

  // Acts on a connection's verdict, collects its events, re-arms its timer,
  // frees it when nobody needs it any more.
  void After(Env& env, SlabHandle h, Connection* c, Verdict v);
  void Unlink(Connection* c);
  // Puts the connection in the event list unless it is there already.
  void QueueEvent(SlabHandle h, Connection* c);
  // An event list entry: a connection's slab handle, or a listener's handle
  // with kReadyListener set in the index (both indices are below 2^30,
  // EndpointConfig::Validate). The mask and context are read from the
  // connection when PollEvents takes the entry, so an entry is 8 bytes
  // instead of an Event's 32 for each of the max_connections + max_listeners
  // entries reserved at Create.
  struct ReadyEntry {
    uint32_t index;
    uint32_t generation;
  };
  static constexpr uint32_t kReadyListener = uint32_t{1} << 31;
  // Appends to the event list; at its reserved capacity it first drops the
  // entries of released connections and closed listeners (O(list), only
  // when the application has not polled for that long).
  void PushReady(ReadyEntry e);
  // Whether the entry's connection or listener still exists.
  bool ReadyLive(ReadyEntry e) const;
  void EnterTimeWait(Env& env, Connection* c);
  void Release(SlabHandle h, Connection* c);
  void OnTimer(TimerNode* node, Instant now);

  EndpointConfig config_;
  // Before the slabs: connections give their buffers back when destroyed.
  // Declared before buffers_ and the slabs: destroyed after every
  // connection has given its buffers back.
  BufferCache cache_;
  CountingBuffers buffers_;
  SegmentSink* sink_;
  EndpointStats stats_;
  IsnGenerator isn_;
  RstLimiter rst_limiter_;
  uint32_t rst_draws_ = 0;
  ConnTable table_;
  // Before conns_: connections give their Assemblers back when destroyed.
  std::unique_ptr<AssemblerPool> assemblers_;
  std::unique_ptr<ScoreboardPool> scoreboards_;
  std::unique_ptr<SendQueuePool> send_queues_;
  std::unique_ptr<KeepalivePool> keepalives_;
  Slab<Connection> conns_;
  Slab<HalfOpen> half_opens_;
  Slab<TimeWaitRecord> time_waits_;
  TimerWheel wheel_;
  // The half-open records' SYN-ACK timers, one queue per retransmission
  // count 0..synack_retries (each queue's records share one timeout,
  // SynAckTimeout), and the TIME-WAIT records' 2 MSL (deadline_fifo.h).
  std::unique_ptr<DeadlineFifo[]> synack_fifos_;
  size_t synack_fifo_count_ = 0;
  DeadlineFifo time_wait_fifo_;
  std::unique_ptr<SynCookieSecretStore> own_cookies_;
  const SynCookieSecretStore* cookies_;
  std::unique_ptr<Listener[]> listeners_;  // Listener holds Counters: fixed
  size_t listener_count_ = 0;
  struct OpenListener {
    wire::Ipv4Addr addr;
    uint16_t port;
    uint32_t index;
  };
  std::vector<OpenListener> open_listeners_;  // reserved at Create
  // Events not yet taken are ready_[ready_head_, size()); PollEvents moves
  // the head and compacts the vector once the head passes half of it, so
  // taking N events costs O(N). Reserved at Create and never grown: a live
  // connection or listener is in it at most once (in_ready_list), and
  // PushReady drops stale entries when it is full.
  std::vector<ReadyEntry> ready_;
  size_t ready_head_ = 0;
  // OnSegments: table changes while a segment is processed, and whether one
  // was for another 4-tuple than burst_tuple_ (then every later lookup of
  // the burst is made again).
  uint64_t table_changes_ = 0;
  bool foreign_table_change_ = false;
  FourTuple burst_tuple_{};
  // OnSegments: the cookies of the burst's SYNs to cookie-answering
  // listeners, computed together before the burst is dispatched
  // (PrecomputeCookies); SendCookieSynAck takes precomputed_cookie_ when it
  // answers precomputed_for_, and computes its own otherwise.
  std::array<SeqNum, ConnTable::kBurst> burst_cookies_{};
  uint32_t burst_cookie_mask_ = 0;  // bit i: burst_cookies_[i] is set
  static_assert(ConnTable::kBurst <= 32, "burst_cookie_mask_ has 32 bits");
  const InSegment* precomputed_for_ = nullptr;
  SeqNum precomputed_cookie_;
  // The cookie lane: bit i of burst_lane_mask_ marks a candidate of
  // PrecomputeCookies without payload or port 0, burst_listener_[i] its
  // listener; lane_[0, lane_n_) are the SYN-ACKs AnswerInLane made since
  // the last FlushLane. A burst of SYNs to a cookie-answering listener
  // skips Dispatch and HandleListen, and its SYN-ACKs reach the sink in one
  // call (doc/listener.md).
  uint32_t burst_lane_mask_ = 0;
  std::array<uint32_t, ConnTable::kBurst> burst_listener_;
  std::array<SynAckSegment, ConnTable::kBurst> lane_;
  size_t lane_n_ = 0;
  // OnSegments' and PrecomputeCookies' per-burst scratch: members rather than
  // locals, because locals of these types (std::optional, FourTuple and
  // CookieRequest have initialisers) were zeroed on every call, about 1 KiB
  // of stores per burst (perf annotate: OnSegments' `rep stos`,
  // doc/benchmarks.md, issue 14). Only [0, n) of each is read after it is
  // written in the same call.
  std::array<FourTuple, ConnTable::kBurst> burst_tuples_;
  std::array<std::optional<uint32_t>, ConnTable::kBurst> burst_found_;
  std::array<CookieRequest, ConnTable::kBurst> burst_requests_;
  std::array<uint8_t, ConnTable::kBurst> burst_request_at_;
  std::array<SeqNum, ConnTable::kBurst> burst_request_cookies_;
  bool in_on_segments_ = false;  // OnSegments is running (not re-entrant)
  // Connections with deferred output: an intrusive doubly linked list
  // through Connection::dirty_prev/dirty_next (slab indices), so it is
  // bounded by the slab and a released record leaves it in O(1).
  static constexpr uint32_t kNoDirty = UINT32_MAX;
  uint32_t dirty_head_ = kNoDirty;
  uint32_t dirty_tail_ = kNoDirty;
  uint32_t port_cursor_ = 0;
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_ENDPOINT_H_
