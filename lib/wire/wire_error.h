// WireError: every reason the wire layer rejects a packet, by name.
//
// Contract: parse functions return kOk or the first defect found. The data
// path counts rejections in a CounterArray<WireError> and drops the packet;
// the control plane turns a WireError into an absl::Status with ToStatus.
#ifndef TERN_LIB_WIRE_WIRE_ERROR_H_
#define TERN_LIB_WIRE_WIRE_ERROR_H_

#include <cstdint>

#include "absl/status/status.h"

namespace tern::wire {

enum class WireError : uint8_t {
  kOk = 0,
  // Ethernet / 802.1Q
  kEthTruncated,
  kVlanTruncated,
  kEthUnsupportedType,
  // ARP
  kArpTruncated,
  kArpUnsupportedHardware,
  kArpUnsupportedProtocol,
  kArpBadAddressLength,
  kArpUnsupportedOp,
  // IPv4
  kIpv4Truncated,
  kIpv4BadVersion,
  kIpv4BadHeaderLength,
  kIpv4BadTotalLength,
  kIpv4BadChecksum,
  kIpv4Fragment,
  kIpv4BadOptions,
  // ICMPv4
  kIcmpTruncated,
  kIcmpBadChecksum,
  kIcmpUnsupportedType,
  // TCP
  kTcpTruncated,
  kTcpBadDataOffset,
  kTcpDataOffsetPastPacket,
  kTcpBadChecksum,
  kTcpOptionLengthZeroOrOne,
  kTcpOptionPastHeader,
  kTcpOptionBadLength,
  kTcpTooManySackBlocks,
  kCount,
};

// Stable snake_case name, e.g. "tcp_bad_checksum" (used in counters' names).
const char* ToString(WireError e);
absl::Status ToStatus(WireError e);

}  // namespace tern::wire

#endif  // TERN_LIB_WIRE_WIRE_ERROR_H_
