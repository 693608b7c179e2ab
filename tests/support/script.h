// Packet-script harness for the TCP core: segment builders, a capturing sink,
// a fake clock, and per-state fixtures built one from the other.
//
// Tests read as scripts: Deliver(Peer().Syn().Seq(1000)) puts a segment into
// the endpoint at the fake `now`; ExpectSent(...) pops the next segment the
// endpoint emitted and compares the whole segment (flags, seq, ack, window,
// options, payload); ExpectNothingSent() checks the endpoint was silent;
// Advance(d) moves the clock, firing every timer due on the way in deadline
// order. Every emitted segment goes through wire::TcpRepr::Emit and Parse
// (checksum included) before the test sees it.
#ifndef TERN_TESTS_SUPPORT_SCRIPT_H_
#define TERN_TESTS_SUPPORT_SCRIPT_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/tcp/endpoint.h"

namespace tern::tcp::testing {

// Where a check was written, for its failure message: the caller's file and
// line, taken where a default argument `SourceLoc::Current()` is used, as
// std::source_location::current() takes them. Not std::source_location:
// libstdc++ 12 builds it on __builtin_source_location, which Debian 12's
// clang 14 lacks; __builtin_FILE and __builtin_LINE are in both compilers.
struct SourceLoc {
  const char* file = "";
  int line = 0;
  static constexpr SourceLoc Current(const char* file = __builtin_FILE(),
                                     int line = __builtin_LINE()) {
    return SourceLoc{file, line};
  }
};

inline constexpr wire::Ipv4Addr kLocalAddr =
    wire::Ipv4Addr::FromOctets(192, 0, 2, 1);
inline constexpr wire::Ipv4Addr kRemoteAddr =
    wire::Ipv4Addr::FromOctets(198, 51, 100, 7);
inline constexpr uint16_t kLocalPort = 80;
inline constexpr uint16_t kRemotePort = 40000;
// A timer fires at most one wheel tick (65.536 us) after its deadline:
// advancing by a deadline plus this slack always fires it.
inline constexpr Duration kSlack = Duration::Millis(1);

// A segment the endpoint sent, with its own copy of the payload.
struct Sent {
  wire::Ipv4Addr src;
  wire::Ipv4Addr dst;
  wire::TcpRepr tcp;  // tcp.payload points into `payload`
  std::vector<uint8_t> payload;
  Instant at;  // the fake clock when it was sent
  // The scatter list as the endpoint gave it: where the payload was read
  // from (valid only as long as the memory behind it).
  std::vector<std::span<const uint8_t>> spans;
  // OutSegment::reply_to as the endpoint gave it (only to compare).
  const InSegment* reply_to = nullptr;
  std::string PayloadString() const {
    return std::string(payload.begin(), payload.end());
  }
  bool Has(uint8_t f) const { return tcp.Has(f); }
};

std::string FlagsToString(uint8_t flags);
std::string Describe(const wire::TcpRepr& tcp, size_t payload_len);
std::string DescribeOptions(const wire::TcpOptions& o);

// A sequence or acknowledgment number a test expects: a value, or kAny where
// the test means "any" (an ISS drawn from the ISN generator, say).
struct AnyValue {};
inline constexpr AnyValue kAny;
class SeqField {
 public:
  SeqField(uint32_t v) : value_(v) {}  // NOLINT: implicit by design
  SeqField(AnyValue) {}                // NOLINT: implicit by design
  const std::optional<uint32_t>& value() const { return value_; }

 private:
  std::optional<uint32_t> value_;
};

class ScriptTest;

// What ExpectSent returns: the popped segment and what the test expects of
// it. Every field is compared when the check runs (when the object is
// converted to Sent or, for a bare statement, at its end). The defaults are
// the values RFC 9293, 7323 and 2018 give for the connection the harness has
// seen set up (ScriptTest::ExpectSent lists them); a test overrides a field
// with its value and says "any" only with an Any* call.
class SentCheck {
 public:
  SentCheck(Sent sent, SourceLoc loc);
  SentCheck(SentCheck&& other) noexcept;
  SentCheck(const SentCheck&) = delete;
  SentCheck& operator=(const SentCheck&) = delete;
  SentCheck& operator=(SentCheck&&) = delete;
  ~SentCheck();

