// Per-segment cost of the TCP core's endpoint, in memory, no NIC: what the
// poll loop pays above parsing for a handshake and for in-order data.
#include <benchmark/benchmark.h>

#include <array>
#include <memory>
#include <vector>

#include "lib/tcp/endpoint.h"

namespace tern::tcp {
namespace {

using wire::tcp_flags::kAck;
using wire::tcp_flags::kPsh;
using wire::tcp_flags::kSyn;

constexpr wire::Ipv4Addr kServer = wire::Ipv4Addr::FromOctets(192, 0, 2, 1);

// Keeps the last segment sent; counts the rest.
class LastSink : public SegmentSink {
 public:
  void Send(const OutSegment& s) override {
    last = s.tcp;
    ++count;
  }
  wire::TcpRepr last;
  uint64_t count = 0;
};

std::unique_ptr<Endpoint> MakeEndpoint(LastSink* sink, size_t conns) {
  EndpointConfig cfg;
  cfg.max_connections = conns;
  cfg.max_time_wait = 1024;
  Endpoint::Secrets secrets;
  secrets.isn_key = SipKey{1, 2};
  secrets.table_key = std::array<uint8_t, 16>{};
  auto ep = Endpoint::Create(cfg, sink, Instant::FromNanos(1), secrets);
  return std::move(*ep);
}

// A full passive handshake (SYN in, SYN-ACK out, ACK in, accept) followed by
// an abort that frees the record, per iteration.
void BM_PassiveHandshake(benchmark::State& state) {
  LastSink sink;
  auto ep = MakeEndpoint(&sink, 4096);
  ListenOptions lo;
  lo.backlog = 1024;
  lo.conn.send_buffer = 4096;
  lo.conn.recv_buffer = 4096;
  ListenerHandle l = *ep->Listen(kServer, 80, lo);
  Instant now = Instant::FromNanos(1'000'000);
  uint32_t client = 0;
  for (auto _ : state) {
    InSegment syn;
    syn.src = wire::Ipv4Addr{0x0a000000u + (client & 0xffffff)};
    syn.dst = kServer;
    syn.tcp.src_port = static_cast<uint16_t>(1024 + (client % 60000));
    syn.tcp.dst_port = 80;
    syn.tcp.seq = SeqNum(client * 7919);
    syn.tcp.flags = kSyn;
    syn.tcp.window = 65535;
    syn.tcp.options.mss = 1460;
    syn.tcp.options.window_scale = 7;
    syn.tcp.options.sack_permitted = true;
    ep->OnSegment(syn, now);
    InSegment ack = syn;
    ack.tcp.options = {};
    ack.tcp.flags = kAck;
    ack.tcp.seq = syn.tcp.seq + 1;
    ack.tcp.ack = sink.last.seq + 1;
    ep->OnSegment(ack, now);
    std::optional<ConnHandle> h = ep->Accept(l);
    benchmark::DoNotOptimize(h);
    ep->Abort(*h, now);
    ++client;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["segments_in_per_handshake"] = 2;
}
BENCHMARK(BM_PassiveHandshake);

// In-order 1460-byte data segments into an established connection, read by
// the application after each one (the receive fast path).
void BM_EstablishedInOrderData(benchmark::State& state) {
  LastSink sink;
  auto ep = MakeEndpoint(&sink, 16);
  ListenOptions lo;
  lo.conn.recv_buffer = 1 << 20;
  ListenerHandle l = *ep->Listen(kServer, 80, lo);
  Instant now = Instant::FromNanos(1'000'000);
  InSegment syn;
  syn.src = wire::Ipv4Addr{0x0a000001u};
  syn.dst = kServer;
  syn.tcp.src_port = 5555;
  syn.tcp.dst_port = 80;
  syn.tcp.seq = SeqNum(1);
  syn.tcp.flags = kSyn;
  syn.tcp.window = 65535;
  syn.tcp.options.mss = 1460;
  syn.tcp.options.window_scale = 7;
  ep->OnSegment(syn, now);
  SeqNum iss = sink.last.seq;
  InSegment seg = syn;
  seg.tcp.options = {};
  seg.tcp.flags = kAck;
  seg.tcp.seq = SeqNum(2);
  seg.tcp.ack = iss + 1;
  ep->OnSegment(seg, now);
  ConnHandle h = *ep->Accept(l);
  std::vector<uint8_t> payload(1460, 'x');
  std::vector<uint8_t> buf(1460);
  seg.tcp.flags = kAck | kPsh;
  seg.tcp.payload = payload;
  for (auto _ : state) {
    ep->OnSegment(seg, now);
    IoResult r = ep->Recv(h, buf, now);
    benchmark::DoNotOptimize(r);
    seg.tcp.seq += 1460;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * 1460);
}
BENCHMARK(BM_EstablishedInOrderData);

// Emits every segment to bytes, as the port layer does into an mbuf.
class EmitSink : public SegmentSink {
 public:
  // A listener's SYN-ACK as the port layer writes it (Engine::SendSynAck):
  // the template with the variable fields, no OutSegment.
  void SendSynAck(const SynAckSegment& s) override {
    const wire::TcpHeaderTemplate& t = *s.header_template;
    t.Emit(std::span<uint8_t>(buf, t.header_len()), s.src_port, s.dst_port,
           s.seq.raw(), s.ack.raw(), s.tsval, s.tsecr, s.src, s.dst);
    last.src_port = s.src_port;
    last.dst_port = s.dst_port;
    last.seq = s.seq;
    last.ack = s.ack;
    last.flags = t.proto().flags;
    ++count;
  }
  void Send(const OutSegment& s) override {
    // The payload is copied in first and the header emitted over it, as
    // the port layer would fill an mbuf.
    // A SYN-ACK comes with its listener's header template (no payload).
    if (s.header_template != nullptr) {
      s.header_template->Emit(
          std::span<uint8_t>(buf, s.header_template->header_len()), s.tcp,
          s.src, s.dst);
      last = s.tcp;
      ++count;
      return;
    }
    wire::TcpRepr tcp = s.tcp;
    const size_t header = tcp.BufferLen();
    s.payload.CopyTo(std::span<uint8_t>(buf + header, s.PayloadLen()));
    tcp.payload = std::span<const uint8_t>(buf + header, s.PayloadLen());
    tcp.Emit(std::span<uint8_t>(buf, tcp.BufferLen()), s.src, s.dst);
    last = s.tcp;
    ++count;
  }
  uint8_t buf[1600];
  wire::TcpRepr last;
  uint64_t count = 0;
};

std::vector<uint8_t> SynBytes(wire::Ipv4Addr src, uint16_t port, uint32_t isn) {
  wire::TcpRepr syn;
  syn.src_port = port;
  syn.dst_port = 80;
  syn.seq = SeqNum(isn);
  syn.flags = kSyn;
  syn.window = 64240;
  syn.options.mss = 1460;
  syn.options.window_scale = 7;
  syn.options.sack_permitted = true;
  syn.options.timestamps = wire::TcpTimestamps{12345, 0};
  std::vector<uint8_t> bytes(syn.BufferLen());
  syn.Emit(bytes, src, kServer);
  return bytes;
}

// SYN in cookie mode: parse the TCP bytes, demultiplex to the listener,
// encode the cookie and the TS options, emit the SYN-ACK bytes with
// checksum. Nothing is kept. Arguments:
// - verify: 1 verifies each SYN's checksum in the parse (a NIC without RX
//   checksum offload); 0 trusts it (wire::TcpRepr::Checksum::kTrustNic, what
//   the port layer does when the NIC flags the checksum good).
// - burst: 1 hands each SYN to Endpoint::OnSegment alone; 32 parses 32 SYNs
//   and hands them to Endpoint::OnSegments together, as the port layer does
//   with an RX burst (the 4-tuples looked up together, their buckets
//   prefetched). The figure is per SYN either way.
void BM_CookieSynToSynAck(benchmark::State& state) {
  const auto checksum = state.range(0) == 1
                            ? wire::TcpRepr::Checksum::kVerify
                            : wire::TcpRepr::Checksum::kTrustNic;
  const size_t burst = static_cast<size_t>(state.range(1));
  EmitSink sink;
  EndpointConfig cfg;
  cfg.max_connections = 1024;
  cfg.max_time_wait = 16;
  Endpoint::Secrets secrets;
  secrets.isn_key = SipKey{1, 2};
  secrets.table_key = std::array<uint8_t, 16>{};
  auto ep =
      std::move(*Endpoint::Create(cfg, &sink, Instant::FromNanos(1), secrets));
  ListenOptions lo;
  lo.cookies = SynCookieMode::kAlways;
  (void)*ep->Listen(kServer, 80, lo);
  constexpr size_t kSources = 4096;
  std::vector<std::vector<uint8_t>> syns;
  std::vector<wire::Ipv4Addr> srcs;
  for (size_t i = 0; i < kSources; ++i) {
    srcs.push_back(wire::Ipv4Addr{0x0a000000u + static_cast<uint32_t>(i)});
    syns.push_back(SynBytes(srcs.back(), static_cast<uint16_t>(1024 + i),
                            static_cast<uint32_t>(i) * 7919u));
  }
  Instant now = Instant::FromNanos(1'000'000);
  std::vector<InSegment> batch(burst);
  size_t i = 0;
  for (auto _ : state) {
    for (size_t k = 0; k < burst; ++k) {
      InSegment& in = batch[k];
      in.src = srcs[i];
      in.dst = kServer;
      wire::WireError e =
          wire::TcpRepr::Parse(syns[i], in.src, in.dst, checksum, &in.tcp);
      benchmark::DoNotOptimize(e);
      i = (i + 1) % kSources;
    }
    if (burst == 1) {
      ep->OnSegment(batch[0], now);
    } else {
      ep->OnSegments(batch, now);
    }
  }
  if (sink.count != state.iterations() * burst) {
    state.SkipWithError("a SYN got no SYN-ACK");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * burst));
  state.counters["syns_per_iteration"] = static_cast<double>(burst);
}
BENCHMARK(BM_CookieSynToSynAck)
    ->ArgNames({"verify", "burst"})
    ->Args({1, 1})
    ->Args({0, 1})
    ->Args({1, 32})
    ->Args({0, 32});

// The final ACK of a cookie handshake: validation, the connection built from
// the cookie, the accept queue; then accept and abort to recycle the record.
void BM_CookieAckToEstablished(benchmark::State& state) {
  LastSink sink;
  EndpointConfig cfg;
  cfg.max_connections = 1024;
  cfg.max_time_wait = 16;
  Endpoint::Secrets secrets;
  secrets.isn_key = SipKey{1, 2};
  secrets.table_key = std::array<uint8_t, 16>{};
  auto ep =
      std::move(*Endpoint::Create(cfg, &sink, Instant::FromNanos(1), secrets));
  ListenOptions lo;
  lo.cookies = SynCookieMode::kAlways;
  lo.conn.send_buffer = 4096;
  lo.conn.recv_buffer = 4096;
  ListenerHandle l = *ep->Listen(kServer, 80, lo);
  constexpr int kClients = 4096;
  std::vector<InSegment> acks(kClients);
  Instant now = Instant::FromNanos(1'000'000);
  for (int i = 0; i < kClients; ++i) {
    InSegment syn;
    syn.src = wire::Ipv4Addr{0x0a000000u + static_cast<uint32_t>(i)};
    syn.dst = kServer;
    syn.tcp.src_port = static_cast<uint16_t>(1024 + i);
    syn.tcp.dst_port = 80;
    syn.tcp.seq = SeqNum(static_cast<uint32_t>(i) * 7919u);
    syn.tcp.flags = kSyn;
    syn.tcp.window = 64240;
    syn.tcp.options.mss = 1460;
    ep->OnSegment(syn, now);
    acks[i] = syn;
    acks[i].tcp.options = {};
    acks[i].tcp.flags = kAck;
    acks[i].tcp.seq = syn.tcp.seq + 1;
    acks[i].tcp.ack = sink.last.seq + 1;
  }
  size_t i = 0;
  for (auto _ : state) {
    ep->OnSegment(acks[i], now);
    std::optional<ConnHandle> h = ep->Accept(l);
    ep->Abort(*h, now);
    i = (i + 1) % kClients;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CookieAckToEstablished);

}  // namespace
}  // namespace tern::tcp
