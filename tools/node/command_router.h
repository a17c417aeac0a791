// Where transport commands go: the NodeCommands of keys, the overlay's transport bar and a
// `--commands` schedule (node_command.h) all reach one CommandRouter. While the node follows a
// session they go to the session's server (which applies them with the same rule as a
// local player, clock/transport_command.h, and every node follows the result); otherwise
// straight to the local player. Frame numbers become media times here, with the file's
// frame grid, so that every node of a session reads the same command the same way.
#pragma once

#include <functional>
#include <string>

#include "clock/transport_command.h"
#include "net/protocol/messages.h"
#include "player/player.h"

namespace lockstep {

class CommandRouter final : public PlayerCommands {
 public:
  struct Targets {
    /// The player that plays locally (null while none is open).
    std::function<Player*()> player;
    /// Sends a command to the session while the node follows one; false when it does not.
    std::function<bool(const net::Command&)> session;
  };
  explicit CommandRouter(Targets targets) : t_(std::move(targets)) {}

  void play() override;
  void pause() override;
  void toggle_pause() override;
  void seek_frame(int64_t index) override;
  void seek_relative(double seconds) override;
  void step(int frames) override;
  void set_rate(double rate) override;
  void set_loop(bool loop) override;
  void set_loop_range(int64_t in_frame, int64_t out_frame) override;

 private:
  Targets t_;
};

}  // namespace lockstep
