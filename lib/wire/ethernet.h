// Ethernet II framing with at most one IEEE 802.1Q VLAN tag.
//
// Layout (IEEE 802.3 clause 3, 802.1Q clause 9.6):
//
//   | offset | size | field                                   |
//   |--------|------|-----------------------------------------|
//   | 0      | 6    | destination MAC                         |
//   | 6      | 6    | source MAC                              |
//   | 12     | 2    | ethertype, or 0x8100 when a tag follows |
//   | 14     | 2    | (tagged) TCI: PCP 3 bits, DEI 1, VID 12 |
//   | 16     | 2    | (tagged) inner ethertype                |
//
// Contract:
// - Parse accepts only frames whose (inner) ethertype is IPv4 or ARP: tern
//   speaks nothing else, so anything else is kEthUnsupportedType, including a
//   second tag (QinQ) and 802.3 length fields. The FCS is not part of the
//   input (NICs strip it).
// - Emit writes HeaderLen() bytes; the payload is the caller's.
#ifndef TERN_LIB_WIRE_ETHERNET_H_
#define TERN_LIB_WIRE_ETHERNET_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "absl/status/statusor.h"
#include "lib/wire/addr.h"
#include "lib/wire/wire_error.h"

namespace tern::wire {

// IEEE Registration Authority ethertype assignments.
inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;  // IEEE 802.1Q TPID

inline constexpr size_t kEthHeaderLen = 14;  // 2 MACs + ethertype
inline constexpr size_t kVlanTagLen = 4;     // TPID + TCI (802.1Q 9.6)

struct EthernetRepr {
  MacAddr dst;
  MacAddr src;
  uint16_t ethertype = 0;  // the inner ethertype when tagged
  std::optional<uint16_t> vlan_tci;

  size_t HeaderLen() const {
    return kEthHeaderLen + (vlan_tci.has_value() ? kVlanTagLen : 0);
  }
  size_t BufferLen() const { return HeaderLen(); }

  // On kOk fills *out and *header_len (14 or 18); the payload starts there.
  static WireError Parse(std::span<const uint8_t> frame, EthernetRepr* out,
                         size_t* header_len);
  static absl::StatusOr<EthernetRepr> ParseOrStatus(
      std::span<const uint8_t> frame);
  // Writes HeaderLen() bytes; `out` must be at least that long.
  void Emit(std::span<uint8_t> out) const;

  bool operator==(const EthernetRepr&) const = default;
};

}  // namespace tern::wire

#endif  // TERN_LIB_WIRE_ETHERNET_H_
