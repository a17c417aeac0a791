// Present logs with known sync figures, built tick by tick, for the lockstep-skew tests.
//
// The reference script (node A): 50 Hz refresh ticks (20 ms), 25 fps media, so every frame
// is on screen for 2 ticks: frames 0..60 play (ticks 0..121), then 10 paused ticks show 60
// (ticks 122..131), then frames 61..99 play (ticks 132..209). 210 ticks in all.
// Node B follows the same script, except that it never shows frame 37 (it repeats 36), and
// presents every line `lag_ns(frame shown)` after A: 0.75 ms on even frames, 0.65 ms on odd
// ones, 2.0 ms on frame 50.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/time.h"

namespace lockstep::test {

constexpr int64_t kT0 = 1000 * kNsPerSec;  // A's first tick
constexpr int64_t kTick = 20 * kNsPerMs;   // refresh period

struct ScriptTick {
  int64_t shown = 0;
  bool paused = false;
};

/// Node A's screen, tick by tick (see above).
std::vector<ScriptTick> reference_script();

/// The same script with `frame` replaced by the frame before it (a node that missed it).
std::vector<ScriptTick> without_frame(std::vector<ScriptTick> script, int64_t frame);

/// `loops` passes over frames 0..frames-1, 2 ticks each, never paused.
std::vector<ScriptTick> looping_script(int frames, int loops);

/// B's lag behind A for the frame it shows (see above).
int64_t lag_ns(int64_t frame);

struct LogStyle {
  /// Lines present at kT0 + k * kTick + offset_ns(shown frame).
  std::function<int64_t(int64_t)> offset_ns = [](int64_t) { return int64_t(0); };
  /// Write "readback" with the shown frame and a different "frame" (readback must win);
  /// otherwise "readback": null and "frame" is the shown frame.
  bool readback = false;
  /// When set, each line carries "clock_err_ns": clock_err_ns(tick index).
  std::function<int64_t(int64_t)> clock_err_ns;
  /// Adds fields a newer node would write ("session_ns") and one nobody knows.
  bool extra_fields = false;
};

/// The JSON lines a node following `script` would write.
std::string make_log(const std::vector<ScriptTick>& script, const LogStyle& style);

}  // namespace lockstep::test
