#include "lib/port/responder.h"

#include <algorithm>
#include <cstring>

#include "lib/wire/arp.h"
#include "lib/wire/ethernet.h"
#include "lib/wire/icmp.h"
#include "lib/wire/ipv4.h"

namespace tern::port {
namespace {

// Pads a reply of `len` bytes to the Ethernet minimum with zeros.
size_t Pad(std::span<uint8_t> out, size_t len) {
  if (len >= kEthMinFrameLen) {
    return len;
  }
  std::memset(out.data() + len, 0, kEthMinFrameLen - len);
  return kEthMinFrameLen;
}

}  // namespace

size_t Responder::Drop(PortDrop reason) {
  counters_->drops.Inc(reason);
  return 0;
}

size_t Responder::ParseDrop(wire::WireError reason) {
  counters_->parse_drops.Inc(reason);
  return 0;
}

size_t Responder::Respond(std::span<const uint8_t> frame,
                          std::span<uint8_t> out) {
  wire::EthernetRepr eth;
  size_t eth_len = 0;
  if (wire::WireError e = wire::EthernetRepr::Parse(frame, &eth, &eth_len);
      e != wire::WireError::kOk) {
    return ParseDrop(e);
  }
  if (eth.dst != mac_ && !eth.dst.IsBroadcast()) {
    return Drop(PortDrop::kNotForUsMac);
  }
  if (eth.src.IsMulticast()) {
    return Drop(PortDrop::kBadSource);
  }
  const std::span<const uint8_t> payload = frame.subspan(eth_len);

  wire::EthernetRepr reply_eth = eth;
  reply_eth.dst = eth.src;
  reply_eth.src = mac_;
  const size_t reply_eth_len = reply_eth.HeaderLen();

  if (eth.ethertype == wire::kEtherTypeArp) {
    wire::ArpRepr arp;
    if (wire::WireError e = wire::ArpRepr::Parse(payload, &arp);
        e != wire::WireError::kOk) {
      return ParseDrop(e);
    }
    if (arp.op != wire::ArpOp::kRequest) {
      return Drop(PortDrop::kArpNotRequest);
    }
    if (arp.target_ip != ip_) {
      return Drop(PortDrop::kNotForUsIp);
    }
    if (arp.sender_mac.IsMulticast()) {
      return Drop(PortDrop::kBadSource);
    }
    const size_t len = reply_eth_len + wire::ArpRepr::BufferLen();
    if (out.size() < std::max(len, kEthMinFrameLen)) {
      return Drop(PortDrop::kReplyTooLarge);
    }
    // RFC 826 "Packet Reception": swap sender and target, fill in our
    // hardware address, set the opcode to reply.
    const wire::ArpRepr reply{
        .op = wire::ArpOp::kReply,
        .sender_mac = mac_,
        .sender_ip = ip_,
        .target_mac = arp.sender_mac,
        .target_ip = arp.sender_ip,
    };
    reply_eth.dst = arp.sender_mac;
    reply_eth.Emit(out);
    reply.Emit(out.subspan(reply_eth_len));
    counters_->arp_replies.Inc();
    return Pad(out, len);
  }

  // The wire layer accepts only ARP and IPv4.
  wire::Ipv4Repr ip;
  std::span<const uint8_t> ip_payload;
  if (wire::WireError e = wire::Ipv4Repr::Parse(
          payload, wire::Ipv4Repr::Checksum::kVerify, &ip, &ip_payload);
      e != wire::WireError::kOk) {
    return ParseDrop(e);
  }
  if (ip.dst != ip_) {
    return Drop(PortDrop::kNotForUsIp);
  }
  switch (wire::CheckSource(ip.src, ip_)) {
    case wire::SourceCheck::kOk:
      break;
    case wire::SourceCheck::kInvalid:
      return Drop(PortDrop::kBadSource);
    case wire::SourceCheck::kOwnAddress:
      return Drop(PortDrop::kLandSource);
  }
  if (ip.protocol != wire::kIpProtoIcmp) {
    return Drop(PortDrop::kUnsupportedIpProtocol);
  }
  wire::IcmpRepr icmp;
  if (wire::WireError e = wire::IcmpRepr::Parse(ip_payload, &icmp);
      e != wire::WireError::kOk) {
    return ParseDrop(e);
  }
  if (icmp.type != wire::IcmpType::kEchoRequest) {
    return Drop(PortDrop::kIcmpNotEchoRequest);
  }
  // RFC 792 echo reply: same identifier, sequence number and data; RFC 1122
  // section 3.2.2.6: the reply's source is the request's specific
  // destination, and IP options are not echoed (tern honours none).
  wire::IcmpRepr icmp_reply = icmp;
  icmp_reply.type = wire::IcmpType::kEchoReply;
  icmp_reply.code = 0;
  wire::Ipv4Repr ip_reply;
  ip_reply.src = ip_;
  ip_reply.dst = ip.src;
  ip_reply.protocol = wire::kIpProtoIcmp;
  ip_reply.dscp = ip.dscp;
  // With DF set the datagram is atomic and its ID has no meaning (RFC 6864
  // section 4.1), so 0 is as good as a counter.
  ip_reply.id = 0;
  ip_reply.dont_fragment = true;
  ip_reply.payload_len = static_cast<uint16_t>(icmp_reply.BufferLen());

  const size_t len = reply_eth_len + ip_reply.BufferLen();
  if (out.size() < std::max(len, kEthMinFrameLen)) {
    return Drop(PortDrop::kReplyTooLarge);
  }
  reply_eth.Emit(out);
  ip_reply.Emit(out.subspan(reply_eth_len));
  icmp_reply.Emit(out.subspan(reply_eth_len + ip_reply.HeaderLen()));
  counters_->icmp_echo_replies.Inc();
  return Pad(out, len);
}

}  // namespace tern::port
