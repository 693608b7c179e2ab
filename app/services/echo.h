// echo (RFC 862): every byte received is sent back, in order.
//
// Contract: no per-connection buffer. Each event peeks what is readable into
// a stack buffer, sends it, and consumes with Recv exactly the bytes Send
// took; the rest stays in the receive buffer (its window holds the peer
// back) until kWritable. After the peer's FIN and everything echoed, the
// connection is closed.
#ifndef TERN_APP_SERVICES_ECHO_H_
#define TERN_APP_SERVICES_ECHO_H_

#include <cstddef>
#include <memory>

#include "absl/status/statusor.h"
#include "app/services/service.h"

namespace tern::app {

struct EchoOptions {};

class EchoService final : public Service {
 public:
  static absl::StatusOr<std::unique_ptr<Service>> Create(
      const EchoOptions& options, size_t max_connections);

  std::string_view name() const override { return "echo"; }
  void OnOpen(Conn& conn) override;
  void OnEvent(Conn& conn, uint32_t mask) override;
  void OnRelease(Conn& conn) override;
  std::span<const ServiceCounter> counters() const override {
    return counters_;
  }

  uint64_t bytes_echoed() const { return bytes_.Get(); }

 private:
  EchoService() = default;
  Counter bytes_;
  const ServiceCounter counters_[1] = {{"bytes_echoed", &bytes_}};
};

}  // namespace tern::app

#endif  // TERN_APP_SERVICES_ECHO_H_
