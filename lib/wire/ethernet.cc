// Ethernet II and 802.1Q. No minimum frame length is enforced here: the 60-byte
// minimum (IEEE 802.3 4.4.2) is the sender's padding duty, and the IPv4 parser
// trims that padding by the total length field.
#include "lib/wire/ethernet.h"

#include <cstring>

#include "lib/base/dcheck.h"
#include "lib/wire/byte_order.h"

namespace tern::wire {
namespace {

bool Supported(uint16_t ethertype) {
  return ethertype == kEtherTypeIpv4 || ethertype == kEtherTypeArp;
}

}  // namespace

WireError EthernetRepr::Parse(std::span<const uint8_t> frame, EthernetRepr* out,
                              size_t* header_len) {
  if (frame.size() < kEthHeaderLen) {
    return WireError::kEthTruncated;
  }
  const uint8_t* p = frame.data();
  uint16_t type = LoadBe16(p + 12);
  size_t len = kEthHeaderLen;
  if (type == kEtherTypeVlan) {
    if (frame.size() < kEthHeaderLen + kVlanTagLen) {
      return WireError::kVlanTruncated;
    }
    type = LoadBe16(p + 16);
    len += kVlanTagLen;
  }
  if (!Supported(type)) {
    return WireError::kEthUnsupportedType;
  }
  std::memcpy(out->dst.octets.data(), p, 6);
  std::memcpy(out->src.octets.data(), p + 6, 6);
  out->ethertype = type;
  // Written in place: an optional built on the stack and copied out was
  // two narrow stores read back as one wide load, a store-forwarding stall
  // that perf put at 3 % of the engine's SYN path (doc/benchmarks.md).
  if (len == kEthHeaderLen) {
    out->vlan_tci.reset();
  } else {
    out->vlan_tci.emplace(LoadBe16(p + 14));
  }
  *header_len = len;
  return WireError::kOk;
}

absl::StatusOr<EthernetRepr> EthernetRepr::ParseOrStatus(
    std::span<const uint8_t> frame) {
  EthernetRepr repr;
  size_t header_len = 0;
  WireError e = Parse(frame, &repr, &header_len);
  if (e != WireError::kOk) {
    return ToStatus(e);
  }
  return repr;
}

void EthernetRepr::Emit(std::span<uint8_t> out) const {
  TERN_DCHECK(out.size() >= HeaderLen());
  uint8_t* p = out.data();
  std::memcpy(p, dst.octets.data(), 6);
  std::memcpy(p + 6, src.octets.data(), 6);
  if (vlan_tci.has_value()) {
    StoreBe16(p + 12, kEtherTypeVlan);
    StoreBe16(p + 14, *vlan_tci);
    StoreBe16(p + 16, ethertype);
  } else {
    StoreBe16(p + 12, ethertype);
  }
}

}  // namespace tern::wire
