// source: sends the pattern of pattern.h to every connection, for
// throughput runs (in the spirit of RFC 864's character generator).
//
// Contract: sending starts at accept and continues on kWritable until the
// peer closes (its FIN: the connection is closed at once) or resets, or
// until byte_limit bytes were queued (then the connection is closed
// gracefully: the peer receives every byte and a FIN). Received bytes are
// read and dropped. Per connection: 8 bytes (the offset reached).
#ifndef TERN_APP_SERVICES_SOURCE_H_
#define TERN_APP_SERVICES_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "app/services/service.h"

namespace tern::app {

struct SourceOptions {
  // Bytes per connection before a graceful close; 0: no limit.
  uint64_t byte_limit = 0;
};

class SourceService final : public Service {
 public:
  static absl::StatusOr<std::unique_ptr<Service>> Create(
      const SourceOptions& options, size_t max_connections);

  std::string_view name() const override { return "source"; }
  void OnOpen(Conn& conn) override;
  void OnEvent(Conn& conn, uint32_t mask) override;
  void OnRelease(Conn& conn) override;
  std::span<const ServiceCounter> counters() const override {
    return counters_;
  }

  uint64_t bytes_sent() const { return bytes_.Get(); }

 private:
  SourceService(const SourceOptions& options, size_t max_connections);

  const SourceOptions options_;
  std::vector<uint64_t> sent_;  // by slot
  Counter bytes_;
  const ServiceCounter counters_[1] = {{"bytes_sent", &bytes_}};
};

}  // namespace tern::app

#endif  // TERN_APP_SERVICES_SOURCE_H_
