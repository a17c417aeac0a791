// The session's wire types in the engine's terms: a TransportWire as the TransportState a
// player follows, a Command as the TransportCommand the one rule applies
// (clock/transport_command.h), a MediaEntry's frame grid. Used by the server (SessionCore),
// the node (tools/node) and the tests, so that the mapping is written once.
#pragma once

#include "clock/transport_command.h"
#include "net/protocol/messages.h"

namespace lockstep::net {

inline FrameGrid frame_grid(const MediaEntry& m) { return {m.fps_num, m.fps_den, m.frame_count}; }

/// The state on the wire as a TransportState; its serial is `serial_base` plus the wire's.
inline TransportState transport_state(const TransportWire& w, int serial_base = 0) {
  TransportState s;
  s.anchor_ns = w.anchor_session_ns;
  s.position_ns = w.position_ns;
  s.rate = w.rate;
  s.paused = w.paused;
  s.loop = w.loop;
  s.loop_in_ns = w.loop_in_ns;
  s.loop_out_ns = w.loop_out_ns;
  s.serial = serial_base + int(w.serial);
  return s;
}

/// A transport command from the wire (Load is not one: callers handle it first).
inline TransportCommand transport_command(const Command& c) {
  using Kind = TransportCommand::Kind;
  TransportCommand tc{.position_ns = c.position_ns, .loop_out_ns = c.loop_out_ns, .frames = c.frames,
                      .rate = c.rate, .loop = c.loop};
  switch (c.type) {
    case CommandType::Play: tc.kind = Kind::Play; break;
    case CommandType::Pause: tc.kind = Kind::Pause; break;
    case CommandType::Seek: tc.kind = Kind::Seek; break;
    case CommandType::Step: tc.kind = Kind::Step; break;
    case CommandType::Rate: tc.kind = Kind::Rate; break;
    case CommandType::Loop: tc.kind = Kind::Loop; break;
    case CommandType::LoopRange: tc.kind = Kind::LoopRange; break;
    case CommandType::Load: break;
  }
  return tc;
}

}  // namespace lockstep::net
