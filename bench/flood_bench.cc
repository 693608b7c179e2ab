// tern-flood's frame builder (app/tern-flood/segment_builder.h): a flood
// frame written from the template (Write) against the same frame emitted one
// layer at a time (WriteGeneral), per kind. Each iteration draws the random
// fields as SynFlood::Build does (two xorshift64* words) and writes one frame
// into a buffer; no DPDK. The time per iteration is the time per frame.
//
//   build-lto/bench/flood_bench --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>

#include "app/tern-flood/flood_options.h"
#include "app/tern-flood/segment_builder.h"
#include "app/tern-flood/xorshift.h"

namespace tern::flood {
namespace {

void BM_FloodFrame(benchmark::State& state) {
  const bool from_template = state.range(0) != 0;
  FloodOptions o;
  o.target = wire::Ipv4Addr::FromOctets(198, 18, 0, 1);
  o.spoof_range = {wire::Ipv4Addr::FromOctets(198, 19, 0, 0), 16};
  o.kind = static_cast<FloodKind>(state.range(1));
  const SegmentBuilder b(o, wire::MacAddr{{2, 0, 0, 0, 0x0e, 2}},
                         wire::MacAddr{{2, 0, 0, 0, 0x0e, 1}});
  alignas(64) std::array<uint8_t, SegmentBuilder::kMaxFrameLen> out{};
  uint64_t s = 0x9e3779b97f4a7c15ull;
  for (auto _ : state) {
    const uint64_t r1 = XorShift64Star(s);
    const uint64_t r2 = XorShift64Star(s);
    const FloodDraw d = FloodDraw::From(r1, r2, o);
    if (from_template) {
      b.Write(out.data(), d);
    } else {
      b.WriteGeneral(out.data(), d);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
}
// template: 0 (wire::*Repr::Emit) or 1 (SegmentBuilder::Write); kind:
// FloodKind (0 SYN with options, 1 ACK, 4 data).
BENCHMARK(BM_FloodFrame)
    ->ArgNames({"template", "kind"})
    ->ArgsProduct({{0, 1}, {0, 1, 4}});

}  // namespace
}  // namespace tern::flood
