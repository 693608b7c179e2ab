// Output coalesced per poll iteration (EndpointConfig::coalesce_sends):
// application calls only mark the connection and Endpoint::Flush transmits
// once for all of them, so small sends leave as MSS-sized segments (RFC 9293
// 3.7.1 bounds them) and a FIN rides on the last data. What a received
// segment calls for waits for the flush too (RFC 9293 MUST-58 and MUST-59:
// one ACK for a burst, the request's ACK on the response); what a timer
// causes is never deferred.
#include <string>

#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

// The peer's SYN offers MSS 1460 and no timestamps: 1460 bytes a segment.
constexpr uint32_t kMss = 1460;

class CoalesceTest : public ScriptTest {
 protected:
  void Establish(bool coalesce) {
    config_.coalesce_sends = coalesce;
    listen_options_.conn.nodelay = true;
    Recreate();
    MakeEstablished();
    TakeConnEvents();
  }
  // Endpoint::Send without the harness's flush: the application's call
  // inside one poll iteration.
  void AppSend(size_t n, char fill) {
    std::string d(n, fill);
    IoResult r =
        ep_->Send(conn_,
                  std::span<const uint8_t>(
                      reinterpret_cast<const uint8_t*>(d.data()), d.size()),
                  now_);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r.bytes, n);
  }
};

TEST_F(CoalesceTest, Immediate_ThreeSendsNodelay_ThreeSegments) {
  Establish(/*coalesce=*/false);
  AppSend(500, 'a');
  AppSend(500, 'b');
  AppSend(500, 'c');
  EXPECT_EQ(sink_.sent.size(), 3u);  // one segment per call
  EXPECT_FALSE(ep_->flush_pending());
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Len(500);
  ExpectSent(kAck | kPsh, our_nxt_ + 500, peer_nxt_).Len(500);
  ExpectSent(kAck | kPsh, our_nxt_ + 1000, peer_nxt_).Len(500);
}

TEST_F(CoalesceTest, Coalesced_ThreeSendsNodelay_OneFullSegmentAndRest) {
  Establish(/*coalesce=*/true);
  AppSend(500, 'a');
  AppSend(500, 'b');
  AppSend(500, 'c');
  EXPECT_TRUE(sink_.sent.empty());  // nothing before the flush
  EXPECT_TRUE(ep_->flush_pending());
  ep_->Flush(now_);
  EXPECT_FALSE(ep_->flush_pending());
  Sent full = ExpectSent(kAck, our_nxt_, peer_nxt_).Len(1460);
  EXPECT_EQ(full.payload.size(), kMss);
  EXPECT_EQ(full.PayloadString(), std::string(500, 'a') +
                                      std::string(500, 'b') +
                                      std::string(kMss - 1000, 'c'));
  Sent rest = ExpectSent(kAck | kPsh, our_nxt_ + kMss, peer_nxt_).Len(40);
  EXPECT_EQ(rest.PayloadString(), std::string(1500 - kMss, 'c'));
  ExpectNothingSent();
  // A second flush finds nothing to do.
  ep_->Flush(now_);
  ExpectNothingSent();
}

TEST_F(CoalesceTest, Coalesced_SendThenShutdown_FinRidesOnTheData) {
  Establish(/*coalesce=*/true);
  AppSend(100, 'x');
  ASSERT_EQ(ep_->ShutdownWrite(conn_, now_), SockError::kOk);
  EXPECT_TRUE(sink_.sent.empty());
  ep_->Flush(now_);
  Sent s = ExpectSent(kAck | kPsh | kFin, our_nxt_, peer_nxt_).Len(100);
  EXPECT_EQ(s.payload.size(), 100u);
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kFinWait1);
}

