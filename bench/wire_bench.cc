// lib/wire benchmarks: Internet checksum throughput and TCP SYN parsing.
//
// Run: ninja -C build-wire bench/wire_bench && build-wire/bench/wire_bench
// Figures and method are recorded in doc/wire.md and doc/benchmarks/wire.md.
#include <cstdint>
#include <vector>

#include "benchmark/benchmark.h"
#include "lib/wire/checksum.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/tcp_header.h"

namespace tern::wire {
namespace {

const Ipv4Addr kSrc = Ipv4Addr::FromOctets(10, 0, 0, 1);
const Ipv4Addr kDst = Ipv4Addr::FromOctets(10, 0, 0, 2);

// Per-byte checksum cost at a small packet (64), a full-MSS Ethernet
// payload (1460) and a jumbo frame (9000).
void BM_Checksum(benchmark::State& state) {
  std::vector<uint8_t> data(static_cast<size_t>(state.range(0)));
  for (size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<uint8_t>(i * 131 + 7);
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(data.data());
    uint16_t c = InternetChecksum(data);
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          state.range(0));
}
BENCHMARK(BM_Checksum)->Arg(64)->Arg(1460)->Arg(9000);

std::vector<uint8_t> SynWithOptions() {
  TcpRepr syn;
  syn.src_port = 40000;
  syn.dst_port = 80;
  syn.seq = SeqNum(0x12345678);
  syn.flags = tcp_flags::kSyn;
  syn.window = 64240;
  syn.options.mss = 1460;
  syn.options.sack_permitted = true;
  syn.options.timestamps = TcpTimestamps{1000, 0};
  syn.options.window_scale = 7;
  std::vector<uint8_t> seg(syn.BufferLen());
  syn.Emit(seg, kSrc, kDst);
  return seg;
}

// The SYN-flood hot path: a 40-byte SYN (MSS, SACK-perm, TS, wscale),
// every check plus the checksum over pseudo-header and segment.
void BM_TcpParseSyn(benchmark::State& state) {
  const std::vector<uint8_t> seg = SynWithOptions();
  const auto mode = state.range(0) != 0 ? TcpRepr::Checksum::kVerify
                                        : TcpRepr::Checksum::kTrustNic;
  TcpRepr out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(seg.data());
    WireError e = TcpRepr::Parse(seg, kSrc, kDst, mode, &out);
    benchmark::DoNotOptimize(e);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_TcpParseSyn)->ArgName("verify_checksum")->Arg(1)->Arg(0);

// The SYN-ACK reply: header, options in Linux order, checksum.
void BM_TcpEmitSynAck(benchmark::State& state) {
  TcpRepr t;
  TcpRepr::Parse(SynWithOptions(), kSrc, kDst, TcpRepr::Checksum::kVerify, &t);
  t.flags |= tcp_flags::kAck;
  std::vector<uint8_t> out(t.BufferLen());
  for (auto _ : state) {
    t.Emit(out, kDst, kSrc);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_TcpEmitSynAck);

}  // namespace
}  // namespace tern::wire
