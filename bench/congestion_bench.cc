// Congestion control benchmarks: the cost of OnAck, the per-ACK call, for
// each algorithm directly and through the std::variant dispatcher
// (doc/congestion.md).
#include <cstdint>

#include "benchmark/benchmark.h"
#include "lib/tcp/congestion/congestion.h"

namespace tern::tcp {
namespace {

constexpr uint32_t kSmss = 1460;

// Puts the flow in congestion avoidance after a loss at 1000 segments, the
// regime where CUBIC evaluates W_cubic and W_est on every ACK; one ACK per
// segment, 100 ms RTT, time advancing 10 us per ACK. A loss every 2^20 ACKs
// keeps the window in a realistic range.
template <typename Cc>
void RunOnAck(benchmark::State& state, Cc& cc) {
  Instant now = Instant::FromNanos(0);
  while (cc.cwnd() < 1000 * kSmss) {
    cc.OnAck(kSmss, cc.cwnd(), now, Duration::Millis(100), true);
  }
  cc.OnCongestionEvent(cc.cwnd(), now);
  cc.OnRecoveryExit();
  const Duration rtt = Duration::Millis(100);
  uint64_t n = 0;
  for (auto _ : state) {
    now += Duration::Micros(10);
    cc.OnAck(kSmss, cc.cwnd(), now, rtt, true);
    benchmark::DoNotOptimize(cc.cwnd());
    if ((++n & ((1u << 20) - 1)) == 0) {
      cc.OnCongestionEvent(cc.cwnd(), now);
      cc.OnRecoveryExit();
    }
  }
}

void BM_NewRenoOnAck(benchmark::State& state) {
  NewReno cc(kSmss, Instant::FromNanos(0));
  RunOnAck(state, cc);
}
BENCHMARK(BM_NewRenoOnAck);

void BM_CubicOnAck(benchmark::State& state) {
  Cubic cc(kSmss, Instant::FromNanos(0));
  RunOnAck(state, cc);
}
BENCHMARK(BM_CubicOnAck);

void BM_DispatchNewRenoOnAck(benchmark::State& state) {
  CongestionControl cc(CcAlgorithm::kNewReno, kSmss, Instant::FromNanos(0));
  RunOnAck(state, cc);
}
BENCHMARK(BM_DispatchNewRenoOnAck);

void BM_DispatchCubicOnAck(benchmark::State& state) {
  CongestionControl cc(CcAlgorithm::kCubic, kSmss, Instant::FromNanos(0));
  RunOnAck(state, cc);
}
BENCHMARK(BM_DispatchCubicOnAck);

}  // namespace
}  // namespace tern::tcp
