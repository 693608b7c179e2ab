#include "lib/tcp/state.h"

namespace tern::tcp {

const char* ToString(State s) {
  switch (s) {
    case State::kClosed:
      return "CLOSED";
    case State::kListen:
      return "LISTEN";
    case State::kSynSent:
      return "SYN-SENT";
    case State::kSynReceived:
      return "SYN-RECEIVED";
    case State::kEstablished:
      return "ESTABLISHED";
    case State::kFinWait1:
      return "FIN-WAIT-1";
    case State::kFinWait2:
      return "FIN-WAIT-2";
    case State::kCloseWait:
      return "CLOSE-WAIT";
    case State::kClosing:
      return "CLOSING";
    case State::kLastAck:
      return "LAST-ACK";
    case State::kTimeWait:
      return "TIME-WAIT";
  }
  return "?";
}

bool IsSynchronized(State s) {
  switch (s) {
    case State::kClosed:
    case State::kListen:
    case State::kSynSent:
    case State::kSynReceived:
      return false;
    case State::kEstablished:
    case State::kFinWait1:
    case State::kFinWait2:
    case State::kCloseWait:
    case State::kClosing:
    case State::kLastAck:
    case State::kTimeWait:
      return true;
  }
  return false;
}

}  // namespace tern::tcp
