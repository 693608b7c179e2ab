// RFC 826. The checks run in header order so the reason names the first field
// that is wrong.
#include "lib/wire/arp.h"

#include <cstring>

#include "lib/base/dcheck.h"
#include "lib/wire/byte_order.h"

namespace tern::wire {
namespace {

constexpr uint8_t kMacLen = 6;   // RFC 826 ar$hln for Ethernet
constexpr uint8_t kIpv4Len = 4;  // RFC 826 ar$pln for IPv4

}  // namespace

WireError ArpRepr::Parse(std::span<const uint8_t> packet, ArpRepr* out) {
  if (packet.size() < kArpLen) {
    return WireError::kArpTruncated;
  }
  const uint8_t* p = packet.data();
  if (LoadBe16(p) != kArpHardwareEthernet) {
    return WireError::kArpUnsupportedHardware;
  }
  if (LoadBe16(p + 2) != kArpProtocolIpv4) {
    return WireError::kArpUnsupportedProtocol;
  }
  if (p[4] != kMacLen || p[5] != kIpv4Len) {
    return WireError::kArpBadAddressLength;
  }
  uint16_t op = LoadBe16(p + 6);
  if (op != static_cast<uint16_t>(ArpOp::kRequest) &&
      op != static_cast<uint16_t>(ArpOp::kReply)) {
    return WireError::kArpUnsupportedOp;
  }
  out->op = static_cast<ArpOp>(op);
  std::memcpy(out->sender_mac.octets.data(), p + 8, 6);
  out->sender_ip = Ipv4Addr{LoadBe32(p + 14)};
  std::memcpy(out->target_mac.octets.data(), p + 18, 6);
  out->target_ip = Ipv4Addr{LoadBe32(p + 24)};
  return WireError::kOk;
}

absl::StatusOr<ArpRepr> ArpRepr::ParseOrStatus(
    std::span<const uint8_t> packet) {
  ArpRepr repr;
  WireError e = Parse(packet, &repr);
  if (e != WireError::kOk) {
    return ToStatus(e);
  }
  return repr;
}

void ArpRepr::Emit(std::span<uint8_t> out) const {
  TERN_DCHECK(out.size() >= kArpLen);
  uint8_t* p = out.data();
  StoreBe16(p, kArpHardwareEthernet);
  StoreBe16(p + 2, kArpProtocolIpv4);
  p[4] = kMacLen;
  p[5] = kIpv4Len;
  StoreBe16(p + 6, static_cast<uint16_t>(op));
  std::memcpy(p + 8, sender_mac.octets.data(), 6);
  StoreBe32(p + 14, sender_ip.value);
  std::memcpy(p + 18, target_mac.octets.data(), 6);
  StoreBe32(p + 24, target_ip.value);
}

}  // namespace tern::wire
