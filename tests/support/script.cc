#include "tests/support/script.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace tern::tcp::testing {

using namespace wire::tcp_flags;  // NOLINT: test brevity

std::string FlagsToString(uint8_t flags) {
  std::string s;
  const std::pair<uint8_t, const char*> names[] = {
      {kSyn, "S"}, {kFin, "F"}, {kRst, "R"}, {kPsh, "P"},
      {kAck, "."}, {kUrg, "U"}, {kEce, "E"}, {kCwr, "W"}};
  for (const auto& [bit, name] : names) {
    if ((flags & bit) != 0) {
      s += name;
    }
  }
  return s.empty() ? "none" : s;
}

std::string Describe(const wire::TcpRepr& tcp, size_t payload_len) {
  std::string s =
      absl::StrCat("[", FlagsToString(tcp.flags), "] seq ", tcp.seq.raw());
  if (tcp.Has(kAck)) {
    absl::StrAppend(&s, " ack ", tcp.ack.raw());
  }
  absl::StrAppend(&s, " win ", tcp.window, " len ", payload_len);
  return s;
}

void CaptureSink::Send(const OutSegment& segment) {
  Sent s;
  s.src = segment.src;
  s.dst = segment.dst;
  EXPECT_TRUE(segment.tcp.payload.empty()) << "payload belongs in .payload";
  s.payload.resize(segment.PayloadLen());
  segment.payload.CopyTo(s.payload);
  s.spans.assign(segment.payload.spans().begin(),
                 segment.payload.spans().end());
  s.tcp = segment.tcp;
  s.tcp.payload = s.payload;
  if (round_trip) {
    std::vector<uint8_t> bytes(s.tcp.BufferLen());
    s.tcp.Emit(bytes, s.src, s.dst);
    wire::TcpRepr parsed;
    wire::WireError e = wire::TcpRepr::Parse(
        bytes, s.src, s.dst, wire::TcpRepr::Checksum::kVerify, &parsed);
    EXPECT_EQ(e, wire::WireError::kOk) << wire::ToString(e);
    if (e == wire::WireError::kOk) {
      EXPECT_EQ(parsed.seq, s.tcp.seq);
      EXPECT_EQ(parsed.flags, s.tcp.flags);
      EXPECT_EQ(parsed.options, s.tcp.options);
      EXPECT_EQ(parsed.payload.size(), s.payload.size());
    }
  }
  sent.push_back(std::move(s));
  sent.back().tcp.payload = sent.back().payload;
}

// ---------------------------------------------------------------------------

SegBuilder::SegBuilder() : payload_(std::make_shared<std::vector<uint8_t>>()) {
  tcp_.src_port = kRemotePort;
  tcp_.dst_port = kLocalPort;
  tcp_.window = 65535;
}

