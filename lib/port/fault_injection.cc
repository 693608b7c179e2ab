#include "lib/port/fault_injection.h"

#include <rte_mbuf.h>

#include <algorithm>

#include "lib/base/dcheck.h"

namespace tern::port {
namespace {
constexpr size_t kEthHeaderLen = 14;
}

FaultInjector::FaultInjector(const FaultOptions& options,
                             FaultCounters* counters)
    : options_(options), counters_(counters), state_(options.seed) {}

FaultInjector::~FaultInjector() { Flush(); }

double FaultInjector::Uniform() {
  // SplitMix64 (Steele, Lea, Flood, OOPSLA 2014); the top 53 bits make a
  // double in [0, 1).
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

bool FaultInjector::RateAllows(uint32_t bytes, Instant now) {
  if (options_.rate_mbps == 0) {
    return true;
  }
  const double bytes_per_ns = options_.rate_mbps * 1e6 / 8 / 1e9;
  // Bucket depth: 1 ms of traffic, at least one full frame.
  const double depth = std::max(bytes_per_ns * 1e6, 1514.0);
  tokens_ = std::min(
      depth, tokens_ + static_cast<double>((now - last_refill_).ToNanos()) *
                           bytes_per_ns);
  last_refill_ = now;
  if (tokens_ < bytes) {
    return false;
  }
  tokens_ -= bytes;
  return true;
}

size_t FaultInjector::Release(Instant now, rte_mbuf** out) {
  size_t k = 0;
  while (!held_.empty() && held_.front().due <= now && k < kMaxOut) {
    out[k++] = held_.front().m;
    held_.pop_front();
  }
  return k;
}

size_t FaultInjector::Apply(rte_mbuf** pkts, size_t n, Instant now,
                            rte_mbuf** out) {
  TERN_DCHECK(n <= kMaxIn);
  size_t k = Release(now, out);
  auto emit = [&](rte_mbuf* m) {
    if (options_.delay > Duration() && held_.size() < kMaxHeld) {
      held_.push_back({m, now + options_.delay});
      counters_->delayed.Inc();
      return;
    }
    if (k < kMaxOut) {
      out[k++] = m;
    } else {
      rte_pktmbuf_free(m);
      counters_->dropped.Inc();
    }
  };
  for (size_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (Chance(options_.drop)) {
      counters_->dropped.Inc();
      rte_pktmbuf_free(m);
      continue;
    }
    if (!RateAllows(rte_pktmbuf_pkt_len(m), now)) {
      counters_->rate_dropped.Inc();
      rte_pktmbuf_free(m);
      continue;
    }
    if (Chance(options_.corrupt) && rte_pktmbuf_data_len(m) > kEthHeaderLen) {
      // Only a frame nobody else references: a shared one (a duplicate) is
      // left intact rather than corrupting both copies.
      uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
      const uint16_t len = rte_pktmbuf_data_len(m);
      const size_t at = kEthHeaderLen +
                        static_cast<size_t>(Uniform() * (len - kEthHeaderLen));
      if (rte_mbuf_refcnt_read(m) == 1 && RTE_MBUF_DIRECT(m)) {
        p[at < len ? at : len - 1] ^= 0x5a;
        m->ol_flags &=
            ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK);
        counters_->corrupted.Inc();
      }
    }
    rte_mbuf* dup = nullptr;
    if (Chance(options_.duplicate)) {
      // Every segment of a chain: rte_pktmbuf_free frees segment by segment.
      for (rte_mbuf* seg = m; seg != nullptr; seg = seg->next) {
        rte_mbuf_refcnt_update(seg, 1);
      }
      dup = m;
      counters_->duplicated.Inc();
    }
    if (reordered_ == nullptr && Chance(options_.reorder)) {
      reordered_ = m;  // goes out after the next packet
      counters_->reordered.Inc();
      if (dup != nullptr) {
        emit(dup);
      }
      continue;
    }
    emit(m);
    if (dup != nullptr) {
      emit(dup);
    }
    if (reordered_ != nullptr && reordered_ != m) {
      emit(reordered_);
      reordered_ = nullptr;
    }
  }
  return k;
}

void FaultInjector::Flush() {
  for (const Held& h : held_) {
    rte_pktmbuf_free(h.m);
  }
  held_.clear();
  if (reordered_ != nullptr) {
    rte_pktmbuf_free(reordered_);
    reordered_ = nullptr;
  }
}

}  // namespace tern::port
