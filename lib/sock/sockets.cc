#include "lib/sock/sockets.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>

namespace tern::sock {
namespace {

using tcp::State;

// Linux's bounds on socket options (include/net/tcp.h, include/net/sock.h).
constexpr int kTcpMinMss = 88;                // TCP_MIN_MSS
constexpr int kMaxTcpWindow = 32767 * 2 + 1;  // MAX_TCP_WINDOW = 65535
constexpr int kMaxKeepIdle = 32767;           // MAX_TCP_KEEPIDLE / KEEPINTVL
constexpr int kMaxKeepCnt = 127;              // MAX_TCP_KEEPCNT
constexpr int kTcpMssDefault = 536;  // TCP_MSS_DEFAULT (RFC 9293 3.7.1)
// SOCK_MIN_SNDBUF / SOCK_MIN_RCVBUF: twice and once TCP_SKB_MIN_TRUESIZE
// (2048 + 256 bytes of struct sk_buff on x86-64).
constexpr int kMinSndbuf = 4608;
constexpr int kMinRcvbuf = 2304;
// Ephemeral ports for bind(port 0) and listen on an unbound socket: Linux's
// ip_local_port_range default 32768-60999.
constexpr uint16_t kEphemeralLow = 32768;
constexpr uint16_t kEphemeralHigh = 60999;

bool Handshaking(State s) {
  return s == State::kSynSent || s == State::kSynReceived;
}

// Linux's sk_state == TCP_CLOSE as the socket sees it: a connection that was
// reset, timed out, or finished (TIME-WAIT belongs to the kernel, not the
// socket, once tcp_done ran).
bool ClosedState(State s) {
  return s == State::kClosed || s == State::kTimeWait;
}

// setsockopt's copy-in: Linux checks the length (EINVAL), then copies
// (EFAULT for a bad pointer; sock_setsockopt, do_tcp_setsockopt).
int ReadInt(const void* value, socklen_t len, int* out) {
  if (len < sizeof(int)) {
    return -EINVAL;
  }
  if (value == nullptr) {
    return -EFAULT;
  }
  std::memcpy(out, value, sizeof(int));
  return 0;
}

// getsockopt's copy-out for int options: Linux copies min(len, 4) bytes.
int WriteInt(int v, void* value, socklen_t* len) {
  if (len == nullptr) {
    return -EFAULT;
  }
  if (static_cast<int>(*len) < 0) {
    return -EINVAL;
  }
  socklen_t n = std::min<socklen_t>(*len, sizeof(int));
  if (n > 0 && value == nullptr) {
    return -EFAULT;
  }
  std::memcpy(value, &v, n);
  *len = n;
  return 0;
}

int ReadTimeval(const void* value, socklen_t len, Duration* out) {
  if (len < sizeof(timeval)) {
    return -EINVAL;
  }
  if (value == nullptr) {
    return -EFAULT;
  }
  timeval tv;
  std::memcpy(&tv, value, sizeof(tv));
  if (tv.tv_usec < 0 || tv.tv_usec >= 1000000) {
    return -EDOM;
  }
  if (tv.tv_sec < 0) {
    *out = Duration::Zero();  // Linux: a negative timeout means none
    return 0;
  }
  // Linux's sock_set_timeout: a timeout too long for the scheduler is no
  // timeout (getsockopt then reads {0, 0}). Here the bound keeps the
  // nanoseconds, and a deadline Now() + timeout, inside int64_t: 10^9 s is
  // about 31.7 years. (sock_fuzz found tv_sec * 10^9 overflowing.)
  constexpr int64_t kMaxTimeoutSeconds = 1'000'000'000;
  if (tv.tv_sec >= kMaxTimeoutSeconds) {
    *out = Duration::Zero();
    return 0;
  }
  *out = Duration::Seconds(tv.tv_sec) + Duration::Micros(tv.tv_usec);
  return 0;
}

int WriteTimeval(Duration d, void* value, socklen_t* len) {
  if (len == nullptr || value == nullptr) {
    return -EFAULT;
  }
  if (*len < sizeof(timeval)) {
    return -EINVAL;
  }
  timeval tv;
  tv.tv_sec = d.ToMicros() / 1000000;
  tv.tv_usec = d.ToMicros() % 1000000;
  std::memcpy(value, &tv, sizeof(tv));
  *len = sizeof(tv);
  return 0;
}

size_t IovTotal(const iovec* iov, int iovcnt) {
  size_t total = 0;
  for (int i = 0; i < iovcnt; ++i) {
    total += iov[i].iov_len;
  }
  return total;
}

}  // namespace

Sockets::Sockets(tcp::Endpoint* endpoint, Host* host,
                 const SocketsConfig& config)
    : ep_(endpoint), host_(host), config_(config) {
  socks_.resize(config_.max_fds);
}

Sockets::~Sockets() = default;

Instant Sockets::Now() { return host_ != nullptr ? host_->Now() : Instant(); }

Instant Sockets::DeadlineAfter(Duration timeout) {
  return timeout == Duration::Zero() ? Instant::Never() : Now() + timeout;
}

bool Sockets::Block(Instant deadline) {
  if (host_ == nullptr || Now() >= deadline) {
    return false;
  }
  return host_->Wait(deadline);
}

Sockets::Sock* Sockets::Get(int fd) {
  if (fd < config_.first_fd ||
      static_cast<size_t>(fd - config_.first_fd) >= socks_.size()) {
    return nullptr;
  }
  Sock* s = &socks_[static_cast<size_t>(fd - config_.first_fd)];
  return s->kind == Kind::kFree ? nullptr : s;
}

int Sockets::GetTcp(int fd, Sock** out) {
  Sock* s = Get(fd);
  if (s == nullptr) {
    return -EBADF;
  }
  if (s->kind != Kind::kTcp) {
    return -ENOTSOCK;
  }
  *out = s;
  return 0;
}

int Sockets::Alloc() {
  if (config_.fd_numbers != nullptr) {
    int fd = config_.fd_numbers->Take();
    if (fd < 0) {
      return fd;
    }
    if (fd < config_.first_fd ||
        static_cast<size_t>(fd - config_.first_fd) >= socks_.size() ||
        socks_[static_cast<size_t>(fd - config_.first_fd)].kind !=
            Kind::kFree) {
      config_.fd_numbers->Give(fd);
      return -EMFILE;
    }
    Sock& s = socks_[static_cast<size_t>(fd - config_.first_fd)];
    s = Sock{};
    s.kind = Kind::kTcp;  // callers set what it really is
    ++open_;
    return fd;
  }
  // POSIX: the lowest free descriptor.
  for (size_t i = 0; i < socks_.size(); ++i) {
    if (socks_[i].kind == Kind::kFree) {
      socks_[i] = Sock{};
      socks_[i].kind = Kind::kTcp;  // callers set what it really is
      ++open_;
      return config_.first_fd + static_cast<int>(i);
    }
  }
  return -EMFILE;
}

void Sockets::Free(int fd) {
  Sock* s = Get(fd);
  if (s != nullptr) {
    *s = Sock{};
    --open_;
    if (config_.fd_numbers != nullptr) {
      config_.fd_numbers->Give(fd);
    }
  }
}

const tcp::Connection* Sockets::Conn(const Sock& s) const {
  return s.conn.valid() ? ep_->Find(s.conn) : nullptr;
}

int Sockets::ToErrno(tcp::SockError e) {
  switch (e) {
    case tcp::SockError::kOk:
      return 0;
    case tcp::SockError::kWouldBlock:
      return EAGAIN;
    case tcp::SockError::kBadHandle:
      return EBADF;
    case tcp::SockError::kNotConnected:
      return ENOTCONN;
    case tcp::SockError::kConnReset:
      return ECONNRESET;
    case tcp::SockError::kConnRefused:
      return ECONNREFUSED;
    case tcp::SockError::kTimedOut:
      return ETIMEDOUT;
    case tcp::SockError::kBrokenPipe:
      return EPIPE;
    case tcp::SockError::kInvalid:
      return EINVAL;
    case tcp::SockError::kAddrInUse:
      return EADDRINUSE;
    case tcp::SockError::kNoResources:
      return ENOBUFS;
    case tcp::SockError::kAlreadyConnected:
      return EISCONN;
    case tcp::SockError::kInProgress:
      return EALREADY;
    case tcp::SockError::kNetUnreachable:
      return ENETUNREACH;
    case tcp::SockError::kHostUnreachable:
      return EHOSTUNREACH;
    case tcp::SockError::kNoProtocol:
      return ENOPROTOOPT;
    case tcp::SockError::kProtocolError:
      return EPROTO;
  }
  return EINVAL;
}

void Sockets::CollectError(Sock& s) {
  if (s.pending_error == 0 && s.conn.valid()) {
    s.pending_error = ToErrno(ep_->TakeError(s.conn));
    if (s.pending_error == EBADF) {
      s.pending_error = 0;
    }
  }
}

int Sockets::TakeError(Sock& s) {
  CollectError(s);
  int e = s.pending_error;
  s.pending_error = 0;
  return e;
}

void Sockets::FillAddr(wire::Ipv4Addr addr, uint16_t port, sockaddr* out,
                       socklen_t* len) {
  if (out == nullptr || len == nullptr) {
    return;
  }
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(addr.value);
  // Linux copies min(*len, sizeof) bytes and reports the full size.
  std::memcpy(out, &sin, std::min<size_t>(*len, sizeof(sin)));
  *len = sizeof(sin);
}

uint16_t Sockets::EphemeralPort() {
  const uint32_t span = kEphemeralHigh - kEphemeralLow + 1;
  for (uint32_t i = 0; i < span; ++i) {
    uint16_t port =
        static_cast<uint16_t>(kEphemeralLow + (port_cursor_++ % span));
    if (!PortInUse(port, nullptr, false)) {
      return port;
    }
  }
  return 0;
}

bool Sockets::PortInUse(uint16_t port, const Sock* except, bool reuse) const {
  for (const Sock& o : socks_) {
    if (&o == except || o.kind != Kind::kTcp || !o.bound ||
        o.local_port != port) {
      continue;
    }
    // SO_REUSEADDR on both lets a port be bound again unless one of them
    // listens (Linux inet_csk_bind_conflict).
    if (reuse && o.reuseaddr && !o.listening) {
      continue;
    }
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// socket, bind, listen, accept, connect

int Sockets::Socket(int domain, int type, int protocol) {
  if (domain != AF_INET) {
    return -EAFNOSUPPORT;  // IPv4 only (doc/api.md)
  }
  const int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
  const int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  // __sock_create: type < 0 || type >= SOCK_MAX is EINVAL; a type in range
  // with no protocol behind it (0 included) is inet_create's ESOCKTNOSUPPORT.
  if (base < 0 || base >= 11) {  // SOCK_MAX
    return -EINVAL;
  }
  if (base != SOCK_STREAM) {
    return -ESOCKTNOSUPPORT;
  }
  if (protocol != 0 && protocol != IPPROTO_TCP) {
    return -EPROTONOSUPPORT;
  }
  int fd = Alloc();
  if (fd < 0) {
    return fd;
  }
  Sock* s = Get(fd);
  s->kind = Kind::kTcp;
  s->nonblocking = (flags & SOCK_NONBLOCK) != 0;
  s->cloexec = (flags & SOCK_CLOEXEC) != 0;
  s->options = config_.conn_defaults;
  s->sndbuf = config_.default_sndbuf != 0
                  ? config_.default_sndbuf
                  : static_cast<int>(s->options.send_buffer);
  s->rcvbuf = config_.default_rcvbuf != 0
                  ? config_.default_rcvbuf
                  : static_cast<int>(s->options.recv_buffer);
  return fd;
}

int Sockets::Bind(int fd, const sockaddr* addr, socklen_t len) {
  Sock* s = nullptr;
  if (int e = GetTcp(fd, &s); e != 0) {
    return e;
  }
  if (addr == nullptr) {
    return -EFAULT;
  }
  if (len < sizeof(sockaddr_in)) {
    return -EINVAL;
  }
  sockaddr_in sin;
  std::memcpy(&sin, addr, sizeof(sin));
  if (sin.sin_family != AF_INET &&
      !(sin.sin_family == AF_UNSPEC && sin.sin_addr.s_addr == INADDR_ANY)) {
    return -EAFNOSUPPORT;
  }
  wire::Ipv4Addr a{ntohl(sin.sin_addr.s_addr)};
  if (a.value != INADDR_ANY && !(a == config_.local_addr)) {
    return -EADDRNOTAVAIL;
  }
  if (s->bound || s->conn.valid() || s->listening) {
    return -EINVAL;
  }
  uint16_t port = ntohs(sin.sin_port);
  if (port == 0) {
    port = EphemeralPort();
    if (port == 0) {
      return -EADDRINUSE;
    }
  } else if (PortInUse(port, s, s->reuseaddr)) {
    return -EADDRINUSE;
  }
  s->bound = true;
  s->local_addr = a;
  s->local_port = port;
  return 0;
}

int Sockets::Listen(int fd, int backlog) {
  Sock* s = nullptr;
  if (int e = GetTcp(fd, &s); e != 0) {
    return e;
  }
  if (s->sstate != SockState::kUnconnected || s->conn.valid()) {
    return -EINVAL;
  }
  // Linux: a backlog above somaxconn (or negative, as unsigned) is clamped.
  if (static_cast<unsigned>(backlog) >
      static_cast<unsigned>(config_.somaxconn)) {
    backlog = config_.somaxconn;
  }
  s->backlog = backlog;
  if (s->listening) {
    // Linux's inet_listen only updates the backlog, and the new bound
    // applies at once (the same +1 as below).
    ep_->SetBacklog(s->listener, static_cast<size_t>(backlog) + 1);
    return 0;
  }
  if (!s->bound) {
    uint16_t port = EphemeralPort();
    if (port == 0) {
      return -EADDRINUSE;
    }
    s->bound = true;
    s->local_port = port;
  }
  for (const Sock& o : socks_) {
    if (&o != s && o.kind == Kind::kTcp && o.listening &&
        o.local_port == s->local_port) {
      return -EADDRINUSE;
    }
  }
  tcp::ListenOptions lo = config_.listen_defaults;
  // Linux's accept queue is full when it holds more than backlog
  // connections (sk_acceptq_is_full), so it takes backlog + 1; its SYN
  // queue counts as full at backlog requests (inet_csk_reqsk_queue_is_full).
  lo.backlog = static_cast<size_t>(backlog) + 1;
  lo.syn_backlog = static_cast<size_t>(std::max(backlog, 1));
  lo.conn = s->options;
  absl::StatusOr<tcp::ListenerHandle> l =
      ep_->Listen(s->local_addr, s->local_port, lo);
  if (!l.ok()) {
    return l.status().code() == absl::StatusCode::kAlreadyExists ? -EADDRINUSE
                                                                 : -ENOBUFS;
  }
  s->listener = *l;
  s->listening = true;
  return 0;
}

int Sockets::Accept(int fd, sockaddr* addr, socklen_t* len, int flags) {
  Sock* s = nullptr;
  if (int e = GetTcp(fd, &s); e != 0) {
    return e;
  }
  if ((flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0) {
    return -EINVAL;
  }
  if (!s->listening) {
    return -EINVAL;
  }
  if (addr != nullptr && len == nullptr) {
    return -EFAULT;
  }
  if (len != nullptr && static_cast<int>(*len) < 0) {
    return -EINVAL;
  }
  const Instant deadline = DeadlineAfter(s->rcvtimeo);
  for (;;) {
    s = Get(fd);
    if (s == nullptr || !s->listening) {
      return -EINVAL;  // closed or shut down while we waited
    }
    if (open_ >= socks_.size()) {
      return -EMFILE;  // Linux takes the descriptor before the connection
    }
    std::optional<tcp::ConnHandle> h = ep_->Accept(s->listener);
    if (h.has_value()) {
      const Sock parent = *s;
      int nfd = Alloc();
      Sock* n = Get(nfd);
      n->kind = Kind::kTcp;
      n->nonblocking = (flags & SOCK_NONBLOCK) != 0;
      n->cloexec = (flags & SOCK_CLOEXEC) != 0;
      n->sstate = SockState::kConnected;
      n->was_connected = true;
      n->reuseaddr = parent.reuseaddr;
      n->linger_on = parent.linger_on;
      n->linger_secs = parent.linger_secs;
      n->sndbuf = parent.sndbuf;
      n->rcvbuf = parent.rcvbuf;
      n->sndbuf_set = parent.sndbuf_set;
      n->rcvtimeo = parent.rcvtimeo;
      n->sndtimeo = parent.sndtimeo;
      n->user_mss = parent.user_mss;
      n->options = parent.options;
      n->conn = *h;
      if (const tcp::Connection* c = ep_->Find(*h)) {
        n->local_addr = c->tuple().local_addr;
        n->local_port = c->tuple().local_port;
        n->peer_addr = c->tuple().remote_addr;
        n->peer_port = c->tuple().remote_port;
      }
      FillAddr(n->peer_addr, n->peer_port, addr, len);
      return nfd;
    }
    if (s->nonblocking || !Block(deadline)) {
      return -EAGAIN;
    }
  }
}

int Sockets::StartConnect(Sock& s, wire::Ipv4Addr addr, uint16_t port) {
  const wire::Ipv4Addr local = s.bound && s.local_addr.value != INADDR_ANY
                                   ? s.local_addr
                                   : config_.local_addr;
  absl::StatusOr<tcp::ConnHandle> h = ep_->Connect(
      local, addr, port, s.options, Now(), s.bound ? s.local_port : 0);
  if (!h.ok()) {
    switch (h.status().code()) {
      case absl::StatusCode::kAlreadyExists:
        return -EADDRNOTAVAIL;  // Linux: the 4-tuple is taken
      case absl::StatusCode::kInvalidArgument:
        return -ENETUNREACH;
      default:
        return -ENOBUFS;
    }
  }
  s.conn = *h;
  if (const tcp::Connection* c = ep_->Find(*h)) {
    s.local_addr = c->tuple().local_addr;
    s.local_port = c->tuple().local_port;
  }
  s.bound = true;
  s.peer_addr = addr;
  s.peer_port = port;
  if (s.sndbuf_set) {
    ep_->SetSendBuffer(s.conn, static_cast<size_t>(s.sndbuf), Now());
  }
  return 0;
}

int Sockets::ReleaseConn(Sock& s) {
  if (s.conn.valid()) {
    ep_->Close(s.conn, Now());
    s.conn = {};
  }
  return 0;
}

int Sockets::Connect(int fd, const sockaddr* addr, socklen_t len) {
  Sock* s = nullptr;
  if (int e = GetTcp(fd, &s); e != 0) {
    return e;
  }
  if (addr == nullptr) {
    return -EFAULT;
  }
  if (len < sizeof(sa_family_t)) {
    return -EINVAL;
  }
  sockaddr_in sin{};
  std::memcpy(&sin, addr, std::min<size_t>(len, sizeof(sin)));
  if (sin.sin_family == AF_UNSPEC) {
    // Linux: connect(AF_UNSPEC) disconnects (tcp_disconnect).
    if (s->conn.valid()) {
      ep_->Abort(s->conn, Now());
      s->conn = {};
    }
    s->sstate = SockState::kUnconnected;
    s->shut_rd = s->shut_wr = false;
    return 0;
  }
  if (len < sizeof(sockaddr_in)) {
    return -EINVAL;
  }
  if (sin.sin_family != AF_INET) {
    return -EAFNOSUPPORT;
  }
  int err = 0;
  switch (s->sstate) {
    case SockState::kConnected:
      return -EISCONN;
    case SockState::kConnecting:
      err = -EALREADY;
      break;
    case SockState::kUnconnected: {
      if (s->listening) {
        return -EISCONN;
      }
      ReleaseConn(*s);  // a previous attempt that failed
      s->pending_error = 0;
      s->shut_rd = s->shut_wr = false;
      int r = StartConnect(*s, wire::Ipv4Addr{ntohl(sin.sin_addr.s_addr)},
                           ntohs(sin.sin_port));
      if (r < 0) {
        return r;
      }
      s->sstate = SockState::kConnecting;
      err = -EINPROGRESS;
      break;
    }
  }
  const Instant deadline = DeadlineAfter(s->sndtimeo);
  for (;;) {
    s = Get(fd);
    if (s == nullptr) {
      return -EBADF;
    }
    const tcp::Connection* c = Conn(*s);
    const State st = c != nullptr ? c->state() : State::kClosed;
    if (Handshaking(st)) {
      if (s->nonblocking || !Block(deadline)) {
        return err;
      }
      continue;
    }
    if (ClosedState(st) && !(c != nullptr && s->was_connected)) {
      // Refused, timed out or reset before it was established.
      int e = TakeError(*s);
      s->sstate = SockState::kUnconnected;
      return e != 0 ? -e : -ECONNABORTED;
    }
    s->sstate = SockState::kConnected;
    s->was_connected = true;
    return 0;
  }
}

uint64_t Sockets::ArrivalMark(const Sock& s) const {
  if (s.listening) {
    return ep_->accept_queue_length(s.listener);
  }
  const tcp::Connection* c = Conn(s);
  if (c == nullptr) {
    return 0;
  }
  return (uint64_t{c->rcv_nxt().raw()} << 8) |
         static_cast<uint64_t>(c->state());
}

// ---------------------------------------------------------------------------
// receive

ssize_t Sockets::RecvOnce(Sock& s, const iovec* iov, int iovcnt, int flags,
                          size_t* copied) {
  // Reads into the iovecs past the `*copied` bytes already filled.
  size_t skip = *copied;
  size_t got = 0;
  std::array<uint8_t, 4096> scratch;
  for (int i = 0; i < iovcnt; ++i) {
    size_t len = iov[i].iov_len;
    if (skip >= len) {
      skip -= len;
      continue;
    }
    uint8_t* base = static_cast<uint8_t*>(iov[i].iov_base) + skip;
    len -= skip;
    skip = 0;
    while (len > 0) {
      std::span<uint8_t> out(base, len);
      if ((flags & MSG_TRUNC) != 0) {
        out = std::span<uint8_t>(scratch.data(), std::min(len, scratch.size()));
      }
      tcp::IoResult r = (flags & MSG_PEEK) != 0 ? ep_->Peek(s.conn, out)
                                                : ep_->Recv(s.conn, out, Now());
      if (!r.ok()) {
        return got;
      }
      if ((flags & MSG_PEEK) != 0 && r.bytes > 0) {
        // A peek reads the front of the buffer again: one span only.
        return static_cast<ssize_t>(r.bytes);
      }
      got += r.bytes;
      if (r.bytes < out.size()) {
        *copied += got;
        return static_cast<ssize_t>(got);
      }
      if ((flags & MSG_TRUNC) == 0) {
        base += r.bytes;
      }
      len -= r.bytes;
    }
  }
  *copied += got;
  return static_cast<ssize_t>(got);
}

ssize_t Sockets::Recv(int fd, const iovec* iov, int iovcnt, int flags) {
  Sock* s = Get(fd);
  if (s == nullptr) {
    return -EBADF;
  }
  if (s->kind != Kind::kTcp) {
    return -EINVAL;  // read(2) on an epoll descriptor
  }
  if (iovcnt < 0 || iovcnt > IOV_MAX) {
    return -EINVAL;
  }
  if ((flags & MSG_OOB) != 0) {
    return -EINVAL;  // no urgent data is ever queued (doc/api.md)
  }
  if (s->listening) {
    return -ENOTCONN;
  }
  const size_t total = IovTotal(iov, iovcnt);
  const bool nonblock = s->nonblocking || (flags & MSG_DONTWAIT) != 0;
  const Instant deadline = DeadlineAfter(s->rcvtimeo);
  size_t copied = 0;
  for (;;) {
    s = Get(fd);
    if (s == nullptr) {
      return copied > 0 ? static_cast<ssize_t>(copied) : -EBADF;
    }
    const tcp::Connection* c = Conn(*s);
    if (c == nullptr) {
      if (s->was_connected || s->shut_rd) {
        return static_cast<ssize_t>(copied);
      }
      int e = TakeError(*s);
      return copied > 0 ? static_cast<ssize_t>(copied)
                        : -(e != 0 ? e : ENOTCONN);
    }
    if (total == 0) {
      return 0;
    }
    if (c->readable_bytes() > 0) {
      size_t before = copied;
      RecvOnce(*s, iov, iovcnt, flags, &copied);
      if ((flags & MSG_PEEK) != 0) {
        return static_cast<ssize_t>(copied - before);
      }
      if ((flags & MSG_WAITALL) == 0 || copied >= total) {
        return static_cast<ssize_t>(copied);
      }
      continue;
    }
    if (copied > 0 && (flags & MSG_WAITALL) == 0) {
      return static_cast<ssize_t>(copied);
    }
    // No data: Linux tcp_recvmsg's order of checks.
    const State st = c->state();
    if ((c->Poll() & tcp::events::kPeerClosed) != 0) {
      return static_cast<ssize_t>(copied);  // end of stream (SOCK_DONE)
    }
    int e = TakeError(*s);
    if (e != 0) {
      return copied > 0 ? static_cast<ssize_t>(copied) : -e;
    }
    if (s->shut_rd) {
      return static_cast<ssize_t>(copied);  // RCV_SHUTDOWN
    }
    if (ClosedState(st)) {
      if (s->was_connected || s->sstate != SockState::kUnconnected) {
        return static_cast<ssize_t>(copied);  // tcp_done set RCV_SHUTDOWN
      }
      return copied > 0 ? static_cast<ssize_t>(copied) : -ENOTCONN;
    }
    if (nonblock || !Block(deadline)) {
      return copied > 0 ? static_cast<ssize_t>(copied) : -EAGAIN;
    }
  }
}

ssize_t Sockets::Recv(int fd, void* buf, size_t len, int flags) {
  iovec v{buf, len};
  return Recv(fd, &v, 1, flags);
}

ssize_t Sockets::RecvMsg(int fd, msghdr* msg, int flags) {
  if (msg == nullptr) {
    return -EFAULT;
  }
  if (msg->msg_iovlen > static_cast<size_t>(IOV_MAX)) {
    return -EMSGSIZE;
  }
  ssize_t r = Recv(fd, msg->msg_iov, static_cast<int>(msg->msg_iovlen), flags);
  if (r >= 0) {
    // TCP reports no source address and no control data (Linux).
    msg->msg_namelen = 0;
    msg->msg_controllen = 0;
    msg->msg_flags = 0;
  }
  return r;
}

// ---------------------------------------------------------------------------
// send

ssize_t Sockets::Send(int fd, const iovec* iov, int iovcnt, int flags) {
  Sock* s = Get(fd);
  if (s == nullptr) {
    return -EBADF;
  }
  if (s->kind != Kind::kTcp) {
    return -EINVAL;
  }
  if (iovcnt < 0 || iovcnt > IOV_MAX) {
    return -EINVAL;
  }
  if ((flags & MSG_OOB) != 0) {
    return -EOPNOTSUPP;  // urgent data is not supported (doc/api.md)
  }
  if (iov == nullptr && iovcnt > 0) {
    return -EFAULT;
  }
  const size_t total = IovTotal(iov, iovcnt);
  const bool nonblock = s->nonblocking || (flags & MSG_DONTWAIT) != 0;
  const Instant deadline = DeadlineAfter(s->sndtimeo);
  size_t copied = 0;
  for (;;) {
    s = Get(fd);
    if (s == nullptr) {
      return copied > 0 ? static_cast<ssize_t>(copied) : -EBADF;
    }
    const tcp::Connection* c = Conn(*s);
    const State st = c != nullptr ? c->state() : State::kClosed;
    // Linux sk_stream_wait_connect: a pending error first, then EPIPE for
    // anything but a handshake in progress, which a blocking send awaits.
    if (Handshaking(st)) {
      int e = TakeError(*s);
      if (e != 0) {
        return -e;
      }
      if (nonblock || !Block(deadline)) {
        return -EAGAIN;
      }
      continue;
    }
    if (c == nullptr || ClosedState(st) || s->shut_wr || c->write_shut() ||
        !(st == State::kEstablished || st == State::kCloseWait)) {
      if (copied > 0) {
        return static_cast<ssize_t>(copied);
      }
      int e = TakeError(*s);
      return -(e != 0 ? e : EPIPE);  // no SIGPIPE is raised (doc/api.md)
    }
    if (total == 0) {
      return 0;
    }
    size_t skip = copied;
    bool full = false;
    for (int i = 0; i < iovcnt && !full; ++i) {
      size_t len = iov[i].iov_len;
      if (skip >= len) {
        skip -= len;
        continue;
      }
      if (iov[i].iov_base == nullptr) {
        // Linux's copy from user space faults: EFAULT, unless bytes were
        // already taken.
        return copied > 0 ? static_cast<ssize_t>(copied) : -EFAULT;
      }
      std::span<const uint8_t> chunk(
          static_cast<const uint8_t*>(iov[i].iov_base) + skip, len - skip);
      skip = 0;
      tcp::IoResult r = ep_->Send(s->conn, chunk, Now());
      copied += r.bytes;
      if (r.bytes < chunk.size()) {
        full = true;
      }
    }
    if (copied >= total) {
      return static_cast<ssize_t>(copied);
    }
    if (nonblock || !Block(deadline)) {
      return copied > 0 ? static_cast<ssize_t>(copied) : -EAGAIN;
    }
  }
}

ssize_t Sockets::Send(int fd, const void* buf, size_t len, int flags) {
  iovec v{const_cast<void*>(buf), len};
  return Send(fd, &v, 1, flags);
}

ssize_t Sockets::SendMsg(int fd, const msghdr* msg, int flags) {
  if (msg == nullptr) {
    return -EFAULT;
  }
  if (msg->msg_iovlen > static_cast<size_t>(IOV_MAX)) {
    return -EMSGSIZE;
  }
  // TCP ignores msg_name on a connected socket (Linux).
  return Send(fd, msg->msg_iov, static_cast<int>(msg->msg_iovlen), flags);
}

// ---------------------------------------------------------------------------
// shutdown, close

int Sockets::Shutdown(int fd, int how) {
  Sock* s = nullptr;
  if (int e = GetTcp(fd, &s); e != 0) {
    return e;
  }
  if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) {
    return -EINVAL;
  }
  const bool rd = how == SHUT_RD || how == SHUT_RDWR;
  const bool wr = how == SHUT_WR || how == SHUT_RDWR;
  if (s->listening) {
    if (rd) {
      // Linux: shutdown(SHUT_RD) of a listener stops it (tcp_disconnect).
      ep_->CloseListener(s->listener, Now());
      s->listener = {};
      s->listening = false;
    }
    return 0;
  }
  const tcp::Connection* c = Conn(*s);
  const State st = c != nullptr ? c->state() : State::kClosed;
  if (ClosedState(st)) {
    s->shut_rd |= rd;
    s->shut_wr |= wr;
    return -ENOTCONN;
  }
  if (st == State::kSynSent) {
    // Linux disconnects a connection in SYN-SENT and leaves ECONNRESET.
    ep_->Abort(s->conn, Now());
    s->conn = {};
    s->sstate = SockState::kUnconnected;
    s->pending_error = ECONNRESET;
    return 0;
  }
  if (rd) {
    s->shut_rd = true;
  }
  if (wr) {
    s->shut_wr = true;
    ep_->ShutdownWrite(s->conn, Now());
  }
  return 0;
}

int Sockets::Close(int fd) {
  Sock* s = Get(fd);
  if (s == nullptr) {
    return -EBADF;
  }
  // Linux drops a descriptor from every epoll set when its file is released.
  for (Sock& o : socks_) {
    if (o.kind == Kind::kEpoll) {
      std::erase_if(o.interest,
                    [fd](const EpollEntry& e) { return e.fd == fd; });
    }
  }
  if (s->kind == Kind::kTcp) {
    if (s->listening) {
      ep_->CloseListener(s->listener, Now());
    }
    if (s->conn.valid()) {
      if (s->linger_on && s->linger_secs == 0) {
        ep_->Abort(s->conn, Now());  // SO_LINGER {1, 0}: RST at once
      } else {
        ep_->Close(s->conn, Now());
      }
    }
  }
  Free(fd);
  return 0;
}

// ---------------------------------------------------------------------------
// options

int Sockets::SetSockOpt(int fd, int level, int name, const void* value,
                        socklen_t len) {
  int r = SetSockOptOnce(fd, level, name, value, len);
  Sock* s = Get(fd);
  if (r == 0 && s != nullptr && s->listening) {
    // Connections accepted from now on inherit the listener's options.
    ep_->SetListenerConnOptions(s->listener, s->options);
  }
  return r;
}

int Sockets::ApplyKeepalive(Sock& s, Instant now) {
  // Other errors (a connection already gone) leave the options to the
  // socket, as before the keepalive pool.
  if (!s.conn.valid() || ep_->SetKeepalive(s.conn, s.options.keepalive, now) !=
                             tcp::SockError::kNoResources) {
    return 0;
  }
  s.options.keepalive.enabled = false;
  return -ENOBUFS;
}

int Sockets::SetSockOptOnce(int fd, int level, int name, const void* value,
                            socklen_t len) {
  Sock* s = nullptr;
  if (int e = GetTcp(fd, &s); e != 0) {
    return e;
  }
  const Instant now = Now();
  int v = 0;
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_REUSEADDR:
        if (int r = ReadInt(value, len, &v); r < 0) return r;
        s->reuseaddr = v != 0;
        return 0;
      case SO_KEEPALIVE:
        if (int r = ReadInt(value, len, &v); r < 0) return r;
        s->options.keepalive.enabled = v != 0;
        return ApplyKeepalive(*s, now);
      case SO_LINGER: {
        if (len < sizeof(linger)) {
          return -EINVAL;
        }
        if (value == nullptr) {
          return -EFAULT;
        }
        linger l;
        std::memcpy(&l, value, sizeof(l));
        s->linger_on = l.l_onoff != 0;
        s->linger_secs = l.l_linger;
        return 0;
      }
      case SO_SNDBUF: {
        if (int r = ReadInt(value, len, &v); r < 0) return r;
        // Linux: min(val, wmem_max) as unsigned, stored doubled.
        unsigned u = std::min(static_cast<unsigned>(v),
                              static_cast<unsigned>(config_.wmem_max));
        s->sndbuf = std::max(static_cast<int>(u) * 2, kMinSndbuf);
        s->sndbuf_set = true;
        s->options.send_buffer = static_cast<size_t>(s->sndbuf);
        if (s->conn.valid()) {
          ep_->SetSendBuffer(s->conn, static_cast<size_t>(s->sndbuf), now);
        }
        return 0;
      }
      case SO_RCVBUF: {
        if (int r = ReadInt(value, len, &v); r < 0) return r;
        unsigned u = std::min(static_cast<unsigned>(v),
                              static_cast<unsigned>(config_.rmem_max));
        s->rcvbuf = std::max(static_cast<int>(u) * 2, kMinRcvbuf);
        // Takes effect on connections created afterwards (doc/api.md).
        s->options.recv_buffer = static_cast<size_t>(s->rcvbuf);
        return 0;
      }
      case SO_RCVTIMEO:
        return ReadTimeval(value, len, &s->rcvtimeo);
      case SO_SNDTIMEO:
        return ReadTimeval(value, len, &s->sndtimeo);
      default:
        return -ENOPROTOOPT;
    }
  }
  if (level == IPPROTO_TCP) {
    if (int r = ReadInt(value, len, &v); r < 0) return r;
    switch (name) {
      case TCP_NODELAY:
        s->options.nodelay = v != 0;
        if (s->conn.valid()) {
          ep_->SetNodelay(s->conn, v != 0, now);
        }
        return 0;
      case TCP_MAXSEG:
        if (v != 0 && (v < kTcpMinMss || v > kMaxTcpWindow)) {
          return -EINVAL;
        }
        s->user_mss = v;
        s->options.mss_clamp = static_cast<uint16_t>(v);
        return 0;
      case TCP_KEEPIDLE:
      case TCP_KEEPINTVL:
        if (v < 1 || v > kMaxKeepIdle) {
          return -EINVAL;
        }
        (name == TCP_KEEPIDLE ? s->options.keepalive.idle
                              : s->options.keepalive.interval) =
            Duration::Seconds(v);
        return ApplyKeepalive(*s, now);
      case TCP_KEEPCNT:
        if (v < 1 || v > kMaxKeepCnt) {
          return -EINVAL;
        }
        s->options.keepalive.probes = v;
        return ApplyKeepalive(*s, now);
      default:
        return -ENOPROTOOPT;
    }
  }
  return -ENOPROTOOPT;
}

int Sockets::GetSockOpt(int fd, int level, int name, void* value,
                        socklen_t* len) {
  Sock* s = nullptr;
  if (int e = GetTcp(fd, &s); e != 0) {
    return e;
  }
  if (len == nullptr) {
    return -EFAULT;
  }
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_REUSEADDR:
        return WriteInt(s->reuseaddr ? 1 : 0, value, len);
      case SO_KEEPALIVE:
        return WriteInt(s->options.keepalive.enabled ? 1 : 0, value, len);
      case SO_LINGER: {
        if (static_cast<int>(*len) < 0) {
          return -EINVAL;
        }
        linger l{s->linger_on ? 1 : 0, s->linger_secs};
        socklen_t n = std::min<socklen_t>(*len, sizeof(l));
        std::memcpy(value, &l, n);
        *len = n;
        return 0;
      }
      case SO_SNDBUF:
        return WriteInt(s->sndbuf, value, len);
      case SO_RCVBUF:
        return WriteInt(s->rcvbuf, value, len);
      case SO_ERROR:
        return WriteInt(TakeError(*s), value, len);
      case SO_TYPE:
        return WriteInt(SOCK_STREAM, value, len);
      case SO_DOMAIN:
        return WriteInt(AF_INET, value, len);
      case SO_PROTOCOL:
        return WriteInt(IPPROTO_TCP, value, len);
      case SO_ACCEPTCONN:
        return WriteInt(s->listening ? 1 : 0, value, len);
      case SO_RCVTIMEO:
        return WriteTimeval(s->rcvtimeo, value, len);
      case SO_SNDTIMEO:
        return WriteTimeval(s->sndtimeo, value, len);
      default:
        return -ENOPROTOOPT;
    }
  }
  if (level == IPPROTO_TCP) {
    switch (name) {
      case TCP_NODELAY:
        return WriteInt(s->options.nodelay ? 1 : 0, value, len);
      case TCP_MAXSEG: {
        // Linux: the current send MSS of a connection, else the user's
        // value, else TCP_MSS_DEFAULT.
        const tcp::Connection* c = Conn(*s);
        int v = s->user_mss != 0 ? s->user_mss : kTcpMssDefault;
        if (c != nullptr && !ClosedState(c->state()) &&
            c->state() != State::kSynSent) {
          v = std::min<int>(c->snd_mss(),
                            tcp::AnnouncedMss(ep_->config(), s->options));
        }
        return WriteInt(v, value, len);
      }
      case TCP_KEEPIDLE:
        return WriteInt(
            static_cast<int>(s->options.keepalive.idle.ToMicros() / 1000000),
            value, len);
      case TCP_KEEPINTVL:
        return WriteInt(static_cast<int>(
                            s->options.keepalive.interval.ToMicros() / 1000000),
                        value, len);
      case TCP_KEEPCNT:
        return WriteInt(s->options.keepalive.probes, value, len);
      default:
        return -ENOPROTOOPT;
    }
  }
  return -ENOPROTOOPT;
}

