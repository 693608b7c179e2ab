#include "lib/port/port_counters.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tern::port {

const char* ToString(PortDrop d) {
  switch (d) {
    case PortDrop::kNotForUsMac:
      return "not_for_us_mac";
    case PortDrop::kNotForUsIp:
      return "not_for_us_ip";
    case PortDrop::kUnsupportedIpProtocol:
      return "unsupported_ip_protocol";
    case PortDrop::kIcmpNotEchoRequest:
      return "icmp_not_echo_request";
    case PortDrop::kArpNotRequest:
      return "arp_not_request";
    case PortDrop::kBadSource:
      return "bad_source";
    case PortDrop::kLandSource:
      return "land_source";
    case PortDrop::kFrameTooLong:
      return "frame_too_long";
    case PortDrop::kNoMbuf:
      return "no_mbuf";
    case PortDrop::kReplyTooLarge:
      return "reply_too_large";
    case PortDrop::kNicBadIpChecksum:
      return "nic_bad_ip_checksum";
    case PortDrop::kNicBadL4Checksum:
      return "nic_bad_l4_checksum";
    case PortDrop::kSteeringRingFull:
      return "steering_ring_full";
    case PortDrop::kIcmpErrorIgnored:
      return "icmp_error_ignored";
    case PortDrop::kIcmpQuoteMalformed:
      return "icmp_quote_malformed";
    case PortDrop::kIcmpNotAboutUs:
      return "icmp_not_about_us";
    case PortDrop::kNoRoute:
      return "no_route";
    case PortDrop::kArpPendingFull:
      return "arp_pending_full";
    case PortDrop::kArpTableFull:
      return "arp_table_full";
    case PortDrop::kArpUnresolved:
      return "arp_unresolved";
    case PortDrop::kSegmentTooLarge:
      return "segment_too_large";
    case PortDrop::kNotReflected:
      return "not_reflected";
    case PortDrop::kCount:
      break;
  }
  return "unknown";
}

void PortCounters::ForEach(
    const std::function<void(std::string_view, uint64_t)>& visit) const {
  visit("rx_packets", rx_packets.Get());
  visit("rx_bytes", rx_bytes.Get());
  visit("tx_packets", tx_packets.Get());
  visit("tx_zero_copy", tx_zero_copy.Get());
  visit("tx_dropped_ring_full", tx_dropped_ring_full.Get());
  visit("arp_replies", arp_replies.Get());
  visit("arp_requests_in", arp_requests_in.Get());
  visit("arp_replies_in", arp_replies_in.Get());
  visit("icmp_echo_replies", icmp_echo_replies.Get());
  visit("tcp_in", tcp_in.Get());
  visit("icmp_errors_in", icmp_errors_in.Get());
  visit("steered_out", steered_out.Get());
  visit("steered_in", steered_in.Get());
  visit("rx_tapped", rx_tapped.Get());
  visit("reflected", reflected.Get());
  visit("rx_mbufs_reused", rx_mbufs_reused.Get());
  visit("rx_mbufs_replied", rx_mbufs_replied.Get());
  // kOk is not a drop reason; it is left out.
  for (size_t i = 1; i < CounterArray<wire::WireError>::kSize; ++i) {
    const auto e = static_cast<wire::WireError>(i);
    visit(absl::StrCat("parse_drop.", wire::ToString(e)), parse_drops.Get(e));
  }
  for (size_t i = 0; i < CounterArray<PortDrop>::kSize; ++i) {
    const auto d = static_cast<PortDrop>(i);
    visit(absl::StrCat("drop.", ToString(d)), drops.Get(d));
  }
}

uint64_t PortCounters::TotalDrops() const {
  return parse_drops.Total() + drops.Total() + tx_dropped_ring_full.Get();
}

std::string PortCounters::Format(bool nonzero_only) const {
  std::string out;
  ForEach([&](std::string_view name, uint64_t value) {
    const bool always = name == "rx_packets" || name == "tx_packets";
    if (nonzero_only && value == 0 && !always) {
      return;
    }
    absl::StrAppendFormat(&out, "%-40s %d\n", name, value);
  });
  return out;
}

}  // namespace tern::port