SegBuilder& SegBuilder::From(wire::Ipv4Addr a, uint16_t port) {
  src_ = a;
  tcp_.src_port = port;
  return *this;
}
SegBuilder& SegBuilder::To(wire::Ipv4Addr a, uint16_t port) {
  dst_ = a;
  tcp_.dst_port = port;
  return *this;
}
SegBuilder& SegBuilder::Flags(uint8_t f) {
  tcp_.flags = f;
  return *this;
}
SegBuilder& SegBuilder::Syn() { return Flags(kSyn); }
SegBuilder& SegBuilder::SynAck() { return Flags(kSyn | kAck); }
SegBuilder& SegBuilder::AckOnly() { return Flags(kAck); }
SegBuilder& SegBuilder::Rst() { return Flags(kRst); }
SegBuilder& SegBuilder::RstAck() { return Flags(kRst | kAck); }
SegBuilder& SegBuilder::Fin() { return Flags(kFin | kAck); }
SegBuilder& SegBuilder::Seq(uint32_t s) {
  tcp_.seq = SeqNum(s);
  return *this;
}
SegBuilder& SegBuilder::Ack(uint32_t a) {
  tcp_.ack = SeqNum(a);
  return *this;
}
SegBuilder& SegBuilder::Window(uint16_t w) {
  tcp_.window = w;
  return *this;
}
SegBuilder& SegBuilder::Mss(uint16_t m) {
  tcp_.options.mss = m;
  return *this;
}
SegBuilder& SegBuilder::WindowScale(uint8_t s) {
  tcp_.options.window_scale = s;
  return *this;
}
SegBuilder& SegBuilder::SackPermitted() {
  tcp_.options.sack_permitted = true;
  return *this;
}
SegBuilder& SegBuilder::Ts(uint32_t val, uint32_t ecr) {
  tcp_.options.timestamps = wire::TcpTimestamps{val, ecr};
  return *this;
}
SegBuilder& SegBuilder::Sack(
    std::initializer_list<std::pair<uint32_t, uint32_t>> blocks) {
  tcp_.options.sack_count = 0;
  for (const auto& [left, right] : blocks) {
    if (tcp_.options.sack_count == wire::kTcpMaxSackBlocks) {
      break;
    }
    tcp_.options.sack[tcp_.options.sack_count++] =
        wire::SackBlock{SeqNum(left), SeqNum(right)};
  }
  return *this;
}
SegBuilder& SegBuilder::NoOptions() {
  tcp_.options = {};
  return *this;
}
SegBuilder& SegBuilder::Data(std::string_view bytes) {
  payload_ = std::make_shared<std::vector<uint8_t>>(bytes.begin(), bytes.end());
  return *this;
}
SegBuilder& SegBuilder::Data(size_t n, char fill) {
  payload_ = std::make_shared<std::vector<uint8_t>>(n, fill);
  return *this;
}

InSegment SegBuilder::Build() const {
  InSegment s{src_, dst_, tcp_};
  s.tcp.payload = *payload_;
  return s;
}

// ---------------------------------------------------------------------------

ScriptTest::ScriptTest() {
  // Deterministic, short timers keep the scripts readable; tests that check
  // a default reset the field they check.
  config_.max_connections = 64;
  config_.max_time_wait = 64;
  config_.delayed_ack = Duration::Millis(40);
  // TERN_SCRIPT_COALESCE=1 (the script_coalesced run) replays every script
  // with output coalescing on; the harness flushes around every action and
  // before every look at the sink, so each script must pass unchanged.
  if (const char* v = std::getenv("TERN_SCRIPT_COALESCE");
      v != nullptr && std::string_view(v) == "1") {
    config_.coalesce_sends = true;
  }
  listen_options_.backlog = 8;
  listen_options_.syn_backlog = 8;
  listen_options_.conn.send_buffer = 64 * 1024;
  listen_options_.conn.recv_buffer = 64 * 1024;
  connect_options_ = listen_options_.conn;
}

void ScriptTest::SetUp() { Recreate(); }

