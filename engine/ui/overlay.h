// The ImGui overlay drawn over the video: the Network panel (connect dialog), Peers and
// sync, Media with the path-mapping editor, and the transport bar (see docs/overlay.md). It
// reads a ui::UiSnapshot, gives PlayerCommands (transport) and ui::UiCommands (the rest);
// it never reaches into the player or the session, and build() never blocks (no I/O; host
// names are looked up in the background). Thread-safety: main thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "player/player.h"
#include "ui/ui_model.h"

struct ImDrawData;
struct GLFWwindow;

namespace lockstep {

class Window;

namespace ui {
struct PanelState;
}

class Overlay {
 public:
  /// Creates the ImGui context and its GLFW backend for `window` (before the renderer is
  /// created with overlay = true). The form starts empty (Client role): set it with form().
  /// `default_port` is the session port used when the form leaves the port empty.
  static Result<std::unique_ptr<Overlay>> create(Window& window, int default_port);
  ~Overlay();
  Overlay(const Overlay&) = delete;
  Overlay& operator=(const Overlay&) = delete;

  /// Builds this frame's panels from `snapshot` and returns ImGui's draw data (null when
  /// hidden). Transport controls act on `commands`; everything else is appended to `out`.
  ImDrawData* build(const ui::UiSnapshot& snapshot, PlayerCommands& commands,
                    std::vector<ui::UiCommand>& out);
  /// The transport bar only, from the player's snapshot (until the node fills a UiSnapshot).
  ImDrawData* build(const PlayerSnapshot& snapshot, PlayerCommands& commands);

  /// The Network panel's form as typed; edit it to preset the fields (e.g. from the config).
  ui::NetworkForm& form();
  /// The form's checks as of the end of the last build().
  const ui::FormChecks& checks() const;
  /// Every interactive item drawn in the last build(), by id (empty while hidden).
  const ui::WidgetMap& widgets() const { return widgets_; }

  bool wants_keyboard() const;
  void toggle() { visible_ = !visible_; }
  void set_visible(bool visible) { visible_ = visible; }
  bool visible() const { return visible_; }

 private:
  Overlay();
  void apply_content_scale();
  int default_port_ = 0;
  ImDrawData* build_frame(const ui::UiSnapshot& snapshot, PlayerCommands& commands,
                          std::vector<ui::UiCommand>& out, bool transport_only);

  GLFWwindow* window_ = nullptr;
  bool visible_ = true;
  float scale_ = 0.0f;  // the content scale the style and font were last sized for
  std::unique_ptr<ui::PanelState> panels_;
  std::unique_ptr<ui::HostResolver> resolver_;
  ui::WidgetMap widgets_;
};

/// The transport part of a UiSnapshot, from the player's snapshot (control allowed).
ui::TransportView transport_view(const PlayerSnapshot& snapshot);

}  // namespace lockstep