  // The raw 16-bit window field.
  SentCheck& Window(uint16_t w);
  SentCheck& AnyWindow();
  // The whole option set (the emitter's order is fixed: MSS, SACK-permitted
  // or NOPs, timestamps, window scale, SACK blocks).
  SentCheck& Options(const wire::TcpOptions& o);
  SentCheck& Ts(uint32_t val, uint32_t ecr);
  SentCheck& TsEcr(uint32_t ecr);  // TSval as the default, TSecr given
  SentCheck& NoTs();
  // A TSval that encodes something else (a SYN cookie's option bits).
  SentCheck& AnyTsVal();
  SentCheck& Sack(std::initializer_list<std::pair<uint32_t, uint32_t>> blocks);
  SentCheck& SackBlocks(
      const std::vector<std::pair<uint32_t, uint32_t>>& blocks);
  SentCheck& Mss(uint16_t mss);
  SentCheck& WindowScale(std::optional<uint8_t> shift);
  SentCheck& SackPermitted(bool on);
  // The payload: its exact bytes, or its length with any bytes.
  SentCheck& Payload(std::string_view bytes);
  SentCheck& Len(size_t n);

  const Sent& sent() {
    Check();
    return sent_;
  }
  operator Sent() {  // NOLINT: implicit by design
    Check();
    return sent_;
  }
  // Shorthands for the fields tests read back.
  const wire::TcpRepr& tcp() { return sent().tcp; }
  const std::vector<uint8_t>& payload() { return sent().payload; }

 private:
  friend class ScriptTest;
  void Check();

  Sent sent_;
  SourceLoc loc_;
  bool popped_ = false;
  bool checked_ = false;
  uint8_t flags_ = 0;
  SeqField seq_ = kAny;
  SeqField ack_ = kAny;
  std::optional<uint16_t> window_;  // nullopt: any
  wire::TcpOptions options_;
  bool any_tsval_ = false;
  std::optional<std::vector<uint8_t>> payload_;  // nullopt: any bytes
  size_t len_ = 0;
};

class CaptureSink : public SegmentSink {
 public:
  void Send(const OutSegment& segment) override;
  std::deque<Sent> sent;
  // The clock a segment's `at` is read from (null: Instant()).
  const Instant* clock = nullptr;
  // Each segment is also emitted to bytes and parsed back, checksum
  // verified; a mismatch is a test failure.
  bool round_trip = true;
};

// Builds an InSegment from the peer's side; every field can be overridden.
class SegBuilder {
 public:
  SegBuilder();
  SegBuilder& From(wire::Ipv4Addr a, uint16_t port);
  SegBuilder& To(wire::Ipv4Addr a, uint16_t port);
  SegBuilder& Flags(uint8_t f);
  SegBuilder& Syn();
  SegBuilder& SynAck();
  SegBuilder& AckOnly();
  SegBuilder& Rst();
  SegBuilder& RstAck();
  SegBuilder& Fin();  // FIN+ACK
  SegBuilder& Seq(uint32_t s);
  SegBuilder& Ack(uint32_t a);
  SegBuilder& Window(uint16_t w);
  SegBuilder& Mss(uint16_t m);
  SegBuilder& WindowScale(uint8_t s);
  SegBuilder& SackPermitted();
  SegBuilder& Ts(uint32_t val, uint32_t ecr);
  // RFC 2018 SACK blocks [left, right), in the order given (at most 4).
  SegBuilder& Sack(std::initializer_list<std::pair<uint32_t, uint32_t>> blocks);
  SegBuilder& NoOptions();
  SegBuilder& Data(std::string_view bytes);
  SegBuilder& Data(size_t n, char fill = 'x');