int Sockets::GetSockName(int fd, sockaddr* addr, socklen_t* len) {
  Sock* s = nullptr;
  if (int e = GetTcp(fd, &s); e != 0) {
    return e;
  }
  if (addr == nullptr || len == nullptr) {
    return -EFAULT;
  }
  FillAddr(s->local_addr, s->local_port, addr, len);
  return 0;
}

int Sockets::GetPeerName(int fd, sockaddr* addr, socklen_t* len) {
  Sock* s = nullptr;
  if (int e = GetTcp(fd, &s); e != 0) {
    return e;
  }
  if (addr == nullptr || len == nullptr) {
    return -EFAULT;
  }
  const tcp::Connection* c = Conn(*s);
  if (s->sstate != SockState::kConnected || c == nullptr ||
      ClosedState(c->state())) {
    return -ENOTCONN;
  }
  FillAddr(s->peer_addr, s->peer_port, addr, len);
  return 0;
}

int Sockets::Fcntl(int fd, int cmd, long arg) {
  Sock* s = Get(fd);
  if (s == nullptr) {
    return -EBADF;
  }
  switch (cmd) {
    case F_GETFL:
      return O_RDWR | (s->nonblocking ? O_NONBLOCK : 0);
    case F_SETFL:
      // Linux ignores the access mode and creation bits here.
      s->nonblocking = (arg & O_NONBLOCK) != 0;
      return 0;
    case F_GETFD:
      return s->cloexec ? FD_CLOEXEC : 0;
    case F_SETFD:
      s->cloexec = (arg & FD_CLOEXEC) != 0;
      return 0;
    default:
      return -EINVAL;
  }
}

