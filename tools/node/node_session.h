// `lockstep host`, `lockstep join` and `lockstep serve`: a playback node in a session, the
// server beside it, or the server alone. Glue between engine/ (player, renderer, window)
// and net/ (session server and client); nothing here is reused elsewhere.
#pragma once

#include <filesystem>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "net/protocol/messages.h"
#include "net/session/media_match.h"

namespace lockstep::net {
class SessionServer;
class PortMapper;
class LanAnnouncer;
}

namespace lockstep {

/// What every playback node takes (shared with `lockstep play`).
struct NodeOptions {
  bool headless = false;
  std::string size;
  std::string hwdec = "auto";
  std::string deinterlace = "auto";  // auto | yes | no
  std::string audio_device;
  double audio_latency_ms = 50;
  std::string present_log;
  bool verify_frames = false;
  double refresh_hz = -1.0;
  double duration = 0.0;
  bool validation = false;
  bool fullscreen = false;
  bool no_overlay = false;
  /// A window stays open on the last frame at the end of the file (play: --keep-open).
  bool keep_open = false;
  int threads = 0;
  /// play --untimed: no pacing, every frame as soon as it is ready; no sound.
  bool untimed = false;
  /// Stop after this many frames shown (0: no limit).
  int64_t frames = 0;
  /// Test and support aid: write what the overlay shows as JSON to this file.
  std::string ui_state;
  /// Append to the present log instead of starting it (a node that reopened its player).
  bool append_present_log = false;
};

struct SessionOptions {
  int port = 0;                       // 0: the default port
  std::string password_file;
  std::string name;
  std::string control = "anyone";     // anyone | host
  double latency_offset_ms = 0.0;     // this node's display/audio delay
  std::vector<std::string> maps;      // REMOTE=LOCAL
  std::vector<std::string> media_dirs;
  std::vector<std::string> stand_ins;  // NAME=FILE
  bool trust_server_paths = false;    // also open the server's own paths (a shared disk)
  std::string fingerprint;            // the server key's fingerprint the user expects
  bool share_media_details = false;   // tell the server where files were found, and why not
  bool play = false;                  // host: start playing once everyone is ready
  bool loop = false;
  /// Scheduled commands, "SECONDS COMMAND [ARG]; ..." e.g. "3 pause; 4 seek 150; 5 play"
  /// (seek takes a frame, step a count, rate a factor, loop on|off, loop-range IN OUT two
  /// frames [IN, OUT) (0 0: the whole file), load the index of a file
  /// in the session's media list). Seconds count from the
  /// moment this node starts playing its part. A scripting and test aid.
  std::string commands;
  /// host, serve, Create in the overlay: ask the router to forward the port (UPnP, NAT-PMP).
  bool no_port_mapping = false;
  int port_mapping_lease_s = 3600;
  /// host, serve, Create: announce the session on this LAN (DNS-SD through Avahi).
  bool no_announce = false;
};

// ---- Shared by the node (node_app.cpp) and the dedicated server ----

/// Where this user's lockstep settings live ($XDG_CONFIG_HOME/lockstep): the server key
/// (server-key) and the servers met before (known-servers).
std::filesystem::path config_dir();

/// What FFmpeg says about a file, for the session's media list.
Result<net::MediaEntry> probe_media(const std::string& path);
/// The password of --password-file (none when not given); a loose file mode is warned about.
Result<std::optional<std::string>> read_session_password(const SessionOptions& session);
/// Where this node looks for the session's files: --map, --stand-in, --media-dir and the
/// trust and sharing choices; errors name the bad option.
Result<net::MatchRules> match_rules(const SessionOptions& session);
/// --name, or this machine's host name and process id.
std::string default_node_name(const SessionOptions& session);
/// Ctrl-C and SIGTERM end the node's loop (interrupted() turns true).
void stop_on_signals();
bool interrupted();

struct ServerStart {
  int port = 0;  // 0: the default port
  std::optional<std::string> password;
  std::string control = "anyone";
  bool loop = false;
  int64_t start_position_ns = 0;
};
/// Describes `files` and starts a session server; errors name the file or the port.
Result<std::unique_ptr<net::SessionServer>> start_session_server(const std::vector<std::string>& files,
                                                                 const ServerStart& start);

/// Asks the router to forward `port` (unless --no-port-mapping, or LOCKSTEP_NO_REACH in tests):
/// what it finds is logged in plain words, with the invite link when the internet can reach
/// the session. Null when turned off.
std::unique_ptr<net::PortMapper> start_port_mapping(const SessionOptions& session, int port,
                                                   const std::string& fingerprint);

/// Announces the session on this LAN (DNS-SD through Avahi) unless --no-announce (or
/// LOCKSTEP_NO_REACH in tests); says once when no Avahi daemon runs. Null when turned off.
std::unique_ptr<net::LanAnnouncer> start_lan_announcement(const SessionOptions& session, int port,
                                                          const std::vector<std::string>& files, bool password,
                                                          const std::string& fingerprint,
                                                          const std::string& node_name = {});

/// `lockstep join --list`: the sessions announced on this LAN, one line each with its invite
/// link, after looking for `wait_s` seconds. 0 when the lookup ran (even with none found), 1
/// when no Avahi daemon answers (said in words).
int run_list_sessions(double wait_s);

/// `status_http`: "" for none, or where to serve the status page (--status-http ADDR:PORT).
int run_serve(const std::vector<std::string>& files, const SessionOptions& session, double duration_s,
              const std::string& status_http = {});

}  // namespace lockstep
