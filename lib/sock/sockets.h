// Sockets: a BSD-socket-style API (file-descriptor-like integers) over one
// per-lcore tcp::Endpoint, with the return values and errno codes Linux gives
// (doc/api.md lists every call, its errors and where tern differs).
//
// Contract:
// - Calls return what the Linux system call of the same name returns, except
//   that a failure returns -errno instead of -1 with errno set (kernel style:
//   no thread-local state). Wrappers that need the libc convention (the
//   packetdrill shim) convert.
// - Not thread-safe: one owner (the lcore, or a caller holding a lock).
// - Blocking: a socket is blocking unless SOCK_NONBLOCK / O_NONBLOCK /
//   FIONBIO / MSG_DONTWAIT says otherwise. A blocking call that cannot
//   progress calls Host::Wait, which must let the endpoint make progress (run
//   the poll loop, or release the caller's lock while another thread feeds
//   packets) and return; the call then retries. Without a Host every socket
//   behaves as non-blocking (EAGAIN / EINPROGRESS).
// - Time: every call reads Host::Now(); a Sockets object never reads a clock.
// - Bounds: at most SocketsConfig::max_fds descriptors (EMFILE past it);
//   epoll interest lists hold at most max_epoll_entries each (ENOSPC). No
//   allocation on the data path (read/write/poll); socket creation and epoll
//   registration allocate.
#ifndef TERN_LIB_SOCK_SOCKETS_H_
#define TERN_LIB_SOCK_SOCKETS_H_

#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "lib/base/time.h"
#include "lib/tcp/api.h"
#include "lib/tcp/config.h"
#include "lib/tcp/endpoint.h"
#include "lib/wire/addr.h"

namespace tern::sock {

// What a Sockets object needs from its environment.
class Host {
 public:
  virtual ~Host() = default;
  virtual Instant Now() = 0;
  // Called by a blocking call that cannot progress. Returns true once the
  // endpoint's state may have changed or `deadline` has passed (by Now());
  // false interrupts the call, which then returns as a non-blocking one
  // would (EAGAIN, EINPROGRESS).
  virtual bool Wait(Instant deadline) = 0;
};

// Where descriptor numbers come from when they must be unique beyond this
// object (the packetdrill shim reserves real process descriptors, because
// packetdrill closes leftover sockets with the libc close()).
class FdNumbers {
 public:
  virtual ~FdNumbers() = default;
  // A number in [first_fd, first_fd + max_fds), or -errno.
  virtual int Take() = 0;
  virtual void Give(int fd) = 0;
};

struct SocketsConfig {
  // The address of unbound sockets' connections, and the only address bind
  // accepts besides INADDR_ANY (EADDRNOTAVAIL otherwise).
  wire::Ipv4Addr local_addr;
  int first_fd = 3;  // as a process with stdin, stdout and stderr open
  size_t max_fds = 1024;
  // Null: the lowest free number from first_fd, as POSIX gives.
  FdNumbers* fd_numbers = nullptr;
  size_t max_epoll_entries = 1024;
  // Linux net.core.wmem_max / rmem_max (212992 on a default kernel): the
  // ceilings of SO_SNDBUF / SO_RCVBUF, which Linux stores doubled.
  int wmem_max = 212992;
  int rmem_max = 212992;
  // Linux net.core.somaxconn (4096 since 5.4): the listen backlog ceiling.
  int somaxconn = 4096;
  // Options of new sockets' connections (and listeners' accepted ones).
  tcp::ConnOptions conn_defaults;
  // Listener settings listen(2) starts from (cookie mode, overflow policy);
  // backlog, syn_backlog and conn come from the socket.
  tcp::ListenOptions listen_defaults;
  // What getsockopt(SO_SNDBUF / SO_RCVBUF) reports before any setsockopt
  // (Linux: tcp_wmem[1] and tcp_rmem[1]); 0 = the connection buffer sizes.
  int default_sndbuf = 0;
  int default_rcvbuf = 0;
};

class Sockets {
 public:
  // `endpoint` and `host` must outlive the object; `host` may be null.
  Sockets(tcp::Endpoint* endpoint, Host* host, const SocketsConfig& config);
  ~Sockets();
  Sockets(const Sockets&) = delete;
  Sockets& operator=(const Sockets&) = delete;

