// Segments as the TCP core takes them in and hands them out.
//
// InSegment: a parsed, checksum-verified TCP segment with the IPv4 addresses
// it came with; the payload borrows from the packet buffer for the duration of
// the OnSegment call only, and only until a reply naming it
// (OutSegment::reply_to, SynAckSegment::reply_to) was sent: the sink may
// build that reply in the same buffer.
// IcmpError: an ICMP error message about a segment this endpoint sent, as
// the port layer parsed it from the ICMP header and the quoted IPv4 header
// and first 8 bytes of TCP header (RFC 792); Endpoint::OnIcmpError.
// OutSegment: a segment the core wants sent. tcp.payload is always empty: the
// payload is `payload`, a scatter list of at most kMaxPayloadSpans spans in
// stream order. The spans borrow from the connection's send queue (its copy
// ring, or memory an application handed over with SendRef, which stays
// valid until its PayloadOwner is told to release it) for the duration of
// SegmentSink::Send only. The sink copies the bytes, or takes references to
// the memory behind them (an mbuf-backed PayloadRef) before returning.
#ifndef TERN_LIB_TCP_SEGMENT_H_
#define TERN_LIB_TCP_SEGMENT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "lib/base/seq_num.h"
#include "lib/tcp/api.h"
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

// What the port layer hands the core of an ICMP error (RFC 792, RFC 1191,
// RFC 5927). Source quench (RFC 6633) and redirects are not passed on.
struct IcmpError {
  enum class Kind : uint8_t {
    kFragmentationNeeded,  // type 3 code 4: RFC 1191 path MTU discovery
    kUnreachable,          // type 3, any other code
    kTimeExceeded,         // type 11
    kParameterProblem,     // type 12
  };
  Kind kind = Kind::kUnreachable;
  uint8_t code = 0;  // the ICMP code (type 3: RFC 792 and RFC 1812 5.2.7.1)
  // kFragmentationNeeded: the next-hop MTU (RFC 1191 section 4); 0 from a
  // router older than RFC 1191.
  uint16_t next_hop_mtu = 0;
  // The quoted IPv4 header's total length: the size of the packet that
  // elicited the error (RFC 5927 section 7.2 checks the MTU against it).
  uint16_t quoted_length = 0;
  // The quoted segment's connection from this endpoint's side: local is the
  // quoted packet's source.
  FourTuple tuple;
  SeqNum seq;  // the quoted segment's sequence number
};

// At most 7 payload buffers per segment: with the headers in one more mbuf a
// frame is a chain of at most 8, the most an Intel 700-series NIC takes
// without TSO (DPDK drivers/net/i40e I40E_TX_MAX_MTU_SEG = 8). A segment
// that would need more spans is cut short at the 7th.
inline constexpr size_t kMaxPayloadSpans = 7;

// An ordered scatter list of payload bytes. A span of memory queued with
// SendRef names its PayloadOwner and token (owner[i] != nullptr), so a sink
// can send that memory by reference (the port layer chains the mbuf behind
// it) instead of copying it; spans of the copy ring have owner[i] null.
struct PayloadSpans {
  // Only [0, count) of span, owner and token is meaningful; the rest is
  // left uninitialised (union members), because zeroing the arrays for
  // every segment sent, SYN-ACKs and pure ACKs included, was most of the SYN
  // path's regression (doc/benchmarks.md, issue 17). Read the list through
  // spans() or count; whoever fills span[i] fills owner[i] and token[i].
  PayloadSpans() {}  // NOLINT(modernize-use-equals-default): see above
  union {
    std::array<std::span<const uint8_t>, kMaxPayloadSpans> span;
  };
  union {
    std::array<PayloadOwner*, kMaxPayloadSpans> owner;
  };
  union {
    std::array<uint64_t, kMaxPayloadSpans> token;
  };
  size_t count = 0;

