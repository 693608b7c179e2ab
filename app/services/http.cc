#include "app/services/http.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "app/services/pattern.h"
#include "lib/tcp/api.h"

namespace tern::app {
namespace {

// RFC 9110 section 15: the reason phrases of the registered codes; others
// are sent with an empty reason (RFC 9112 4 allows it).
const char* ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 203:
      return "Non-Authoritative Information";
    case 204:
      return "No Content";
    case 205:
      return "Reset Content";
    case 206:
      return "Partial Content";
    case 300:
      return "Multiple Choices";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 410:
      return "Gone";
    case 413:
      return "Content Too Large";
    case 418:
      return "(Unused)";
    case 429:
      return "Too Many Requests";  // RFC 6585 4
    case 431:
      return "Request Header Fields Too Large";  // RFC 6585 5
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

// RFC 9110 5.6.2 token.
bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return http::IsTokenChar(static_cast<uint8_t>(c));
  });
}

// RFC 9110 5.5 field-value: field-vchar with SP/HTAB inside, none at the
// ends.
bool IsFieldValue(std::string_view s) {
  if (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.back() == ' ' ||
                     s.back() == '\t')) {
    return false;
  }
  for (char ch : s) {
    const auto c = static_cast<uint8_t>(ch);
    if (c != '\t' && (c < 0x20 || c == 0x7f)) {
      return false;
    }
  }
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(),
                    [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

// Bounds of HttpOptions::max_header_bytes: below 64 bytes no real client's
// head fits; above 1 MiB the scratch buffer stops being small.
constexpr size_t kMinHeaderBytes = 64;
constexpr size_t kMaxHeaderBytes = 1 << 20;
// The scratch buffer is also where request content is read and dropped:
// 16 KiB per Recv.
constexpr size_t kMinScratch = 16 * 1024;

constexpr uint32_t kFailed = tcp::events::kReset | tcp::events::kTimedOut;

}  // namespace

absl::StatusOr<std::unique_ptr<Service>> HttpService::Create(
    const HttpOptions& options, size_t max_connections) {
  if (max_connections == 0) {
    return absl::InvalidArgumentError("http: max_connections is 0");
  }
  if (options.status < 200 || options.status > 599) {
    return absl::InvalidArgumentError(absl::StrCat(
        "http: status ", options.status, " is not a final status (200-599)"));
  }
  if ((options.status == 204 || options.status == 205 ||
       options.status == 304) &&
      options.body_bytes != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("http: status ", options.status,
                     " has no content; body_bytes must be 0"));
  }
  if (options.max_header_bytes < kMinHeaderBytes ||
      options.max_header_bytes > kMaxHeaderBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "http: max_header_bytes ", options.max_header_bytes, " is outside [",
        kMinHeaderBytes, ", ", kMaxHeaderBytes, "]"));
  }
  for (const auto& [name, value] : options.headers) {
    if (!IsToken(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("http: header name \"", name, "\" is not a token"));
    }
    if (!IsFieldValue(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("http: header ", name,
                       " has a value with control characters or "
                       "surrounding whitespace"));
    }
    for (std::string_view own :
         {"Content-Length", "Transfer-Encoding", "Connection"}) {
      if (EqualsIgnoreCase(name, own)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "http: header ", name, " is set by the service itself"));
      }
    }
  }
  return std::unique_ptr<Service>(new HttpService(options, max_connections));
}

HttpService::HttpService(const HttpOptions& options, size_t max_connections)
    : max_header_bytes_(options.max_header_bytes),
      scratch_(std::max(options.max_header_bytes, kMinScratch)),
      conns_(max_connections) {
  Build(options);
  if (options.pinner != nullptr && options.body_bytes >= kMinPinnedBody &&
      options.body_bytes <= kMaxPinnedBody) {
    std::vector<uint8_t> body(options.body_bytes);
    for (uint64_t at = 0; at < body.size();) {
      std::span<const uint8_t> p = PatternAt(at, body.size() - at);
      std::copy(p.begin(), p.end(), body.begin() + static_cast<ptrdiff_t>(at));
      at += p.size();
    }
    pinned_body_ = options.pinner->Pin(body);  // null: copies, as without
  }
}

void HttpService::Build(const HttpOptions& options) {
  const bool content_length =
      options.status != 204 && options.status != 304;  // RFC 9110 8.6
  std::string common =
      absl::StrCat("HTTP/1.1 ", options.status, " ",
                   ReasonPhrase(options.status), "\r\nServer: tern\r\n");
  if (content_length) {
    absl::StrAppend(&common, "Content-Length: ", options.body_bytes, "\r\n");
  }
  for (const auto& [name, value] : options.headers) {
    absl::StrAppend(&common, name, ": ", value, "\r\n");
  }
  const char* const connection[3] = {"", "Connection: keep-alive\r\n",
                                     "Connection: close\r\n"};
  for (uint8_t i = 0; i < 3; ++i) {
    const std::string head = absl::StrCat(common, connection[i], "\r\n");
    responses_[kOkKeepAlive11 + i] = {head, options.body_bytes};
    responses_[kHeadKeepAlive11 + i] = {head, 0};
  }
  const auto error = [](int status) {
    return Prebuilt{absl::StrCat("HTTP/1.1 ", status, " ", ReasonPhrase(status),
                                 "\r\nServer: tern\r\nContent-Length: 0\r\n"
                                 "Connection: close\r\n\r\n"),
                    0};
  };
  responses_[kBadRequest] = error(400);
  responses_[kTooLarge] = error(431);  // RFC 6585 5
  responses_[kNotImplemented] = error(501);
  responses_[kVersionNotSupported] = error(505);
  responses_[kContinue] = {"HTTP/1.1 100 Continue\r\n\r\n", 0};
}

