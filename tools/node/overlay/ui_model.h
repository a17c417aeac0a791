// What the overlay's panels show, without a window: the snapshot of engine and session state
// the panels read (UiSnapshot), the connect form and its validation as you type, the
// remembered settings (config file) and the `--ui-state` JSON that tests and support read.
//
// The panels never reach into the player or the session: the node fills a UiSnapshot each
// refresh and carries out the NodeCommands they give (tools/node/node_command.h).
// Everything here is unit-tested without a window.
//
// Thread-safety: HostResolver is thread-safe; the rest are plain values and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/path_mapping.h"

namespace lockstep {
/// "HH:MM:SS:FF" for frame `index` at `fps` (frames counted at the rounded rate).
std::string format_timecode(int64_t index, double fps);
}  // namespace lockstep

namespace lockstep::ui {

// ---- What the person typed -------------------------------------------------------------

/// The Type radio of the Network panel.
enum class NetRole { Server, Client, Dedicated };
const char* to_string(NetRole role);  // "server", "client", "dedicated"
/// The role named by to_string(role); nullopt for anything else.
std::optional<NetRole> net_role_from_string(const std::string& text);

/// The Network panel's fields, as typed (kept as text so that bad input can be shown).
struct NetworkForm {
  NetRole role = NetRole::Client;
  std::string host;      // client: what was pasted (name, IPv4, [IPv6]:port, udp://host:port)
  std::string port;      // empty: the default port; a port in `host` wins over this field
  std::string password;  // empty: no password
  std::string name;      // this node's name in the session; empty: the host name
  /// Fields the person has typed in or left ("host", "port"): a failed check is shown on
  /// those only (and on fields that hold text), never on an empty form nobody touched.
  /// Not remembered.
  std::set<std::string> touched;
  bool shows_check(const std::string& field, const std::string& text) const {
    return !text.empty() || touched.count(field) > 0;
  }
};

/// One field's check: ok, or a sentence that says what is wrong and what to do.
struct FieldCheck {
  bool ok = true;
  std::string message;
};

/// Port field: empty (the default), or a whole number 1–65535. Messages, e.g.
/// "'70000' is out of range: a port is a number from 1 to 65535",
/// "'7a' is not a number: a port is a number from 1 to 65535".
FieldCheck check_port(const std::string& text);

/// Resolves host names in the background so the panel never blocks on DNS. A name is
/// looked up once (getaddrinfo, IPv4 and IPv6) and its outcome kept; literals are answered
/// at once. Thread-safe; the destructor does not wait for a lookup stuck in DNS, and a newer name
/// replaces older ones still waiting.
class HostResolver {
 public:
  enum class State { Pending, Found, NotFound };
  struct Outcome {
    State state = State::Pending;
    std::string message;  // NotFound: "'x' was not found: check the name (or use the IP address)"
  };
  HostResolver();
  ~HostResolver();
  HostResolver(const HostResolver&) = delete;
  HostResolver& operator=(const HostResolver&) = delete;
  /// The outcome for `host` (a bare host name or IP literal, no port); starts a lookup the
  /// first time a name is asked for.
  Outcome lookup(const std::string& host);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared with the worker thread, which may outlive this
};

/// The checks of the whole form for the button (Create or Connect). A host still being
/// looked up is not an error: `host.ok` stays true, its message says "Looking up 'x'…",
/// `resolving` is true and the button waits. When the host carries a port, `port.ok` is
/// true whatever the Port field holds, and its message says which port is used.
struct FormChecks {
  FieldCheck host;  // client only: empty, unparsable, tcp://, not found, looking up
  FieldCheck port;  // the Port field (and a port given inside host)
  bool button_enabled = false;
  std::string endpoint_host;  // parsed, when the form is right
  int endpoint_port = 0;
  std::string endpoint_fingerprint;  // from an invite link pasted into Host
  bool resolving = false;  // a lookup is still running: the button waits
};
/// Checks `form` for its role. `resolver` may be null (no name resolution: a parsable
/// host is accepted). `default_port` fills an empty Port field.
FormChecks check_form(const NetworkForm& form, int default_port, HostResolver* resolver);

// ---- What the panels read --------------------------------------------------------------

/// The link of this node to a session, in plain words.
enum class LinkPhase { Idle, Listening, Connecting, Connected, Reconnecting, Failed };
const char* to_string(LinkPhase phase);  // "idle", "listening", …
/// A link is active (the form is read-only) in every phase but Idle and Failed.
bool link_active(LinkPhase phase);

struct LinkView {
  NetRole role = NetRole::Client;  // what this node is now (Server: it hosts)
  LinkPhase phase = LinkPhase::Idle;
  /// "Listening on udp/7450", "Connecting to host:7450 (attempt 2, next in 1.5 s)",
  /// "Connected to NAME (RTT 0.4 ms, clock offset -5000.012 ms)", "Reconnecting…", or the error.
  std::string status_line;
  /// The last error in words (wrong password, version mismatch, address in use, host not
  /// found, no answer, server closed the session); empty when none.
  std::string error;
  /// Connecting: why the last attempt failed while it tries again (no answer, refused).
  std::string problem;
  int port = 0;                        // Listening: the UDP port
  std::vector<std::string> addresses;  // Listening: "192.168.1.20:7450" per interface
  std::string reachability;            // Listening: e.g. "LAN only (private addresses): …"
  std::vector<std::string> invites;    // Listening: the invite link of each address (what Copy copies)
  std::string server_command;          // the `lockstep serve --port P` line for "Dedicated"
  /// The server key's fingerprint ("SHA256:…"): a server shows its own, a client the one it
  /// accepted. Compare them by phone or chat to be sure nobody is in between.
  std::string fingerprint;
};

/// One node of the session (the peers table).
struct PeerRow {
  uint32_t id = 0;
  std::string name;
  std::string address;
  std::string state;  // ready, playing, loading, missing media, behind, reconnecting, …
  double rtt_ms = 0.0;
  double clock_offset_ms = 0.0;
  double clock_uncertainty_ms = 0.0;  // how far off the clock probably is (0 on the server)
  double sync_error_ms = 0.0;
  double latency_offset_ms = 0.0;
  int64_t dropped = 0;
  int64_t repeated = 0;
  std::vector<std::string> media;  // per session file: "found", "missing", "mismatch"
  bool self = false;               // this node
};

/// One file of the session (the media list).
struct MediaRow {
  std::string name;
  std::string status;  // here: "found", "missing", "mismatch"
  std::string detail;  // e.g. the local path, or "size 1200 != 1300"
  bool current = false;
};

/// A node's sync error over the last minute, oldest first (one sample per peer update).
struct SyncSeries {
  uint32_t id = 0;
  std::string name;
  std::vector<float> error_ms;
};

struct TransportView {
  bool paused = true;
  int64_t frame_index = 0;
  int64_t frame_count = 0;
  double fps = 0.0;
  double rate = 1.0;
  bool loop = false;
  int64_t loop_in = 0;   // loop range [loop_in, loop_out), frames; the whole file when
  int64_t loop_out = 0;  // none is set (0, frame_count); 0/0 = unknown, also the whole file
  int64_t dropped = 0;
  int64_t repeated = 0;
  std::string decoder;
  std::string audio;
  std::string file;
  bool can_control = true;
  std::string control_reason;  // why not, for the disabled controls' tooltip
};

using lockstep::PathMapping;  // core/path_mapping.h: the session's own type

/// A session another host announces on this LAN (DNS-SD): a row with a Join button.
struct LanRow {
  std::string name;     // "lockstep on studio-a"
  std::string address;  // IPv4
  int port = 0;
  std::string media;    // the first file's name
  bool password = false;
  std::string fingerprint;
};

struct UiSnapshot {
  LinkView link;
  std::vector<LanRow> lan;  // sessions seen on this network (Client role lists them)
  std::string lan_problem;  // why none can be seen (no Avahi daemon), in short words
  std::vector<PeerRow> peers;
  std::vector<MediaRow> media;
  std::vector<SyncSeries> sync;
  double lead_ms = 0.0;  // how far ahead the session schedules commands
  TransportView transport;
  std::vector<PathMapping> mappings;
  bool is_server = false;  // this node hosts: kick and per-node latency offset are offered
};

/// The addresses clients can use for a server listening on `port`: this machine's
/// interfaces that are up (getifaddrs; IPv4 only, because the server (ENet 1.3) listens
/// on IPv4 only and clients connect over IPv4; public first, then private, loopback last),
/// each as "ADDRESS:PORT", and a sentence on reachability: only private/link-local addresses →
/// "Reachable on this LAN only: for the internet, forward UDP PORT on the router
/// (docs/hosting.md)"; a public address → "Reachable from the internet at ADDRESS if no firewall
/// blocks UDP PORT"; loopback only → "Reachable from this machine only".
struct ListenAddresses {
  std::vector<std::string> addresses;
  std::string reachability;
  /// Invite links ("lockstep://ADDRESS:PORT?fp=…"), one per address, in the same order: the
  /// internet's first when the router forwards the port (docs/hosting.md).
  std::vector<std::string> invites;
};
ListenAddresses listening_addresses(int port);

/// The command line that runs a dedicated server on `port` ("lockstep serve --port 7450",
/// plus " --password-file FILE" when a password is wanted).
std::string server_command(int port, bool with_password);

// ---- Remembered settings ---------------------------------------------------------------

/// Last-used settings, in $XDG_CONFIG_HOME/lockstep/config.json (~/.config/... when unset).
/// The password is not stored.
struct UiConfig {
  NetworkForm form;  // role, host, port, name (password left empty)
  std::vector<PathMapping> mappings;
  bool overlay_visible = true;
};
/// The config file's path for this user.
std::string config_path();
/// Loads `path`; a missing file gives the defaults; a malformed one gives the defaults and
/// a warning in `warning` that names the file and what is wrong.
UiConfig load_config(const std::string& path, std::string* warning);
/// Writes `path` atomically (temporary file + rename), creating the folder. Returns an
/// error sentence, or empty on success.
std::string save_config(const std::string& path, const UiConfig& config);

// ---- What the person sees, as JSON (--ui-state) ----------------------------------------

/// Where an interactive item was drawn (window pixels, from the top left), and whether it
/// takes input: lets tests click it with xdotool and support see what was offered.
struct WidgetRect {
  float x = 0, y = 0, w = 0, h = 0;
  bool enabled = true;
  bool visible = true;  // false when scrolled out of its panel (not clickable there)
  bool overflows = false;  // a panel ("panel.NAME") whose content does not fit: it scrolls
};
using WidgetMap = std::map<std::string, WidgetRect>;  // by a stable id, e.g. "net.connect"

/// The panels' state: the form as typed (password masked as its length only), each field's
/// check message, which buttons are enabled, the status line and error, the peers table, the
/// media list, the transport and whether its controls are enabled (and why not), and the
/// widgets drawn in the last frame. Keys are documented in docs/overlay.md.
nlohmann::json ui_state_json(const UiSnapshot& snapshot, const NetworkForm& form,
                             const FormChecks& checks, bool overlay_visible,
                             const WidgetMap& widgets, bool panels_open = false);

/// Writes `json` to `path` atomically (temporary file + rename). Empty string on success.
std::string write_json_file(const std::string& path, const nlohmann::json& json);

}  // namespace lockstep::ui