void ScriptTest::Recreate() {
  Endpoint::Secrets secrets;
  secrets.isn_key = SipKey{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  secrets.table_key = std::array<uint8_t, 16>{1, 2,  3,  4,  5,  6,  7,  8,
                                              9, 10, 11, 12, 13, 14, 15, 16};
  secrets.cookie_store = cookie_store_;
  absl::StatusOr<std::unique_ptr<Endpoint>> ep =
      Endpoint::Create(config_, &sink_, now_, secrets);
  ASSERT_TRUE(ep.ok()) << ep.status();
  ep_ = std::move(*ep);
  sink_.sent.clear();
}

SegBuilder ScriptTest::Peer() const {
  SegBuilder b;
  b.AckOnly().Seq(peer_nxt_).Ack(our_nxt_);
  if (peer_tsval_ != 0) {
    b.Ts(peer_tsval_, 0);
  }
  return b;
}

void ScriptTest::Flush() {
  if (ep_ != nullptr) {
    ep_->Flush(now_);
  }
}

void ScriptTest::Deliver(const SegBuilder& b) {
  Flush();
  ep_->OnSegment(b.Build(), now_);
  Flush();
}

Sent ScriptTest::Pop() {
  Flush();
  if (sink_.sent.empty()) {
    ADD_FAILURE() << "expected a segment, none was sent";
    return Sent{};
  }
  Sent s = std::move(sink_.sent.front());
  sink_.sent.pop_front();
  s.tcp.payload = s.payload;
  return s;
}

Sent ScriptTest::ExpectSent(uint8_t flags, uint32_t seq, uint32_t ack) {
  Sent s = Pop();
  EXPECT_EQ(FlagsToString(s.tcp.flags), FlagsToString(flags))
      << Describe(s.tcp, s.payload.size());
  EXPECT_EQ(s.tcp.seq.raw(), seq) << Describe(s.tcp, s.payload.size());
  if ((flags & kAck) != 0) {
    EXPECT_EQ(s.tcp.ack.raw(), ack) << Describe(s.tcp, s.payload.size());
  }
  return s;
}

Sent ScriptTest::ExpectSent(uint8_t flags) {
  Sent s = Pop();
  EXPECT_EQ(FlagsToString(s.tcp.flags), FlagsToString(flags))
      << Describe(s.tcp, s.payload.size());
  return s;
}

uint32_t ScriptTest::PassiveHandshake(uint16_t port) {
  Deliver(SegBuilder().From(kRemoteAddr, port).Syn().Seq(1).Mss(1460));
  Sent sa = ExpectSent(wire::tcp_flags::kSyn | wire::tcp_flags::kAck);
  Deliver(SegBuilder()
              .From(kRemoteAddr, port)
              .AckOnly()
              .Seq(2)
              .Ack(sa.tcp.seq.raw() + 1));
  return sa.tcp.seq.raw();
}

void ScriptTest::ExpectNothingSent() {
  Flush();
  if (!sink_.sent.empty()) {
    const Sent& s = sink_.sent.front();
    ADD_FAILURE() << sink_.sent.size() << " unexpected segment(s), first "
                  << Describe(s.tcp, s.payload.size());
    sink_.sent.clear();
  }
}

uint32_t ScriptTest::TakeConnEvents() {
  Event ev[16];
  uint32_t mask = 0;
  size_t n = ep_->PollEvents(ev);
  for (size_t i = 0; i < n; ++i) {
    if (ev[i].conn == conn_) {
      mask |= ev[i].mask;
    }
  }
  return mask;
}

void ScriptTest::AdvanceTo(Instant t) {
  // Fires due timers in deadline order. NextDeadline is exact, so every
  // OnTimers call here runs at least one timer; a call that leaves the next
  // deadline at or before now_ only means the quota stopped it.
  Flush();
  for (int guard = 0;; ++guard) {
    if (guard == 10'000'000) {
      ADD_FAILURE() << "timers keep firing at " << now_.ToNanos() << " ns";
      break;
    }
    const Instant d = ep_->NextDeadline();
    if (d > t) {
      break;
    }
    now_ = std::max(now_, d);
    const size_t before = ep_->stats().timers_fired.Get();
    const Instant next = ep_->OnTimers(now_);
    EXPECT_EQ(next, ep_->NextDeadline());
    EXPECT_GT(ep_->stats().timers_fired.Get(), before)
        << "OnTimers at NextDeadline ran no timer";
  }
  now_ = std::max(now_, t);
  ep_->OnTimers(now_);
}

void ScriptTest::Advance(Duration d) { AdvanceTo(now_ + d); }

State ScriptTest::ConnState() const {
  const Connection* c = Conn();
  return c == nullptr ? State::kClosed : c->state();
}

std::string ScriptTest::Read(size_t max) {
  std::vector<uint8_t> buf(max);
  IoResult r = ep_->Recv(conn_, buf, now_);
  Flush();
  if (!r.ok()) {
    return "";
  }
  return std::string(buf.begin(), buf.begin() + static_cast<long>(r.bytes));
}

size_t ScriptTest::Write(std::string_view data) {
  IoResult r =
      ep_->Send(conn_,
                std::span<const uint8_t>(
                    reinterpret_cast<const uint8_t*>(data.data()), data.size()),
                now_);
  Flush();
  return r.bytes;
}

// ---------------------------------------------------------------------------
// State fixtures.

void ScriptTest::MakeListen() {
  absl::StatusOr<ListenerHandle> l =
      ep_->Listen(kLocalAddr, kLocalPort, listen_options_);
  ASSERT_TRUE(l.ok()) << l.status();
  listener_ = *l;
}

void ScriptTest::MakeSynReceived() {
  MakeListen();
  SegBuilder syn;
  syn.Syn().Seq(peer_iss_);
  if (peer_offers_options_) {
    syn.Mss(1460).WindowScale(7).SackPermitted();
  }
  if (peer_tsval_ != 0) {
    syn.Ts(peer_tsval_, 0);
  }
  Deliver(syn);
  peer_nxt_ = peer_iss_ + 1;
  Sent synack = ExpectSent(kSyn | kAck);
  EXPECT_EQ(synack.tcp.ack.raw(), peer_nxt_);
  our_iss_ = synack.tcp.seq.raw();
  our_nxt_ = our_iss_ + 1;
}

void ScriptTest::MakeEstablished() {
  MakeSynReceived();
  Deliver(Peer());
  ExpectNothingSent();
  std::optional<ConnHandle> h = ep_->Accept(listener_);
  ASSERT_TRUE(h.has_value());
  conn_ = *h;
  ASSERT_EQ(ConnState(), State::kEstablished);
}

void ScriptTest::MakeCloseWait() {
  MakeEstablished();
  Deliver(Peer().Fin());
  peer_nxt_ += 1;
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  ASSERT_EQ(ConnState(), State::kCloseWait);
}

void ScriptTest::MakeLastAck() {
  MakeCloseWait();
  ASSERT_EQ(ep_->ShutdownWrite(conn_, now_), SockError::kOk);
  ExpectSent(kFin | kAck, our_nxt_, peer_nxt_);
  our_nxt_ += 1;
  ASSERT_EQ(ConnState(), State::kLastAck);
}

void ScriptTest::MakeFinWait1() {
  MakeEstablished();
  ASSERT_EQ(ep_->ShutdownWrite(conn_, now_), SockError::kOk);
  ExpectSent(kFin | kAck, our_nxt_, peer_nxt_);
  our_nxt_ += 1;
  ASSERT_EQ(ConnState(), State::kFinWait1);
}

void ScriptTest::MakeFinWait2() {
  MakeFinWait1();
  Deliver(Peer());
  ExpectNothingSent();
  ASSERT_EQ(ConnState(), State::kFinWait2);
}

void ScriptTest::MakeTimeWait() {
  MakeFinWait2();
  Deliver(Peer().Fin());
  peer_nxt_ += 1;
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  ASSERT_EQ(ConnState(), State::kTimeWait);
}

void ScriptTest::MakeClosing() {
  MakeFinWait1();
  // The peer's FIN crosses ours: it does not acknowledge our FIN.
  Deliver(Peer().Fin().Ack(our_nxt_ - 1));
  peer_nxt_ += 1;
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  ASSERT_EQ(ConnState(), State::kClosing);
}

void ScriptTest::MakeSynSent() {
  absl::StatusOr<ConnHandle> h = ep_->Connect(
      kLocalAddr, kRemoteAddr, kRemotePort, connect_options_, now_, kLocalPort);
  ASSERT_TRUE(h.ok()) << h.status();
  conn_ = *h;
  Sent syn = ExpectSent(kSyn);
  our_iss_ = syn.tcp.seq.raw();
  our_nxt_ = our_iss_ + 1;
  ASSERT_EQ(ConnState(), State::kSynSent);
}

void ScriptTest::MakeEstablishedActive() {
  MakeSynSent();
  SegBuilder synack = Peer();
  synack.SynAck().Seq(peer_iss_).Ack(our_nxt_);
  if (peer_offers_options_) {
    synack.Mss(1460).WindowScale(7).SackPermitted();
  }
  if (peer_tsval_ != 0) {
    synack.Ts(peer_tsval_, 0);
  }
  Deliver(synack);
  peer_nxt_ = peer_iss_ + 1;
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  ASSERT_EQ(ConnState(), State::kEstablished);
}

}  // namespace tern::tcp::testing
