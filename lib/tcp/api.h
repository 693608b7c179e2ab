// Application-facing types of the per-lcore TCP API: handles, errors and
// readiness events.
//
// Handles carry a generation: a handle used after its connection was released
// gets kBadHandle, never another connection's state.
#ifndef TERN_LIB_TCP_API_H_
#define TERN_LIB_TCP_API_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace tern::tcp {

struct ConnHandle {
  uint32_t index = UINT32_MAX;
  uint32_t generation = 0;
  bool valid() const { return index != UINT32_MAX; }
  bool operator==(const ConnHandle&) const = default;
};

struct ListenerHandle {
  uint32_t index = UINT32_MAX;
  uint32_t generation = 0;
  bool valid() const { return index != UINT32_MAX; }
  bool operator==(const ListenerHandle&) const = default;
};

// Errors of application calls, named after the errno Linux gives in the same
// situation.
enum class SockError : uint8_t {
  kOk = 0,
  kWouldBlock,        // EAGAIN
  kBadHandle,         // EBADF
  kNotConnected,      // ENOTCONN
  kConnReset,         // ECONNRESET
  kConnRefused,       // ECONNREFUSED
  kTimedOut,          // ETIMEDOUT
  kBrokenPipe,        // EPIPE
  kInvalid,           // EINVAL
  kAddrInUse,         // EADDRINUSE
  kNoResources,       // ENOBUFS / EMFILE: a table is full
  kAlreadyConnected,  // EISCONN
  kInProgress,        // EALREADY
  // From ICMP errors (Endpoint::OnIcmpError), as Linux's icmp_err_convert
  // maps destination-unreachable codes, time exceeded and parameter problem.
  kNetUnreachable,   // ENETUNREACH
  kHostUnreachable,  // EHOSTUNREACH
  kNoProtocol,       // ENOPROTOOPT: protocol unreachable
  kProtocolError,    // EPROTO: parameter problem
};
const char* ToString(SockError e);

struct IoResult {
  size_t bytes = 0;
  SockError error = SockError::kOk;
  bool ok() const { return error == SockError::kOk; }
};

// Readiness bits, as in poll(2).
namespace events {
inline constexpr uint32_t kConnected = 1u << 0;   // handshake completed
inline constexpr uint32_t kReadable = 1u << 1;    // in-order data to Recv
inline constexpr uint32_t kWritable = 1u << 2;    // send buffer has room
inline constexpr uint32_t kPeerClosed = 1u << 3;  // FIN received (EOF)
inline constexpr uint32_t kClosed = 1u << 4;      // connection fully closed
inline constexpr uint32_t kReset = 1u << 5;       // RST received / aborted
inline constexpr uint32_t kTimedOut = 1u << 6;    // retransmissions exhausted
inline constexpr uint32_t kRefused = 1u << 7;     // RST answering our SYN
inline constexpr uint32_t kAcceptable = 1u << 8;  // listener: accept queue
// Connection keeps the bits in 16 bits.
static_assert(kAcceptable < (1u << 16));
}  // namespace events

// Zero-copy sends (Endpoint::SendRef, doc/reliable_transfer.md): payload the
// caller owns, queued by reference. `token` is opaque to the core (an mbuf
// pointer, an index into the caller's pool).
class PayloadOwner {
 public:
  // Called exactly once for every chunk SendRef accepted: when the peer has
  // acknowledged its last byte, or when the connection drops its send queue
  // (it reached CLOSED: RST, abort, retransmissions exhausted; or its record
  // or the endpoint was destroyed). Called synchronously from inside an
  // endpoint call; it must not call back into the endpoint.
  virtual void Release(uint64_t token) = 0;

 protected:
  ~PayloadOwner() = default;
};

struct PayloadRef {
  // Must stay valid and unchanged until owner->Release(token).
  std::span<const uint8_t> data;
  PayloadOwner* owner = nullptr;
  uint64_t token = 0;
};

// Immutable bytes that a lower layer keeps (the port layer: in an mbuf, so
// they leave by reference) and that an application queues with SendRef any
// number of times: each Ref() is one PayloadRef, released once.
class PinnedPayload {
 public:
  virtual ~PinnedPayload() = default;
  virtual std::span<const uint8_t> bytes() const = 0;
  virtual PayloadRef Ref() = 0;
};

// Makes PinnedPayloads (the engine of an lcore); nullptr when it cannot
// (no memory, too large).
class PayloadPinner {
 public:
  virtual std::unique_ptr<PinnedPayload> Pin(
      std::span<const uint8_t> bytes) = 0;

 protected:
  ~PayloadPinner() = default;
};

struct Event {
  ConnHandle conn;          // valid for connection events
  ListenerHandle listener;  // valid for kAcceptable
  uint32_t mask = 0;
  // For connection events: the connection's application context
  // (Endpoint::SetContext; 0 until set). 0 for listener events.
  uint64_t context = 0;
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_API_H_
