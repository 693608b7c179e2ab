// ServiceHost end to end in memory: two tcp::Endpoints over the in-memory
// link (tests/support/link.h); the server side is run by a ServiceHost with
// the shipped services, the client side is driven by the test with Endpoint
// calls. Virtual time; every run is bounded in steps.
#include "app/services/service_host.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/services/discard.h"
#include "app/services/echo.h"
#include "app/services/example_upper.h"
#include "app/services/http.h"
#include "app/services/pattern.h"
#include "app/services/source.h"
#include "gtest/gtest.h"
#include "tests/support/link.h"

namespace tern::app {
namespace {

using tcp::ConnHandle;
using tcp::Endpoint;
using tcp::IoResult;
using tcp::ListenerHandle;
using tcp::SockError;
using tcp::testing::Link;
namespace ev = tcp::events;

// RFC 2544 benchmarking range, as the rest of tern's tests.
constexpr wire::Ipv4Addr kClientAddr =
    wire::Ipv4Addr::FromOctets(198, 18, 0, 2);
constexpr wire::Ipv4Addr kServerAddr =
    wire::Ipv4Addr::FromOctets(198, 18, 0, 1);
constexpr size_t kMaxConnections = 64;

tcp::EndpointConfig Config(bool coalesce) {
  tcp::EndpointConfig c;
  c.max_connections = kMaxConnections;
  c.max_half_open = kMaxConnections;
  c.max_time_wait = kMaxConnections;
  // The server runs as the per-lcore loop will: output leaves at Flush.
  c.coalesce_sends = coalesce;
  return c;
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed;
  for (char& c : s) {
    x = x * 1664525u + 1013904223u;  // Numerical Recipes LCG
    c = static_cast<char>(x >> 24);
  }
  return s;
}

std::string PatternString(uint64_t from, uint64_t n) {
  std::string s;
  s.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    s.push_back(static_cast<char>(PatternByte(from + i)));
  }
  return s;
}

template <typename T>
std::unique_ptr<Service> Must(absl::StatusOr<std::unique_ptr<T>> s) {
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

// A service that records what the host did, per slot, and runs an optional
// action per event.
class Recorder final : public Service {
 public:
  struct Log {
    int opens = 0;
    int events = 0;
    int releases = 0;
    int calls_after_give_back = 0;
    uint32_t first_mask = 0;
    uint32_t all_masks = 0;
    bool gave_back = false;
  };
  std::string_view name() const override { return "recorder"; }
  void OnOpen(Conn& conn) override {
    Log& l = logs[conn.slot()];
    EXPECT_EQ(l.opens, l.releases) << "OnOpen before the last OnRelease";
    ++l.opens;
    l.events = 0;
    l.first_mask = 0;
    l.gave_back = false;
    last_slot = conn.slot();
    if (on_open) {
      on_open(conn, l);
    }
  }
  void OnEvent(Conn& conn, uint32_t mask) override {
    Log& l = logs[conn.slot()];
    if (l.gave_back) {
      ++l.calls_after_give_back;
    }
    if (l.events++ == 0) {
      l.first_mask = mask;
    }
    l.all_masks |= mask;
    if (on_event) {
      on_event(conn, mask, l);
    }
  }
  void OnRelease(Conn& conn) override {
    Log& l = logs[conn.slot()];
    ++l.releases;
    EXPECT_EQ(l.releases, l.opens);
    // The handle was given back: I/O fails.
    uint8_t b;
    EXPECT_EQ(conn.Recv(std::span(&b, 1)).error, SockError::kBadHandle);
  }

  std::vector<Log> logs = std::vector<Log>(kMaxConnections);
  uint32_t last_slot = 0;
  std::function<void(Conn&, Log&)> on_open;
  std::function<void(Conn&, uint32_t, Log&)> on_event;
};

class ServiceHostTest : public ::testing::Test {
 protected:
  ServiceHostTest() : link_(Config(false), Config(true)), host_(link_.b()) {}

  Endpoint& client() { return link_.a(); }
  Endpoint& server() { return link_.b(); }
  Instant now() const { return link_.now(); }

  ListenerHandle Serve(uint16_t port, std::unique_ptr<Service> service,
                       const tcp::ListenOptions& lo = {}) {
    absl::StatusOr<ListenerHandle> l = server().Listen(kServerAddr, port, lo);
    EXPECT_TRUE(l.ok()) << l.status();
    EXPECT_TRUE(host_.Register(*l, std::move(service)).ok());
    return *l;
  }

  ConnHandle Connect(uint16_t port, const tcp::ConnOptions& o = {}) {
    absl::StatusOr<ConnHandle> c =
        client().Connect(kClientAddr, kServerAddr, port, o, now());
    EXPECT_TRUE(c.ok()) << c.status();
    link_.Run();  // the handshake: the client may send at once
    return *c;
  }

  // One loop iteration of the server, then the wire and 1 ms of time.
  void Step() {
    host_.Run(now());
    server().Flush(now());
    link_.Run();
    link_.Advance(Duration::Millis(1));
  }

  bool RunUntil(const std::function<bool()>& done, int max_steps = 50000) {
    for (int i = 0; i < max_steps; ++i) {
      if (done()) {
        return true;
      }
      Step();
    }
    return done();
  }

  // Client side: sends what the connection takes of data[*off...].
  void SendSome(ConnHandle c, const std::string& data, size_t* off) {
    while (*off < data.size()) {
      IoResult r = client().Send(
          c,
          std::span(reinterpret_cast<const uint8_t*>(data.data()) + *off,
                    data.size() - *off),
          now());
      if (!r.ok()) {
        return;
      }
      *off += r.bytes;
    }
  }
  // Client side: appends what arrived; *eof at the end of the stream.
  // Returns the error that stopped it (kWouldBlock normally).
  SockError ReadSome(ConnHandle c, std::string* out, bool* eof) {
    uint8_t buf[16384];
    for (;;) {
      IoResult r = client().Recv(c, buf, now());
      if (!r.ok()) {
        return r.error;
      }
      if (r.bytes == 0) {
        *eof = true;
        return SockError::kOk;
      }
      out->append(reinterpret_cast<char*>(buf), r.bytes);
    }
  }
  // Client side: runs until the end of the stream; false when it never came.
  bool ReadToEof(ConnHandle c, std::string* out) {
    bool eof = false;
    return RunUntil([&] {
      ReadSome(c, out, &eof);
      return eof;
    });
  }
  void SendString(ConnHandle c, const std::string& s) {
    size_t off = 0;
    SendSome(c, s, &off);
    ASSERT_EQ(off, s.size());
  }

  Link link_;
  ServiceHost host_;
};

TEST_F(ServiceHostTest, Echo_OneMegabyte_EqualBytes) {
  Serve(7, Must(EchoService::Create({}, kMaxConnections)));
  const ConnHandle c = Connect(7);
  const std::string data = RandomBytes(1'000'000, 7);
  size_t off = 0;
  bool shut = false;
  bool eof = false;
  std::string got;
  ASSERT_TRUE(RunUntil([&] {
    SendSome(c, data, &off);
    if (off == data.size() && !shut) {
      EXPECT_EQ(client().ShutdownWrite(c, now()), SockError::kOk);
      shut = true;
    }
    ReadSome(c, &got, &eof);
    return eof;
  }));
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
  EXPECT_EQ(client().Close(c, now()), SockError::kOk);
  ASSERT_TRUE(RunUntil([&] { return host_.open_connections() == 0; }));
  EXPECT_EQ(host_.stats().accepted.Get(), 1u);
  EXPECT_EQ(host_.stats().released.Get(), 1u);
  EXPECT_EQ(host_.service_stats(0).closed_by_service.Get(), 1u);
  EXPECT_EQ(static_cast<const EchoService&>(host_.service(0)).bytes_echoed(),
            data.size());
}

TEST_F(ServiceHostTest, Echo_HalfClosedClientStillReceivesEverything) {
  Serve(7, Must(EchoService::Create({}, kMaxConnections)));
  const ConnHandle c = Connect(7);
  link_.Run();
  // 100 KB fits the client's send buffer: queue it all and half-close at
  // once.
  const std::string data = RandomBytes(100'000, 9);
  SendString(c, data);
  ASSERT_EQ(client().ShutdownWrite(c, now()), SockError::kOk);
  std::string got;
  ASSERT_TRUE(ReadToEof(c, &got));
  EXPECT_TRUE(got == data);
}

std::string HttpHead(uint64_t body, std::string_view connection = "") {
  return "HTTP/1.1 200 OK\r\nServer: tern\r\nContent-Length: " +
         std::to_string(body) + "\r\n" + std::string(connection) + "\r\n";
}

TEST_F(ServiceHostTest, Http_KeepAlivePipelined_BodyLargerThanWindow) {
  HttpOptions o;
  o.body_bytes = 100'000;
  tcp::ListenOptions lo;
  lo.conn.send_buffer = 64 * 1024;  // a response does not fit at once
  Serve(80, Must(HttpService::Create(o, kMaxConnections)), lo);
  tcp::ConnOptions co;
  co.recv_buffer = 32 * 1024;  // a window smaller than a body
  const ConnHandle c = Connect(80, co);
  const std::string get = "GET / HTTP/1.1\r\nHost: tern\r\n\r\n";
  SendString(c, get + get + get);  // pipelined: one send
  const std::string one = HttpHead(100'000) + PatternString(0, 100'000);
  std::string got;
  bool eof = false;
  ASSERT_TRUE(RunUntil([&] {
    ReadSome(c, &got, &eof);
    return got.size() >= 3 * one.size() || eof;
  }));
  EXPECT_FALSE(eof);
  EXPECT_TRUE(got == one + one + one);
  // Kept alive: a fourth request on the same connection, which closes it.
  got.clear();
  SendString(c, "GET /x HTTP/1.1\r\nHost: tern\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(ReadToEof(c, &got));
  EXPECT_TRUE(got == HttpHead(100'000, "Connection: close\r\n") +
                         PatternString(0, 100'000));
  EXPECT_EQ(static_cast<const HttpService&>(host_.service(0)).requests(), 4u);
  client().Close(c, now());
  ASSERT_TRUE(RunUntil([&] { return host_.open_connections() == 0; }));
  EXPECT_EQ(host_.service_stats(0).released.Get(), 1u);
}

TEST_F(ServiceHostTest, Http_ChunkedUploadLargerThanWindow_ThenGet) {
  HttpOptions o;
  o.body_bytes = 10;
  tcp::ListenOptions lo;
  lo.conn.recv_buffer = 16 * 1024;  // the upload is many windows
  Serve(80, Must(HttpService::Create(o, kMaxConnections)), lo);
  const ConnHandle c = Connect(80);
  std::string req =
      "POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk = RandomBytes(50'000, 5);
  for (int i = 0; i < 4; ++i) {
    req += "c350\r\n" + chunk + "\r\n";  // 0xc350 = 50000
  }
  req += "0\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  size_t off = 0;
  std::string got;
  bool eof = false;
  ASSERT_TRUE(RunUntil([&] {
    SendSome(c, req, &off);
    ReadSome(c, &got, &eof);
    return eof;
  }));
  EXPECT_EQ(off, req.size());
  EXPECT_TRUE(got == HttpHead(10) + PatternString(0, 10) +
                         HttpHead(10, "Connection: close\r\n") +
                         PatternString(0, 10));
  EXPECT_EQ(static_cast<const HttpService&>(host_.service(0)).requests(), 2u);
}

TEST_F(ServiceHostTest, Http10_ClientHalfCloses_GetsWholeResponse) {
  HttpOptions o;
  o.body_bytes = 300'000;  // more than the 256 KiB send buffer
  Serve(80, Must(HttpService::Create(o, kMaxConnections)));
  const ConnHandle c = Connect(80);
  SendString(c, "GET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(client().ShutdownWrite(c, now()), SockError::kOk);
  std::string got;
  ASSERT_TRUE(ReadToEof(c, &got));
  EXPECT_TRUE(got == HttpHead(300'000, "Connection: close\r\n") +
                         PatternString(0, 300'000));
}

TEST_F(ServiceHostTest, Sink_CountsBytes_Discard_Drops_BothCloseOnFin) {
  Serve(9, Must(DiscardService::Create({}, kMaxConnections)));
  Serve(5001, Must(SinkService::Create({}, kMaxConnections)));
  const ConnHandle d = Connect(9);
  const ConnHandle s = Connect(5001);
  const std::string data = RandomBytes(500'000, 3);
  size_t off_d = 0;
  size_t off_s = 0;
  bool shut_d = false;
  bool shut_s = false;
  bool eof_d = false;
  bool eof_s = false;
  std::string got;
  ASSERT_TRUE(RunUntil([&] {
    SendSome(d, data, &off_d);
    SendSome(s, data, &off_s);
    if (off_d == data.size() && !shut_d) {
      client().ShutdownWrite(d, now());
      shut_d = true;
    }
    if (off_s == data.size() && !shut_s) {
      client().ShutdownWrite(s, now());
      shut_s = true;
    }
    ReadSome(d, &got, &eof_d);
    ReadSome(s, &got, &eof_s);
    return eof_d && eof_s;
  }));
  EXPECT_TRUE(got.empty());
  const auto& sink = static_cast<const SinkService&>(host_.service(1));
  EXPECT_EQ(sink.bytes_received(), data.size());
  EXPECT_EQ(sink.streams_finished(), 1u);
  EXPECT_EQ(host_.service_stats(0).closed_by_service.Get(), 1u);
  EXPECT_EQ(host_.service_stats(1).closed_by_service.Get(), 1u);
  EXPECT_EQ(host_.open_connections(), 0u);
}

TEST_F(ServiceHostTest, Source_ByteLimit_ThenFin) {
  SourceOptions o;
  o.byte_limit = 300'000;
  Serve(19, Must(SourceService::Create(o, kMaxConnections)));
  const ConnHandle c = Connect(19);
  std::string got;
  ASSERT_TRUE(ReadToEof(c, &got));
  EXPECT_TRUE(got == PatternString(0, 300'000));
}

TEST_F(ServiceHostTest, Source_Unlimited_UntilClientResets) {
  Serve(19, Must(SourceService::Create({}, kMaxConnections)));
  const ConnHandle c = Connect(19);
  std::string got;
  bool eof = false;
  ASSERT_TRUE(RunUntil([&] {
    ReadSome(c, &got, &eof);
    return got.size() >= 1'000'000 || eof;
  }));
  EXPECT_FALSE(eof);
  EXPECT_TRUE(got.substr(0, 1'000'000) == PatternString(0, 1'000'000));
  ASSERT_EQ(client().Abort(c, now()), SockError::kOk);
  ASSERT_TRUE(RunUntil([&] { return host_.open_connections() == 0; }));
  EXPECT_EQ(host_.service_stats(0).reset.Get(), 1u);
  EXPECT_EQ(host_.service_stats(0).released.Get(), 1u);
}

TEST_F(ServiceHostTest, ResetClient_ReleasedOnce) {
  auto rec = std::make_unique<Recorder>();
  Recorder* r = rec.get();
  Serve(1000, std::move(rec));
  const ConnHandle c = Connect(1000);
  SendString(c, "hello");
  ASSERT_TRUE(RunUntil([&] { return host_.open_connections() == 1; }));
  Step();
  const uint32_t slot = r->last_slot;
  EXPECT_EQ(r->logs[slot].opens, 1);
  ASSERT_EQ(client().Abort(c, now()), SockError::kOk);
  ASSERT_TRUE(RunUntil([&] { return host_.open_connections() == 0; }));
  for (int i = 0; i < 100; ++i) {
    Step();
  }
  EXPECT_EQ(r->logs[slot].releases, 1);
  EXPECT_NE(r->logs[slot].all_masks & ev::kReset, 0u);
  EXPECT_EQ(host_.service_stats(0).reset.Get(), 1u);
  // The endpoint holds no record of it any more.
  EXPECT_EQ(server().connection_count(), 0u);
}

TEST_F(ServiceHostTest, ServiceCloses_NoMoreEvents_ReleasedOnce) {
  auto rec = std::make_unique<Recorder>();
  Recorder* r = rec.get();
  r->on_event = [](Conn& conn, uint32_t mask, Recorder::Log& l) {
    if ((mask & ev::kReadable) != 0) {
      uint8_t buf[64];
      while (conn.Recv(buf).bytes > 0) {
      }
      conn.Close();
      l.gave_back = true;
    }
  };
  Serve(1000, std::move(rec));
  const ConnHandle c = Connect(1000);
  SendString(c, "first");
  ASSERT_TRUE(RunUntil([&] { return host_.stats().released.Get() == 1; }));
  const uint32_t slot = r->last_slot;
  // More data for a connection the service closed: the endpoint resets it;
  // the service hears nothing of it.
  SendString(c, "second");
  for (int i = 0; i < 200; ++i) {
    Step();
  }
  EXPECT_EQ(r->logs[slot].calls_after_give_back, 0);
  EXPECT_EQ(r->logs[slot].releases, 1);
  EXPECT_EQ(host_.service_stats(0).closed_by_service.Get(), 1u);
}

TEST_F(ServiceHostTest, ServiceClosesInOnOpen_NoEventAtAll) {
  auto rec = std::make_unique<Recorder>();
  Recorder* r = rec.get();
  r->on_open = [](Conn& conn, Recorder::Log& l) {
    conn.Close();
    l.gave_back = true;
  };
  Serve(1000, std::move(rec));
  const ConnHandle c = Connect(1000);
  std::string got;
  ASSERT_TRUE(ReadToEof(c, &got));
  EXPECT_EQ(r->logs[r->last_slot].events, 0);
  EXPECT_EQ(r->logs[r->last_slot].releases, 1);
}

TEST_F(ServiceHostTest, DataAndFinBeforeAccept_SeenInFirstEvent) {
  auto rec = std::make_unique<Recorder>();
  Recorder* r = rec.get();
  std::string seen;
  r->on_event = [&seen](Conn& conn, uint32_t, Recorder::Log& l) {
    uint8_t buf[64];
    for (;;) {
      IoResult res = conn.Recv(buf);
      if (!res.ok()) {
        return;
      }
      if (res.bytes == 0) {
        EXPECT_TRUE(conn.PeerClosed());
        conn.Close();
        l.gave_back = true;
        return;
      }
      seen.append(reinterpret_cast<char*>(buf), res.bytes);
    }
  };
  Serve(1000, std::move(rec));
  const ConnHandle c = Connect(1000);
  link_.Run();  // handshake, nobody accepts yet
  SendString(c, "early");
  client().ShutdownWrite(c, now());
  link_.Run();
  host_.Run(now());
  const Recorder::Log& l = r->logs[r->last_slot];
  EXPECT_EQ(l.opens, 1);
  EXPECT_EQ(l.events, 1);
  EXPECT_EQ(l.first_mask & (ev::kReadable | ev::kPeerClosed),
            ev::kReadable | ev::kPeerClosed);
  EXPECT_EQ(seen, "early");
  EXPECT_EQ(l.releases, 1);
}

TEST_F(ServiceHostTest, Drain_IdleClosed_Busy_Finishes_ListenerClosed) {
  HttpOptions o;
  o.body_bytes = 10;
  Serve(80, Must(HttpService::Create(o, kMaxConnections)));
  const ConnHandle idle = Connect(80);
  const ConnHandle busy = Connect(80);
  SendString(idle, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  SendString(busy, "GET / HTTP/1.1\r\nHost: t\r\n");  // head not finished
  std::string got_idle;
  std::string got_busy;
  bool eof_idle = false;
  bool eof_busy = false;
  ASSERT_TRUE(RunUntil([&] {
    ReadSome(idle, &got_idle, &eof_idle);
    return got_idle.size() == HttpHead(10).size() + 10;
  }));
  host_.BeginDrain(now());
  EXPECT_TRUE(host_.draining());
  EXPECT_EQ(host_.open_connections(), 1u);  // the idle one went at once
  // New connections are refused: the listener is closed.
  const ConnHandle late = Connect(80);
  SendString(busy, "\r\n");
  ASSERT_TRUE(RunUntil([&] {
    ReadSome(idle, &got_idle, &eof_idle);
    ReadSome(busy, &got_busy, &eof_busy);
    return eof_idle && eof_busy;
  }));
  EXPECT_TRUE(got_busy ==
              HttpHead(10, "Connection: close\r\n") + PatternString(0, 10));
  EXPECT_NE(client().Poll(late) & ev::kClosed, 0u);
  EXPECT_EQ(client().TakeError(late), SockError::kConnRefused);
  EXPECT_EQ(host_.open_connections(), 0u);
  EXPECT_EQ(host_.stats().accepted.Get(), 2u);
}

TEST_F(ServiceHostTest, Drain_EchoClosesEveryConnectionAtOnce) {
  Serve(7, Must(EchoService::Create({}, kMaxConnections)));
  for (int i = 0; i < 5; ++i) {
    Connect(7);
  }
  ASSERT_TRUE(RunUntil([&] { return host_.open_connections() == 5; }));
  host_.BeginDrain(now());  // the default OnDrain closes
  EXPECT_EQ(host_.open_connections(), 0u);
  EXPECT_EQ(host_.service_stats(0).closed_by_service.Get(), 5u);
}

TEST(ServiceHostDrain, CloseAllAndAbortAll) {
  Link link(Config(false), Config(true));
  ServiceHost host(link.b());
  // A service that never closes by itself, not even on drain.
  class Stubborn final : public Service {
   public:
    std::string_view name() const override { return "stubborn"; }
    void OnOpen(Conn&) override {}
    void OnEvent(Conn&, uint32_t) override {}
    void OnRelease(Conn&) override { ++released; }
    void OnDrain(Conn&) override {}
    int released = 0;
  };
  auto owned = std::make_unique<Stubborn>();
  Stubborn* s = owned.get();
  absl::StatusOr<ListenerHandle> l =
      link.b().Listen(kServerAddr, 7, tcp::ListenOptions{});
  ASSERT_TRUE(l.ok());
  ASSERT_TRUE(host.Register(*l, std::move(owned)).ok());
  std::vector<ConnHandle> cs;
  for (int i = 0; i < 4; ++i) {
    absl::StatusOr<ConnHandle> c = link.a().Connect(
        kClientAddr, kServerAddr, 7, tcp::ConnOptions{}, link.now());
    ASSERT_TRUE(c.ok());
    cs.push_back(*c);
  }
  link.Run();
  host.Run(link.now());
  ASSERT_EQ(host.open_connections(), 4u);
  host.BeginDrain(link.now());
  EXPECT_EQ(host.open_connections(), 4u);
  host.CloseAll(link.now());
  link.b().Flush(link.now());
  link.Run();
  EXPECT_EQ(host.open_connections(), 0u);
  EXPECT_EQ(s->released, 4);
  EXPECT_EQ(host.service_stats(0).drained.Get(), 4u);
  for (ConnHandle c : cs) {
    EXPECT_NE(link.a().Poll(c) & ev::kPeerClosed, 0u);  // FIN, not RST
  }
  // Nothing left to abort; AbortAll of an empty host does nothing.
  host.AbortAll(link.now());
  EXPECT_EQ(s->released, 4);
}

TEST(ServiceHostDrain, AbortAllResets) {
  Link link(Config(false), Config(true));
  ServiceHost host(link.b());
  absl::StatusOr<ListenerHandle> l =
      link.b().Listen(kServerAddr, 7, tcp::ListenOptions{});
  ASSERT_TRUE(l.ok());
  ASSERT_TRUE(
      host.Register(*l, Must(EchoService::Create({}, kMaxConnections))).ok());
  absl::StatusOr<ConnHandle> c = link.a().Connect(
      kClientAddr, kServerAddr, 7, tcp::ConnOptions{}, link.now());
  ASSERT_TRUE(c.ok());
  link.Run();
  host.Run(link.now());
  ASSERT_EQ(host.open_connections(), 1u);
  host.AbortAll(link.now());
  link.Run();
  EXPECT_EQ(host.open_connections(), 0u);
  EXPECT_EQ(link.a().TakeError(*c), SockError::kConnReset);
}

TEST_F(ServiceHostTest, Register_Errors) {
  EXPECT_EQ(host_.Register(ListenerHandle{}, nullptr).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(host_
                .Register(ListenerHandle{3, 9},
                          Must(EchoService::Create({}, kMaxConnections)))
                .code(),
            absl::StatusCode::kInvalidArgument);
  const ListenerHandle l =
      Serve(7, Must(EchoService::Create({}, kMaxConnections)));
  EXPECT_EQ(
      host_.Register(l, Must(EchoService::Create({}, kMaxConnections))).code(),
      absl::StatusCode::kAlreadyExists);
  host_.BeginDrain(now());
  absl::StatusOr<ListenerHandle> l2 =
      server().Listen(kServerAddr, 8, tcp::ListenOptions{});
  ASSERT_TRUE(l2.ok());
  EXPECT_EQ(host_.Register(*l2, Must(EchoService::Create({}, kMaxConnections)))
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ServiceHostTest, ManyShortHttpConnections_AllReleased_SlotsReused) {
  Serve(80, Must(HttpService::Create({}, kMaxConnections)));
  for (int round = 0; round < 3; ++round) {
    std::vector<ConnHandle> cs;
    for (int i = 0; i < 40; ++i) {
      cs.push_back(Connect(80));
      SendString(cs.back(),
                 "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    }
    std::vector<std::string> got(cs.size());
    std::vector<char> eof(cs.size(), 0);
    ASSERT_TRUE(RunUntil([&] {
      bool all = true;
      for (size_t i = 0; i < cs.size(); ++i) {
        bool e = eof[i] != 0;
        ReadSome(cs[i], &got[i], &e);
        eof[i] = e;
        all = all && e;
      }
      return all;
    }));
    for (size_t i = 0; i < cs.size(); ++i) {
      EXPECT_TRUE(got[i] == HttpHead(1024, "Connection: close\r\n") +
                                PatternString(0, 1024))
          << i;
      client().Close(cs[i], now());
    }
    ASSERT_TRUE(RunUntil([&] { return host_.open_connections() == 0; }));
  }
  EXPECT_EQ(host_.stats().accepted.Get(), 120u);
  EXPECT_EQ(host_.stats().released.Get(), 120u);
  EXPECT_EQ(host_.stats().unknown_events.Get(), 0u);
}

TEST_F(ServiceHostTest, Upper_LinesUpperCased_SplitAcrossSegments) {
  Serve(1234, Must(UpperService::Create({}, kMaxConnections)));
  const ConnHandle c = Connect(1234);
  SendString(c, "hello, tern\nwor");
  std::string got;
  bool eof = false;
  ASSERT_TRUE(RunUntil([&] {
    ReadSome(c, &got, &eof);
    return got == "HELLO, TERN\n";
  }));
  for (int i = 0; i < 20; ++i) {
    Step();
  }
  EXPECT_EQ(got, "HELLO, TERN\n");  // "wor" waits for its '\n'
  SendString(c, "ld 42\n");
  client().ShutdownWrite(c, now());
  ASSERT_TRUE(ReadToEof(c, &got));
  EXPECT_EQ(got, "HELLO, TERN\nWORLD 42\n");
}

TEST_F(ServiceHostTest, Upper_ClosesAfterMaxLines_ResetsOnLongLine) {
  Serve(1234, Must(UpperService::Create({}, kMaxConnections)));
  const ConnHandle c = Connect(1234);
  std::string lines;
  for (uint32_t i = 0; i < UpperService::kMaxLines + 5; ++i) {
    lines += "line " + std::to_string(i) + "\n";
  }
  SendString(c, lines);
  std::string got;
  ASSERT_TRUE(ReadToEof(c, &got));
  std::string expected;
  for (uint32_t i = 0; i < UpperService::kMaxLines; ++i) {
    expected += "LINE " + std::to_string(i) + "\n";
  }
  EXPECT_EQ(got, expected);

  const ConnHandle c2 = Connect(1234);
  SendString(c2, std::string(UpperService::kMaxLine, 'x'));
  SockError err = SockError::kWouldBlock;
  std::string got2;
  bool eof2 = false;
  ASSERT_TRUE(RunUntil([&] {
    err = ReadSome(c2, &got2, &eof2);
    return err == SockError::kConnReset || eof2;
  }));
  EXPECT_EQ(err, SockError::kConnReset);
  EXPECT_TRUE(got2.empty());
  EXPECT_EQ(host_.service_stats(0).aborted_by_service.Get(), 1u);
}

}  // namespace
}  // namespace tern::app

namespace tern::app {
namespace {

// The client vanishes (everything it sends is lost): the server's
// retransmissions run out, the endpoint reports kTimedOut, and the host
// releases the connection once.
TEST(ServiceHostTimeout, PeerGone_TimedOut_ReleasedOnce) {
  tcp::EndpointConfig server_config = Config(true);
  server_config.data_retries = 3;
  Link link(Config(false), server_config);
  ServiceHost host(link.b());
  auto rec = std::make_unique<Recorder>();
  Recorder* r = rec.get();
  r->on_open = [](Conn& conn, Recorder::Log&) {
    const uint8_t hello[] = "hello";
    EXPECT_EQ(conn.Send(hello).bytes, sizeof(hello));
  };
  absl::StatusOr<ListenerHandle> l =
      link.b().Listen(kServerAddr, 1000, tcp::ListenOptions{});
  ASSERT_TRUE(l.ok());
  ASSERT_TRUE(host.Register(*l, std::move(rec)).ok());
  absl::StatusOr<ConnHandle> c = link.a().Connect(
      kClientAddr, kServerAddr, 1000, tcp::ConnOptions{}, link.now());
  ASSERT_TRUE(c.ok());
  link.Run();
  link.SetDropFilter([](const Link::Packet& p) { return p.from == Link::kA; });
  for (int i = 0; i < 10000 && host.stats().released.Get() == 0; ++i) {
    host.Run(link.now());
    link.b().Flush(link.now());
    link.Advance(Duration::Millis(100));
  }
  EXPECT_EQ(host.stats().released.Get(), 1u);
  EXPECT_EQ(host.service_stats(0).timed_out.Get(), 1u);
  EXPECT_NE(r->logs[r->last_slot].all_masks & ev::kTimedOut, 0u);
  EXPECT_EQ(r->logs[r->last_slot].releases, 1);
  EXPECT_EQ(link.b().connection_count(), 0u);
}

// Connections the host did not accept (an active open on its endpoint) are
// not its business: their events are counted and left alone.
TEST_F(ServiceHostTest, ForeignConnectionEvents_CountedAndIgnored) {
  absl::StatusOr<ListenerHandle> l =
      client().Listen(kClientAddr, 4000, tcp::ListenOptions{});
  ASSERT_TRUE(l.ok());
  absl::StatusOr<ConnHandle> c =
      server().Connect(kServerAddr, kClientAddr, 4000, {}, now());
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 10; ++i) {
    Step();
  }
  EXPECT_GT(host_.stats().unknown_events.Get(), 0u);
  EXPECT_EQ(host_.stats().accepted.Get(), 0u);
  EXPECT_NE(server().Poll(*c) & ev::kWritable, 0u);  // still the caller's
}

}  // namespace
}  // namespace tern::app