int Sockets::Ioctl(int fd, unsigned long request, void* arg) {
  Sock* s = Get(fd);
  if (s == nullptr) {
    return -EBADF;
  }
  if (arg == nullptr) {
    return -EFAULT;
  }
  int v = 0;
  switch (request) {
    case FIONBIO:
      std::memcpy(&v, arg, sizeof(v));
      s->nonblocking = v != 0;
      return 0;
    case FIONREAD: {  // = SIOCINQ
      if (s->kind != Kind::kTcp || s->listening) {
        return -EINVAL;
      }
      const tcp::Connection* c = Conn(*s);
      v = c != nullptr ? static_cast<int>(c->readable_bytes()) : 0;
      std::memcpy(arg, &v, sizeof(v));
      return 0;
    }
    case SIOCOUTQ: {
      if (s->kind != Kind::kTcp || s->listening) {
        return -EINVAL;
      }
      const tcp::Connection* c = Conn(*s);
      v = c != nullptr ? static_cast<int>(c->send_queued()) : 0;
      std::memcpy(arg, &v, sizeof(v));
      return 0;
    }
    default:
      return -ENOTTY;
  }
}

// ---------------------------------------------------------------------------
// readiness

uint32_t Sockets::PollMask(Sock& s) {
  if (s.kind != Kind::kTcp) {
    return 0;
  }
  if (s.listening) {
    return ep_->Acceptable(s.listener) ? (POLLIN | POLLRDNORM) : 0;
  }
  // Linux tcp_poll, with sk_shutdown as this socket sees it: the
  // application's shutdown calls, RCV_SHUTDOWN on a FIN, both once the
  // connection is over (tcp_done).
  const tcp::Connection* c = Conn(s);
  const State st = c != nullptr ? c->state() : State::kClosed;
  const bool over = c != nullptr ? ClosedState(st) : s.was_connected;
  const bool sk_close = c == nullptr || ClosedState(st);
  const bool rcv_shut =
      s.shut_rd || over ||
      (c != nullptr && (c->Poll() & tcp::events::kPeerClosed));
  const bool snd_shut = s.shut_wr || over || (c != nullptr && c->write_shut());
  uint32_t mask = 0;
  if ((rcv_shut && snd_shut) || sk_close) {
    mask |= POLLHUP;
  }
  if (rcv_shut) {
    mask |= POLLIN | POLLRDNORM | POLLRDHUP;
  }
  if (!Handshaking(st)) {
    if (c != nullptr && c->readable_bytes() > 0) {
      mask |= POLLIN | POLLRDNORM;
    }
    if (!snd_shut) {
      // sk_stream_is_writeable: free space at least half of what is queued.
      size_t queued = c != nullptr ? c->send_queued() : 0;
      size_t cap = c != nullptr ? c->send_capacity() : 1;
      size_t free = cap > queued ? cap - queued : 0;
      if (free > 0 && free >= queued / 2) {
        mask |= POLLOUT | POLLWRNORM;
      }
    } else {
      mask |= POLLOUT | POLLWRNORM;
    }
  }
  if (s.pending_error != 0 ||
      (c != nullptr && c->error() != tcp::SockError::kOk)) {
    mask |= POLLERR;
  }
  return mask;
}

