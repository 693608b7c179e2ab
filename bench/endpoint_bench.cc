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

}  // namespace
}  // namespace tern::tcp
