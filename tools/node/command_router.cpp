#include "tools/node/command_router.h"

#include <algorithm>
#include <sstream>

namespace lockstep {

using net::Command;
using net::CommandType;

void CommandRouter::play() {
  if (t_.session(Command{.type = CommandType::Play})) return;
  if (Player* p = t_.player()) p->play();
}

void CommandRouter::pause() {
  if (t_.session(Command{.type = CommandType::Pause})) return;
  if (Player* p = t_.player()) p->pause();
}

void CommandRouter::toggle_pause() {
  Player* p = t_.player();
  if (!p) return;
  if (p->snapshot().paused) play();
  else pause();
}

void CommandRouter::seek_frame(int64_t index) {
  Player* p = t_.player();
  if (!p) return;
  if (t_.session(Command{.type = CommandType::Seek, .position_ns = p->info().frame_time_ns(index)})) return;
  p->seek_frame(index);
}

void CommandRouter::seek_relative(double seconds) {
  Player* p = t_.player();
  if (!p) return;
  const int64_t target = std::max<int64_t>(0, p->snapshot().position_ns + int64_t(seconds * 1e9));
  if (t_.session(Command{.type = CommandType::Seek, .position_ns = target})) return;
  p->seek_relative(seconds);
}

void CommandRouter::step(int frames) {
  if (t_.session(Command{.type = CommandType::Step, .frames = frames})) return;
  if (Player* p = t_.player()) p->step(frames);
}

void CommandRouter::set_rate(double rate) {
  if (t_.session(Command{.type = CommandType::Rate, .rate = rate})) return;
  if (Player* p = t_.player()) p->set_rate(rate);
}

void CommandRouter::set_loop(bool loop) {
  if (t_.session(Command{.type = CommandType::Loop, .loop = loop})) return;
  if (Player* p = t_.player()) p->set_loop(loop);
}

void CommandRouter::set_loop_range(int64_t in_frame, int64_t out_frame) {
  Player* p = t_.player();
  if (!p) return;
  const MediaInfo& mi = p->info();
  if (t_.session(Command{.type = CommandType::LoopRange,
                         .position_ns = mi.frame_time_ns(in_frame),
                         .loop_out_ns = mi.frame_time_ns(out_frame)}))
    return;
  p->set_loop_range(in_frame, out_frame);
}

Result<std::vector<ScheduledCommand>> parse_command_schedule(const std::string& text) {
  std::vector<ScheduledCommand> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string::npos) end = text.size();
    std::istringstream entry(text.substr(start, end - start));
    start = end + 1;
    std::string at;
    ScheduledCommand c;
    if (!(entry >> at)) continue;
    if (!at.empty() && at.back() == 's') at.pop_back();
    try {
      c.at_s = std::stod(at);
    } catch (const std::exception&) {
      return make_error("--commands: '" + at + "' is not a time in seconds");
    }
    entry >> c.verb >> c.arg;
    static const char* verbs[] = {"play", "pause", "seek", "step", "rate", "loop", "loop-range", "load"};
    if (std::find(std::begin(verbs), std::end(verbs), c.verb) == std::end(verbs))
      return make_error("--commands: unknown command '" + c.verb +
                        "' (play, pause, seek FRAME, step N, rate R, loop on|off, loop-range IN OUT, load INDEX)");
    if ((c.verb == "seek" || c.verb == "rate" || c.verb == "load") && c.arg.empty())
      return make_error("--commands: '" + c.verb + "' needs a value");
    if (c.verb == "loop-range") {  // two frames, kept together in arg as "IN OUT"
      std::string out_frame;
      if (c.arg.empty() || !(entry >> out_frame))
        return make_error("--commands: 'loop-range' needs two frames, IN and OUT (0 0: the whole file)");
      c.arg += " " + out_frame;
    }
    out.push_back(c);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.at_s < b.at_s; });
  return out;
}

bool give(PlayerCommands& commands, const ScheduledCommand& c) {
  try {
    if (c.verb == "play") commands.play();
    else if (c.verb == "pause") commands.pause();
    else if (c.verb == "seek") commands.seek_frame(std::stoll(c.arg));
    else if (c.verb == "step") commands.step(c.arg.empty() ? 1 : std::stoi(c.arg));
    else if (c.verb == "rate") commands.set_rate(std::stod(c.arg));
    else if (c.verb == "loop") commands.set_loop(c.arg != "off");
    else if (c.verb == "loop-range") {  // "IN OUT", frames
      const size_t gap = c.arg.find(' ');
      if (gap == std::string::npos) return false;
      commands.set_loop_range(std::stoll(c.arg.substr(0, gap)), std::stoll(c.arg.substr(gap + 1)));
    } else {
      return false;
    }
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

}  // namespace lockstep
