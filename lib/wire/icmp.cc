// RFC 792 (message formats), RFC 1191 section 4 (next-hop MTU field), RFC 1122
// section 3.2.2 (which messages a host handles).
//
// The fields that do not belong to a type are zeroed rather than kept, so
// that Emit(Parse(x)) is canonical: an unused field is "unused" in RFC 792.
#include "lib/wire/icmp.h"

#include <algorithm>
#include <cstring>

#include "lib/base/dcheck.h"
#include "lib/wire/byte_order.h"
#include "lib/wire/checksum.h"

namespace tern::wire {
namespace {

bool Supported(uint8_t type) {
  switch (static_cast<IcmpType>(type)) {
    case IcmpType::kEchoReply:
    case IcmpType::kDestinationUnreachable:
    case IcmpType::kEchoRequest:
    case IcmpType::kTimeExceeded:
    case IcmpType::kParameterProblem:
      return true;
  }
  return false;
}

bool IsEcho(IcmpType t) {
  return t == IcmpType::kEchoRequest || t == IcmpType::kEchoReply;
}

}  // namespace

WireError IcmpRepr::Parse(std::span<const uint8_t> message, IcmpRepr* out) {
  if (message.size() < kIcmpHeaderLen) {
    return WireError::kIcmpTruncated;
  }
  if (InternetChecksum(message) != 0) {
    return WireError::kIcmpBadChecksum;
  }
  const uint8_t* p = message.data();
  if (!Supported(p[0])) {
    return WireError::kIcmpUnsupportedType;
  }
  out->type = static_cast<IcmpType>(p[0]);
  out->code = p[1];
  out->echo_id = 0;
  out->echo_seq = 0;
  out->next_hop_mtu = 0;
  out->pointer = 0;
  if (IsEcho(out->type)) {
    out->echo_id = LoadBe16(p + 4);
    out->echo_seq = LoadBe16(p + 6);
  } else if (out->type == IcmpType::kDestinationUnreachable) {
    out->next_hop_mtu = LoadBe16(p + 6);
  } else if (out->type == IcmpType::kParameterProblem) {
    out->pointer = p[4];
  }
  out->data = message.subspan(kIcmpHeaderLen);
  return WireError::kOk;
}

absl::StatusOr<IcmpRepr> IcmpRepr::ParseOrStatus(
    std::span<const uint8_t> message) {
  IcmpRepr repr;
  WireError e = Parse(message, &repr);
  if (e != WireError::kOk) {
    return ToStatus(e);
  }
  return repr;
}

void IcmpRepr::Emit(std::span<uint8_t> out) const {
  TERN_DCHECK(out.size() >= BufferLen());
  uint8_t* p = out.data();
  // Data first: an in-place reply (echo reply built over the request) or a
  // caller's overlapping buffer must not see the header overwrite it.
  if (!data.empty() && data.data() != p + kIcmpHeaderLen) {
    std::memmove(p + kIcmpHeaderLen, data.data(), data.size());
  }
  p[0] = static_cast<uint8_t>(type);
  p[1] = code;
  StoreBe16(p + 2, 0);
  StoreBe32(p + 4, 0);
  if (IsEcho(type)) {
    StoreBe16(p + 4, echo_id);
    StoreBe16(p + 6, echo_seq);
  } else if (type == IcmpType::kDestinationUnreachable) {
    StoreBe16(p + 6, next_hop_mtu);
  } else if (type == IcmpType::kParameterProblem) {
    p[4] = pointer;
  }
  StoreBe16(p + 2, InternetChecksum(out.first(BufferLen())));
}

bool IcmpRepr::operator==(const IcmpRepr& o) const {
  return type == o.type && code == o.code && echo_id == o.echo_id &&
         echo_seq == o.echo_seq && next_hop_mtu == o.next_hop_mtu &&
         pointer == o.pointer && std::ranges::equal(data, o.data);
}

}  // namespace tern::wire
