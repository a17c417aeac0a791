// The node's overlay: the Network panel (connect dialog), Peers and sync, Media with the
// path-mapping editor, and the transport bar (docs/overlay.md), drawn in the engine's ImGui
// layer (ui/overlay.h). It reads a ui::UiSnapshot and gives NodeCommands, one type for every
// control; it never reaches into the player or the session, and build() never blocks (no
// I/O; host names are looked up in the background). Thread-safety: main thread only.
#pragma once

#include <memory>
#include <vector>

#include "player/player.h"
#include "tools/node/node_command.h"
#include "tools/node/overlay/ui_model.h"
#include "ui/overlay.h"

struct ImDrawData;

namespace lockstep {

namespace ui {
struct PanelState;
}

class NodeOverlay {
 public:
  /// `default_port` is the session port used when the form leaves the port empty. The form
  /// starts empty (Client role): set it with form().
  explicit NodeOverlay(int default_port);
  ~NodeOverlay();
  NodeOverlay(const NodeOverlay&) = delete;
  NodeOverlay& operator=(const NodeOverlay&) = delete;

  /// Builds this frame's panels in `layer` from `snapshot` and returns ImGui's draw data
  /// (null when hidden). What the person asks for is appended to `out`. With
  /// `transport_only`, the transport bar alone (a node playing on its own).
  ImDrawData* build(Overlay& layer, const ui::UiSnapshot& snapshot, std::vector<NodeCommand>& out,
                    bool transport_only = false);

  /// The panels (Network, Peers and sync, Media, the full transport bar) or the slim bar
  /// (play/pause, timecode, state, a Panels button): a node starts slim; `o` toggles; the
  /// panels open by themselves when the node needs the person (a failed connect, a file
  /// missing here).
  bool panels_open() const { return panels_open_; }
  void set_panels_open(bool open) { panels_open_ = open; }
  void toggle_panels() { panels_open_ = !panels_open_; }

  /// The Network panel's form as typed; edit it to preset the fields (e.g. from the config).
  ui::NetworkForm& form();
  /// The form's checks as of the end of the last build().
  const ui::FormChecks& checks() const;
  /// Every interactive item drawn in the last build(), by id (empty while hidden).
  const ui::WidgetMap& widgets() const { return widgets_; }

 private:
  int default_port_ = 0;
  bool panels_open_ = false;
  std::string last_need_;  // what last opened the panels by itself (opens again only when it changes)
  std::unique_ptr<ui::PanelState> panels_;
  std::unique_ptr<ui::HostResolver> resolver_;
  ui::WidgetMap widgets_;
};

/// The transport part of a UiSnapshot, from the player's snapshot (control allowed).
ui::TransportView transport_view(const PlayerSnapshot& snapshot);

}  // namespace lockstep
