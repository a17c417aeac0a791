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
  constexpr int64_t kSpinNs = 300 * kNsPerUs;
  int64_t now = monotonic_ns();
  if (deadline_ns - now > kSpinNs) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(deadline_ns - now - kSpinNs));
  }
  while (monotonic_ns() < deadline_ns) {
    std::this_thread::yield();
  }
}

}  // namespace lockstep
