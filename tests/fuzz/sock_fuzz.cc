// Fuzzing of the socket layer (lib/sock/sockets.h): arbitrary sequences of
// socket calls (socket, bind, listen, accept, connect, send, recv, shutdown,
// close, setsockopt, getsockopt, fcntl, poll, epoll) and of segments from
// peers, over one Endpoint with a fake clock, invariants checked after
// every step and at the end.
//
// Peer segments are aimed at 4-tuples the endpoint has sent to (their
// sequence and acknowledgment numbers offsets from what it last sent, as in
// endpoint_fuzz.cc) or at the listening port from fresh remote ports.
//
// Properties (a violation aborts; ASan and UBSan catch memory and
// arithmetic errors):
// - every call returns a value >= 0 or a negative errno (-4095..-1), and
//   the descriptors socket, accept and epoll_create return are within
//   [first_fd, first_fd + max_fds) and not already open;
// - open_fds() equals the descriptors the harness holds;
// - every segment sent re-parses with its checksum and has no port 0;
// - poll reports at most nfds ready descriptors, epoll_wait at most
//   max_events;
// - at the end, with every descriptor closed and the clock run four hours
//   on: no descriptor, connection, half-open or TIME-WAIT record and no
//   buffer byte is left.
//
// Built two ways (tests/fuzz/meson.build): with -fsanitize=fuzzer a
// libFuzzer target; with TERN_SOCK_FUZZ_DRIVER a driver that replays the
// corpus files given (tests/fuzz/corpus/sock) and a fixed number of inputs
// from a seeded generator.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

#include "lib/sock/sockets.h"
#include "lib/tcp/endpoint.h"
#include "tests/fuzz/fuzz_input.h"

#ifdef TERN_SOCK_FUZZ_DRIVER
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#endif

namespace tern::sock {
namespace {

using namespace wire::tcp_flags;  // NOLINT

constexpr wire::Ipv4Addr kLocal = wire::Ipv4Addr::FromOctets(192, 0, 2, 1);
constexpr wire::Ipv4Addr kRemote = wire::Ipv4Addr::FromOctets(198, 51, 100, 7);
constexpr uint16_t kRemoteServerPort = 8080;
constexpr size_t kMaxFds = 16;
constexpr int kFirstFd = 3;

uint64_t g_steps = 0;
uint64_t g_calls_ok = 0;

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "sock_fuzz: property violated: %s\n", what);
    std::abort();
  }
}

// A 4-tuple the endpoint has sent to, and what it last sent there.
struct Flow {
  uint16_t local_port = 0;
  uint16_t remote_port = 0;
  SeqNum our_next;
  SeqNum our_ack;
};

class Sink final : public tcp::SegmentSink {
 public:
  void Send(const tcp::OutSegment& s) override {
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
    Flow* f = nullptr;
    for (Flow& g : flows) {
      if (g.local_port == s.tcp.src_port && g.remote_port == s.tcp.dst_port) {
        f = &g;
      }
    }
    if (f == nullptr) {
      if (flows.size() >= 16) {
        return;
      }
      flows.push_back(Flow{s.tcp.src_port, s.tcp.dst_port, {}, {}});
      f = &flows.back();
    }
    f->our_next = s.tcp.seq + t.SegLen();
    if (s.tcp.Has(kAck)) {
      f->our_ack = s.tcp.ack;
    }
  }
  std::vector<Flow> flows;
};

class FakeHost final : public Host {
 public:
  Instant Now() override { return now; }
  // Never blocks: a blocking call returns as a non-blocking one would.
  bool Wait(Instant) override { return false; }
  Instant now = Instant::FromNanos(1'000'000'000);
};

using Reader = ::tern::fuzz::FuzzReader;

class Harness {
 public:
  Harness() {
    tcp::EndpointConfig config;
    config.max_connections = 16;
    config.max_half_open = 16;
    config.max_time_wait = 16;
    tcp::Endpoint::Secrets secrets;
    secrets.isn_key = SipKey{5, 6};
    secrets.table_key = std::array<uint8_t, 16>{1, 2,  3,  4,  5,  6,  7,  8,
                                                9, 10, 11, 12, 13, 14, 15, 16};
    absl::StatusOr<std::unique_ptr<tcp::Endpoint>> ep =
        tcp::Endpoint::Create(config, &sink_, host_.now, secrets);
    Require(ep.ok(), "endpoint created");
    ep_ = std::move(*ep);
    SocketsConfig sc;
    sc.local_addr = kLocal;
    sc.first_fd = kFirstFd;
    sc.max_fds = kMaxFds;
    sc.max_epoll_entries = 8;
    sc.conn_defaults.send_buffer = 8192;
    sc.conn_defaults.recv_buffer = 8192;
    socks_ = std::make_unique<Sockets>(ep_.get(), &host_, sc);
  }

