// How the core classifies an ICMP error (IcmpError, segment.h): which errno
// it stands for and whether it is hard. Pure functions; the reactions are
// Endpoint::OnIcmpError's and Connection::OnIcmpError's.
#ifndef TERN_LIB_TCP_ICMP_H_
#define TERN_LIB_TCP_ICMP_H_

#include <cstdint>

#include "lib/tcp/api.h"
#include "lib/tcp/segment.h"

namespace tern::tcp {

// RFC 1191 section 3: no path MTU below 68 exists; Linux goes further and
// never lowers a route's MTU below net.ipv4.route.min_pmtu, 552 by default,
// so a forged fragmentation-needed cannot shrink segments to a few bytes
// (RFC 5927 section 7.1's attack). tern uses Linux's floor.
inline constexpr uint16_t kMinPathMtu = 552;
// IPv4 and TCP headers without options (RFC 9293 3.7.1, RFC 6691): the MSS
// is the path MTU less these.
inline constexpr uint16_t kIpTcpHeaderBytes = 40;

// The errno an error stands for, as Linux's icmp_err_convert table maps the
// destination-unreachable codes (RFC 792, RFC 1812 5.2.7.1), with
// EHOSTDOWN, ENONET and EOPNOTSUPP folded into EHOSTUNREACH; time exceeded
// is EHOSTUNREACH and parameter problem EPROTO, as in Linux's tcp_v4_err.
SockError IcmpErrno(const IcmpError& e);

// Hard errors, those Linux's icmp_err_convert marks fatal: the peer or a
// router says the destination will not take the connection (protocol or
// port unreachable, unknown or isolated host or network, administratively
// prohibited, precedence). RFC 1122 4.2.3.9 names codes 2 to 4 hard; tern
// treats fragmentation-needed (4) apart, as path MTU discovery.
bool IcmpIsHard(const IcmpError& e);

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_ICMP_H_