  InSegment Build() const;
  const wire::TcpRepr& tcp() const { return tcp_; }

 private:
  wire::Ipv4Addr src_ = kRemoteAddr;
  wire::Ipv4Addr dst_ = kLocalAddr;
  wire::TcpRepr tcp_;
  std::shared_ptr<std::vector<uint8_t>> payload_;
};

// The fixture: one endpoint, a fake clock and the script helpers.
class ScriptTest : public ::testing::Test {
 protected:
  ScriptTest();
  void SetUp() override;
  // Rebuilds the endpoint from config_ (call after changing it).
  void Recreate();

  // ---- the peer's segments
  // A segment from the peer with the connection's ports and, unless
  // overridden, seq = peer_nxt_ and ack = our_nxt_ with ACK set.
  SegBuilder Peer() const;
  void Deliver(const SegBuilder& b);
  // Endpoint::Flush at now_. Deliver, Advance, Write, Read and every look at
  // what was sent call it, so scripts read the same with coalesce_sends on.
  void Flush();

  // ---- what the endpoint sent
  Sent Pop();
  // Pops the next segment and compares all of it (SentCheck). Defaults for
  // what the arguments do not give:
  // - window: SYN or SYN-ACK, min(receive buffer, 65535) unscaled (RFC 7323
  //   2.2). Otherwise, on a segment with ACK to a peer port we already
  //   advertised a window to, the window that keeps the right edge where it
  //   was (RFC 9293 3.8.6: not shrunk; 3.8.6.2.2: receiver SWS avoidance
  //   moves it only by min(buffer / 2, MSS), which a test that reads data
  //   states with Window), the field rounded up as RFC 7323 2.3 allows; else
  //   the empty receive buffer's window shifted by the negotiated scale; on
  //   RST 0 (RFC 9293 gives no value; tern sends 0, as Linux's
  //   tcp_v4_send_reset does);
  // - options: on a SYN, ours (MSS, window scale, SACK-permitted, timestamps
  //   as the options offer them); on a SYN-ACK, those the peer's SYN also
  //   carried (RFC 7323 2.2, 3.2; RFC 2018 2); otherwise timestamps when both
  //   SYNs carried them (on an RST only with ACK, the connection's own reset:
  //   RFC 7323 3.2 "SHOULD be sent in an <RST>"; a reset from no connection
  //   has no options), with TSval = the send time in ms + ISS
  //   (the offset tern uses, RFC 7323 5.4) and TSecr = the peer's latest TSval
  //   when ACK is set; no SACK blocks;
  // - payload: none.
  SentCheck ExpectSent(uint8_t flags, SeqField seq, SeqField ack,
                       SourceLoc loc = SourceLoc::Current());
  void ExpectNothingSent();
  // A passive handshake from kRemoteAddr:port to the listener (SYN with
  // seq 1 and MSS 1460, the SYN-ACK checked for its flags, the final ACK);
  // returns the SYN-ACK's sequence number (our ISS).
  uint32_t PassiveHandshake(uint16_t port);
  size_t SentCount() {
    Flush();
    return sink_.sent.size();
  }
  // Discards what was sent (the edges it advertised are still noted).
  void DropSent();
  // The readiness bits PollEvents reports for conn_ (other events are
  // consumed and ignored).
  uint32_t TakeConnEvents();

  // ---- time
  // Moves the clock forward by d, firing due timers in order on the way.
  void Advance(Duration d);
  void AdvanceTo(Instant t);

