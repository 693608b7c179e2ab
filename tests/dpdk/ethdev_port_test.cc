// EthdevPort on a real (virtual) DPDK device: net_ring, whose TX queue feeds
// its own RX queue, so a burst sent comes straight back.
//
// Needs root (EAL creates its runtime directory under /var/run/dpdk and reads
// /sys and /proc files that need privileges); without it no test runs and the
// binary exits 77, which meson reports as SKIP.

#include "lib/port/ethdev_port.h"

#include <rte_mbuf.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/port/clock.h"
#include "lib/port/eal.h"
#include "tests/support/eal_test_main.h"

namespace tern::port {
namespace {

EthdevPortOptions RingOptions() {
  EthdevPortOptions o;
  o.name = "net_ring0";
  o.mbufs = 4095;
  o.rx_ring = 512;
  o.tx_ring = 512;
  o.burst = 32;
  return o;
}

// Fills `count` mbufs with 64-byte frames whose first byte is the index.
std::vector<rte_mbuf*> MakeFrames(EthdevPort& port, int count) {
  std::vector<rte_mbuf*> v;
  for (int i = 0; i < count; ++i) {
    rte_mbuf* m = port.AllocMbuf();
    EXPECT_NE(m, nullptr);
    if (m == nullptr) {
      break;
    }
    if (rte_pktmbuf_append(m, 64) == nullptr) {
      ADD_FAILURE() << "no tailroom for 64 bytes";
      rte_pktmbuf_free(m);
      break;
    }
    // Written through mtod rather than append's result: GCC 12 cannot see
    // the buffer's size through rte_pktmbuf_append and warns
    // (-Warray-bounds).
    uint8_t* data = rte_pktmbuf_mtod(m, uint8_t*);
    std::fill(data, data + 64, uint8_t{0});
    data[0] = static_cast<uint8_t>(i);
    v.push_back(m);
  }
  return v;
}

// One port for the whole suite: closing a vdev port releases the device, so
// it cannot be created again in this process. Tests compare counters against
// a snapshot taken in SetUp.
class EthdevPortTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    counters_ = new PortCounters();
    absl::StatusOr<std::unique_ptr<EthdevPort>> p =
        EthdevPort::Create(RingOptions(), counters_);
    ASSERT_TRUE(p.ok()) << p.status();
    port_ = p->release();
  }
  static void TearDownTestSuite() {
    delete port_;
    port_ = nullptr;
    delete counters_;
    counters_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(port_, nullptr);
    rx0_ = counters_->rx_packets.Get();
    rx_bytes0_ = counters_->rx_bytes.Get();
    tx0_ = counters_->tx_packets.Get();
    dropped0_ = counters_->tx_dropped_ring_full.Get();
    drops0_ = counters_->TotalDrops();
  }
  uint64_t Rx() const { return counters_->rx_packets.Get() - rx0_; }
  uint64_t RxBytes() const { return counters_->rx_bytes.Get() - rx_bytes0_; }
  uint64_t Tx() const { return counters_->tx_packets.Get() - tx0_; }
  uint64_t TxDropped() const {
    return counters_->tx_dropped_ring_full.Get() - dropped0_;
  }
  uint64_t Drops() const { return counters_->TotalDrops() - drops0_; }

  // Receives until `want` packets arrived or 100 empty polls passed.
  static std::vector<rte_mbuf*> ReceiveAll(size_t want) {
    std::vector<rte_mbuf*> got;
    rte_mbuf* burst[32];
    for (int idle = 0; got.size() < want && idle < 100;) {
      const uint16_t n = port_->RxBurst(burst, 32);
      idle = n == 0 ? idle + 1 : 0;
      got.insert(got.end(), burst, burst + n);
    }
    return got;
  }

  static PortCounters* counters_;
  static EthdevPort* port_;
  uint64_t rx0_ = 0, rx_bytes0_ = 0, tx0_ = 0, dropped0_ = 0, drops0_ = 0;
};

PortCounters* EthdevPortTest::counters_ = nullptr;
EthdevPort* EthdevPortTest::port_ = nullptr;

