// Bulk transfer both ways at once between two tern endpoints over the
// fault-injecting link (tests/support/faulty_link.h): 100 MB each way on a
// clean link, under loss + reordering + duplication, and with corruption
// added. Each stream is checked by length and a 64-bit FNV-1a of its bytes;
// every corrupted copy must be rejected by the receiver's checksum. The tests
// assert correctness only; they print simulated time, segments, retransmits
// and CPU time for doc/reliable_transfer.md.
//
// Environment: TERN_TRANSFER_MB scales the 100 MB (for sanitizer builds);
// TERN_FAULT_SEED replaces the seed (to reproduce a failure).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "tests/support/faulty_link.h"

namespace tern::tcp::testing {
namespace {

constexpr wire::Ipv4Addr kAddrA = wire::Ipv4Addr::FromOctets(10, 0, 0, 1);
constexpr wire::Ipv4Addr kAddrB = wire::Ipv4Addr::FromOctets(10, 0, 0, 2);
constexpr uint16_t kPort = 5001;
constexpr size_t kChunk = 64 * 1024;

uint64_t TransferBytes() {
  const char* s = std::getenv("TERN_TRANSFER_MB");
  const uint64_t mb =
      s != nullptr && *s != '\0' ? std::strtoull(s, nullptr, 10) : 100;
  return mb * 1000 * 1000;
}

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) +
         static_cast<double>(ts.tv_nsec) * 1e-9;
}

ConnOptions BigBuffers() {
  ConnOptions o;
  o.send_buffer = 2 << 20;
  o.recv_buffer = 2 << 20;
  return o;
}

EndpointConfig Config() {
  EndpointConfig c;
  c.max_connections = 16;
  c.max_half_open = 16;
  c.max_time_wait = 16;
  c.conn_defaults = BigBuffers();
  return c;
}

// One direction's application: a writer producing `total` pseudo-random
// bytes (xorshift64*) and the peer's reader consuming them, each hashing
// what it handled.
struct Stream {
  explicit Stream(uint64_t total_bytes, uint64_t seed)
      : total(total_bytes), gen(seed | 1), chunk(kChunk) {}

  // Fills the next chunk when the previous one was taken in full.
  void Refill() {
    const size_t n =
        static_cast<size_t>(std::min<uint64_t>(kChunk, total - generated));
    for (size_t i = 0; i < n; i += 8) {
      gen ^= gen >> 12;
      gen ^= gen << 25;
      gen ^= gen >> 27;
      const uint64_t v = gen * 0x2545F4914F6CDD1DULL;
      for (size_t k = 0; k < 8 && i + k < n; ++k) {
        chunk[i + k] = static_cast<uint8_t>(v >> (8 * k));
      }
    }
    chunk_len = n;
    chunk_off = 0;
    generated += n;
    sent_hash.Update(std::span(chunk).first(n));
  }

  // Sends what the connection takes; shuts the write side down at the end.
  void Write(Endpoint& ep, ConnHandle h, Instant now) {
    while (!write_done) {
      if (chunk_off == chunk_len) {
        if (generated == total) {
          EXPECT_EQ(ep.ShutdownWrite(h, now), SockError::kOk);
          write_done = true;
          return;
        }
        Refill();
      }
      IoResult r = ep.Send(
          h, std::span(chunk).subspan(chunk_off, chunk_len - chunk_off), now);
      if (!r.ok()) {
        EXPECT_EQ(r.error, SockError::kWouldBlock) << ToString(r.error);
        return;
      }
      chunk_off += r.bytes;
      sent += r.bytes;
    }
  }

  // Reads what arrived; notes the end of stream.
  void Read(Endpoint& ep, ConnHandle h, Instant now) {
    uint8_t buf[kChunk];
    while (!eof) {
      IoResult r = ep.Recv(h, buf, now);
      if (!r.ok()) {
        EXPECT_EQ(r.error, SockError::kWouldBlock) << ToString(r.error);
        return;
      }
      if (r.bytes == 0) {
        eof = true;
        return;
      }
      received += r.bytes;
      recv_hash.Update(std::span(buf, r.bytes));
    }
  }

