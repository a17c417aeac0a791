// Which clock the transport's times are in. A local node's transport runs on the
// monotonic clock; a node in a session runs on the session clock (the server's monotonic
// clock), estimated by clock sync. The render loop and the audio feeder work in true
// monotonic ns and convert through this.
//
// Thread-safety: implementations must be callable from any thread.
#pragma once

#include <cstdint>
#include <optional>

namespace lockstep {

class ClockDomain {
 public:
  virtual ~ClockDomain() = default;
  /// Session time of monotonic time `mono_ns`.
  virtual int64_t to_session(int64_t mono_ns) const = 0;
  /// Monotonic time of session time `session_ns`.
  virtual int64_t to_monotonic(int64_t session_ns) const = 0;
  /// The error of to_session() at `mono_ns` when the truth is known (tests that simulate a
  /// clock offset on one machine); std::nullopt otherwise.
  virtual std::optional<int64_t> error_ns(int64_t /*mono_ns*/) const { return std::nullopt; }
};

/// The transport runs on this machine's monotonic clock.
class MonotonicDomain final : public ClockDomain {
 public:
  int64_t to_session(int64_t mono_ns) const override { return mono_ns; }
  int64_t to_monotonic(int64_t session_ns) const override { return session_ns; }
};

}  // namespace lockstep
