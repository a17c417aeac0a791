#include "tools/node_session.h"

#include "ui/ui_model.h"

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
#include "media/media_reader.h"
#include "tools/node_app.h"

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
  return SessionServer::start(sp);
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
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.at_s < b.at_s; });
  return out;
}

int run_host(const std::vector<std::string>& files, const SessionOptions& s, const NodeOptions& o) {
  NodeAppParams p;
  p.start = NodeAppParams::Start::Host;
  p.files = files;
  p.session = s;
  p.node = o;
  p.node.keep_open = true;  // a session's window stays at the end, as before --keep-open
  p.ui_state = o.ui_state;
  return run_node_app(p);
}

int run_join(const std::string& address, const SessionOptions& s, const NodeOptions& o) {
  NodeAppParams p;
  p.start = NodeAppParams::Start::Join;
  p.join_address = address;
  p.session = s;
  p.node = o;
  p.node.keep_open = true;
  p.ui_state = o.ui_state;
  return run_node_app(p);
}

int run_serve(const std::vector<std::string>& files, const SessionOptions& s, double duration_s) {
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
