#include "tests/support/eal_test_main.h"

#include <rte_eal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/port/eal.h"

namespace tern::port::testing {

int RunTestsInEal(int argc, char** argv, const char* name, int memory_mb,
                  const std::vector<std::string>& extra_args) {
  constexpr int kSkipExitCode = 77;  // meson: "test skipped"
  ::testing::InitGoogleTest(&argc, argv);
  if (geteuid() != 0) {
    std::fprintf(stderr, "%s: SKIP: needs root for DPDK EAL\n", name);
    return kSkipExitCode;
  }
  std::vector<std::string> eal_args = {argv[0], "--no-huge", "-m",
                                       absl::StrCat(memory_mb), "--no-pci"};
  eal_args.insert(eal_args.end(), extra_args.begin(), extra_args.end());
  eal_args.push_back("--no-shconf");
  eal_args.push_back(absl::StrCat("--file-prefix=tern_", name, "_", getpid()));
  eal_args.push_back("--log-level=lib.eal:warning");
  if (absl::Status s = InitEal(eal_args); !s.ok()) {
    std::fprintf(stderr, "%s: %s\n", name, s.ToString().c_str());
    return 1;
  }
  const int rc = RUN_ALL_TESTS();
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  if (absl::Status s = CleanupEal(); !s.ok()) {
    std::fprintf(stderr, "%s: %s\n", name, s.ToString().c_str());
    return 1;
  }
  std::error_code ignored;
  std::filesystem::remove_all(runtime_dir, ignored);
  return rc;
}

}  // namespace tern::port::testing
