// One command type for everything a person or a script asks of a node: keys, the overlay's
// panels and `--commands` schedules all give NodeCommands, and the node carries each out in
// one place (NodeApp::handle). Transport commands go to the CommandRouter (the local player,
// or the session's server, which applies clock/transport_command.h like a local player and
// sends the result to every node); session commands act on the link; window commands on the
// window. docs/architecture.md, "Where a command goes".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "player/player.h"

namespace lockstep {

struct NodeCommand {
  enum class Kind {
    // Transport: the player, or the session's server while the node follows one.
    Play, Pause, TogglePause,
    SeekFrame,     // frame
    SeekRelative,  // seconds
    Step,          // frames
    SetRate,       // rate
    SetLoop,       // on
    SetLoopRange,  // frame (in), out_frame ([in, out); 0 0: the whole file)
    // The session link.
    CreateServer,      // port, password
    StopServer,
    Connect,           // host, port, password, name
    Disconnect,
    Kick,              // node_id
    SetLatencyOffset,  // node_id, value_ms
    AddMapping,        // remote, local
    RemoveMapping,     // index
    Load,              // index (the session's media list)
    // The window.
    TogglePanels, ToggleOverlay, ToggleFullscreen, Quit,
  };
  enum class Scope { Transport, Session, Window };

  Kind kind = Kind::Pause;
  int64_t frame = 0;
  int64_t out_frame = 0;
  double seconds = 0.0;
  int frames = 0;
  double rate = 1.0;
  bool on = false;
  std::string host;
  int port = 0;
  std::string password;
  std::string name;
  std::string fingerprint;  // Connect: the server key's, from an invite link
  uint32_t node_id = 0;
  double value_ms = 0.0;
  std::string remote;
  std::string local;
  int index = 0;

  Scope scope() const;
};

/// "play", "seek_frame", "set_latency_offset" …
const char* to_string(NodeCommand::Kind kind);

/// The command a key gives ("space" toggles pause, arrows step, shift+arrows jump 5 s, F full
/// screen, O the overlay, Q / Esc quit); none for other keys. GLFW key codes and modifiers.
std::optional<NodeCommand> key_command(int key, int mods);

/// Gives a transport command to `commands`; false (nothing given) for the other scopes.
bool give(PlayerCommands& commands, const NodeCommand& c);

/// One entry of a `--commands` schedule: "SECONDS VERB [ARG]".
struct ScheduledCommand {
  double at_s = 0.0;
  NodeCommand command;
  std::string text;  // the entry as written, for the log
};
/// Parses "SECONDS COMMAND [ARG]; ..." (seek takes a frame, step a count, rate a factor, loop
/// on|off, loop-range IN OUT two frames, load the index of a file in the session's media
/// list); errors name the bad entry and what is accepted. Sorted by time.
Result<std::vector<ScheduledCommand>> parse_command_schedule(const std::string& text);

}  // namespace lockstep
