// What a transport command does, in one place. A key, the overlay, a `--commands` schedule
// and a session's server all end here: the local player applies a command to its own state
// at "now", the server applies it to the session's state at the command's effective time,
// and both get the same state from the same inputs (tests/clock/transport_command_test.cpp).
//
// The rules (docs/architecture.md, "Commands"):
//  - Every command re-anchors the state at `at_ns` on where it is then, held within the file
//    (from 0 to the last frame; a looping state keeps its unwrapped position).
//  - Play at the end of a file that does not loop starts it again from the first frame.
//  - Seek goes to the frame covering the position, within the file (a looping state maps a
//    position past its range into it, like any unwrapped position).
//  - Step pauses and moves by whole frames from the frame shown (or where the state is):
//    round the loop range while looping (the whole file when none is set), and never past
//    the first or last frame otherwise.
//  - Rate is clamped to [1/16, 16]; a rate that is not a positive number is refused.
//  - Loop on/off and the loop range go through change_loop(); a range is clamped to the
//    file, and one whose in is not before its out is refused.
#pragma once

#include <cstdint>
#include <string>

#include "clock/transport.h"

namespace lockstep {

/// The frame grid of a file: its frame rate and length. Frame times are exact multiples of
/// the frame duration, rounded to the ns; a grid without a rate counts 25 frames a second.
struct FrameGrid {
  int fps_num = 0;
  int fps_den = 1;
  int64_t frame_count = 0;  // 0: not known (a session without files yet)

  /// Start time of frame `index`, ns from the media's start.
  int64_t frame_time_ns(int64_t index) const;
  /// The frame whose presentation interval covers media time `t_ns` (floor).
  int64_t frame_at_ns(int64_t t_ns) const;
  /// The file's duration (the end of its last frame), or `unknown_ns` without a length.
  int64_t duration_ns(int64_t unknown_ns) const {
    return frame_count > 0 ? frame_time_ns(frame_count) : unknown_ns;
  }
  /// The start of the last frame, or `unknown_ns` without a length.
  int64_t last_ns(int64_t unknown_ns) const {
    return frame_count > 0 ? frame_time_ns(frame_count - 1) : unknown_ns;
  }
};

/// The slowest and fastest rates a transport plays at.
inline constexpr double kMinTransportRate = 1.0 / 16;
inline constexpr double kMaxTransportRate = 16.0;

struct TransportCommand {
  enum class Kind { Play, Pause, Seek, Step, Rate, Loop, LoopRange };
  Kind kind = Kind::Play;
  int64_t position_ns = 0;   // Seek: where to; LoopRange: in (0 and 0: the whole file)
  int64_t loop_out_ns = 0;   // LoopRange: out
  int frames = 0;            // Step: how many, either way
  int64_t from_frame = -1;   // Step: the frame on screen (-1: the frame the state is at)
  double rate = 1.0;         // Rate
  bool loop = false;         // Loop
};

const char* to_string(TransportCommand::Kind kind);

struct CommandOutcome {
  bool changed = false;  // the state is another one (re-anchored at the command's time)
  bool jumped = false;   // the serial went up: decoding starts again at the new position
  std::string refused;   // why nothing changed, for a command that cannot be applied
};

/// Applies `c` to `s` at clock time `at_ns` for a file of `grid` (see the rules above).
/// `unknown_ns` stands for the length of a file that has none yet (the session server
/// without media: positions go as far as a node accepts). A pure function.
CommandOutcome apply_transport_command(TransportState& s, const TransportCommand& c, int64_t at_ns,
                                       const FrameGrid& grid, int64_t unknown_ns = int64_t(1) << 62);

}  // namespace lockstep
