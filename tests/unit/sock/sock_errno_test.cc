// The errno table of doc/api.md, row by row: each error a call lists is
// produced in the situation the table gives, with the value Linux returns
// there (the reference: net/socket.c, net/ipv4/af_inet.c,
// inet_connection_sock.c, tcp.c, fs/eventpoll.c, fs/select.c). The peer is
// played with segment builders; time is a fake clock the test moves.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "lib/sock/sockets.h"
#include "tests/support/link.h"
#include "tests/support/script.h"

namespace tern::sock {
namespace {

using tcp::testing::CaptureSink;
using tcp::testing::kLocalAddr;
using tcp::testing::kRemoteAddr;
using tcp::testing::SegBuilder;
using tcp::testing::Sent;
using namespace wire::tcp_flags;  // NOLINT

constexpr uint16_t kPeerPort = 8080;

// A clock the test moves; Wait never blocks (a blocking call returns as a
// non-blocking one would).
class FakeHost : public Host {
 public:
  Instant Now() override { return now; }
  bool Wait(Instant) override { return false; }
  Instant now;
};

class SockErrnoTest : public ::testing::Test {
 protected:
  SockErrnoTest() { Make(); }

  void Make() {
    tcp::EndpointConfig config;
    config.max_connections = max_connections_;
    config.max_time_wait = 16;
    ep_ = tcp::testing::MakeTestEndpoint(config, &sink_, host_.now, 0);
    SocketsConfig sc;
    sc.local_addr = kLocalAddr;
    sc.max_fds = max_fds_;
    sc.max_epoll_entries = max_epoll_entries_;
    socks_ = std::make_unique<Sockets>(ep_.get(), &host_, sc);
  }

  static sockaddr_in Addr(wire::Ipv4Addr a, uint16_t port) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(a.value);
    return sin;
  }
  static const sockaddr* Sa(const sockaddr_in& sin) {
    return reinterpret_cast<const sockaddr*>(&sin);
  }

  int NewSocket() { return socks_->Socket(AF_INET, SOCK_STREAM, 0); }

  int Bind(int fd, uint16_t port) {
    sockaddr_in me = Addr(kLocalAddr, port);
    return socks_->Bind(fd, Sa(me), sizeof(me));
  }

  int ConnectTo(int fd, uint16_t port = kPeerPort) {
    sockaddr_in to = Addr(kRemoteAddr, port);
    return socks_->Connect(fd, Sa(to), sizeof(to));
  }

  // Delivers `b` from the peer at port `port` to our `local_port`.
  void FromPeer(SegBuilder b, uint16_t port, uint16_t local_port) {
    b.From(kRemoteAddr, port).To(kLocalAddr, local_port);
    ep_->OnSegment(b.Build(), host_.now);
  }

  // Our last SYN to the peer: its source port and ISS.
  Sent LastSyn() {
    EXPECT_FALSE(sink_.sent.empty());
    Sent syn = sink_.sent.back();
    EXPECT_TRUE(syn.Has(kSyn));
    sink_.sent.clear();
    return syn;
  }

  // A connected socket: connect, then the peer's SYN-ACK.
  int Connected() {
    int fd = NewSocket();
    EXPECT_EQ(ConnectTo(fd), -EINPROGRESS);
    Sent syn = LastSyn();
    local_port_ = syn.tcp.src_port;
    our_nxt_ = syn.tcp.seq.raw() + 1;
    FromPeer(SegBuilder().SynAck().Seq(5000).Ack(our_nxt_).Mss(1460), kPeerPort,
             local_port_);
    peer_nxt_ = 5001;
    sink_.sent.clear();
    EXPECT_EQ(ConnectTo(fd), 0);
    return fd;
  }

  // The peer resets the connection of `Connected`.
  void PeerResets() {
    FromPeer(SegBuilder().Rst().Seq(peer_nxt_), kPeerPort, local_port_);
  }

