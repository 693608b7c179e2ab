// TERN_DCHECK: invariant checks for the whole project.
//
// Contract: TERN_DCHECK(cond) evaluates `cond` in builds without NDEBUG and
// aborts with file, line and the condition text when it is false. With NDEBUG
// (release builds) the condition is not evaluated. Invariants only: bad input
// from the network or from a config file is never a DCHECK, it is a verdict or
// a Status.
#ifndef TERN_LIB_BASE_DCHECK_H_
#define TERN_LIB_BASE_DCHECK_H_

namespace tern::base {
[[noreturn]] void DcheckFailed(const char* file, int line, const char* cond);
}  // namespace tern::base

#ifdef NDEBUG
#define TERN_DCHECK(cond) \
  do {                    \
    (void)sizeof(cond);   \
  } while (0)
#else
#define TERN_DCHECK(cond)                                       \
  do {                                                          \
    if (!(cond)) [[unlikely]] {                                 \
      ::tern::base::DcheckFailed(__FILE__, __LINE__, #cond);    \
    }                                                           \
  } while (0)
#endif

#endif  // TERN_LIB_BASE_DCHECK_H_