std::string_view HttpService::ResponseHead(bool head_method, bool keep_alive,
                                           uint8_t minor_version) const {
  uint8_t r = !keep_alive          ? kOkClose
              : minor_version == 0 ? kOkKeepAlive10
                                   : kOkKeepAlive11;
  return responses_[head_method ? r + kHeadOffset : r].head;
}

uint64_t HttpService::errors(http::HeadVerdict v) const {
  switch (v) {
    case http::HeadVerdict::kBadRequest:
      return bad_request_.Get();
    case http::HeadVerdict::kTooLarge:
      return too_large_.Get();
    case http::HeadVerdict::kNotImplemented:
      return not_implemented_.Get();
    case http::HeadVerdict::kVersionNotSupported:
      return version_not_supported_.Get();
    case http::HeadVerdict::kIncomplete:
    case http::HeadVerdict::kOk:
      return 0;
  }
  return 0;
}

void HttpService::OnOpen(Conn& conn) { conns_[conn.slot()] = ConnState{}; }

void HttpService::OnRelease(Conn& conn) { conns_[conn.slot()] = ConnState{}; }

void HttpService::OnDrain(Conn& conn) {
  ConnState& s = conns_[conn.slot()];
  s.drain = true;
  if (s.stage == Stage::kIdle) {
    uint8_t probe;
    tcp::IoResult p = conn.Peek(std::span(&probe, 1));
    if (!p.ok() || p.bytes == 0) {
      conn.Close();  // nothing under way
    }
  }
}

void HttpService::OnEvent(Conn& conn, uint32_t mask) {
  if ((mask & kFailed) != 0) {
    return;  // the host releases it
  }
  ConnState& s = conns_[conn.slot()];
  for (;;) {
    switch (s.stage) {
      case Stage::kIdle:
        if (!NextRequest(conn, s, mask)) {
          return;
        }
        break;
      case Stage::kContinue:
        if (!SendResponse(conn, s, kContinue)) {
          return;
        }
        s.stage = s.chunked ? Stage::kChunkSize : Stage::kSkipBody;
        break;
      case Stage::kSkipBody:
        if (!SkipBody(conn, s)) {
          return;
        }
        s.stage = Stage::kRespond;
        break;
      case Stage::kChunkData:
        if (!SkipBody(conn, s)) {
          return;
        }
        s.stage = Stage::kChunkDataEnd;
        break;
      case Stage::kChunkSize:
      case Stage::kChunkDataEnd:
      case Stage::kTrailer:
        if (!ChunkLine(conn, s, mask)) {
          return;
        }
        break;
      case Stage::kRespond:
        if (!SendResponse(conn, s, s.response)) {
          return;
        }
        s.stage = Stage::kIdle;
        if (s.close_after) {
          FinishAndClose(conn);
          return;
        }
        break;
    }
  }
}

bool HttpService::NextRequest(Conn& conn, ConnState& s, uint32_t mask) {
  // One byte past the bound tells a complete head of exactly
  // max_header_bytes from a longer one.
  tcp::IoResult p = conn.Peek(std::span(scratch_).first(
      std::min(scratch_.size(), max_header_bytes_ + 1)));
  if (!p.ok() || p.bytes == 0) {
    if (s.drain || conn.PeerClosed()) {
      conn.Close();  // the client is done, or the engine
    }
    return false;
  }
  const http::RequestHead head = http::ParseRequestHead(
      std::span<const uint8_t>(scratch_.data(), p.bytes), max_header_bytes_);
  Response r = kOkKeepAlive11;
  switch (head.verdict) {
    case http::HeadVerdict::kIncomplete:
      if ((mask & tcp::events::kPeerClosed) != 0) {
        // The FIN came before the end of the head: no request to answer.
        FinishAndClose(conn);
      }
      return false;
    case http::HeadVerdict::kOk:
      break;
    case http::HeadVerdict::kBadRequest:
      bad_request_.Inc();
      r = kBadRequest;
      break;
    case http::HeadVerdict::kTooLarge:
      too_large_.Inc();
      r = kTooLarge;
      break;
    case http::HeadVerdict::kNotImplemented:
      not_implemented_.Inc();
      r = kNotImplemented;
      break;
    case http::HeadVerdict::kVersionNotSupported:
      version_not_supported_.Inc();
      r = kVersionNotSupported;
      break;
  }
  s.sent = 0;
  if (head.verdict != http::HeadVerdict::kOk) {
    Fail(s, r);
    return true;
  }
  requests_.Inc();
  conn.Recv(std::span(scratch_).first(head.length));
  const bool keep_alive = head.keep_alive && !s.drain;
  r = !keep_alive               ? kOkClose
      : head.minor_version == 0 ? kOkKeepAlive10
                                : kOkKeepAlive11;
  if (head.head_method) {
    r = static_cast<Response>(r + kHeadOffset);
  }
  s.response = r;
  s.close_after = !keep_alive;
  s.body_left = head.content_length;
  s.chunked = head.chunked;
  if (head.expect_continue && (head.content_length > 0 || head.chunked)) {
    s.stage = Stage::kContinue;
  } else {
    s.stage = head.chunked ? Stage::kChunkSize : Stage::kSkipBody;
  }
  return true;
}

