#include "app/services/discard.h"

#include <array>
#include <cstdint>

#include "lib/tcp/api.h"

namespace tern::app {
namespace {
// Bytes read per Recv: 16 KiB, eleven 1460-byte segments.
constexpr size_t kChunk = 16 * 1024;
constexpr uint32_t kFailed = tcp::events::kReset | tcp::events::kTimedOut;
}  // namespace

absl::StatusOr<std::unique_ptr<Service>> DiscardService::Create(
    const DiscardOptions& options, size_t max_connections) {
  (void)options;
  (void)max_connections;  // stateless per connection
  return std::unique_ptr<Service>(new DiscardService());
}

uint64_t DiscardService::ReadAndDrop(Conn& conn, bool* finished) {
  std::array<uint8_t, kChunk> buf;
  uint64_t total = 0;
  *finished = false;
  for (;;) {
    tcp::IoResult r = conn.Recv(buf);
    if (!r.ok()) {
      return total;  // kWouldBlock, or the failure the host handles
    }
    if (r.bytes == 0) {
      *finished = true;
      conn.Close();
      return total;
    }
    total += r.bytes;
  }
}

void DiscardService::OnEvent(Conn& conn, uint32_t mask) {
  if ((mask & kFailed) != 0) {
    return;
  }
  bool finished;
  ReadAndDrop(conn, &finished);
}

absl::StatusOr<std::unique_ptr<Service>> SinkService::Create(
    const SinkOptions& options, size_t max_connections) {
  (void)options;
  (void)max_connections;
  return std::unique_ptr<Service>(new SinkService());
}

void SinkService::OnEvent(Conn& conn, uint32_t mask) {
  if ((mask & kFailed) != 0) {
    return;
  }
  bool finished;
  bytes_.Add(ReadAndDrop(conn, &finished));
  if (finished) {
    finished_.Inc();
  }
}

}  // namespace tern::app
