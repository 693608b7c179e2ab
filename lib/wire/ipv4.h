// IPv4 header (RFC 791 section 3.1) as a value type.
//
//   | offset | size | field                                        |
//   |--------|------|----------------------------------------------|
//   | 0      | 1    | version (4 bits, = 4) and IHL (4 bits, >= 5) |
//   | 1      | 1    | DSCP (6 bits, RFC 2474) and ECN (2, RFC 3168)|
//   | 2      | 2    | total length (header + payload)              |
//   | 4      | 2    | identification                               |
//   | 6      | 2    | flags (reserved, DF, MF) and fragment offset |
//   | 8      | 1    | TTL                                          |
//   | 9      | 1    | protocol                                     |
//   | 10     | 2    | header checksum (RFC 1071 over IHL*4 bytes)  |
//   | 12     | 4    | source address                               |
//   | 16     | 4    | destination address                          |
//   | 20     | ...  | options, IHL*4 - 20 bytes                    |
//
// Contract:
// - Parse accepts a buffer that may be longer than the datagram (Ethernet
//   pads short frames to 60 bytes); the payload it returns is exactly
//   total length - IHL*4 bytes, padding trimmed off.
// - The header checksum is verified unless the caller passes kTrustNic
//   because the NIC already did (RX offload flag "IP checksum good").
// - IP options are walked for well-formedness (kIpv4BadOptions otherwise),
//   noted in `had_options` and otherwise ignored; tern honours none of them.
// - tern does not reassemble fragments: any datagram with MF set or a
//   non-zero fragment offset is reported as kIpv4Fragment and dropped. TCP
//   senders set DF and use path MTU discovery (RFC 1191), so a TCP endpoint
//   sees fragments only from misconfigured or hostile peers.
// - Emit writes a 20-byte header without options.
#ifndef TERN_LIB_WIRE_IPV4_H_
#define TERN_LIB_WIRE_IPV4_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/statusor.h"
#include "lib/wire/addr.h"
#include "lib/wire/wire_error.h"

namespace tern::wire {

inline constexpr size_t kIpv4MinHeaderLen = 20;  // RFC 791 3.1, IHL = 5
inline constexpr uint8_t kIpProtoIcmp = 1;       // IANA protocol numbers
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpv4DefaultTtl = 64;  // RFC 1700 / Linux default

struct Ipv4Repr {
  Ipv4Addr src;
  Ipv4Addr dst;
  uint8_t protocol = 0;
  uint8_t ttl = kIpv4DefaultTtl;
  uint8_t dscp = 0;  // RFC 2474, upper 6 bits of the old TOS byte
  uint8_t ecn = 0;   // RFC 3168, lower 2 bits
  uint16_t id = 0;
  bool dont_fragment = true;
  uint16_t payload_len = 0;  // total length - header length
  bool had_options = false;  // set by Parse only; Emit never writes options

  static constexpr size_t HeaderLen() { return kIpv4MinHeaderLen; }
  size_t BufferLen() const { return HeaderLen() + payload_len; }

  enum class Checksum { kVerify, kTrustNic };
  // On kOk fills *out and *payload (borrowed from `packet`).
  static WireError Parse(std::span<const uint8_t> packet, Checksum mode,
                         Ipv4Repr* out, std::span<const uint8_t>* payload);
  // Control plane: verifies the checksum; *payload may be null.
  static absl::StatusOr<Ipv4Repr> ParseOrStatus(
      std::span<const uint8_t> packet,
      std::span<const uint8_t>* payload = nullptr);
  // Writes the 20-byte header (total length = 20 + payload_len). With
  // `checksum_offload` the checksum field is left 0 for the NIC to fill.
  void Emit(std::span<uint8_t> out, bool checksum_offload = false) const;

  // Compares every field including had_options.
  bool operator==(const Ipv4Repr&) const = default;
};

// An untagged Ethernet frame carrying IPv4, turned back towards its sender
// in place: the two Ethernet addresses swapped (IEEE 802.3: destination at
// 0, source at 6) and the IPv4 source and destination swapped (RFC 791
// section 3.1: at 12 and 16 of the header). Both checksums cover the
// addresses as sums (RFC 1071), so they stay valid. The bare forwarding
// loops of the flood benchmark use it (tern-reflect, Engine::set_reflect);
// `frame` must hold at least kReflectableFrameLen bytes, which the caller
// checks with the EtherType.
inline constexpr size_t kReflectableFrameLen = 14 + kIpv4MinHeaderLen;
void SwapFrameAddresses(std::span<uint8_t> frame);

}  // namespace tern::wire

#endif  // TERN_LIB_WIRE_IPV4_H_
