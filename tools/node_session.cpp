#include "tools/node_session.h"

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
#include "tools/node_runtime.h"

namespace lockstep {

namespace {

using namespace lockstep::net;

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

TransportState from_wire(const TransportWire& w) {
  TransportState s;
  s.anchor_ns = w.anchor_session_ns;
  s.position_ns = w.position_ns;
  s.rate = w.rate;
  s.paused = w.paused;
  s.loop = w.loop;
  s.serial = int(w.serial);
  return s;
}

/// A node's display latency: it shows each frame `offset` earlier than the session asks.
class LatencyOffsetDomain final : public ClockDomain {
 public:
  LatencyOffsetDomain(const ClockDomain& inner, int64_t offset_ns) : inner_(inner), offset_(offset_ns) {}
  int64_t to_session(int64_t mono) const override { return inner_.to_session(mono + offset_); }
  int64_t to_monotonic(int64_t session) const override { return inner_.to_monotonic(session) - offset_; }
  std::optional<int64_t> error_ns(int64_t mono) const override { return inner_.error_ns(mono); }

 private:
  const ClockDomain& inner_;
  int64_t offset_;
};

/// Keys and the overlay give commands to the session, not to the player: the server decides
/// when they take effect, and every node applies them then.
class SessionCommands final : public PlayerCommands {
 public:
  SessionCommands(SessionClient& client, Player& player) : client_(client), player_(player) {}
  void play() override { send(CommandType::Play); }
  void pause() override { send(CommandType::Pause); }
  void toggle_pause() override { send(player_.snapshot().paused ? CommandType::Play : CommandType::Pause); }
  void seek_frame(int64_t index) override {
    Command c{};
    c.type = CommandType::Seek;
    c.position_ns = player_.info().frame_time_ns(index);
    client_.send_command(c);
  }
  void seek_relative(double seconds) override {
    Command c{};
    c.type = CommandType::Seek;
    c.position_ns = std::max<int64_t>(0, player_.snapshot().position_ns + int64_t(seconds * 1e9));
    client_.send_command(c);
  }
  void step(int frames) override {
    Command c{};
    c.type = CommandType::Step;
    c.frames = frames;
    client_.send_command(c);
  }
  void set_rate(double rate) override {
    Command c{};
    c.type = CommandType::Rate;
    c.rate = rate;
    client_.send_command(c);
  }
  void set_loop(bool loop) override {
    Command c{};
    c.type = CommandType::Loop;
    c.loop = loop;
    client_.send_command(c);
  }

