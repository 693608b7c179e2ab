// The HTTP/1.1 request head (request line and header section) as the http
// service needs it: RFC 9112 sections 2 (message format), 3 (request line),
// 5 (field syntax), 6 (message body length), 9.3 (persistence) and RFC 9110
// 5.6.2 (tokens), 7.2 (Host), 10.1.1 (Expect).
//
// Contract: ParseRequestHead is a pure function of the bytes at the start of
// a connection's receive stream; it reads at most max_head_bytes of them,
// never allocates and never fails other than by its verdict. It is called
// again from the start when more bytes arrive (the caller keeps no copy).
// Deviations, all towards refusing: a Content-Length list ("5, 5") is 400
// (RFC 9112 6.3 lets a recipient accept it); any Transfer-Encoding in an
// HTTP/1.1 request is 501 (the chunked coding is not parsed, although RFC
// 9112 7.1 asks recipients to; RFC 9112 6.1 allows 501 for codings a server
// does not understand); an over-long request line is 431 like the rest of
// the head, not 414.
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
  kNotImplemented,       // 501: Transfer-Encoding (RFC 9112 6.1)
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
};

// Parses the head at the start of `bytes`. A verdict other than kIncomplete
// is final: more bytes do not change it.
RequestHead ParseRequestHead(std::span<const uint8_t> bytes,
                             size_t max_head_bytes);

}  // namespace tern::app::http

#endif  // TERN_APP_SERVICES_HTTP_PARSER_H_