short Sockets::Revents(int fd) {
  Sock* s = Get(fd);
  if (s == nullptr) {
    return POLLNVAL;
  }
  return static_cast<short>(PollMask(*s));
}

int Sockets::Poll(pollfd* fds, nfds_t nfds, int timeout_ms) {
  if (nfds > socks_.size() + 64) {
    return -EINVAL;  // Linux: more than RLIMIT_NOFILE entries
  }
  if (fds == nullptr && nfds > 0) {
    return -EFAULT;
  }
  const Instant deadline =
      timeout_ms < 0 ? Instant::Never() : Now() + Duration::Millis(timeout_ms);
  for (;;) {
    int ready = 0;
    for (nfds_t i = 0; i < nfds; ++i) {
      if (fds[i].fd < 0) {
        fds[i].revents = 0;
        continue;
      }
      short m = Revents(fds[i].fd);
      // POLLERR, POLLHUP and POLLNVAL are reported whether asked or not.
      fds[i].revents = static_cast<short>(
          m & (fds[i].events | POLLERR | POLLHUP | POLLNVAL));
      if (fds[i].revents != 0) {
        ++ready;
      }
    }
    if (ready > 0 || timeout_ms == 0 || !Block(deadline)) {
      return ready;
    }
  }
}

int Sockets::EpollCreate(int size) {
  if (size <= 0) {
    return -EINVAL;
  }
  return EpollCreate1(0);
}

