#include "tools/node_app.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/time.h"
#include "net/clocksync/sim_clock.h"
#include "net/protocol_version.h"
#include "net/session/media_match.h"
#include "net/session/session_client.h"
#include "net/session/session_server.h"
#include "net/session/wire_checks.h"
#include "tools/node_runtime.h"
#include "ui/ui_model.h"

namespace lockstep {

namespace {

using namespace lockstep::net;

/// The clock the player runs on: this machine's, or — while the node follows a session —
/// the session clock as estimated here, shifted by the node's display latency (it shows
/// each frame that much earlier). Switching happens on the main thread while the render
/// and audio threads read it: readers are counted, and detach() waits for them.
class SessionDomain final : public ClockDomain {
 public:
  int64_t to_session(int64_t mono) const override {
    Use use(*this);
    const ClockDomain* d = use.domain;
    return d ? d->to_session(mono + offset_.load()) : mono;
  }
  int64_t to_monotonic(int64_t session) const override {
    Use use(*this);
    const ClockDomain* d = use.domain;
    return d ? d->to_monotonic(session) - offset_.load() : session;
  }
  std::optional<int64_t> error_ns(int64_t mono) const override {
    Use use(*this);
    return use.domain ? use.domain->error_ns(mono) : std::nullopt;
  }
  void attach(const ClockDomain* inner) {
    inner_.store(inner);
    while (readers_.load() != 0) std::this_thread::yield();
  }
  bool attached() const { return inner_.load() != nullptr; }
  void set_offset_ns(int64_t ns) { offset_ = ns; }
  int64_t offset_ns() const { return offset_.load(); }

