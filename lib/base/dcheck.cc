#include "lib/base/dcheck.h"

#include <cstdio>
#include <cstdlib>

namespace tern::base {

void DcheckFailed(const char* file, int line, const char* cond) {
  std::fprintf(stderr, "%s:%d: TERN_DCHECK failed: %s\n", file, line, cond);
  std::fflush(stderr);
  std::abort();
}

}  // namespace tern::base