int Sockets::EpollCreate1(int flags) {
  if ((flags & ~EPOLL_CLOEXEC) != 0) {
    return -EINVAL;
  }
  int fd = Alloc();
  if (fd < 0) {
    return fd;
  }
  Sock* s = Get(fd);
  s->kind = Kind::kEpoll;
  s->cloexec = (flags & EPOLL_CLOEXEC) != 0;
  return fd;
}

int Sockets::EpollCtl(int epfd, int op, int fd, epoll_event* event) {
  Sock* ep = Get(epfd);
  Sock* target = Get(fd);
  if (ep == nullptr || target == nullptr) {
    return -EBADF;
  }
  if (ep->kind != Kind::kEpoll || epfd == fd) {
    return -EINVAL;
  }
  if (target->kind == Kind::kEpoll) {
    return -EINVAL;  // nested epoll sets are not supported (doc/api.md)
  }
  auto it = std::find_if(ep->interest.begin(), ep->interest.end(),
                         [fd](const EpollEntry& e) { return e.fd == fd; });
  switch (op) {
    case EPOLL_CTL_ADD:
      if (event == nullptr) {
        return -EFAULT;
      }
      if (it != ep->interest.end()) {
        return -EEXIST;
      }
      if (ep->interest.size() >= config_.max_epoll_entries) {
        return -ENOSPC;
      }
      ep->interest.push_back(
          EpollEntry{fd, event->events, event->data.u64, 0, false, 0});
      return 0;
    case EPOLL_CTL_MOD:
      if (event == nullptr) {
        return -EFAULT;
      }
      if (it == ep->interest.end()) {
        return -ENOENT;
      }
      it->events = event->events;
      it->data = event->data.u64;
      it->reported = 0;
      it->disabled = false;
      return 0;
    case EPOLL_CTL_DEL:
      if (it == ep->interest.end()) {
        return -ENOENT;
      }
      ep->interest.erase(it);
      return 0;
    default:
      return -EINVAL;
  }
}

