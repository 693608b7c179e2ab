#include "app/services/example_upper.h"

#include <algorithm>
#include <array>

#include "lib/tcp/api.h"

namespace tern::app {

absl::StatusOr<std::unique_ptr<Service>> UpperService::Create(
    const UpperOptions& options, size_t max_connections) {
  (void)options;
  if (max_connections == 0) {
    return absl::InvalidArgumentError("upper: max_connections is 0");
  }
  return std::unique_ptr<Service>(new UpperService(max_connections));
}

void UpperService::OnOpen(Conn& conn) { lines_answered_[conn.slot()] = 0; }

void UpperService::OnRelease(Conn& conn) { lines_answered_[conn.slot()] = 0; }

void UpperService::DropInputAndClose(Conn& conn) {
  std::array<uint8_t, 512> sink;
  while (conn.Recv(sink).bytes > 0) {
  }
  conn.Close();
}

void UpperService::OnEvent(Conn& conn, uint32_t mask) {
  if ((mask & (tcp::events::kReset | tcp::events::kTimedOut)) != 0) {
    return;  // the host releases the connection
  }
  uint32_t& answered = lines_answered_[conn.slot()];
  std::array<uint8_t, kMaxLine> line;
  for (;;) {
    // Look at the received bytes without taking them: they stay in the
    // connection's receive buffer until they have been answered.
    const tcp::IoResult peeked = conn.Peek(line);
    const auto end = line.begin() + static_cast<ptrdiff_t>(peeked.bytes);
    const auto newline = std::find(line.begin(), end, uint8_t{'\n'});
    if (newline == end) {
      if (peeked.bytes == line.size()) {
        conn.Abort();  // no '\n' within kMaxLine bytes
      } else if ((mask & tcp::events::kPeerClosed) != 0) {
        DropInputAndClose(conn);  // the client is done
      }
      return;  // wait for the rest of the line
    }
    const size_t length = static_cast<size_t>(newline - line.begin()) + 1;
    std::transform(line.begin(), line.begin() + length, line.begin(),
                   [](uint8_t c) -> uint8_t {
                     return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
                   });
    const tcp::IoResult sent =
        conn.Send(std::span<const uint8_t>(line.data(), length));
    if (!sent.ok() || sent.bytes == 0) {
      return;  // the send buffer is full: kWritable brings us back
    }
    // Consume exactly what was sent. The rest of a line that did not fit
    // is peeked again on the next event, and still ends in '\n'.
    conn.Recv(std::span<uint8_t>(line.data(), sent.bytes));
    if (sent.bytes < length) {
      return;
    }
    lines_.Inc();
    if (++answered == kMaxLines) {
      DropInputAndClose(conn);
      return;
    }
  }
}

}  // namespace tern::app
