// RFC 9293 3.10.7.2 (LISTEN), 3.10.7.4 (passive SYN-RECEIVED), RFC 5961
// sections 3 and 4, RFC 7323 5.3, RFC 6298 5.5: the listener's state and its
// pure verdicts (listener.h).
#include "lib/tcp/listener.h"

#include <algorithm>
#include <utility>

#include "lib/base/dcheck.h"

namespace tern::tcp {

using wire::tcp_flags::kAck;
using wire::tcp_flags::kFin;
using wire::tcp_flags::kRst;
using wire::tcp_flags::kSyn;

void Listener::Open(wire::Ipv4Addr a, uint16_t p, const ListenOptions& o,
                    size_t max_backlog) {
  open = true;
  ++generation;
  addr = a;
  port = p;
  options = o;
  options.backlog = std::min(o.backlog, max_backlog);
  half_open = 0;
  accept_queue_.assign(options.backlog, ConnHandle{});
  aq_head_ = aq_size_ = 0;
  in_ready_list = false;
  cookie_active = false;
  stats.Reset();
}

void Listener::PushAccepted(ConnHandle h) {
  TERN_DCHECK(!AcceptQueueFull());
  TERN_DCHECK(aq_size_ < accept_queue_.size());
  accept_queue_[(aq_head_ + aq_size_) % accept_queue_.size()] = h;
  ++aq_size_;
}

bool Listener::PopAccepted(ConnHandle* h) {
  if (aq_size_ == 0) {
    return false;
  }
  *h = accept_queue_[aq_head_];
  aq_head_ = (aq_head_ + 1) % accept_queue_.size();
  --aq_size_;
  return true;
}

void Listener::SetBacklog(size_t backlog) {
  TERN_DCHECK(backlog > 0);
  // Sized for the larger of the new bound and what is queued now, so that
  // PushAccepted always finds a slot while !AcceptQueueFull().
  std::vector<ConnHandle> ring(std::max(backlog, aq_size_));
  for (size_t i = 0; i < aq_size_; ++i) {
    ring[i] = accept_queue_[(aq_head_ + i) % accept_queue_.size()];
  }
  accept_queue_ = std::move(ring);
  aq_head_ = 0;
  options.backlog = backlog;
}

bool Listener::UseCookie(bool endpoint_full, ListenerStats& total) {
  switch (options.cookies) {
    case SynCookieMode::kOff:
      return false;
    case SynCookieMode::kAlways:
      return true;
    case SynCookieMode::kOnOverflow:
      break;
  }
  const bool full = SynQueueFull(endpoint_full);
  if (!cookie_active && full) {
    cookie_active = true;
    stats.cookie_mode_entered.Inc();
    total.cookie_mode_entered.Inc();
  } else if (cookie_active && half_open <= options.syn_backlog / 2 &&
             !endpoint_full) {
    // Not while the endpoint's slab is full: the next SYN would find no
    // room, be dropped as a queue overflow and turn the mode on again, every
    // other SYN lost while another listener (or this one, when half its
    // syn_backlog is above max_half_open) holds the slab.
    cookie_active = false;
    stats.cookie_mode_left.Inc();
    total.cookie_mode_left.Inc();
  }
  return cookie_active;
}

ListenVerdict ListenInput(const Listener& l, const wire::TcpRepr& seg) {
  // First, check for a RST: ignore it.
  if (seg.Has(kRst)) {
    return {ListenAction::kDrop, DropReason::kListenRst};
  }
  // Second, check for an ACK: <SEQ=SEG.ACK><CTL=RST>, unless it is the
  // final ACK of a handshake answered with a SYN cookie.
  if (seg.Has(kAck)) {
    if (!seg.Has(kSyn) && l.options.cookies != SynCookieMode::kOff) {
      return {ListenAction::kCookieAck};
    }
    return {ListenAction::kReset, DropReason::kListenAck};
  }
  // Third, check for a SYN.
  if (!seg.Has(kSyn)) {
    return {ListenAction::kDrop, DropReason::kListenNoSyn};
  }
  if (seg.Has(kFin)) {
    // A SYN with FIN (with or without data): no legitimate opener sends
    // one, and answering it helps OS fingerprinting (Linux's
    // tcp_rcv_state_process, BSD's drop_synfin).
    return {ListenAction::kDrop, DropReason::kListenSynFin};
  }
  if (l.AcceptQueueFull()) {
    // The handshake could not complete; the client's SYN retransmission
    // tries again. Cookies do not bypass it.
    return {ListenAction::kDrop, DropReason::kAcceptQueueFullSyn};
  }
  return {ListenAction::kSyn};
}

HalfOpenVerdict HalfOpenInput(const HalfOpen& r, const wire::TcpRepr& t,
                              const HalfOpenContext& ctx) {
  const SeqNum rcv_nxt = r.irs + 1;
  // A SYN without ACK. With the record's own ISN it is a retransmission (our
  // SYN-ACK was lost): the SYN-ACK again, as Linux does, rather than the
  // bare ACK of the first check, at most once per kDupSynInterval.
  if (t.Has(kSyn) && !t.Has(kAck) && !t.Has(kRst)) {
    if (t.seq == r.irs && ctx.listener_open) {
      if ((r.flags & HalfOpen::kDupAnswered) != 0 &&
          // Signed: a `now` before the last answer (a clock stepped back)
          // is within the interval, as it was with Instants.
          static_cast<int32_t>(CoarseTick(ctx.now) - r.last_dup_answer) <
              static_cast<int32_t>(CoarseTicksAtLeast(kDupSynInterval))) {
        return {HalfOpenAction::kDrop, DropReason::kDupSynRateLimited};
      }
      return {HalfOpenAction::kResendSynAck};
    }
    // Another ISN. RFC 5961 4.2 replaces RFC 9293's "return to LISTEN":
    // whatever its sequence number, a challenge ACK, and the record stays,
    // so a blind SYN cannot remove it. A client that really restarted
    // answers the challenge with a RST at RCV.NXT (second check below).
    return {HalfOpenAction::kChallengeAck, DropReason::kSynChallenged};
  }
  // RFC 7323 5.3: PAWS, before the sequence number check.
  if ((r.flags & HalfOpen::kTimestamps) != 0 && !t.Has(kRst) &&
      t.options.timestamps &&
      static_cast<int32_t>(t.options.timestamps->tsval - r.ts_recent) < 0) {
    return {HalfOpenAction::kAck, DropReason::kPaws};
  }
  // First, check sequence number (RFC 9293 3.10.7.4).
  const uint32_t len = t.SegLen();
  const SeqNum wnd_end = rcv_nxt + ctx.rcv_wnd;
  const bool acceptable =
      len == 0 ? t.seq.InHalfOpen(rcv_nxt, wnd_end) || t.seq == rcv_nxt
               : t.seq.InHalfOpen(rcv_nxt, wnd_end) ||
                     (t.seq + (len - 1)).InHalfOpen(rcv_nxt, wnd_end);
  if (!acceptable) {
    if (t.Has(kRst)) {
      return {HalfOpenAction::kDrop, DropReason::kRstOutOfWindow};
    }
    return {HalfOpenAction::kAck, DropReason::kUnacceptableSeq};
  }
  // Second, check the RST bit (RFC 5961 3.2): exactly RCV.NXT returns the
  // connection to LISTEN; elsewhere in the window draws a challenge ACK.
  if (t.Has(kRst)) {
    if (t.seq == rcv_nxt) {
      return {HalfOpenAction::kFree};
    }
    return {HalfOpenAction::kChallengeAck, DropReason::kRstChallenged};
  }
  if (t.Has(kSyn)) {
    // A SYN-ACK to our SYN-ACK: RFC 5961 4.2 challenge.
    return {HalfOpenAction::kChallengeAck, DropReason::kSynChallenged};
  }
  // Fifth, check the ACK field.
  if (!t.Has(kAck)) {
    return {HalfOpenAction::kDrop, DropReason::kNoAck};
  }
  if (t.ack != r.iss + 1) {
    // "If the segment acknowledgment is not acceptable, form a reset
    // segment <SEQ=SEG.ACK><CTL=RST>".
    return {HalfOpenAction::kReset, DropReason::kSynRcvdBadAck};
  }
  if (!ctx.listener_open) {
    // The listener closed during the handshake.
    return {HalfOpenAction::kResetAndFree, DropReason::kNoSocket};
  }
  if (ctx.accept_queue_full) {
    // kDrop (Linux's tcp_abort_on_overflow = 0): ignore the ACK; the peer's
    // retransmission or our SYN-ACK retransmission completes it later.
    return {ctx.overflow == AcceptOverflow::kReset
                ? HalfOpenAction::kResetAndFree
                : HalfOpenAction::kDrop,
            DropReason::kAcceptQueueFull};
  }
  return {HalfOpenAction::kPromote};
}

Duration SynAckTimeout(const RttEstimator::Options& rto, int retries) {
  // RFC 6298 5.5: back off, doubling the RTO each time (at most 20 times),
  // at most rto.max; compared before it is multiplied, so it cannot
  // overflow.
  const int shift = std::clamp(retries, 0, 20);
  if (rto.initial.ToNanos() > (rto.max.ToNanos() >> shift)) {
    return rto.max;
  }
  return rto.initial * (int64_t{1} << shift);
}

}  // namespace tern::tcp
