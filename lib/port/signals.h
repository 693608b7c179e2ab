// Stop requests from SIGINT and SIGTERM, for the apps' loops.
//
// Contract: InstallStopSignals() makes SIGINT and SIGTERM set the flag that
// StopFlag() returns (a lock-free atomic, the only thing a signal handler
// may touch); every lcore's loop reads it once per iteration with relaxed
// ordering. Call it once, from the main thread, after EAL started (EAL
// installs no handlers for these signals).
#ifndef TERN_LIB_PORT_SIGNALS_H_
#define TERN_LIB_PORT_SIGNALS_H_

#include <atomic>

namespace tern::port {

void InstallStopSignals();
std::atomic<bool>& StopFlag();

}  // namespace tern::port

#endif  // TERN_LIB_PORT_SIGNALS_H_