TEST_F(EthdevPortTest, Create_ReportsMacAndBurst) {
  EXPECT_EQ(port_->burst(), 32);
  EXPECT_EQ(port_->name(), "net_ring0");
  EXPECT_FALSE(port_->mac().IsMulticast());
}

TEST_F(EthdevPortTest, BufferedBurst_LoopsBackInOrder) {
  std::vector<rte_mbuf*> frames = MakeFrames(*port_, 40);
  ASSERT_EQ(frames.size(), 40u);
  for (rte_mbuf* m : frames) {
    port_->Transmit(m);
  }
  // The buffer holds `burst` packets: the first 32 went out when it filled.
  EXPECT_EQ(Tx(), 32u);
  port_->Flush();
  EXPECT_EQ(Tx(), 40u);

  std::vector<rte_mbuf*> got = ReceiveAll(40);
  ASSERT_EQ(got.size(), 40u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(rte_pktmbuf_data_len(got[i]), 64);
    EXPECT_EQ(rte_pktmbuf_mtod(got[i], uint8_t*)[0], i);
    rte_pktmbuf_free(got[i]);
  }
  EXPECT_EQ(Rx(), 40u);
  EXPECT_EQ(RxBytes(), 40u * 64);
  EXPECT_EQ(Drops(), 0u);
}

TEST_F(EthdevPortTest, Drain_WaitsForInterval) {
  std::vector<rte_mbuf*> frames = MakeFrames(*port_, 3);
  for (rte_mbuf* m : frames) {
    port_->Transmit(m);
  }
  const Instant t0 = Instant::FromNanos(0) + Duration::Seconds(1);
  port_->Drain(t0);  // first drain: interval since Instant 0 has passed
  EXPECT_EQ(Tx(), 3u);
  std::vector<rte_mbuf*> more = MakeFrames(*port_, 2);
  for (rte_mbuf* m : more) {
    port_->Transmit(m);
  }
  port_->Drain(t0 + Duration::Micros(50));  // too early: stays buffered
  EXPECT_EQ(Tx(), 3u);
  port_->Drain(t0 + Duration::Micros(100));
  EXPECT_EQ(Tx(), 5u);
  for (rte_mbuf* m : ReceiveAll(5)) {
    rte_pktmbuf_free(m);
  }
}

TEST_F(EthdevPortTest, RingFull_CountedAndFreed) {
  // net_ring's ring holds 1024 - 1 packets (rte_ring keeps one slot empty);
  // nobody receives, so the rest must be counted as dropped.
  constexpr int kOffered = 1200;
  std::vector<rte_mbuf*> frames = MakeFrames(*port_, kOffered);
  ASSERT_EQ(frames.size(), static_cast<size_t>(kOffered));
  for (rte_mbuf* m : frames) {
    port_->Transmit(m);
  }
  port_->Flush();
  EXPECT_GT(TxDropped(), 0u);
  EXPECT_EQ(Tx() + TxDropped(), static_cast<uint64_t>(kOffered));
  std::vector<rte_mbuf*> got = ReceiveAll(kOffered);
  EXPECT_EQ(got.size(), Tx());
  for (rte_mbuf* m : got) {
    rte_pktmbuf_free(m);
  }
}