  uint64_t total;
  uint64_t gen;
  std::vector<uint8_t> chunk;
  size_t chunk_len = 0;
  size_t chunk_off = 0;
  uint64_t generated = 0;
  uint64_t sent = 0;
  uint64_t received = 0;
  bool write_done = false;
  bool eof = false;
  Fnv1a64 sent_hash;
  Fnv1a64 recv_hash;
};

struct Outcome {
  Duration sim_time;
  double cpu_seconds = 0;
  DirectionStats ab;
  DirectionStats ba;
  uint64_t retransmits = 0;
  Instant end;
};

// A connects to B, both stream `bytes` at each other, shut down, close, and
// the link runs until both endpoints hold no connection.
Outcome Transfer(const char* name, uint64_t seed, const FaultOptions& faults,
                 uint64_t bytes) {
  FaultyLink link(seed, faults, Config(), Config());
  SCOPED_TRACE(link.Describe());
  const Instant start = link.now();
  const double cpu0 = CpuSeconds();

  ListenOptions lo;
  lo.conn = BigBuffers();
  absl::StatusOr<ListenerHandle> l = link.b().Listen(kAddrB, kPort, lo);
  EXPECT_TRUE(l.ok());
  absl::StatusOr<ConnHandle> ca =
      link.a().Connect(kAddrA, kAddrB, kPort, BigBuffers(), link.now());
  EXPECT_TRUE(ca.ok());
  ConnHandle cb;
  Stream ab(bytes, seed * 2 + 1);
  Stream ba(bytes, seed * 2 + 2);
  link.SetApp([&] {
    if (!cb.valid()) {
      std::optional<ConnHandle> h = link.b().Accept(*l);
      if (!h.has_value()) {
        return;
      }
      cb = *h;
    }
    ab.Write(link.a(), *ca, link.now());
    ba.Write(link.b(), cb, link.now());
    ab.Read(link.b(), cb, link.now());
    ba.Read(link.a(), *ca, link.now());
  });
  // Simulated time is free; the bound only stops a stuck transfer.
  const Instant deadline = start + Duration::Seconds(24 * 3600);
  const bool done = link.RunUntil([&] { return ab.eof && ba.eof; }, deadline);
  EXPECT_TRUE(done) << name << ": stuck at A>B " << ab.received << " B>A "
                    << ba.received << " of " << bytes
                    << " at t=" << (link.now() - start).ToMillis() << " ms";
  Outcome out;
  out.sim_time = link.now() - start;
  EXPECT_EQ(ab.sent, bytes);
  EXPECT_EQ(ba.sent, bytes);
  EXPECT_EQ(ab.received, bytes) << "A>B length";
  EXPECT_EQ(ba.received, bytes) << "B>A length";
  EXPECT_EQ(ab.recv_hash.value(), ab.sent_hash.value()) << "A>B bytes differ";
  EXPECT_EQ(ba.recv_hash.value(), ba.sent_hash.value()) << "B>A bytes differ";

  // Close both; under loss FINs are retransmitted, TIME-WAIT answers them.
  link.SetApp(nullptr);
  EXPECT_EQ(link.a().Close(*ca, link.now()), SockError::kOk);
  if (cb.valid()) {
    EXPECT_EQ(link.b().Close(cb, link.now()), SockError::kOk);
  }
  EXPECT_TRUE(link.RunUntil(
      [&] {
        return link.a().connection_count() == 0 &&
               link.b().connection_count() == 0;
      },
      link.now() + Duration::Seconds(600)))
      << name << ": close did not finish";
  link.RunFor(Duration::Seconds(1));  // drain what is still in flight
  EXPECT_EQ(link.in_flight(), 0u);

  out.cpu_seconds = CpuSeconds() - cpu0;
  out.ab = link.stats(FaultyLink::kA);
  out.ba = link.stats(FaultyLink::kB);
  out.retransmits =
      link.a().stats().retransmits.Get() + link.b().stats().retransmits.Get();
  // Every corrupted copy was rejected by the receiver's checksum: none was
  // delivered (and the hashes above agree).
  EXPECT_EQ(out.ab.parse_failures, out.ab.corrupted);
  EXPECT_EQ(out.ba.parse_failures, out.ba.corrupted);
  std::printf(
      "[transfer] %s: %llu B each way, seed %llu: simulated %.3f s, "
      "segments A>B %llu B>A %llu (dropped %llu+%llu, dup %llu+%llu, "
      "reordered %llu+%llu, corrupted %llu+%llu), retransmits %llu, "
      "out-of-order drops %llu, CPU %.2f s\n",
      name, static_cast<unsigned long long>(bytes),
      static_cast<unsigned long long>(seed),
      static_cast<double>(out.sim_time.ToNanos()) * 1e-9,
      static_cast<unsigned long long>(out.ab.sent),
      static_cast<unsigned long long>(out.ba.sent),
      static_cast<unsigned long long>(out.ab.dropped),
      static_cast<unsigned long long>(out.ba.dropped),
      static_cast<unsigned long long>(out.ab.duplicated),
      static_cast<unsigned long long>(out.ba.duplicated),
      static_cast<unsigned long long>(out.ab.reordered),
      static_cast<unsigned long long>(out.ba.reordered),
      static_cast<unsigned long long>(out.ab.corrupted),
      static_cast<unsigned long long>(out.ba.corrupted),
      static_cast<unsigned long long>(out.retransmits),
      static_cast<unsigned long long>(
          link.a().stats().drops.Get(DropReason::kOutOfOrder) +
          link.b().stats().drops.Get(DropReason::kOutOfOrder)),
      out.cpu_seconds);
  std::fflush(stdout);
  out.end = link.now();
  return out;
}