TEST_F(CoalesceTest, Coalesced_PeerSegmentBeforeFlush_AckRidesOnOurData) {
  Establish(/*coalesce=*/true);
  AppSend(300, 'x');
  EXPECT_TRUE(sink_.sent.empty());
  // Data from the peer in the same iteration: its ACK waits for the flush
  // and rides on our data; one segment in all.
  ep_->OnSegment(Peer().Data("hi").Build(), now_);
  EXPECT_TRUE(sink_.sent.empty());
  ep_->Flush(now_);
  EXPECT_EQ(sink_.sent.size(), 1u);
  Sent s = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_ + 2).Len(300);
  EXPECT_EQ(s.payload.size(), 300u);
}

TEST_F(CoalesceTest, Coalesced_RequestThenResponse_NoSeparateAck) {
  Establish(/*coalesce=*/true);
  // Two full segments call for an ACK (RFC 5681 4.2); arriving in one burst
  // they get one, and it rides on the answer written in the same iteration.
  // (The builders own the payloads the segments point into.)
  const SegBuilder first = Peer().Data(kMss, 'r');
  const SegBuilder second = Peer().Seq(peer_nxt_ + kMss).Data(kMss, 's');
  const InSegment burst[] = {first.Build(), second.Build()};
  ep_->OnSegments(burst, now_);
  peer_nxt_ += 2 * kMss;
  EXPECT_TRUE(sink_.sent.empty());
  std::vector<uint8_t> buf(4 * kMss);
  ASSERT_EQ(ep_->Recv(conn_, buf, now_).bytes, 2 * kMss);
  EXPECT_EQ(buf[0], 'r');
  EXPECT_EQ(buf[2 * kMss - 1], 's');
  AppSend(100, 'a');
  ep_->Flush(now_);
  EXPECT_EQ(sink_.sent.size(), 1u);
  // The read emptied the buffer: the whole of it is announced again.
  Sent s = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_)
               .Len(100)
               .Window(static_cast<uint16_t>(listen_options_.conn.recv_buffer >>
                                             Conn()->rcv_wscale()));
  EXPECT_EQ(s.payload.size(), 100u);
}

TEST_F(CoalesceTest, Coalesced_BurstWithoutAnswer_OneAckAtFlush) {
  Establish(/*coalesce=*/true);
  std::vector<SegBuilder> builders;
  for (uint32_t i = 0; i < 4; ++i) {
    builders.push_back(Peer().Seq(peer_nxt_ + i * kMss).Data(kMss, 'r'));
  }
  std::vector<InSegment> burst;
  for (const SegBuilder& b : builders) {
    burst.push_back(b.Build());
  }
  ep_->OnSegments(burst, now_);
  peer_nxt_ += 4 * kMss;
  EXPECT_TRUE(sink_.sent.empty());
  ep_->Flush(now_);
  // Immediate output would have sent two (every second full segment).
  EXPECT_EQ(sink_.sent.size(), 1u);
  ExpectSent(kAck, our_nxt_, peer_nxt_);
}

TEST_F(CoalesceTest, Coalesced_ReadOpensWindow_UpdateRidesOnResponse) {
  // A receive buffer above 64 KiB: the SYN-ACK announced 65535 (unscaled,
  // RFC 7323 2.2), so the first read opens the window far beyond it.
  listen_options_.conn.recv_buffer = 256 * 1024;
  Establish(/*coalesce=*/true);
  ep_->OnSegment(Peer().Data(100, 'q').Build(), now_);
  peer_nxt_ += 100;
  ep_->Flush(now_);
  DropSent();
  std::vector<uint8_t> buf(4096);
  ASSERT_EQ(ep_->Recv(conn_, buf, now_).bytes, 100u);
  EXPECT_TRUE(sink_.sent.empty());  // the window update waits
  AppSend(200, 'a');
  ep_->Flush(now_);
  EXPECT_EQ(sink_.sent.size(), 1u);
  Sent s = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_)
               .Len(200)
               .Window(256 * 1024 >> 3);
  EXPECT_EQ(s.payload.size(), 200u);
  // The response carries the whole window: 256 KiB scaled by 3.
  EXPECT_EQ(s.tcp.window, 256 * 1024 >> 3);
}