  void Step(Reader& r) {
    const uint8_t op = r.U8();
    switch (op % 16) {
      case 0:
      case 1:
      case 2:
      case 3:
        Segment(r);
        break;
      case 4: {
        const Instant end = host_.now + Duration::Millis(1 + r.U16());
        RunTimers(end);
        break;
      }
      case 5: {
        const int flags = (r.U8() & 1) != 0 ? SOCK_NONBLOCK : 0;
        NewFd(socks_->Socket(AF_INET, SOCK_STREAM | flags, 0));
        break;
      }
      case 6: {
        const int fd = Pick(r);
        sockaddr_in a = Addr((r.U8() & 1) != 0 ? kLocal : wire::Ipv4Addr{},
                             (r.U8() & 3) != 0 ? 80 : r.U16());
        Ret(socks_->Bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)));
        break;
      }
      case 7: {
        const int fd = Pick(r);
        Ret(socks_->Listen(fd, static_cast<int8_t>(r.U8())));
        break;
      }
      case 8: {
        const int fd = Pick(r);
        sockaddr_in a{};
        socklen_t len = sizeof(a);
        NewFd(socks_->Accept(fd, reinterpret_cast<sockaddr*>(&a), &len,
                             (r.U8() & 1) != 0 ? SOCK_NONBLOCK : 0));
        break;
      }
      case 9: {
        const int fd = Pick(r);
        sockaddr_in a =
            Addr(kRemote, (r.U8() & 3) != 0 ? kRemoteServerPort : r.U16());
        Ret(socks_->Connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)));
        break;
      }
      case 10: {
        static const uint8_t kData[16384] = {};
        const int fd = Pick(r);
        const size_t n = r.U16() % sizeof(kData);
        const int flags = (r.U8() & 1) != 0 ? MSG_DONTWAIT : 0;
        Ret(socks_->Send(fd, kData, n, flags));
        break;
      }
      case 11: {
        uint8_t buf[4096];
        const int fd = Pick(r);
        const size_t n = r.U16() % sizeof(buf);
        const uint8_t f = r.U8();
        const int flags = ((f & 1) != 0 ? MSG_PEEK : 0) |
                          ((f & 2) != 0 ? MSG_DONTWAIT : 0) |
                          ((f & 4) != 0 ? MSG_WAITALL : 0);
        Ret(socks_->Recv(fd, buf, n, flags));
        break;
      }
      case 12: {
        const int fd = Pick(r);
        Ret(socks_->Shutdown(fd, r.U8() % 4));
        break;
      }
      case 13: {
        const int fd = Pick(r);
        const int ret = socks_->Close(fd);
        Ret(ret);
        if (ret == 0) {
          fds_.erase(std::find(fds_.begin(), fds_.end(), fd));
        }
        break;
      }
      case 14:
        Option(r);
        break;
      case 15:
        Readiness(r);
        break;
    }
    Check();
  }

  void Finish() {
    for (int fd : fds_) {
      Require(socks_->Close(fd) == 0, "close of an open descriptor succeeds");
    }
    fds_.clear();
    RunTimers(host_.now + Duration::Seconds(4 * 3600));
    Check();
    Require(socks_->open_fds() == 0, "no descriptor left");
    Require(ep_->connection_count() == 0, "no connection left");
    Require(ep_->half_open_total() == 0, "no half-open record left");
    Require(ep_->time_wait_count() == 0, "no TIME-WAIT record left");
    Require(ep_->buffer_bytes() == 0, "no buffer byte left");
  }

 private:
  static sockaddr_in Addr(wire::Ipv4Addr a, uint16_t port) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(a.value);
    return sin;
  }

  // One of the open descriptors, or (one time in the list's size + 1) a
  // descriptor that is not open.
  int Pick(Reader& r) {
    const uint8_t b = r.U8();
    if (fds_.empty() || b % (fds_.size() + 1) == fds_.size()) {
      return (b & 1) != 0 ? -1 : kFirstFd + static_cast<int>(kMaxFds) - 1;
    }
    return fds_[b % fds_.size()];
  }

  void Ret(long ret) {
    Require(ret >= -4095, "a negative return is an errno");
    g_calls_ok += ret >= 0 ? 1 : 0;
  }

  void NewFd(int fd) {
    Ret(fd);
    if (fd < 0) {
      return;
    }
    Require(fd >= kFirstFd && fd < kFirstFd + static_cast<int>(kMaxFds),
            "descriptor within [first_fd, first_fd + max_fds)");
    Require(std::find(fds_.begin(), fds_.end(), fd) == fds_.end(),
            "a new descriptor is not already open");
    fds_.push_back(fd);
  }

  void Option(Reader& r) {
    struct Opt {
      int level, name;
    };
    static constexpr Opt kOpts[] = {
        {SOL_SOCKET, SO_SNDBUF},     {SOL_SOCKET, SO_RCVBUF},
        {SOL_SOCKET, SO_KEEPALIVE},  {SOL_SOCKET, SO_REUSEADDR},
        {SOL_SOCKET, SO_LINGER},     {SOL_SOCKET, SO_ERROR},
        {IPPROTO_TCP, TCP_NODELAY},  {IPPROTO_TCP, TCP_MAXSEG},
        {IPPROTO_TCP, TCP_KEEPIDLE}, {IPPROTO_TCP, TCP_KEEPINTVL},
        {IPPROTO_TCP, TCP_KEEPCNT},  {IPPROTO_TCP, TCP_INFO},
        {IPPROTO_TCP, TCP_QUICKACK}, {SOL_SOCKET, SO_RCVTIMEO},
        {SOL_SOCKET, SO_TYPE},       {IPPROTO_TCP, TCP_CONGESTION},
    };
    const int fd = Pick(r);
    const Opt o = kOpts[r.U8() % std::size(kOpts)];
    const uint8_t mode = r.U8();
    alignas(8) uint8_t value[256] = {};
    for (size_t i = 0; i < 16; ++i) {
      value[i] = r.U8();
    }
    // Lengths around the ones the options take, and a few odd ones.
    static constexpr socklen_t kLens[] = {0, 1, 4, 8, 16, 255};
    socklen_t len = kLens[mode % std::size(kLens)];
    if ((mode & 0x80) != 0) {
      Ret(socks_->SetSockOpt(fd, o.level, o.name, value, len));
    } else {
      Ret(socks_->GetSockOpt(fd, o.level, o.name, value, &len));
      Require(len <= sizeof(value), "getsockopt length within the buffer");
    }
    if ((mode & 0x40) != 0) {
      Ret(socks_->Fcntl(fd, F_SETFL, (mode & 1) != 0 ? O_NONBLOCK : 0));
      Ret(socks_->Fcntl(fd, F_GETFL, 0));
    }
  }

  void Readiness(Reader& r) {
    const uint8_t mode = r.U8();
    if ((mode & 1) == 0) {
      pollfd pfds[kMaxFds + 1];
      nfds_t n = 0;
      for (int fd : fds_) {
        pfds[n++] = pollfd{fd, static_cast<short>(POLLIN | POLLOUT), 0};
      }
      pfds[n++] = pollfd{Pick(r), POLLIN, 0};
      const int ret = socks_->Poll(pfds, n, 0);
      Ret(ret);
      Require(ret <= static_cast<int>(n), "poll reports at most nfds");
      return;
    }
    if ((mode & 2) != 0 || epfd_ < 0) {
      const int ep = socks_->EpollCreate1(0);
      NewFd(ep);
      if (ep >= 0) {
        epfd_ = ep;
      }
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | ((mode & 4) != 0 ? EPOLLET : 0u);
    const int fd = Pick(r);
    ev.data.fd = fd;
    const int op = 1 + (mode >> 3) % 3;  // ADD, DEL, MOD
    Ret(socks_->EpollCtl(epfd_, op, fd, &ev));
    epoll_event out[4];
    const int ret = socks_->EpollWait(epfd_, out, 4, 0);
    Ret(ret);
    Require(ret <= 4, "epoll_wait reports at most max_events");
  }

  void Segment(Reader& r) {
    const uint8_t which = r.U8();
    wire::TcpRepr t;
    const Flow* f = nullptr;
    if (!sink_.flows.empty() && which % 4 != 0) {
      f = &sink_.flows[which % sink_.flows.size()];
      t.src_port = f->remote_port;
      t.dst_port = f->local_port;
    } else {
      t.src_port = static_cast<uint16_t>(40000 + which % 4);
      t.dst_port = 80;
    }
    t.flags = r.U8();
    const uint8_t mode = r.U8();
    const int16_t dseq = static_cast<int16_t>(r.U16());
    const int16_t dack = static_cast<int16_t>(r.U16());
    if (f != nullptr && mode % 8 != 0) {
      t.seq = f->our_ack +
              ((mode & 2) != 0 ? 0u : static_cast<uint32_t>(dseq / 64));
      t.ack = f->our_next +
              ((mode & 4) != 0 ? 0u : static_cast<uint32_t>(dack / 64));
    } else {
      t.seq = SeqNum(r.U32());
      t.ack = SeqNum(r.U32());
    }
    t.window = r.U16();
    if (t.Has(kSyn)) {
      t.options.mss = 1460;
    }
    static const uint8_t kPayload[1400] = {};
    const uint8_t lb = r.U8();
    t.payload = std::span<const uint8_t>(
        kPayload, (lb & 1) != 0 ? std::size_t{lb} * 5 % 1400 : 0);
    ep_->OnSegment(tcp::InSegment{kRemote, kLocal, t}, host_.now);
  }

  void RunTimers(Instant end) {
    for (int guard = 0; guard < 1'000'000; ++guard) {
      const Instant d = ep_->NextDeadline();
      if (d > end) {
        break;
      }
      host_.now = d > host_.now ? d : host_.now;
      ep_->OnTimers(host_.now);
    }
    host_.now = end;
    ep_->OnTimers(host_.now);
  }

  void Check() {
    ++g_steps;
    Require(socks_->open_fds() == fds_.size(),
            "open_fds() counts the descriptors handed out");
    Require(ep_->connection_count() <= 16, "connection bound");
  }

  Sink sink_;
  FakeHost host_;
  std::unique_ptr<tcp::Endpoint> ep_;
  std::unique_ptr<Sockets> socks_;
  std::vector<int> fds_;
  int epfd_ = -1;
};

}  // namespace
}  // namespace tern::sock

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tern::sock::Reader r(std::span<const uint8_t>(data, size));
  tern::sock::Harness h;
  for (int steps = 0; !r.done() && steps < 2048; ++steps) {
    h.Step(r);
  }
  h.Finish();
  return 0;
}

