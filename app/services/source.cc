#include "app/services/source.h"

#include <array>
#include <limits>

#include "app/services/pattern.h"
#include "lib/tcp/api.h"

namespace tern::app {
namespace {
// Bytes read and dropped per Recv.
constexpr size_t kReadChunk = 4096;
}  // namespace

absl::StatusOr<std::unique_ptr<Service>> SourceService::Create(
    const SourceOptions& options, size_t max_connections) {
  if (max_connections == 0) {
    return absl::InvalidArgumentError("source: max_connections is 0");
  }
  return std::unique_ptr<Service>(new SourceService(options, max_connections));
}

SourceService::SourceService(const SourceOptions& options,
                             size_t max_connections)
    : options_(options), sent_(max_connections, 0) {}

void SourceService::OnOpen(Conn& conn) { sent_[conn.slot()] = 0; }

void SourceService::OnEvent(Conn& conn, uint32_t mask) {
  if ((mask & (tcp::events::kReset | tcp::events::kTimedOut)) != 0) {
    return;
  }
  // Input is dropped; the peer's FIN ends the stream.
  std::array<uint8_t, kReadChunk> drop;
  for (;;) {
    tcp::IoResult r = conn.Recv(drop);
    if (!r.ok()) {
      break;
    }
    if (r.bytes == 0) {
      conn.Close();
      return;
    }
  }
  uint64_t& sent = sent_[conn.slot()];
  const uint64_t limit = options_.byte_limit != 0
                             ? options_.byte_limit
                             : std::numeric_limits<uint64_t>::max();
  while (sent < limit) {
    std::span<const uint8_t> piece = PatternAt(sent, limit - sent);
    tcp::IoResult r = conn.Send(piece);
    if (!r.ok() || r.bytes == 0) {
      return;  // kWritable brings us back
    }
    sent += r.bytes;
    bytes_.Add(r.bytes);
    if (r.bytes < piece.size()) {
      return;
    }
  }
  conn.Close();
}

void SourceService::OnRelease(Conn& conn) { sent_[conn.slot()] = 0; }

}  // namespace tern::app
