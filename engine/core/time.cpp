#include "core/time.h"

#include <chrono>
#include <thread>

namespace lockstep {

int64_t monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void sleep_until_ns(int64_t deadline_ns) {
  // Sleep to just before the deadline, then spin. The spin does not yield: on a busy
  // machine a yield hands the core to any runnable thread for a whole time slice (~3 ms
  // measured here), which is what late presents were made of.
  constexpr int64_t kSpinNs = 500 * kNsPerUs;
  int64_t now = monotonic_ns();
  if (deadline_ns - now > kSpinNs) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(deadline_ns - now - kSpinNs));
  }
  while (monotonic_ns() < deadline_ns) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

}  // namespace lockstep
