// Differential fuzzing in the spirit of TCP-Fuzz (Zou et al., USENIX ATC
// 2021): one sequence of peer segments and application calls (SEND, CLOSE)
// is run through tern's Endpoint and through the reference model of RFC
// 9293 3.10.7 (tests/support/rfc9293_model.h); after every step the state
// tern reached and every segment it sent (control bits, seq, ack, text
// length) must equal the model's.
//
// The input decodes to a scenario (a listener, an active open, or no
// socket at all) and steps. Segments come from one remote 4-tuple; their
// sequence and acknowledgment numbers are chosen relative to the model's
// RCV.NXT, SND.UNA and SND.NXT (exact, just inside or outside the window,
// too old, too new, raw), so most land where the RFC's checks differ.
// Within the model's scope (rfc9293_model.h) the harness never sends text
// or a FIN past RCV.NXT inside the window, options other than MSS, or a
// third duplicate ACK (loss recovery is not modelled).
//
// The one disagreement excused at run time is a rate limit: where the model
// sends an ACK (or a duplicate SYN's SYN-ACK) and tern sends nothing while
// counting challenge_acks_limited, oow_acks_limited or dup_syn_rate_limited
// in that step (RFC 5961 7, Linux's tcp_invalid_ratelimit). Every other
// deviation is a Deviations flag of the model, listed in doc/rfc_compliance.md.
//
// Built two ways (tests/fuzz/meson.build): with -fsanitize=fuzzer a
// libFuzzer target; with TERN_DIFF_FUZZ_DRIVER a driver that replays the
// files given on its command line (the seed corpus, tests/fuzz/corpus/diff)
// and then a fixed number of inputs from a seeded generator.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lib/tcp/endpoint.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/support/rfc9293_model.h"

#ifdef TERN_DIFF_FUZZ_DRIVER
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#endif

namespace tern::tcp {
namespace {

namespace m = ::tern::model;

constexpr wire::Ipv4Addr kLocal = wire::Ipv4Addr::FromOctets(192, 0, 2, 1);
constexpr wire::Ipv4Addr kRemote = wire::Ipv4Addr::FromOctets(198, 51, 100, 7);
constexpr uint16_t kLocalPort = 80;
constexpr uint16_t kRemotePort = 40000;
constexpr uint8_t kCtlMask = m::kSyn | m::kAck | m::kRst | m::kFin;
// Bytes in flight the harness lets SEND add: well inside the initial
// congestion window (RFC 6928: 10 segments) and the peer's window, so the
// model's "send it now" holds.
constexpr uint32_t kMaxFlight = 4096;

uint64_t g_steps = 0;
uint64_t g_mismatch_excused = 0;
uint64_t g_states_seen[kNumStates] = {};

class Sink final : public SegmentSink {
 public:
  void Send(const OutSegment& s) override {
    m::Seg g;
    g.ctl = s.tcp.flags & kCtlMask;
    g.seq = s.tcp.seq;
    g.ack = (g.ctl & m::kAck) != 0 ? s.tcp.ack : SeqNum(0);
    g.len = static_cast<uint32_t>(s.PayloadLen());
    g.wnd = s.tcp.window;
    sent.push_back(g);
  }
  std::vector<m::Seg> sent;
};

using Reader = ::tern::fuzz::FuzzReader;

class Harness {
 public:
  explicit Harness(uint8_t scenario) : trace_() {
    EndpointConfig config;
    config.max_connections = 4;
    config.max_half_open = 4;
    config.max_time_wait = 4;
    // Challenge ACKs are compared one for one; the budget is tested in
    // tests/script (ChallengeSideChannelTest).
    config.challenge_ack_per_second = 1'000'000;
    ConnOptions& co = config.conn_defaults;
    co.nodelay = true;
    co.timestamps = false;
    co.window_scaling = false;
    co.sack_permitted = false;
    co.recv_buffer = 65535;  // RCV.WND 65535 while the harness reads it all
    co.send_buffer = 65536;
    co.quick_acks = UINT16_MAX;  // every in-order segment ACKed at once
    Endpoint::Secrets secrets;
    secrets.isn_key = SipKey{3, 4};
    secrets.table_key = std::array<uint8_t, 16>{1, 2,  3,  4,  5,  6,  7,  8,
                                                9, 10, 11, 12, 13, 14, 15, 16};
    absl::StatusOr<std::unique_ptr<Endpoint>> ep =
        Endpoint::Create(config, &sink_, now_, secrets);
    Require(ep.ok(), "endpoint created");
    ep_ = std::move(*ep);
    switch (scenario % 3) {
      case 0: {
        ListenOptions lo;
        lo.backlog = 4;
        lo.syn_backlog = 4;
        lo.cookies = SynCookieMode::kOff;
        lo.conn = co;
        absl::StatusOr<ListenerHandle> l = ep_->Listen(kLocal, kLocalPort, lo);
        Require(l.ok(), "listening");
        listener_ = *l;
        model_.Listen();
        trace_ += "LISTEN\n";
        break;
      }
      case 1: {
        absl::StatusOr<ConnHandle> h =
            ep_->Connect(kLocal, kRemote, kRemotePort, co, now_, kLocalPort);
        Require(
            h.ok() && sink_.sent.size() == 1 && sink_.sent[0].ctl == m::kSyn,
            "connect sends one SYN");
        handle_ = *h;
        model_.OpenActive(sink_.sent[0].seq);
        model_.AdoptWindow(sink_.sent[0]);
        trace_ += "CONNECT -> " + m::ToString(sink_.sent[0]) + "\n";
        sink_.sent.clear();
        break;
      }
      default:
        trace_ += "CLOSED\n";
        break;
    }
    Compare({}, "set-up");
  }

