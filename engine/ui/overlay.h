// The ImGui layer over the video: the ImGui context, its GLFW input backend, the style sized
// for the window's content scale, and whether anything is shown. It draws nothing of its
// own: the node's panels (tools/node/overlay) are drawn between begin_frame() and
// end_frame(), and the renderer records the draw data (render/renderer.h).
// Thread-safety: main thread only.
#pragma once

#include <memory>

#include "core/result.h"

struct ImDrawData;
struct GLFWwindow;

namespace lockstep {

class Window;

class Overlay {
 public:
  /// Creates the ImGui context and its GLFW backend for `window` (before the renderer is
  /// created with overlay = true).
  static Result<std::unique_ptr<Overlay>> create(Window& window);
  ~Overlay();
  Overlay(const Overlay&) = delete;
  Overlay& operator=(const Overlay&) = delete;

  /// The frame's drawing area, window pixels, and the window's content scale (1 at 96 dpi).
  struct Frame {
    float width = 0;
    float height = 0;
    float scale = 1;
  };
  /// Starts an ImGui frame (input taken in, style sized for the content scale).
  Frame begin_frame();
  /// Ends it: ImGui's draw data, or null while the overlay is hidden.
  ImDrawData* end_frame();

  /// True while a text field has the keyboard (keys then do not reach the node).
  bool wants_keyboard() const;
  void toggle() { visible_ = !visible_; }
  void set_visible(bool visible) { visible_ = visible; }
  bool visible() const { return visible_; }

 private:
  Overlay() = default;
  void apply_content_scale();

  GLFWwindow* window_ = nullptr;
  bool visible_ = true;
  float scale_ = 0.0f;  // the content scale the style and font were last sized for
};

}  // namespace lockstep
