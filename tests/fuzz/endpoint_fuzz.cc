// State fuzzing of the TCP core: an Endpoint with a listener and a fake
// clock is fed an arbitrary sequence of peer segments, clock steps and
// application calls decoded from the input, with invariants checked after
// every step and at the end.
//
// The peer is a model: for each of four remote ports it remembers the last
// segment the endpoint sent it, and a fuzzed segment's sequence and
// acknowledgment numbers are offsets from those (most inputs land near or in
// the window, so the fuzzer reaches every state, not only LISTEN).
//
// Properties (a violation aborts, which libFuzzer reports; ASan and UBSan
// catch memory and arithmetic errors):
// - every segment the endpoint sends re-parses with its checksum, its
//   payload within the peer's MSS, and never to port 0;
// - per connection: SND.UNA =< SND.NXT, the receive and send buffers within
//   their bounds, a state other than LISTEN;
// - the endpoint's record counts within their configured bounds, and every
//   dropped segment counted at most once (drops =< segments_in);
// - at the end, with every handle closed, the listener closed and the clock
//   run past every timer: no connection, half-open or TIME-WAIT record and
//   no buffer byte is left.
//
// Built two ways from this one file (tests/fuzz/meson.build): with
// -fsanitize=fuzzer, libFuzzer supplies main; with
// TERN_ENDPOINT_FUZZ_DRIVER, the main below runs a fixed number of inputs
// from a seeded generator, so CI checks the properties on every build.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include "lib/tcp/endpoint.h"
#include "tests/fuzz/fuzz_input.h"

namespace tern::tcp {
namespace {

using namespace wire::tcp_flags;  // NOLINT

constexpr wire::Ipv4Addr kLocal = wire::Ipv4Addr::FromOctets(192, 0, 2, 1);
constexpr wire::Ipv4Addr kRemote = wire::Ipv4Addr::FromOctets(198, 51, 100, 7);
constexpr uint16_t kLocalPort = 80;
constexpr uint16_t kRemotePorts[4] = {40000, 40001, 40002, 0};
constexpr size_t kMaxConnections = 16;
constexpr size_t kBuffer = 8192;

// Coverage of the driver's inputs, reported at its end: steps run, and steps
// after which some connection was synchronized or a TIME-WAIT record held.
uint64_t g_steps = 0;
uint64_t g_steps_synchronized = 0;
uint64_t g_steps_time_wait = 0;

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "endpoint_fuzz: property violated: %s\n", what);
    std::abort();
  }
}

// What the endpoint last sent to each remote port.
struct PeerView {
  bool seen = false;
  SeqNum our_next;  // seq + SEG.LEN of our last segment
  SeqNum our_ack;   // its ACK field: the peer's next sequence number
};

class Sink final : public SegmentSink {
 public:
  void Send(const OutSegment& s) override {
    Require(s.tcp.dst_port != 0 && s.tcp.src_port != 0, "sent to port 0");
    std::vector<uint8_t> payload(s.PayloadLen());
    s.payload.CopyTo(payload);
    wire::TcpRepr t = s.tcp;
    t.payload = payload;
    std::vector<uint8_t> bytes(t.BufferLen());
    t.Emit(bytes, s.src, s.dst);
    wire::TcpRepr back;
    Require(wire::TcpRepr::Parse(bytes, s.src, s.dst,
                                 wire::TcpRepr::Checksum::kVerify,
                                 &back) == wire::WireError::kOk,
            "sent segment re-parses");
    Require(payload.size() <= 1460, "payload within the MSS");
    for (size_t i = 0; i < 4; ++i) {
      if (kRemotePorts[i] == s.tcp.dst_port) {
        views[i].seen = true;
        views[i].our_next = s.tcp.seq + t.SegLen();
        if (s.tcp.Has(kAck)) {
          views[i].our_ack = s.tcp.ack;
        }
      }
    }
    ++sent;
  }
  std::array<PeerView, 4> views{};
  uint64_t sent = 0;
};

