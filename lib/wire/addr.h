// Link- and network-layer addresses as small value types.
//
// Ipv4Addr holds the address in host byte order (a.b.c.d is
// (a << 24) | (b << 16) | (c << 8) | d); conversion to and from network order
// happens only in Parse/Emit. MacAddr holds the six octets as on the wire.
#ifndef TERN_LIB_WIRE_ADDR_H_
#define TERN_LIB_WIRE_ADDR_H_

#include <array>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace tern::wire {

struct Ipv4Addr {
  uint32_t value = 0;  // host byte order

  static constexpr Ipv4Addr FromOctets(uint8_t a, uint8_t b, uint8_t c,
                                       uint8_t d) {
    return Ipv4Addr{(uint32_t{a} << 24) | (uint32_t{b} << 16) |
                    (uint32_t{c} << 8) | uint32_t{d}};
  }
  // Parses dotted-quad text ("10.0.0.1"); nullopt on anything else.
  static std::optional<Ipv4Addr> FromString(std::string_view text);
  std::string ToString() const;

  constexpr bool operator==(const Ipv4Addr&) const = default;
};

struct MacAddr {
  std::array<uint8_t, 6> octets{};

  static constexpr MacAddr Broadcast() {
    return MacAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
  }
  // Parses "aa:bb:cc:dd:ee:ff"; nullopt on anything else.
  static std::optional<MacAddr> FromString(std::string_view text);
  std::string ToString() const;
  bool IsBroadcast() const { return *this == Broadcast(); }
  bool IsMulticast() const { return (octets[0] & 1) != 0; }

  constexpr bool operator==(const MacAddr&) const = default;
};

// Whether a host accepts a datagram from the network with this IPv4 source
// address, addressed to `local` (RFC 1122 3.2.1.3, RFC 9293 3.9.2.3 MUST-63:
// "a SYN from an invalid source address" is ignored).
enum class SourceCheck : uint8_t {
  kOk,
  // 0.0.0.0/8 ("this network", a source only while a host learns its
  // address), 127.0.0.0/8 (loopback: "MUST NOT appear outside a host"),
  // 224.0.0.0/4 (multicast) and 240.0.0.0/4 with 255.255.255.255 (reserved
  // and limited broadcast).
  kInvalid,
  // Our own address: a "land" datagram (src == dst), which a host never
  // receives from the wire (Linux drops it as a martian source).
  kOwnAddress,
};
constexpr SourceCheck CheckSource(Ipv4Addr src, Ipv4Addr local) {
  const uint32_t first = src.value >> 24;
  if (first == 0 || first == 127 || first >= 224) {
    return SourceCheck::kInvalid;
  }
  if (src == local) {
    return SourceCheck::kOwnAddress;
  }
  return SourceCheck::kOk;
}

inline std::ostream& operator<<(std::ostream& os, Ipv4Addr a) {
  return os << a.ToString();
}
inline std::ostream& operator<<(std::ostream& os, const MacAddr& m) {
  return os << m.ToString();
}

}  // namespace tern::wire

#endif  // TERN_LIB_WIRE_ADDR_H_
