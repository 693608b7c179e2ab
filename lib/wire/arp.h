// ARP for Ethernet and IPv4 (RFC 826).
//
// Layout of the 28-byte packet for this hardware/protocol pair:
//
//   | offset | size | field                 | accepted value    |
//   |--------|------|-----------------------|-------------------|
//   | 0      | 2    | hardware type (HTYPE) | 1 (Ethernet)      |
//   | 2      | 2    | protocol type (PTYPE) | 0x0800 (IPv4)     |
//   | 4      | 1    | hardware addr length  | 6                 |
//   | 5      | 1    | protocol addr length  | 4                 |
//   | 6      | 2    | opcode                | 1 request, 2 reply|
//   | 8      | 6    | sender MAC            |                   |
//   | 14     | 4    | sender IPv4           |                   |
//   | 18     | 6    | target MAC            |                   |
//   | 24     | 4    | target IPv4           |                   |
//
// Contract: Parse rejects any other hardware type, protocol type, address
// length or opcode (RARP, InARP), each with its own WireError. Bytes after
// the 28 (Ethernet padding) are ignored.
#ifndef TERN_LIB_WIRE_ARP_H_
#define TERN_LIB_WIRE_ARP_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/statusor.h"
#include "lib/wire/addr.h"
#include "lib/wire/wire_error.h"

namespace tern::wire {

inline constexpr size_t kArpLen = 28;                 // RFC 826, Ethernet/IPv4
inline constexpr uint16_t kArpHardwareEthernet = 1;   // RFC 826 ar$hrd
inline constexpr uint16_t kArpProtocolIpv4 = 0x0800;  // RFC 826 ar$pro

enum class ArpOp : uint16_t {
  kRequest = 1,  // RFC 826 ares_op$REQUEST
  kReply = 2,    // RFC 826 ares_op$REPLY
};

struct ArpRepr {
  ArpOp op = ArpOp::kRequest;
  MacAddr sender_mac;
  Ipv4Addr sender_ip;
  MacAddr target_mac;
  Ipv4Addr target_ip;

  static constexpr size_t BufferLen() { return kArpLen; }
  static WireError Parse(std::span<const uint8_t> packet, ArpRepr* out);
  static absl::StatusOr<ArpRepr> ParseOrStatus(std::span<const uint8_t> packet);
  // Writes kArpLen bytes; `out` must be at least that long.
  void Emit(std::span<uint8_t> out) const;

  bool operator==(const ArpRepr&) const = default;
};

}  // namespace tern::wire

#endif  // TERN_LIB_WIRE_ARP_H_
