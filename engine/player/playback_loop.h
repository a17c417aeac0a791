// The render loop of a node: for each refresh tick it picks the frame due at that tick,
// draws it (with the overlay) and presents it at the tick, paces itself when the display
// does not (Xvfb, headless), and records what it presented (--present-log, --verify-frames).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/result.h"
#include "player/player.h"
#include "render/renderer.h"

struct ImDrawData;

namespace lockstep {

struct PlaybackLoopParams {
  /// Read the frame index back from every rendered image (framecode) and log it.
  bool verify_frames = false;
  /// One JSON line per presented refresh; "" for none.
  std::string present_log;
  /// Append to the present log (a node that reopened its player) instead of starting it.
  bool append_present_log = false;
  /// Refresh ticks per second; 0 = one tick at each frame's presentation time.
  double refresh_hz = 0.0;
  /// Stop after this many seconds (0 = no limit).
  double max_seconds = 0.0;
  /// Stop after this many distinct frames shown while playing (0 = no limit).
  int64_t max_frames = 0;
  /// No pacing: every frame in turn, presented as soon as it is decoded and drawn (as mpv
  /// --untimed): the speed of the whole pipeline. Stops at the end of a non-looping file.
  bool untimed = false;
  /// Stop when a non-looping file has played to its end. A file that ends early (a stream
  /// error) stops the loop even when this is false, unless hooks.hold_at_end says to hold.
  bool exit_at_end = true;
  /// Start playing after the warm-up draws (the player was started paused).
  bool start_playing = true;
  /// Headless: a rendered frame becomes visible at its tick, as a display scans out at
  /// vsync; the logged present time is the later of the tick and the end of rendering.
  bool visible_at_tick = false;
};

struct LoopHooks {
  /// Called once per tick before drawing: handle window events; false quits.
  std::function<bool()> poll;
  /// Builds the overlay for this tick (ImGui::Render()'s draw data), or null.
  std::function<ImDrawData*()> overlay;
  /// At the end of the file: true to stay on the last frame whatever the end was (a node in
  /// a session reports the problem and holds). Null: never holds.
  std::function<bool()> hold_at_end;
};

struct PlaybackReport {
  double seconds = 0.0;
  int64_t ticks = 0;              // refreshes presented while playing
  int64_t frames_shown = 0;       // distinct frames presented
  int64_t dropped = 0;
  int64_t repeated = 0;
  int64_t verified = 0;           // frames whose index was read back
  int64_t verify_mismatches = 0;  // read back a different index than intended
  int64_t verify_unreadable = 0;  // no index could be read
  double present_error_p50_ms = 0.0;  // |present - scheduled| while playing
  double present_error_p99_ms = 0.0;
  double present_error_max_ms = 0.0;
  std::string stream_error;
  bool untimed = false;           // the figures are throughput, not timing
};

/// Runs until quit, the time limit or the end. Errors: the present log cannot be written,
/// or the renderer fails.
Result<PlaybackReport> run_playback(Player& player, Renderer& renderer,
                                    const PlaybackLoopParams& params, const LoopHooks& hooks);

/// A short human-readable summary (the headless report).
std::string format_report(const PlaybackReport& report, const PlayerSnapshot& snapshot);

}  // namespace lockstep
