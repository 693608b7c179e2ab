#include "app/services/echo.h"

#include <array>
#include <cstdint>

#include "lib/tcp/api.h"

namespace tern::app {
namespace {
// Bytes handled per Peek/Send round: 16 KiB, eleven 1460-byte segments.
constexpr size_t kChunk = 16 * 1024;
}  // namespace

absl::StatusOr<std::unique_ptr<Service>> EchoService::Create(
    const EchoOptions& options, size_t max_connections) {
  (void)options;
  (void)max_connections;  // stateless per connection
  return std::unique_ptr<Service>(new EchoService());
}

void EchoService::OnOpen(Conn& conn) { (void)conn; }

void EchoService::OnEvent(Conn& conn, uint32_t mask) {
  if ((mask & (tcp::events::kReset | tcp::events::kTimedOut)) != 0) {
    return;  // the host releases it
  }
  std::array<uint8_t, kChunk> buf;
  for (;;) {
    tcp::IoResult peeked = conn.Peek(buf);
    if (!peeked.ok() || peeked.bytes == 0) {
      break;
    }
    tcp::IoResult sent =
        conn.Send(std::span<const uint8_t>(buf.data(), peeked.bytes));
    if (!sent.ok() || sent.bytes == 0) {
      return;  // send buffer full: kWritable brings us back
    }
    // The bytes are the ones peeked: consume exactly those.
    conn.Recv(std::span<uint8_t>(buf.data(), sent.bytes));
    bytes_.Add(sent.bytes);
    if (sent.bytes < peeked.bytes) {
      return;
    }
  }
  if (conn.PeerClosed()) {
    conn.Close();
  }
}

void EchoService::OnRelease(Conn& conn) { (void)conn; }

}  // namespace tern::app