  // ---- state fixtures, each built from the one before
  void MakeListen();
  void MakeSynReceived();        // SYN in, SYN-ACK out
  void MakeEstablished();        // + final ACK in, accepted
  void MakeCloseWait();          // + peer FIN in, ACK out
  void MakeLastAck();            // + our FIN out (application Close)
  void MakeFinWait1();           // from ESTABLISHED: application Close, FIN out
  void MakeFinWait2();           // + ACK of our FIN in
  void MakeTimeWait();           // + peer FIN in, ACK out
  void MakeClosing();            // FIN-WAIT-1 + peer FIN (ours not yet ACKed)
  void MakeSynSent();            // Connect: SYN out
  void MakeEstablishedActive();  // + SYN-ACK in, ACK out

  // The connection under test.
  const Connection* Conn() const { return ep_->Find(conn_); }
  State ConnState() const;
  uint64_t Drops(DropReason r) const { return ep_->stats().drops.Get(r); }
  std::string Read(size_t max = 65536);
  size_t Write(std::string_view data);

  EndpointConfig config_;
  ListenOptions listen_options_;
  ConnOptions connect_options_;
  CaptureSink sink_;
  std::unique_ptr<Endpoint> ep_;
  Instant now_ = Instant::FromNanos(1'000'000'000);
  ListenerHandle listener_;
  ConnHandle conn_;
  // Sequence bookkeeping from the peer's point of view.
  uint32_t peer_iss_ = 1000;  // the peer's ISN
  uint32_t peer_nxt_ = 0;     // the peer's next sequence number
  uint32_t our_iss_ = 0;      // the endpoint's ISN (from its SYN / SYN-ACK)
  uint32_t our_nxt_ = 0;      // what the peer acknowledges next
  uint32_t peer_tsval_ = 0;   // 0: the peer does not use timestamps
  bool peer_offers_options_ = true;  // MSS, wscale 7, SACK-perm on SYN
  // Shared SYN-cookie secrets for Recreate (null: the endpoint's own).
  const SynCookieSecretStore* cookie_store_ = nullptr;

  // What ExpectSent's defaults derive from, kept by Deliver and ExpectSent.
  // The options of the last SYN or SYN-ACK the peer sent.
  std::optional<wire::TcpOptions> peer_syn_options_;
  // The last TSval the peer sent (the default TSecr).
  std::optional<uint32_t> peer_last_tsval_;
  // From the last SYN or SYN-ACK we sent: its options and the receive buffer
  // of the options that made it.
  std::optional<wire::TcpOptions> our_syn_options_;
  size_t our_recv_buffer_ = 0;
  bool our_syn_active_ = false;  // it was a SYN, not a SYN-ACK
  uint16_t our_syn_window_ = 0;
  // The right edge (ACK + window, scaled) last advertised to each peer port.
  std::map<uint16_t, uint32_t> rcv_edge_;
  void NoteAdvertised(const Sent& s);
  // The last SYN the peer sent to each of its ports: a retransmission (same
  // sequence number) leaves the half-open record, and so the options of our
  // SYN-ACK, as they were.
  std::map<uint16_t, uint32_t> peer_syn_seq_;
  // The window scale and timestamps the last handshake negotiated: set when
  // our SYN-ACK is checked or the peer's SYN-ACK delivered (RFC 7323 2.2,
  // 3.2: both SYNs must carry the option).
  void Negotiate();
  uint8_t ExpectedShift() const { return neg_shift_; }
  bool ExpectedTimestamps() const { return neg_ts_; }
  uint8_t neg_shift_ = 0;
  bool neg_ts_ = false;
  // Whole-buffer window of the last connection set up (the default).
  uint16_t FullWindow() const;
  // Our SYN's options as connect_options_ (or, for a SYN-ACK, listen
  // options and the peer's SYN) give them, TSval for `iss` at now_.
  wire::TcpOptions OurSynOptions(bool synack, uint32_t iss, Instant at) const;
  static uint32_t OurTsVal(Instant at, uint32_t iss);
};

}  // namespace tern::tcp::testing

#endif  // TERN_TESTS_SUPPORT_SCRIPT_H_