void HttpService::Fail(ConnState& s, Response r) {
  // The input after an error cannot be framed: answer, drop, close.
  s.response = r;
  s.sent = 0;
  s.close_after = true;
  s.stage = Stage::kRespond;
}

bool HttpService::ChunkLine(Conn& conn, ConnState& s, uint32_t mask) {
  const tcp::IoResult p = conn.Peek(std::span(scratch_).first(
      std::min(scratch_.size(), http::kMaxChunkLine)));
  const http::ChunkLineKind kind =
      s.stage == Stage::kChunkSize      ? http::ChunkLineKind::kSize
      : s.stage == Stage::kChunkDataEnd ? http::ChunkLineKind::kDataEnd
                                        : http::ChunkLineKind::kTrailer;
  const http::ChunkLine line = http::ParseChunkLine(
      std::span<const uint8_t>(scratch_.data(), p.ok() ? p.bytes : 0), kind);
  switch (line.verdict) {
    case http::HeadVerdict::kIncomplete:
      if ((mask & tcp::events::kPeerClosed) != 0) {
        FinishAndClose(conn);  // the FIN came inside the content
      }
      return false;
    case http::HeadVerdict::kOk:
      break;
    case http::HeadVerdict::kBadRequest:
    case http::HeadVerdict::kTooLarge:
    case http::HeadVerdict::kNotImplemented:
    case http::HeadVerdict::kVersionNotSupported:
      bad_request_.Inc();
      Fail(s, kBadRequest);
      return true;
  }
  conn.Recv(std::span(scratch_).first(line.length));
  switch (kind) {
    case http::ChunkLineKind::kSize:
      s.body_left = line.size;
      s.stage = line.size == 0 ? Stage::kTrailer : Stage::kChunkData;
      break;
    case http::ChunkLineKind::kDataEnd:
      s.stage = Stage::kChunkSize;
      break;
    case http::ChunkLineKind::kTrailer:
      if (line.last) {
        s.stage = Stage::kRespond;
      }
      break;
  }
  return true;
}

bool HttpService::SendResponse(Conn& conn, ConnState& s, Response r) {
  const Prebuilt& resp = responses_[r];
  const uint64_t head = resp.head.size();
  const uint64_t total = head + resp.body_bytes;
  while (s.sent < total) {
    if (s.sent == head && resp.body_bytes > 0 && pinned_body_ != nullptr &&
        pinned_body_->bytes().size() == resp.body_bytes) {
      // The whole body by reference, or nothing: on refusal (no room for
      // all of it) the reference is ours to give back and the copy path
      // below sends what fits, as without pinning, so a partly full send
      // buffer never waits for room it may not get.
      const tcp::PayloadRef ref = pinned_body_->Ref();
      const tcp::IoResult w = conn.SendRef(ref);
      if (w.ok()) {
        s.sent = total;
        break;
      }
      ref.owner->Release(ref.token);
    }
    std::span<const uint8_t> piece =
        s.sent < head
            ? std::span(
                  reinterpret_cast<const uint8_t*>(resp.head.data()) + s.sent,
                  head - s.sent)
            : PatternAt(s.sent - head, total - s.sent);
    tcp::IoResult w = conn.Send(piece);
    if (!w.ok() || w.bytes == 0) {
      return false;  // kWritable brings us back
    }
    s.sent += w.bytes;
    if (w.bytes < piece.size()) {
      return false;
    }
  }
  s.sent = 0;
  return true;
}

bool HttpService::SkipBody(Conn& conn, ConnState& s) {
  while (s.body_left > 0) {
    tcp::IoResult r = conn.Recv(std::span(scratch_).first(
        static_cast<size_t>(std::min<uint64_t>(s.body_left, scratch_.size()))));
    if (!r.ok()) {
      return false;  // more to come
    }
    if (r.bytes == 0) {
      conn.Close();  // the FIN came before the whole content
      return false;
    }
    s.body_left -= r.bytes;
  }
  return true;
}

void HttpService::FinishAndClose(Conn& conn) {
  for (;;) {
    tcp::IoResult r = conn.Recv(scratch_);
    if (!r.ok() || r.bytes == 0) {
      break;
    }
  }
  conn.Close();
}

}  // namespace tern::app
