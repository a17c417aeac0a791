#include "tools/node/node_command.h"

#include <GLFW/glfw3.h>

#include <algorithm>
#include <charconv>
#include <sstream>

namespace lockstep {

using Kind = NodeCommand::Kind;

NodeCommand::Scope NodeCommand::scope() const {
  switch (kind) {
    case Kind::Play: case Kind::Pause: case Kind::TogglePause: case Kind::SeekFrame:
    case Kind::SeekRelative: case Kind::Step: case Kind::SetRate: case Kind::SetLoop:
    case Kind::SetLoopRange:
      return Scope::Transport;
    case Kind::TogglePanels: case Kind::ToggleOverlay: case Kind::ToggleFullscreen: case Kind::Quit:
      return Scope::Window;
    default:
      return Scope::Session;
  }
}

const char* to_string(Kind kind) {
  switch (kind) {
    case Kind::Play: return "play";
    case Kind::Pause: return "pause";
    case Kind::TogglePause: return "toggle_pause";
    case Kind::SeekFrame: return "seek_frame";
    case Kind::SeekRelative: return "seek_relative";
    case Kind::Step: return "step";
    case Kind::SetRate: return "set_rate";
    case Kind::SetLoop: return "set_loop";
    case Kind::SetLoopRange: return "set_loop_range";
    case Kind::CreateServer: return "create_server";
    case Kind::StopServer: return "stop_server";
    case Kind::Connect: return "connect";
    case Kind::Disconnect: return "disconnect";
    case Kind::Kick: return "kick";
    case Kind::SetLatencyOffset: return "set_latency_offset";
    case Kind::AddMapping: return "add_mapping";
    case Kind::RemoveMapping: return "remove_mapping";
    case Kind::Load: return "load";
    case Kind::TogglePanels: return "toggle_panels";
    case Kind::ToggleOverlay: return "toggle_overlay";
    case Kind::ToggleFullscreen: return "toggle_fullscreen";
    case Kind::Quit: return "quit";
  }
  return "?";
}

std::optional<NodeCommand> key_command(int key, int mods) {
  const bool shift = (mods & GLFW_MOD_SHIFT) != 0;
  NodeCommand c;
  switch (key) {
    case GLFW_KEY_SPACE: c.kind = Kind::TogglePause; break;
    case GLFW_KEY_RIGHT:
    case GLFW_KEY_LEFT: {
      const int sign = key == GLFW_KEY_RIGHT ? 1 : -1;
      if (shift) c.kind = Kind::SeekRelative, c.seconds = 5.0 * sign;
      else c.kind = Kind::Step, c.frames = sign;
      break;
    }
    case GLFW_KEY_F: c.kind = Kind::ToggleFullscreen; break;
    case GLFW_KEY_O: c.kind = Kind::TogglePanels; break;
    case GLFW_KEY_H: c.kind = Kind::ToggleOverlay; break;
    case GLFW_KEY_Q:
    case GLFW_KEY_ESCAPE: c.kind = Kind::Quit; break;
    default: return std::nullopt;
  }
  return c;
}

bool give(PlayerCommands& commands, const NodeCommand& c) {
  switch (c.kind) {
    case Kind::Play: commands.play(); return true;
    case Kind::Pause: commands.pause(); return true;
    case Kind::TogglePause: commands.toggle_pause(); return true;
    case Kind::SeekFrame: commands.seek_frame(c.frame); return true;
    case Kind::SeekRelative: commands.seek_relative(c.seconds); return true;
    case Kind::Step: commands.step(c.frames); return true;
    case Kind::SetRate: commands.set_rate(c.rate); return true;
    case Kind::SetLoop: commands.set_loop(c.on); return true;
    case Kind::SetLoopRange: commands.set_loop_range(c.frame, c.out_frame); return true;
    default: return false;
  }
}

namespace {

template <typename T>
bool parse_number(const std::string& text, T& value) {
  if constexpr (std::is_floating_point_v<T>) {
    try {
      size_t used = 0;
      value = T(std::stod(text, &used));
      return used == text.size();
    } catch (const std::exception&) {
      return false;
    }
  } else {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size();
  }
}

}  // namespace

Result<std::vector<ScheduledCommand>> parse_command_schedule(const std::string& text) {
  static const std::string kAccepted =
      " (play, pause, seek FRAME, step N, rate R, loop on|off, loop-range IN OUT, load INDEX)";
  std::vector<ScheduledCommand> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string::npos) end = text.size();
    const std::string written = text.substr(start, end - start);
    std::istringstream entry(written);
    start = end + 1;
    std::string at, verb, arg, arg2;
    if (!(entry >> at)) continue;
    ScheduledCommand sc;
    if (!at.empty() && at.back() == 's') at.pop_back();
    if (!parse_number(at, sc.at_s) || sc.at_s < 0)
      return make_error("--commands: '" + at + "' is not a time in seconds");
    entry >> verb >> arg >> arg2;
    sc.text = verb + (arg.empty() ? "" : " " + arg) + (arg2.empty() ? "" : " " + arg2);
    NodeCommand& c = sc.command;
    auto bad = [&](const std::string& what) {
      return make_error("--commands: '" + sc.text + "': " + what);
    };
    if (verb == "play") c.kind = Kind::Play;
    else if (verb == "pause") c.kind = Kind::Pause;
    else if (verb == "seek" || verb == "load" || verb == "rate") {
      if (arg.empty()) return make_error("--commands: '" + verb + "' needs a value");
      if (verb == "seek") {
        c.kind = Kind::SeekFrame;
        if (!parse_number(arg, c.frame)) return bad("seek takes a frame number");
      } else if (verb == "load") {
        c.kind = Kind::Load;
        if (!parse_number(arg, c.index) || c.index < 0) return bad("load takes the index of a file");
      } else {
        c.kind = Kind::SetRate;
        if (!parse_number(arg, c.rate) || !(c.rate > 0)) return bad("rate takes a factor above 0");
      }
    } else if (verb == "step") {
      c.kind = Kind::Step;
      c.frames = 1;
      if (!arg.empty() && !parse_number(arg, c.frames)) return bad("step takes a count of frames");
    } else if (verb == "loop") {
      c.kind = Kind::SetLoop;
      if (arg != "on" && arg != "off" && !arg.empty()) return bad("loop takes on or off");
      c.on = arg != "off";
    } else if (verb == "loop-range") {
      c.kind = Kind::SetLoopRange;
      if (arg.empty() || arg2.empty())
        return make_error("--commands: 'loop-range' needs two frames, IN and OUT (0 0: the whole file)");
      if (!parse_number(arg, c.frame) || !parse_number(arg2, c.out_frame))
        return bad("loop-range takes two frame numbers");
    } else {
      return make_error("--commands: unknown command '" + verb + "'" + kAccepted);
    }
    out.push_back(std::move(sc));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.at_s < b.at_s; });
  return out;
}

}  // namespace lockstep
