// The DPDK Environment Abstraction Layer (EAL): start-up and shutdown.
//
// Contract:
// - InitEal(args) runs rte_eal_init once per process with `args` as its argv
//   (args[0] is the program name, as in main's argv). It returns OK, or a
//   Status whose message names rte_eal_init, the errno name DPDK reported
//   (EALREADY, EACCES, ENOMEM, ...) and DPDK's explanation. A second call
//   returns FailedPrecondition without touching DPDK.
// - The strings are copied and kept for the life of the process, because EAL
//   may keep pointers into its argv.
// - CleanupEal() releases what InitEal took (hugepage files, devices, the
//   shared config); it is a no-op when InitEal did not succeed. DPDK cannot
//   be initialized again in the same process afterwards.
// Both are control-plane calls for the main thread only.
#ifndef TERN_LIB_PORT_EAL_H_
#define TERN_LIB_PORT_EAL_H_

#include <span>
#include <string>

#include "absl/status/status.h"

namespace tern::port {

absl::Status InitEal(std::span<const std::string> args);
absl::Status CleanupEal();

// True between a successful InitEal and CleanupEal.
bool EalInitialized();

}  // namespace tern::port

#endif  // TERN_LIB_PORT_EAL_H_