DirectionFaults Lossy() {
  DirectionFaults f;
  f.drop = 0.05;
  f.reorder = 0.02;
  f.duplicate = 0.01;
  f.latency = Duration::Millis(1);
  return f;
}

TEST(Transfer, CleanLink_HundredMegabytesEachWay_Intact) {
  DirectionFaults f;
  f.latency = Duration::Millis(1);
  Outcome o = Transfer("clean", FaultSeed(1), FaultOptions::Symmetric(f),
                       TransferBytes());
  EXPECT_EQ(o.ab.dropped + o.ba.dropped, 0u);
}

TEST(Transfer, LossReorderDuplicate_HundredMegabytesEachWay_Intact) {
  Outcome o = Transfer("loss5%-reorder2%-dup1%", FaultSeed(2),
                       FaultOptions::Symmetric(Lossy()), TransferBytes());
  EXPECT_GT(o.ab.dropped, 0u);
  EXPECT_GT(o.retransmits, 0u);
}

TEST(Transfer,
     CorruptionAdded_HundredMegabytesEachWay_NothingCorruptDelivered) {
  DirectionFaults f = Lossy();
  f.corrupt = 0.001;
  Outcome o = Transfer("loss5%-reorder2%-dup1%-corrupt0.1%", FaultSeed(3),
                       FaultOptions::Symmetric(f), TransferBytes());
  EXPECT_GT(o.ab.corrupted + o.ba.corrupted, 0u);
  EXPECT_GT(o.ab.parse_failures + o.ba.parse_failures, 0u);
}

// The link is a function of its seed: the same seed and workload give the
// same run, segment for segment.
TEST(Transfer, SameSeed_SameRun) {
  DirectionFaults f = Lossy();
  f.corrupt = 0.01;
  f.jitter = Duration::Micros(200);
  const uint64_t seed = FaultSeed(4);
  Outcome x =
      Transfer("determinism-1", seed, FaultOptions::Symmetric(f), 1000 * 1000);
  Outcome y =
      Transfer("determinism-2", seed, FaultOptions::Symmetric(f), 1000 * 1000);
  EXPECT_EQ(x.end, y.end);
  EXPECT_EQ(x.ab.sent, y.ab.sent);
  EXPECT_EQ(x.ba.sent, y.ba.sent);
  EXPECT_EQ(x.ab.dropped, y.ab.dropped);
  EXPECT_EQ(x.ab.corrupted, y.ab.corrupted);
  EXPECT_EQ(x.retransmits, y.retransmits);
}

// A bandwidth cap paces delivery: 1 MB over 10 Mbit/s takes at least 0.8 s.
TEST(Transfer, BandwidthCap_PacesDelivery) {
  DirectionFaults f;
  f.latency = Duration::Millis(1);
  f.bandwidth_bps = 10'000'000;
  Outcome o = Transfer("10Mbit/s", FaultSeed(5), FaultOptions::Symmetric(f),
                       1000 * 1000);
  EXPECT_GE(o.sim_time, Duration::Millis(800));
}

}  // namespace
}  // namespace tern::tcp::testing