  // A listener on `port` with one completed connection queued.
  int ListenerWithConnection(uint16_t port) {
    int fd = NewSocket();
    EXPECT_EQ(Bind(fd, port), 0);
    EXPECT_EQ(socks_->Listen(fd, 8), 0);
    Handshake(port, 50000);
    return fd;
  }
  void Handshake(uint16_t port, uint16_t peer_port) {
    FromPeer(SegBuilder().Syn().Seq(1).Mss(1460), peer_port, port);
    ASSERT_FALSE(sink_.sent.empty());
    const uint32_t iss = sink_.sent.back().tcp.seq.raw();
    sink_.sent.clear();
    FromPeer(SegBuilder().AckOnly().Seq(2).Ack(iss + 1), peer_port, port);
  }

  // Moves the clock to `t`, running the endpoint's timers on the way.
  void AdvanceTo(Instant t) {
    for (int guard = 0; guard < 100000; ++guard) {
      const Instant d = ep_->NextDeadline();
      if (d > t) {
        break;
      }
      host_.now = std::max(host_.now, d);
      ep_->OnTimers(host_.now);
    }
    host_.now = t;
    ep_->OnTimers(host_.now);
  }

  size_t max_fds_ = 1024;
  size_t max_epoll_entries_ = 1024;
  size_t max_connections_ = 64;
  FakeHost host_;
  CaptureSink sink_;
  std::unique_ptr<tcp::Endpoint> ep_;
  std::unique_ptr<Sockets> socks_;
  uint16_t local_port_ = 0;
  uint32_t our_nxt_ = 0;
  uint32_t peer_nxt_ = 0;
};

// ---- Socket

TEST_F(SockErrnoTest, Socket_Errors) {
  EXPECT_EQ(socks_->Socket(AF_INET6, SOCK_STREAM, 0), -EAFNOSUPPORT);
  // __sock_create: type < 0 || type >= SOCK_MAX.
  EXPECT_EQ(socks_->Socket(AF_INET, 11, 0), -EINVAL);
  EXPECT_EQ(socks_->Socket(AF_INET, -1, 0), -EINVAL);
  // inet_create: no protocol registered for the type.
  EXPECT_EQ(socks_->Socket(AF_INET, SOCK_SEQPACKET, 0), -ESOCKTNOSUPPORT);
  EXPECT_EQ(socks_->Socket(AF_INET, 0, 0), -ESOCKTNOSUPPORT);
  EXPECT_EQ(socks_->Socket(AF_INET, SOCK_STREAM, IPPROTO_UDP),
            -EPROTONOSUPPORT);
  EXPECT_GE(socks_->Socket(AF_INET, SOCK_STREAM, IPPROTO_TCP), 0);
}

TEST_F(SockErrnoTest, Socket_TableFull_Emfile) {
  max_fds_ = 2;
  Make();
  EXPECT_GE(NewSocket(), 0);
  EXPECT_GE(NewSocket(), 0);
  EXPECT_EQ(NewSocket(), -EMFILE);
}

// ---- Bind

TEST_F(SockErrnoTest, Bind_Errors) {
  sockaddr_in me = Addr(kLocalAddr, 80);
  EXPECT_EQ(socks_->Bind(999, Sa(me), sizeof(me)), -EBADF);
  const int ep = socks_->EpollCreate1(0);
  EXPECT_EQ(socks_->Bind(ep, Sa(me), sizeof(me)), -ENOTSOCK);
  const int fd = NewSocket();
  EXPECT_EQ(socks_->Bind(fd, nullptr, sizeof(me)), -EFAULT);
  EXPECT_EQ(socks_->Bind(fd, Sa(me), sizeof(me) - 1), -EINVAL);
  sockaddr_in six = me;
  six.sin_family = AF_INET6;
  EXPECT_EQ(socks_->Bind(fd, Sa(six), sizeof(six)), -EAFNOSUPPORT);
  sockaddr_in elsewhere = Addr(wire::Ipv4Addr::FromOctets(10, 9, 9, 9), 80);
  EXPECT_EQ(socks_->Bind(fd, Sa(elsewhere), sizeof(elsewhere)), -EADDRNOTAVAIL);
  ASSERT_EQ(socks_->Bind(fd, Sa(me), sizeof(me)), 0);
  sockaddr_in other = Addr(kLocalAddr, 81);
  EXPECT_EQ(socks_->Bind(fd, Sa(other), sizeof(other)), -EINVAL);  // bound
}

TEST_F(SockErrnoTest, Bind_PortTaken_EaddrinuseUnlessBothReuseAndNoneListens) {
  const int one = 1;
  const int a = NewSocket();
  const int b = NewSocket();
  ASSERT_EQ(Bind(a, 80), 0);
  EXPECT_EQ(Bind(b, 80), -EADDRINUSE);
  // Both with SO_REUSEADDR, neither listening: shared.
  const int c = NewSocket();
  const int d = NewSocket();
  ASSERT_EQ(socks_->SetSockOpt(c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)),
            0);
  ASSERT_EQ(socks_->SetSockOpt(d, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)),
            0);
  ASSERT_EQ(Bind(c, 90), 0);
  EXPECT_EQ(Bind(d, 90), 0);
  // Once one listens, the port is no longer shared.
  ASSERT_EQ(socks_->Listen(c, 4), 0);
  const int e = NewSocket();
  ASSERT_EQ(socks_->SetSockOpt(e, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)),
            0);
  EXPECT_EQ(Bind(e, 90), -EADDRINUSE);
}

