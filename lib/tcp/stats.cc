#include "lib/tcp/stats.h"

namespace tern::tcp {

const char* ToString(DropReason r) {
  switch (r) {
    case DropReason::kNoSocket:
      return "no_socket";
    case DropReason::kNoSocketRst:
      return "no_socket_rst";
    case DropReason::kListenRst:
      return "listen_rst";
    case DropReason::kListenAck:
      return "listen_ack";
    case DropReason::kListenNoSyn:
      return "listen_no_syn";
    case DropReason::kSynQueueFull:
      return "syn_queue_full";
    case DropReason::kAcceptQueueFull:
      return "accept_queue_full";
    case DropReason::kTableFull:
      return "table_full";
    case DropReason::kSynSentBadAck:
      return "syn_sent_bad_ack";
    case DropReason::kSynSentNoSyn:
      return "syn_sent_no_syn";
    case DropReason::kSynSentRstBadAck:
      return "syn_sent_rst_bad_ack";
    case DropReason::kUnacceptableSeq:
      return "unacceptable_seq";
    case DropReason::kPaws:
      return "paws";
    case DropReason::kRstOutOfWindow:
      return "rst_out_of_window";
    case DropReason::kRstChallenged:
      return "rst_challenged";
    case DropReason::kSynChallenged:
      return "syn_challenged";
    case DropReason::kNoAck:
      return "no_ack";
    case DropReason::kAckTooNew:
      return "ack_too_new";
    case DropReason::kAckTooOld:
      return "ack_too_old";
    case DropReason::kSynRcvdBadAck:
      return "syn_rcvd_bad_ack";
    case DropReason::kOutOfOrder:
      return "out_of_order";
    case DropReason::kAcceptQueueFullSyn:
      return "accept_queue_full_syn";
    case DropReason::kDupSynRateLimited:
      return "dup_syn_rate_limited";
    case DropReason::kListenSynFin:
      return "listen_syn_fin";
    case DropReason::kNoBufferMemory:
      return "no_buffer_memory";
    case DropReason::kRecvBufferFull:
      return "recv_buffer_full";
    case DropReason::kReassemblyRangesFull:
      return "reassembly_ranges_full";
    case DropReason::kNoReassemblyMemory:
      return "no_reassembly_memory";
    case DropReason::kBeyondFin:
      return "beyond_fin";
    case DropReason::kDataAfterFin:
      return "data_after_fin";
    case DropReason::kTimeWaitUnacceptable:
      return "time_wait_unacceptable";
    case DropReason::kTimeWaitAck:
      return "time_wait_ack";
    case DropReason::kTimeWaitRst:
      return "time_wait_rst";
    case DropReason::kTimeWaitPaws:
      return "time_wait_paws";
    case DropReason::kIcmpNoConnection:
      return "icmp_no_connection";
    case DropReason::kIcmpTimeWait:
      return "icmp_time_wait";
    case DropReason::kIcmpOutOfWindow:
      return "icmp_out_of_window";
    case DropReason::kIcmpPmtuNotSmaller:
      return "icmp_pmtu_not_smaller";
    case DropReason::kTimeWaitSyn:
      return "time_wait_syn";
    case DropReason::kTimeWaitData:
      return "time_wait_data";
    case DropReason::kTimeWaitSynFin:
      return "time_wait_syn_fin";
    case DropReason::kPortZero:
      return "port_zero";
    case DropReason::kSynData:
      return "syn_data";
    case DropReason::kCount:
      break;
  }
  return "?";
}

}  // namespace tern::tcp