// Reads the input a byte at a time; zeros past the end.
using Reader = ::tern::fuzz::FuzzReader;

class Harness {
 public:
  Harness() {
    EndpointConfig config;
    config.max_connections = kMaxConnections;
    config.max_half_open = kMaxConnections;
    config.max_time_wait = kMaxConnections;
    Endpoint::Secrets secrets;
    secrets.isn_key = SipKey{1, 2};
    secrets.table_key = std::array<uint8_t, 16>{1, 2,  3,  4,  5,  6,  7,  8,
                                                9, 10, 11, 12, 13, 14, 15, 16};
    absl::StatusOr<std::unique_ptr<Endpoint>> ep =
        Endpoint::Create(config, &sink_, now_, secrets);
    Require(ep.ok(), "endpoint created");
    ep_ = std::move(*ep);
    ListenOptions lo;
    lo.backlog = 4;
    lo.syn_backlog = 4;
    lo.conn.send_buffer = kBuffer;
    lo.conn.recv_buffer = kBuffer;
    absl::StatusOr<ListenerHandle> l = ep_->Listen(kLocal, kLocalPort, lo);
    Require(l.ok(), "listening");
    listener_ = *l;
  }

  void Step(Reader& r) {
    const uint8_t op = r.U8();
    switch (op % 10) {
      case 0:
      case 1:
      case 2:
      case 3:
        Segment(r);
        break;
      case 4:
        // Clock steps from 1 ms to about 65 s.
        Advance(Duration::Millis(1 + int64_t{r.U16()}));
        break;
      case 5:
        while (std::optional<ConnHandle> h = ep_->Accept(listener_)) {
          handles_.push_back(*h);
        }
        break;
      case 6: {
        static const uint8_t kData[4096] = {};
        if (ConnHandle* h = Pick(r)) {
          ep_->Send(*h, std::span<const uint8_t>(kData, 1 + r.U16() % 4096),
                    now_);
        }
        break;
      }
      case 7: {
        uint8_t buf[2048];
        if (ConnHandle* h = Pick(r)) {
          ep_->Recv(*h, buf, now_);
        }
        break;
      }
      case 8:
        if (ConnHandle* h = Pick(r)) {
          ep_->ShutdownWrite(*h, now_);
        }
        break;
      case 9:
        if (ConnHandle* h = Pick(r)) {
          if (r.U8() % 4 == 0) {
            ep_->Abort(*h, now_);
          } else {
            ep_->Close(*h, now_);
          }
          *h = handles_.back();
          handles_.pop_back();
        }
        break;
    }
    ep_->Flush(now_);
    Check();
  }

  // Closes everything and runs the clock out: nothing may be left.
  void Finish() {
    while (std::optional<ConnHandle> h = ep_->Accept(listener_)) {
      handles_.push_back(*h);
    }
    for (ConnHandle h : handles_) {
      ep_->Close(h, now_);
    }
    handles_.clear();
    ep_->CloseListener(listener_, now_);
    ep_->Flush(now_);
    // Retransmissions back off to the RTO maximum (RFC 6298) for at most
    // data_retries tries; FIN-WAIT-2 and TIME-WAIT end within minutes.
    const Instant end = now_ + Duration::Seconds(4 * 3600);
    for (int guard = 0; guard < 1'000'000; ++guard) {
      const Instant d = ep_->NextDeadline();
      if (d > end) {
        break;
      }
      now_ = d > now_ ? d : now_;
      ep_->OnTimers(now_);
      ep_->Flush(now_);
    }
    Check();
    Require(ep_->connection_count() == 0, "no connection left");
    Require(ep_->half_open_total() == 0, "no half-open record left");
    Require(ep_->time_wait_count() == 0, "no TIME-WAIT record left");
    Require(ep_->buffer_bytes() == 0, "no buffer byte left");
  }

