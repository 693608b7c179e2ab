// RFC 9293 3.10.7.4 for TIME-WAIT, RFC 1337, RFC 6191, RFC 7323 5.3.
#include "lib/tcp/time_wait.h"

namespace tern::tcp {

namespace {

bool TsOlder(uint32_t a, uint32_t b) {
  // RFC 7323 5.3: timestamps compare as 32-bit serial numbers.
  return static_cast<int32_t>(a - b) < 0;
}

}  // namespace

TimeWaitVerdict TimeWaitInput(const TimeWaitRecord& record,
                              const wire::TcpRepr& seg) {
  using wire::tcp_flags::kAck;
  using wire::tcp_flags::kFin;
  using wire::tcp_flags::kRst;
  using wire::tcp_flags::kSyn;

  // RFC 1337 section 3: ignoring RST in TIME-WAIT closes hazards H1-H3.
  if (seg.Has(kRst)) {
    return {TimeWaitAction::kDrop, DropReason::kTimeWaitRst};
  }

  // A SYN with FIN: no opener sends one. Dropped here, before the RFC 6191
  // test below, so that it cannot free the record on its way to a listener
  // that would discard it anyway (kListenSynFin).
  if (seg.Has(kSyn) && seg.Has(kFin)) {
    return {TimeWaitAction::kDrop, DropReason::kTimeWaitSynFin};
  }

  const bool ts_on = record.timestamps != 0 && seg.options.timestamps;
  // RFC 6191 section 2: a SYN reopens TIME-WAIT when, with timestamps, its
  // TSval is newer than TS.Recent; without, when its sequence number is
  // beyond RCV.NXT (the old RFC 1122 4.2.2.13 rule).
  if (seg.Has(kSyn) && !seg.Has(kAck)) {
    bool newer;
    if (ts_on) {
      // An equal TSval defers to the sequence number (RFC 6191 section 2,
      // second case; Linux tcp_timewait_state_process does the same).
      const uint32_t tsval = seg.options.timestamps->tsval;
      newer = TsOlder(record.ts_recent, tsval) ||
              (tsval == record.ts_recent && seg.seq > record.rcv_nxt);
    } else {
      newer = seg.seq > record.rcv_nxt;
    }
    if (newer) {
      return {TimeWaitAction::kReopen};
    }
    // An old duplicate SYN: answer with our ACK (RFC 9293 3.10.7.4 first
    // check, unacceptable segment), which makes the peer reset if it is not
    // a retransmission of the old connection.
    return {TimeWaitAction::kAck, DropReason::kTimeWaitSyn};
  }

  if (ts_on && TsOlder(seg.options.timestamps->tsval, record.ts_recent)) {
    // RFC 7323 5.3 R1: an old duplicate; acknowledge it (unless RST, above).
    return {TimeWaitAction::kAck, DropReason::kTimeWaitPaws};
  }

  if (seg.Has(kSyn)) {
    // A SYN-ACK (or any SYN not reopening, above): unacceptable in TIME-WAIT,
    // answered with our ACK (RFC 9293 3.10.7.4 first check).
    return {TimeWaitAction::kAck, DropReason::kTimeWaitSyn};
  }

  // RFC 9293 3.10.7.4 fifth: "if the ACK bit is off, drop the segment and
  // return". A FIN without ACK neither restarts the 2 MSL timer nor draws an
  // ACK, so a blind sender cannot hold the record or reflect ACKs with it.
  if (!seg.Has(kAck)) {
    return {TimeWaitAction::kDrop, DropReason::kNoAck};
  }

  // RFC 9293 3.10.7.4 eighth: "TIME-WAIT STATE: Remain in the TIME-WAIT
  // state. Acknowledge it, and restart the 2 MSL timeout." The peer's FIN is
  // at rcv_nxt - 1: it is the retransmission our lost last ACK caused.
  if (seg.Has(kFin)) {
    return {TimeWaitAction::kAckAndRestart};
  }
  // Data cannot be new in TIME-WAIT (the peer's FIN ended its stream): a
  // retransmission, answered with our ACK so the peer stops.
  if (!seg.payload.empty()) {
    return {TimeWaitAction::kAck, DropReason::kTimeWaitData};
  }
  // A bare ACK at RCV.NXT (the peer's ACK of our FIN arriving late, or a
  // duplicate of it): acceptable, nothing to answer.
  if (seg.seq == record.rcv_nxt) {
    return {TimeWaitAction::kDrop, DropReason::kTimeWaitAck};
  }
  // Any other sequence number (an old duplicate below RCV.NXT, a segment
  // beyond the window): unacceptable, so RFC 9293 3.10.7.4's first check
  // answers <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, as Linux's
  // tcp_timewait_state_process does. The caller rate-limits the answer.
  return {TimeWaitAction::kAck, DropReason::kTimeWaitUnacceptable};
}

}  // namespace tern::tcp
