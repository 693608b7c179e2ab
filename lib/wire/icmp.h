// ICMPv4 (RFC 792): echo, destination unreachable (with RFC 1191's next-hop
// MTU for "fragmentation needed"), time exceeded, parameter problem.
//
//   | offset | size | field                                              |
//   |--------|------|----------------------------------------------------|
//   | 0      | 1    | type                                               |
//   | 1      | 1    | code                                               |
//   | 2      | 2    | checksum (RFC 1071 over the whole ICMP message)    |
//   | 4      | 4    | echo: identifier, sequence number                  |
//   |        |      | unreachable: unused (2), next-hop MTU (2, RFC 1191)|
//   |        |      | time exceeded: unused                              |
//   |        |      | parameter problem: pointer (1), unused (3)         |
//   | 8      | ...  | echo data, or the invoking IP header + 8 bytes     |
//
// Contract:
// - Parse always verifies the checksum (NICs do not offload ICMP) and rejects
//   any other type with kIcmpUnsupportedType. Codes are not checked: they are
//   reported as received.
// - `data` borrows from the input. For the error messages it holds the quoted
//   datagram (IP header and at least 64 bits of its payload, RFC 792), which
//   the caller parses with Ipv4Repr::Parse(..., kTrustNic, ...) if it needs
//   the quoted TCP ports; it is not validated here.
// - The input is exactly the ICMP message (the IPv4 payload).
#ifndef TERN_LIB_WIRE_ICMP_H_
#define TERN_LIB_WIRE_ICMP_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/statusor.h"
#include "lib/wire/wire_error.h"

namespace tern::wire {

inline constexpr size_t kIcmpHeaderLen = 8;  // RFC 792: type..rest-of-header

enum class IcmpType : uint8_t {
  kEchoReply = 0,               // RFC 792
  kDestinationUnreachable = 3,  // RFC 792
  kEchoRequest = 8,             // RFC 792
  kTimeExceeded = 11,           // RFC 792
  kParameterProblem = 12,       // RFC 792
};

// Destination-unreachable code 4: "fragmentation needed and DF set"
// (RFC 792), whose header carries the next-hop MTU (RFC 1191 section 4).
inline constexpr uint8_t kIcmpCodeFragmentationNeeded = 4;

struct IcmpRepr {
  IcmpType type = IcmpType::kEchoRequest;
  uint8_t code = 0;
  uint16_t echo_id = 0;       // echo request/reply only
  uint16_t echo_seq = 0;      // echo request/reply only
  uint16_t next_hop_mtu = 0;  // destination unreachable only (0 if not sent)
  uint8_t pointer = 0;        // parameter problem only: the octet in error
  std::span<const uint8_t> data;

  size_t BufferLen() const { return kIcmpHeaderLen + data.size(); }
  static WireError Parse(std::span<const uint8_t> message, IcmpRepr* out);
  static absl::StatusOr<IcmpRepr> ParseOrStatus(
      std::span<const uint8_t> message);
  // Writes BufferLen() bytes with the checksum; fields that do not belong to
  // `type` are written as zero.
  void Emit(std::span<uint8_t> out) const;

  // Compares data by content.
  bool operator==(const IcmpRepr& o) const;
};

}  // namespace tern::wire

#endif  // TERN_LIB_WIRE_ICMP_H_
