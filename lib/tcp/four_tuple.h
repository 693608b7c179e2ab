// FourTuple: the identity of a TCP connection, seen from this endpoint.
//
// RFC 9293 section 3.1: a connection is named by the pair of sockets
// (local address, local port) and (remote address, remote port). Addresses are
// host byte order (wire::Ipv4Addr). The struct is 12 bytes with no padding so
// it can be hashed and compared as bytes.
#ifndef TERN_LIB_TCP_FOUR_TUPLE_H_
#define TERN_LIB_TCP_FOUR_TUPLE_H_

#include <cstdint>
#include <ostream>

#include "lib/wire/addr.h"

namespace tern::tcp {

struct FourTuple {
  wire::Ipv4Addr local_addr;
  wire::Ipv4Addr remote_addr;
  uint16_t local_port = 0;
  uint16_t remote_port = 0;

  bool operator==(const FourTuple&) const = default;
};
static_assert(sizeof(FourTuple) == 12, "FourTuple must have no padding");

inline std::ostream& operator<<(std::ostream& os, const FourTuple& t) {
  return os << t.local_addr << ":" << t.local_port << "<->" << t.remote_addr
            << ":" << t.remote_port;
}

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_FOUR_TUPLE_H_
