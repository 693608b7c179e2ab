#include "lib/port/log.h"

#include <rte_log.h>

#include <cstdarg>
#include <cstdio>

namespace tern::port {

int LogType() {
  // Registration is idempotent in DPDK (the same name returns the same id), and
  // a function-local static makes the first call the only one that pays for it.
  static const int type = [] {
    int t = rte_log_register_type_and_pick_level("tern", RTE_LOG_INFO);
    // Registration fails only when DPDK's logtype table is exhausted; fall
    // back to the generic user type so the message is not lost.
    return t < 0 ? static_cast<int>(RTE_LOGTYPE_USER1) : t;
  }();
  return type;
}

void Log(uint32_t level, const char* format, ...) {
  // rte_vlog prints the text as given; the line is assembled first so that the
  // prefix, the message and the newline reach the log stream as one write.
  // Longer messages are cut, never overrun: vsnprintf bounds the write. 512
  // holds every message tern logs today, EAL argument lists included.
  char line[512];
  va_list ap;
  va_start(ap, format);
  int n = std::vsnprintf(line, sizeof(line), format, ap);
  va_end(ap);
  if (n < 0) {
    return;
  }
  // Errors and warnings say so in the line, so a log can be checked for them
  // (a clean run has none).
  const char* severity = level <= RTE_LOG_ERR       ? "error: "
                         : level == RTE_LOG_WARNING ? "warning: "
                                                    : "";
  rte_log(level, static_cast<uint32_t>(LogType()), "tern: %s%s\n", severity,
          line);
}

}  // namespace tern::port
