// RFC 9293 3.10.7 (SEGMENT ARRIVES), 3.10.2 (SEND), 3.10.4 (CLOSE), with
// RFC 5961 3.2, 4.2 and 5.2 as RFC 9293 3.10.7.4 quotes them. Each block
// names the RFC's step; the text in quotes is the RFC's.
#include "tests/support/rfc9293_model.h"

#include <cstdio>

namespace tern::model {

std::string ToString(const Seg& s) {
  char buf[128];
  std::snprintf(
      buf, sizeof(buf), "<SEQ=%u><ACK=%u><CTL=%s%s%s%s><LEN=%u>", s.seq.raw(),
      (s.ctl & kAck) != 0 ? s.ack.raw() : 0u, (s.ctl & kSyn) != 0 ? "SYN," : "",
      (s.ctl & kFin) != 0 ? "FIN," : "", (s.ctl & kRst) != 0 ? "RST," : "",
      (s.ctl & kAck) != 0 ? "ACK" : "", s.len);
  return buf;
}

namespace {

Out Make(uint8_t ctl, SeqNum seq, SeqNum ack, uint32_t len = 0) {
  Out o;
  o.seg.ctl = ctl;
  o.seg.seq = seq;
  o.seg.ack = (ctl & kAck) != 0 ? ack : SeqNum(0);
  o.seg.len = len;
  return o;
}

}  // namespace

void Rfc9293Model::OpenActive(SeqNum iss) {
  // 3.10.1 OPEN, active: "A SYN segment of the form <SEQ=ISS><CTL=SYN> is
  // sent. Set SND.UNA to ISS, SND.NXT to ISS+1, enter SYN-SENT state".
  passive_ = false;
  iss_ = iss;
  snd_una_ = iss;
  snd_nxt_ = iss + 1;
  Enter(State::kSynSent);
}

void Rfc9293Model::AdoptIss(SeqNum iss) {
  iss_ = iss;
  snd_una_ = iss;
  snd_nxt_ = iss + 1;
  iss_pending_ = false;
}

void Rfc9293Model::AdoptWindow(const Seg& sent) {
  if ((sent.ctl & kAck) == 0) {
    syn_wnd_ = sent.wnd;
    return;
  }
  if ((sent.ctl & kRst) != 0) {
    return;
  }
  const SeqNum edge = sent.ack + sent.wnd;
  if (edge > rcv_adv_) {
    rcv_adv_ = edge;
  }
}

Out Rfc9293Model::AckSeg() const { return Make(kAck, snd_nxt_, rcv_nxt_); }

std::vector<Out> Rfc9293Model::OnSegment(const Seg& s) {
  switch (state_) {
    case State::kClosed:
      return listening_ ? ListenArrives(s) : Closed(s);
    case State::kListen:
      return ListenArrives(s);
    case State::kSynSent:
      return SynSent(s);
    case State::kSynReceived:
    case State::kEstablished:
    case State::kFinWait1:
    case State::kFinWait2:
    case State::kCloseWait:
    case State::kClosing:
    case State::kLastAck:
    case State::kTimeWait:
      return Otherwise(s);
  }
  return {};
}

// 3.10.7.1 CLOSED STATE.
std::vector<Out> Rfc9293Model::Closed(const Seg& s) {
  // "An incoming segment containing a RST is discarded."
  if ((s.ctl & kRst) != 0) {
    return {};
  }
  // "If the ACK bit is off, sequence number zero is used,
  //  <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>"
  if ((s.ctl & kAck) == 0) {
    return {Make(kRst | kAck, SeqNum(0), s.seq + s.SegLen())};
  }
  // "If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>"
  return {Make(kRst, s.ack, SeqNum(0))};
}

// 3.10.7.2 LISTEN STATE.
std::vector<Out> Rfc9293Model::ListenArrives(const Seg& s) {
  // "First, check for a RST: An incoming RST segment could not be valid ...
  // should be ignored."
  if ((s.ctl & kRst) != 0) {
    return {};
  }
  // "Second, check for an ACK: Any acknowledgment is bad if it arrives on a
  // connection still in the LISTEN state. An acceptable reset segment should
  // be formed for any arriving ACK-bearing segment. The RST should be
  // formatted as follows: <SEQ=SEG.ACK><CTL=RST>"
  if ((s.ctl & kAck) != 0) {
    return {Make(kRst, s.ack, SeqNum(0))};
  }
  // "Third, check for a SYN:"
  if ((s.ctl & kSyn) != 0) {
    if ((s.ctl & kFin) != 0 && dev_.listen_drops_syn_fin) {
      return {};
    }
    // (The security check does not apply.) "Set RCV.NXT to SEG.SEQ+1, IRS is
    // set to SEG.SEQ, and any other control or text should be queued for
    // processing later. ISS should be selected and a SYN segment sent of the
    // form: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> SND.NXT is set to ISS+1 and
    // SND.UNA to ISS. The connection state should be changed to
    // SYN-RECEIVED." Text on the SYN is not queued (the RFC's "may"; tern
    // drops it and the peer sends it again), and neither is a FIN.
    passive_ = true;
    closed_ = false;
    fin_sent_ = false;
    rcv_nxt_ = s.seq + 1;
    rcv_adv_ = rcv_nxt_;  // until the SYN-ACK announces its window
    irs_ = s.seq;
    snd_wnd_ = s.wnd;
    max_snd_wnd_ = s.wnd;
    iss_pending_ = true;
    Enter(State::kSynReceived);
    Out o = Make(kSyn | kAck, SeqNum(0), rcv_nxt_);
    o.any_seq = true;
    return {o};
  }
  // "Fourth, other data or control: ... drop the segment and return."
  return {};
}

// 3.10.7.3 SYN-SENT STATE.
std::vector<Out> Rfc9293Model::SynSent(const Seg& s) {
  bool ack_acceptable = false;
  // "First, check the ACK bit: If the ACK bit is set, If SEG.ACK =< ISS or
  // SEG.ACK > SND.NXT, send a reset (unless the RST bit is set, if so drop
  // the segment and return) <SEQ=SEG.ACK><CTL=RST> and discard the segment.
  // Return. If SND.UNA < SEG.ACK =< SND.NXT, then the ACK is acceptable."
  if ((s.ctl & kAck) != 0) {
    if (s.ack <= iss_ || s.ack > snd_nxt_) {
      if ((s.ctl & kRst) != 0) {
        return {};
      }
      return {Make(kRst, s.ack, SeqNum(0))};
    }
    ack_acceptable = snd_una_ < s.ack && s.ack <= snd_nxt_;
  }
  // "Second, check the RST bit: If the RST bit is set, ... If the ACK was
  // acceptable, then signal to the user 'error: connection reset', drop the
  // segment, enter CLOSED state, delete TCB, and return. Otherwise (no ACK),
  // drop the segment and return."
  if ((s.ctl & kRst) != 0) {
    if (ack_acceptable) {
      Enter(State::kClosed);
    }
    return {};
  }
  // "Fourth, check the SYN bit: This step should be reached only if the ACK
  // is ok, or there is no ACK, and the segment did not contain a RST."
  if ((s.ctl & kSyn) != 0) {
    // "RCV.NXT is set to SEG.SEQ+1, IRS is set to SEG.SEQ. SND.UNA should be
    // advanced to equal SEG.ACK (if there is an ACK)"
    rcv_nxt_ = s.seq + 1;
    irs_ = s.seq;
    rcv_adv_ = rcv_nxt_ + syn_wnd_;
    snd_wnd_ = s.wnd;
    max_snd_wnd_ = s.wnd;
    if ((s.ctl & kAck) != 0) {
      snd_una_ = s.ack;
    }
    // "If SND.UNA > ISS (our SYN has been ACKed), change the connection state
    // to ESTABLISHED, form an ACK segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
    // and send it. ... If there are other controls or text in the segment,
    // then continue processing at the sixth step below where the URG bit is
    // checked; otherwise, return."
    if (snd_una_ > iss_) {
      Enter(State::kEstablished);
      // Sixth (URG: not sent by the harness), seventh (text), eighth (FIN).
      if (s.len > 0) {
        rcv_nxt_ += s.len;
      }
      if ((s.ctl & kFin) != 0) {
        rcv_nxt_ += 1;
        Enter(State::kCloseWait);
      }
      return {AckSeg()};
    }
    // "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment
    // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it. ... If there are other
    // controls or text in the segment, queue them for processing after the
    // ESTABLISHED state has been reached, return." (Not queued: see
    // ListenArrives.)
    Enter(State::kSynReceived);
    return {Make(kSyn | kAck, iss_, rcv_nxt_)};
  }
  // "Fifth, if neither of the SYN or RST bits is set, then drop the segment
  // and return."
  return {};
}

// 3.10.7.4 Other States: the segment acceptability test.
bool Rfc9293Model::Acceptable(const Seg& s) const {
  // "Segment Length  Receive Window  Test
  //  0               0               SEG.SEQ = RCV.NXT
  //  0               >0              RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
  //  >0              0               not acceptable
  //  >0              >0              RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
  //                               or RCV.NXT =< SEG.SEQ+SEG.LEN-1 <
  //                                  RCV.NXT+RCV.WND"
  const uint32_t len = s.SegLen();
  const uint32_t wnd = rcv_wnd();
  const SeqNum end = rcv_nxt_ + wnd;
  auto in = [&](SeqNum x) { return rcv_nxt_ <= x && x < end; };
  if (len == 0) {
    return wnd == 0 ? s.seq == rcv_nxt_ : in(s.seq);
  }
  if (wnd == 0) {
    return false;
  }
  return in(s.seq) || in(s.seq + (len - 1));
}

std::vector<Out> Rfc9293Model::Otherwise(const Seg& s) {
  std::vector<Out> out = OtherwiseSteps(s);
  if (fin_to_emit_) {
    // Deviations::syn_received_close_defers_fin: the FIN queued by CLOSE in
    // SYN-RECEIVED leaves now, carrying the acknowledgment the segment
    // called for.
    fin_to_emit_ = false;
    if (state_ == State::kClosed) {
      return out;
    }
    if (!out.empty() && out.back().seg.ctl == kAck && out.back().seg.len == 0) {
      out.pop_back();
    }
    out.push_back(Make(kFin | kAck, fin_seq_, rcv_nxt_));
  }
  return out;
}

std::vector<Out> Rfc9293Model::TimeWaitRecordArrives(const Seg& s) {
  // Deviations::time_wait_record, in Linux's order.
  if ((s.ctl & kRst) != 0) {
    return {};  // RFC 1337: "ignore RST segments in TIME-WAIT state"
  }
  if ((s.ctl & (kSyn | kFin)) == (kSyn | kFin)) {
    return {};
  }
  if ((s.ctl & kSyn) != 0 && (s.ctl & kAck) == 0) {
    if (listening_ && s.seq > rcv_nxt_) {
      // RFC 1122 4.2.2.13: "it MAY accept a new SYN from the remote TCP to
      // reopen the connection directly from TIME-WAIT state, if it: (1)
      // assigns its initial sequence number for the new connection to be
      // larger than the largest sequence number it used on the previous
      // connection incarnation".
      state_ = State::kClosed;
      return ListenArrives(s);
    }
    return {AckSeg()};
  }
  if ((s.ctl & kSyn) != 0) {
    return {AckSeg()};
  }
  if ((s.ctl & kAck) == 0) {
    return {};
  }
  // "The only thing that can arrive in this state is a retransmission of
  // the remote FIN. Acknowledge it, and restart the 2 MSL timeout."
  if ((s.ctl & kFin) != 0 || s.len > 0) {
    return {AckSeg()};
  }
  return s.seq == rcv_nxt_ ? std::vector<Out>{} : std::vector<Out>{AckSeg()};
}

std::vector<Out> Rfc9293Model::OtherwiseSteps(const Seg& s) {
  if (state_ == State::kTimeWait && dev_.time_wait_record) {
    return TimeWaitRecordArrives(s);
  }
  // "First, check sequence number: ... If an incoming segment is not
  // acceptable, an acknowledgment should be sent in reply (unless the RST bit
  // is set, if so drop the segment and return): <SEQ=SND.NXT><ACK=RCV.NXT>
  // <CTL=ACK> After sending the acknowledgment, drop the unacceptable segment
  // and return."
  if (state_ == State::kSynReceived &&
      dev_.syn_received_dup_syn_resends_synack && (s.ctl & kSyn) != 0 &&
      (s.ctl & (kAck | kRst)) == 0 && s.seq == irs_) {
    return {Make(kSyn | kAck, iss_, rcv_nxt_)};
  }
  const bool acceptable = Acceptable(s);
  if (!acceptable) {
    if ((s.ctl & kRst) != 0) {
      return {};
    }
    return {AckSeg()};
  }

  // "Second, check the RST bit: RFC 5961 ... 1) If the RST bit is set and the
  // sequence number is outside the current receive window, silently drop the
  // segment. 2) If the RST bit is set and the sequence number exactly
  // matches the next expected sequence number (RCV.NXT), then TCP endpoints
  // MUST reset the connection in the manner prescribed below according to
  // the connection state. 3) If the RST bit is set and the sequence number
  // does not exactly match the next expected sequence value, yet is within
  // the current receive window, TCP endpoints MUST send an acknowledgment
  // (challenge ACK): <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"
  if ((s.ctl & kRst) != 0) {
    if (s.seq != rcv_nxt_) {
      return {AckSeg()};
    }
    switch (state_) {
      case State::kSynReceived:
        // "If this connection was initiated with a passive OPEN (i.e., came
        // from the LISTEN state), then return this connection to LISTEN
        // state and return. ... If this connection was initiated with an
        // active OPEN (i.e., came from SYN-SENT state), then the connection
        // was refused; signal the user 'connection refused'. ... enter the
        // CLOSED state and delete the TCB, and return."
        Enter(State::kClosed);
        return {};
      case State::kEstablished:
      case State::kFinWait1:
      case State::kFinWait2:
      case State::kCloseWait:
        // "If the RST bit is set, then any outstanding RECEIVEs and SEND
        // should receive 'reset' responses. ... Enter the CLOSED state,
        // delete the TCB, and return."
      case State::kClosing:
      case State::kLastAck:
      case State::kTimeWait:
        // "If the RST bit is set, then enter the CLOSED state, delete the
        // TCB, and return."
        Enter(State::kClosed);
        return {};
      case State::kClosed:
      case State::kListen:
      case State::kSynSent:
        break;
    }
    return {};
  }

  // (Third, check security: does not apply.)

  // "Fourth, check the SYN bit:"
  if ((s.ctl & kSyn) != 0) {
    if (state_ == State::kSynReceived && passive_ &&
        !dev_.syn_received_syn_challenge) {
      // "If the connection was initiated with a passive OPEN, then return
      // this connection to the LISTEN state and return."
      Enter(State::kClosed);
      return {};
    }
    // "RFC 5961 recommends that in these synchronized states, if the SYN bit
    // is set, irrespective of the sequence number, TCP endpoints MUST send a
    // 'challenge ACK' to the remote peer: <SEQ=SND.NXT><ACK=RCV.NXT>
    // <CTL=ACK> After sending the acknowledgment, TCP implementations MUST
    // drop the unacceptable segment and stop processing further."
    return {AckSeg()};
  }

  // "Fifth, check the ACK field: if the ACK bit is off, drop the segment and
  // return"
  if ((s.ctl & kAck) == 0) {
    return {};
  }
  // "if the ACK bit is on, RFC 5961 Section 5 ... The ACK value is considered
  // acceptable only if it is in the range of ((SND.UNA - MAX.SND.WND) =<
  // SEG.ACK =< SND.NXT). All incoming segments whose ACK value doesn't
  // satisfy the above condition MUST be discarded and an ACK sent back."
  // (SYN-RECEIVED has its own rule below.)
  if (state_ != State::kSynReceived) {
    if (!(snd_una_ - max_snd_wnd_ <= s.ack && s.ack <= snd_nxt_)) {
      return {AckSeg()};
    }
  }
  switch (state_) {
    case State::kSynReceived:
      // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state and
      // continue processing with the variables below set to: SND.WND <-
      // SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK. If the segment
      // acknowledgment is not acceptable, form a reset segment
      // <SEQ=SEG.ACK><CTL=RST> and send it."
      if (!(snd_una_ < s.ack && s.ack <= snd_nxt_)) {
        return {Make(kRst, s.ack, SeqNum(0))};
      }
      snd_wnd_ = s.wnd;
      Enter(State::kEstablished);
      snd_una_ = s.ack;
      if (fin_deferred_) {
        // The queued CLOSE (Deviations::syn_received_close_defers_fin):
        // "form a FIN segment and send it, and enter FIN-WAIT-1 state".
        fin_deferred_ = false;
        fin_to_emit_ = true;
        fin_sent_ = true;
        fin_seq_ = snd_nxt_;
        snd_nxt_ += 1;
        Enter(State::kFinWait1);
      }
      break;
    case State::kEstablished:
    case State::kFinWait1:
    case State::kFinWait2:
    case State::kCloseWait:
    case State::kClosing:
      // "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK. ...
      // If the ACK is a duplicate (SEG.ACK =< SND.UNA), it can be ignored."
      if (snd_una_ < s.ack && s.ack <= snd_nxt_) {
        snd_una_ = s.ack;
      }
      if (s.wnd > max_snd_wnd_) {
        max_snd_wnd_ = s.wnd;
      }
      break;
    case State::kLastAck:
      if (snd_una_ < s.ack && s.ack <= snd_nxt_) {
        snd_una_ = s.ack;
      }
      break;
    case State::kTimeWait:
    case State::kClosed:
    case State::kListen:
    case State::kSynSent:
      break;
  }
  const bool fin_acked = fin_sent_ && snd_una_ == fin_seq_ + 1;
  switch (state_) {
    case State::kFinWait1:
      // "In addition to the processing for the ESTABLISHED state, if the FIN
      // segment is now acknowledged, then enter FIN-WAIT-2 and continue
      // processing in that state."
      if (fin_acked) {
        Enter(State::kFinWait2);
      }
      break;
    case State::kClosing:
      // "In addition to the processing for the ESTABLISHED state, if the ACK
      // acknowledges our FIN, then enter the TIME-WAIT state; otherwise,
      // ignore the segment."
      if (fin_acked) {
        Enter(State::kTimeWait);
        if (dev_.closing_to_time_wait_ends_segment) {
          return {};
        }
      }
      break;
    case State::kLastAck:
      // "The only thing that can arrive in this state is an acknowledgment
      // of our FIN. If our FIN is now acknowledged, delete the TCB, enter
      // the CLOSED state, and return."
      if (fin_acked) {
        Enter(State::kClosed);
        return {};
      }
      break;
    case State::kTimeWait:
      // "The only thing that can arrive in this state is a retransmission of
      // the remote FIN. Acknowledge it, and restart the 2 MSL timeout."
      // An acceptable one carries seq = RCV.NXT, past the FIN, so it is not a
      // retransmission of it (those fail the first check and are ACKed
      // there); a FIN here is handled by the eighth step.
      break;
    case State::kSynReceived:
    case State::kEstablished:
    case State::kFinWait2:
    case State::kCloseWait:
    case State::kClosed:
    case State::kListen:
    case State::kSynSent:
      break;
  }

  // (Sixth, check the URG bit: the harness sends none.)

  // RFC 9293 3.6.1 (SHLD-2): "if new data is received after CLOSE is
  // called, its TCP implementation SHOULD send a RST to show that data was
  // lost" (the ABORT of 3.10.5: <SEQ=SND.NXT><CTL=RST>, enter CLOSED).
  if (closed_ && (state_ == State::kFinWait1 || state_ == State::kFinWait2) &&
      s.len > 0 && s.seq + s.len > rcv_nxt_) {
    // SND.NXT as sent: a FIN still queued has no sequence number on the
    // wire yet.
    const SeqNum seq = fin_to_emit_ ? fin_seq_ : snd_nxt_;
    fin_to_emit_ = false;
    Enter(State::kClosed);
    return {dev_.abort_rst_carries_ack ? Make(kRst | kAck, seq, rcv_nxt_)
                                       : Make(kRst, seq, SeqNum(0))};
  }

  // "Seventh, process the segment text:"
  bool ack_now = false;
  if (s.len > 0) {
    switch (state_) {
      case State::kEstablished:
      case State::kFinWait1:
      case State::kFinWait2: {
        // "Once in the ESTABLISHED state, it is possible to deliver segment
        // data to user RECEIVE buffers. ... When the TCP endpoint takes
        // responsibility for delivering the data to the user, it must also
        // acknowledge the receipt of the data. ... RCV.NXT is advanced over
        // the data accepted ... Send an acknowledgment of the form:
        // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>" The harness sends text only
        // at or below RCV.NXT, so the new octets are those past RCV.NXT.
        const SeqNum end = s.seq + s.len;
        if (end > rcv_nxt_) {
          rcv_nxt_ = end;
        }
        ack_now = true;
        break;
      }
      case State::kTimeWait:
        // Reached when this segment's ACK took CLOSING to TIME-WAIT.
      case State::kCloseWait:
      case State::kClosing:
      case State::kLastAck:
        // "This should not occur since a FIN has been received from the
        // remote side. Ignore the segment text."
        if (dev_.ack_text_after_fin && state_ != State::kTimeWait) {
          return {AckSeg()};
        }
        break;
      case State::kSynReceived:
      case State::kClosed:
      case State::kListen:
      case State::kSynSent:
        break;
    }
  }

  // "Eighth, check the FIN bit:"
  if ((s.ctl & kFin) != 0) {
    // The FIN's place: only a FIN at RCV.NXT (after the text) is processed;
    // the harness sends no FIN beyond it inside the window.
    if (s.seq + s.len != rcv_nxt_) {
      return ack_now ? std::vector<Out>{AckSeg()} : std::vector<Out>{};
    }
    // "If the FIN bit is set, signal the user 'connection closing' and
    // return any pending RECEIVEs with same message, advance RCV.NXT over
    // the FIN, and send an acknowledgment for the FIN."
    switch (state_) {
      case State::kSynReceived:
      case State::kEstablished:
        // "Enter the CLOSE-WAIT state."
        rcv_nxt_ += 1;
        Enter(State::kCloseWait);
        return {AckSeg()};
      case State::kFinWait1:
        // "If our FIN has been ACKed (perhaps in this segment), then enter
        // TIME-WAIT, start the time-wait timer, turn off the other timers;
        // otherwise, enter the CLOSING state."
        rcv_nxt_ += 1;
        Enter(fin_acked ? State::kTimeWait : State::kClosing);
        return {AckSeg()};
      case State::kFinWait2:
        // "Enter the TIME-WAIT state. Start the time-wait timer, turn off
        // the other timers."
        rcv_nxt_ += 1;
        Enter(State::kTimeWait);
        return {AckSeg()};
      case State::kCloseWait:
      case State::kClosing:
      case State::kLastAck:
        // "Remain in the ... state." (A FIN at RCV.NXT here is past the one
        // received: text after the FIN.)
        return dev_.ack_text_after_fin ? std::vector<Out>{AckSeg()}
                                       : std::vector<Out>{};
      case State::kTimeWait:
        // "Remain in the TIME-WAIT state. Restart the 2 MSL time-wait
        // timeout."
        return {AckSeg()};
      case State::kClosed:
      case State::kListen:
      case State::kSynSent:
        return {};
    }
  }
  return ack_now ? std::vector<Out>{AckSeg()} : std::vector<Out>{};
}

std::vector<Out> Rfc9293Model::Send(uint32_t n) {
  // 3.10.2 SEND, ESTABLISHED and CLOSE-WAIT: "Segmentize the buffer and
  // send it with a piggybacked acknowledgment (acknowledgment value =
  // RCV.NXT)."
  if (state_ != State::kEstablished && state_ != State::kCloseWait) {
    return {};
  }
  Out o = Make(kAck, snd_nxt_, rcv_nxt_, n);
  snd_nxt_ += n;
  return {o};
}

std::vector<Out> Rfc9293Model::Close() {
  closed_ = true;
  switch (state_) {
    case State::kSynSent:
      // "Delete the TCB and return 'error: closing' responses to any queued
      // SENDs, or RECEIVEs."
      Enter(State::kClosed);
      return {};
    case State::kSynReceived:
      if (dev_.syn_received_close_defers_fin) {
        fin_deferred_ = true;
        return {};
      }
      [[fallthrough]];
    case State::kEstablished:
    case State::kCloseWait: {
      // SYN-RECEIVED: "If no SENDs have been issued and there is no pending
      // data to send, then form a FIN segment and send it, and enter
      // FIN-WAIT-1 state". ESTABLISHED: "Queue this until all preceding
      // SENDs have been segmentized, then form a FIN segment and send it.
      // In any case, enter FIN-WAIT-1 state." CLOSE-WAIT: "Queue this
      // request until all preceding SENDs have been segmentized; then send a
      // FIN segment, enter LAST-ACK state."
      fin_sent_ = true;
      fin_seq_ = snd_nxt_;
      Out o = Make(kFin | kAck, snd_nxt_, rcv_nxt_);
      snd_nxt_ += 1;
      Enter(state_ == State::kCloseWait ? State::kLastAck : State::kFinWait1);
      return {o};
    }
    case State::kFinWait1:
    case State::kFinWait2:
    case State::kClosing:
    case State::kLastAck:
    case State::kTimeWait:
    case State::kClosed:
    case State::kListen:
      // "Respond with 'error: connection closing'" (or "connection does not
      // exist").
      return {};
  }
  return {};
}

}  // namespace tern::model