  void Step(Reader& r) {
    const uint8_t op = r.U8();
    sink_.sent.clear();
    for (size_t i = 0; i < drops_before_.size(); ++i) {
      drops_before_[i] = ep_->stats().drops.Get(static_cast<DropReason>(i));
    }
    limited_before_ = Limited();
    std::vector<m::Out> expect;
    std::string what;
    switch (op % 8) {
      case 6: {
        const uint32_t n = 1 + r.U8() % 64;
        const State s = model_.conn_state();
        if (!handle_ || (s != State::kEstablished && s != State::kCloseWait) ||
            static_cast<uint32_t>(model_.snd_nxt() - model_.snd_una()) + n >
                kMaxFlight) {
          return;
        }
        static const uint8_t kData[64] = {};
        const IoResult res =
            ep_->Send(*handle_, std::span<const uint8_t>(kData, n), now_);
        Require(res.ok() && res.bytes == n, "SEND takes the octets");
        expect = model_.Send(n);
        what = "SEND " + std::to_string(n);
        break;
      }
      case 7: {
        if (!handle_) {
          return;
        }
        ep_->Close(*handle_, now_);
        handle_.reset();
        expect = model_.Close();
        what = "CLOSE";
        break;
      }
      default: {
        const m::Seg g = MakeSegment(r);
        wire::TcpRepr t;
        t.src_port = kRemotePort;
        t.dst_port = kLocalPort;
        t.flags = g.ctl;
        t.seq = g.seq;
        t.ack = g.ack;
        t.window = static_cast<uint16_t>(g.wnd);
        if ((g.ctl & m::kSyn) != 0) {
          t.options.mss = 1460;
        }
        static const uint8_t kPayload[64] = {};
        t.payload = std::span<const uint8_t>(kPayload, g.len);
        ep_->OnSegment(InSegment{kRemote, kLocal, t}, now_);
        expect = model_.OnSegment(g);
        what = "IN " + m::ToString(g);
        break;
      }
    }
    ep_->Flush(now_);
    trace_ += what + "\n";
    Compare(expect, what);
    sink_.sent.clear();
    AppSide();
    // Reading may open the window enough for an update (RFC 9293
    // 3.8.6.2.2): a pure ACK <SEQ=SND.NXT><ACK=RCV.NXT> is all it may send.
    for (const m::Seg& g : sink_.sent) {
      if (g.ctl != m::kAck || g.len != 0 || g.seq != model_.snd_nxt() ||
          g.ack != model_.rcv_nxt()) {
        Fail("the application's reads sent " + m::ToString(g));
      }
      trace_ += "  WINDOW UPDATE " + m::ToString(g) + "\n";
      model_.AdoptWindow(g);
    }
  }