int Sockets::EpollWait(int epfd, epoll_event* events, int max_events,
                       int timeout_ms) {
  Sock* ep = Get(epfd);
  if (ep == nullptr) {
    return -EBADF;
  }
  if (ep->kind != Kind::kEpoll || max_events <= 0) {
    return -EINVAL;
  }
  if (events == nullptr) {
    return -EFAULT;
  }
  const Instant deadline =
      timeout_ms < 0 ? Instant::Never() : Now() + Duration::Millis(timeout_ms);
  for (;;) {
    ep = Get(epfd);
    if (ep == nullptr) {
      return -EBADF;
    }
    int n = 0;
    for (EpollEntry& e : ep->interest) {
      if (n >= max_events) {
        break;
      }
      Sock* s = Get(e.fd);
      if (s == nullptr || e.disabled) {
        continue;
      }
      // EPOLLERR and EPOLLHUP are always reported (epoll_ctl(2)).
      const uint32_t want =
          (e.events & ~(EPOLLET | EPOLLONESHOT)) | EPOLLERR | EPOLLHUP;
      uint32_t ready = PollMask(*s) & want;
      if ((e.events & EPOLLET) != 0) {
        // Edge-triggered: reported after a wake-up, as Linux's
        // ep_poll_callback queues the item, and then with the whole ready
        // mask (ep_send_events polls the socket again). A wake-up is
        // readiness that appeared since the last report or something that
        // arrived (data, FIN, a state change, a queued connection), so new
        // data while still readable reports EPOLLIN again, with EPOLLOUT if
        // writable (packetdrill's epoll/epoll_in_edge.pkt).
        const uint64_t mark = ArrivalMark(*s);
        const bool woken = (ready & ~e.reported) != 0 || mark != e.seen;
        e.reported = ready;
        e.seen = mark;
        if (!woken) {
          ready = 0;
        }
      }
      if (ready == 0) {
        continue;
      }
      events[n].events = ready;
      events[n].data.u64 = e.data;
      ++n;
      if ((e.events & EPOLLONESHOT) != 0) {
        e.disabled = true;
      }
    }
    if (n > 0 || timeout_ms == 0 || !Block(deadline)) {
      return n;
    }
  }
}

}  // namespace tern::sock
