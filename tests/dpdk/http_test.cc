// The http service on bytes: the request-head parser (app/services/
// http_parser.h) verdict by verdict, then HttpService driven through a
// FakeConn: every status path, persistence rules for HTTP/1.0 and 1.1,
// pipelining, byte-by-byte arrival, request content skipping, responses
// larger than the send buffer, drain, and random input.
#include "app/services/http.h"

#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "app/services/http_parser.h"
#include "app/services/pattern.h"
#include "app/services/registry.h"
#include "gtest/gtest.h"
#include "tests/dpdk/fake_conn.h"

namespace tern::app {
namespace {

using http::HeadVerdict;
using http::ParseRequestHead;
using http::RequestHead;
using testing::FakeConn;

RequestHead Parse(std::string_view s, size_t max = 8192) {
  return ParseRequestHead(
      std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()), max);
}

TEST(HttpParser, Get11_Ok_KeepAlive) {
  const std::string req = "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n";
  RequestHead h = Parse(req + "GET");
  EXPECT_EQ(h.verdict, HeadVerdict::kOk);
  EXPECT_EQ(h.length, req.size());
  EXPECT_TRUE(h.keep_alive);
  EXPECT_FALSE(h.head_method);
  EXPECT_EQ(h.minor_version, 1);
  EXPECT_EQ(h.content_length, 0u);
}

TEST(HttpParser, PersistenceRules) {
  EXPECT_FALSE(Parse("GET / HTTP/1.0\r\n\r\n").keep_alive);
  EXPECT_TRUE(
      Parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                   .keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: "
                     "keep-alive, CLOSE\r\n\r\n")
                   .keep_alive);
  EXPECT_FALSE(
      Parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close"
            "\r\n\r\n")
          .keep_alive);
  // HTTP/1.2 is answered as 1.1 (RFC 9110 6.2).
  RequestHead h = Parse("GET / HTTP/1.2\r\nHost: a\r\n\r\n");
  EXPECT_EQ(h.verdict, HeadVerdict::kOk);
  EXPECT_TRUE(h.keep_alive);
}

TEST(HttpParser, HeadMethodIsCaseSensitive) {
  EXPECT_TRUE(Parse("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n").head_method);
  RequestHead h = Parse("head / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(h.verdict, HeadVerdict::kOk);  // an unknown but valid method
  EXPECT_FALSE(h.head_method);
}

TEST(HttpParser, LeadingEmptyLinesAndBareLf) {
  const std::string req = "\r\n\nGET / HTTP/1.1\nHost: a\n\n";
  RequestHead h = Parse(req);
  EXPECT_EQ(h.verdict, HeadVerdict::kOk);
  EXPECT_EQ(h.length, req.size());
}

TEST(HttpParser, IncompleteAtEveryPrefix) {
  const std::string req =
      "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n";
  for (size_t n = 0; n < req.size(); ++n) {
    EXPECT_EQ(Parse(req.substr(0, n)).verdict, HeadVerdict::kIncomplete) << n;
  }
  RequestHead h = Parse(req);
  EXPECT_EQ(h.verdict, HeadVerdict::kOk);
  EXPECT_EQ(h.content_length, 5u);
}

TEST(HttpParser, ContentLengthRules) {
  EXPECT_EQ(Parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n"
                  "content-length: 7\r\n\r\n")
                .content_length,
            7u);
  for (const char* bad :
       {"Content-Length: 7\r\nContent-Length: 8\r\n",
        "Content-Length: 7, 7\r\n", "Content-Length: -1\r\n",
        "Content-Length: \r\n", "Content-Length: 1234567890123456789\r\n",
        "Content-Length: 0x10\r\n"}) {
    EXPECT_EQ(
        Parse(std::string("POST / HTTP/1.1\r\nHost: a\r\n") + bad + "\r\n")
            .verdict,
        HeadVerdict::kBadRequest)
        << bad;
  }
}

