#include "lib/tcp/icmp.h"

namespace tern::tcp {
namespace {

// RFC 792 and RFC 1812 5.2.7.1 destination-unreachable codes.
enum UnreachableCode : uint8_t {
  kNetUnreachable = 0,
  kHostUnreachable = 1,
  kProtocolUnreachable = 2,
  kPortUnreachable = 3,
  kFragmentationNeeded = 4,
  kSourceRouteFailed = 5,
  kNetUnknown = 6,
  kHostUnknown = 7,
  kHostIsolated = 8,
  kNetProhibited = 9,
  kHostProhibited = 10,
  kNetUnreachableTos = 11,
  kHostUnreachableTos = 12,
  kCommunicationProhibited = 13,
  kHostPrecedenceViolation = 14,
  kPrecedenceCutoff = 15,
};

}  // namespace

SockError IcmpErrno(const IcmpError& e) {
  switch (e.kind) {
    case IcmpError::Kind::kTimeExceeded:
      return SockError::kHostUnreachable;
    case IcmpError::Kind::kParameterProblem:
      return SockError::kProtocolError;
    case IcmpError::Kind::kFragmentationNeeded:
    case IcmpError::Kind::kUnreachable:
      break;
  }
  switch (e.code) {
    case kNetUnreachable:
    case kNetUnknown:
    case kNetProhibited:
    case kNetUnreachableTos:
      return SockError::kNetUnreachable;
    case kProtocolUnreachable:
      return SockError::kNoProtocol;
    case kPortUnreachable:
      return SockError::kConnRefused;
    default:
      return SockError::kHostUnreachable;
  }
}

bool IcmpIsHard(const IcmpError& e) {
  if (e.kind != IcmpError::Kind::kUnreachable) {
    return false;
  }
  switch (e.code) {
    case kProtocolUnreachable:
    case kPortUnreachable:
    case kNetUnknown:
    case kHostUnknown:
    case kHostIsolated:
    case kNetProhibited:
    case kHostProhibited:
    case kCommunicationProhibited:
    case kHostPrecedenceViolation:
    case kPrecedenceCutoff:
      return true;
    default:
      return false;
  }
}

}  // namespace tern::tcp
