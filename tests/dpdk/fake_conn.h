// FakeConn: an app::Conn over two strings, for driving a Service on bytes
// without an endpoint. `in` is what the peer sent and the service has not
// read; `out` is what the service sent; `room` bounds Send as a send buffer
// would. Mask() is the level mask a host would add (service.h).
#ifndef TERN_TESTS_DPDK_FAKE_CONN_H_
#define TERN_TESTS_DPDK_FAKE_CONN_H_

#include <algorithm>
#include <cstdint>
#include <limits>
#include <span>
#include <string>

#include "app/services/service.h"
#include "lib/tcp/api.h"

namespace tern::app::testing {

class FakeConn final : public Conn {
 public:
  explicit FakeConn(uint32_t slot = 0) : slot_(slot) {}

  uint32_t slot() const override { return slot_; }

  tcp::IoResult Recv(std::span<uint8_t> buf) override {
    ++calls;
    if (gone()) {
      return {0, tcp::SockError::kBadHandle};
    }
    if (in.empty()) {
      return {0, fin ? tcp::SockError::kOk : tcp::SockError::kWouldBlock};
    }
    const size_t n = std::min(buf.size(), in.size());
    std::copy_n(in.begin(), n, buf.begin());
    in.erase(0, n);
    return {n, tcp::SockError::kOk};
  }

  tcp::IoResult Peek(std::span<uint8_t> buf) override {
    ++calls;
    if (gone()) {
      return {0, tcp::SockError::kBadHandle};
    }
    const size_t n = std::min(buf.size(), in.size());
    std::copy_n(in.begin(), n, buf.begin());
    return {n, tcp::SockError::kOk};
  }

  tcp::IoResult Send(std::span<const uint8_t> data) override {
    ++calls;
    if (gone() || shut) {
      return {0, tcp::SockError::kBrokenPipe};
    }
    const size_t n = std::min(data.size(), room);
    if (n == 0 && !data.empty()) {
      return {0, tcp::SockError::kWouldBlock};
    }
    out.append(reinterpret_cast<const char*>(data.data()), n);
    room -= n;
    return {n, tcp::SockError::kOk};
  }

  void ShutdownWrite() override { shut = true; }
  void Close() override {
    ++calls;
    closed_with_unread = !in.empty();
    closed = true;
  }
  void Abort() override { aborted = true; }
  bool PeerClosed() const override { return fin && in.empty(); }

  uint32_t Mask() const {
    uint32_t m = 0;
    if (!in.empty() || fin) {
      m |= tcp::events::kReadable;
    }
    if (fin) {
      m |= tcp::events::kPeerClosed;
    }
    if (room > 0) {
      m |= tcp::events::kWritable;
    }
    return m;
  }
  bool gone() const { return closed || aborted; }

  std::string in;
  std::string out;
  size_t room = std::numeric_limits<size_t>::max();
  bool fin = false;
  bool shut = false;
  bool closed = false;
  bool closed_with_unread = false;
  bool aborted = false;
  // Conn calls made; a call after Close or Abort is a contract breach.
  int calls = 0;

 private:
  uint32_t slot_;
};

}  // namespace tern::app::testing

#endif  // TERN_TESTS_DPDK_FAKE_CONN_H_