// ---- Listen

TEST_F(SockErrnoTest, Listen_ConnectedOrConnecting_Einval) {
  const int connected = Connected();
  EXPECT_EQ(socks_->Listen(connected, 4), -EINVAL);
  const int connecting = NewSocket();
  ASSERT_EQ(ConnectTo(connecting, kPeerPort + 1), -EINPROGRESS);
  EXPECT_EQ(socks_->Listen(connecting, 4), -EINVAL);
}

TEST_F(SockErrnoTest, Listen_AnotherListenerOnThePort_Eaddrinuse) {
  const int one = 1;
  const int a = NewSocket();
  const int b = NewSocket();
  ASSERT_EQ(socks_->SetSockOpt(a, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)),
            0);
  ASSERT_EQ(socks_->SetSockOpt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)),
            0);
  ASSERT_EQ(Bind(a, 80), 0);
  ASSERT_EQ(Bind(b, 80), 0);
  ASSERT_EQ(socks_->Listen(a, 4), 0);
  // inet_csk_get_port at listen time: the port has a listener.
  EXPECT_EQ(socks_->Listen(b, 4), -EADDRINUSE);
}

// ---- Accept

TEST_F(SockErrnoTest, Accept_Errors) {
  const int fd = NewSocket();
  EXPECT_EQ(socks_->Accept(fd, nullptr, nullptr), -EINVAL);  // not listening
  ASSERT_EQ(Bind(fd, 80), 0);
  ASSERT_EQ(socks_->Listen(fd, 4), 0);
  // Only SOCK_NONBLOCK and SOCK_CLOEXEC are flags of accept4.
  EXPECT_EQ(socks_->Accept(fd, nullptr, nullptr, 0x40000000), -EINVAL);
  EXPECT_EQ(socks_->Accept(fd, nullptr, nullptr), -EAGAIN);  // none queued
  Handshake(80, 50000);
  sockaddr_in peer{};
  EXPECT_EQ(socks_->Accept(fd, reinterpret_cast<sockaddr*>(&peer), nullptr),
            -EFAULT);
}

TEST_F(SockErrnoTest, Accept_TableFull_EmfileConnectionStaysQueued) {
  max_fds_ = 2;
  Make();
  const int fd = ListenerWithConnection(80);
  const int other = NewSocket();
  ASSERT_GE(other, 0);
  EXPECT_EQ(socks_->Accept(fd, nullptr, nullptr), -EMFILE);
  ASSERT_EQ(socks_->Close(other), 0);
  EXPECT_GE(socks_->Accept(fd, nullptr, nullptr), 0);
}

// ---- Connect

TEST_F(SockErrnoTest, Connect_NonBlocking_InprogressAlreadyThenIsconn) {
  const int fd = NewSocket();
  EXPECT_EQ(ConnectTo(fd), -EINPROGRESS);
  EXPECT_EQ(ConnectTo(fd), -EALREADY);
  Sent syn = LastSyn();
  FromPeer(SegBuilder().SynAck().Seq(5000).Ack(syn.tcp.seq.raw() + 1),
           kPeerPort, syn.tcp.src_port);
  EXPECT_EQ(ConnectTo(fd), 0);
  EXPECT_EQ(ConnectTo(fd), -EISCONN);
}

