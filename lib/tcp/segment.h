// Segments as the TCP core takes them in and hands them out.
//
// InSegment: a parsed, checksum-verified TCP segment with the IPv4 addresses
// it came with; the payload borrows from the packet buffer for the duration of
// the OnSegment call only.
// OutSegment: a segment the core wants sent. Its payload borrows from the
// connection's send buffer for the duration of SegmentSink::Send only; the
// payload is tcp.payload followed by payload_tail (non-empty when the send
// buffer wraps). The sink copies (or references) it before returning.
#ifndef TERN_LIB_TCP_SEGMENT_H_
#define TERN_LIB_TCP_SEGMENT_H_

#include <cstddef>
#include <span>

#include "lib/tcp/four_tuple.h"
#include "lib/wire/addr.h"
#include "lib/wire/tcp_header.h"

namespace tern::tcp {

struct InSegment {
  wire::Ipv4Addr src;
  wire::Ipv4Addr dst;
  wire::TcpRepr tcp;

  // The connection's identity from this endpoint's side.
  FourTuple Tuple() const {
    return FourTuple{dst, src, tcp.dst_port, tcp.src_port};
  }
};

struct OutSegment {
  wire::Ipv4Addr src;
  wire::Ipv4Addr dst;
  wire::TcpRepr tcp;
  std::span<const uint8_t> payload_tail;

  size_t PayloadLen() const { return tcp.payload.size() + payload_tail.size(); }
};

// Where the core's segments go: the port layer (mbufs), a test harness, or an
// in-memory link. Called synchronously from inside the core's entry points.
class SegmentSink {
 public:
  virtual ~SegmentSink() = default;
  virtual void Send(const OutSegment& segment) = 0;
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_SEGMENT_H_