 private:
  void send(CommandType type) {
    Command c{};
    c.type = type;
    client_.send_command(c);
  }
  SessionClient& client_;
  Player& player_;
};

/// What the network thread hands the main thread.
struct Mailbox {
  std::mutex mutex;
  std::condition_variable changed;
  std::optional<SessionSnapshot> welcome;  // protected by mutex
  std::vector<MediaMatch> matches;
  std::optional<TransportWire> state;
};

std::atomic<bool> g_interrupted{false};

Result<std::optional<std::string>> password_from(const SessionOptions& s) {
  if (s.password_file.empty()) return std::optional<std::string>{};
  std::string warning;
  auto pw = read_password_file(s.password_file, &warning);
  if (!pw) return make_error(pw.error());
  if (!warning.empty()) LS_WARN("{}", warning);
  return std::optional<std::string>(*pw);
}

std::string default_name(const SessionOptions& s) {
  if (!s.name.empty()) return s.name;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(getpid());
}

bool give(PlayerCommands& commands, const ScheduledCommand& c);

int join_session(const Endpoint& server_ep, const SessionOptions& s, const NodeOptions& o,
                 SessionServer* local_server) {
  auto password = password_from(s);
  if (!password) {
    LS_ERROR("{}", password.error());
    return 2;
  }
  auto schedule = parse_command_schedule(s.commands);
  if (!schedule) {
    LS_ERROR("{}", schedule.error());
    return 2;
  }
  auto sim = simulated_clock_from_env(monotonic_ns());
  if (!sim) {
    LS_ERROR("{}", sim.error());
    return 2;
  }
  if (*sim) LS_WARN("test aid: this node's clock is simulated ({} set)", kSimClockEnv);
  SessionClientParams cp;
  cp.server = server_ep;
  cp.password = *password;
  cp.name = default_name(s);
  cp.probe = probe_media;
  cp.simulated_clock = *sim;
  for (const auto& m : s.maps) {
    auto mapping = parse_path_mapping(m);
    if (!mapping) {
      LS_ERROR("{}", mapping.error());
      return 2;
    }
    cp.rules.mappings.push_back(*mapping);
  }
  cp.rules.media_dirs = s.media_dirs;

  Mailbox box;
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
  auto client = SessionClient::start(cp, events);
  if (!client) {
    LS_ERROR("{}", client.error());
    return 1;
  }
  SessionClient& c = **client;
  const int64_t give_up = o.duration > 0 ? monotonic_ns() + int64_t(o.duration * 1e9) : INT64_MAX;
  std::string last_line;
  {
    std::unique_lock lock(box.mutex);
    while (!box.welcome && c.phase() != ClientPhase::Failed && monotonic_ns() < give_up) {
      box.changed.wait_for(lock, std::chrono::milliseconds(200));
      const std::string line = c.status_line();
      if (line != last_line) LS_INFO("{}", last_line = line);
    }
  }
  if (c.phase() == ClientPhase::Failed) return 1;
  if (!box.welcome) {
    LS_ERROR("could not join {}: {}", to_string(server_ep), c.status_line());
    return 1;
  }
  const SessionSnapshot snap = *box.welcome;
  const uint32_t index = box.state->media_index;
  if (index >= box.matches.size()) {
    LS_ERROR("the session has no media to play (a dedicated server waits for a host to load some)");
    return 4;
  }
  const MediaMatch match = box.matches[index];
  if (match.status != MatchStatus::Found) {
    LS_ERROR("{}", match.detail);
    NodeStatus st;
    st.state = NodeState::MissingMedia;
    c.set_status(st);
    // Stay in the session so that every node's table shows why this one does not play.
    while (monotonic_ns() < give_up && !g_interrupted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return 4;
  }

  auto hw = parse_hwdec(o.hwdec);
  PlayerParams pp;
  pp.path = match.local_path;
  pp.hwdec = hw ? *hw : HwDecode::Auto;
  pp.decoder_threads = o.threads;
  pp.audio_device = o.audio_device;
  pp.audio_latency_s = o.audio_latency_ms / 1000.0;
  auto player = Player::open(pp);
  if (!player) {
    LS_ERROR("{}", player.error());
    return 1;
  }
  Player& pl = **player;
  LatencyOffsetDomain domain(c.clock(), int64_t(s.latency_offset_ms * 1e6));
  pl.set_clock_domain(&domain);
  pl.set_audio_master(false);
  auto rt = make_runtime(o, pl.info());
  if (!rt) {
    LS_ERROR("{}", rt.error());
    return 1;
  }
  // Start once the session clock is known: before that, times would jump.
  const int64_t settle_deadline = monotonic_ns() + 5 * kNsPerSec;
  while (!c.clock_settled() && monotonic_ns() < settle_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  pl.start(/*paused=*/true);
  {
    std::lock_guard lock(box.mutex);
    pl.follow(from_wire(*box.state));
    box.state.reset();
  }
  // The host's own node may control even under --control host: register it before its
  // first command.
  if (local_server && c.local_port() > 0) local_server->set_host_client_port(c.local_port());
  c.set_ready(true);
  SessionCommands commands(c, pl);
  if (s.play) commands.play();

  NodeLoop loop;
  loop.start_playing = false;  // the session decides
  int64_t next_status = 0;
  const int64_t script_start = monotonic_ns();
  ClientPhase shown_phase = c.phase();
  size_t next_command = 0;
  loop.each_tick = [&] {
    while (next_command < schedule->size() &&
           monotonic_ns() - script_start >= int64_t((*schedule)[next_command].at_s * 1e9)) {
      const ScheduledCommand& sc = (*schedule)[next_command++];
      if (!give(commands, sc)) LS_WARN("--commands: cannot give '{} {}'", sc.verb, sc.arg);
      else LS_INFO("command: {} {}", sc.verb, sc.arg);
    }
    {
      std::lock_guard lock(box.mutex);
      if (box.state) {
        if (box.state->media_index != index)
          LS_WARN("the session switched media; this version plays one file per session");
        pl.follow(from_wire(*box.state));
        box.state.reset();
      }
    }
    if (c.phase() != shown_phase) {  // Reconnecting…, Connected again: say so
      shown_phase = c.phase();
      LS_INFO("{}", c.status_line());
    }
    const int64_t now = monotonic_ns();
    if (now >= next_status) {
      next_status = now + 250 * kNsPerMs;
      const PlayerSnapshot ps = pl.snapshot();
      NodeStatus st;
      st.state = c.phase() == ClientPhase::Connected ? (ps.paused ? NodeState::Ready : NodeState::Playing)
                                                    : NodeState::Reconnecting;
      st.frame_index = ps.frame_index;
      st.dropped = ps.dropped;
      st.repeated = ps.repeated;
      c.set_status(st);
      if (local_server && c.local_port() > 0) local_server->set_host_client_port(c.local_port());
    }
    return !g_interrupted.load() && c.phase() != ClientPhase::Failed;
  };
  const int code = run_node(pl, **rt, o, commands, loop);
  if (c.phase() == ClientPhase::Failed) return 1;
  return code;
}

/// Sends one scheduled command through the node's session commands.
bool give(PlayerCommands& commands, const ScheduledCommand& c) {
  try {
    if (c.verb == "play") commands.play();
    else if (c.verb == "pause") commands.pause();
    else if (c.verb == "seek") commands.seek_frame(std::stoll(c.arg));
    else if (c.verb == "step") commands.step(c.arg.empty() ? 1 : std::stoi(c.arg));
    else if (c.verb == "rate") commands.set_rate(std::stod(c.arg));
    else if (c.verb == "loop") commands.set_loop(c.arg != "off");
    else return false;
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

}  // namespace

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
    static const char* verbs[] = {"play", "pause", "seek", "step", "rate", "loop"};
    if (std::find(std::begin(verbs), std::end(verbs), c.verb) == std::end(verbs))
      return make_error("--commands: unknown command '" + c.verb + "' (play, pause, seek FRAME, step N, rate R, loop on|off)");
    if ((c.verb == "seek" || c.verb == "rate") && c.arg.empty())
      return make_error("--commands: '" + c.verb + "' needs a value");
    out.push_back(c);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.at_s < b.at_s; });
  return out;
}

namespace {

void stop_on_signals() {
  std::signal(SIGINT, [](int) { g_interrupted = true; });
  std::signal(SIGTERM, [](int) { g_interrupted = true; });
}

/// Starts the session server of `host` and `serve`: password, port, policy, media list.
/// Errors are logged; the exit code is returned through `code`.
std::unique_ptr<SessionServer> start_server(const std::vector<std::string>& files,
                                            const SessionOptions& s, int& code) {
  auto password = password_from(s);
  if (!password) {
    LS_ERROR("{}", password.error());
    code = 2;
    return nullptr;
  }
  SessionServerParams sp;
  sp.port = s.port > 0 ? s.port : kDefaultPort;
  sp.password = *password;
  sp.control = s.control == "host" ? ControlPolicy::HostOnly : ControlPolicy::Anyone;
  sp.loop = s.loop;
  for (const auto& f : files) {
    auto entry = describe_media(f, probe_media);
    if (!entry) {
      LS_ERROR("{}", entry.error());
      code = 1;
      return nullptr;
    }
    sp.media.push_back(*entry);
  }
  auto server = SessionServer::start(sp);
  if (!server) {
    LS_ERROR("{}", server.error());
    code = 1;
    return nullptr;
  }
  return std::move(server.value());
}

}  // namespace

int run_host(const std::vector<std::string>& files, const SessionOptions& s, const NodeOptions& o) {
  stop_on_signals();
  int code = 0;
  auto server = start_server(files, s, code);
  if (!server) return code;
  const int port = server->port();
  LS_INFO("hosting '{}' on udp/{}: others run `lockstep join THIS-HOST:{}`",
          std::filesystem::path(files.front()).filename().string(), port, port);
  return join_session(Endpoint{"127.0.0.1", port}, s, o, server.get());
}

int run_join(const std::string& address, const SessionOptions& s, const NodeOptions& o) {
  stop_on_signals();
  auto ep = parse_endpoint(address, kDefaultPort);
  if (!ep) {
    LS_ERROR("{}", ep.error());
    return 2;
  }
  return join_session(*ep, s, o, nullptr);
}

int run_serve(const std::vector<std::string>& files, const SessionOptions& s, double duration_s) {
  if (s.control == "host") {
    LS_ERROR("--control host needs a host node, and a dedicated server has none: use "
             "`lockstep host` on the machine that should control, or --control anyone");
    return 2;
  }
  stop_on_signals();
  int code = 0;
  auto server = start_server(files, s, code);
  if (!server) return code;
  const int64_t end = duration_s > 0 ? monotonic_ns() + int64_t(duration_s * 1e9) : INT64_MAX;
  std::string last;
  while (!g_interrupted && monotonic_ns() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const std::string line = server->status_line();
    if (line != last) LS_INFO("{}", last = line);
  }
  return 0;
}

}  // namespace lockstep
