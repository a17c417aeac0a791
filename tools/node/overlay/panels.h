// The overlay's panels, drawn with Dear ImGui from a ui::UiSnapshot: Network (the connect
// dialog), Peers and sync, Media (with the path-mapping editor) and the transport bar.
// Each panel reads the snapshot and gives NodeCommands (tools/node/node_command.h); none
// reaches into the player or the session, and none blocks (no I/O, no DNS: the form's host
// is looked up by ui::HostResolver in the background).
//
// Thread-safety: main thread only, between ImGui::NewFrame and ImGui::Render.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tools/node/node_command.h"
#include "tools/node/overlay/ui_model.h"

namespace lockstep::ui {

/// Where the panels go in a window of `width` × `height` (window pixels). Nothing is placed
/// over the top 15 % of the height: test clips carry a machine-read frame tag there.
struct PanelLayout {
  struct Rect {
    float x = 0, y = 0, w = 0, h = 0;
  };
  Rect peers;      // left
  Rect network;    // right, top
  Rect media;      // right, below Network
  Rect transport;  // bottom, full width
  Rect slim;       // the slim bar: bottom, full width, one line
};
/// `scale` is the window's content scale (1 on a 96-dpi screen).
PanelLayout layout_panels(float width, float height, float scale);

/// What the panels keep between frames: the form as typed, its last checks, text being
/// typed in the mapping editor and latency offsets being edited.
struct PanelState {
  NetworkForm form;
  FormChecks checks;
  std::string map_remote;
  std::string map_local;
  std::map<uint32_t, double> latency_edit;  // by node id, while its field is being edited
};

/// One frame's inputs and outputs, shared by the panels.
struct PanelFrame {
  const UiSnapshot& snapshot;
  std::vector<NodeCommand>& out;  // what the person asks for
  WidgetMap& widgets;  // every interactive item drawn this frame, by id
  float scale = 1.0f;
  int default_port = 0;  // the session port when the form leaves it empty
};

void draw_network_panel(PanelFrame& frame, PanelState& state, const PanelLayout::Rect& where);
void draw_peers_panel(PanelFrame& frame, PanelState& state, const PanelLayout::Rect& where);
void draw_media_panel(PanelFrame& frame, PanelState& state, const PanelLayout::Rect& where);
/// `panels_open`: when given, the bar starts with a button that closes the panels.
void draw_transport_bar(PanelFrame& frame, const PanelLayout::Rect& where, bool* panels_open = nullptr);
/// The slim bar a node starts with: Panels button, play/pause, timecode, state and link.
void draw_slim_bar(PanelFrame& frame, const PanelLayout::Rect& where, bool* panels_open);

/// Why the node needs the person, in a few words ("" when it does not): the link's error
/// (a failed connect, a wrong password) or a session file missing or different here.
std::string needs_attention(const UiSnapshot& snapshot);

/// Text for the overlay's font (ProggyClean covers Latin-1 only): "…" becomes "...",
/// dashes "-", "≠" "!=", "→" "->"; other characters outside Latin-1 become "?".
std::string displayable(const std::string& utf8);

}  // namespace lockstep::ui