TEST(HttpParser, BadRequests) {
  for (const char* bad : {
           "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",            // two spaces
           "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",            // trailing space
           "GET /\r\n\r\n",                                 // HTTP/0.9 form
           "GET / HTTP/1\r\nHost: a\r\n\r\n",               // short version
           "GET / http/1.1\r\nHost: a\r\n\r\n",             // version case
           "G@T / HTTP/1.1\r\nHost: a\r\n\r\n",             // not a token
           "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n",        // CTL in target
           "GET / HTTP/1.1\rHost: a\r\n\r\n",               // bare CR
           "GET / HTTP/1.1\r\n\r\n",                        // 1.1 without Host
           "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",  // two Hosts
           "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n",
           "GET / HTTP/1.1\r\nHost : a\r\n\r\n",            // space before ':'
           "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",  // obs-fold
           "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n",  // DEL
           "GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
       }) {
    EXPECT_EQ(Parse(bad).verdict, HeadVerdict::kBadRequest) << bad;
  }
  // The NUL case, which a C string cannot hold.
  constexpr char kNul[] = "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n";
  const std::string nul(kNul, sizeof(kNul) - 1);
  EXPECT_EQ(Parse(nul).verdict, HeadVerdict::kBadRequest);
}

TEST(HttpParser, BadRequestLineIsFinalBeforeTheHeadEnds) {
  EXPECT_EQ(Parse("GET  / HTTP/1.1\r\nHost: a\r\n").verdict,
            HeadVerdict::kBadRequest);
}

TEST(HttpParser, TransferEncodingRules) {
  const std::string start = "POST / HTTP/1.1\r\nHost: a\r\n";
  RequestHead h = Parse(start + "Transfer-Encoding: Chunked\r\n\r\n");
  EXPECT_EQ(h.verdict, HeadVerdict::kOk);
  EXPECT_TRUE(h.chunked);
  // Other codings are not understood (RFC 9112 6.1: 501).
  EXPECT_EQ(Parse(start + "Transfer-Encoding: gzip, chunked\r\n\r\n").verdict,
            HeadVerdict::kNotImplemented);
  EXPECT_EQ(Parse(start + "Transfer-Encoding: gzip\r\nTransfer-Encoding: "
                          "chunked\r\n\r\n")
                .verdict,
            HeadVerdict::kNotImplemented);
  // Chunked not final (RFC 9112 6.3 (4)) and chunked with Content-Length
  // (6.3 (3)) are 400.
  for (const char* bad :
       {"Transfer-Encoding: chunked, gzip\r\n", "Transfer-Encoding: gzip\r\n",
        "Transfer-Encoding: chunked;q=1\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
        "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"}) {
    EXPECT_EQ(Parse(start + bad + "\r\n").verdict, HeadVerdict::kBadRequest)
        << bad;
  }
}

http::ChunkLine Chunk(std::string_view s, http::ChunkLineKind kind) {
  return http::ParseChunkLine(
      std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()), kind);
}