#ifdef TERN_SOCK_FUZZ_DRIVER
// sock_fuzz_driver [N] [FILE or DIR]...: the corpus files, then N inputs
// (default 5000) from a seeded generator, half of them continuing a prefix
// of a corpus file.
int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  int generated = 5000;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    if (fs::is_directory(argv[i]) || fs::is_regular_file(argv[i])) {
      tern::fuzz::AddCorpusPath(argv[i], &files);
    } else {
      generated = std::atoi(argv[i]);
    }
  }
  std::vector<std::vector<uint8_t>> seeds;
  for (const fs::path& p : files) {
    seeds.push_back(tern::fuzz::ReadFileBytes(p));
    LLVMFuzzerTestOneInput(seeds.back().data(), seeds.back().size());
  }
  std::mt19937 gen(20261206);
  for (int i = 0; i < generated; ++i) {
    std::vector<uint8_t> in;
    if (!seeds.empty() && i % 2 == 0) {
      const std::vector<uint8_t>& s = seeds[gen() % seeds.size()];
      in.assign(s.begin(), s.begin() + gen() % (s.size() + 1));
    }
    const size_t tail = 1 + gen() % 1024;
    for (size_t k = 0; k < tail; ++k) {
      in.push_back(static_cast<uint8_t>(gen()));
    }
    LLVMFuzzerTestOneInput(in.data(), in.size());
  }
  std::printf(
      "sock_fuzz_driver: %zu files and %d generated inputs, %llu steps, %llu "
      "calls that succeeded; all properties held\n",
      files.size(), generated,
      static_cast<unsigned long long>(tern::sock::g_steps),
      static_cast<unsigned long long>(tern::sock::g_calls_ok));
  return 0;
}
#endif  // TERN_SOCK_FUZZ_DRIVER