  std::span<const std::span<const uint8_t>> spans() const {
    return {span.data(), count};
  }
  size_t size() const {
    size_t n = 0;
    for (size_t i = 0; i < count; ++i) {
      n += span[i].size();
    }
    return n;
  }
  // Copies the bytes, in order, to the front of `out` (at least size()
  // bytes); returns size().
  size_t CopyTo(std::span<uint8_t> out) const {
    size_t n = 0;
    for (size_t i = 0; i < count; ++i) {
      if (!span[i].empty()) {
        std::memcpy(out.data() + n, span[i].data(), span[i].size());
        n += span[i].size();
      }
    }
    return n;
  }
};

struct OutSegment {
  wire::Ipv4Addr src;
  wire::Ipv4Addr dst;
  wire::TcpRepr tcp;  // tcp.payload is empty; see `payload`
  PayloadSpans payload;
  // When set (a listener's SYN-ACKs), tcp matches this template and has no
  // payload: a sink may emit the header with header_template->Emit(out,
  // tcp, src, dst), the same bytes as tcp.Emit without laying out the
  // options or summing them. Valid for the duration of SegmentSink::Send.
  const wire::TcpHeaderTemplate* header_template = nullptr;
  // When set, this segment answers that received segment, which the caller
  // of Endpoint::OnSegment(s) passed in the same call (a SYN-ACK to a SYN),
  // and the endpoint reads none of the received bytes behind it after this
  // Send (its tcp.payload; the parsed fields are copies). A sink may
  // therefore build this segment in the buffer that received `reply_to`
  // (the port reuses the SYN's mbuf). Valid for the duration of
  // SegmentSink::Send.
  const InSegment* reply_to = nullptr;

  size_t PayloadLen() const { return payload.size(); }
};

// A listener's SYN-ACK (cookie or half-open record) in its variable fields
// alone: every other field is its template's (header_template->proto(),
// doc/listener.md "SYN-ACK templates").
struct SynAckSegment {
  wire::Ipv4Addr src;
  wire::Ipv4Addr dst;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  SeqNum seq;
  SeqNum ack;
  // Used when the template has timestamps (RFC 7323 3.2), ignored otherwise.
  uint32_t tsval = 0;
  uint32_t tsecr = 0;
  const wire::TcpHeaderTemplate* header_template = nullptr;  // never null
  const InSegment* reply_to = nullptr;  // as OutSegment::reply_to

  // The same segment as an OutSegment (header_template and reply_to set).
  OutSegment ToOutSegment() const {
    OutSegment out;
    out.src = src;
    out.dst = dst;
    out.tcp = header_template->proto();
    out.tcp.src_port = src_port;
    out.tcp.dst_port = dst_port;
    out.tcp.seq = seq;
    out.tcp.ack = ack;
    if (out.tcp.options.timestamps.has_value()) {
      out.tcp.options.timestamps = wire::TcpTimestamps{tsval, tsecr};
    }
    out.header_template = header_template;
    out.reply_to = reply_to;
    return out;
  }
};

// Where the core's segments go: the port layer (mbufs), a test harness, or an
// in-memory link. Called synchronously from inside the core's entry points.
class SegmentSink {
 public:
  virtual ~SegmentSink() = default;
  virtual void Send(const OutSegment& segment) = 0;
  // A listener's SYN-ACK. By default Send(segment.ToOutSegment()); a sink
  // that writes frames writes the template with the variable fields
  // instead (the port layer: Engine::SendSynAck), the same bytes.
  virtual void SendSynAck(const SynAckSegment& segment) {
    Send(segment.ToOutSegment());
  }
  // Several SYN-ACKs in the order given, as SendSynAck one by one (the
  // default); nothing else was sent between them. A sink that writes frames
  // writes them in one pass (Engine::SendSynAcks). Each segment's reply_to
  // holds as in SendSynAck; the span is valid only during the call.
  virtual void SendSynAcks(std::span<const SynAckSegment> segments) {
    for (const SynAckSegment& s : segments) {
      SendSynAck(s);
    }
  }
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_SEGMENT_H_