 private:
  ConnHandle* Pick(Reader& r) {
    if (handles_.empty()) {
      r.U8();
      return nullptr;
    }
    return &handles_[r.U8() % handles_.size()];
  }

  void Advance(Duration d) {
    const Instant end = now_ + d;
    for (int guard = 0; guard < 100'000; ++guard) {
      const Instant next = ep_->NextDeadline();
      if (next > end) {
        break;
      }
      now_ = next > now_ ? next : now_;
      ep_->OnTimers(now_);
    }
    now_ = end;
    ep_->OnTimers(now_);
  }

  void Segment(Reader& r) {
    const size_t port = r.U8() % 4;
    const PeerView& v = sink_.views[port];
    wire::TcpRepr t;
    t.src_port = kRemotePorts[port];
    t.dst_port = r.U8() % 16 == 15 ? 81 : kLocalPort;
    t.flags = r.U8();
    // Offsets from what the endpoint expects, often exactly it (or raw
    // numbers when the port has heard nothing, or one time in eight).
    const uint8_t mode = r.U8();
    const int16_t dseq = static_cast<int16_t>(r.U16());
    const int16_t dack = static_cast<int16_t>(r.U16());
    const bool raw = !v.seen || mode % 8 == 0;
    t.seq = raw ? SeqNum(uint32_t{r.U16()} << 16)
                : v.our_ack + ((mode & 2) != 0
                                   ? 0u
                                   : static_cast<uint32_t>(int32_t{dseq} / 64));
    t.ack =
        raw ? SeqNum(uint32_t{r.U16()} << 16)
            : v.our_next + ((mode & 4) != 0
                                ? 0u
                                : static_cast<uint32_t>(int32_t{dack} / 64));
    t.window = r.U16();
    const uint8_t opts = r.U8();
    if ((opts & 1) != 0) {
      t.options.mss = r.U16();
    }
    if ((opts & 2) != 0) {
      t.options.window_scale = r.U8();
    }
    if ((opts & 4) != 0) {
      t.options.sack_permitted = true;
    }
    if ((opts & 8) != 0) {
      const uint32_t tsval = ts_clock_ += r.U8();
      t.options.timestamps = wire::TcpTimestamps{tsval, r.U16()};
    }
    if ((opts & 0x30) != 0) {
      t.options.sack_count = (opts >> 4) & 3;
      for (size_t b = 0; b < t.options.sack_count; ++b) {
        const SeqNum left = v.our_next - static_cast<uint32_t>(r.U16() % 20000);
        t.options.sack[b] =
            wire::SackBlock{left, left + static_cast<uint32_t>(r.U16())};
      }
    }
    static const uint8_t kPayload[1500] = {};
    const size_t len = (opts & 0x40) != 0 ? r.U16() % 1500 : 0;
    t.payload = std::span<const uint8_t>(kPayload, len);
    InSegment seg{kRemote, kLocal, t};
    ep_->OnSegment(seg, now_);
    ++delivered_;
  }

  void Check() {
    const EndpointStats& s = ep_->stats();
    Require(s.segments_in.Get() == delivered_, "every segment counted in");
    Require(s.drops.Total() <= delivered_, "drops at most one per segment");
    Require(ep_->connection_count() <= kMaxConnections, "connection bound");
    Require(ep_->half_open_total() <= kMaxConnections, "half-open bound");
    Require(ep_->time_wait_count() <= kMaxConnections, "TIME-WAIT bound");
    size_t live = 0;
    bool synchronized = false;
    for (uint32_t i = 0; i < kMaxConnections; ++i) {
      const Connection* c = ep_->ConnectionAt(i);
      if (c == nullptr) {
        continue;
      }
      ++live;
      synchronized = synchronized || IsSynchronized(c->state());
      Require(c->state() != State::kListen, "no connection in LISTEN");
      Require(c->snd_una() <= c->snd_nxt(), "SND.UNA =< SND.NXT");
      Require(c->readable_bytes() <= kBuffer, "receive buffer bound");
      Require(c->send_queued() <= c->send_capacity(), "send buffer bound");
    }
    Require(live == ep_->connection_count(), "every connection reachable");
    ++g_steps;
    g_steps_synchronized += synchronized ? 1 : 0;
    g_steps_time_wait += ep_->time_wait_count() > 0 ? 1 : 0;
  }

