#include "app/services/http_parser.h"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace tern::app::http {
namespace {

// RFC 9110 5.5: field-content is VCHAR, obs-text, SP and HTAB; everything
// else (CTLs: NUL, a bare CR, DEL) makes the field invalid.
bool IsFieldByte(uint8_t c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

// RFC 9112 3.2: the request-target is a URI form, printable US-ASCII with no
// whitespace.
bool IsTargetByte(uint8_t c) { return c > 0x20 && c < 0x7f; }

bool IsOws(uint8_t c) { return c == ' ' || c == '\t'; }

uint8_t Lower(uint8_t c) {
  return c >= 'A' && c <= 'Z' ? static_cast<uint8_t>(c - 'A' + 'a') : c;
}

// Case-insensitive equality with a lower-case literal.
bool EqualsLower(std::span<const uint8_t> s, std::string_view lower) {
  if (s.size() != lower.size()) {
    return false;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    if (Lower(s[i]) != static_cast<uint8_t>(lower[i])) {
      return false;
    }
  }
  return true;
}

std::span<const uint8_t> TrimOws(std::span<const uint8_t> s) {
  while (!s.empty() && IsOws(s.front())) {
    s = s.subspan(1);
  }
  while (!s.empty() && IsOws(s.back())) {
    s = s.first(s.size() - 1);
  }
  return s;
}

// Content-Length digits beyond 18 could overflow 64 bits; no request
// content is that large (10^18 bytes).
constexpr size_t kMaxContentLengthDigits = 18;

struct Fields {
  int host = 0;
  bool content_length_seen = false;
  uint64_t content_length = 0;
  bool transfer_encoding = false;
  // The codings listed in Transfer-Encoding fields, in order (RFC 9112 6.1):
  // whether "chunked" came last, and whether any other coding came.
  bool chunked_last = false;
  bool other_coding = false;
  bool close = false;
  bool keep_alive = false;
  bool expect_continue = false;
};

// RFC 9112 3: request-line = method SP request-target SP HTTP-version, each
// separated by exactly one SP (the strict form; RFC 9112 3 only allows the
// lenient one).
HeadVerdict ParseRequestLine(std::span<const uint8_t> line, RequestHead* out) {
  size_t i = 0;
  while (i < line.size() && IsTokenChar(line[i])) {
    ++i;
  }
  if (i == 0 || i >= line.size() || line[i] != ' ') {
    return HeadVerdict::kBadRequest;
  }
  const std::span<const uint8_t> method = line.first(i);
  size_t t = ++i;
  while (i < line.size() && IsTargetByte(line[i])) {
    ++i;
  }
  if (i == t || i >= line.size() || line[i] != ' ') {
    return HeadVerdict::kBadRequest;
  }
  // RFC 9112 2.3: HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive.
  const std::span<const uint8_t> version = line.subspan(i + 1);
  if (version.size() != 8 || std::memcmp(version.data(), "HTTP/", 5) != 0 ||
      version[5] < '0' || version[5] > '9' || version[6] != '.' ||
      version[7] < '0' || version[7] > '9') {
    return HeadVerdict::kBadRequest;
  }
  if (version[5] != '1') {
    return HeadVerdict::kVersionNotSupported;
  }
  out->minor_version = static_cast<uint8_t>(version[7] - '0');
  // RFC 9110 9.1: method names are case-sensitive.
  out->head_method =
      method.size() == 4 && std::memcmp(method.data(), "HEAD", 4) == 0;
  return HeadVerdict::kOk;
}

// Calls `each` with every element of a comma-separated list, OWS trimmed
// (RFC 9110 5.6.1); empty elements are skipped.
template <typename F>
void ForEachListElement(std::span<const uint8_t> value, F each) {
  while (!value.empty()) {
    size_t comma = 0;
    while (comma < value.size() && value[comma] != ',') {
      ++comma;
    }
    std::span<const uint8_t> element = TrimOws(value.first(comma));
    if (!element.empty()) {
      each(element);
    }
    value = value.subspan(comma == value.size() ? comma : comma + 1);
  }
}

// Adds the connection options (RFC 9110 7.6.1).
void ParseConnection(std::span<const uint8_t> value, Fields* f) {
  ForEachListElement(value, [f](std::span<const uint8_t> option) {
    if (EqualsLower(option, "close")) {
      f->close = true;
    } else if (EqualsLower(option, "keep-alive")) {
      f->keep_alive = true;
    }
  });
}

// Adds transfer codings (RFC 9112 6.1); a coding's parameters make it
// another coding than plain "chunked".
void ParseCodings(std::span<const uint8_t> value, Fields* f) {
  ForEachListElement(value, [f](std::span<const uint8_t> coding) {
    if (f->chunked_last) {
      f->other_coding = true;  // something after chunked
    }
    f->chunked_last = EqualsLower(coding, "chunked");
    if (!f->chunked_last) {
      f->other_coding = true;
    }
  });
}

// RFC 9112 5: field-line = field-name ":" OWS field-value OWS.
HeadVerdict ParseFieldLine(std::span<const uint8_t> line, Fields* f) {
  size_t colon = 0;
  while (colon < line.size() && IsTokenChar(line[colon])) {
    ++colon;
  }
  // An empty name, whitespace before the colon (RFC 9112 5.1: MUST 400) and
  // obs-fold, a line starting with whitespace (RFC 9112 5.2: 400 allowed),
  // all end here.
  if (colon == 0 || colon >= line.size() || line[colon] != ':') {
    return HeadVerdict::kBadRequest;
  }
  const std::span<const uint8_t> name = line.first(colon);
  const std::span<const uint8_t> raw = line.subspan(colon + 1);
  for (uint8_t c : raw) {
    if (!IsFieldByte(c)) {
      return HeadVerdict::kBadRequest;
    }
  }
  const std::span<const uint8_t> value = TrimOws(raw);
  if (EqualsLower(name, "host")) {
    ++f->host;
  } else if (EqualsLower(name, "content-length")) {
    // RFC 9112 6.3 (5): an invalid Content-Length is unrecoverable framing.
    if (value.empty() || value.size() > kMaxContentLengthDigits) {
      return HeadVerdict::kBadRequest;
    }
    uint64_t n = 0;
    for (uint8_t c : value) {
      if (c < '0' || c > '9') {
        return HeadVerdict::kBadRequest;
      }
      n = n * 10 + (c - '0');
    }
    if (f->content_length_seen && f->content_length != n) {
      return HeadVerdict::kBadRequest;
    }
    f->content_length_seen = true;
    f->content_length = n;
  } else if (EqualsLower(name, "transfer-encoding")) {
    f->transfer_encoding = true;
    ParseCodings(value, f);
  } else if (EqualsLower(name, "connection")) {
    ParseConnection(value, f);
  } else if (EqualsLower(name, "expect")) {
    f->expect_continue = EqualsLower(value, "100-continue");
  }
  return HeadVerdict::kOk;
}

}  // namespace

// RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
// "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.
bool IsTokenChar(uint8_t c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
      (c >= 'A' && c <= 'Z')) {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
         std::string_view::npos;
}

const char* ToString(HeadVerdict v) {
  switch (v) {
    case HeadVerdict::kIncomplete:
      return "incomplete";
    case HeadVerdict::kOk:
      return "ok";
    case HeadVerdict::kBadRequest:
      return "bad_request";
    case HeadVerdict::kTooLarge:
      return "too_large";
    case HeadVerdict::kNotImplemented:
      return "not_implemented";
    case HeadVerdict::kVersionNotSupported:
      return "version_not_supported";
  }
  return "?";
}

RequestHead ParseRequestHead(std::span<const uint8_t> bytes,
                             size_t max_head_bytes) {
  RequestHead out;
  const std::span<const uint8_t> window =
      bytes.first(std::min(bytes.size(), max_head_bytes));
  const auto fail = [&](HeadVerdict v) {
    out.verdict = v;
    return out;
  };
  size_t pos = 0;
  bool have_request_line = false;
  Fields fields;
  for (;;) {
    const void* nl =
        pos < window.size()
            ? std::memchr(window.data() + pos, '\n', window.size() - pos)
            : nullptr;
    if (nl == nullptr) {
      // Any end of the head would lie beyond the bound.
      return fail(bytes.size() >= max_head_bytes ? HeadVerdict::kTooLarge
                                                 : HeadVerdict::kIncomplete);
    }
    const size_t end =
        static_cast<size_t>(static_cast<const uint8_t*>(nl) - window.data());
    // RFC 9112 2.2: a recipient MAY take a bare LF as a line terminator and
    // ignore a CR before it.
    std::span<const uint8_t> line = window.subspan(pos, end - pos);
    if (!line.empty() && line.back() == '\r') {
      line = line.first(line.size() - 1);
    }
    pos = end + 1;
    if (!have_request_line) {
      if (line.empty()) {
        // RFC 9112 2.2: SHOULD ignore empty lines before the request line.
        continue;
      }
      if (HeadVerdict v = ParseRequestLine(line, &out); v != HeadVerdict::kOk) {
        return fail(v);
      }
      have_request_line = true;
      continue;
    }
    if (line.empty()) {
      break;  // the end of the header section
    }
    if (HeadVerdict v = ParseFieldLine(line, &fields); v != HeadVerdict::kOk) {
      return fail(v);
    }
  }
  const bool http11 = out.minor_version >= 1;
  if (fields.transfer_encoding) {
    // RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 request is faulty
    // framing. RFC 9112 6.3 (3): with Content-Length too, rejected here.
    // RFC 9112 6.3 (4): MUST 400 when chunked is not the final coding.
    if (!http11 || fields.content_length_seen || !fields.chunked_last) {
      return fail(HeadVerdict::kBadRequest);
    }
    if (fields.other_coding) {
      return fail(HeadVerdict::kNotImplemented);  // RFC 9112 6.1
    }
    out.chunked = true;
  }
  // RFC 9112 3.2: MUST 400 an HTTP/1.1 request without Host, and any
  // request with more than one.
  if (fields.host > 1 || (http11 && fields.host == 0)) {
    return fail(HeadVerdict::kBadRequest);
  }
  out.verdict = HeadVerdict::kOk;
  out.length = pos;
  // RFC 9112 9.3: "close" ends it; HTTP/1.1 persists by default, HTTP/1.0
  // only with "keep-alive" (RFC 9112 C.2.2).
  out.keep_alive = !fields.close && (http11 || fields.keep_alive);
  out.expect_continue = http11 && fields.expect_continue;
  out.content_length = fields.content_length;
  return out;
}

namespace {

bool IsHexDigit(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

uint8_t HexValue(uint8_t c) {
  return c <= '9' ? c - '0' : static_cast<uint8_t>(Lower(c) - 'a' + 10);
}

// 15 hex digits (60 bits) cannot overflow 64 bits; no chunk is larger.
constexpr size_t kMaxChunkSizeDigits = 15;

}  // namespace

ChunkLine ParseChunkLine(std::span<const uint8_t> bytes, ChunkLineKind kind) {
  ChunkLine out;
  const std::span<const uint8_t> window =
      bytes.first(std::min(bytes.size(), kMaxChunkLine));
  const void* nl = window.empty()
                       ? nullptr
                       : std::memchr(window.data(), '\n', window.size());
  if (nl == nullptr) {
    if (bytes.size() >= kMaxChunkLine) {
      out.verdict = HeadVerdict::kTooLarge;
    } else if (kind == ChunkLineKind::kDataEnd && !bytes.empty() &&
               (bytes[0] != '\r' || bytes.size() > 1)) {
      out.verdict = HeadVerdict::kBadRequest;  // data longer than its size
    }
    return out;
  }
  out.length =
      static_cast<size_t>(static_cast<const uint8_t*>(nl) - window.data()) + 1;
  // RFC 9112 2.2: a bare LF ends a line, a CR before it is dropped.
  std::span<const uint8_t> line = window.first(out.length - 1);
  if (!line.empty() && line.back() == '\r') {
    line = line.first(line.size() - 1);
  }
  out.verdict = HeadVerdict::kBadRequest;
  switch (kind) {
    case ChunkLineKind::kSize: {
      // chunk-size = 1*HEXDIG, then BWS ";" chunk-ext (RFC 9112 7.1.1),
      // whose contents are ignored but must be field bytes.
      size_t i = 0;
      while (i < line.size() && IsHexDigit(line[i])) {
        if (i == kMaxChunkSizeDigits) {
          return out;
        }
        out.size = out.size * 16 + HexValue(line[i]);
        ++i;
      }
      if (i == 0) {
        return out;
      }
      const std::span<const uint8_t> rest = TrimOws(line.subspan(i));
      if (!rest.empty() && rest.front() != ';') {
        return out;
      }
      for (uint8_t c : rest) {
        if (!IsFieldByte(c)) {
          return out;
        }
      }
      break;
    }
    case ChunkLineKind::kDataEnd:
      if (!line.empty()) {
        return out;
      }
      break;
    case ChunkLineKind::kTrailer:
      if (line.empty()) {
        out.last = true;
      } else {
        Fields ignored;
        if (ParseFieldLine(line, &ignored) != HeadVerdict::kOk) {
          return out;
        }
      }
      break;
  }
  out.verdict = HeadVerdict::kOk;
  return out;
}

}  // namespace tern::app::http
