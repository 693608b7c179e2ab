// http: an HTTP/1.1 origin server (RFC 9110, RFC 9112) that answers every
// request with one configured response, enough for curl, ab and wrk.
//
// Contract:
// - Every valid request, whatever its method and target, gets the
//   configured status, extra headers and a body of body_bytes bytes of the
//   pattern in pattern.h, with Content-Length (none for 204 and 304, RFC
//   9110 8.6); HEAD gets the same head and no body (RFC 9110 9.3.2).
// - Persistence (RFC 9112 9.3): HTTP/1.1 keeps the connection unless the
//   request says "Connection: close"; HTTP/1.0 closes unless it says
//   "Connection: keep-alive", and then the response says
//   "Connection: keep-alive" too. A response after which the connection
//   closes says "Connection: close".
// - Pipelining: requests already received are answered in order, one
//   response after the other, in the same event while the send buffer takes
//   them; a response that does not fit continues on kWritable, and the next
//   request is parsed only after it.
// - Request content, framed by Content-Length or chunked (RFC 9112 7.1,
//   extensions and trailer fields ignored), is read and dropped before the
//   response; "Expect: 100-continue" gets "100 Continue" first (RFC 9110
//   10.1.1) when there is content to come.
// - Errors (http_parser.h): 400 for syntax and framing errors (in the head
//   or in the chunked framing), 431 for a head larger than
//   max_header_bytes, 501 for a transfer coding other than chunked, 505 for
//   an HTTP major version other than 1; each with Content-Length: 0 and
//   Connection: close, after which the unread input is dropped and the
//   connection closed.
// - The head is found with Peek in one service-wide scratch buffer of
//   max_header_bytes; nothing of a request is copied per connection. The
//   listener's receive buffer must hold max_header_bytes (the default
//   256 KiB does) or a head that fills the window is never completed.
// - Responses are built once, at Create. Per connection: a 24-byte record in
//   a vector indexed by slot.
// - Drain (Service::OnDrain): an idle connection is closed at once; one with
//   a request under way gets its response and is closed after it (responses
//   begun after the drain say "Connection: close").
#ifndef TERN_APP_SERVICES_HTTP_H_
#define TERN_APP_SERVICES_HTTP_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "app/services/http_parser.h"
#include "app/services/service.h"

namespace tern::app {

struct HttpOptions {
  // A final status (RFC 9110 15): 200-599. 204, 205 and 304 need
  // body_bytes 0 (RFC 9110 15.3.5, 15.3.6, 15.4.5).
  int status = 200;
  // 1 KiB: the response size of the engine's short-connection benchmark.
  uint64_t body_bytes = 1024;
  // Extra header fields, in order. Names are tokens (RFC 9110 5.1), values
  // field-content (RFC 9110 5.5); Content-Length, Transfer-Encoding and
  // Connection are the service's own and refused.
  std::vector<std::pair<std::string, std::string>> headers;
  // The bound on a request head (request line, fields, empty line): 8 KiB,
  // the default of nginx's large_client_header_buffers line and of Apache's
  // LimitRequestLine, the smallest a browser expects. 64 to 1 MiB.
  size_t max_header_bytes = 8 * 1024;
  // When set, the body is pinned once (tcp::PayloadPinner: the engine keeps
  // it in an mbuf) and every response queues it by reference (SendRef), so
  // the port sends the same memory each time instead of copying it; bodies
  // of kMinPinnedBody to kMaxPinnedBody bytes only. Null: copies.
  tcp::PayloadPinner* pinner = nullptr;
};

// A body smaller than one segment gains nothing from a reference; 65535 -
// 1 KiB leaves room for DPDK's external-buffer bookkeeping in a 16-bit
// mbuf buffer length (rte_mbuf buf_len).
inline constexpr uint64_t kMinPinnedBody = 512;
inline constexpr uint64_t kMaxPinnedBody = 64 * 1024 - 1024;

class HttpService final : public Service {
 public:
  static absl::StatusOr<std::unique_ptr<Service>> Create(
      const HttpOptions& options, size_t max_connections);

