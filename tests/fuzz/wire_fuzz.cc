// Fuzz target for lib/wire: arbitrary bytes through Ethernet -> IPv4 ->
// TCP / ICMP, and Ethernet -> ARP, with every successful parse re-emitted.
//
// Properties checked (a violation aborts, which libFuzzer reports):
// - no parser reads out of bounds or trips UB (ASan/UBSan do the checking);
// - whatever parses re-emits to bytes that parse again, with the same fields;
// - emitting a re-parsed value is a fixed point (Emit(Parse(Emit(x))) ==
//   Emit(x)), which catches EmittedLen disagreeing with Emit;
// - the one-pass ParseTcpFrame takes a frame exactly when the general
//   parsers in turn take it and it has the common shape (no VLAN tag, no
//   IPv4 options, TCP), and then gives the same fields.
//
// Input layout: byte 0 bit 0 selects the checksum mode for IPv4 and TCP
// (random bytes almost never carry a valid checksum, so half of the inputs
// skip verification and let the fuzzer reach the option parsers), bit 1
// trusts the IPv4 checksum alone in the one-pass check; the rest is an
// Ethernet frame without FCS.
//
// Built two ways from this one file (tests/fuzz/meson.build): with
// -fsanitize=fuzzer, libFuzzer supplies main; with TERN_WIRE_FUZZ_DRIVER, the
// main below replays a seed corpus of valid frames, every truncation of them
// and every one-byte mutation of them, so the properties are checked on
// every build even without clang.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <vector>

#include "lib/wire/arp.h"
#include "lib/wire/ethernet.h"
#include "lib/wire/icmp.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/tcp_frame.h"
#include "lib/wire/tcp_header.h"
#include "tests/fuzz/fuzz_input.h"

namespace tern::wire {
namespace {

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "wire_fuzz: property violated: %s\n", what);
    std::abort();
  }
}

void FuzzArp(std::span<const uint8_t> body) {
  ArpRepr arp;
  if (ArpRepr::Parse(body, &arp) != WireError::kOk) {
    return;
  }
  std::vector<uint8_t> out(ArpRepr::BufferLen());
  arp.Emit(out);
  ArpRepr again;
  Require(ArpRepr::Parse(out, &again) == WireError::kOk, "arp reparse");
  Require(again == arp, "arp round trip");
}

void FuzzIcmp(std::span<const uint8_t> message) {
  IcmpRepr icmp;
  if (IcmpRepr::Parse(message, &icmp) != WireError::kOk) {
    return;
  }
  std::vector<uint8_t> out(icmp.BufferLen());
  icmp.Emit(out);
  IcmpRepr again;
  Require(IcmpRepr::Parse(out, &again) == WireError::kOk, "icmp reparse");
  Require(again == icmp, "icmp round trip");
}

void FuzzTcp(std::span<const uint8_t> segment, const Ipv4Repr& ip,
             TcpRepr::Checksum mode) {
  TcpRepr tcp;
  if (TcpRepr::Parse(segment, ip.src, ip.dst, mode, &tcp) != WireError::kOk) {
    return;
  }
  std::vector<uint8_t> first(tcp.BufferLen());
  tcp.Emit(first, ip.src, ip.dst);
  TcpRepr again;
  Require(TcpRepr::Parse(first, ip.src, ip.dst, TcpRepr::Checksum::kVerify,
                         &again) == WireError::kOk,
          "tcp reparse");
  // SACK blocks beyond what fits next to the other options are dropped by
  // Emit; everything else survives unchanged.
  Require(again.options.sack_count <= tcp.options.sack_count, "tcp sack");
  TcpRepr expected = tcp;
  expected.options.sack_count = again.options.sack_count;
  expected.options.sack = again.options.sack;
  Require(again == expected, "tcp round trip");
  std::vector<uint8_t> second(again.BufferLen());
  again.Emit(second, ip.src, ip.dst);
  Require(second == first, "tcp emit fixed point");
}

