// One playback node, however it was started (`play`, `host`, `join`): the player, the window
// or headless target, and — when the command line or the overlay asks for one — its link to
// a session (a server beside it when it hosts, and a client). The overlay's Network panel can
// create a server, stop it, connect and disconnect at any time; the player then follows the
// session's clock and state, or its own again. A new file (Load, or a session whose media is
// another file) reopens the player in the same window.
#pragma once

#include <string>
#include <vector>

#include "tools/node/node_session.h"

namespace lockstep {

struct NodeAppParams {
  enum class Start { Local, Host, Join };
  Start start = Start::Local;
  NodeOptions node;
  SessionOptions session;
  std::vector<std::string> files;  // Local: the file to play; Host: the session's media
  std::string join_address;        // Join
  // Local play only:
  bool loop = false;
  int64_t loop_in = 0;   // loop range [loop_in, loop_out), frames; 0/0 = the whole file
  int64_t loop_out = 0;
  double rate = 1.0;
  int64_t start_frame = 0;
  bool paused = false;
  /// Test and support aid: write what the overlay shows as JSON to this file (docs/overlay.md).
  std::string ui_state;
};

/// Runs the node until quit; returns the process exit code (0 ok, 1 failure, 2 bad input,
/// 3 a stream error while playing, 4 the session's media is missing here).
int run_node_app(const NodeAppParams& params);

/// `lockstep host` and `lockstep join`: a node in a session (its window holds at the end).
int run_host(const std::vector<std::string>& files, const SessionOptions& session, const NodeOptions& node);
int run_join(const std::string& address, const SessionOptions& session, const NodeOptions& node);

}  // namespace lockstep
