// Window arithmetic shared by every congestion control algorithm.
//
// RFC 6928 section 2: the initial window. RFC 5681 section 3.1 and RFC 3465
// section 2.2: slow start with Appropriate Byte Counting and L = 2*SMSS.
// RFC 5681 section 3.1 equation (4): the floor of ssthresh after a loss.
// All windows are in bytes.
#ifndef TERN_LIB_TCP_CONGESTION_WINDOW_H_
#define TERN_LIB_TCP_CONGESTION_WINDOW_H_

#include <algorithm>
#include <cstdint>
#include <limits>

namespace tern::tcp::congestion {

// RFC 5681 section 3.1: "the initial value of ssthresh SHOULD be set
// arbitrarily high".
inline constexpr uint32_t kInitialSsthresh =
    std::numeric_limits<uint32_t>::max();

// RFC 6928 section 2: IW = min(10*MSS, max(2*MSS, 14600)).
constexpr uint32_t InitialWindow(uint32_t smss) {
  const uint64_t iw = std::min<uint64_t>(
      uint64_t{10} * smss, std::max<uint64_t>(uint64_t{2} * smss, 14600));
  return static_cast<uint32_t>(
      std::min<uint64_t>(iw, std::numeric_limits<uint32_t>::max()));
}

// RFC 5681 section 3.1 equation (2) with RFC 3465 section 2.2 byte counting:
// cwnd += min(N, L) for each ACK of N new bytes, L = 2*SMSS (RFC 3465 section
// 2.3: L MUST NOT exceed 2*SMSS).
constexpr uint32_t SlowStartIncrease(uint32_t cwnd, uint32_t acked,
                                     uint32_t smss,
                                     uint32_t limit_segments = 2) {
  // limit_segments 0: no limit, every newly acknowledged byte (Linux's
  // tcp_slow_start; ConnOptions::slow_start_limit).
  const uint64_t step =
      limit_segments == 0
          ? uint64_t{acked}
          : std::min<uint64_t>(acked, uint64_t{limit_segments} * smss);
  const uint64_t next = uint64_t{cwnd} + step;
  return static_cast<uint32_t>(
      std::min<uint64_t>(next, std::numeric_limits<uint32_t>::max()));
}

// RFC 5681 section 3.1 equation (4): ssthresh never below 2*SMSS.
constexpr uint32_t SsthreshFloor(uint32_t smss) { return 2 * smss; }

}  // namespace tern::tcp::congestion

#endif  // TERN_LIB_TCP_CONGESTION_WINDOW_H_