TEST_F(SockErrnoTest, Connect_RstAnswersSyn_Econnrefused) {
  const int fd = NewSocket();
  ASSERT_EQ(ConnectTo(fd), -EINPROGRESS);
  Sent syn = LastSyn();
  FromPeer(SegBuilder().RstAck().Seq(0).Ack(syn.tcp.seq.raw() + 1), kPeerPort,
           syn.tcp.src_port);
  EXPECT_EQ(ConnectTo(fd), -ECONNREFUSED);
}

TEST_F(SockErrnoTest, Connect_SynRetriesExhausted_Etimedout) {
  const int fd = NewSocket();
  ASSERT_EQ(ConnectTo(fd), -EINPROGRESS);
  AdvanceTo(host_.now + Duration::Seconds(600));
  EXPECT_EQ(ConnectTo(fd), -ETIMEDOUT);
}

TEST_F(SockErrnoTest, Connect_ShutdownDuringHandshake_EconnresetPending) {
  // Linux's tcp_disconnect in SYN-SENT leaves ECONNRESET for SO_ERROR; a
  // new connect starts afresh (tcp_connect_init clears sk_err).
  const int fd = NewSocket();
  ASSERT_EQ(ConnectTo(fd), -EINPROGRESS);
  ASSERT_EQ(socks_->Shutdown(fd, SHUT_RDWR), 0);
  int err = 0;
  socklen_t len = sizeof(err);
  ASSERT_EQ(socks_->GetSockOpt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
  EXPECT_EQ(err, ECONNRESET);
  EXPECT_EQ(ConnectTo(fd), -EINPROGRESS);
}

TEST_F(SockErrnoTest, Connect_RstInActiveSynReceived_Econnrefused) {
  // Simultaneous open: the peer's SYN crosses ours, then an RST at RCV.NXT.
  // RFC 9293 3.10.7.4 calls the connection refused; Linux's tcp_reset gives
  // ECONNRESET there (doc/api.md lists the difference).
  const int fd = NewSocket();
  ASSERT_EQ(ConnectTo(fd), -EINPROGRESS);
  Sent syn = LastSyn();
  FromPeer(SegBuilder().Syn().Seq(7000).Mss(1460), kPeerPort, syn.tcp.src_port);
  FromPeer(SegBuilder().Rst().Seq(7001), kPeerPort, syn.tcp.src_port);
  EXPECT_EQ(ConnectTo(fd), -ECONNREFUSED);
}

TEST_F(SockErrnoTest, Connect_BadAddress_Errors) {
  const int fd = NewSocket();
  sockaddr_in six = Addr(kRemoteAddr, kPeerPort);
  six.sin_family = AF_INET6;
  EXPECT_EQ(socks_->Connect(fd, Sa(six), sizeof(six)), -EAFNOSUPPORT);
  sockaddr_in to = Addr(kRemoteAddr, kPeerPort);
  EXPECT_EQ(socks_->Connect(fd, Sa(to), sizeof(to) - 1), -EINVAL);
}

TEST_F(SockErrnoTest, Connect_FourTupleTaken_Eaddrnotavail) {
  const int one = 1;
  const int a = NewSocket();
  const int b = NewSocket();
  ASSERT_EQ(socks_->SetSockOpt(a, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)),
            0);
  ASSERT_EQ(socks_->SetSockOpt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)),
            0);
  ASSERT_EQ(Bind(a, 5555), 0);
  ASSERT_EQ(Bind(b, 5555), 0);
  ASSERT_EQ(ConnectTo(a), -EINPROGRESS);
  EXPECT_EQ(ConnectTo(b), -EADDRNOTAVAIL);
}

TEST_F(SockErrnoTest, Connect_ConnectionTableFull_Enobufs) {
  max_connections_ = 1;
  Make();
  ASSERT_EQ(ConnectTo(NewSocket()), -EINPROGRESS);
  EXPECT_EQ(ConnectTo(NewSocket(), kPeerPort + 1), -ENOBUFS);
}

// ---- Recv

