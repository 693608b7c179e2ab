// Logging for the port layer and the apps, through the DPDK log subsystem.
//
// Contract: Log() writes one line at `level` (an RTE_LOG_* value) under the
// "tern" logtype, registered on first use; the EAL option
// --log-level=tern:debug selects its level like any DPDK logtype. Safe to call
// before rte_eal_init (DPDK then writes to stderr). The format string is
// printf-style and checked by the compiler; the newline is added here.
#ifndef TERN_LIB_PORT_LOG_H_
#define TERN_LIB_PORT_LOG_H_

#include <cstdint>

namespace tern::port {

// The registered logtype id (a DPDK logtype number).
int LogType();

void Log(uint32_t level, const char* format, ...)
    __attribute__((format(printf, 2, 3)));

}  // namespace tern::port

#endif  // TERN_LIB_PORT_LOG_H_
