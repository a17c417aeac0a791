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

}  // namespace lockstep
