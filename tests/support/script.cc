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
  absl::StrAppend(&s, " win ", tcp.window, " <", DescribeOptions(tcp.options),
                  "> len ", payload_len);
  return s;
}

std::string DescribeOptions(const wire::TcpOptions& o) {
  std::string s;
  auto add = [&s](const std::string& part) {
    absl::StrAppend(&s, s.empty() ? "" : ",", part);
  };
  if (o.mss.has_value()) {
    add(absl::StrCat("mss ", *o.mss));
  }
  if (o.sack_permitted) {
    add("sackOK");
  }
  if (o.timestamps.has_value()) {
    add(absl::StrCat("TS val ", o.timestamps->tsval, " ecr ",
                     o.timestamps->tsecr));
  }
  if (o.window_scale.has_value()) {
    add(absl::StrCat("wscale ", *o.window_scale));
  }
  for (uint8_t i = 0; i < o.sack_count; ++i) {
    add(absl::StrCat("sack ", o.sack[i].left.raw(), ":",
                     o.sack[i].right.raw()));
  }
  return s;
}

// ---------------------------------------------------------------------------

SentCheck::SentCheck(Sent sent, SourceLoc loc)
    : sent_(std::move(sent)), loc_(loc) {
  sent_.tcp.payload = sent_.payload;
}

SentCheck::SentCheck(SentCheck&& o) noexcept
    : sent_(std::move(o.sent_)),
      loc_(o.loc_),
      popped_(o.popped_),
      checked_(o.checked_),
      flags_(o.flags_),
      seq_(o.seq_),
      ack_(o.ack_),
      window_(o.window_),
      options_(o.options_),
      any_tsval_(o.any_tsval_),
      payload_(std::move(o.payload_)),
      len_(o.len_) {
  sent_.tcp.payload = sent_.payload;
  o.checked_ = true;
}

SentCheck::~SentCheck() { Check(); }

SentCheck& SentCheck::Window(uint16_t w) {
  window_ = w;
  return *this;
}
SentCheck& SentCheck::AnyWindow() {
  window_.reset();
  return *this;
}
SentCheck& SentCheck::Options(const wire::TcpOptions& o) {
  options_ = o;
  return *this;
}
SentCheck& SentCheck::Ts(uint32_t val, uint32_t ecr) {
  options_.timestamps = wire::TcpTimestamps{val, ecr};
  any_tsval_ = false;
  return *this;
}
SentCheck& SentCheck::TsEcr(uint32_t ecr) {
  if (!options_.timestamps.has_value()) {
    ADD_FAILURE_AT(loc_.file, loc_.line)
        << "TsEcr on a segment expected without timestamps";
    return *this;
  }
  options_.timestamps->tsecr = ecr;
  return *this;
}
SentCheck& SentCheck::NoTs() {
  options_.timestamps.reset();
  any_tsval_ = false;
  return *this;
}
SentCheck& SentCheck::AnyTsVal() {
  any_tsval_ = true;
  return *this;
}
SentCheck& SentCheck::Sack(
    std::initializer_list<std::pair<uint32_t, uint32_t>> blocks) {
  options_.sack_count = 0;
  options_.sack = {};
  for (const auto& [left, right] : blocks) {
    options_.sack[options_.sack_count++] =
        wire::SackBlock{SeqNum(left), SeqNum(right)};
  }
  return *this;
}
SentCheck& SentCheck::SackBlocks(
    const std::vector<std::pair<uint32_t, uint32_t>>& blocks) {
  options_.sack_count = 0;
  options_.sack = {};
  for (const auto& [left, right] : blocks) {
    options_.sack[options_.sack_count++] =
        wire::SackBlock{SeqNum(left), SeqNum(right)};
  }
  return *this;
}
SentCheck& SentCheck::Mss(uint16_t mss) {
  options_.mss = mss;
  return *this;
}
SentCheck& SentCheck::WindowScale(std::optional<uint8_t> shift) {
  options_.window_scale = shift;
  return *this;
}
SentCheck& SentCheck::SackPermitted(bool on) {
  options_.sack_permitted = on;
  return *this;
}
SentCheck& SentCheck::Payload(std::string_view bytes) {
  payload_ = std::vector<uint8_t>(bytes.begin(), bytes.end());
  len_ = bytes.size();
  return *this;
}
SentCheck& SentCheck::Len(size_t n) {
  payload_.reset();
  len_ = n;
  return *this;
}

