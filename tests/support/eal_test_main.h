// RunTestsInEal: the main of the dpdk suite's gtest binaries, which need
// DPDK's EAL in the process.
//
// Contract:
// - Initialises gtest from argc/argv, then, without root, prints
//   "<name>: SKIP: needs root for DPDK EAL" and returns 77 (meson: skipped).
// - Starts EAL with no hugepages, no PCI scan, no shared config,
//   `memory_mb` MiB, a file prefix unique to the process
//   ("tern_<name>_<pid>"), EAL's own log at warning and `extra_args` (vdevs);
//   returns 1 with EAL's message when it refuses.
// - Runs every test, shuts EAL down and removes the prefix's runtime
//   directory (rte_eal_cleanup leaves it, and a prefix per run would pile
//   them up); returns RUN_ALL_TESTS's result, or 1 when the cleanup failed.
#ifndef TERN_TESTS_SUPPORT_EAL_TEST_MAIN_H_
#define TERN_TESTS_SUPPORT_EAL_TEST_MAIN_H_

#include <string>
#include <vector>

namespace tern::port::testing {

int RunTestsInEal(int argc, char** argv, const char* name, int memory_mb,
                  const std::vector<std::string>& extra_args = {});

}  // namespace tern::port::testing

#endif  // TERN_TESTS_SUPPORT_EAL_TEST_MAIN_H_
