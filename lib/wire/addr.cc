// Text forms: dotted quad (RFC 791 notation, decimal only: no octal or hex
// parts, no shortened forms such as "10.1", unlike inet_aton) and colon-
// separated hex MAC addresses. Both are strict so that a typo in a config
// file is an error rather than a surprising address.
#include "lib/wire/addr.h"

#include "absl/strings/str_format.h"

namespace tern::wire {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

std::optional<Ipv4Addr> Ipv4Addr::FromString(std::string_view text) {
  uint32_t value = 0;
  size_t pos = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (pos >= text.size() || text[pos] != '.') {
        return std::nullopt;
      }
      ++pos;
    }
    uint32_t octet = 0;
    size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' &&
           digits < 4) {
      octet = octet * 10 + static_cast<uint32_t>(text[pos] - '0');
      ++pos;
      ++digits;
    }
    if (digits == 0 || digits > 3 || octet > 255) {
      return std::nullopt;
    }
    value = (value << 8) | octet;
  }
  if (pos != text.size()) {
    return std::nullopt;
  }
  return Ipv4Addr{value};
}

std::string Ipv4Addr::ToString() const {
  return absl::StrFormat("%u.%u.%u.%u", value >> 24, (value >> 16) & 0xff,
                         (value >> 8) & 0xff, value & 0xff);
}

std::optional<MacAddr> MacAddr::FromString(std::string_view text) {
  // "aa:bb:cc:dd:ee:ff": six two-digit groups and five separators.
  constexpr size_t kTextLen = 17;
  if (text.size() != kTextLen) {
    return std::nullopt;
  }
  MacAddr mac;
  for (size_t i = 0; i < 6; ++i) {
    size_t at = i * 3;
    if (i > 0 && text[at - 1] != ':') {
      return std::nullopt;
    }
    int hi = HexDigit(text[at]);
    int lo = HexDigit(text[at + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    mac.octets[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return mac;
}

std::string MacAddr::ToString() const {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", octets[0], octets[1],
                         octets[2], octets[3], octets[4], octets[5]);
}

}  // namespace tern::wire