TEST(HttpParser, ChunkLines) {
  using http::ChunkLineKind;
  http::ChunkLine l = Chunk("1a\r\nxyz", ChunkLineKind::kSize);
  EXPECT_EQ(l.verdict, HeadVerdict::kOk);
  EXPECT_EQ(l.size, 26u);
  EXPECT_EQ(l.length, 4u);
  l = Chunk("0;name=value;x\n", ChunkLineKind::kSize);
  EXPECT_EQ(l.verdict, HeadVerdict::kOk);
  EXPECT_EQ(l.size, 0u);
  EXPECT_EQ(Chunk("FfFf ; e\r\n", ChunkLineKind::kSize).size, 0xffffu);
  EXPECT_EQ(Chunk("1a", ChunkLineKind::kSize).verdict,
            HeadVerdict::kIncomplete);
  for (const char* bad : {"\r\n", "g\r\n", "-1\r\n", "1 2\r\n", "1x\r\n",
                          "1;\x01\r\n", "1000000000000000\r\n"}) {
    EXPECT_EQ(Chunk(bad, ChunkLineKind::kSize).verdict,
              HeadVerdict::kBadRequest)
        << bad;
  }
  EXPECT_EQ(Chunk("fffffffffffffff\r\n", ChunkLineKind::kSize).size,
            0xfffffffffffffffu);
  EXPECT_EQ(Chunk(std::string(http::kMaxChunkLine, '1'), ChunkLineKind::kSize)
                .verdict,
            HeadVerdict::kTooLarge);

  EXPECT_EQ(Chunk("\r\n", ChunkLineKind::kDataEnd).verdict, HeadVerdict::kOk);
  EXPECT_EQ(Chunk("\n", ChunkLineKind::kDataEnd).length, 1u);
  EXPECT_EQ(Chunk("\r", ChunkLineKind::kDataEnd).verdict,
            HeadVerdict::kIncomplete);
  EXPECT_EQ(Chunk("x", ChunkLineKind::kDataEnd).verdict,
            HeadVerdict::kBadRequest);
  EXPECT_EQ(Chunk("\rx", ChunkLineKind::kDataEnd).verdict,
            HeadVerdict::kBadRequest);

  l = Chunk("Checksum: abc\r\n\r\n", ChunkLineKind::kTrailer);
  EXPECT_EQ(l.verdict, HeadVerdict::kOk);
  EXPECT_FALSE(l.last);
  EXPECT_EQ(l.length, 15u);
  l = Chunk("\r\n", ChunkLineKind::kTrailer);
  EXPECT_EQ(l.verdict, HeadVerdict::kOk);
  EXPECT_TRUE(l.last);
  EXPECT_EQ(Chunk("no colon\r\n", ChunkLineKind::kTrailer).verdict,
            HeadVerdict::kBadRequest);
}

TEST(HttpParser, OtherMajorVersion_NotSupported) {
  EXPECT_EQ(Parse("GET / HTTP/2.0\r\n\r\n").verdict,
            HeadVerdict::kVersionNotSupported);
  EXPECT_EQ(Parse("GET / HTTP/0.9\r\n\r\n").verdict,
            HeadVerdict::kVersionNotSupported);
}

TEST(HttpParser, HeadSizeBound) {
  const std::string start = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
  const std::string end = "\r\n\r\n";
  // A head of exactly the bound passes; one byte more is too large.
  const size_t max = 256;
  std::string exact =
      start + std::string(max - start.size() - end.size(), 'v') + end;
  ASSERT_EQ(exact.size(), max);
  EXPECT_EQ(Parse(exact, max).verdict, HeadVerdict::kOk);
  std::string over =
      start + std::string(max - start.size() - end.size() + 1, 'v') + end;
  EXPECT_EQ(Parse(over, max).verdict, HeadVerdict::kTooLarge);
  // Without its end, a head is too large as soon as the bound is reached.
  EXPECT_EQ(Parse(std::string(max - 1, 'G'), max).verdict,
            HeadVerdict::kIncomplete);
  EXPECT_EQ(Parse(std::string(max, 'G'), max).verdict, HeadVerdict::kTooLarge);
}

TEST(HttpParser, ExpectContinueOnlyFor11) {
  EXPECT_TRUE(Parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n"
                    "Content-Length: 1\r\n\r\n")
                  .expect_continue);
  EXPECT_FALSE(Parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\n"
                     "Content-Length: 1\r\n\r\n")
                   .expect_continue);
}

// ---- HttpService on a FakeConn.

std::string Body(uint64_t n) {
  std::string s;
  for (uint64_t i = 0; i < n; ++i) {
    s.push_back(static_cast<char>(PatternByte(i)));
  }
  return s;
}

class HttpServiceTest : public ::testing::Test {
 protected:
  void Make(HttpOptions options = {}) {
    absl::StatusOr<std::unique_ptr<Service>> s =
        HttpService::Create(options, 4);
    ASSERT_TRUE(s.ok()) << s.status();
    service_ = std::move(*s);
    http_ = static_cast<HttpService*>(service_.get());
    service_->OnOpen(conn_);
  }
  void SetUp() override { Make(); }

  // Delivers `bytes` (and the FIN when `fin`) and one event.
  void Feed(std::string_view bytes, bool fin = false) {
    conn_.in.append(bytes);
    conn_.fin = conn_.fin || fin;
    service_->OnEvent(conn_, conn_.Mask());
  }

