// libtern_packetdrill.so: tern's socket API (lib/sock) and TCP core behind
// packetdrill's shared-object interface (doc/conformance.md).
//
// One Endpoint on a virtual clock. packetdrill's main thread injects packets
// (netdev_send), reads the stack's packets (netdev_receive) and moves time
// (usleep, gettimeofday); its system-call thread makes blocking calls. One
// mutex guards everything; a blocking call sleeps on a condition variable
// (a real sleep: packetdrill checks /proc for it) and is woken by every
// change. So that a woken call finishes before time moves on, every entry
// point first waits until each blocked call has seen the latest change, and
// until a call that just returned has read the clock (packetdrill's
// end_syscall reads it to time the return).
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "lib/sock/sockets.h"
#include "lib/tcp/endpoint.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/tcp_header.h"
#include "tests/packetdrill/packetdrill_abi.h"

namespace tern::packetdrill {
namespace {

// The virtual clock starts at 10^9 s after the epoch (2001): any fixed
// value works; packetdrill only uses differences.
constexpr int64_t kClockStartSeconds = 1'000'000'000;
// A blocked call or a returning one gets this long (real time) to take its
// turn before the other thread moves on regardless (a deadlock guard, never
// reached when packetdrill drives the shim).
constexpr auto kTurnTimeout = std::chrono::seconds(2);
// Descriptor numbers the shim's sockets may have (RLIMIT_NOFILE's usual
// soft limit).
constexpr size_t kMaxFds = 1024;
// TSO emulation: the largest IPv4 packet (RFC 791 total length).
constexpr size_t kMaxIpPacket = 65535;
// Linux's initial quick-ACK budget (TCP_MAX_QUICKACKS, include/net/tcp.h).
constexpr uint16_t kLinuxQuickAcks = 16;
// The window scale Linux offers with packetdrill's tcp_rmem maximum of
// 15 MiB: ilog2(15 MiB) - 15 = 8 (tcp_select_initial_window).
constexpr uint8_t kLinuxWscale = 8;
// Linux default socket buffers under packetdrill's defaults.sh
// (tcp_wmem[1] = 256 KiB, tcp_rmem[1] = 540000).
constexpr int kLinuxSndbuf = 262144;
constexpr int kLinuxRcvbuf = 540000;

pid_t ThreadId() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

struct Flags {
  bool linux_profile = false;
  bool tso = false;
  bool verbose = false;
  wire::Ipv4Addr local_ip = wire::Ipv4Addr::FromOctets(192, 168, 0, 1);
  tcp::EndpointConfig endpoint;
  tcp::ListenOptions listen;
  sock::SocketsConfig sockets;
};

[[noreturn]] void FlagError(const std::string& flags, absl::string_view what) {
  std::fprintf(stderr,
               "libtern_packetdrill: --so_flags=\"%s\": %.*s (see "
               "doc/conformance.md)\n",
               flags.c_str(), static_cast<int>(what.size()), what.data());
  std::exit(2);
}

Flags ParseFlags(const char* text) {
  const std::string all = text != nullptr ? text : "";
  Flags f;
  auto apply_linux = [&f] {
    f.linux_profile = true;
    f.tso = true;
    f.endpoint.mss = 1460;                          // 1500-byte MTU
    f.endpoint.rto.min = Duration::Millis(200);     // TCP_RTO_MIN
    f.endpoint.delayed_ack = Duration::Millis(40);  // TCP_DELACK_MIN
    f.endpoint.syn_retries = 5;     // defaults.sh: tcp_syn_retries=5
    f.endpoint.synack_retries = 5;  // defaults.sh: tcp_synack_retries=5
    tcp::ConnOptions& c = f.endpoint.conn_defaults;
    c.wscale = kLinuxWscale;
    c.quick_acks = kLinuxQuickAcks;
    c.slow_start_limit = 0;        // tcp_slow_start: cwnd += acked segments
    c.linux_window_update = true;  // tcp_cleanup_rbuf
    c.send_buffer = kLinuxSndbuf;
    c.recv_buffer = kLinuxRcvbuf;
    c.congestion = tcp::CcAlgorithm::kCubic;
    f.sockets.default_sndbuf = kLinuxSndbuf;
    f.sockets.default_rcvbuf = kLinuxRcvbuf;
  };
  for (absl::string_view item :
       absl::StrSplit(all, absl::ByAnyChar(", "), absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(item, absl::MaxSplits('=', 1));
    const absl::string_view key = kv.first;
    const absl::string_view value = kv.second;
    int n = 0;
    auto need_int = [&](int lo, int hi) {
      if (!absl::SimpleAtoi(value, &n) || n < lo || n > hi) {
        FlagError(all, std::string(key) + " expects an integer in [" +
                           std::to_string(lo) + ", " + std::to_string(hi) +
                           "], got \"" + std::string(value) + "\"");
      }
      return n;
    };
    if (key == "linux") {
      apply_linux();
    } else if (key == "verbose") {
      f.verbose = true;
    } else if (key == "local_ip") {
      std::optional<wire::Ipv4Addr> a = wire::Ipv4Addr::FromString(
          std::string_view(value.data(), value.size()));
      if (!a.has_value()) {
        FlagError(all, "local_ip expects a dotted IPv4 address");
      }
      f.local_ip = *a;
    } else if (key == "tso") {
      f.tso = need_int(0, 1) == 1;
    } else if (key == "syncookies") {
      // net.ipv4.tcp_syncookies: 0 off, 1 when the SYN queue overflows,
      // 2 always.
      const tcp::SynCookieMode modes[] = {tcp::SynCookieMode::kOff,
                                          tcp::SynCookieMode::kOnOverflow,
                                          tcp::SynCookieMode::kAlways};
      f.listen.cookies = modes[need_int(0, 2)];
    } else if (key == "syn_retries") {
      f.endpoint.syn_retries = need_int(1, 127);
    } else if (key == "synack_retries") {
      f.endpoint.synack_retries = need_int(1, 127);
    } else if (key == "retries2") {
      f.endpoint.data_retries = need_int(1, 127);
    } else if (key == "rto_min_ms") {
      f.endpoint.rto.min = Duration::Millis(need_int(1, 120000));
    } else if (key == "delack_ms") {
      f.endpoint.delayed_ack = Duration::Millis(need_int(1, 500));
    } else if (key == "mss") {
      f.endpoint.mss = static_cast<uint16_t>(need_int(88, 65495));
    } else if (key == "timestamps") {
      f.endpoint.conn_defaults.timestamps = need_int(0, 1) == 1;
    } else if (key == "sack") {
      f.endpoint.conn_defaults.sack_permitted = need_int(0, 1) == 1;
    } else if (key == "wscale") {
      f.endpoint.conn_defaults.wscale = static_cast<uint8_t>(need_int(0, 14));
    } else if (key == "quickack") {
      f.endpoint.conn_defaults.quick_acks =
          static_cast<uint16_t>(need_int(0, 65535));
    } else if (key == "fin_timeout") {
      f.endpoint.fin_wait2_timeout = Duration::Seconds(need_int(1, 86400));
    } else if (key == "somaxconn") {
      f.sockets.somaxconn = need_int(1, 65535);
    } else if (key == "tcp_abort_on_overflow") {
      f.listen.overflow = need_int(0, 1) == 1 ? tcp::AcceptOverflow::kReset
                                              : tcp::AcceptOverflow::kDrop;
    } else {
      FlagError(all, "unknown flag \"" + std::string(key) + "\"");
    }
  }
  f.sockets.local_addr = f.local_ip;
  f.sockets.conn_defaults = f.endpoint.conn_defaults;
  f.listen.conn = f.endpoint.conn_defaults;
  f.sockets.listen_defaults = f.listen;
  if (absl::Status s = f.endpoint.Validate(); !s.ok()) {
    FlagError(all, s.ToString());
  }
  return f;
}

// Descriptor numbers that are real in the process: each socket holds a
// descriptor of /dev/null, so packetdrill's final libc close() of a socket
// it did not close closes that instead of failing with EBADF.
class ProcessFds final : public sock::FdNumbers {
 public:
  int Take() override {
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    return fd >= 0 ? fd : -errno;
  }
  void Give(int fd) override { ::close(fd); }
};

struct OutPacket {
  wire::Ipv4Addr src;
  wire::Ipv4Addr dst;
  wire::TcpRepr tcp;  // payload points into `payload`
  std::vector<uint8_t> payload;
  Instant time;
  uint64_t batch = 0;
  uint32_t piece = 0;  // TSO: the size of the first merged segment
};

class Shim final : public sock::Host, public tcp::SegmentSink {
 public:
  explicit Shim(const Flags& flags) : flags_(flags) {
    now_ = Instant::FromNanos(kClockStartSeconds * 1'000'000'000);
    absl::StatusOr<std::unique_ptr<tcp::Endpoint>> ep =
        tcp::Endpoint::Create(flags_.endpoint, this, now_);
    if (!ep.ok()) {
      std::fprintf(stderr, "libtern_packetdrill: %s\n",
                   ep.status().ToString().c_str());
      std::exit(2);
    }
    ep_ = std::move(*ep);
    sock::SocketsConfig sc = flags_.sockets;
    sc.first_fd = 0;
    sc.max_fds = kMaxFds;
    sc.fd_numbers = &fds_;
    sockets_ = std::make_unique<sock::Sockets>(ep_.get(), this, sc);
  }

  ~Shim() override {
    std::unique_lock<std::mutex> lk(mu_);
    closing_ = true;
    cv_.notify_all();
    cv_.wait_for(lk, kTurnTimeout, [this] { return waiting_ == 0; });
  }

  // ---- sock::Host (called with mu_ held through tl_lock)
  Instant Now() override { return now_; }

  bool Wait(Instant deadline) override {
    std::unique_lock<std::mutex>& lk = *tl_lock;
    const uint64_t seen = epoch_;
    ++waiting_;
    cv_.notify_all();  // a barrier may be waiting for this thread to settle
    cv_.wait(lk,
             [&] { return epoch_ != seen || now_ >= deadline || closing_; });
    --waiting_;
    if (epoch_ != seen && stale_ > 0) {
      --stale_;
    }
    tl_blocked = true;
    return !closing_;
  }

  // ---- tcp::SegmentSink
  void Send(const tcp::OutSegment& in) override {
    const size_t len = in.PayloadLen();
    tcp::OutSegment seg = in;
    if (flags_.linux_profile && len > 0) {
      // Linux marks each new-data packet of a write with PSH (the tail of
      // every TSO chunk tcp_sendmsg pushes) and sends retransmissions as the
      // core does: packetdrill scripts expect "P." on new data.
      const uint64_t key = (uint64_t{seg.tcp.src_port} << 48) |
                           (uint64_t{seg.tcp.dst_port} << 32) | seg.dst.value;
      auto [it, fresh] = snd_max_.try_emplace(key, seg.tcp.seq);
      const SeqNum end = seg.tcp.seq + static_cast<uint32_t>(len);
      if (fresh || end > it->second) {
        seg.tcp.flags |= wire::tcp_flags::kPsh;
        it->second = end;
      }
    }
    if (flags_.tso && !out_.empty() && Mergeable(out_.back(), seg, len)) {
      OutPacket& last = out_.back();
      const size_t old = last.payload.size();
      last.payload.resize(old + len);
      seg.payload.CopyTo(std::span<uint8_t>(last.payload).subspan(old));
      last.tcp.flags |= seg.tcp.flags;
      last.tcp.payload = last.payload;
      return;
    }
    OutPacket p;
    p.src = seg.src;
    p.dst = seg.dst;
    p.tcp = seg.tcp;
    p.payload.resize(len);
    seg.payload.CopyTo(p.payload);
    p.tcp.payload = p.payload;
    p.time = now_;
    p.batch = batch_;
    p.piece = static_cast<uint32_t>(len);
    out_.push_back(std::move(p));
  }

  // ---- entry points; each holds the lock for its whole run
  class Call {
   public:
    explicit Call(Shim* s) : s_(s), lk_(s->mu_) {
      tl_lock = &lk_;
      tl_blocked = false;
      s_->Barrier();
      ++s_->batch_;
    }
    ~Call() {
      // A call that slept returns after the clock may have moved: it must
      // read the clock (packetdrill's end_syscall) before time moves again.
      if (tl_blocked) {
        s_->returning_ = ThreadId();
      }
      s_->Changed();
      tl_lock = nullptr;
    }
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;

   private:
    Shim* s_;
    std::unique_lock<std::mutex> lk_;
  };

  sock::Sockets& sockets() { return *sockets_; }

  int NetdevSend(const void* buf, size_t count) {
    if (buf == nullptr || count > kMaxIpPacket) {
      errno = EINVAL;
      return -1;
    }
    Call call(this);
    std::span<const uint8_t> bytes(static_cast<const uint8_t*>(buf), count);
    wire::Ipv4Repr ip;
    std::span<const uint8_t> l4;
    wire::WireError e = wire::Ipv4Repr::Parse(
        bytes, wire::Ipv4Repr::Checksum::kVerify, &ip, &l4);
    if (e != wire::WireError::kOk) {
      Log("dropped an inbound packet: %s", wire::ToString(e));
      return 0;  // the stack drops it, as a kernel would
    }
    if (ip.protocol != wire::kIpProtoTcp) {
      Log("ignored an inbound packet of IP protocol %u", ip.protocol);
      return 0;
    }
    tcp::InSegment seg;
    seg.src = ip.src;
    seg.dst = ip.dst;
    e = wire::TcpRepr::Parse(l4, ip.src, ip.dst,
                             wire::TcpRepr::Checksum::kVerify, &seg.tcp);
    if (e != wire::WireError::kOk) {
      Log("dropped an inbound TCP segment: %s", wire::ToString(e));
      return 0;
    }
    ep_->OnSegment(seg, now_);
    return 0;
  }

  int NetdevReceive(void* buf, size_t* count, long long* time_usecs) {
    if (buf == nullptr || count == nullptr) {
      errno = EINVAL;
      return -1;
    }
    Call call(this);
    while (out_.empty()) {
      // Nothing queued: time moves to the stack's next deadline, as it would
      // while a kernel's timers ran. With none, nothing can ever leave.
      Instant next = ep_->NextDeadline();
      if (next == Instant::Never()) {
        *count = 0;
        return 0;
      }
      AdvanceTo(std::max(next, now_ + Duration::Micros(1)));
    }
    OutPacket p = std::move(out_.front());
    out_.pop_front();
    p.tcp.payload = p.payload;
    wire::Ipv4Repr ip;
    ip.src = p.src;
    ip.dst = p.dst;
    ip.protocol = wire::kIpProtoTcp;
    ip.id = ip_id_++;
    ip.payload_len = static_cast<uint16_t>(p.tcp.BufferLen());
    const size_t total = ip.BufferLen();
    if (*count < total) {
      errno = EMSGSIZE;
      return -1;
    }
    std::span<uint8_t> out(static_cast<uint8_t*>(buf), total);
    ip.Emit(out.first(wire::Ipv4Repr::HeaderLen()));
    p.tcp.Emit(out.subspan(wire::Ipv4Repr::HeaderLen()), ip.src, ip.dst);
    *count = total;
    if (time_usecs != nullptr) {
      *time_usecs = p.time.ToNanos() / 1000;
    }
    return 0;
  }

  int Usleep(useconds_t usec) {
    Call call(this);
    AdvanceTo(now_ + Duration::Micros(usec));
    return 0;
  }

  int GetTimeOfDay(timeval* tv) {
    std::unique_lock<std::mutex> lk(mu_);
    tl_lock = &lk;
    if (returning_ == ThreadId()) {
      returning_.reset();
      cv_.notify_all();
    }
    Barrier();
    // Each reading moves the clock by 1 us, so that packetdrill's final
    // spin before an event (it polls the clock for the last 20 us) ends.
    AdvanceTo(now_ + Duration::Micros(1));
    Changed();
    tl_lock = nullptr;
    if (tv != nullptr) {
      const int64_t us = now_.ToNanos() / 1000;
      tv->tv_sec = us / 1000000;
      tv->tv_usec = us % 1000000;
    }
    return 0;
  }

 private:
  bool Mergeable(const OutPacket& last, const tcp::OutSegment& seg,
                 size_t len) const {
    // Linux hands its device one TSO/GSO packet for a run of full-sized
    // segments sent together; packetdrill scripts expect those runs whole.
    using namespace wire::tcp_flags;
    const uint8_t banned = kSyn | kRst | kFin;
    return last.batch == batch_ && len > 0 && last.payload.size() > 0 &&
           (last.tcp.flags & banned) == 0 &&
           (seg.tcp.flags & (kSyn | kRst)) == 0 && last.src == seg.src &&
           last.dst == seg.dst && last.tcp.src_port == seg.tcp.src_port &&
           last.tcp.dst_port == seg.tcp.dst_port &&
           last.tcp.seq + static_cast<uint32_t>(last.payload.size()) ==
               seg.tcp.seq &&
           last.tcp.ack == seg.tcp.ack && last.tcp.window == seg.tcp.window &&
           last.tcp.options == seg.tcp.options &&
           last.payload.size() % last.piece == 0 && len <= last.piece &&
           wire::Ipv4Repr::HeaderLen() + last.tcp.HeaderLen() +
                   last.payload.size() + len <=
               kMaxIpPacket;
  }

  void Barrier() {
    const pid_t self = ThreadId();
    cv_.wait_for(*tl_lock, kTurnTimeout, [&] {
      return stale_ == 0 && (!returning_.has_value() || *returning_ == self);
    });
  }

  // Something changed: every blocked call must look again before anyone
  // moves on.
  void Changed() {
    ++epoch_;
    stale_ = waiting_;
    cv_.notify_all();
    Barrier();
  }

  void AdvanceTo(Instant t) {
    for (int guard = 0; guard < 1'000'000; ++guard) {
      Instant next = ep_->NextDeadline();
      if (next > t) {
        break;
      }
      now_ = std::max(now_, next);
      ++batch_;
      ep_->OnTimers(now_);
      Changed();
      if (ep_->NextDeadline() <= now_) {
        // NextDeadline is a lower bound: step one wheel tick (65.536 us).
        now_ = std::min(t, now_ + Duration::Micros(66));
      }
    }
    if (t > now_) {
      now_ = t;
      ++batch_;
      ep_->OnTimers(now_);
      Changed();
    }
  }

  template <typename... Args>
  void Log(const char* fmt, Args... args) {
    if (flags_.verbose) {
      std::fprintf(stderr, "libtern_packetdrill: ");
      std::fprintf(stderr, fmt, args...);
      std::fprintf(stderr, "\n");
    }
  }

  static thread_local std::unique_lock<std::mutex>* tl_lock;
  static thread_local bool tl_blocked;

  Flags flags_;
  ProcessFds fds_;
  std::mutex mu_;
  std::condition_variable cv_;
  Instant now_;
  std::unique_ptr<tcp::Endpoint> ep_;
  std::unique_ptr<sock::Sockets> sockets_;
  std::deque<OutPacket> out_;
  // Highest sequence number sent per connection (ports and peer address),
  // for the linux profile's PSH marking.
  std::map<uint64_t, SeqNum> snd_max_;
  uint64_t epoch_ = 0;
  uint64_t batch_ = 0;
  int waiting_ = 0;
  int stale_ = 0;
  std::optional<pid_t> returning_;
  bool closing_ = false;
  uint16_t ip_id_ = 1;
};

thread_local std::unique_lock<std::mutex>* Shim::tl_lock = nullptr;
thread_local bool Shim::tl_blocked = false;

Shim* S(void* userdata) { return static_cast<Shim*>(userdata); }

// Kernel-style -errno to the libc convention.
template <typename T>
T Ret(T r) {
  if (r < 0) {
    errno = static_cast<int>(-r);
    return -1;
  }
  return r;
}

#define TERN_SOCK_CALL(ud, expr)       \
  Shim* shim = S(ud);                  \
  Shim::Call call(shim);               \
  sock::Sockets& so = shim->sockets(); \
  return Ret(expr)

void Free(void* ud) { delete S(ud); }
int Socket(void* ud, int domain, int type, int protocol) {
  TERN_SOCK_CALL(ud, so.Socket(domain, type, protocol));
}
int Bind(void* ud, int fd, const sockaddr* a, socklen_t l) {
  TERN_SOCK_CALL(ud, so.Bind(fd, a, l));
}
int Listen(void* ud, int fd, int backlog) {
  TERN_SOCK_CALL(ud, so.Listen(fd, backlog));
}
int Accept(void* ud, int fd, sockaddr* a, socklen_t* l) {
  TERN_SOCK_CALL(ud, so.Accept(fd, a, l));
}
int Connect(void* ud, int fd, const sockaddr* a, socklen_t l) {
  TERN_SOCK_CALL(ud, so.Connect(fd, a, l));
}
ssize_t Read(void* ud, int fd, void* buf, size_t n) {
  TERN_SOCK_CALL(ud, so.Recv(fd, buf, n, 0));
}
ssize_t Readv(void* ud, int fd, const iovec* iov, int n) {
  TERN_SOCK_CALL(ud, so.Recv(fd, iov, n, 0));
}
ssize_t RecvCall(void* ud, int fd, void* buf, size_t n, int flags) {
  TERN_SOCK_CALL(ud, so.Recv(fd, buf, n, flags));
}
ssize_t RecvFrom(void* ud, int fd, void* buf, size_t n, int flags, sockaddr* a,
                 socklen_t* l) {
  if (a != nullptr && l != nullptr) {
    *l = 0;  // TCP reports no source address (Linux)
  }
  TERN_SOCK_CALL(ud, so.Recv(fd, buf, n, flags));
}
ssize_t RecvMsg(void* ud, int fd, msghdr* m, int flags) {
  TERN_SOCK_CALL(ud, so.RecvMsg(fd, m, flags));
}
ssize_t Write(void* ud, int fd, const void* buf, size_t n) {
  TERN_SOCK_CALL(ud, so.Send(fd, buf, n, 0));
}
ssize_t Writev(void* ud, int fd, const iovec* iov, int n) {
  TERN_SOCK_CALL(ud, so.Send(fd, iov, n, 0));
}
ssize_t SendCall(void* ud, int fd, const void* buf, size_t n, int flags) {
  TERN_SOCK_CALL(ud, so.Send(fd, buf, n, flags));
}
ssize_t SendTo(void* ud, int fd, const void* buf, size_t n, int flags,
               const sockaddr*, socklen_t) {
  TERN_SOCK_CALL(ud, so.Send(fd, buf, n, flags));
}
ssize_t SendMsg(void* ud, int fd, const msghdr* m, int flags) {
  TERN_SOCK_CALL(ud, so.SendMsg(fd, m, flags));
}
int Fcntl(void* ud, int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = 0;
  if (cmd == F_SETFL || cmd == F_SETFD) {
    arg = va_arg(ap, long);
  }
  va_end(ap);
  TERN_SOCK_CALL(ud, so.Fcntl(fd, cmd, arg));
}
int Ioctl(void* ud, int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  TERN_SOCK_CALL(ud, so.Ioctl(fd, request, arg));
}
int CloseCall(void* ud, int fd) { TERN_SOCK_CALL(ud, so.Close(fd)); }
int ShutdownCall(void* ud, int fd, int how) {
  TERN_SOCK_CALL(ud, so.Shutdown(fd, how));
}
int GetSockOpt(void* ud, int fd, int level, int name, void* v, socklen_t* l) {
  TERN_SOCK_CALL(ud, so.GetSockOpt(fd, level, name, v, l));
}
int SetSockOpt(void* ud, int fd, int level, int name, const void* v,
               socklen_t l) {
  TERN_SOCK_CALL(ud, so.SetSockOpt(fd, level, name, v, l));
}
int PollCall(void* ud, pollfd* fds, nfds_t n, int timeout) {
  TERN_SOCK_CALL(ud, so.Poll(fds, n, timeout));
}
int NetdevSend(void* ud, const void* buf, size_t n) {
  return S(ud)->NetdevSend(buf, n);
}
int NetdevReceive(void* ud, void* buf, size_t* n, long long* t) {
  return S(ud)->NetdevReceive(buf, n, t);
}
int Usleep(void* ud, useconds_t usec) { return S(ud)->Usleep(usec); }
int GetTimeOfDay(void* ud, timeval* tv, void*) {
  return S(ud)->GetTimeOfDay(tv);
}
int EpollCreate(void* ud, int size) {
  TERN_SOCK_CALL(ud, so.EpollCreate(size));
}
int EpollCtl(void* ud, int epfd, int op, int fd, epoll_event* ev) {
  TERN_SOCK_CALL(ud, so.EpollCtl(epfd, op, fd, ev));
}
int EpollWait(void* ud, int epfd, epoll_event* evs, int max, int timeout) {
  TERN_SOCK_CALL(ud, so.EpollWait(epfd, evs, max, timeout));
}
int Pipe(void*, int*) {
  errno = ENOSYS;  // tern has no pipes (doc/conformance.md)
  return -1;
}
int Splice(void*, int, loff_t*, int, loff_t*, size_t, unsigned int) {
  errno = ENOSYS;
  return -1;
}

}  // namespace
}  // namespace tern::packetdrill

extern "C" __attribute__((visibility("default"))) void
packetdrill_interface_init(const char* flags, packetdrill_interface* iface) {
  using namespace tern::packetdrill;
  *iface = packetdrill_interface{};
  iface->userdata = new Shim(ParseFlags(flags));
  iface->free = Free;
  iface->socket = Socket;
  iface->bind = Bind;
  iface->listen = Listen;
  iface->accept = Accept;
  iface->connect = Connect;
  iface->read = Read;
  iface->readv = Readv;
  iface->recv = RecvCall;
  iface->recvfrom = RecvFrom;
  iface->recvmsg = RecvMsg;
  iface->write = Write;
  iface->writev = Writev;
  iface->send = SendCall;
  iface->sendto = SendTo;
  iface->sendmsg = SendMsg;
  iface->fcntl = Fcntl;
  iface->ioctl = Ioctl;
  iface->close = CloseCall;
  iface->shutdown = ShutdownCall;
  iface->getsockopt = GetSockOpt;
  iface->setsockopt = SetSockOpt;
  iface->poll = PollCall;
  iface->netdev_send = NetdevSend;
  iface->netdev_receive = NetdevReceive;
  iface->usleep = Usleep;
  iface->gettimeofday = GetTimeOfDay;
  iface->epoll_create = EpollCreate;
  iface->epoll_ctl = EpollCtl;
  iface->epoll_wait = EpollWait;
  iface->pipe = Pipe;
  iface->splice = Splice;
}
