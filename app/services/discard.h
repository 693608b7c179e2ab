// discard (RFC 863) and sink: every byte received is read and dropped;
// nothing is sent. sink also counts the bytes and the connections it
// finished, for throughput runs. Both close the connection after the peer's
// FIN.
//
// Contract: no per-connection state; reads go through one stack buffer.
#ifndef TERN_APP_SERVICES_DISCARD_H_
#define TERN_APP_SERVICES_DISCARD_H_

#include <cstddef>
#include <memory>

#include "absl/status/statusor.h"
#include "app/services/service.h"

namespace tern::app {

struct DiscardOptions {};
struct SinkOptions {};

class DiscardService : public Service {
 public:
  static absl::StatusOr<std::unique_ptr<Service>> Create(
      const DiscardOptions& options, size_t max_connections);

  std::string_view name() const override { return "discard"; }
  void OnOpen(Conn& conn) override { (void)conn; }
  void OnEvent(Conn& conn, uint32_t mask) override;
  void OnRelease(Conn& conn) override { (void)conn; }

 protected:
  DiscardService() = default;
  // Reads everything readable; returns the byte count and closes the
  // connection at the end of the stream.
  static uint64_t ReadAndDrop(Conn& conn, bool* finished);
};

class SinkService final : public DiscardService {
 public:
  static absl::StatusOr<std::unique_ptr<Service>> Create(
      const SinkOptions& options, size_t max_connections);

  std::string_view name() const override { return "sink"; }
  void OnEvent(Conn& conn, uint32_t mask) override;
  std::span<const ServiceCounter> counters() const override {
    return counters_;
  }

  uint64_t bytes_received() const { return bytes_.Get(); }
  uint64_t streams_finished() const { return finished_.Get(); }

 private:
  SinkService() = default;
  Counter bytes_;
  Counter finished_;  // connections that ended with the peer's FIN
  const ServiceCounter counters_[2] = {{"bytes_received", &bytes_},
                                       {"streams_finished", &finished_}};
};

}  // namespace tern::app

#endif  // TERN_APP_SERVICES_DISCARD_H_
