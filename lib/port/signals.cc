#include "lib/port/signals.h"

#include <csignal>

namespace tern::port {
namespace {

std::atomic<bool> stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free,
              "a signal handler may only touch lock-free atomics");

void OnSignal(int /*signo*/) {
  stop_requested.store(true, std::memory_order_relaxed);
}

}  // namespace

void InstallStopSignals() {
  struct sigaction sa = {};
  sa.sa_handler = &OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

std::atomic<bool>& StopFlag() { return stop_requested; }

}  // namespace tern::port