  int Socket(int domain, int type, int protocol);
  int Bind(int fd, const sockaddr* addr, socklen_t len);
  int Listen(int fd, int backlog);
  int Accept(int fd, sockaddr* addr, socklen_t* len, int flags = 0);
  int Connect(int fd, const sockaddr* addr, socklen_t len);
  // read/readv/recv/recvfrom/recvmsg all land here.
  ssize_t Recv(int fd, const iovec* iov, int iovcnt, int flags);
  ssize_t Recv(int fd, void* buf, size_t len, int flags);
  ssize_t RecvMsg(int fd, msghdr* msg, int flags);
  // write/writev/send/sendto/sendmsg all land here.
  ssize_t Send(int fd, const iovec* iov, int iovcnt, int flags);
  ssize_t Send(int fd, const void* buf, size_t len, int flags);
  ssize_t SendMsg(int fd, const msghdr* msg, int flags);
  int Shutdown(int fd, int how);
  int Close(int fd);
  int GetSockOpt(int fd, int level, int name, void* value, socklen_t* len);
  int SetSockOpt(int fd, int level, int name, const void* value, socklen_t len);
  int GetSockName(int fd, sockaddr* addr, socklen_t* len);
  int GetPeerName(int fd, sockaddr* addr, socklen_t* len);
  // F_GETFL, F_SETFL (O_NONBLOCK), F_GETFD, F_SETFD; others EINVAL.
  int Fcntl(int fd, int cmd, long arg);
  // FIONREAD/SIOCINQ, SIOCOUTQ, FIONBIO; others ENOTTY.
  int Ioctl(int fd, unsigned long request, void* arg);
  int Poll(pollfd* fds, nfds_t nfds, int timeout_ms);
  int EpollCreate(int size);
  int EpollCreate1(int flags);
  int EpollCtl(int epfd, int op, int fd, epoll_event* event);
  int EpollWait(int epfd, epoll_event* events, int max_events, int timeout_ms);

  // The poll(2) revents of one descriptor (POLLNVAL for a bad one).
  short Revents(int fd);
  size_t open_fds() const { return open_; }

 private:
  enum class Kind : uint8_t { kFree, kTcp, kEpoll };
  // Linux's socket->state, which connect(2) and shutdown(2) consult.
  enum class SockState : uint8_t { kUnconnected, kConnecting, kConnected };
  struct EpollEntry {
    int fd;
    uint32_t events;
    uint64_t data;
    uint32_t reported;  // EPOLLET: readiness already reported
    bool disabled;      // EPOLLONESHOT fired
    // EPOLLET: what the socket had received when last reported (received
    // sequence and state, or a listener's queue length); a change is the
    // wake-up after which Linux reports the whole ready mask again.
    uint64_t seen = 0;
  };
  struct Sock {
    Kind kind = Kind::kFree;
    bool nonblocking = false;
    bool cloexec = false;
    // TCP
    SockState sstate = SockState::kUnconnected;
    bool bound = false;
    bool listening = false;
    bool reuseaddr = false;
    bool shut_rd = false;
    bool shut_wr = false;
    bool was_connected = false;  // reached ESTABLISHED (Linux SOCK_DONE)
    bool linger_on = false;
    int linger_secs = 0;
    int pending_error = 0;  // an errno not yet reported (SO_ERROR)
    int sndbuf = 0;         // as getsockopt reports it (doubled)
    int rcvbuf = 0;
    bool sndbuf_set = false;
    Duration rcvtimeo = Duration::Zero();  // zero: no timeout
    Duration sndtimeo = Duration::Zero();
    int user_mss = 0;
    int backlog = 0;
    wire::Ipv4Addr local_addr;
    uint16_t local_port = 0;
    wire::Ipv4Addr peer_addr;
    uint16_t peer_port = 0;
    tcp::ConnOptions options;
    tcp::ListenerHandle listener;
    tcp::ConnHandle conn;
    // epoll
    std::vector<EpollEntry> interest;
  };

  Sock* Get(int fd);
  // The TCP socket of fd: 0, or -EBADF / -ENOTSOCK (an epoll descriptor).
  int GetTcp(int fd, Sock** out);
  int Alloc();
  void Free(int fd);
  Instant Now();
  Instant DeadlineAfter(Duration timeout);
  // One round of waiting; false when `deadline` has passed (or no host).
  bool Block(Instant deadline);
  const tcp::Connection* Conn(const Sock& s) const;
  // Folds the connection's pending error into s.pending_error.
  void CollectError(Sock& s);
  int TakeError(Sock& s);
  uint32_t PollMask(Sock& s);
  // What EPOLLET compares to see that something arrived (EpollEntry::seen).
  uint64_t ArrivalMark(const Sock& s) const;
  uint16_t EphemeralPort();
  bool PortInUse(uint16_t port, const Sock* except, bool reuse) const;
  int SetSockOptOnce(int fd, int level, int name, const void* value,
                     socklen_t len);
  // Gives the socket's keepalive options to its connection: 0, or -ENOBUFS
  // when keepalive was to be turned on and the endpoint had no keepalive
  // record (tcp.keepalive_refused); keepalive is then off on both.
  int ApplyKeepalive(Sock& s, Instant now);
  int StartConnect(Sock& s, wire::Ipv4Addr addr, uint16_t port);
  int ReleaseConn(Sock& s);
  ssize_t RecvOnce(Sock& s, const iovec* iov, int iovcnt, int flags,
                   size_t* copied);
  static int ToErrno(tcp::SockError e);
  static void FillAddr(wire::Ipv4Addr addr, uint16_t port, sockaddr* out,
                       socklen_t* len);

  tcp::Endpoint* ep_;
  Host* host_;
  SocketsConfig config_;
  std::vector<Sock> socks_;  // index = fd - first_fd
  size_t open_ = 0;
  uint32_t port_cursor_ = 0;
};

}  // namespace tern::sock

#endif  // TERN_LIB_SOCK_SOCKETS_H_