 private:
  struct Use {
    explicit Use(const SessionDomain& d) : self(d) {
      self.readers_.fetch_add(1);
      domain = self.inner_.load();
    }
    ~Use() { self.readers_.fetch_sub(1); }
    const SessionDomain& self;
    const ClockDomain* domain = nullptr;
  };
  std::atomic<const ClockDomain*> inner_{nullptr};
  mutable std::atomic<int> readers_{0};
  std::atomic<int64_t> offset_{0};
};

TransportState from_wire(const TransportWire& w, int serial_base) {
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

/// What the session client's network thread hands the main thread.
struct Mailbox {
  std::mutex mutex;
  std::condition_variable changed;
  std::optional<SessionSnapshot> welcome;  // protected by mutex
  std::vector<MediaMatch> matches;
  std::optional<TransportWire> state;
  std::optional<std::vector<MediaMatch>> media;  // resolved again (path mappings changed)
};

/// This node's link to a session: the server beside it when it hosts, and its client.
/// Members are destroyed in reverse order: the client (its thread) before the mailbox.
struct Link {
  Mailbox box;
  std::unique_ptr<SessionServer> server;
  std::unique_ptr<SessionClient> client;
  std::string target;  // "host:port"
  bool attached = false;
  std::optional<SessionSnapshot> snapshot;
  std::vector<MediaMatch> matches;
  TransportWire state;
  bool have_state = false;
  ClientPhase shown_phase = ClientPhase::Connecting;
  ui::ListenAddresses addresses;
  bool missing_reported = false;
};

const char* state_words(NodeState s) {
  switch (s) {
    case NodeState::Connecting: return "connecting";
    case NodeState::Loading: return "loading";
    case NodeState::Ready: return "ready";
    case NodeState::Playing: return "playing";
    case NodeState::Buffering: return "buffering";
    case NodeState::Behind: return "behind";
    case NodeState::MissingMedia: return "missing media";
    case NodeState::Reconnecting: return "reconnecting";
  }
  return "?";
}

const char* match_words(MatchStatus s) {
  switch (s) {
    case MatchStatus::Found: return "found";
    case MatchStatus::Missing: return "missing";
    case MatchStatus::Mismatch: return "mismatch";
  }
  return "?";
}

class NodeApp;

/// Keys and the overlay give their commands here: to the session while the node follows
/// one (the server decides when they take effect, and every node applies them then), to the
/// player otherwise.
class RoutedCommands final : public PlayerCommands {
 public:
  explicit RoutedCommands(NodeApp& app) : app_(app) {}
  void play() override;
  void pause() override;
  void toggle_pause() override;
  void seek_frame(int64_t index) override;
  void seek_relative(double seconds) override;
  void step(int frames) override;
  void set_rate(double rate) override;
  void set_loop(bool loop) override;
  void set_loop_range(int64_t in_frame, int64_t out_frame) override;

 private:
  NodeApp& app_;
};

class NodeApp {
 public:
  explicit NodeApp(const NodeAppParams& p) : p_(p), commands_(*this) {}
  /// The player's threads read the session clock: they stop before the link goes.
  ~NodeApp() {
    runtime_.reset();
    player_.reset();
    domain_.attach(nullptr);
    link_.reset();
  }
  int run();

  // For RoutedCommands:
  Player& player() { return *player_; }
  SessionClient* session() { return link_ && link_->attached ? link_->client.get() : nullptr; }
  bool may_control(std::string* why) const;

 private:
  Result<void> open_player(const std::string& path, bool local_start);
  bool tick();
  void run_schedule();
  void handle_ui(const ui::UiCommand& c);
  void service_link();
  void attach_or_switch();
  void attach();
  void detach(const std::string& error);
  void send_status();
  void sample_sync();
  ui::UiSnapshot ui_snapshot() const;
  void write_ui_state();
  Status create_server(int port, const std::optional<std::string>& password);
  Status connect(const Endpoint& ep, const std::optional<std::string>& password, const std::string& name,
                 SessionServer* local_server);
  /// The match rules of this node's link: the host's own node opens the server's paths.
  MatchRules link_rules() const {
    MatchRules r = rules_;
    if (link_ && link_->server) r.trust_server_paths = true;
    return r;
  }

  NodeAppParams p_;
  RoutedCommands commands_;
  SessionDomain domain_;
  std::unique_ptr<Player> player_;
  std::unique_ptr<NodeRuntime> runtime_;
  std::unique_ptr<Link> link_;
  std::string link_error_;                 // the last link's error, shown until the next one
  ui::NetRole link_role_ = ui::NetRole::Client;
  MatchRules rules_;
  std::vector<PathMapping> cli_mappings_;  // --map: applied, not remembered
  std::atomic<int64_t> latency_offset_ns_{0};  // --latency-offset, or as the host set it
  std::optional<std::string> cli_password_;
  std::string name_;
  std::vector<ScheduledCommand> schedule_;
  size_t next_command_ = 0;
  int64_t script_start_ = 0;
  int64_t next_status_ = 0;
  int64_t next_sample_ = 0;
  int64_t next_ui_state_ = 0;
  int serial_base_ = 0;                    // session serials live above local ones
  int attach_count_ = 0;
  std::string switch_to_;                  // a file to open in place of the current one
  bool quit_on_failure_ = false;
  bool stop_ = false;
  std::vector<ui::UiCommand> ui_out_;
  std::map<uint32_t, std::vector<float>> sync_history_;
  std::map<uint32_t, std::string> sync_names_;
  ui::UiConfig config_;
  std::string config_file_;
};

// ---- commands -----------------------------------------------------------------------------

void RoutedCommands::play() {
  if (auto* s = app_.session()) s->send_command(Command{.type = CommandType::Play});
  else app_.player().play();
}
void RoutedCommands::pause() {
  if (auto* s = app_.session()) s->send_command(Command{.type = CommandType::Pause});
  else app_.player().pause();
}
void RoutedCommands::toggle_pause() {
  if (app_.player().snapshot().paused) play();
  else pause();
}
void RoutedCommands::seek_frame(int64_t index) {
  if (auto* s = app_.session())
    s->send_command(Command{.type = CommandType::Seek, .position_ns = app_.player().info().frame_time_ns(index)});
  else app_.player().seek_frame(index);
}
void RoutedCommands::seek_relative(double seconds) {
  if (auto* s = app_.session())
    s->send_command(Command{.type = CommandType::Seek,
                            .position_ns = std::max<int64_t>(0, app_.player().snapshot().position_ns +
                                                                    int64_t(seconds * 1e9))});
  else app_.player().seek_relative(seconds);
}
void RoutedCommands::step(int frames) {
  if (auto* s = app_.session()) s->send_command(Command{.type = CommandType::Step, .frames = frames});
  else app_.player().step(frames);
}
void RoutedCommands::set_rate(double rate) {
  if (auto* s = app_.session()) s->send_command(Command{.type = CommandType::Rate, .rate = rate});
  else app_.player().set_rate(rate);
}
void RoutedCommands::set_loop(bool loop) {
  if (auto* s = app_.session()) s->send_command(Command{.type = CommandType::Loop, .loop = loop});
  else app_.player().set_loop(loop);
}
void RoutedCommands::set_loop_range(int64_t in_frame, int64_t out_frame) {
  const MediaInfo& mi = app_.player().info();
  if (auto* s = app_.session())
    s->send_command(Command{.type = CommandType::LoopRange,
                            .position_ns = mi.frame_time_ns(in_frame),
                            .loop_out_ns = mi.frame_time_ns(out_frame)});
  else app_.player().set_loop_range(in_frame, out_frame);
}

/// Sends one scheduled command (--commands) through the node's commands.
bool give(PlayerCommands& commands, const ScheduledCommand& c) {
  try {
    if (c.verb == "play") commands.play();
    else if (c.verb == "pause") commands.pause();
    else if (c.verb == "seek") commands.seek_frame(std::stoll(c.arg));
    else if (c.verb == "step") commands.step(c.arg.empty() ? 1 : std::stoi(c.arg));
    else if (c.verb == "rate") commands.set_rate(std::stod(c.arg));
    else if (c.verb == "loop") commands.set_loop(c.arg != "off");
    else if (c.verb == "loop-range") {  // "IN OUT", frames
      const size_t gap = c.arg.find(' ');
      if (gap == std::string::npos) return false;
      commands.set_loop_range(std::stoll(c.arg.substr(0, gap)), std::stoll(c.arg.substr(gap + 1)));
    }
    else return false;
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

// ---- start-up -----------------------------------------------------------------------------

bool NodeApp::may_control(std::string* why) const {
  if (!link_ || !link_->attached || !link_->snapshot) return true;
  if (link_->snapshot->control_policy == ControlPolicy::Anyone || link_->server) return true;
  if (why) *why = "Only the host controls playback in this session (it was started with --control host)";
  return false;
}

Result<void> NodeApp::open_player(const std::string& path, bool local_start) {
  auto hw = parse_hwdec(p_.node.hwdec);
  if (!hw) return make_error(hw.error());
  PlayerParams pp;
  pp.path = path;
  pp.hwdec = *hw;
  auto deinterlace = parse_deinterlace(p_.node.deinterlace);
  if (!deinterlace) return make_error(deinterlace.error());
  pp.deinterlace = *deinterlace;
  pp.decoder_threads = p_.node.threads;
  pp.audio_device = p_.node.audio_device;
  pp.audio_latency_s = p_.node.audio_latency_ms / 1000.0;
  if (local_start) {
    pp.loop = p_.loop;
    pp.loop_in = p_.loop_in;
    pp.loop_out = p_.loop_out;
    pp.rate = p_.rate;
    pp.start_frame = p_.start_frame;
  }
  auto player = Player::open(pp);
  if (!player) return make_error(player.error());
  player_.reset();  // the old one's threads and audio stream go first
  player_ = std::move(player.value());
  const MediaInfo& mi = player_->info();
  LS_INFO("'{}': {}x{} {} {:.3f} fps, {} frames{}{}", mi.path, mi.width, mi.height, mi.video_codec, mi.fps(),
          mi.frame_count, mi.has_audio ? ", " + mi.audio_codec + " audio" : "",
          mi.display_width != mi.width || mi.display_height != mi.height || !mi.transform.identity()
              ? fmt::format(", shown at {}x{}", mi.display_width, mi.display_height)
              : "");
  player_->set_clock_domain(&domain_);
  player_->set_audio_master(!domain_.attached() && p_.start == NodeAppParams::Start::Local);
  if (!runtime_) {
    auto rt = make_runtime(p_.node, mi);
    if (!rt) return make_error(rt.error());
    runtime_ = std::move(rt.value());
    if (runtime_->overlay && !config_file_.empty()) {
      runtime_->overlay->form() = config_.form;
      if (!config_.overlay_visible) runtime_->overlay->set_visible(false);
    }
  }
  if (link_ && link_->have_state && domain_.attached())
    player_->start_following(from_wire(link_->state, serial_base_));
  else
    player_->start(/*paused=*/true);
  return {};
}

Status NodeApp::create_server(int port, const std::optional<std::string>& password) {
  ServerStart ss;
  ss.port = port;
  ss.password = password;
  ss.control = p_.session.control;
  ss.loop = p_.session.loop;
  std::vector<std::string> files = p_.files;
  if (player_) {
    const PlayerSnapshot snap = player_->snapshot();
    // Hosting what it plays: this file first, from where it is.
    files.erase(std::remove(files.begin(), files.end(), snap.path), files.end());
    files.insert(files.begin(), snap.path);
    ss.start_position_ns = snap.position_ns;
  }
  auto server = start_session_server(files, ss);
  if (!server) return make_error(server.error());
  SessionServer* raw = server->get();
  const int bound = raw->port();
  if (auto s = connect(Endpoint{"127.0.0.1", bound}, password, name_, raw); !s) return s;
  link_->server = std::move(server.value());
  link_->addresses = ui::listening_addresses(bound);
  link_role_ = ui::NetRole::Server;
  LS_INFO("hosting on udp/{}: others run `lockstep join THIS-HOST:{} --fingerprint {}`", bound, bound,
          raw->fingerprint());
  return {};
}

Status NodeApp::connect(const Endpoint& ep, const std::optional<std::string>& password,
                        const std::string& name, SessionServer* local_server) {
  auto sim = simulated_clock_from_env(monotonic_ns());
  if (!sim) return make_error(sim.error());
  if (*sim) LS_WARN("test aid: this node's clock is simulated ({} set)", kSimClockEnv);
  auto link = std::make_unique<Link>();
  SessionClientParams cp;
  cp.server = ep;
  cp.password = password;
  cp.name = name;
  cp.probe = probe_media;
  cp.simulated_clock = *sim;
  cp.rules = rules_;
  // The host's own node plays the server's files where the server found them, and knows
  // its key; others check theirs against --fingerprint or what they remember.
  if (local_server) {
    cp.rules.trust_server_paths = true;
    cp.fingerprint = local_server->fingerprint();
  } else if (!p_.session.fingerprint.empty()) {
    cp.fingerprint = p_.session.fingerprint;
  }
  cp.known_servers_file = (config_dir() / "known-servers").string();
  Mailbox& box = link->box;
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
  events.on_latency_offset = [this](int64_t ns) {
    latency_offset_ns_ = ns;
    domain_.set_offset_ns(ns);  // used only while attached
    LS_INFO("session: the host set this node's latency offset to {:.1f} ms", double(ns) / 1e6);
  };
  auto client = SessionClient::start(cp, events);
  if (!client) return make_error(client.error());
  link->client = std::move(client.value());
  link->target = to_string(ep);
  link_ = std::move(link);
  link_error_.clear();
  link_role_ = local_server ? ui::NetRole::Server : ui::NetRole::Client;
  (void)local_server;
  return {};
}

// ---- the session, each tick ---------------------------------------------------------------

/// Takes what the network thread left: a welcome (media and state), a new state.
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

void NodeApp::service_link() {
  Link& L = *link_;
  SessionClient& c = *L.client;
  if (L.server && c.local_port() > 0) L.server->set_host_client_port(c.local_port());
  if (c.phase() != L.shown_phase) {  // Reconnecting…, Connected again: say so
    L.shown_phase = c.phase();
    LS_INFO("{}", c.status_line());
  }
  if (c.phase() == ClientPhase::Failed) {
    const std::string why = c.final_error().empty() ? c.status_line() : c.final_error();
    detach(why);
    if (quit_on_failure_) stop_ = true;
    return;
  }
  const bool changed = take_mail(L);
  if (!L.snapshot || !L.have_state) return;
  if (!L.attached) {
    if (!c.clock_settled()) return;  // before that, times would jump
    attach_or_switch();
    return;
  }
  if (changed) attach_or_switch();
}

/// Follows the session's state with the file it names: the same player when that is the
/// file on screen, another one (reopened in this window) when not.
void NodeApp::attach_or_switch() {
  Link& L = *link_;
  const uint32_t index = L.state.media_index;
  if (index >= L.matches.size()) {
    if (!L.missing_reported) LS_WARN("the session has no media to play (a dedicated server waits for a host to load some)");
    L.missing_reported = true;
    return;
  }
  const MediaMatch& match = L.matches[index];
  if (match.status != MatchStatus::Found) {
    if (!L.missing_reported) LS_ERROR("{}", match.detail);
    L.missing_reported = true;
    NodeStatus st;
    st.state = NodeState::MissingMedia;
    L.client->set_status(st);
    return;
  }
  if (!L.attached) attach();
  if (!player_ || std::filesystem::path(player_->info().path) != std::filesystem::path(match.local_path)) {
    switch_to_ = match.local_path;  // the loop ends; run() reopens the player in this window
    return;
  }
  player_->set_audio_master(false);
  player_->follow(from_wire(L.state, serial_base_));
  L.client->set_ready(true);
}

void NodeApp::attach() {
  Link& L = *link_;
  attach_count_ = attach_count_ % 63 + 1;  // bases 1..63 << 24 stay within int
  serial_base_ = attach_count_ << 24;
  domain_.set_offset_ns(latency_offset_ns_.load());
  domain_.attach(&L.client->clock());
  L.attached = true;
  LS_INFO("following the session at {}", L.target);
}

void NodeApp::detach(const std::string& error) {
  if (!link_) return;
  if (link_->attached && player_) {
    const PlayerSnapshot snap = player_->snapshot();
    domain_.attach(nullptr);
    TransportState local;
    local.anchor_ns = monotonic_ns();
    local.position_ns = snap.position_ns;
    local.rate = snap.rate;
    local.loop = snap.loop;
    if (link_->have_state) {  // keep the session's loop range
      local.loop_in_ns = link_->state.loop_in_ns;
      local.loop_out_ns = link_->state.loop_out_ns;
    }
    local.paused = true;
    local.serial = serial_base_ + (1 << 23);
    player_->follow(local);
    player_->set_audio_master(p_.start == NodeAppParams::Start::Local);
  }
  domain_.attach(nullptr);
  link_error_ = error;
  if (!error.empty()) LS_ERROR("session: {}", error);
  link_.reset();
  sync_history_.clear();
}

void NodeApp::send_status() {
  Link& L = *link_;
  if (!L.attached || !player_) return;
  const PlayerSnapshot ps = player_->snapshot();
  NodeStatus st;
  st.state = L.client->phase() == ClientPhase::Connected ? (ps.paused ? NodeState::Ready : NodeState::Playing)
                                                          : NodeState::Reconnecting;
  st.frame_index = ps.frame_index;
  st.dropped = ps.dropped;
  st.repeated = ps.repeated;
  st.latency_offset_ns = latency_offset_ns_.load();
  const uint32_t index = L.state.media_index;
  if (index < L.matches.size() && L.matches[index].status != MatchStatus::Found) {
    st.state = NodeState::MissingMedia;  // the session moved to a file this node lacks
    L.client->set_status(st);
    return;
  }
  // Frames between what is on screen and what the session asks for now, as time.
  const MediaInfo& mi = player_->info();
  const int64_t now_session = domain_.to_session(monotonic_ns());
  const TransportState due = from_wire(L.state, 0);
  if (now_session >= due.anchor_ns && ps.frame_index >= 0) {
    const int64_t dur = mi.frame_time_ns(mi.frame_count);
    const int64_t want = mi.frame_at_ns(due.file_position(due.position_at(now_session), dur));
    const int64_t shown = ps.frame_index;
    int64_t off = shown - want;
    if (due.loop && mi.frame_count > 0) {  // the short way round the loop range
      const LoopSpan span = due.loop_span(dur);
      const int64_t n = std::max<int64_t>(1, mi.frame_at_ns(span.out_ns) - mi.frame_at_ns(span.in_ns));
      off = ((off % n) + n) % n;
      if (off > n / 2) off -= n;
    }
    st.sync_error_ns = (std::llabs(off) <= 1) ? 0 : mi.frame_time_ns(off);
    if (std::llabs(off) > 1) st.state = NodeState::Behind;
  }
  L.client->set_status(st);
}

void NodeApp::sample_sync() {
  if (!link_) return;
  const auto peers = link_->server ? link_->server->peers() : link_->client->peers();
  // Only the nodes in the table: those that left (or a flood of made-up ids) are forgotten.
  std::erase_if(sync_history_, [&](const auto& kv) {
    return std::none_of(peers.begin(), peers.end(), [&](const auto& p) { return p.node_id == kv.first; });
  });
  std::erase_if(sync_names_, [&](const auto& kv) { return !sync_history_.count(kv.first); });
  for (const auto& peer : peers) {
    auto& h = sync_history_[peer.node_id];
    h.push_back(float(double(peer.status.sync_error_ns) / 1e6));
    if (h.size() > 120) h.erase(h.begin());  // a minute at two samples a second
    sync_names_[peer.node_id] = peer.name;
  }
}

// ---- the overlay --------------------------------------------------------------------------

ui::UiSnapshot NodeApp::ui_snapshot() const {
  ui::UiSnapshot u;
  if (player_) {
    const PlayerSnapshot ps = player_->snapshot();
    ui::TransportView& t = u.transport;
    t.paused = ps.paused;
    t.frame_index = std::max<int64_t>(0, ps.frame_index);
    t.frame_count = ps.frame_count;
    t.fps = ps.fps;
    t.rate = ps.rate;
    t.loop = ps.loop;
    t.loop_in = ps.loop_in;
    t.loop_out = ps.loop_out;
    t.dropped = ps.dropped;
    t.repeated = ps.repeated;
    t.decoder = ps.decoder;
    t.audio = ps.audio;
    t.file = ps.path;
    t.can_control = may_control(&t.control_reason);
  }
  for (const auto& m : rules_.mappings) u.mappings.push_back({m.remote, m.local});
  ui::LinkView& lv = u.link;
  lv.role = link_role_;
  lv.error = link_error_;
  lv.server_command = "lockstep serve --port " + std::to_string(kDefaultPort) + " [--password-file FILE] [MEDIA...]";
  if (!link_) {
    lv.phase = link_error_.empty() ? ui::LinkPhase::Idle : ui::LinkPhase::Failed;
    lv.status_line = link_error_.empty() ? "Not in a session: playing on its own" : link_error_;
    return u;
  }
  const Link& L = *link_;
  const SessionClient& c = *L.client;
  u.is_server = L.server != nullptr;
  lv.fingerprint = L.server ? L.server->fingerprint() : c.server_fingerprint();
  if (L.server) {
    lv.phase = ui::LinkPhase::Listening;
    lv.status_line = L.server->status_line();
    lv.port = L.server->port();
    lv.addresses = L.addresses.addresses;
    lv.reachability = L.addresses.reachability;
  } else {
    switch (c.phase()) {
      case ClientPhase::Connecting:
      case ClientPhase::Authenticating: lv.phase = ui::LinkPhase::Connecting; break;
      case ClientPhase::Connected: lv.phase = ui::LinkPhase::Connected; break;
      case ClientPhase::Reconnecting: lv.phase = ui::LinkPhase::Reconnecting; break;
      case ClientPhase::Failed: lv.phase = ui::LinkPhase::Failed; break;
    }
    lv.status_line = c.status_line();
  }
  if (L.snapshot) {
    u.lead_ms = double(L.snapshot->lead_ns) / 1e6;
    for (size_t i = 0; i < L.snapshot->media.size(); ++i) {
      ui::MediaRow row;
      row.name = L.snapshot->media[i].name;
      row.current = L.have_state && L.state.media_index == i;
      if (i < L.matches.size()) {
        row.status = match_words(L.matches[i].status);
        row.detail = L.matches[i].status == MatchStatus::Found ? L.matches[i].local_path : L.matches[i].detail;
      }
      u.media.push_back(row);
    }
  }
  const auto peers = L.server ? L.server->peers() : c.peers();
  for (const auto& peer : peers) {
    ui::PeerRow r;
    r.id = peer.node_id;
    r.name = peer.name;
    r.address = peer.address;
    r.state = state_words(peer.status.state);
    r.rtt_ms = double(peer.status.rtt_ns) / 1e6;
    r.clock_offset_ms = double(peer.status.clock_offset_ns) / 1e6;
    r.sync_error_ms = double(peer.status.sync_error_ns) / 1e6;
    r.dropped = peer.status.dropped;
    r.repeated = peer.status.repeated;
    for (const auto& m : peer.media) r.media.push_back(match_words(m.status));
    r.self = peer.node_id == c.node_id();
    r.latency_offset_ms = double(peer.status.latency_offset_ns) / 1e6;
    u.peers.push_back(r);
  }
  for (const auto& [id, h] : sync_history_) {
    const auto name = sync_names_.find(id);
    u.sync.push_back({id, name == sync_names_.end() ? "" : name->second, h});
  }
  return u;
}

void NodeApp::write_ui_state() {
  if (p_.ui_state.empty()) return;
  const int64_t now = monotonic_ns();
  if (now < next_ui_state_) return;
  next_ui_state_ = now + 100 * kNsPerMs;
  ui::NetworkForm form;
  ui::FormChecks checks;
  ui::WidgetMap widgets;
  bool visible = false;
  if (runtime_ && runtime_->overlay) {
    form = runtime_->overlay->form();
    checks = runtime_->overlay->checks();
    widgets = runtime_->overlay->widgets();
    visible = runtime_->overlay->visible();
  }
  const auto json = ui::ui_state_json(ui_snapshot(), form, checks, visible, widgets);
  if (auto err = ui::write_json_file(p_.ui_state, json); !err.empty()) {
    LS_WARN("--ui-state: {}", err);
    next_ui_state_ = now + 5 * kNsPerSec;
  }
}

void NodeApp::handle_ui(const ui::UiCommand& c) {
  LS_INFO("overlay: {}", ui::to_string(c.kind));
  // Once a person drives the link from the overlay, a failed link no longer ends the node.
  if (c.kind == ui::UiCommand::Kind::CreateServer || c.kind == ui::UiCommand::Kind::Connect ||
      c.kind == ui::UiCommand::Kind::StopServer || c.kind == ui::UiCommand::Kind::Disconnect)
    quit_on_failure_ = false;
  auto remember = [this] {
    if (!runtime_ || !runtime_->overlay || config_file_.empty()) return;
    config_.form = runtime_->overlay->form();
    config_.form.password.clear();
    config_.mappings.clear();
    for (const auto& m : rules_.mappings) {  // those given with --map are not remembered
      const bool from_cli = std::any_of(cli_mappings_.begin(), cli_mappings_.end(), [&](const PathMapping& c) {
        return c.remote == m.remote && c.local == m.local;
      });
      if (!from_cli) config_.mappings.push_back({m.remote, m.local});
    }
    config_.overlay_visible = runtime_->overlay->visible();
    if (auto err = ui::save_config(config_file_, config_); !err.empty()) LS_WARN("{}", err);
  };
  const auto password = c.password.empty() ? std::optional<std::string>{} : std::optional<std::string>(c.password);
  switch (c.kind) {
    case ui::UiCommand::Kind::CreateServer:
      detach("");
      if (auto s = create_server(c.port > 0 ? c.port : kDefaultPort, password); !s) {
        link_.reset();
        link_error_ = s.error();
        LS_ERROR("{}", link_error_);
      }
      remember();
      break;
    case ui::UiCommand::Kind::Connect: {
      detach("");
      if (!c.name.empty()) name_ = c.name;
      if (auto s = connect(Endpoint{c.host, c.port}, password, name_, nullptr); !s) {
        link_error_ = s.error();
        LS_ERROR("{}", link_error_);
      }
      remember();
      break;
    }
    case ui::UiCommand::Kind::StopServer:
    case ui::UiCommand::Kind::Disconnect: detach(""); break;
    case ui::UiCommand::Kind::Kick:
      if (link_ && link_->server) link_->client->kick(c.node_id);
      break;
    case ui::UiCommand::Kind::SetLatencyOffset:
      if (!link_) break;
      {
        // A display or projector delay: a second either way is far beyond any real one.
        const int64_t ns = int64_t(std::clamp(c.value_ms, -1000.0, 1000.0) * 1e6);
        if (c.node_id == link_->client->node_id()) {
          latency_offset_ns_ = ns;
          domain_.set_offset_ns(ns);
        } else if (link_->server) {
          link_->client->set_latency_offset(c.node_id, ns);
        }
      }
      break;
    case ui::UiCommand::Kind::AddMapping:
      if (!c.remote.empty() && !c.local.empty()) rules_.mappings.push_back({c.remote, c.local});
      if (link_) link_->client->set_match_rules(link_rules());  // applies at once
      remember();
      break;
    case ui::UiCommand::Kind::RemoveMapping:
      if (c.index >= 0 && size_t(c.index) < rules_.mappings.size())
        rules_.mappings.erase(rules_.mappings.begin() + c.index);
      if (link_) link_->client->set_match_rules(link_rules());
      remember();
      break;
    case ui::UiCommand::Kind::Load:
      if (auto* s = session()) s->send_command(Command{.type = CommandType::Load, .media_index = uint32_t(c.index)});
      break;
  }
}

void NodeApp::run_schedule() {
  while (next_command_ < schedule_.size() &&
         monotonic_ns() - script_start_ >= int64_t(schedule_[next_command_].at_s * 1e9)) {
    const ScheduledCommand& sc = schedule_[next_command_++];
    if (sc.verb == "load") {  // a session command, not a player one
      ui::UiCommand load;
      load.kind = ui::UiCommand::Kind::Load;
      load.index = std::atoi(sc.arg.c_str());
      if (!session()) LS_WARN("--commands: 'load' needs a session");
      else LS_INFO("command: load {}", sc.arg);
      handle_ui(load);
      continue;
    }
    if (!give(commands_, sc)) LS_WARN("--commands: cannot give '{} {}'", sc.verb, sc.arg);
    else LS_INFO("command: {} {}", sc.verb, sc.arg);
  }
}

bool NodeApp::tick() {
  run_schedule();
  std::vector<ui::UiCommand> pending;
  pending.swap(ui_out_);
  for (const auto& c : pending) handle_ui(c);
  if (link_) service_link();
  const int64_t now = monotonic_ns();
  if (link_ && now >= next_status_) {
    next_status_ = now + 250 * kNsPerMs;
    send_status();
  }
  if (now >= next_sample_) {
    next_sample_ = now + 500 * kNsPerMs;
    sample_sync();
  }
  write_ui_state();
  return !interrupted() && !stop_ && switch_to_.empty();
}

int NodeApp::run() {
  auto password = read_session_password(p_.session);
  if (!password) {
    LS_ERROR("{}", password.error());
    return 2;
  }
  cli_password_ = *password;
  auto schedule = parse_command_schedule(p_.session.commands);
  if (!schedule) {
    LS_ERROR("{}", schedule.error());
    return 2;
  }
  schedule_ = *schedule;
  for (const auto& m : p_.session.maps) {
    auto mapping = parse_path_mapping(m);
    if (!mapping) {
      LS_ERROR("{}", mapping.error());
      return 2;
    }
    rules_.mappings.push_back(*mapping);
  }
  rules_.media_dirs = p_.session.media_dirs;
  rules_.trust_server_paths = p_.session.trust_server_paths;
  rules_.share_details = p_.session.share_media_details;
  // The folder of the file this node plays is one of its media folders: two nodes playing
  // the same file connect from the overlay without any setting.
  if (p_.start == NodeAppParams::Start::Local && !p_.files.empty()) {
    std::error_code ec;
    const auto dir = std::filesystem::absolute(p_.files.front(), ec).parent_path();
    if (!ec) rules_.media_dirs.push_back(dir.string());
  }
  cli_mappings_ = rules_.mappings;
  // The overlay's remembered settings (a window with an overlay only): its path mappings
  // count from the first connection on.
  if (!p_.node.headless && !p_.node.no_overlay) {
    std::string warning;
    config_file_ = ui::config_path();
    config_ = ui::load_config(config_file_, &warning);
    if (!warning.empty()) LS_WARN("{}", warning);
    for (const auto& m : config_.mappings) rules_.mappings.push_back({m.remote, m.local});
  }
  name_ = default_node_name(p_.session);
  if (const std::string why = net::node_name_problem(name_); !why.empty()) {
    LS_ERROR("--name '{}' cannot be used: {}: choose a name of printable characters, at most {} bytes",
             net::printable(name_), why, net::kMaxNodeNameBytes);
    return 2;
  }
  latency_offset_ns_ = int64_t(p_.session.latency_offset_ms * 1e6);
  stop_on_signals();

  const int64_t give_up = p_.node.duration > 0 ? monotonic_ns() + int64_t(p_.node.duration * 1e9) : INT64_MAX;
  if (p_.start == NodeAppParams::Start::Local) {
    if (auto s = open_player(p_.files.front(), true); !s) {
      LS_ERROR("{}", s.error());
      return runtime_ || p_.node.size.empty() ? 1 : 2;
    }
  } else {
    quit_on_failure_ = true;
    if (p_.start == NodeAppParams::Start::Host) {
      if (auto s = create_server(p_.session.port > 0 ? p_.session.port : kDefaultPort, cli_password_); !s) {
        LS_ERROR("{}", s.error());
        return 1;
      }
    } else {
      auto ep = parse_endpoint(p_.join_address, kDefaultPort);
      if (!ep) {
        LS_ERROR("{}", ep.error());
        return 2;
      }
      if (auto s = connect(*ep, cli_password_, name_, nullptr); !s) {
        LS_ERROR("{}", s.error());
        return 1;
      }
    }
    // Wait for the session's welcome: it says which file to open.
    SessionClient& c = *link_->client;
    std::string last_line;
    {
      std::unique_lock lock(link_->box.mutex);
      while (!link_->box.welcome && c.phase() != ClientPhase::Failed && monotonic_ns() < give_up && !interrupted()) {
        link_->box.changed.wait_for(lock, std::chrono::milliseconds(200));
        const std::string line = c.status_line();
        if (line != last_line) LS_INFO("{}", last_line = line);
      }
    }
    if (c.phase() == ClientPhase::Failed) return 1;
    bool welcomed = false;
    {
      std::lock_guard lock(link_->box.mutex);
      welcomed = link_->box.welcome.has_value();
    }
    if (!welcomed) {
      if (interrupted()) {
        LS_ERROR("stopped before joining {} (it was: {})", link_->target, c.status_line());
      } else {
        // The time ran out while still trying: say what it was doing, and that it was the time.
        LS_ERROR("could not join {} in the time given (--duration, or the wait for a session): still at \"{}\"; "
                 "check that the server runs and that this address and port reach it",
                 link_->target, c.status_line());
      }
      return 1;
    }
    take_mail(*link_);
    const auto& matches = link_->matches;
    const uint32_t index = link_->state.media_index;
    if (index >= matches.size()) {
      LS_ERROR("the session has no media to play (a dedicated server waits for a host to load some)");
      return 4;
    }
    if (matches[index].status != MatchStatus::Found) {
      LS_ERROR("{}", matches[index].detail);
      NodeStatus st;
      st.state = NodeState::MissingMedia;
      c.set_status(st);
      // Stay in the session so that every node's table shows why this one does not play.
      while (monotonic_ns() < give_up && !interrupted()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      return 4;
    }
    const int64_t settle_deadline = monotonic_ns() + 5 * kNsPerSec;
    while (!c.clock_settled() && monotonic_ns() < settle_deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    attach();  // the player starts on the session clock
    if (auto s = open_player(matches[index].local_path, false); !s) {
      LS_ERROR("{}", s.error());
      return 1;
    }
    attach_or_switch();
    if (p_.session.play) commands_.play();
  }
  script_start_ = monotonic_ns();

  NodeLoop loop;
  loop.start_playing = p_.start == NodeAppParams::Start::Local && !p_.paused;
  loop.each_tick = [this] { return tick(); };
  loop.in_session = [this] { return link_ != nullptr; };
  loop.build_overlay = [this](Overlay& ov) {
    static const ui::UiSnapshot hidden;  // nothing is drawn: no need to gather the state
    return ov.build(ov.visible() ? ui_snapshot() : hidden, commands_, ui_out_);
  };
  NodeOptions node = p_.node;
  int code = 0;
  for (;;) {
    code = run_node(*player_, *runtime_, node, commands_, loop);
    if (switch_to_.empty() || interrupted() || stop_) break;
    const std::string path = std::exchange(switch_to_, {});
    LS_INFO("the session plays '{}': opening it here", path);
    if (auto s = open_player(path, false); !s) {
      // The old player is still there: leave the session and play on with it.
      detach("cannot open the session's file here: " + s.error());
      if (quit_on_failure_) return 1;
    } else {
      attach_or_switch();
    }
    node.append_present_log = true;  // one log for the whole run
    loop.start_playing = false;
    if (node.duration > 0) node.duration = std::max(0.1, double(give_up - monotonic_ns()) / 1e9);
  }
  if (quit_on_failure_ && !link_ && !link_error_.empty()) return 1;
  return code;
}

}  // namespace

int run_node_app(const NodeAppParams& params) {
  NodeApp app(params);
  return app.run();
}

}  // namespace lockstep
