// The ImGui overlay drawn over the video: timecode, frame index, dropped/repeated counters,
// play/pause and a seek bar. It reads a PlayerSnapshot and gives PlayerCommands; it never
// reaches into the player. Thread-safety: main thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "player/player.h"

struct ImDrawData;

namespace lockstep {

class Window;

/// "HH:MM:SS:FF" for frame `index` at `fps` (frames counted at the rounded rate).
std::string format_timecode(int64_t index, double fps);

class Overlay {
 public:
  /// Creates the ImGui context and its GLFW backend for `window` (before the renderer is
  /// created with overlay = true).
  static Result<std::unique_ptr<Overlay>> create(Window& window);
  ~Overlay();
  Overlay(const Overlay&) = delete;
  Overlay& operator=(const Overlay&) = delete;

  /// Builds this frame's panels and returns ImGui's draw data (null when hidden).
  ImDrawData* build(const PlayerSnapshot& snapshot, PlayerCommands& commands);
  bool wants_keyboard() const;
  void toggle() { visible_ = !visible_; }
  bool visible() const { return visible_; }

 private:
  Overlay() = default;
  bool visible_ = true;
};

}  // namespace lockstep
