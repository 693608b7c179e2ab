// Tests of libtern_packetdrill.so without packetdrill: the shared object is
// loaded with dlopen, as packetdrill loads it, and driven through the
// function pointers with IPv4 packets built and checked here.
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/tcp_header.h"
#include "tests/packetdrill/packetdrill_abi.h"

namespace tern::packetdrill {
namespace {

using wire::Ipv4Addr;
using wire::TcpRepr;
namespace fl = wire::tcp_flags;

const Ipv4Addr kLocal = Ipv4Addr::FromOctets(192, 168, 0, 1);
const Ipv4Addr kRemote = Ipv4Addr::FromOctets(192, 0, 2, 1);
constexpr uint16_t kPort = 8080;
constexpr uint16_t kPeerPort = 40000;

sockaddr_in Addr(Ipv4Addr a, uint16_t port) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_port = htons(port);
  s.sin_addr.s_addr = htonl(a.value);
  return s;
}

// Waits until thread `tid` sleeps in the kernel, as packetdrill does before
// it moves on from a blocking call (it reads /proc/<pid>/task/<tid>/stat).
void WaitUntilSleeping(const std::atomic<pid_t>& tid) {
  for (int i = 0; i < 5000; ++i) {
    pid_t t = tid.load();
    if (t != 0) {
      std::ifstream stat("/proc/self/task/" + std::to_string(t) + "/stat");
      std::string line;
      std::getline(stat, line);
      size_t paren = line.rfind(')');
      if (paren != std::string::npos && paren + 2 < line.size() &&
          line[paren + 2] == 'S') {
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ADD_FAILURE() << "the blocking call never slept";
}

pid_t Tid() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

struct Packet {
  wire::Ipv4Repr ip;
  TcpRepr tcp;
  std::vector<uint8_t> bytes;  // keeps tcp.payload alive
};

class ShimTest : public ::testing::Test {
 protected:
  void SetUp() override { Load("linux"); }
  void TearDown() override {
    if (pd_.free != nullptr) {
      pd_.free(pd_.userdata);
    }
    if (handle_ != nullptr) {
      dlclose(handle_);
    }
  }

  void Load(const char* flags) {
    const char* path = std::getenv("TERN_PACKETDRILL_SO");
    ASSERT_NE(path, nullptr) << "TERN_PACKETDRILL_SO names the shim";
    handle_ = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << dlerror();
    auto init = reinterpret_cast<packetdrill_interface_init_t>(
        dlsym(handle_, "packetdrill_interface_init"));
    ASSERT_NE(init, nullptr) << dlerror();
    init(flags, &pd_);
    ASSERT_NE(pd_.userdata, nullptr);
  }

  void* ud() { return pd_.userdata; }

  // Injects a segment from the remote peer.
  void Inject(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t window,
              const std::string& data = "",
              const wire::TcpOptions& options = {}) {
    TcpRepr t;
    t.src_port = kPeerPort;
    t.dst_port = kPort;
    t.seq = SeqNum(seq);
    t.ack = SeqNum(ack);
    t.flags = flags;
    t.window = window;
    t.options = options;
    t.payload = std::span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(data.data()), data.size());
    wire::Ipv4Repr ip;
    ip.src = kRemote;
    ip.dst = kLocal;
    ip.protocol = wire::kIpProtoTcp;
    ip.payload_len = static_cast<uint16_t>(t.BufferLen());
    std::vector<uint8_t> buf(ip.BufferLen());
    ip.Emit(std::span<uint8_t>(buf).first(wire::Ipv4Repr::HeaderLen()));
    t.Emit(std::span<uint8_t>(buf).subspan(wire::Ipv4Repr::HeaderLen()), ip.src,
           ip.dst);
    ASSERT_EQ(pd_.netdev_send(ud(), buf.data(), buf.size()), 0);
  }

  // The next packet the stack sends, or nullopt when it will send none.
  std::optional<Packet> Receive(long long* when = nullptr) {
    Packet p;
    p.bytes.resize(65536);
    size_t n = p.bytes.size();
    long long t = 0;
    EXPECT_EQ(pd_.netdev_receive(ud(), p.bytes.data(), &n, &t), 0);
    if (n == 0) {
      return std::nullopt;
    }
    p.bytes.resize(n);
    std::span<const uint8_t> l4;
    EXPECT_EQ(wire::Ipv4Repr::Parse(p.bytes, wire::Ipv4Repr::Checksum::kVerify,
                                    &p.ip, &l4),
              wire::WireError::kOk);
    EXPECT_EQ(TcpRepr::Parse(l4, p.ip.src, p.ip.dst, TcpRepr::Checksum::kVerify,
                             &p.tcp),
              wire::WireError::kOk);
    if (when != nullptr) {
      *when = t;
    }
    return p;
  }

  long long NowUs() {
    timeval tv{};
    EXPECT_EQ(pd_.gettimeofday(ud(), &tv, nullptr), 0);
    return static_cast<long long>(tv.tv_sec) * 1000000 + tv.tv_usec;
  }

  // socket/bind/listen on kLocal:kPort; returns the listener's fd.
  int ListenSocket(int backlog = 1) {
    int fd = pd_.socket(ud(), AF_INET, SOCK_STREAM, IPPROTO_TCP);
    EXPECT_GE(fd, 0);
    int one = 1;
    EXPECT_EQ(
        pd_.setsockopt(ud(), fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)),
        0);
    sockaddr_in a = Addr(kLocal, kPort);
    EXPECT_EQ(pd_.bind(ud(), fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)),
              0);
    EXPECT_EQ(pd_.listen(ud(), fd, backlog), 0);
    return fd;
  }

  // Completes a passive handshake (peer ISN 0, no timestamps); returns our
  // ISN.
  uint32_t Handshake() {
    wire::TcpOptions o;
    o.mss = 1000;
    o.sack_permitted = true;
    o.window_scale = 7;
    Inject(fl::kSyn, 0, 0, 32792, "", o);
    std::optional<Packet> synack = Receive();
    EXPECT_TRUE(synack.has_value());
    if (!synack.has_value()) {
      return 0;
    }
    EXPECT_EQ(synack->tcp.flags, fl::kSyn | fl::kAck);
    EXPECT_EQ(synack->tcp.ack.raw(), 1u);
    const uint32_t isn = synack->tcp.seq.raw();
    Inject(fl::kAck, 1, isn + 1, 257);
    return isn;
  }

  void* handle_ = nullptr;
  packetdrill_interface pd_{};
};

TEST_F(ShimTest, PassiveOpenDataAndCloseWithLinuxErrnos) {
  int lfd = ListenSocket();
  ASSERT_GE(lfd, 0);
  ASSERT_EQ(pd_.fcntl(ud(), lfd, F_SETFL, O_RDWR | O_NONBLOCK), 0);
  EXPECT_EQ(pd_.accept(ud(), lfd, nullptr, nullptr), -1);
  EXPECT_EQ(errno, EAGAIN);

  // The linux profile's SYN-ACK options: MSS 1460, SACK-permitted and
  // window scale 8, in Linux's order with NOPs.
  wire::TcpOptions o;
  o.mss = 1000;
  o.sack_permitted = true;
  o.window_scale = 7;
  Inject(fl::kSyn, 0, 0, 32792, "", o);
  std::optional<Packet> synack = Receive();
  ASSERT_TRUE(synack.has_value());
  EXPECT_EQ(synack->tcp.options.mss, 1460);
  EXPECT_EQ(synack->tcp.options.window_scale, 8);
  EXPECT_TRUE(synack->tcp.options.sack_permitted);
  const uint32_t isn = synack->tcp.seq.raw();
  Inject(fl::kAck, 1, isn + 1, 257);

  sockaddr_in peer{};
  socklen_t plen = sizeof(peer);
  int fd = pd_.accept(ud(), lfd, reinterpret_cast<sockaddr*>(&peer), &plen);
  ASSERT_GE(fd, 0);
  EXPECT_NE(fd, lfd);
  EXPECT_EQ(plen, sizeof(sockaddr_in));
  EXPECT_EQ(ntohs(peer.sin_port), kPeerPort);
  EXPECT_EQ(ntohl(peer.sin_addr.s_addr), kRemote.value);

  // Nothing to read yet: the accepted socket is blocking, MSG_DONTWAIT is
  // not.
  char buf[4096];
  EXPECT_EQ(pd_.recv(ud(), fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
  EXPECT_EQ(errno, EAGAIN);

  // write(1000) leaves as one segment with PSH.
  std::string data(1000, 'x');
  EXPECT_EQ(pd_.write(ud(), fd, data.data(), data.size()), 1000);
  std::optional<Packet> seg = Receive();
  ASSERT_TRUE(seg.has_value());
  EXPECT_EQ(seg->tcp.flags, fl::kPsh | fl::kAck);
  EXPECT_EQ(seg->tcp.seq.raw(), isn + 1);
  EXPECT_EQ(seg->tcp.payload.size(), 1000u);

  // The peer's data is acknowledged at once (Linux's quick-ACK mode).
  Inject(fl::kAck | fl::kPsh, 1, isn + 1001, 257, std::string(500, 'y'));
  std::optional<Packet> ack = Receive();
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->tcp.flags, fl::kAck);
  EXPECT_EQ(ack->tcp.ack.raw(), 501u);
  int inq = -1;
  EXPECT_EQ(pd_.ioctl(ud(), fd, FIONREAD, &inq), 0);
  EXPECT_EQ(inq, 500);
  EXPECT_EQ(pd_.read(ud(), fd, buf, sizeof(buf)), 500);
  EXPECT_EQ(buf[0], 'y');

  // The peer closes: EOF, then our close sends FIN; the final ACK ends the
  // connection and a later segment meets a RST.
  Inject(fl::kFin | fl::kAck, 501, isn + 1001, 257);
  ack = Receive();
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->tcp.ack.raw(), 502u);
  EXPECT_EQ(pd_.read(ud(), fd, buf, sizeof(buf)), 0);
  int err = -1;
  socklen_t elen = sizeof(err);
  EXPECT_EQ(pd_.getsockopt(ud(), fd, SOL_SOCKET, SO_ERROR, &err, &elen), 0);
  EXPECT_EQ(err, 0);
  EXPECT_EQ(pd_.close(ud(), fd), 0);
  std::optional<Packet> fin = Receive();
  ASSERT_TRUE(fin.has_value());
  EXPECT_EQ(fin->tcp.flags, fl::kFin | fl::kAck);
  EXPECT_EQ(fin->tcp.seq.raw(), isn + 1001);
  Inject(fl::kAck, 502, isn + 1002, 257);
  Inject(fl::kAck, 502, isn + 1002, 257);
  std::optional<Packet> rst = Receive();
  ASSERT_TRUE(rst.has_value());
  EXPECT_EQ(rst->tcp.flags, fl::kRst);
  EXPECT_EQ(rst->tcp.seq.raw(), isn + 1002);

  // A closed descriptor is EBADF; a bad shutdown mode EINVAL.
  EXPECT_EQ(pd_.write(ud(), fd, data.data(), 1), -1);
  EXPECT_EQ(errno, EBADF);
  EXPECT_EQ(pd_.shutdown(ud(), lfd, 7), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(pd_.close(ud(), lfd), 0);
}

TEST_F(ShimTest, ShutdownWriteSendsFinThenWriteIsEpipe) {
  int lfd = ListenSocket();
  uint32_t isn = Handshake();
  int fd = pd_.accept(ud(), lfd, nullptr, nullptr);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(pd_.shutdown(ud(), fd, SHUT_WR), 0);
  std::optional<Packet> fin = Receive();
  ASSERT_TRUE(fin.has_value());
  EXPECT_EQ(fin->tcp.flags, fl::kFin | fl::kAck);
  Inject(fl::kAck, 1, isn + 2, 257);
  EXPECT_EQ(pd_.write(ud(), fd, "a", 1), -1);
  EXPECT_EQ(errno, EPIPE);
  // Reading still works after SHUT_WR.
  Inject(fl::kAck, 1, isn + 2, 257, std::string(1000, 'z'));
  std::optional<Packet> ack = Receive();
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->tcp.ack.raw(), 1001u);
  char buf[2000];
  EXPECT_EQ(pd_.read(ud(), fd, buf, sizeof(buf)), 1000);
  pollfd p{fd, POLLIN | POLLOUT, 0};
  EXPECT_EQ(pd_.poll(ud(), &p, 1, 0), 1);
  EXPECT_EQ(p.revents & POLLOUT, POLLOUT);  // SEND_SHUTDOWN: writable
  EXPECT_EQ(p.revents & POLLIN, 0);
}

TEST_F(ShimTest, BlockingAcceptWakesWhenTheHandshakeCompletes) {
  int lfd = ListenSocket();
  long long start = NowUs();
  int accepted = -2;
  long long returned_at = 0;
  std::atomic<pid_t> tid{0};
  std::thread t([&] {
    tid = Tid();
    accepted = pd_.accept(ud(), lfd, nullptr, nullptr);
    returned_at = NowUs();  // as packetdrill's end_syscall
  });
  // The accept sleeps; virtual time moves only when this thread moves it.
  WaitUntilSleeping(tid);
  ASSERT_EQ(pd_.usleep(ud(), 100000), 0);
  wire::TcpOptions o;
  o.mss = 1000;
  Inject(fl::kSyn, 0, 0, 32792, "", o);
  std::optional<Packet> synack = Receive();
  ASSERT_TRUE(synack.has_value());
  ASSERT_EQ(pd_.usleep(ud(), 100000), 0);
  Inject(fl::kAck, 1, synack->tcp.seq.raw() + 1, 257);
  long long after = NowUs();
  t.join();
  EXPECT_GE(accepted, 0);
  // It returned at the ACK's virtual time (0.2 s), not later.
  EXPECT_GE(returned_at - start, 200000);
  EXPECT_LE(returned_at - start, 200100);
  EXPECT_GE(after, returned_at);
}

TEST_F(ShimTest, BlockingConnectAndRefusedNonBlockingConnect) {
  int fd = pd_.socket(ud(), AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in dst = Addr(kRemote, kPort);
  int result = -2;
  std::thread t([&] {
    result =
        pd_.connect(ud(), fd, reinterpret_cast<sockaddr*>(&dst), sizeof(dst));
    NowUs();
  });
  std::optional<Packet> syn;
  for (int i = 0; i < 1000 && !syn.has_value(); ++i) {
    syn = Receive();  // none until the thread has called connect
    if (!syn.has_value()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ASSERT_TRUE(syn.has_value());
  EXPECT_EQ(syn->tcp.flags, fl::kSyn);
  EXPECT_EQ(syn->tcp.options.mss, 1460);
  ASSERT_TRUE(syn->tcp.options.timestamps.has_value());
  EXPECT_EQ(syn->tcp.dst_port, kPort);
  // The SYN-ACK goes to the SYN's source port.
  TcpRepr t2;
  wire::Ipv4Repr ip;
  const uint16_t local_port = syn->tcp.src_port;
  {
    TcpRepr r;
    r.src_port = kPort;
    r.dst_port = local_port;
    r.seq = SeqNum(0);
    r.ack = syn->tcp.seq + 1;
    r.flags = fl::kSyn | fl::kAck;
    r.window = 5792;
    r.options.mss = 1460;
    ip.src = kRemote;
    ip.dst = kLocal;
    ip.protocol = wire::kIpProtoTcp;
    ip.payload_len = static_cast<uint16_t>(r.BufferLen());
    std::vector<uint8_t> buf(ip.BufferLen());
    ip.Emit(std::span<uint8_t>(buf).first(20));
    r.Emit(std::span<uint8_t>(buf).subspan(20), ip.src, ip.dst);
    ASSERT_EQ(pd_.netdev_send(ud(), buf.data(), buf.size()), 0);
  }
  t.join();
  EXPECT_EQ(result, 0);
  std::optional<Packet> ack = Receive();
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->tcp.flags, fl::kAck);
  EXPECT_EQ(ack->tcp.ack.raw(), 1u);
  EXPECT_EQ(
      pd_.connect(ud(), fd, reinterpret_cast<sockaddr*>(&dst), sizeof(dst)),
      -1);
  EXPECT_EQ(errno, EISCONN);

  // A second socket, non-blocking: EINPROGRESS, EALREADY, then the RST
  // makes it ECONNREFUSED once.
  int fd2 = pd_.socket(ud(), AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  ASSERT_GE(fd2, 0);
  EXPECT_EQ(
      pd_.connect(ud(), fd2, reinterpret_cast<sockaddr*>(&dst), sizeof(dst)),
      -1);
  EXPECT_EQ(errno, EINPROGRESS);
  EXPECT_EQ(
      pd_.connect(ud(), fd2, reinterpret_cast<sockaddr*>(&dst), sizeof(dst)),
      -1);
  EXPECT_EQ(errno, EALREADY);
  std::optional<Packet> syn2 = Receive();
  ASSERT_TRUE(syn2.has_value());
  {
    TcpRepr r;
    r.src_port = kPort;
    r.dst_port = syn2->tcp.src_port;
    r.seq = SeqNum(0);
    r.ack = syn2->tcp.seq + 1;
    r.flags = fl::kRst | fl::kAck;
    ip.payload_len = static_cast<uint16_t>(r.BufferLen());
    std::vector<uint8_t> buf(ip.BufferLen());
    ip.Emit(std::span<uint8_t>(buf).first(20));
    r.Emit(std::span<uint8_t>(buf).subspan(20), ip.src, ip.dst);
    ASSERT_EQ(pd_.netdev_send(ud(), buf.data(), buf.size()), 0);
  }
  pollfd p{fd2, POLLOUT, 0};
  EXPECT_EQ(pd_.poll(ud(), &p, 1, 0), 1);
  EXPECT_NE(p.revents & POLLERR, 0);
  EXPECT_EQ(
      pd_.connect(ud(), fd2, reinterpret_cast<sockaddr*>(&dst), sizeof(dst)),
      -1);
  EXPECT_EQ(errno, ECONNREFUSED);
  (void)t2;
}

TEST_F(ShimTest, BlockingReadTimesOutOnVirtualClockWithRcvtimeo) {
  int lfd = ListenSocket();
  Handshake();
  int fd = pd_.accept(ud(), lfd, nullptr, nullptr);
  ASSERT_GE(fd, 0);
  timeval tv{0, 50000};
  ASSERT_EQ(pd_.setsockopt(ud(), fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)),
            0);
  std::atomic<ssize_t> r{0};
  std::atomic<int> err{0};
  std::atomic<pid_t> tid{0};
  std::thread t([&] {
    tid = Tid();
    char buf[16];
    r = pd_.read(ud(), fd, buf, sizeof(buf));
    err = errno;
    NowUs();
  });
  // Real time passes but virtual time does not: the read stays blocked
  // until the clock is moved past its 50 ms timeout.
  WaitUntilSleeping(tid);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(r.load(), 0);  // still blocked
  ASSERT_EQ(pd_.usleep(ud(), 60000), 0);
  t.join();
  EXPECT_EQ(r.load(), -1);
  EXPECT_EQ(err.load(), EAGAIN);
}

TEST_F(ShimTest, OptionsAndErrnosAsLinux) {
  int fd = pd_.socket(ud(), AF_INET, SOCK_STREAM, IPPROTO_TCP);
  ASSERT_GE(fd, 0);
  // SO_SNDBUF is doubled, as Linux stores it.
  int v = 21000;
  ASSERT_EQ(pd_.setsockopt(ud(), fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0);
  int got = 0;
  socklen_t len = sizeof(got);
  ASSERT_EQ(pd_.getsockopt(ud(), fd, SOL_SOCKET, SO_SNDBUF, &got, &len), 0);
  EXPECT_EQ(got, 42000);
  // TCP_MAXSEG below TCP_MIN_MSS (88) is EINVAL; TCP_KEEPCNT above 127 too.
  v = 40;
  EXPECT_EQ(pd_.setsockopt(ud(), fd, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof(v)),
            -1);
  EXPECT_EQ(errno, EINVAL);
  v = 128;
  EXPECT_EQ(pd_.setsockopt(ud(), fd, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof(v)),
            -1);
  EXPECT_EQ(errno, EINVAL);
  // An unknown option is ENOPROTOOPT; a short optlen EINVAL.
  EXPECT_EQ(pd_.setsockopt(ud(), fd, SOL_SOCKET, 9999, &v, sizeof(v)), -1);
  EXPECT_EQ(errno, ENOPROTOOPT);
  EXPECT_EQ(pd_.setsockopt(ud(), fd, IPPROTO_TCP, TCP_NODELAY, &v, 2), -1);
  EXPECT_EQ(errno, EINVAL);
  // A fresh socket: send is EPIPE, recv ENOTCONN, poll POLLOUT|POLLHUP.
  EXPECT_EQ(pd_.send(ud(), fd, "a", 1, MSG_NOSIGNAL), -1);
  EXPECT_EQ(errno, EPIPE);
  char c;
  EXPECT_EQ(pd_.recv(ud(), fd, &c, 1, 0), -1);
  EXPECT_EQ(errno, ENOTCONN);
  pollfd p{fd, POLLIN | POLLOUT, 0};
  EXPECT_EQ(pd_.poll(ud(), &p, 1, 0), 1);
  EXPECT_EQ(p.revents, POLLOUT | POLLHUP);
  // Unsupported families and types.
  EXPECT_EQ(pd_.socket(ud(), AF_INET6, SOCK_STREAM, 0), -1);
  EXPECT_EQ(errno, EAFNOSUPPORT);
  EXPECT_EQ(pd_.socket(ud(), AF_INET, SOCK_DGRAM, 0), -1);
  EXPECT_EQ(errno, ESOCKTNOSUPPORT);
  int pfd[2];
  EXPECT_EQ(pd_.pipe(ud(), pfd), -1);
  EXPECT_EQ(errno, ENOSYS);
  // epoll: level-triggered readiness of a listener.
  int lfd = ListenSocket();
  int ep = pd_.epoll_create(ud(), 1);
  ASSERT_GE(ep, 0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 77;
  EXPECT_EQ(pd_.epoll_ctl(ud(), ep, EPOLL_CTL_ADD, lfd, &ev), 0);
  EXPECT_EQ(pd_.epoll_ctl(ud(), ep, EPOLL_CTL_ADD, lfd, &ev), -1);
  EXPECT_EQ(errno, EEXIST);
  epoll_event out[4];
  EXPECT_EQ(pd_.epoll_wait(ud(), ep, out, 4, 0), 0);
  Handshake();
  ASSERT_EQ(pd_.epoll_wait(ud(), ep, out, 4, 0), 1);
  EXPECT_EQ(out[0].data.u64, 77u);
  EXPECT_EQ(out[0].events, static_cast<uint32_t>(EPOLLIN));
}

TEST(ShimFlagsTest, UnknownFlagExitsNamingIt) {
  const char* path = std::getenv("TERN_PACKETDRILL_SO");
  ASSERT_NE(path, nullptr);
  void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(h, nullptr) << dlerror();
  auto init = reinterpret_cast<packetdrill_interface_init_t>(
      dlsym(h, "packetdrill_interface_init"));
  ASSERT_NE(init, nullptr);
  packetdrill_interface pd{};
  EXPECT_EXIT(init("linux,bogus=1", &pd), ::testing::ExitedWithCode(2),
              "unknown flag \"bogus\"");
  EXPECT_EXIT(init("syncookies=7", &pd), ::testing::ExitedWithCode(2),
              "syncookies expects an integer in \\[0, 2\\]");
}

}  // namespace
}  // namespace tern::packetdrill
