// The node's local monotonic clock. All times inside the engine are int64 nanoseconds of
// std::chrono::steady_clock (CLOCK_MONOTONIC on Linux), so logs of several processes on one
// machine share a time base.
#pragma once

#include <cstdint>

namespace lockstep {

constexpr int64_t kNsPerSec = 1'000'000'000;
constexpr int64_t kNsPerMs = 1'000'000;
constexpr int64_t kNsPerUs = 1'000;

/// Monotonic time now, ns. Thread-safe.
int64_t monotonic_ns();

/// Sleeps until the monotonic clock reaches `deadline_ns` (coarse sleep, then a short
/// spin for the last ~300 µs so wake-ups land within a few µs). Thread-safe.
void sleep_until_ns(int64_t deadline_ns);

}  // namespace lockstep