TEST_F(CoalesceTest, Immediate_ReadOpensWindow_UpdateAtOnce) {
  listen_options_.conn.recv_buffer = 256 * 1024;
  Establish(/*coalesce=*/false);
  ep_->OnSegment(Peer().Data(100, 'q').Build(), now_);
  peer_nxt_ += 100;
  DropSent();
  std::vector<uint8_t> buf(4096);
  ASSERT_EQ(ep_->Recv(conn_, buf, now_).bytes, 100u);
  Sent s = ExpectSent(kAck, our_nxt_, peer_nxt_).Window(256 * 1024 >> 3);
  EXPECT_EQ(s.tcp.window, 256 * 1024 >> 3);
}

TEST_F(CoalesceTest, Coalesced_AbortBeforeFlush_OnlyTheRst) {
  Establish(/*coalesce=*/true);
  AppSend(300, 'x');
  ASSERT_EQ(ep_->Abort(conn_, now_), SockError::kOk);
  ExpectSent(kRst | kAck, our_nxt_, peer_nxt_);
  ep_->Flush(now_);  // the released record left the list
  ExpectNothingSent();
  EXPECT_FALSE(ep_->flush_pending());
}

TEST_F(CoalesceTest, Coalesced_NagleStillHoldsSmallSegments) {
  config_.coalesce_sends = true;
  Recreate();
  MakeEstablished();  // Nagle on
  AppSend(100, 'a');
  ep_->Flush(now_);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Len(100);
  AppSend(100, 'b');
  AppSend(100, 'c');
  ep_->Flush(now_);
  ExpectNothingSent();  // one small segment outstanding (RFC 1122 4.2.3.4)
  Deliver(Peer().Ack(our_nxt_ + 100));
  Sent s = ExpectSent(kAck | kPsh, our_nxt_ + 100, peer_nxt_).Len(200);
  EXPECT_EQ(s.PayloadString(), std::string(100, 'b') + std::string(100, 'c'));
}

// Connections are flushed in the order their first deferred call marked
// them, each once however many calls it had.
TEST_F(CoalesceTest, Coalesced_TwoConnections_FlushedOncePerConnectionInOrder) {
  Establish(/*coalesce=*/true);
  const ConnHandle first = conn_;
  const uint32_t first_nxt = our_nxt_;
  // A second connection from another peer port.
  Deliver(Peer()
              .From(kRemoteAddr, kRemotePort + 1)
              .Syn()
              .Seq(5000)
              .Mss(1460)
              .Flags(kSyn));
  Sent synack = ExpectSent(kSyn | kAck, kAny, 5000 + 1);
  Deliver(Peer()
              .From(kRemoteAddr, kRemotePort + 1)
              .Seq(5001)
              .Ack(synack.tcp.seq.raw() + 1));
  std::optional<ConnHandle> second = ep_->Accept(listener_);
  ASSERT_TRUE(second.has_value());
  ASSERT_TRUE(ep_->SetNodelay(*second, true, now_) == SockError::kOk);
  std::string d(200, 's');
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(d.data()),
                                 d.size());
  ASSERT_TRUE(ep_->Send(*second, bytes, now_).ok());
  AppSend(200, 'f');
  ASSERT_TRUE(ep_->Send(*second, bytes, now_).ok());
  EXPECT_TRUE(sink_.sent.empty());
  ep_->Flush(now_);
  Sent a = Pop();
  Sent b = Pop();
  ExpectNothingSent();
  EXPECT_EQ(a.tcp.dst_port, kRemotePort + 1);
  EXPECT_EQ(a.payload.size(), 400u);
  EXPECT_EQ(b.tcp.dst_port, kRemotePort);
  EXPECT_EQ(b.tcp.seq.raw(), first_nxt);
  EXPECT_EQ(b.payload.size(), 200u);
  (void)first;
}

}  // namespace
}  // namespace tern::tcp::testing