void FuzzIpv4(std::span<const uint8_t> packet, Ipv4Repr::Checksum mode) {
  Ipv4Repr ip;
  std::span<const uint8_t> payload;
  if (Ipv4Repr::Parse(packet, mode, &ip, &payload) != WireError::kOk) {
    return;
  }
  Require(payload.size() == ip.payload_len, "ipv4 payload length");
  std::vector<uint8_t> out(ip.BufferLen());
  ip.Emit(out);
  std::copy(payload.begin(), payload.end(), out.begin() + ip.HeaderLen());
  Ipv4Repr again;
  std::span<const uint8_t> again_payload;
  Require(Ipv4Repr::Parse(out, Ipv4Repr::Checksum::kVerify, &again,
                          &again_payload) == WireError::kOk,
          "ipv4 reparse");
  Ipv4Repr expected = ip;
  expected.had_options = false;  // Emit never writes options
  Require(again == expected, "ipv4 round trip");
  TcpRepr::Checksum tcp_mode = mode == Ipv4Repr::Checksum::kVerify
                                   ? TcpRepr::Checksum::kVerify
                                   : TcpRepr::Checksum::kTrustNic;
  if (ip.protocol == kIpProtoTcp) {
    FuzzTcp(payload, ip, tcp_mode);
  } else if (ip.protocol == kIpProtoIcmp) {
    FuzzIcmp(payload);
  }
}

// ParseTcpFrame against Ethernet, IPv4 and TCP parsed in turn, each
// checksum verified or trusted on its own (a NIC may verify one and not the
// other).
void FuzzOnePass(std::span<const uint8_t> frame, bool trust_ip,
                 bool trust_tcp) {
  const auto ip_mode =
      trust_ip ? Ipv4Repr::Checksum::kTrustNic : Ipv4Repr::Checksum::kVerify;
  const auto tcp_mode =
      trust_tcp ? TcpRepr::Checksum::kTrustNic : TcpRepr::Checksum::kVerify;
  TcpFrameHeaders headers;
  TcpRepr fast;
  const bool taken = ParseTcpFrame(frame, ip_mode, tcp_mode, &headers, &fast);
  EthernetRepr eth;
  size_t eth_len = 0;
  Ipv4Repr ip;
  std::span<const uint8_t> l4;
  TcpRepr general;
  const bool general_ok =
      EthernetRepr::Parse(frame, &eth, &eth_len) == WireError::kOk &&
      eth.ethertype == kEtherTypeIpv4 &&
      Ipv4Repr::Parse(frame.subspan(eth_len), ip_mode, &ip, &l4) ==
          WireError::kOk &&
      ip.protocol == kIpProtoTcp &&
      TcpRepr::Parse(l4, ip.src, ip.dst, tcp_mode, &general) == WireError::kOk;
  Require(taken == (general_ok && !eth.vlan_tci.has_value() && !ip.had_options),
          "one-pass parse takes what the general parsers take");
  if (taken) {
    Require(headers.eth_dst == eth.dst && headers.eth_src == eth.src &&
                headers.ip_src == ip.src && headers.ip_dst == ip.dst &&
                fast == general &&
                fast.payload.data() == general.payload.data() &&
                fast.payload.size() == general.payload.size(),
            "one-pass parse gives the general parsers' fields");
  }
}

}  // namespace
}  // namespace tern::wire

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tern::wire;  // NOLINT: test entry point
  if (size == 0) {
    return 0;
  }
  const bool trust_nic = (data[0] & 1) != 0;
  std::span<const uint8_t> frame(data + 1, size - 1);
  // Bit 1 trusts the IPv4 checksum alone in the one-pass check.
  const bool trust_ip_only = (data[0] & 2) != 0;
  FuzzOnePass(frame, trust_nic || trust_ip_only, trust_nic);
  EthernetRepr eth;
  size_t header_len = 0;
  if (EthernetRepr::Parse(frame, &eth, &header_len) != WireError::kOk) {
    return 0;
  }
  std::vector<uint8_t> eth_out(eth.BufferLen());
  eth.Emit(eth_out);
  EthernetRepr eth_again;
  size_t again_len = 0;
  Require(
      EthernetRepr::Parse(eth_out, &eth_again, &again_len) == WireError::kOk &&
          eth_again == eth && again_len == header_len,
      "ethernet round trip");
  std::span<const uint8_t> body = frame.subspan(header_len);
  if (eth.ethertype == kEtherTypeArp) {
    FuzzArp(body);
  } else if (eth.ethertype == kEtherTypeIpv4) {
    FuzzIpv4(body, trust_nic ? Ipv4Repr::Checksum::kTrustNic
                             : Ipv4Repr::Checksum::kVerify);
  }
  return 0;
}