void SentCheck::Check() {
  if (checked_) {
    return;
  }
  checked_ = true;
  if (!popped_) {
    return;  // Pop already reported the missing segment
  }
  const std::string got = Describe(sent_.tcp, sent_.payload.size());
  auto fail = [this, &got](std::string_view what, const std::string& want) {
    ADD_FAILURE_AT(loc_.file, loc_.line)
        << what << ": expected " << want << "\n  sent " << got;
  };
  if (sent_.tcp.flags != flags_) {
    fail("flags", FlagsToString(flags_));
  }
  if (seq_.value().has_value() && sent_.tcp.seq.raw() != *seq_.value()) {
    fail("seq", absl::StrCat(*seq_.value()));
  }
  if (ack_.value().has_value() && sent_.tcp.ack.raw() != *ack_.value()) {
    fail("ack", absl::StrCat(*ack_.value()));
  }
  if (window_.has_value() && sent_.tcp.window != *window_) {
    fail("window", absl::StrCat(*window_));
  }
  wire::TcpOptions want = options_;
  if (any_tsval_ && want.timestamps.has_value() &&
      sent_.tcp.options.timestamps.has_value()) {
    want.timestamps->tsval = sent_.tcp.options.timestamps->tsval;
  }
  if (sent_.tcp.options != want) {
    fail("options", absl::StrCat("<", DescribeOptions(want), ">"));
  }
  if (sent_.tcp.urgent_ptr != 0) {
    fail("urgent pointer", "0");
  }
  if (sent_.payload.size() != len_) {
    std::string bytes;
    if (sent_.payload.size() <= 32 &&
        std::all_of(sent_.payload.begin(), sent_.payload.end(),
                    [](uint8_t b) { return b >= 0x20 && b < 0x7f; })) {
      bytes = absl::StrCat(" (sent \"", sent_.PayloadString(), "\")");
    }
    fail("payload length", absl::StrCat(len_, bytes));
  } else if (payload_.has_value() && sent_.payload != *payload_) {
    fail("payload", std::string(payload_->begin(), payload_->end()));
  }
}

void CaptureSink::Send(const OutSegment& segment) {
  Sent s;
  s.at = clock != nullptr ? *clock : Instant();
  s.src = segment.src;
  s.dst = segment.dst;
  EXPECT_TRUE(segment.tcp.payload.empty()) << "payload belongs in .payload";
  s.payload.resize(segment.PayloadLen());
  segment.payload.CopyTo(s.payload);
  s.spans.assign(segment.payload.spans().begin(),
                 segment.payload.spans().end());
  s.tcp = segment.tcp;
  s.tcp.payload = s.payload;
  s.reply_to = segment.reply_to;
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
  sink_.clock = &now_;
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
  const wire::TcpRepr& t = b.tcp();
  const auto prev = peer_syn_seq_.find(t.src_port);
  const bool retransmitted_syn = t.Has(kSyn) && !t.Has(kAck) &&
                                 prev != peer_syn_seq_.end() &&
                                 prev->second == t.seq.raw();
  if (t.Has(kSyn) && !t.Has(kRst) && !retransmitted_syn) {
    if (!t.Has(kAck)) {
      peer_syn_seq_[t.src_port] = t.seq.raw();
    }
    peer_syn_options_ = t.options;
    if (t.Has(kAck) && our_syn_active_) {
      // The SYN-ACK of our active open: the edge our SYN advertised.
      Negotiate();
      rcv_edge_[t.src_port] = t.seq.raw() + 1 + our_syn_window_;
    }
  }
  if (t.options.timestamps.has_value()) {
    peer_last_tsval_ = t.options.timestamps->tsval;
  }
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
  NoteAdvertised(s);
  return s;
}