TEST_F(SockErrnoTest, Recv_Errors) {
  char buf[16];
  EXPECT_EQ(socks_->Recv(999, buf, sizeof(buf), 0), -EBADF);
  const int fresh = NewSocket();
  EXPECT_EQ(socks_->Recv(fresh, buf, sizeof(buf), 0), -ENOTCONN);
  const int listener = NewSocket();
  ASSERT_EQ(Bind(listener, 80), 0);
  ASSERT_EQ(socks_->Listen(listener, 4), 0);
  EXPECT_EQ(socks_->Recv(listener, buf, sizeof(buf), 0), -ENOTCONN);
  const int ep = socks_->EpollCreate1(0);
  EXPECT_EQ(socks_->Recv(ep, buf, sizeof(buf), 0), -EINVAL);
  const int fd = Connected();
  EXPECT_EQ(socks_->Recv(fd, buf, sizeof(buf), MSG_OOB), -EINVAL);
  EXPECT_EQ(socks_->Recv(fd, buf, sizeof(buf), 0), -EAGAIN);
}

TEST_F(SockErrnoTest, Recv_PeerReset_EconnresetOnceThenZero) {
  const int fd = Connected();
  PeerResets();
  char buf[16];
  EXPECT_EQ(socks_->Recv(fd, buf, sizeof(buf), 0), -ECONNRESET);
  EXPECT_EQ(socks_->Recv(fd, buf, sizeof(buf), 0), 0);  // it had connected
}

TEST_F(SockErrnoTest, Recv_RetransmissionsExhausted_Etimedout) {
  const int fd = Connected();
  ASSERT_EQ(socks_->Send(fd, "hello", 5, 0), 5);
  AdvanceTo(host_.now + Duration::Seconds(3600));
  char buf[16];
  EXPECT_EQ(socks_->Recv(fd, buf, sizeof(buf), 0), -ETIMEDOUT);
}

// ---- Send

TEST_F(SockErrnoTest, Send_Epipe) {
  const int fresh = NewSocket();
  EXPECT_EQ(socks_->Send(fresh, "x", 1, 0), -EPIPE);  // never connected
  const int fd = Connected();
  ASSERT_EQ(socks_->Shutdown(fd, SHUT_WR), 0);
  EXPECT_EQ(socks_->Send(fd, "x", 1, 0), -EPIPE);  // after SHUT_WR
}

TEST_F(SockErrnoTest, Send_PeerReset_PendingErrorFirstThenEpipe) {
  const int fd = Connected();
  PeerResets();
  EXPECT_EQ(socks_->Send(fd, "x", 1, 0), -ECONNRESET);
  EXPECT_EQ(socks_->Send(fd, "x", 1, 0), -EPIPE);  // the connection ended
}

TEST_F(SockErrnoTest, Send_BufferFullOrOob) {
  const int fd = Connected();
  EXPECT_EQ(socks_->Send(fd, "x", 1, MSG_OOB), -EOPNOTSUPP);
  // The peer's window never opens beyond what it announced; the send
  // buffer fills and a non-blocking send takes what fits.
  std::vector<char> big(4 * 1024 * 1024, 'b');
  const ssize_t took = socks_->Send(fd, big.data(), big.size(), MSG_DONTWAIT);
  ASSERT_GT(took, 0);
  ASSERT_LT(static_cast<size_t>(took), big.size());
  EXPECT_EQ(socks_->Send(fd, big.data(), big.size(), MSG_DONTWAIT), -EAGAIN);
}

// ---- Shutdown, Close

TEST_F(SockErrnoTest, Shutdown_Errors) {
  const int fresh = NewSocket();
  EXPECT_EQ(socks_->Shutdown(fresh, SHUT_WR), -ENOTCONN);  // never connected
  const int fd = Connected();
  EXPECT_EQ(socks_->Shutdown(fd, 7), -EINVAL);  // bad how
  PeerResets();
  char buf[4];
  EXPECT_EQ(socks_->Recv(fd, buf, sizeof(buf), 0), -ECONNRESET);
  EXPECT_EQ(socks_->Shutdown(fd, SHUT_WR), -ENOTCONN);  // over
}

TEST_F(SockErrnoTest, Close_BadDescriptor_Ebadf) {
  EXPECT_EQ(socks_->Close(999), -EBADF);
  const int fd = NewSocket();
  ASSERT_EQ(socks_->Close(fd), 0);
  EXPECT_EQ(socks_->Close(fd), -EBADF);
}

