#include "tools/node/node_session.h"

#include "net/reach/lan_discovery.h"
#include "net/reach/reachability.h"

#include "tools/node/overlay/ui_model.h"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/log.h"
#include "core/time.h"
#include "net/clocksync/sim_clock.h"
#include "net/protocol/auth.h"
#include "net/protocol_version.h"
#include "net/session/media_match.h"
#include "net/session/session_client.h"
#include "net/session/session_server.h"
#include "net/protocol/messages.h"
#include "tools/node/status_http.h"
#include "tools/version/version.h"
#include "media/media_reader.h"

namespace lockstep {

namespace {

using namespace lockstep::net;

std::atomic<bool> g_interrupted{false};

}  // namespace

/// What FFmpeg says about a file, for the session's media list.
Result<MediaEntry> probe_media(const std::string& path) {
  MediaReaderParams p;
  p.path = path;
  p.hwdec = HwDecode::None;
  p.decode_audio = false;
  auto reader = MediaReader::open(p);
  if (!reader) return make_error(reader.error());
  const MediaInfo& mi = (*reader)->info();
  MediaEntry e;
  e.fps_num = mi.fps_num;
  e.fps_den = mi.fps_den;
  e.frame_count = mi.frame_count;
  e.duration_ns = mi.frame_time_ns(mi.frame_count);
  return e;
}

Result<net::MatchRules> match_rules(const SessionOptions& session) {
  net::MatchRules rules;
  for (const auto& text : session.maps) {
    auto mapping = net::parse_path_mapping(text);
    if (!mapping) return make_error(mapping.error());
    rules.mappings.push_back(*mapping);
  }
  for (const auto& text : session.stand_ins) {
    auto stand_in = net::parse_stand_in(text);
    if (!stand_in) return make_error(stand_in.error());
    rules.stand_ins.push_back(*stand_in);
  }
  rules.media_dirs = session.media_dirs;
  rules.trust_server_paths = session.trust_server_paths;
  rules.share_details = session.share_media_details;
  return rules;
}

Result<std::optional<std::string>> read_session_password(const SessionOptions& s) {
  if (s.password_file.empty()) return std::optional<std::string>{};
  std::string warning;
  auto pw = read_password_file(s.password_file, &warning);
  if (!pw) return make_error(pw.error());
  if (!warning.empty()) LS_WARN("{}", warning);
  return std::optional<std::string>(*pw);
}

std::string default_node_name(const SessionOptions& s) {
  if (!s.name.empty()) return s.name;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(getpid());
}

void stop_on_signals() {
  std::signal(SIGINT, [](int) { g_interrupted = true; });
  std::signal(SIGTERM, [](int) { g_interrupted = true; });
}

bool interrupted() { return g_interrupted.load(); }

std::filesystem::path config_dir() { return std::filesystem::path(ui::config_path()).parent_path(); }

Result<std::unique_ptr<SessionServer>> start_session_server(const std::vector<std::string>& files,
                                                            const ServerStart& start) {
  SessionServerParams sp;
  // One key per user, kept: nodes remember it, and a changed key makes them refuse.
  auto identity = ServerIdentity::load_or_create(config_dir() / "server-key");
  if (!identity) return make_error(identity.error());
  sp.identity = std::make_shared<const ServerIdentity>(std::move(identity).value());
  sp.port = start.port > 0 ? start.port : kDefaultPort;
  sp.password = start.password;
  sp.control = start.control == "host" ? ControlPolicy::HostOnly : ControlPolicy::Anyone;
  sp.loop = start.loop;
  sp.start_position_ns = start.start_position_ns;
  for (const auto& f : files) {
    auto entry = describe_media(f, probe_media);
    if (!entry) return make_error(entry.error());
    sp.media.push_back(*entry);
  }
  // Every node gets the media list in its Welcome, one packet: it must fit.
  Welcome welcome;
  welcome.snapshot.media = sp.media;
  if (auto bytes = encode(welcome); !bytes)
    return make_error(fmt::format("the session's {} files do not fit in the packet every node gets when it joins ({}): "
                                  "give fewer files, or shorter paths",
                                  sp.media.size(), bytes.error()));
  return SessionServer::start(sp);
}

std::unique_ptr<net::PortMapper> start_port_mapping(const SessionOptions& s, int port,
                                                   const std::string& fingerprint) {
  if (s.no_port_mapping) {
    LS_INFO("port mapping is off (--no-port-mapping): for the internet, forward udp/{} to this machine by hand "
            "(docs/hosting.md)", port);
    return nullptr;
  }
  if (net::reach_disabled_by_env()) {
    LS_DEBUG("port mapping is off: {} is set (tests keep the real network quiet)", net::kNoReachEnv);
    return nullptr;
  }
  if (const std::string here = net::public_ipv4_here(); !here.empty()) {
    LS_INFO("this machine has a public address: reachable from the internet at {}:{} if no firewall blocks udp/{} "
            "(no router to ask); invite: {}",
            here, port, port, invite_link(here, port, fingerprint));
    return nullptr;
  }
  net::PortMapOptions o;
  o.port = port;
  o.lease_s = s.port_mapping_lease_s;
  return net::PortMapper::start(o, [fingerprint](const net::Reachability& r) {
    using S = net::Reachability::State;
    if (r.state == S::Trying) return;
    if (r.reachable()) {
      LS_INFO("{}", r.words());
      LS_INFO("invite from the internet: {}", invite_link(r.external_ip, r.external_port, fingerprint));
    } else {
      LS_WARN("{}", r.words());
    }
  });
}

std::unique_ptr<net::LanAnnouncer> start_lan_announcement(const SessionOptions& s, int port,
                                                          const std::vector<std::string>& files, bool password,
                                                          const std::string& fingerprint, const std::string& node_name) {
  if (s.no_announce || net::reach_disabled_by_env()) return nullptr;
  net::LanAnnouncement a;
  a.name = node_name.empty() ? std::string() : "lockstep: " + node_name;
  a.port = port;
  // A session with a password does not tell the whole LAN what it plays.
  a.media = files.empty() || password ? std::string() : std::filesystem::path(files.front()).filename().string();
  a.password = password;
  a.fingerprint = fingerprint;
  auto announcer = net::LanAnnouncer::start(a);
  if (!announcer->problem().empty())
    LS_WARN("{}", announcer->problem());
  else
    LS_INFO("announcing the session on this network (DNS-SD {}): `lockstep join --list` and the overlay list it",
            net::kLanServiceType);
  return announcer;
}

int run_list_sessions(double wait_s) {
  auto browser = net::LanBrowser::start();
  if (!browser->problem().empty()) {
    LS_ERROR("{}", browser->problem());
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(int64_t(wait_s * 1000)));
  if (!browser->problem().empty()) {
    LS_ERROR("{}", browser->problem());
    return 1;
  }
  const auto sessions = browser->sessions();
  if (sessions.empty()) {
    std::printf("no lockstep sessions announced on this network (looked for %.1f s); hosts announce theirs unless "
                "started with --no-announce\n",
                wait_s);
    return 0;
  }
  std::printf("%zu session%s on this network:\n", sessions.size(), sessions.size() == 1 ? "" : "s");
  for (const auto& s : sessions)
    std::printf("  %s\n    %s\n    media: %s · password: %s · host: %s\n", s.name.c_str(), s.invite().c_str(),
                s.media.empty() ? "(none named)" : s.media.c_str(), s.password ? "yes" : "no", s.host.c_str());
  std::printf("join one with: lockstep join 'LINK'\n");
  return 0;
}

int run_serve(const std::vector<std::string>& files, const SessionOptions& s, double duration_s,
              const std::string& status_http) {
  if (s.control == "host") {
    LS_ERROR("--control host needs a host node, and a dedicated server has none: use "
             "`lockstep host` on the machine that should control, or --control anyone");
    return 2;
  }
  auto password = read_session_password(s);
  if (!password) {
    LS_ERROR("{}", password.error());
    return 2;
  }
  std::optional<Endpoint> status_at;
  if (!status_http.empty()) {
    auto where = parse_status_address(status_http);
    if (!where) {
      LS_ERROR("{}", where.error());
      return 2;
    }
    status_at = *where;
  }
  stop_on_signals();
  ServerStart start;
  start.port = s.port;
  start.password = *password;
  start.control = s.control;
  start.loop = s.loop;
  auto server = start_session_server(files, start);
  if (!server) {
    LS_ERROR("{}", server.error());
    return 1;
  }
  LS_INFO("nodes join with: lockstep join THIS-HOST:{} --fingerprint {}", (*server)->port(), (*server)->fingerprint());
  auto mapper = start_port_mapping(s, (*server)->port(), (*server)->fingerprint());
  auto announcer = start_lan_announcement(s, (*server)->port(), files, password->has_value(), (*server)->fingerprint());
  std::unique_ptr<StatusHttp> status_page;
  if (status_at) {
    const int64_t started = monotonic_ns();
    net::SessionServer* srv = server->get();
    auto page = StatusHttp::start(*status_at, [srv, started] {
      ServerFacts f;
      f.port = srv->port();
      f.fingerprint = srv->fingerprint();
      f.version = version_line("lockstep");
      f.uptime_s = double(monotonic_ns() - started) / 1e9;
      f.refused_packets = srv->refused_packets();
      return std::make_pair(srv->status(), f);
    });
    if (!page) {
      LS_ERROR("{}", page.error());
      return 2;
    }
    status_page = std::move(*page);
    const std::string shown = status_at->host.find(':') != std::string::npos ? "[" + status_at->host + "]" : status_at->host;
    LS_INFO("status page: http://{}:{}/ (also /status.json and /metrics; read-only)", shown, status_page->port());
    if (status_at->host != "127.0.0.1" && status_at->host != "localhost" && status_at->host != "::1")
      LS_WARN("the status page on {} shows node names and addresses to anyone who can reach it; it has no password "
              "(docs/packaging.md)", status_at->host);
  }
  const int64_t end = duration_s > 0 ? monotonic_ns() + int64_t(duration_s * 1e9) : INT64_MAX;
  std::string last;
  while (!g_interrupted && monotonic_ns() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const std::string line = (*server)->status_line();
    if (line != last) LS_INFO("{}", last = line);
  }
  return 0;
}

}  // namespace lockstep