#ifdef TERN_WIRE_FUZZ_DRIVER
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace tern::wire {
namespace {

const Ipv4Addr kA = Ipv4Addr::FromOctets(10, 0, 0, 1);
const Ipv4Addr kB = Ipv4Addr::FromOctets(10, 0, 0, 2);

// Ethernet + IPv4 around `l4` (already emitted), padded to 60 bytes like a
// real short frame.
std::vector<uint8_t> Frame(uint16_t ethertype, std::optional<uint16_t> vlan,
                           const std::vector<uint8_t>& body) {
  EthernetRepr eth;
  eth.dst = MacAddr{{0x02, 0, 0, 0, 0, 2}};
  eth.src = MacAddr{{0x02, 0, 0, 0, 0, 1}};
  eth.ethertype = ethertype;
  eth.vlan_tci = vlan;
  std::vector<uint8_t> f(eth.BufferLen() + body.size());
  eth.Emit(f);
  std::copy(body.begin(), body.end(), f.begin() + eth.HeaderLen());
  if (f.size() < 60) {
    f.resize(60, 0);
  }
  return f;
}

std::vector<uint8_t> Ip(uint8_t protocol, const std::vector<uint8_t>& l4) {
  Ipv4Repr ip;
  ip.src = kA;
  ip.dst = kB;
  ip.protocol = protocol;
  ip.payload_len = static_cast<uint16_t>(l4.size());
  std::vector<uint8_t> p(ip.BufferLen());
  ip.Emit(p);
  std::copy(l4.begin(), l4.end(), p.begin() + ip.HeaderLen());
  return p;
}

std::vector<uint8_t> Tcp(const TcpRepr& t) {
  std::vector<uint8_t> s(t.BufferLen());
  t.Emit(s, kA, kB);
  return s;
}

std::vector<std::vector<uint8_t>> Seeds() {
  std::vector<std::vector<uint8_t>> seeds;
  TcpRepr syn;
  syn.src_port = 40000;
  syn.dst_port = 80;
  syn.seq = SeqNum(1);
  syn.flags = tcp_flags::kSyn;
  syn.window = 64240;
  syn.options.mss = 1460;
  syn.options.sack_permitted = true;
  syn.options.timestamps = TcpTimestamps{1, 0};
  syn.options.window_scale = 7;
  seeds.push_back(
      Frame(kEtherTypeIpv4, std::nullopt, Ip(kIpProtoTcp, Tcp(syn))));

  static const uint8_t kData[] = {'G', 'E', 'T', ' ', '/'};
  TcpRepr ack;
  ack.src_port = 80;
  ack.dst_port = 40000;
  ack.seq = SeqNum(1000);
  ack.ack = SeqNum(2);
  ack.flags = tcp_flags::kAck | tcp_flags::kPsh;
  ack.options.timestamps = TcpTimestamps{5, 1};
  ack.options.sack_count = 2;
  ack.options.sack[0] = SackBlock{SeqNum(10), SeqNum(20)};
  ack.options.sack[1] = SackBlock{SeqNum(30), SeqNum(40)};
  ack.payload = kData;
  seeds.push_back(Frame(kEtherTypeIpv4, 100, Ip(kIpProtoTcp, Tcp(ack))));

  ArpRepr arp;
  arp.sender_mac = MacAddr{{0x02, 0, 0, 0, 0, 1}};
  arp.sender_ip = kA;
  arp.target_ip = kB;
  std::vector<uint8_t> arp_bytes(ArpRepr::BufferLen());
  arp.Emit(arp_bytes);
  seeds.push_back(Frame(kEtherTypeArp, std::nullopt, arp_bytes));

  static const uint8_t kPing[] = {0, 1, 2, 3, 4, 5, 6, 7};
  IcmpRepr echo;
  echo.echo_id = 7;
  echo.echo_seq = 1;
  echo.data = kPing;
  std::vector<uint8_t> echo_bytes(echo.BufferLen());
  echo.Emit(echo_bytes);
  seeds.push_back(
      Frame(kEtherTypeIpv4, std::nullopt, Ip(kIpProtoIcmp, echo_bytes)));

  std::vector<uint8_t> quoted = Ip(kIpProtoTcp, Tcp(syn));
  quoted.resize(28);
  IcmpRepr too_big;
  too_big.type = IcmpType::kDestinationUnreachable;
  too_big.code = kIcmpCodeFragmentationNeeded;
  too_big.next_hop_mtu = 1400;
  too_big.data = quoted;
  std::vector<uint8_t> too_big_bytes(too_big.BufferLen());
  too_big.Emit(too_big_bytes);
  seeds.push_back(
      Frame(kEtherTypeIpv4, std::nullopt, Ip(kIpProtoIcmp, too_big_bytes)));
  return seeds;
}

void Run(uint8_t selector, const std::vector<uint8_t>& frame) {
  std::vector<uint8_t> input;
  input.reserve(frame.size() + 1);
  input.push_back(selector);
  input.insert(input.end(), frame.begin(), frame.end());
  LLVMFuzzerTestOneInput(input.data(), input.size());
}

}  // namespace
}  // namespace tern::wire