// ---- GetSockOpt / SetSockOpt

TEST_F(SockErrnoTest, SockOpt_Errors) {
  const int fd = NewSocket();
  int v = 1;
  socklen_t len = sizeof(v);
  EXPECT_EQ(socks_->SetSockOpt(fd, SOL_SOCKET, 9999, &v, sizeof(v)),
            -ENOPROTOOPT);
  EXPECT_EQ(socks_->GetSockOpt(fd, 9999, SO_ERROR, &v, &len), -ENOPROTOOPT);
  EXPECT_EQ(socks_->SetSockOpt(fd, IPPROTO_TCP, TCP_NODELAY, &v, 2), -EINVAL);
  int mss = 10;  // TCP_MAXSEG: 0 or 88..65535
  EXPECT_EQ(socks_->SetSockOpt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss)),
            -EINVAL);
  timeval tv{1, 1000000};  // sock_set_timeout: tv_usec past a second
  EXPECT_EQ(socks_->SetSockOpt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)),
            -EDOM);
  EXPECT_EQ(
      socks_->SetSockOpt(fd, SOL_SOCKET, SO_KEEPALIVE, nullptr, sizeof(int)),
      -EFAULT);
  EXPECT_EQ(socks_->GetSockOpt(fd, SOL_SOCKET, SO_ERROR, nullptr, &len),
            -EFAULT);
}

// A timeout too long to represent is no timeout, as Linux's
// sock_set_timeout makes one past MAX_SCHEDULE_TIMEOUT (getsockopt reads
// {0, 0}); tv_sec * 10^9 overflowed int64_t before (found by sock_fuzz under
// UBSan).
TEST_F(SockErrnoTest, SockOpt_HugeRcvTimeout_NoTimeout) {
  const int fd = NewSocket();
  timeval tv{std::numeric_limits<time_t>::max(), 999999};
  EXPECT_EQ(socks_->SetSockOpt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)),
            0);
  timeval back{7, 7};
  socklen_t len = sizeof(back);
  EXPECT_EQ(socks_->GetSockOpt(fd, SOL_SOCKET, SO_RCVTIMEO, &back, &len), 0);
  EXPECT_EQ(back.tv_sec, 0);
  EXPECT_EQ(back.tv_usec, 0);
  // Just under the bound it is kept.
  tv = timeval{999'999'999, 5};
  EXPECT_EQ(socks_->SetSockOpt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)),
            0);
  len = sizeof(back);
  EXPECT_EQ(socks_->GetSockOpt(fd, SOL_SOCKET, SO_SNDTIMEO, &back, &len), 0);
  EXPECT_EQ(back.tv_sec, 999'999'999);
  EXPECT_EQ(back.tv_usec, 5);
}

// ---- GetSockName / GetPeerName

TEST_F(SockErrnoTest, GetPeerName_Unconnected_Enotconn) {
  const int fd = NewSocket();
  sockaddr_in sin{};
  socklen_t len = sizeof(sin);
  EXPECT_EQ(socks_->GetPeerName(fd, reinterpret_cast<sockaddr*>(&sin), &len),
            -ENOTCONN);
  EXPECT_EQ(socks_->GetSockName(fd, reinterpret_cast<sockaddr*>(&sin), &len),
            0);
}

// ---- Fcntl, Ioctl

TEST_F(SockErrnoTest, Fcntl_OtherCommand_Einval) {
  const int fd = NewSocket();
  EXPECT_EQ(socks_->Fcntl(fd, 9999, 0), -EINVAL);
  EXPECT_EQ(socks_->Fcntl(fd, F_SETFL, O_NONBLOCK), 0);
  EXPECT_EQ(socks_->Fcntl(fd, F_GETFL, 0), O_RDWR | O_NONBLOCK);
}

TEST_F(SockErrnoTest, Ioctl_Errors) {
  const int listener = NewSocket();
  ASSERT_EQ(Bind(listener, 80), 0);
  ASSERT_EQ(socks_->Listen(listener, 4), 0);
  int n = 0;
  // tcp_ioctl: SIOCINQ on a listener.
  EXPECT_EQ(socks_->Ioctl(listener, SIOCINQ, &n), -EINVAL);
  const int fd = NewSocket();
  EXPECT_EQ(socks_->Ioctl(fd, SIOCGIFMTU, &n), -ENOTTY);
}

