// upper: the example service of doc/services.md. Every line the client
// sends comes back upper-cased (ASCII a-z), a line at a time: bytes are
// answered only once the '\n' that ends their line has arrived.
//
// Contract: after kMaxLines lines a connection is closed (what follows the
// last line is dropped); a line longer than kMaxLine bytes resets it
// (Abort); after the client's FIN and every complete line answered, it is
// closed (bytes of an unfinished last line are dropped). Per connection: the
// count of lines answered, in a vector indexed by slot.
#ifndef TERN_APP_SERVICES_EXAMPLE_UPPER_H_
#define TERN_APP_SERVICES_EXAMPLE_UPPER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "app/services/service.h"

namespace tern::app {

struct UpperOptions {};

class UpperService final : public Service {
 public:
  // The longest line, '\n' included: the stack buffer lines are peeked into.
  static constexpr size_t kMaxLine = 1024;
  // Lines per connection: a session limit, to show per-connection state.
  static constexpr uint32_t kMaxLines = 100;

  static absl::StatusOr<std::unique_ptr<Service>> Create(
      const UpperOptions& options, size_t max_connections);

  std::string_view name() const override { return "upper"; }
  void OnOpen(Conn& conn) override;
  void OnEvent(Conn& conn, uint32_t mask) override;
  void OnRelease(Conn& conn) override;
  std::span<const ServiceCounter> counters() const override {
    return counters_;
  }

 private:
  explicit UpperService(size_t max_connections)
      : lines_answered_(max_connections, 0) {}

  // Reads what is left, so that the close is not a reset, and closes.
  static void DropInputAndClose(Conn& conn);

  std::vector<uint32_t> lines_answered_;  // by slot
  Counter lines_;
  const ServiceCounter counters_[1] = {{"lines", &lines_}};
};

}  // namespace tern::app

#endif  // TERN_APP_SERVICES_EXAMPLE_UPPER_H_
