// The parts every playback node runs, whatever drives it: the window (or none), the
// overlay, the renderer, and the paced render loop with its report.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "player/player.h"
#include "render/renderer.h"
#include "tools/node/node_command.h"
#include "tools/node/node_session.h"
#include "tools/node/overlay/node_overlay.h"
#include "ui/overlay.h"
#include "ui/window.h"

namespace lockstep {

struct NodeRuntime {
  std::unique_ptr<Window> window;
  std::unique_ptr<Overlay> overlay;      // the ImGui layer (none headless or --no-overlay)
  std::unique_ptr<NodeOverlay> panels;  // the node's panels in it
  std::vector<NodeCommand> pending;     // given by keys and the overlay, not yet carried out
  std::unique_ptr<Renderer> renderer;
  ~NodeRuntime();  // the renderer goes before the overlay's ImGui context
};

/// Opens the window (unless headless) and the renderer for `info`'s picture size.
Result<std::unique_ptr<NodeRuntime>> make_runtime(const NodeOptions& options, const MediaInfo& info);

struct NodeLoop {
  bool start_playing = true;                // local play: start after the warm-up
  std::function<bool()> each_tick;          // extra per-tick work; false quits
  /// True while the node is in a session: a window then holds at the end of the file.
  std::function<bool()> in_session;
  /// What the overlay shows while visible (default: the transport bar only, from the player).
  std::function<ui::UiSnapshot()> ui_snapshot;
  /// Carries out the transport and session commands of keys and the overlay (default:
  /// transport commands go to `commands`, session ones are not offered).
  std::function<void(const NodeCommand&)> handle;
};

/// Runs the render loop until quit / end / --duration, prints the report. Keys and the
/// overlay give NodeCommands: window ones act here, the rest go to `loop.handle` (or the
/// transport ones to `commands`, the player itself). Returns the exit code.
int run_node(Player& player, NodeRuntime& runtime, const NodeOptions& options,
             PlayerCommands& commands, const NodeLoop& loop);

}  // namespace lockstep