  void Finish() {
    if (handle_) {
      ep_->Close(*handle_, now_);
    }
  }

 private:
  [[noreturn]] void Fail(const std::string& why) {
    std::string drops;
    for (size_t i = 0; i < drops_before_.size(); ++i) {
      const DropReason d = static_cast<DropReason>(i);
      if (ep_->stats().drops.Get(d) != drops_before_[i]) {
        drops += std::string(" ") + ToString(d);
      }
    }
    std::fprintf(stderr, "diff_fuzz: %s\ntern counted drops:%s\ntrace:\n%s",
                 why.c_str(), drops.c_str(), trace_.c_str());
    std::abort();
  }
  void Require(bool ok, const char* what) {
    if (!ok) {
      Fail(std::string("harness: ") + what);
    }
  }

  // Sequence numbers relative to the model's variables (see the header).
  m::Seg MakeSegment(Reader& r) {
    m::Seg g;
    g.ctl = r.U8() & kCtlMask;
    const uint8_t sm = r.U8();
    const uint8_t am = r.U8();
    const uint8_t d = r.U8();
    const uint8_t lb = r.U8();
    const SeqNum rn = model_.rcv_nxt();
    const uint32_t wnd = model_.rcv_wnd();
    switch (sm % 8) {
      case 0:
      case 7:
        g.seq = rn;
        break;
      case 1:
        g.seq = rn + (1u + d);
        break;
      case 2:
        g.seq = rn - (1u + d);
        break;
      case 3:
        g.seq = rn + wnd + d;
        break;
      case 4:
        g.seq = rn - 1;
        break;
      case 5:
        g.seq = SeqNum(r.U32());
        break;
      case 6:
        g.seq = rn + (wnd - 1);
        break;
    }
    const SeqNum una = model_.snd_una();
    const SeqNum nxt = model_.snd_nxt();
    const uint32_t flight = static_cast<uint32_t>(nxt - una);
    switch (am % 8) {
      case 0:
        g.ack = nxt;
        break;
      case 1:
        g.ack = una;
        break;
      case 2:
        g.ack = una + (d % (flight + 1));
        break;
      case 3:
        g.ack = nxt + (1u + d);
        break;
      case 4:
        g.ack = una - (1u + d);
        break;
      case 5:
        g.ack = una - (70000u + d);
        break;
      case 6:
        g.ack = SeqNum(r.U32());
        break;
      case 7:
        g.ack = model_.iss();
        break;
    }
    g.len = lb % 4 == 0 ? 1u + (lb / 4u) % 64u : 0u;
    // Out of the model's scope: loss recovery (RFC 5681 3.2: the third
    // duplicate ACK retransmits). Counting every candidate since SND.UNA
    // last moved (a pure ACK at SND.UNA with data or FIN in flight), the
    // third becomes an older ACK, which RFC 5681 2 (d) does not count.
    if (model_.snd_una() != dup_una_) {
      dup_una_ = model_.snd_una();
      dup_candidates_ = 0;
    }
    if (Synchronized(model_.conn_state()) &&
        model_.conn_state() != State::kSynReceived && nxt != una &&
        (g.ctl & (m::kSyn | m::kFin | m::kRst | m::kAck)) == m::kAck &&
        g.len == 0 && g.ack == una) {
      if (dup_candidates_ >= 2) {
        g.ack = una - 1;
      } else {
        ++dup_candidates_;
      }
    }
    // Out of the model's scope: text or a FIN starting inside the window
    // past RCV.NXT (it would be held for reassembly).
    if (Synchronized(model_.conn_state()) &&
        (g.len > 0 || (g.ctl & m::kFin) != 0) && rn < g.seq &&
        g.seq < rn + wnd) {
      g.seq = rn;
    }
    return g;
  }

