// doc/services.md shows the example service in full: the files it shows are
// the ones compiled and tested.
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace tern::app {
namespace {

std::string Read(const std::string& path) {
  std::ifstream f(std::string(TERN_SOURCE_ROOT) + "/" + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(Docs, ExampleShownInFull) {
  const std::string doc = Read("doc/services.md");
  ASSERT_FALSE(doc.empty());
  for (const char* file :
       {"app/services/example_upper.h", "app/services/example_upper.cc"}) {
    const std::string code = Read(file);
    ASSERT_FALSE(code.empty()) << file;
    EXPECT_NE(doc.find("```cpp\n" + code + "```"), std::string::npos)
        << file << " differs from its copy in doc/services.md";
  }
}

}  // namespace
}  // namespace tern::app
