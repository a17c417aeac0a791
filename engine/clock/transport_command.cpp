#include "clock/transport_command.h"

#include <algorithm>
#include <cmath>

namespace lockstep {

namespace {
constexpr int64_t kNoRateFrameNs = 40'000'000;  // 25 fps
}

int64_t FrameGrid::frame_time_ns(int64_t index) const {
  if (fps_num <= 0 || fps_den <= 0) return index * kNoRateFrameNs;
  // index * den / num seconds, in ns, without overflow for any realistic index.
  return int64_t(std::llround(double(index) * double(fps_den) * 1e9 / double(fps_num)));
}

int64_t FrameGrid::frame_at_ns(int64_t t_ns) const {
  if (fps_num <= 0 || fps_den <= 0) return t_ns / kNoRateFrameNs;
  // A tiny epsilon so that a time exactly at a frame boundary picks that frame.
  return int64_t(std::floor(double(t_ns) * double(fps_num) / (double(fps_den) * 1e9) + 1e-6));
}

const char* to_string(TransportCommand::Kind kind) {
  switch (kind) {
    case TransportCommand::Kind::Play: return "play";
    case TransportCommand::Kind::Pause: return "pause";
    case TransportCommand::Kind::Seek: return "seek";
    case TransportCommand::Kind::Step: return "step";
    case TransportCommand::Kind::Rate: return "rate";
    case TransportCommand::Kind::Loop: return "loop";
    case TransportCommand::Kind::LoopRange: return "loop-range";
  }
  return "?";
}

CommandOutcome apply_transport_command(TransportState& s, const TransportCommand& c, int64_t at_ns,
                                       const FrameGrid& grid, int64_t unknown_ns) {
  using Kind = TransportCommand::Kind;
  const int64_t last = grid.last_ns(unknown_ns);
  const int64_t duration = grid.duration_ns(unknown_ns);
  // Where the state is at `at_ns`, held within the file (unwrapped while looping).
  const int64_t now_pos = std::clamp<int64_t>(s.position_at(at_ns), 0, s.loop ? unknown_ns : last);
  const int serial_before = s.serial;
  CommandOutcome out;
  auto reanchor = [&](int64_t position) {
    s.position_ns = position;
    s.anchor_ns = at_ns;
  };
  switch (c.kind) {
    case Kind::Play:
      if (!s.paused) return out;
      if (!s.loop && grid.frame_count > 0 && now_pos >= last) {  // played out: from the start
        reanchor(0);
        ++s.serial;
      } else {
        reanchor(now_pos);
      }
      s.paused = false;
      break;
    case Kind::Pause:
      if (s.paused) return out;
      reanchor(now_pos);
      s.paused = true;
      break;
    case Kind::Seek:
      reanchor(std::clamp<int64_t>(c.position_ns, 0, last));
      ++s.serial;
      break;
    case Kind::Step: {
      const int64_t from = c.from_frame >= 0 ? c.from_frame : grid.frame_at_ns(s.file_position(now_pos, duration));
      int64_t to = from + c.frames;
      if (grid.frame_count > 0) {
        if (s.loop) {
          // Round the loop range; from outside it (or without one), round the whole file.
          const LoopSpan span = s.loop_span(duration);
          int64_t in = grid.frame_at_ns(span.in_ns), end = grid.frame_at_ns(span.out_ns);
          if (!(from >= in && from < end) || end <= in) in = 0, end = grid.frame_count;
          to = in + ((to - in) % (end - in) + (end - in)) % (end - in);
        } else {
          to = std::clamp<int64_t>(to, 0, grid.frame_count - 1);
        }
      }
      reanchor(std::clamp<int64_t>(grid.frame_time_ns(std::max<int64_t>(to, 0)), 0, last));
      s.paused = true;
      ++s.serial;
      break;
    }
    case Kind::Rate:
      if (!std::isfinite(c.rate) || !(c.rate > 0.0)) {
        out.refused = "the rate must be a positive number";
        return out;
      }
      reanchor(now_pos);
      s.rate = std::clamp(c.rate, kMinTransportRate, kMaxTransportRate);
      break;
    case Kind::Loop:
    case Kind::LoopRange: {
      bool loop = s.loop;
      LoopSpan range{s.loop_in_ns, s.loop_out_ns};
      if (c.kind == Kind::Loop) {
        loop = c.loop;
      } else {
        range = {c.position_ns, c.loop_out_ns};
        if (range.in_ns != 0 || range.out_ns != 0) {
          range.in_ns = std::clamp<int64_t>(range.in_ns, 0, duration);
          range.out_ns = std::clamp<int64_t>(range.out_ns, 0, duration);
          if (range.in_ns >= range.out_ns) {
            out.refused = "the loop range's in must be before its out";
            return out;
          }
        }
      }
      if (loop == s.loop && range == LoopSpan{s.loop_in_ns, s.loop_out_ns}) return out;
      reanchor(now_pos);
      change_loop(s, loop, range, at_ns, duration);
      break;
    }
  }
  out.changed = true;
  out.jumped = s.serial != serial_before;
  return out;
}

}  // namespace lockstep
