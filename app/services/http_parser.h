// The HTTP/1.1 request head (request line and header section) and the
// chunked framing of request content, as the http service needs them: RFC
// 9112 sections 2 (message format), 3 (request line), 5 (field syntax), 6
// (message body length), 7.1 (chunked), 9.3 (persistence) and RFC 9110 5.6
// (tokens, lists), 7.2 (Host), 10.1.1 (Expect).
//
// Contract: ParseRequestHead and ParseChunkLine are pure functions of the
// bytes at the start of a connection's receive stream; they read at most
// their bound of them, never allocate and never fail other than by their
// verdict. They are called again from the start when more bytes arrive (the
// caller keeps no copy). Request content is framed by Content-Length or by
// the chunked transfer coding (RFC 9112 6.3, 7.1).
// Deviations, all towards refusing: a Content-Length list ("5, 5") is 400
// (RFC 9112 6.3 lets a recipient accept it); Transfer-Encoding together with
// Content-Length is 400 (RFC 9112 6.3 (3) allows rejecting it, which rules
// out request smuggling); a transfer coding other than "chunked" alone is
// 501 (RFC 9112 6.1); an over-long request line is 431 like the rest of the
// head, not 414.
#ifndef TERN_APP_SERVICES_HTTP_PARSER_H_
#define TERN_APP_SERVICES_HTTP_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <span>

namespace tern::app::http {

enum class HeadVerdict : uint8_t {
  kIncomplete,           // no syntax error so far, the end not seen yet
  kOk,                   // a complete, valid head of `length` bytes
  kBadRequest,           // 400: syntax (RFC 9112 2.2, 3, 5) or framing
  kTooLarge,             // 431: the head exceeds max_head_bytes
  kNotImplemented,       // 501: a transfer coding other than chunked
  kVersionNotSupported,  // 505: major version other than 1 (RFC 9110 6.2)
};

const char* ToString(HeadVerdict v);

// RFC 9110 5.6.2: tchar, the characters of a token (methods, field names).
bool IsTokenChar(uint8_t c);

struct RequestHead {
  HeadVerdict verdict = HeadVerdict::kIncomplete;
  // kOk: bytes of the head, from the first byte (empty lines before the
  // request line included, RFC 9112 2.2) to the empty line that ends it.
  size_t length = 0;
  bool head_method = false;   // HEAD: the response carries no content
  uint8_t minor_version = 0;  // HTTP/1.x; > 1 is answered as 1.1
  // RFC 9112 9.3: the connection persists after the response.
  bool keep_alive = false;
  // Expect: 100-continue on an HTTP/1.1 request (RFC 9110 10.1.1).
  bool expect_continue = false;
  uint64_t content_length = 0;  // the request content to skip
  bool chunked = false;         // the content is chunked (RFC 9112 7.1)
};

// Parses the head at the start of `bytes`. A verdict other than kIncomplete
// is final: more bytes do not change it.
RequestHead ParseRequestHead(std::span<const uint8_t> bytes,
                             size_t max_head_bytes);

// One line of a chunked body (RFC 9112 7.1): a chunk-size line (size in hex,
// optional extensions, ignored), the line ending a chunk's data, or a line
// of the trailer section (ignored). Lines end in CRLF or a bare LF.
enum class ChunkLineKind : uint8_t {
  kSize,     // chunk-size [ chunk-ext ] CRLF
  kDataEnd,  // the CRLF after chunk-data
  kTrailer,  // field-line CRLF, or the empty line that ends the body
};
struct ChunkLine {
  HeadVerdict verdict = HeadVerdict::kIncomplete;  // kOk, kBadRequest,
                                                   // kTooLarge or incomplete
  size_t length = 0;  // kOk: bytes of the line, its end included
  uint64_t size = 0;  // kSize: bytes of chunk-data that follow
  bool last = false;  // kTrailer: the empty line, the end of the body
};
// The bound on one such line: chunk extensions are rare and short, 4 KiB
// leaves room for any real one while bounding the peek.
inline constexpr size_t kMaxChunkLine = 4096;
ChunkLine ParseChunkLine(std::span<const uint8_t> bytes, ChunkLineKind kind);

}  // namespace tern::app::http

#endif  // TERN_APP_SERVICES_HTTP_PARSER_H_