// wire_fuzz_driver [--dump DIR] [FILE or DIR]...: replays the seeds (each
// with every truncation and every one-byte mutation), then every corpus
// file given as is (tests/fuzz/corpus/wire); --dump writes the seeds, with
// their selector byte, into DIR as corpus files.
int main(int argc, char** argv) {
  using namespace tern::wire;  // NOLINT: test driver
  namespace fs = std::filesystem;
  size_t runs = 0;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--dump" && i + 1 < argc) {
      const fs::path dir = argv[++i];
      fs::create_directories(dir);
      size_t k = 0;
      for (const std::vector<uint8_t>& seed : Seeds()) {
        for (uint8_t selector : {0, 1}) {
          std::ofstream f(dir / ("seed_" + std::to_string(k++)),
                          std::ios::binary);
          f.put(static_cast<char>(selector));
          f.write(reinterpret_cast<const char*>(seed.data()),
                  static_cast<std::streamsize>(seed.size()));
        }
      }
    } else {
      tern::fuzz::AddCorpusPath(a, &files);
    }
  }
  for (const std::vector<uint8_t>& seed : Seeds()) {
    for (uint8_t selector : {0, 1}) {
      Run(selector, seed);
      ++runs;
      for (size_t n = 0; n < seed.size(); ++n) {
        // Exactly n bytes, so ASan builds catch any read past the end.
        Run(selector, std::vector<uint8_t>(seed.begin(), seed.begin() + n));
        ++runs;
      }
      for (size_t at = 0; at < seed.size(); ++at) {
        for (int v = 0; v < 256; ++v) {
          if (v == seed[at]) {
            continue;
          }
          std::vector<uint8_t> mutated = seed;
          mutated[at] = static_cast<uint8_t>(v);
          Run(selector, mutated);
          ++runs;
        }
      }
    }
  }
  for (const fs::path& p : files) {
    const std::vector<uint8_t> in = tern::fuzz::ReadFileBytes(p);
    LLVMFuzzerTestOneInput(in.data(), in.size());
    ++runs;
  }
  std::printf(
      "wire_fuzz_driver: %zu inputs (%zu corpus files), all "
      "properties held\n",
      runs, files.size());
  return 0;
}
#endif  // TERN_WIRE_FUZZ_DRIVER
