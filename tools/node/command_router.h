// Where a person's transport commands go: keys, the overlay's transport bar and a
// `--commands` schedule all give them to one CommandRouter. While the node follows a
// session they go to the session's server (which applies them with the same rule as a
// local player, clock/transport_command.h, and every node follows the result); otherwise
// straight to the local player. Frame numbers become media times here, with the file's
// frame grid, so that every node of a session reads the same command the same way.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "clock/transport_command.h"
#include "core/result.h"
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

/// One entry of a `--commands` schedule: "SECONDS VERB [ARG]".
struct ScheduledCommand {
  double at_s = 0.0;
  std::string verb;
  std::string arg;
};
/// Parses "SECONDS COMMAND [ARG]; ..." (seek takes a frame, step a count, rate a factor, loop
/// on|off, loop-range IN OUT two frames, load the index of a file in the session's media
/// list); errors name the bad entry. Sorted by time.
Result<std::vector<ScheduledCommand>> parse_command_schedule(const std::string& text);

/// Gives one scheduled transport command to `commands`; false when its verb or argument
/// is not one (`load` is a session command: the node gives it itself).
bool give(PlayerCommands& commands, const ScheduledCommand& c);

}  // namespace lockstep
