#include "lib/port/eal.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include <cerrno>
#include <deque>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/port/log.h"

namespace tern::port {
namespace {

// EAL state is process-wide in DPDK itself, so mirroring it here in
// file-scope variables adds no new kind of global.
enum class EalState { kNotStarted, kRunning, kCleanedUp };
EalState eal_state = EalState::kNotStarted;

// Owns the argv strings for the life of the process (see the header). A deque
// never moves its elements, so the char* handed to EAL stay valid.
std::deque<std::string>& ArgStorage() {
  static auto* storage = new std::deque<std::string>();
  return *storage;
}

// The errno names rte_eal_init documents in rte_eal.h (DPDK 22.11), so a
// failure reads "EACCES" rather than a bare number.
const char* ErrnoName(int e) {
  switch (e) {
    case EACCES:
      return "EACCES";
    case EAGAIN:
      return "EAGAIN";
    case EALREADY:
      return "EALREADY";
    case EFAULT:
      return "EFAULT";
    case ENODEV:
      return "ENODEV";
    case ENOMEM:
      return "ENOMEM";
    case ENOTSUP:
      return "ENOTSUP";
    case EPROTO:
      return "EPROTO";
    case ENOEXEC:
      return "ENOEXEC";
    case EINVAL:
      return "EINVAL";
    default:
      return "errno";
  }
}

absl::StatusCode CodeFor(int e) {
  switch (e) {
    case EACCES:
      return absl::StatusCode::kPermissionDenied;
    case EALREADY:
      return absl::StatusCode::kFailedPrecondition;
    case ENOMEM:
      return absl::StatusCode::kResourceExhausted;
    case ENODEV:
      return absl::StatusCode::kNotFound;
    case ENOTSUP:
      return absl::StatusCode::kUnimplemented;
    case EINVAL:
      return absl::StatusCode::kInvalidArgument;
    case EAGAIN:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

absl::Status InitEal(std::span<const std::string> args) {
  if (eal_state != EalState::kNotStarted) {
    return absl::FailedPreconditionError(
        "InitEal: EAL was already initialized in this process (DPDK allows "
        "one rte_eal_init per process)");
  }
  if (args.empty()) {
    return absl::InvalidArgumentError(
        "InitEal: empty argument vector (args[0] must be the program name)");
  }
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const std::string& a : args) {
    argv.push_back(ArgStorage().emplace_back(a).data());
  }
  // Some EAL parsers (getopt) expect argv[argc] == nullptr, as in main().
  argv.push_back(nullptr);
  const int argc = static_cast<int>(args.size());
  const int consumed = rte_eal_init(argc, argv.data());
  if (consumed < 0) {
    const int e = rte_errno;
    if (e == 0) {
      // Some EAL failures set no rte_errno; the usual one is a second
      // primary process on the same runtime directory.
      return absl::FailedPreconditionError(absl::StrCat(
          "rte_eal_init failed and gave no reason (rte_errno 0); is another "
          "DPDK process running with the same --file-prefix? EAL args: ",
          absl::StrJoin(args, " ")));
    }
    return absl::Status(CodeFor(e),
                        absl::StrCat("rte_eal_init failed with ", ErrnoName(e),
                                     " (", e, "): ", rte_strerror(e),
                                     "; EAL args: ", absl::StrJoin(args, " ")));
  }
  if (consumed != argc - 1) {
    // tern passes only EAL options; anything EAL left over is a config error
    // that would otherwise be silently ignored.
    rte_eal_cleanup();
    eal_state = EalState::kCleanedUp;
    return absl::InvalidArgumentError(absl::StrCat(
        "rte_eal_init accepted ", consumed, " of ", argc - 1,
        " arguments; the rest are not EAL options: ",
        absl::StrJoin(args.subspan(static_cast<size_t>(consumed) + 1), " ")));
  }
  eal_state = EalState::kRunning;
  Log(RTE_LOG_INFO, "EAL initialized: %s", absl::StrJoin(args, " ").c_str());
  return absl::OkStatus();
}

absl::Status CleanupEal() {
  if (eal_state != EalState::kRunning) {
    return absl::OkStatus();
  }
  eal_state = EalState::kCleanedUp;
  if (int rc = rte_eal_cleanup(); rc < 0) {
    const int e = rte_errno;
    return absl::InternalError(absl::StrCat(
        "rte_eal_cleanup failed with ", ErrnoName(e), ": ", rte_strerror(e)));
  }
  return absl::OkStatus();
}

bool EalInitialized() { return eal_state == EalState::kRunning; }

}  // namespace tern::port