  static bool Synchronized(State s) {
    return s != State::kClosed && s != State::kListen && s != State::kSynSent;
  }

  // What the application does after each step: accept a connection that
  // reached ESTABLISHED, read everything (RCV.WND stays whole), and give
  // back a handle whose connection reached CLOSED.
  void AppSide() {
    if (listener_ && !handle_) {
      if (std::optional<ConnHandle> h = ep_->Accept(*listener_)) {
        handle_ = *h;
      }
    }
    if (handle_) {
      uint8_t buf[4096];
      while (ep_->Recv(*handle_, buf, now_).bytes > 0) {
      }
      if (model_.conn_state() == State::kClosed ||
          model_.conn_state() == State::kListen) {
        ep_->Close(*handle_, now_);
        handle_.reset();
      }
    }
  }

  // Every answer tern held back for a rate limit, by the counter that
  // counts it.
  uint64_t Limited() const {
    const EndpointStats& st = ep_->stats();
    return st.challenge_acks_limited.Get() + st.oow_acks_limited.Get() +
           st.drops.Get(DropReason::kDupSynRateLimited);
  }

  State TernState() const {
    const FourTuple tuple{kLocal, kRemote, kLocalPort, kRemotePort};
    for (uint32_t i = 0; i < ep_->config().max_connections; ++i) {
      const Connection* c = ep_->ConnectionAt(i);
      if (c != nullptr && c->tuple() == tuple && c->state() != State::kClosed) {
        return c->state();
      }
    }
    if (ep_->half_open_total() > 0) {
      return State::kSynReceived;
    }
    if (ep_->FindTimeWait(tuple) != nullptr) {
      return State::kTimeWait;
    }
    return listener_ ? State::kListen : State::kClosed;
  }

  void Compare(std::vector<m::Out> expect, const std::string& what) {
    ++g_steps;
    // Adopt the implementation's ISS for a SYN-ACK the model asked for.
    for (size_t i = 0; i < expect.size(); ++i) {
      if (expect[i].any_seq && i < sink_.sent.size() &&
          sink_.sent[i].ctl == expect[i].seg.ctl) {
        expect[i].seg.seq = sink_.sent[i].seq;
        model_.AdoptIss(sink_.sent[i].seq);
      }
    }
    bool same = expect.size() == sink_.sent.size();
    for (size_t i = 0; same && i < expect.size(); ++i) {
      same = expect[i].seg.ctl == sink_.sent[i].ctl &&
             expect[i].seg.seq == sink_.sent[i].seq &&
             expect[i].seg.ack == sink_.sent[i].ack &&
             expect[i].seg.len == sink_.sent[i].len;
    }
    if (!same) {
      // A rate limit held back the ACK (or a duplicate SYN's SYN-ACK) the
      // model sends.
      if (sink_.sent.empty() && expect.size() == 1 &&
          (expect[0].seg.ctl & (m::kRst | m::kFin)) == 0 &&
          expect[0].seg.len == 0 && Limited() > limited_before_) {
        ++g_mismatch_excused;
        same = true;
      }
    }
    if (!same) {
      std::string msg = "segments differ after " + what + " in " +
                        ToString(model_.state()) + "\n  model:";
      // Appended in two steps: " " + std::string, which prepends to the
      // temporary in place, draws GCC 12's false -Wrestrict at -O3 (a
      // memcpy of 2^63 bytes), which failed release builds.
      for (const m::Out& o : expect) {
        msg += " ";
        msg += m::ToString(o.seg);
      }
      msg += "\n  tern: ";
      for (const m::Seg& s : sink_.sent) {
        msg += " ";
        msg += m::ToString(s);
      }
      Fail(msg);
    }
    for (const m::Seg& s : sink_.sent) {
      trace_ += "  OUT " + m::ToString(s) + "\n";
      model_.AdoptWindow(s);
    }
    const State ts = TernState();
    if (ts != model_.state()) {
      Fail("states differ after " + what + ": model " +
           ToString(model_.state()) + ", tern " + ToString(ts));
    }
    ++g_states_seen[static_cast<int>(ts)];
  }

