#include "tools/node/session_link.h"

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <thread>

#include "core/log.h"
#include "core/time.h"
#include "net/session/transport_wire.h"

namespace lockstep {

using namespace lockstep::net;

SessionDomain::Use::Use(const SessionDomain& d) : self(d) {
  self.readers_.fetch_add(1);
  domain = self.inner_.load();
}

SessionDomain::Use::~Use() { self.readers_.fetch_sub(1); }

int64_t SessionDomain::to_session(int64_t mono) const {
  Use use(*this);
  return use.domain ? use.domain->to_session(mono + offset_.load()) : mono;
}

int64_t SessionDomain::to_monotonic(int64_t session) const {
  Use use(*this);
  return use.domain ? use.domain->to_monotonic(session) - offset_.load() : session;
}

std::optional<int64_t> SessionDomain::error_ns(int64_t mono) const {
  Use use(*this);
  return use.domain ? use.domain->error_ns(mono) : std::nullopt;
}

void SessionDomain::attach(const ClockDomain* inner) {
  inner_.store(inner);
  while (readers_.load() != 0) std::this_thread::yield();
}

TransportState from_wire(const TransportWire& w, int serial_base) { return transport_state(w, serial_base); }

void sync_report(NodeStatus& st, int64_t shown, const FrameGrid& grid, const TransportState& due,
                 int64_t now_session) {
  if (now_session < due.anchor_ns || shown < 0) return;
  const int64_t dur = grid.duration_ns(0);
  const int64_t want = grid.frame_at_ns(due.file_position(due.position_at(now_session), dur));
  int64_t off = shown - want;
  if (due.loop && grid.frame_count > 0) {  // the short way round the loop range
    const LoopSpan span = due.loop_span(dur);
    const int64_t n = std::max<int64_t>(1, grid.frame_at_ns(span.out_ns) - grid.frame_at_ns(span.in_ns));
    off = ((off % n) + n) % n;
    if (off > n / 2) off -= n;
  }
  st.sync_error_ns = (std::llabs(off) <= 1) ? 0 : grid.frame_time_ns(off);
  if (std::llabs(off) > 1) st.state = NodeState::Behind;
}

SessionEvents mailbox_events(Mailbox& box) {
  SessionEvents events;
  events.on_welcome = [&box](const SessionSnapshot& snap, const std::vector<MediaMatch>& matches) {
    std::lock_guard lock(box.mutex);
    box.welcome = snap;
    box.matches = matches;
    box.state = snap.transport;
    box.changed.notify_all();
  };
  events.on_state = [&box](const TransportWire& t) {
    std::lock_guard lock(box.mutex);
    box.state = t;
    box.changed.notify_all();
  };
  events.on_media = [&box](const std::vector<MediaMatch>& matches) {
    std::lock_guard lock(box.mutex);
    box.media = matches;
    box.changed.notify_all();
  };
  return events;
}

bool wait_for_welcome(Link& link, int64_t deadline_ns, const std::function<bool()>& stop) {
  SessionClient& c = *link.client;
  std::string last_line;
  bool welcomed = false;
  {
    std::unique_lock lock(link.box.mutex);
    while (!link.box.welcome && c.phase() != ClientPhase::Failed && monotonic_ns() < deadline_ns && !stop()) {
      link.box.changed.wait_for(lock, std::chrono::milliseconds(200));
      const std::string line = c.status_line();
      if (line != last_line) LS_INFO("{}", last_line = line);
    }
    welcomed = link.box.welcome.has_value();
  }
  if (welcomed) return true;
  if (c.phase() == ClientPhase::Failed) return false;  // the client said why
  if (stop()) {
    LS_ERROR("stopped before joining {} (it was: {})", link.target, c.status_line());
  } else {
    // The time ran out while still trying: say what it was doing, and that it was the time.
    LS_ERROR("could not join {} in the time given (--duration, or the wait for a session): still at \"{}\"; "
             "check that the server runs and that this address and port reach it",
             link.target, c.status_line());
  }
  return false;
}

bool take_mail(Link& L) {
  bool changed = false;
  std::lock_guard lock(L.box.mutex);
  if (L.box.welcome) {
    L.snapshot = *L.box.welcome;
    L.matches = L.box.matches;
    L.box.welcome.reset();
    L.missing_reported = false;
    changed = true;
  }
  if (L.box.media) {
    L.matches = *L.box.media;
    L.box.media.reset();
    L.missing_reported = false;
    changed = true;
  }
  if (L.box.state) {
    L.state = *L.box.state;
    L.have_state = true;
    L.box.state.reset();
    changed = true;
  }
  return changed;
}

}  // namespace lockstep
