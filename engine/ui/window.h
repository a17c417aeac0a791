// The node's window (GLFW, no client API: Vulkan draws into it) and its keys:
// space play/pause · left/right step · shift+left/right ±5 s · f fullscreen · o overlay ·
// q/Esc quit. Thread-safety: main thread only (GLFW's rule).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "render/renderer.h"

struct GLFWwindow;

namespace lockstep {

struct WindowParams {
  int width = 1280;
  int height = 720;
  std::string title = "lockstep";
  bool fullscreen = false;
};

class Window {
 public:
  /// Fails with a message when there is no display (DISPLAY unset or unreachable).
  static Result<std::unique_ptr<Window>> create(const WindowParams& params);
  ~Window();
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  /// How the renderer makes its surface for this window.
  SurfaceSource surface_source();
  GLFWwindow* handle() { return window_; }
  /// Processes pending events (key handlers run here). False once the window should close.
  bool poll();
  void request_close();
  void toggle_fullscreen();
  /// The refresh rate of the monitor the window is on (60 when unknown).
  double refresh_hz() const;

  /// Called for each key press/repeat with GLFW key and modifier codes.
  void set_key_handler(std::function<void(int key, int mods)> handler) { on_key_ = std::move(handler); }
  /// When set and returning true, key presses are left to the overlay (a text field has focus).
  void set_keyboard_captured(std::function<bool()> captured) { captured_ = std::move(captured); }

 private:
  Window() = default;
  static void key_callback(GLFWwindow* w, int key, int scancode, int action, int mods);

  GLFWwindow* window_ = nullptr;
  std::function<void(int, int)> on_key_;
  std::function<bool()> captured_;
  int windowed_x_ = 0, windowed_y_ = 0, windowed_w_ = 0, windowed_h_ = 0;
};

}  // namespace lockstep
