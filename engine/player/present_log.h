// The present log (--present-log): one JSON object per presented refresh, written by the
// playback loop and read by lockstep-skew, lockstep-bench and the tests. The one definition
// of its line: a field added here is written and read everywhere.
//
//   {"t_ns":…, "sched_ns":…, "frame":…, "readback":…|null, "due":…, "paused":…,
//    "dropped":…, "repeated":…, "session_ns":…, "clock_err_ns":… (only while linked)}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lockstep {

struct PresentLine {
  int64_t t_ns = 0;      // true present time, CLOCK_MONOTONIC ns
  int64_t sched_ns = 0;  // the refresh tick it was drawn for
  int64_t frame = -1;    // the frame index drawn
  std::optional<int64_t> readback;  // the index read back from the pixels (--verify-frames)
  int64_t shown = 0;     // what the screen showed: readback when there is one, else frame
  std::optional<int64_t> due;  // the frame the transport asked for at that tick
  bool paused = false;
  int64_t dropped = 0;
  int64_t repeated = 0;
  std::optional<int64_t> session_ns;    // the tick in session (transport) time
  std::optional<int64_t> clock_err_ns;  // clock-estimate error, when the node knows it
};

/// The line as written to the log, with its newline.
std::string format_present_line(const PresentLine& line);

/// Parses one line (unknown fields are ignored); returns an empty string on success, else
/// what is wrong with it. It needs an integer "t_ns" and "frame" or "readback".
std::string parse_present_line(std::string_view text, PresentLine& out);

}  // namespace lockstep