  Sink sink_;
  std::unique_ptr<Endpoint> ep_;
  m::Rfc9293Model model_;
  std::optional<ListenerHandle> listener_;
  std::optional<ConnHandle> handle_;
  Instant now_ = Instant::FromNanos(1'000'000'000);
  uint64_t limited_before_ = 0;
  SeqNum dup_una_;
  int dup_candidates_ = 0;
  std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> drops_before_{};
  std::string trace_;
};

}  // namespace
}  // namespace tern::tcp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tern::tcp::Reader r(std::span<const uint8_t>(data, size));
  tern::tcp::Harness h(r.U8());
  for (int steps = 0; !r.done() && steps < 1024; ++steps) {
    h.Step(r);
  }
  h.Finish();
  return 0;
}

#ifdef TERN_DIFF_FUZZ_DRIVER
// Replays every file named on the command line (a directory: every file in
// it), then `--generated N` inputs (default 20000) from a seeded generator,
// half of them a seed's prefix with random steps after it.
int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  int generated = 20000;
  size_t files = 0;
  auto run = [](const std::vector<uint8_t>& in) {
    LLVMFuzzerTestOneInput(in.data(), in.size());
  };
  std::vector<std::vector<uint8_t>> seeds;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--generated" && i + 1 < argc) {
      generated = std::atoi(argv[++i]);
      continue;
    }
    std::vector<fs::path> paths;
    tern::fuzz::AddCorpusPath(a, &paths);
    for (const fs::path& p : paths) {
      const std::vector<uint8_t> in = tern::fuzz::ReadFileBytes(p);
      run(in);
      if (!in.empty()) {
        seeds.push_back(in);
      }
      ++files;
    }
  }
  std::mt19937 gen(20261206);
  // Half of the generated inputs continue a prefix of a seed with random
  // bytes, so most reach the synchronized states.
  for (int i = 0; i < generated; ++i) {
    std::vector<uint8_t> in;
    if (!seeds.empty() && i % 2 == 0) {
      const std::vector<uint8_t>& seed = seeds[gen() % seeds.size()];
      in.assign(seed.begin(), seed.begin() + 1 + gen() % seed.size());
    }
    const size_t tail = 1 + gen() % 512;
    for (size_t k = 0; k < tail; ++k) {
      in.push_back(static_cast<uint8_t>(gen()));
    }
    run(in);
  }
  std::printf(
      "diff_fuzz_driver: %zu files and %d generated inputs, %llu steps, "
      "%llu rate-limited ACKs excused; states reached:",
      files, generated, static_cast<unsigned long long>(tern::tcp::g_steps),
      static_cast<unsigned long long>(tern::tcp::g_mismatch_excused));
  for (int s = 0; s < tern::tcp::kNumStates; ++s) {
    std::printf(" %s=%llu",
                tern::tcp::ToString(static_cast<tern::tcp::State>(s)),
                static_cast<unsigned long long>(tern::tcp::g_states_seen[s]));
  }
  std::printf("\n");
  return 0;
}
#endif  // TERN_DIFF_FUZZ_DRIVER
