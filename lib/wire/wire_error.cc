// Names are part of the interface: counters are exported under them, so an
// existing name never changes; new reasons get new names.
#include "lib/wire/wire_error.h"

#include <cstddef>

namespace tern::wire {
namespace {

constexpr const char* kNames[] = {
    "ok",
    "eth_truncated",
    "vlan_truncated",
    "eth_unsupported_type",
    "arp_truncated",
    "arp_unsupported_hardware",
    "arp_unsupported_protocol",
    "arp_bad_address_length",
    "arp_unsupported_op",
    "ipv4_truncated",
    "ipv4_bad_version",
    "ipv4_bad_header_length",
    "ipv4_bad_total_length",
    "ipv4_bad_checksum",
    "ipv4_fragment",
    "ipv4_bad_options",
    "icmp_truncated",
    "icmp_bad_checksum",
    "icmp_unsupported_type",
    "tcp_truncated",
    "tcp_bad_data_offset",
    "tcp_data_offset_past_packet",
    "tcp_bad_checksum",
    "tcp_option_length_zero_or_one",
    "tcp_option_past_header",
    "tcp_option_bad_length",
    "tcp_too_many_sack_blocks",
};
// A reason added to the enum without a name here fails to compile.
static_assert(std::size(kNames) == static_cast<size_t>(WireError::kCount));

}  // namespace

const char* ToString(WireError e) {
  size_t i = static_cast<size_t>(e);
  return i < std::size(kNames) ? kNames[i] : "unknown_wire_error";
}

absl::Status ToStatus(WireError e) {
  if (e == WireError::kOk) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(ToString(e));
}

}  // namespace tern::wire