// tx_keep_unsent, on its own device (net_ring1): what the full ring refuses
// is kept, up to kTxBacklog, and sent in order, ahead of newer frames, once
// the ring has room; only the rest is dropped.
TEST(EthdevPortKeepUnsent, RingFull_KeptThenSentInOrder_RestDropped) {
  PortCounters counters;
  EthdevPortOptions o = RingOptions();
  o.name = "net_ring1";
  o.tx_keep_unsent = true;
  absl::StatusOr<std::unique_ptr<EthdevPort>> created =
      EthdevPort::Create(o, &counters);
  ASSERT_TRUE(created.ok()) << created.status();
  EthdevPort& port = **created;
  // The ring holds 1023; 1023 + 100 offered: 64 kept, 36 dropped.
  constexpr int kRing = 1023;
  constexpr int kOffered = kRing + 100;
  std::vector<rte_mbuf*> frames = MakeFrames(port, kOffered);
  ASSERT_EQ(frames.size(), static_cast<size_t>(kOffered));
  for (rte_mbuf* m : frames) {
    port.Transmit(m);
  }
  port.Flush();
  EXPECT_EQ(counters.tx_packets.Get(), static_cast<uint64_t>(kRing));
  EXPECT_EQ(port.tx_kept(), uint64_t{EthdevPort::kTxBacklog});
  EXPECT_EQ(counters.tx_dropped_ring_full.Get(),
            uint64_t{kOffered - kRing - EthdevPort::kTxBacklog});
  // A Flush on a still-full ring keeps them: nothing sent, nothing lost.
  port.Flush();
  EXPECT_EQ(counters.tx_packets.Get(), static_cast<uint64_t>(kRing));
  EXPECT_EQ(counters.tx_dropped_ring_full.Get(), 36u);
  // Receive what the ring holds; a newer frame then queues behind the kept.
  std::vector<rte_mbuf*> got;
  rte_mbuf* burst[32];
  while (got.size() < static_cast<size_t>(kRing)) {
    const uint16_t n = port.RxBurst(burst, 32);
    ASSERT_GT(n, 0) << "after " << got.size();
    got.insert(got.end(), burst, burst + n);
  }
  std::vector<rte_mbuf*> newer = MakeFrames(port, 1);
  ASSERT_EQ(newer.size(), 1u);
  rte_pktmbuf_mtod(newer[0], uint8_t*)[0] = 0xee;
  port.Transmit(newer[0]);
  port.Flush();
  EXPECT_EQ(counters.tx_packets.Get(),
            static_cast<uint64_t>(kRing + EthdevPort::kTxBacklog + 1));
  for (rte_mbuf* m : got) {
    rte_pktmbuf_free(m);
  }
  got.clear();
  while (got.size() < EthdevPort::kTxBacklog + 1u) {
    const uint16_t n = port.RxBurst(burst, 32);
    ASSERT_GT(n, 0) << "after " << got.size();
    got.insert(got.end(), burst, burst + n);
  }
  for (size_t i = 0; i < EthdevPort::kTxBacklog; ++i) {
    EXPECT_EQ(rte_pktmbuf_mtod(got[i], uint8_t*)[0],
              static_cast<uint8_t>(kRing + i))
        << "kept frame " << i;
  }
  EXPECT_EQ(rte_pktmbuf_mtod(got.back(), uint8_t*)[0], 0xee);
  for (rte_mbuf* m : got) {
    rte_pktmbuf_free(m);
  }
}

TEST(EthdevPortCreate, UnknownDevice_NotFoundNamesIt) {
  PortCounters counters;
  EthdevPortOptions o = RingOptions();
  o.name = "net_nosuch0";
  absl::StatusOr<std::unique_ptr<EthdevPort>> p =
      EthdevPort::Create(o, &counters);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(p.status().message().find("net_nosuch0"), std::string::npos);
}

TEST(EthdevPortCreate, TooFewMbufs_InvalidArgument) {
  PortCounters counters;
  EthdevPortOptions o = RingOptions();
  o.mbufs = 100;
  absl::StatusOr<std::unique_ptr<EthdevPort>> p =
      EthdevPort::Create(o, &counters);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Eal, SecondInit_FailedPrecondition) {
  const std::vector<std::string> args = {"again"};
  EXPECT_EQ(InitEal(args).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(TscClock, AdvancesWithTime) {
  absl::StatusOr<TscClock> clock = TscClock::Create();
  ASSERT_TRUE(clock.ok()) << clock.status();
  const Instant a = clock->Now();
  usleep(2000);
  const Duration elapsed = clock->Now() - a;
  EXPECT_GE(elapsed, Duration::Millis(1));
  EXPECT_LT(elapsed, Duration::Seconds(5));
}

}  // namespace
}  // namespace tern::port

int main(int argc, char** argv) {
  return tern::port::testing::RunTestsInEal(
      argc, argv, "ethdev_test", 128, {"--vdev=net_ring0", "--vdev=net_ring1"});
}
