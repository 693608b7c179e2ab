// The eleven connection states of RFC 9293 section 3.3.2.
#ifndef TERN_LIB_TCP_STATE_H_
#define TERN_LIB_TCP_STATE_H_

#include <cstdint>
#include <ostream>

namespace tern::tcp {

enum class State : uint8_t {
  kClosed,
  kListen,
  kSynSent,
  kSynReceived,
  kEstablished,
  kFinWait1,
  kFinWait2,
  kCloseWait,
  kClosing,
  kLastAck,
  kTimeWait,
};
inline constexpr int kNumStates = 11;

// The RFC's spelling: "SYN-RECEIVED", "FIN-WAIT-1", ...
const char* ToString(State s);

// RFC 9293 section 3.3.2: the synchronized states are ESTABLISHED and later.
bool IsSynchronized(State s);

inline std::ostream& operator<<(std::ostream& os, State s) {
  return os << ToString(s);
}

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_STATE_H_