  std::string_view name() const override { return "http"; }
  void OnOpen(Conn& conn) override;
  void OnEvent(Conn& conn, uint32_t mask) override;
  void OnRelease(Conn& conn) override;
  void OnDrain(Conn& conn) override;
  std::span<const ServiceCounter> counters() const override {
    return counters_;
  }

  uint64_t requests() const { return requests_.Get(); }
  uint64_t errors(http::HeadVerdict v) const;

  // The head of the response to a valid request (tests, docs).
  std::string_view ResponseHead(bool head_method, bool keep_alive,
                                uint8_t minor_version) const;

 private:
  // Which prebuilt response: kOk* for valid requests (HEAD variants are
  // kOk* + kHeadOffset), then the errors and the interim 100.
  enum Response : uint8_t {
    kOkKeepAlive11,  // no Connection field: HTTP/1.1 persists by default
    kOkKeepAlive10,  // "Connection: keep-alive"
    kOkClose,        // "Connection: close"
    kHeadKeepAlive11,
    kHeadKeepAlive10,
    kHeadClose,
    kBadRequest,
    kTooLarge,
    kNotImplemented,
    kVersionNotSupported,
    kContinue,
    kResponseCount,
  };
  static constexpr uint8_t kHeadOffset = kHeadKeepAlive11 - kOkKeepAlive11;

  enum class Stage : uint8_t {
    kIdle,          // waiting for a request head
    kContinue,      // sending "100 Continue"
    kSkipBody,      // dropping Content-Length content
    kChunkSize,     // chunked content: waiting for a chunk-size line
    kChunkData,     // dropping chunk-data
    kChunkDataEnd,  // waiting for the CRLF after chunk-data
    kTrailer,       // waiting for a trailer line or the final empty line
    kRespond,       // sending the response
  };
  struct ConnState {
    uint64_t body_left = 0;  // request content still to drop
    uint64_t sent = 0;       // bytes of `response` queued so far
    Stage stage = Stage::kIdle;
    Response response = kOkKeepAlive11;
    bool chunked = false;      // the content is chunked
    bool close_after = false;  // close once `response` is queued
    bool drain = false;        // OnDrain came: close after this response
  };
  static_assert(sizeof(ConnState) <= 24, "the record the contract promises");
  struct Prebuilt {
    std::string head;
    uint64_t body_bytes = 0;
  };

  HttpService(const HttpOptions& options, size_t max_connections);
  void Build(const HttpOptions& options);

  // Each returns true when the stage is done and the next may run, false
  // when it waits for an event (or closed the connection).
  bool NextRequest(Conn& conn, ConnState& s, uint32_t mask);
  bool SendResponse(Conn& conn, ConnState& s, Response r);
  bool SkipBody(Conn& conn, ConnState& s);
  // One line of the chunked framing, in stages kChunkSize, kChunkDataEnd
  // and kTrailer; moves to the next stage.
  bool ChunkLine(Conn& conn, ConnState& s, uint32_t mask);
  // Answers a request that cannot be served with the error `r` and closes.
  void Fail(ConnState& s, Response r);
  // Drops unread input (a close with unread data would be a reset) and
  // closes.
  void FinishAndClose(Conn& conn);

  const size_t max_header_bytes_;
  std::array<Prebuilt, kResponseCount> responses_;
  // The body pinned for zero-copy sends, or null.
  std::unique_ptr<tcp::PinnedPayload> pinned_body_;
  std::vector<uint8_t> scratch_;  // Peek target; at least max_header_bytes_
  std::vector<ConnState> conns_;  // by slot

  Counter requests_;
  Counter bad_request_;
  Counter too_large_;
  Counter not_implemented_;
  Counter version_not_supported_;
  const ServiceCounter counters_[5] = {
      {"requests", &requests_},
      {"bad_request", &bad_request_},
      {"header_too_large", &too_large_},
      {"not_implemented", &not_implemented_},
      {"version_not_supported", &version_not_supported_},
  };
};

}  // namespace tern::app

#endif  // TERN_APP_SERVICES_HTTP_H_
