// lib/sock calls driven directly over an endpoint, the peer played with
// segment builders: write/send with a null buffer (EFAULT, Linux's fault on
// copying from user space) and listen(2) on a listening socket (the new
// backlog applies at once, Linux's inet_listen).
#include "lib/sock/sockets.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

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

class SocketsTest : public ::testing::Test {
 protected:
  SocketsTest() {
    tcp::EndpointConfig config;
    config.max_connections = 64;
    config.max_time_wait = 64;
    ep_ = tcp::testing::MakeTestEndpoint(config, &sink_, Instant(), 0);
    SocketsConfig sc;
    sc.local_addr = kLocalAddr;
    socks_ = std::make_unique<Sockets>(ep_.get(), nullptr, sc);
  }

  sockaddr_in Addr(wire::Ipv4Addr a, uint16_t port) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(a.value);
    return sin;
  }

  // A connected socket: connect, then the peer's SYN-ACK.
  int Connected() {
    int fd = socks_->Socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to = Addr(kRemoteAddr, 8080);
    EXPECT_EQ(socks_->Connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
              -EINPROGRESS);
    EXPECT_FALSE(sink_.sent.empty());
    const Sent syn = sink_.sent.back();
    local_port_ = syn.tcp.src_port;
    our_nxt_ = syn.tcp.seq.raw() + 1;
    sink_.sent.clear();
    SegBuilder synack;
    synack.From(kRemoteAddr, 8080)
        .To(kLocalAddr, syn.tcp.src_port)
        .SynAck()
        .Seq(5000)
        .Ack(syn.tcp.seq.raw() + 1)
        .Mss(1460);
    ep_->OnSegment(synack.Build(), Instant());
    sink_.sent.clear();
    return fd;
  }

  CaptureSink sink_;
  std::unique_ptr<tcp::Endpoint> ep_;
  std::unique_ptr<Sockets> socks_;
  uint16_t local_port_ = 0;
  uint32_t our_nxt_ = 0;
};

TEST_F(SocketsTest, Send_NullBufferNonZeroLength_Efault) {
  int fd = Connected();
  EXPECT_EQ(socks_->Send(fd, nullptr, 10, 0), -EFAULT);
  EXPECT_TRUE(sink_.sent.empty());
  // Zero bytes from a null buffer is no fault.
  EXPECT_EQ(socks_->Send(fd, nullptr, 0, 0), 0);
  // writev: a null iov array, and a null base after a good one.
  EXPECT_EQ(socks_->Send(fd, static_cast<const iovec*>(nullptr), 1, 0),
            -EFAULT);
  char good[4] = {'a', 'b', 'c', 'd'};
  iovec iov[2] = {{good, sizeof(good)}, {nullptr, 8}};
  EXPECT_EQ(socks_->Send(fd, iov, 2, 0), 4);  // what was taken before it
  // The connection is intact.
  EXPECT_EQ(socks_->Send(fd, good, sizeof(good), 0), 4);
}

TEST_F(SocketsTest, Listen_Again_NewBacklogAppliesAtOnce) {
  int fd = socks_->Socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in me = Addr(kLocalAddr, 80);
  ASSERT_EQ(socks_->Bind(fd, reinterpret_cast<sockaddr*>(&me), sizeof(me)), 0);
  ASSERT_EQ(socks_->Listen(fd, 0), 0);  // Linux: room for backlog + 1 = 1
  auto handshake = [&](uint16_t port) {
    SegBuilder syn;
    syn.From(kRemoteAddr, port).To(kLocalAddr, 80).Syn().Seq(1).Mss(1460);
    ep_->OnSegment(syn.Build(), Instant());
    if (sink_.sent.empty()) {
      return false;  // the SYN was dropped
    }
    const uint32_t iss = sink_.sent.back().tcp.seq.raw();
    sink_.sent.clear();
    SegBuilder ack;
    ack.From(kRemoteAddr, port)
        .To(kLocalAddr, 80)
        .AckOnly()
        .Seq(2)
        .Ack(iss + 1);
    ep_->OnSegment(ack.Build(), Instant());
    return true;
  };
  EXPECT_TRUE(handshake(50001));
  EXPECT_FALSE(handshake(50002));  // accept queue full
  ASSERT_EQ(socks_->Listen(fd, 2), 0);
  EXPECT_TRUE(handshake(50002));
  EXPECT_TRUE(handshake(50003));
  EXPECT_FALSE(handshake(50004));
  for (int i = 0; i < 3; ++i) {
    EXPECT_GE(socks_->Accept(fd, nullptr, nullptr), 0);
  }
}

TEST_F(SocketsTest, EpollEt_NewDataWhileReadable_ReportsWholeMaskAgain) {
  // packetdrill's epoll/epoll_in_edge.pkt: every arrival wakes an EPOLLET
  // item, which then reports what is ready now (Linux's ep_send_events).
  const int fd = Connected();
  const int ep = socks_->EpollCreate1(0);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
  ev.data.u64 = 42;
  ASSERT_EQ(socks_->EpollCtl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
  epoll_event out[2];
  ASSERT_EQ(socks_->EpollWait(ep, out, 2, 0), 1);
  EXPECT_EQ(out[0].events, static_cast<uint32_t>(EPOLLOUT));
  EXPECT_EQ(socks_->EpollWait(ep, out, 2, 0), 0);
  uint32_t seq = 5001;
  auto data = [&](size_t n) {
    SegBuilder b;
    b.From(kRemoteAddr, 8080)
        .To(kLocalAddr, local_port_)
        .AckOnly()
        .Seq(seq)
        .Ack(our_nxt_)
        .Data(n, 'd');
    seq += static_cast<uint32_t>(n);
    ep_->OnSegment(b.Build(), Instant());
  };
  data(4000);
  ASSERT_EQ(socks_->EpollWait(ep, out, 2, 0), 1);
  EXPECT_EQ(out[0].events, static_cast<uint32_t>(EPOLLIN | EPOLLOUT));
  EXPECT_EQ(out[0].data.u64, 42u);
  EXPECT_EQ(socks_->EpollWait(ep, out, 2, 0), 0);  // nothing new
  // More data while still readable: reported again, whole mask.
  data(6000);
  ASSERT_EQ(socks_->EpollWait(ep, out, 2, 0), 1);
  EXPECT_EQ(out[0].events, static_cast<uint32_t>(EPOLLIN | EPOLLOUT));
  EXPECT_EQ(socks_->EpollWait(ep, out, 2, 0), 0);
  // A read that leaves data is no arrival.
  char buf[1000];
  ASSERT_EQ(socks_->Recv(fd, buf, sizeof(buf), 0), 1000);
  EXPECT_EQ(socks_->EpollWait(ep, out, 2, 0), 0);
  data(2000);
  ASSERT_EQ(socks_->EpollWait(ep, out, 2, 0), 1);
  EXPECT_EQ(out[0].events, static_cast<uint32_t>(EPOLLIN | EPOLLOUT));
}

}  // namespace
}  // namespace tern::sock
