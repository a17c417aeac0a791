// A node's link to a session, as the main thread holds it: the server beside it when it
// hosts, its client, what the client's network thread hands over (the Mailbox), and the
// clock the player runs on while it follows the session (SessionDomain).
//
// Threads: the client's network thread only fills the Mailbox (SessionEvents made by
// mailbox_events()); the main thread takes the mail (take_mail) and owns everything else.
// The render and audio threads read the SessionDomain.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "clock/clock_domain.h"
#include "clock/transport.h"
#include "clock/transport_command.h"
#include "net/reach/lan_discovery.h"
#include "net/reach/reachability.h"
#include "net/session/session_client.h"
#include "net/session/session_server.h"
#include "tools/node/overlay/ui_model.h"

namespace lockstep {

/// The clock the player runs on: this machine's, or — while the node follows a session —
/// the session clock as estimated here, shifted by the node's display latency (it shows
/// each frame that much earlier). Switching happens on the main thread while the render
/// and audio threads read it: readers are counted, and attach() waits for them.
class SessionDomain final : public ClockDomain {
 public:
  int64_t to_session(int64_t mono) const override;
  int64_t to_monotonic(int64_t session) const override;
  std::optional<int64_t> error_ns(int64_t mono) const override;
  /// Follows `inner` (null: this machine's clock again); returns once no thread reads the old one.
  void attach(const ClockDomain* inner);
  bool attached() const { return inner_.load() != nullptr; }
  void set_offset_ns(int64_t ns) { offset_ = ns; }
  int64_t offset_ns() const { return offset_.load(); }

 private:
  struct Use {
    explicit Use(const SessionDomain& d);
    ~Use();
    const SessionDomain& self;
    const ClockDomain* domain = nullptr;
  };
  std::atomic<const ClockDomain*> inner_{nullptr};
  mutable std::atomic<int> readers_{0};
  std::atomic<int64_t> offset_{0};
};

/// The session's transport state as this node's player follows it: session serials live
/// above `serial_base`, so that they never equal a local one.
TransportState from_wire(const net::TransportWire& w, int serial_base);

/// Fills `status`'s sync error: how far the frame on screen (`shown`, -1: none yet) is from
/// the one the session's state `due` asks for at session time `now_session` (the short way
/// round a loop range). A frame either way is in sync (0); more is Behind.
void sync_report(net::NodeStatus& status, int64_t shown, const FrameGrid& grid, const TransportState& due,
                 int64_t now_session);

/// What the session client's network thread hands the main thread.
struct Mailbox {
  std::mutex mutex;
  std::condition_variable changed;
  std::optional<net::SessionSnapshot> welcome;  // protected by mutex
  std::vector<net::MediaMatch> matches;
  std::optional<net::TransportWire> state;
  std::optional<std::vector<net::MediaMatch>> media;  // resolved again (path mappings changed)
};

/// Events that leave what arrives in `box` (on_latency_offset is the caller's to set).
net::SessionEvents mailbox_events(Mailbox& box);

/// This node's link to a session: the server beside it when it hosts, and its client.
/// Members are destroyed in reverse order: the client (its thread) before the mailbox.
struct Link {
  Mailbox box;
  std::unique_ptr<net::SessionServer> server;
  std::unique_ptr<net::SessionClient> client;
  std::string target;  // "host:port"
  bool attached = false;
  std::optional<net::SessionSnapshot> snapshot;
  std::vector<net::MediaMatch> matches;
  net::TransportWire state;
  bool have_state = false;
  net::ClientPhase shown_phase = net::ClientPhase::Connecting;
  ui::ListenAddresses addresses;
  bool missing_reported = false;
  /// Hosting: the router's forwarding of the session's port (removed when the link ends).
  std::unique_ptr<net::PortMapper> mapper;
  /// Hosting: the session announced on this LAN (withdrawn when the link ends).
  std::unique_ptr<net::LanAnnouncer> announcer;
};

/// Waits until the session's Welcome is in the mailbox (logging the client's status lines as
/// they change), the client fails, `deadline_ns` passes or `stop()` is true. False when not
/// welcomed; the reason has been logged.
bool wait_for_welcome(Link& link, int64_t deadline_ns, const std::function<bool()>& stop);

/// Takes what the network thread left (a welcome, media, a new state); true when anything
/// changed.
bool take_mail(Link& link);

}  // namespace lockstep