  std::string Ok(bool head, bool keep_alive, uint8_t minor,
                 uint64_t body = 1024) {
    return std::string(http_->ResponseHead(head, keep_alive, minor)) +
           (head ? "" : Body(body));
  }

  static std::string Error(int status, std::string_view reason) {
    return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
           "\r\nServer: tern\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  }

  FakeConn conn_;
  std::unique_ptr<Service> service_;
  HttpService* http_ = nullptr;
};

TEST_F(HttpServiceTest, Get_200WithBody_KeepsConnection) {
  Feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(conn_.out,
            "HTTP/1.1 200 OK\r\nServer: tern\r\nContent-Length: "
            "1024\r\n\r\n" +
                Body(1024));
  EXPECT_FALSE(conn_.gone());
  EXPECT_EQ(http_->requests(), 1u);
}

TEST_F(HttpServiceTest, Head_HeadersOnly) {
  Feed("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(conn_.out,
            "HTTP/1.1 200 OK\r\nServer: tern\r\nContent-Length: "
            "1024\r\n\r\n");
  EXPECT_FALSE(conn_.gone());
}

TEST_F(HttpServiceTest, Http10_ClosesAfterResponse) {
  Feed("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(conn_.out, Ok(false, false, 0));
  EXPECT_NE(conn_.out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(conn_.closed);
  EXPECT_FALSE(conn_.closed_with_unread);
}

TEST_F(HttpServiceTest, Http10KeepAlive_AnswersKeepAlive_Persists) {
  Feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(conn_.out, Ok(false, true, 0));
  EXPECT_NE(conn_.out.find("Connection: keep-alive\r\n"), std::string::npos);
  EXPECT_FALSE(conn_.gone());
  conn_.out.clear();
  Feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(conn_.out, Ok(false, true, 0));
}

TEST_F(HttpServiceTest, ConnectionClose_Honoured) {
  Feed(
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
      "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(conn_.out, Ok(false, false, 1));
  EXPECT_TRUE(conn_.closed);
  EXPECT_FALSE(conn_.closed_with_unread);  // the rest was read and dropped
}

TEST_F(HttpServiceTest, Pipelined_AnsweredInOrder) {
  Feed(
      "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
      "HEAD /2 HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET /3 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
      "GET /4 HTTP/1.1\r\nHost: a\r\n\r");
  EXPECT_EQ(conn_.out,
            Ok(false, true, 1) + Ok(true, true, 1) + Ok(false, true, 0));
  EXPECT_EQ(conn_.in, "GET /4 HTTP/1.1\r\nHost: a\r\n\r");
  Feed("\n");
  EXPECT_EQ(conn_.out, Ok(false, true, 1) + Ok(true, true, 1) +
                           Ok(false, true, 0) + Ok(false, true, 1));
  EXPECT_EQ(http_->requests(), 4u);
}

TEST_F(HttpServiceTest, ByteByByte_SameAsWhole) {
  const std::string reqs =
      "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz"
      "GET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  for (char c : reqs) {
    ASSERT_FALSE(conn_.gone());
    Feed(std::string_view(&c, 1));
  }
  EXPECT_EQ(conn_.out, Ok(false, true, 1) + Ok(false, false, 1));
  EXPECT_TRUE(conn_.closed);
}

TEST_F(HttpServiceTest, RequestBody_SkippedAcrossReads) {
  Feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n01234");
  EXPECT_EQ(conn_.out, "");  // the response follows the whole request
  Feed("56789GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(conn_.out, Ok(false, true, 1) + Ok(false, true, 1));
  EXPECT_TRUE(conn_.in.empty());
}

TEST_F(HttpServiceTest, ExpectContinue_InterimThenResponse) {
  Feed(
      "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
      "Content-Length: 4\r\n\r\n");
  EXPECT_EQ(conn_.out, "HTTP/1.1 100 Continue\r\n\r\n");
  Feed("abcd");
  EXPECT_EQ(conn_.out, "HTTP/1.1 100 Continue\r\n\r\n" + Ok(false, true, 1));
}

TEST_F(HttpServiceTest, Malformed_400AndClose) {
  Feed("GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\nmore");
  EXPECT_EQ(conn_.out, Error(400, "Bad Request"));
  EXPECT_TRUE(conn_.closed);
  EXPECT_FALSE(conn_.closed_with_unread);
  EXPECT_EQ(http_->errors(HeadVerdict::kBadRequest), 1u);
}

TEST_F(HttpServiceTest, MalformedAfterGoodOne_FirstAnsweredThen400) {
  Feed("GET / HTTP/1.1\r\nHost: a\r\n\r\nGARBAGE\r\n\r\n");
  EXPECT_EQ(conn_.out, Ok(false, true, 1) + Error(400, "Bad Request"));
  EXPECT_TRUE(conn_.closed);
}

TEST_F(HttpServiceTest, HugeHead_431AndClose) {
  Feed("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(9000, 'v'));
  EXPECT_EQ(conn_.out, Error(431, "Request Header Fields Too Large"));
  EXPECT_TRUE(conn_.closed);
  EXPECT_EQ(http_->errors(HeadVerdict::kTooLarge), 1u);
}

TEST_F(HttpServiceTest, ConfiguredBound_431) {
  HttpOptions o;
  o.max_header_bytes = 100;
  Make(o);
  Feed("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(80, 'v') + "\r\n\r\n");
  EXPECT_EQ(conn_.out, Error(431, "Request Header Fields Too Large"));
}

TEST_F(HttpServiceTest, OtherCoding_501AndClose) {
  Feed(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n"
      "\r\n5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(conn_.out, Error(501, "Not Implemented"));
  EXPECT_TRUE(conn_.closed);
  EXPECT_FALSE(conn_.closed_with_unread);
}

constexpr char kChunkedPost[] =
    "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5;ext=1\r\nhello\r\n"
    "1A\r\nabcdefghijklmnopqrstuvwxyz\r\n"
    "0\r\nTrailer-Field: x\r\n\r\n";

TEST_F(HttpServiceTest, Chunked_ContentSkipped_ThenPipelinedGet) {
  Feed(std::string(kChunkedPost) + "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(conn_.out, Ok(false, true, 1) + Ok(false, true, 1));
  EXPECT_TRUE(conn_.in.empty());
  EXPECT_FALSE(conn_.gone());
}

TEST_F(HttpServiceTest, Chunked_ByteByByte) {
  for (char c : std::string(kChunkedPost)) {
    EXPECT_EQ(conn_.out, "");
    Feed(std::string_view(&c, 1));
  }
  EXPECT_EQ(conn_.out, Ok(false, true, 1));
  EXPECT_TRUE(conn_.in.empty());
}

TEST_F(HttpServiceTest, Chunked_ExpectContinue) {
  Feed(
      "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
      "Transfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(conn_.out, "HTTP/1.1 100 Continue\r\n\r\n");
  Feed("0\r\n\r\n");
  EXPECT_EQ(conn_.out, "HTTP/1.1 100 Continue\r\n\r\n" + Ok(false, true, 1));
}

TEST_F(HttpServiceTest, Chunked_BadFraming_400AndClose) {
  for (const char* body :
       {"zz\r\n", "3\r\nabcd\r\n", "3\r\nabc\r\n0\r\nbad\r\n"}) {
    Make();
    Feed(std::string("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
                     "chunked\r\n\r\n") +
         body);
    EXPECT_EQ(conn_.out, Error(400, "Bad Request")) << body;
    EXPECT_TRUE(conn_.closed) << body;
    EXPECT_FALSE(conn_.closed_with_unread) << body;
    conn_ = FakeConn();
  }
}

TEST_F(HttpServiceTest, Chunked_FinInsideContent_Closes) {
  Feed(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "10\r\nabc",
      /*fin=*/true);
  EXPECT_EQ(conn_.out, "");
  EXPECT_TRUE(conn_.closed);
}

TEST_F(HttpServiceTest, Http2_505AndClose) {
  Feed("GET / HTTP/2.0\r\n\r\n");
  EXPECT_EQ(conn_.out, Error(505, "HTTP Version Not Supported"));
  EXPECT_TRUE(conn_.closed);
}

TEST_F(HttpServiceTest, ResponseLargerThanSendBuffer_ContinuesOnWritable) {
  HttpOptions o;
  o.body_bytes = 100000;
  Make(o);
  conn_.room = 1000;
  Feed("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(conn_.out.size(), 1000u);
  int rounds = 0;
  while (conn_.out.size() < 2 * Ok(false, true, 1, 100000).size() &&
         rounds < 1000) {
    conn_.room = 7777;  // the peer acknowledged some
    service_->OnEvent(conn_, tcp::events::kWritable);
    ++rounds;
  }
  EXPECT_EQ(conn_.out, Ok(false, true, 1, 100000) + Ok(false, true, 1, 100000));
  EXPECT_FALSE(conn_.gone());
}

TEST_F(HttpServiceTest, SendBufferFullAtZero_NothingLost) {
  conn_.room = 0;
  Feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(conn_.out, "");
  conn_.room = 1 << 20;
  service_->OnEvent(conn_, conn_.Mask());
  EXPECT_EQ(conn_.out, Ok(false, true, 1));
}

TEST_F(HttpServiceTest, FinAfterRequests_AnswersThenCloses) {
  Feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n", /*fin=*/true);
  EXPECT_EQ(conn_.out, Ok(false, true, 1));
  EXPECT_TRUE(conn_.closed);
}

TEST_F(HttpServiceTest, FinInsideHead_ClosesWithoutAnswer) {
  Feed("GET / HTTP/1.1\r\nHo", /*fin=*/true);
  EXPECT_EQ(conn_.out, "");
  EXPECT_TRUE(conn_.closed);
  EXPECT_FALSE(conn_.closed_with_unread);
}

TEST_F(HttpServiceTest, FinInsideBody_Closes) {
  Feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n12",
       /*fin=*/true);
  EXPECT_EQ(conn_.out, "");
  EXPECT_TRUE(conn_.closed);
}

TEST_F(HttpServiceTest, Drain_IdleClosesAtOnce) {
  service_->OnDrain(conn_);
  EXPECT_TRUE(conn_.closed);
}

TEST_F(HttpServiceTest, Drain_ResponseUnderWayEndsWithClose) {
  HttpOptions o;
  o.body_bytes = 5000;
  Make(o);
  conn_.in = "GET / HTTP/1.1\r\nHost: a\r\n";
  service_->OnEvent(conn_, conn_.Mask());
  service_->OnDrain(conn_);
  EXPECT_FALSE(conn_.closed);  // a request is on its way
  Feed("\r\n");
  EXPECT_EQ(conn_.out, Ok(false, false, 1, 5000));
  EXPECT_TRUE(conn_.closed);
}

TEST_F(HttpServiceTest, ResetEvent_NoCalls) {
  conn_.in = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  service_->OnEvent(conn_, tcp::events::kReset | tcp::events::kClosed);
  EXPECT_EQ(conn_.calls, 0);
}

TEST_F(HttpServiceTest, ConfiguredStatusAndHeaders) {
  HttpOptions o;
  o.status = 404;
  o.body_bytes = 3;
  o.headers = {{"Content-Type", "text/plain"}, {"X-A", "b c"}};
  Make(o);
  Feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(conn_.out,
            "HTTP/1.1 404 Not Found\r\nServer: tern\r\nContent-Length: 3\r\n"
            "Content-Type: text/plain\r\nX-A: b c\r\n\r\nabc");
}

TEST_F(HttpServiceTest, NoContentStatus_NoContentLength) {
  HttpOptions o;
  o.status = 204;
  o.body_bytes = 0;
  Make(o);
  Feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(conn_.out, "HTTP/1.1 204 No Content\r\nServer: tern\r\n\r\n");
}

TEST(HttpOptionsTest, InvalidOptionsRefused) {
  const auto make = [](auto edit) {
    HttpOptions o;
    edit(o);
    return HttpService::Create(o, 4).status().code();
  };
  using absl::StatusCode;
  EXPECT_EQ(make([](HttpOptions& o) { o.status = 101; }),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(make([](HttpOptions& o) { o.status = 600; }),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(make([](HttpOptions& o) { o.status = 204; }),  // body 1024
            StatusCode::kInvalidArgument);
  EXPECT_EQ(make([](HttpOptions& o) { o.max_header_bytes = 10; }),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(make([](HttpOptions& o) {
              o.headers = {{"Bad Name", "x"}};
            }),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(make([](HttpOptions& o) {
              o.headers = {{"X", "a\r\nY: b"}};
            }),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(make([](HttpOptions& o) {
              o.headers = {{"content-length", "1"}};
            }),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(make([](HttpOptions& o) {
              o.headers = {{"Connection", "x"}};
            }),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(make([](HttpOptions&) {}), StatusCode::kOk);
  EXPECT_EQ(HttpService::Create(HttpOptions{}, 0).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(RegistryTest, KnownNamesMakeTheirService_UnknownListsThem) {
  for (std::string_view name : ServiceNames()) {
    absl::StatusOr<std::unique_ptr<Service>> s =
        MakeService(name, ServiceOptions{}, 8);
    ASSERT_TRUE(s.ok()) << name << ": " << s.status();
    EXPECT_EQ((*s)->name(), name);
  }
  absl::StatusOr<std::unique_ptr<Service>> bad =
      MakeService("gopher", ServiceOptions{}, 8);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("gopher"), std::string::npos);
  EXPECT_NE(
      bad.status().message().find("discard, echo, http, sink, source, upper"),
      std::string::npos);
  ServiceOptions o;
  o.http.status = 42;
  EXPECT_EQ(MakeService("http", o, 8).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Random bytes, in random pieces, with a random send room: the service
// never crashes, never calls the connection after closing it, never answers
// with anything but whole responses it knows, and ends every input (the FIN
// comes last) with the connection closed.
TEST(HttpFuzz, RandomInput_NoCrashClosesAtEof) {
  std::mt19937_64 rng(12345);
  const std::string good = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  for (int round = 0; round < 2000; ++round) {
    HttpOptions o;
    o.max_header_bytes = 64 + rng() % 300;
    o.body_bytes = rng() % 3000;
    absl::StatusOr<std::unique_ptr<Service>> s = HttpService::Create(o, 1);
    ASSERT_TRUE(s.ok());
    FakeConn conn;
    (*s)->OnOpen(conn);
    std::string input;
    const int parts = 1 + static_cast<int>(rng() % 6);
    for (int p = 0; p < parts; ++p) {
      switch (rng() % 4) {
        case 0:
          input += rng() % 2 == 0 ? good : std::string(kChunkedPost);
          break;
        case 1: {
          std::string g = rng() % 2 == 0 ? good : std::string(kChunkedPost);
          g[rng() % g.size()] = static_cast<char>(rng());
          input += g;
          break;
        }
        default:
          for (size_t n = rng() % 200; n > 0; --n) {
            const char alphabet[] = "GET /HTP1.\r\n :abcContent-Length0";
            input.push_back(rng() % 4 == 0
                                ? static_cast<char>(rng())
                                : alphabet[rng() % (sizeof(alphabet) - 1)]);
          }
      }
    }
    size_t pos = 0;
    int events = 0;
    while (!conn.gone() && events < 100000) {
      const size_t n = std::min<size_t>(1 + rng() % 64, input.size() - pos);
      conn.in.append(input, pos, n);
      pos += n;
      conn.fin = pos == input.size();
      conn.room = rng() % 2 == 0 ? SIZE_MAX : rng() % 4096;
      (*s)->OnEvent(conn, conn.Mask());
      ++events;
    }
    ASSERT_TRUE(conn.gone()) << "round " << round << " never closed";
    EXPECT_FALSE(conn.aborted);
    (*s)->OnRelease(conn);
  }
}

}  // namespace
}  // namespace tern::app