// ---- Poll

TEST_F(SockErrnoTest, Poll_Errors) {
  std::vector<pollfd> fds(2000, pollfd{-1, POLLIN, 0});
  // fs/select.c: more entries than the descriptor limit.
  EXPECT_EQ(socks_->Poll(fds.data(), fds.size(), 0), -EINVAL);
  EXPECT_EQ(socks_->Poll(nullptr, 1, 0), -EFAULT);
  EXPECT_EQ(socks_->Poll(nullptr, 0, 0), 0);
}

// ---- epoll

TEST_F(SockErrnoTest, EpollCreate_Errors) {
  EXPECT_EQ(socks_->EpollCreate(0), -EINVAL);
  EXPECT_EQ(socks_->EpollCreate(-1), -EINVAL);
  EXPECT_EQ(socks_->EpollCreate1(0x1), -EINVAL);  // not EPOLL_CLOEXEC
  EXPECT_GE(socks_->EpollCreate1(EPOLL_CLOEXEC), 0);
}

TEST_F(SockErrnoTest, EpollCreate_TableFull_Emfile) {
  max_fds_ = 1;
  Make();
  ASSERT_GE(socks_->EpollCreate(1), 0);
  EXPECT_EQ(socks_->EpollCreate(1), -EMFILE);
}

TEST_F(SockErrnoTest, EpollCtl_Errors) {
  const int ep = socks_->EpollCreate1(0);
  const int ep2 = socks_->EpollCreate1(0);
  const int fd = NewSocket();
  epoll_event ev{};
  ev.events = EPOLLIN;
  EXPECT_EQ(socks_->EpollCtl(999, EPOLL_CTL_ADD, fd, &ev), -EBADF);
  EXPECT_EQ(socks_->EpollCtl(ep, EPOLL_CTL_ADD, 999, &ev), -EBADF);
  EXPECT_EQ(socks_->EpollCtl(fd, EPOLL_CTL_ADD, ep, &ev),
            -EINVAL);  // not epoll
  EXPECT_EQ(socks_->EpollCtl(ep, EPOLL_CTL_ADD, ep, &ev), -EINVAL);   // itself
  EXPECT_EQ(socks_->EpollCtl(ep, EPOLL_CTL_ADD, ep2, &ev), -EINVAL);  // nested
  EXPECT_EQ(socks_->EpollCtl(ep, EPOLL_CTL_ADD, fd, nullptr), -EFAULT);
  EXPECT_EQ(socks_->EpollCtl(ep, EPOLL_CTL_MOD, fd, &ev), -ENOENT);
  EXPECT_EQ(socks_->EpollCtl(ep, EPOLL_CTL_DEL, fd, &ev), -ENOENT);
  ASSERT_EQ(socks_->EpollCtl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
  EXPECT_EQ(socks_->EpollCtl(ep, EPOLL_CTL_ADD, fd, &ev), -EEXIST);
}

TEST_F(SockErrnoTest, EpollCtl_InterestListFull_Enospc) {
  max_epoll_entries_ = 1;
  Make();
  const int ep = socks_->EpollCreate1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ASSERT_EQ(socks_->EpollCtl(ep, EPOLL_CTL_ADD, NewSocket(), &ev), 0);
  EXPECT_EQ(socks_->EpollCtl(ep, EPOLL_CTL_ADD, NewSocket(), &ev), -ENOSPC);
}

TEST_F(SockErrnoTest, EpollWait_Errors) {
  epoll_event evs[4];
  EXPECT_EQ(socks_->EpollWait(999, evs, 4, 0), -EBADF);
  const int ep = socks_->EpollCreate1(0);
  EXPECT_EQ(socks_->EpollWait(ep, evs, 0, 0), -EINVAL);
  EXPECT_EQ(socks_->EpollWait(ep, evs, -1, 0), -EINVAL);
  EXPECT_EQ(socks_->EpollWait(ep, evs, 4, 0), 0);
}

}  // namespace
}  // namespace tern::sock