  Sink sink_;
  std::unique_ptr<Endpoint> ep_;
  ListenerHandle listener_;
  std::vector<ConnHandle> handles_;
  Instant now_ = Instant::FromNanos(1'000'000'000);
  uint64_t delivered_ = 0;
  uint32_t ts_clock_ = 1;
};

}  // namespace
}  // namespace tern::tcp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tern::tcp::Reader r(std::span<const uint8_t>(data, size));
  tern::tcp::Harness h;
  for (int steps = 0; !r.done() && steps < 4096; ++steps) {
    h.Step(r);
  }
  h.Finish();
  return 0;
}

#ifdef TERN_ENDPOINT_FUZZ_DRIVER
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

// A fixed number of inputs from a seeded generator (deterministic, so a
// failure replays): each input opens with a handshake-shaped prefix half of
// the time, so most runs reach ESTABLISHED and beyond.
// endpoint_fuzz_driver [N] [FILE or DIR]...: replays the corpus files
// given (tests/fuzz/corpus/endpoint), then N generated inputs (20000).
int main(int argc, char** argv) {
  using tern::wire::tcp_flags::kAck;
  using tern::wire::tcp_flags::kSyn;
  namespace fs = std::filesystem;
  int inputs = 20000;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    if (fs::is_directory(argv[i]) || fs::is_regular_file(argv[i])) {
      tern::fuzz::AddCorpusPath(argv[i], &files);
    } else {
      inputs = std::atoi(argv[i]);
    }
  }
  for (const fs::path& p : files) {
    const std::vector<uint8_t> in = tern::fuzz::ReadFileBytes(p);
    LLVMFuzzerTestOneInput(in.data(), in.size());
  }
  std::printf("endpoint_fuzz_driver: %zu corpus files replayed\n",
              files.size());
  std::mt19937 gen(20261206);
  size_t bytes = 0;
  for (int i = 0; i < inputs; ++i) {
    std::vector<uint8_t> in(16 + gen() % 2048);
    for (uint8_t& b : in) {
      b = static_cast<uint8_t>(gen());
    }
    if (i % 2 == 0 && in.size() > 40) {
      // SYN from port 40000 with MSS, then an ACK at the expected numbers.
      // op, port, dst, flags, mode, dseq, dack, seq, ack, window, options
      // (MSS), MSS 1460; then op, port, dst, flags, mode (offsets), dseq 0,
      // dack 0, window, no options.
      const uint8_t syn[] = {0, 0, 0, kSyn, 0,    0,    0,    0,    0,
                             0, 1, 0, 0,    0xff, 0xff, 0x01, 0x05, 0xb4};
      const uint8_t ack[] = {1, 0, 0, kAck, 1, 0, 0, 0, 0, 0xff, 0xff, 0};
      std::copy(std::begin(syn), std::end(syn), in.begin());
      std::copy(std::begin(ack), std::end(ack), in.begin() + sizeof(syn));
    }
    bytes += in.size();
    LLVMFuzzerTestOneInput(in.data(), in.size());
  }
  std::printf(
      "endpoint_fuzz_driver: %d inputs (%zu bytes), %llu steps, %llu with a "
      "synchronized connection, %llu with a TIME-WAIT record; all properties "
      "held\n",
      inputs, bytes, static_cast<unsigned long long>(tern::tcp::g_steps),
      static_cast<unsigned long long>(tern::tcp::g_steps_synchronized),
      static_cast<unsigned long long>(tern::tcp::g_steps_time_wait));
  return 0;
}
#endif  // TERN_ENDPOINT_FUZZ_DRIVER
