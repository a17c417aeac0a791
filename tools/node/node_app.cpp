#include "tools/node/node_app.h"

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
#include "tools/node/command_router.h"
#include "tools/node/node_command.h"
#include "tools/node/session_link.h"
#include "tools/node/ui_presenter.h"
#include "tools/node/node_runtime.h"
#include "tools/node/overlay/ui_model.h"

namespace lockstep {

namespace {

using namespace lockstep::net;

class NodeApp {
 public:
  explicit NodeApp(const NodeAppParams& p)
      : p_(p),
        commands_({.player = [this] { return player_.get(); },
                   .session = [this](const Command& c) {
                     SessionClient* s = session();
                     if (s) s->send_command(c);
                     return s != nullptr;
                   }}) {}
  /// The player's threads read the session clock: they stop before the link goes.
  ~NodeApp() {
    runtime_.reset();
    player_.reset();
    domain_.attach(nullptr);
    link_.reset();
  }
  int run();

  SessionClient* session() { return link_ && link_->attached ? link_->client.get() : nullptr; }
  bool may_control(std::string* why) const;

 private:
  Result<void> open_player(const std::string& path, bool local_start);
  bool tick();
  void run_schedule();
  void handle(const NodeCommand& c);
  void handle_session(const NodeCommand& c);
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
  CommandRouter commands_;
  SessionDomain domain_;
  std::unique_ptr<Player> player_;
  std::unique_ptr<NodeRuntime> runtime_;
  std::unique_ptr<Link> link_;
  std::unique_ptr<net::LanBrowser> lan_browser_;  // sessions on this LAN, for the overlay
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
  SyncHistory sync_;
  ui::UiConfig config_;
  std::string config_file_;
};

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
  if (p_.node.untimed) pp.audio_device = "none";  // sound cannot run ahead of its clock
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
  if (mi.audio_only)
    LS_INFO("'{}': sound only ({} {} Hz {} ch{}), shown as a level meter on a {} fps grid, {} frames", mi.path,
            mi.audio_codec, mi.audio_rate, mi.audio_channels, mi.has_audio ? "" : ", not played here",
            mi.fps_num, mi.frame_count);
  else LS_INFO("'{}': {}x{} {} {:.3f} fps, {} frames{}{}", mi.path, mi.width, mi.height, mi.video_codec, mi.fps(),
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
    // The overlay lists the sessions announced on this network (Client role, with Join).
    if (runtime_->panels && !net::reach_disabled_by_env()) {
      lan_browser_ = net::LanBrowser::start();
      if (!lan_browser_->problem().empty()) LS_INFO("{}", lan_browser_->problem());
    }
    if (runtime_->panels && !config_file_.empty()) {
      runtime_->panels->form() = config_.form;
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
  link_->mapper = start_port_mapping(p_.session, bound, raw->fingerprint());
  link_->announcer = start_lan_announcement(p_.session, bound, files, password.has_value(), raw->fingerprint(), name_);
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
    if (!ep.fingerprint.empty() && ep.fingerprint != p_.session.fingerprint)
      return make_error("the invite link's server key (" + ep.fingerprint + ") is not the one given with --fingerprint (" +
                        p_.session.fingerprint + "): ask the host which is right, then give only that one");
    cp.fingerprint = p_.session.fingerprint;
  } else if (!ep.fingerprint.empty()) {
    // An invite link names the server it invites to; a server this node met at that address
    // before with another key is still refused (a link is easy to forge, the memory is not).
    const auto remembered = KnownServers(config_dir() / "known-servers").fingerprint_of(to_string(ep));
    if (remembered && *remembered != ep.fingerprint)
      return make_error("the invite link's server key (" + ep.fingerprint + ") is not the one this node met at " +
                        to_string(ep) + " before (" + *remembered + "): ask the host which is right; if the " +
                        "server's key really changed, remove its line from " +
                        (config_dir() / "known-servers").string());
    cp.fingerprint = ep.fingerprint;
  }
  cp.known_servers_file = (config_dir() / "known-servers").string();
  cp.clock_drift_file = (config_dir() / "clock-drift").string();
  SessionEvents events = mailbox_events(link->box);
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
  sync_.clear();
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
  sync_report(st, ps.frame_index, player_->info().grid(), from_wire(L.state, 0),
              domain_.to_session(monotonic_ns()));
  L.client->set_status(st);
}

void NodeApp::sample_sync() {
  if (!link_) return;
  sync_.sample(link_->server ? link_->server->peers() : link_->client->peers());
}

// ---- the overlay --------------------------------------------------------------------------

ui::UiSnapshot NodeApp::ui_snapshot() const {
  NodeFacts n;
  if (player_) {
    n.player = player_->snapshot();
    n.can_control = may_control(&n.control_reason);
  }
  n.mappings = rules_.mappings;
  n.role = link_role_;
  n.link_error = link_error_;
  n.default_port = kDefaultPort;
  if (lan_browser_) {
    for (const net::LanSession& s : lan_browser_->sessions())
      n.lan.push_back(ui::LanRow{s.name, s.address, s.port, s.media, s.password, s.fingerprint});
    const std::string problem = lan_browser_->problem();
    if (problem.rfind("LAN discovery is off: no Avahi daemon", 0) == 0)
      n.lan_problem = "LAN discovery is off: no Avahi daemon here (docs/hosting.md)";
    else
      n.lan_problem = problem;
  }
  return present(n, link_ ? std::optional<LinkFacts>(link_facts(*link_)) : std::nullopt, sync_);
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
  bool panels_open = false;
  if (runtime_ && runtime_->panels) {
    panels_open = runtime_->panels->panels_open();
    form = runtime_->panels->form();
    checks = runtime_->panels->checks();
    widgets = runtime_->panels->widgets();
    visible = runtime_->overlay->visible();
  }
  const auto json = ui::ui_state_json(ui_snapshot(), form, checks, visible, widgets, panels_open);
  if (auto err = ui::write_json_file(p_.ui_state, json); !err.empty()) {
    LS_WARN("--ui-state: {}", err);
    next_ui_state_ = now + 5 * kNsPerSec;
  }
}

void NodeApp::handle(const NodeCommand& c) {
  if (c.scope() == NodeCommand::Scope::Session) return handle_session(c);
  if (!give(commands_, c)) LS_WARN("'{}' is not a command for this node", to_string(c.kind));
}

void NodeApp::handle_session(const NodeCommand& c) {
  LS_INFO("command: {}", to_string(c.kind));
  // Once a person drives the link from the overlay, a failed link no longer ends the node.
  if (c.kind == NodeCommand::Kind::CreateServer || c.kind == NodeCommand::Kind::Connect ||
      c.kind == NodeCommand::Kind::StopServer || c.kind == NodeCommand::Kind::Disconnect)
    quit_on_failure_ = false;
  auto remember = [this] {
    if (!runtime_ || !runtime_->panels || config_file_.empty()) return;
    config_.form = runtime_->panels->form();
    config_.form.password.clear();
    config_.mappings.clear();
    for (const auto& m : rules_.mappings) {  // those given with --map are not remembered
      if (std::find(cli_mappings_.begin(), cli_mappings_.end(), m) == cli_mappings_.end())
        config_.mappings.push_back(m);
    }
    config_.overlay_visible = runtime_->overlay->visible();
    if (auto err = ui::save_config(config_file_, config_); !err.empty()) LS_WARN("{}", err);
  };
  const auto password = c.password.empty() ? std::optional<std::string>{} : std::optional<std::string>(c.password);
  switch (c.kind) {
    case NodeCommand::Kind::CreateServer:
      detach("");
      if (auto s = create_server(c.port > 0 ? c.port : kDefaultPort, password); !s) {
        link_.reset();
        link_error_ = s.error();
        LS_ERROR("{}", link_error_);
      }
      remember();
      break;
    case NodeCommand::Kind::Connect: {
      detach("");
      if (!c.name.empty()) name_ = c.name;
      if (auto s = connect(Endpoint{c.host, c.port, c.fingerprint}, password, name_, nullptr); !s) {
        link_error_ = s.error();
        LS_ERROR("{}", link_error_);
      }
      remember();
      break;
    }
    case NodeCommand::Kind::StopServer:
    case NodeCommand::Kind::Disconnect: detach(""); break;
    case NodeCommand::Kind::Kick:
      if (link_ && link_->server) link_->client->kick(c.node_id);
      break;
    case NodeCommand::Kind::SetLatencyOffset:
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
    case NodeCommand::Kind::AddMapping:
      if (!c.remote.empty() && !c.local.empty()) rules_.mappings.push_back({c.remote, c.local});
      if (link_) link_->client->set_match_rules(link_rules());  // applies at once
      remember();
      break;
    case NodeCommand::Kind::RemoveMapping:
      if (c.index >= 0 && size_t(c.index) < rules_.mappings.size())
        rules_.mappings.erase(rules_.mappings.begin() + c.index);
      if (link_) link_->client->set_match_rules(link_rules());
      remember();
      break;
    case NodeCommand::Kind::Load:
      if (auto* s = session()) s->send_command(Command{.type = CommandType::Load, .media_index = uint32_t(c.index)});
      break;
    default: break;  // transport and window commands: handle() and run_node()
  }
}

void NodeApp::run_schedule() {
  while (next_command_ < schedule_.size() &&
         monotonic_ns() - script_start_ >= int64_t(schedule_[next_command_].at_s * 1e9)) {
    const ScheduledCommand& sc = schedule_[next_command_++];
    if (sc.command.scope() == NodeCommand::Scope::Session && !session())
      LS_WARN("--commands: '{}' needs a session", sc.text);
    LS_INFO("--commands: {}", sc.text);
    handle(sc.command);
  }
}

bool NodeApp::tick() {
  run_schedule();
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
  auto rules = match_rules(p_.session);
  if (!rules) {
    LS_ERROR("{}", rules.error());
    return 2;
  }
  rules_ = *rules;
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
    rules_.mappings.insert(rules_.mappings.end(), config_.mappings.begin(), config_.mappings.end());
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
    if (!wait_for_welcome(*link_, give_up, interrupted)) return 1;
    SessionClient& c = *link_->client;
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
  loop.ui_snapshot = [this] { return ui_snapshot(); };
  loop.handle = [this](const NodeCommand& c) { handle(c); };
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

}  // namespace lockstep
