// A simulated node clock: a test aid. Tests use it for the client's clock in simulated
// probe exchanges; a node started with LOCKSTEP_SIM_CLOCK="offset=-5s,drift=200ppm" reads
// its local clock through it, so that several nodes on one machine (which share the real
// monotonic clock) disagree as nodes on separate machines would, and the logs can prove
// that clock sync removes the difference (DESIGN.md, "Ground truth, measurement").
// Never set it in production.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"

namespace lockstep::net {

/// The environment variable that carries a simulated-clock spec (test aid only).
inline constexpr const char* kSimClockEnv = "LOCKSTEP_SIM_CLOCK";
/// With a simulated clock set: PREFIX for a trace of the probe exchanges (test aid only).
inline constexpr const char* kClockTraceEnv = "LOCKSTEP_CLOCK_TRACE";

/// local = true + offset_ns + drift * (true - t0_ns); all ns. Plain value, thread-safe to
/// read from any thread.
struct SimulatedClock {
  int64_t offset_ns = 0;  // local - true at t0_ns
  double drift = 0.0;     // d(local - true)/d(true), e.g. 200e-6 for 200 ppm fast
  int64_t t0_ns = 0;      // true time at which the offset is exactly offset_ns

  /// The simulated local reading at true time `true_ns`.
  int64_t local_from_true(int64_t true_ns) const;
  /// Inverse of local_from_true(), within 1 ns.
  int64_t true_from_local(int64_t local_ns) const;
};

/// Parses "offset=-5s,drift=200ppm": comma-separated key=value, each key at most once,
/// spaces around parts allowed. offset: a decimal number with a unit of s, ms, us (or µs)
/// or ns, at most 1e6 s in magnitude; drift: a decimal number with ppm or ppb, at most
/// 10000 ppm in magnitude. Keys left out are 0. t0_ns is left 0: callers set it (a node
/// uses its start time). Errors name the offending part and what was expected.
Result<SimulatedClock> parse_simulated_clock(const std::string& spec);

/// Reads kSimClockEnv: nullopt when unset or empty, else the parsed clock with t0_ns set to
/// `t0_ns`. Not thread-safe against concurrent setenv().
Result<std::optional<SimulatedClock>> simulated_clock_from_env(int64_t t0_ns);

}  // namespace lockstep::net