SentCheck ScriptTest::ExpectSent(uint8_t flags, SeqField seq, SeqField ack,
                                 SourceLoc loc) {
  Flush();
  const bool any = !sink_.sent.empty();
  if (!any) {
    ADD_FAILURE_AT(loc.file, loc.line) << "expected a segment, none was sent";
  }
  Sent popped;
  if (any) {
    popped = std::move(sink_.sent.front());
    sink_.sent.pop_front();
  }
  SentCheck c(std::move(popped), loc);
  c.popped_ = any;
  c.flags_ = flags;
  c.seq_ = seq;
  c.ack_ = ack;
  const bool syn = (flags & kSyn) != 0;
  const uint16_t port = c.sent_.tcp.dst_port;
  if (syn) {
    const bool synack = (flags & kAck) != 0;
    const ConnOptions& o = synack ? listen_options_.conn : connect_options_;
    c.window_ = static_cast<uint16_t>(std::min<size_t>(o.recv_buffer, 0xffff));
    // The TSval of a SYN uses its own seq as the offset.
    c.options_ = OurSynOptions(
        synack, seq.value().value_or(any ? c.sent_.tcp.seq.raw() : 0),
        c.sent_.at);
    if (any && c.sent_.tcp.flags == flags) {
      our_syn_options_ = c.sent_.tcp.options;
      our_recv_buffer_ = o.recv_buffer;
      our_syn_active_ = !synack;
      our_syn_window_ = c.sent_.tcp.window;
      if (synack) {
        Negotiate();
      }
    }
    rcv_edge_.erase(port);
  } else if ((flags & kRst) != 0) {
    c.window_ = 0;
  } else {
    const uint8_t shift = ExpectedShift();
    const auto edge = rcv_edge_.find(port);
    if (edge != rcv_edge_.end() && ack.value().has_value()) {
      const uint32_t wnd = edge->second - *ack.value();
      c.window_ = static_cast<uint16_t>(
          std::min<uint32_t>((wnd + (1u << shift) - 1) >> shift, 0xffff));
    } else {
      c.window_ = FullWindow();
    }
  }
  if (!syn && ExpectedTimestamps() &&
      ((flags & kRst) == 0 || (flags & kAck) != 0)) {
    c.options_.timestamps = wire::TcpTimestamps{
        OurTsVal(c.sent_.at, our_iss_),
        (flags & kAck) != 0 ? peer_last_tsval_.value_or(0) : 0};
  }
  if (any) {
    NoteAdvertised(c.sent_);
  }
  return c;
}

void ScriptTest::NoteAdvertised(const Sent& s) {
  if (!s.tcp.Has(kAck) || s.tcp.Has(kRst)) {
    return;
  }
  const uint8_t shift = s.tcp.Has(kSyn) ? 0 : ExpectedShift();
  const uint32_t edge = s.tcp.ack.raw() + (uint32_t{s.tcp.window} << shift);
  auto [it, fresh] = rcv_edge_.try_emplace(s.tcp.dst_port, edge);
  if (!fresh && SeqNum(edge) > SeqNum(it->second)) {
    it->second = edge;
  }
}

void ScriptTest::DropSent() {
  Flush();
  for (const Sent& s : sink_.sent) {
    NoteAdvertised(s);
  }
  sink_.sent.clear();
}

void ScriptTest::Negotiate() {
  const bool both =
      our_syn_options_.has_value() && peer_syn_options_.has_value();
  neg_shift_ = both && our_syn_options_->window_scale.has_value() &&
                       peer_syn_options_->window_scale.has_value()
                   ? *our_syn_options_->window_scale
                   : 0;
  neg_ts_ = both && our_syn_options_->timestamps.has_value() &&
            peer_syn_options_->timestamps.has_value();
}

uint16_t ScriptTest::FullWindow() const {
  const size_t buffer = our_recv_buffer_ != 0
                            ? our_recv_buffer_
                            : listen_options_.conn.recv_buffer;
  return static_cast<uint16_t>(
      std::min<size_t>(buffer >> ExpectedShift(), 0xffff));
}

uint32_t ScriptTest::OurTsVal(Instant at, uint32_t iss) {
  return static_cast<uint32_t>(at.ToNanos() / 1'000'000) + iss;
}

wire::TcpOptions ScriptTest::OurSynOptions(bool synack, uint32_t iss,
                                           Instant at) const {
  const ConnOptions& o = synack ? listen_options_.conn : connect_options_;
  const wire::TcpOptions peer = peer_syn_options_.value_or(wire::TcpOptions{});
  wire::TcpOptions w;
  w.mss = (o.mss_clamp != 0 && o.mss_clamp < config_.mss) ? o.mss_clamp
                                                          : config_.mss;
  if (o.window_scaling && (!synack || peer.window_scale.has_value())) {
    uint8_t shift = 0;
    if (o.wscale.has_value()) {
      shift = std::min<uint8_t>(*o.wscale, 14);
    } else {
      while (shift < 14 && (o.recv_buffer >> shift) > 0xffff) {
        ++shift;
      }
    }
    w.window_scale = shift;
  }
  w.sack_permitted = o.sack_permitted && (!synack || peer.sack_permitted);
  if (o.timestamps && (!synack || peer.timestamps.has_value())) {
    w.timestamps = wire::TcpTimestamps{OurTsVal(at, iss),
                                       synack ? peer.timestamps->tsval : 0};
  }
  return w;
}

uint32_t ScriptTest::PassiveHandshake(uint16_t port) {
  Deliver(SegBuilder().From(kRemoteAddr, port).Syn().Seq(1).Mss(1460));
  Sent sa = ExpectSent(kSyn | kAck, kAny, 2);
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
  Sent synack = ExpectSent(kSyn | kAck, kAny, peer_nxt_);
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
  Sent syn = ExpectSent(kSyn, kAny, 0);
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
