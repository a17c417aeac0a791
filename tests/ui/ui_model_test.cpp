// The overlay's model without a window: port and form checks as you type, the background
// host resolver, the config file, the --ui-state JSON, the listening addresses, and the
// panel layout's rule that nothing covers the top 15 % of the window.
//
// Network: lookups here stay on this machine ("localhost" from /etc/hosts, IP literals);
// the not-found case runs in a child inside a new, empty network namespace, where nothing
// can leave the machine.
#include "tools/node/overlay/ui_model.h"
#include "core/endpoint.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "net/protocol_version.h"
#include "tools/node/node_command.h"
#include "tools/node/overlay/panels.h"

namespace lockstep::ui {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

NetworkForm client(const std::string& host, const std::string& port = "") {
  NetworkForm f;
  f.role = NetRole::Client;
  f.host = host;
  f.port = port;
  return f;
}

/// Polls `resolver` until `host` is no longer pending (or `limit` passes).
HostResolver::Outcome wait_for(HostResolver& resolver, const std::string& host,
                               std::chrono::seconds limit = std::chrono::seconds(20)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  auto outcome = resolver.lookup(host);
  while (outcome.state == HostResolver::State::Pending &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    outcome = resolver.lookup(host);
  }
  return outcome;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A fresh folder under the test's temporary directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("lockstep-ui-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

/// Sets an environment variable for one test and puts the old value back afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// ---- Port ------------------------------------------------------------------------------

TEST(CheckPort, EmptyMeansTheDefaultAndIsFine) {
  EXPECT_TRUE(check_port("").ok);
  EXPECT_TRUE(check_port("  ").ok);
}

TEST(CheckPort, AcceptsTheWholeRange) {
  EXPECT_TRUE(check_port("1").ok);
  EXPECT_TRUE(check_port("65535").ok);
  EXPECT_TRUE(check_port("7450").ok);
}

TEST(CheckPort, OutOfRangeNamesTheValueAndTheRange) {
  const FieldCheck c = check_port("70000");
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.message, "'70000' is out of range: a port is a number from 1 to 65535");
  EXPECT_EQ(check_port("0").message, "'0' is out of range: a port is a number from 1 to 65535");
  EXPECT_EQ(check_port("-1").message, "'-1' is out of range: a port is a number from 1 to 65535");
}

TEST(CheckPort, NotANumberSaysSo) {
  const FieldCheck c = check_port("7a");
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.message, "'7a' is not a number: a port is a number from 1 to 65535");
  EXPECT_FALSE(check_port("-").ok);
  EXPECT_FALSE(check_port("74 50").ok);
}

// ---- Form ------------------------------------------------------------------------------

TEST(CheckForm, ClientRefusesTcpAndSaysWhy) {
  const FormChecks c = check_form(client("tcp://relay.example:7450"), net::kDefaultPort, nullptr);
  EXPECT_FALSE(c.host.ok);
  EXPECT_TRUE(contains(c.host.message, "UDP")) << c.host.message;
  EXPECT_TRUE(contains(c.host.message, "tcp://relay.example:7450")) << c.host.message;
  EXPECT_FALSE(c.button_enabled);
}

TEST(CheckForm, ClientTakesUdpUrlWithItsPort) {
  const FormChecks c = check_form(client("udp://stage-left:7460"), net::kDefaultPort, nullptr);
  EXPECT_TRUE(c.host.ok) << c.host.message;
  EXPECT_TRUE(c.button_enabled);
  EXPECT_EQ(c.endpoint_host, "stage-left");
  EXPECT_EQ(c.endpoint_port, 7460);
}

TEST(CheckForm, ClientTakesAnInviteLinkWithItsServerKey) {
  const std::string fp = "SHA256:uflSabVEyuHM6Or2Z1F5I/D3KEImLTB2M1x4/sLXx6c";
  const FormChecks c = check_form(client(invite_link("198.20.0.1", 7451, fp)), net::kDefaultPort, nullptr);
  EXPECT_TRUE(c.host.ok) << c.host.message;
  EXPECT_TRUE(c.button_enabled);
  EXPECT_EQ(c.endpoint_host, "198.20.0.1");
  EXPECT_EQ(c.endpoint_port, 7451);
  EXPECT_EQ(c.endpoint_fingerprint, fp);
  const FormChecks cut = check_form(client("lockstep://198.20.0.1:7451?fp=SHA256:ufl"), net::kDefaultPort, nullptr);
  EXPECT_FALSE(cut.host.ok);
  EXPECT_TRUE(contains(cut.host.message, "damaged server key fingerprint")) << cut.host.message;
  EXPECT_FALSE(cut.button_enabled);
}

TEST(CheckForm, ClientExplainsThatIpv6IsNotCarried) {
  // ENet 1.3 connects over IPv4 only: the bracketed form is understood, then refused with the
  // reason.
  const FormChecks c = check_form(client("[::1]:7460"), net::kDefaultPort, nullptr);
  EXPECT_FALSE(c.host.ok);
  EXPECT_TRUE(contains(c.host.message, "IPv4")) << c.host.message;
  EXPECT_FALSE(c.button_enabled);
}

TEST(CheckForm, PortInHostOverridesThePortField) {
  FormChecks c = check_form(client("10.0.0.5:7460", "7451"), net::kDefaultPort, nullptr);
  EXPECT_TRUE(c.button_enabled);
  EXPECT_EQ(c.endpoint_host, "10.0.0.5");
  EXPECT_EQ(c.endpoint_port, 7460);
  EXPECT_TRUE(contains(c.port.message, "7460")) << c.port.message;
  // Even a bad Port field no longer matters.
  c = check_form(client("10.0.0.5:7460", "70000"), net::kDefaultPort, nullptr);
  EXPECT_TRUE(c.port.ok);
  EXPECT_TRUE(c.button_enabled);
}

TEST(CheckForm, PortFieldAndDefaultApplyToABareHost) {
  EXPECT_EQ(check_form(client("10.0.0.5", "7451"), net::kDefaultPort, nullptr).endpoint_port, 7451);
  EXPECT_EQ(check_form(client("10.0.0.5", ""), net::kDefaultPort, nullptr).endpoint_port,
            net::kDefaultPort);
  const FormChecks bad = check_form(client("10.0.0.5", "7a"), net::kDefaultPort, nullptr);
  EXPECT_FALSE(bad.port.ok);
  EXPECT_FALSE(bad.button_enabled);
}

TEST(CheckForm, EmptyHostAsksForTheAddress) {
  const FormChecks c = check_form(client("  "), net::kDefaultPort, nullptr);
  EXPECT_FALSE(c.host.ok);
  EXPECT_EQ(c.host.message, "Enter the server's address (name, IP, or udp://host:port)");
  EXPECT_FALSE(c.button_enabled);
}

TEST(CheckForm, ServerChecksOnlyThePort) {
  NetworkForm f = client("tcp://ignored");
  f.role = NetRole::Server;
  FormChecks c = check_form(f, net::kDefaultPort, nullptr);
  EXPECT_TRUE(c.host.ok);
  EXPECT_TRUE(c.button_enabled);
  EXPECT_EQ(c.endpoint_port, net::kDefaultPort);
  f.port = "0";
  c = check_form(f, net::kDefaultPort, nullptr);
  EXPECT_FALSE(c.port.ok);
  EXPECT_FALSE(c.button_enabled);
}

TEST(CheckForm, DedicatedHasNoButton) {
  NetworkForm f;
  f.role = NetRole::Dedicated;
  f.port = "7455";
  const FormChecks c = check_form(f, net::kDefaultPort, nullptr);
  EXPECT_TRUE(c.port.ok);
  EXPECT_FALSE(c.button_enabled);
  EXPECT_EQ(c.endpoint_port, 7455);
  EXPECT_EQ(server_command(c.endpoint_port, false), "lockstep serve --port 7455");
}

TEST(CheckForm, ButtonWaitsWhileTheHostIsLookedUp) {
  HostResolver resolver;
  FormChecks c = check_form(client("localhost"), net::kDefaultPort, &resolver);
  // The first ask for a name always starts a lookup in the background.
  EXPECT_TRUE(c.resolving);
  EXPECT_TRUE(c.host.ok);
  EXPECT_EQ(c.host.message, "Looking up 'localhost'\u2026");
  EXPECT_FALSE(c.button_enabled);
  ASSERT_EQ(wait_for(resolver, "localhost").state, HostResolver::State::Found);
  c = check_form(client("localhost"), net::kDefaultPort, &resolver);
  EXPECT_FALSE(c.resolving);
  EXPECT_TRUE(c.button_enabled);
  EXPECT_EQ(c.endpoint_host, "localhost");
}

// ---- HostResolver ----------------------------------------------------------------------

TEST(HostResolver, LiteralIsFoundAtOnce) {
  HostResolver resolver;
  EXPECT_EQ(resolver.lookup("127.0.0.1").state, HostResolver::State::Found);
  EXPECT_EQ(resolver.lookup("192.168.1.20").state, HostResolver::State::Found);
}

TEST(HostResolver, LocalhostIsFoundInTheBackground) {
  HostResolver resolver;
  EXPECT_EQ(wait_for(resolver, "localhost").state, HostResolver::State::Found);
  // The outcome is kept.
  EXPECT_EQ(resolver.lookup("localhost").state, HostResolver::State::Found);
}

TEST(HostResolver, DestructorWaitsForALookupInFlight) {
  auto resolver = std::make_unique<HostResolver>();
  EXPECT_EQ(resolver->lookup("localhost").state, HostResolver::State::Pending);
  resolver.reset();  // joins the worker; must neither hang nor crash
}

/// Runs `body` in a forked child inside a new network namespace (only a loopback device,
/// down): nothing it does can reach another machine. Returns its exit status; 77 when the
/// namespace could not be made.
int run_without_network(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::unshare(CLONE_NEWNET) != 0) ::_exit(77);
    ::_exit(body());
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// Name lookups go only through files and DNS (no resolver daemon reached over a socket
/// outside the namespace).
bool hosts_lookup_is_files_and_dns() {
  std::ifstream in("/etc/nsswitch.conf");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("hosts:", 0) == 0) return !contains(line, "resolve") && !contains(line, "mdns");
  return true;  // glibc's default: files dns
}

TEST(HostResolver, UnknownNameIsNotFoundWithASentence) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "needs root to unshare(CLONE_NEWNET), which keeps the lookup off the network";
  if (!hosts_lookup_is_files_and_dns())
    GTEST_SKIP()
        << "/etc/nsswitch.conf sends host lookups to a daemon outside the network namespace";
  const int rc = run_without_network([] {
    HostResolver resolver;
    const auto outcome = wait_for(resolver, "no-such-host.invalid");
    if (outcome.state == HostResolver::State::Pending) return 3;
    if (outcome.state == HostResolver::State::Found) return 2;
    if (!contains(outcome.message, "'no-such-host.invalid'") ||
        !contains(outcome.message, "IP address"))
      return 4;
    // And the form shows it on the host field.
    const FormChecks c = check_form(client("no-such-host.invalid"), net::kDefaultPort, &resolver);
    return (!c.host.ok && !c.button_enabled && !c.resolving) ? 0 : 5;
  });
  if (rc == 77) GTEST_SKIP() << "unshare(CLONE_NEWNET) is not permitted here";
  EXPECT_EQ(rc, 0) << "2: found, 3: still pending, 4: message, 5: form";
}

// ---- Listening addresses ---------------------------------------------------------------

TEST(ListeningAddresses, IncludeLoopbackLastAndASentence) {
  const ListenAddresses a = listening_addresses(7466);
  ASSERT_FALSE(a.addresses.empty());
  EXPECT_EQ(a.addresses.back(), "127.0.0.1:7466");
  for (const auto& address : a.addresses) EXPECT_TRUE(contains(address, ":7466")) << address;
  EXPECT_TRUE(contains(a.reachability, "Reachable")) << a.reachability;
  if (a.addresses.size() > 1)
    EXPECT_TRUE(contains(a.reachability, "UDP 7466")) << a.reachability;
  else
    EXPECT_EQ(a.reachability, "Reachable from this machine only");
}

TEST(ListeningAddresses, WithoutInterfacesOnlyThisMachine) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to unshare(CLONE_NEWNET)";
  const int rc = run_without_network([] {
    const ListenAddresses a = listening_addresses(7450);
    return a.addresses == std::vector<std::string>{"127.0.0.1:7450"} &&
                   a.reachability == "Reachable from this machine only"
               ? 0
               : 1;
  });
  if (rc == 77) GTEST_SKIP() << "unshare(CLONE_NEWNET) is not permitted here";
  EXPECT_EQ(rc, 0);
}

// ---- Config ----------------------------------------------------------------------------

TEST(Config, PathFollowsXdgThenHome) {
  {
    ScopedEnv xdg("XDG_CONFIG_HOME", "/tmp/xdg-test");
    EXPECT_EQ(config_path(), "/tmp/xdg-test/lockstep/config.json");
  }
  ScopedEnv xdg("XDG_CONFIG_HOME", nullptr);
  ScopedEnv home("HOME", "/home/someone");
  EXPECT_EQ(config_path(), "/home/someone/.config/lockstep/config.json");
}

TEST(Config, RoundTripKeepsSettingsButNotThePassword) {
  TempDir dir;
  ScopedEnv xdg("XDG_CONFIG_HOME", dir.path().c_str());
  const std::string path = config_path();
  UiConfig config;
  config.form = {NetRole::Server, "stage-left:7460", "7461", "hunter2-secret", "booth"};
  config.mappings = {{"/mnt/server/show", "/home/me/show"}};
  config.overlay_visible = false;
  ASSERT_EQ(save_config(path, config), "");
  ASSERT_TRUE(fs::exists(path));
  EXPECT_FALSE(contains(read_file(path), "hunter2-secret"));

  std::string warning = "stale";
  const UiConfig loaded = load_config(path, &warning);
  EXPECT_EQ(warning, "");
  EXPECT_EQ(loaded.form.role, NetRole::Server);
  EXPECT_EQ(loaded.form.host, "stage-left:7460");
  EXPECT_EQ(loaded.form.port, "7461");
  EXPECT_EQ(loaded.form.name, "booth");
  EXPECT_EQ(loaded.form.password, "");
  ASSERT_EQ(loaded.mappings.size(), 1u);
  EXPECT_EQ(loaded.mappings[0].remote, "/mnt/server/show");
  EXPECT_EQ(loaded.mappings[0].local, "/home/me/show");
  EXPECT_FALSE(loaded.overlay_visible);
}

TEST(Config, MissingFileGivesDefaultsQuietly) {
  TempDir dir;
  std::string warning;
  const UiConfig c = load_config((dir.path() / "none.json").string(), &warning);
  EXPECT_EQ(warning, "");
  EXPECT_EQ(c.form.role, NetRole::Client);
  EXPECT_TRUE(c.overlay_visible);
}

TEST(Config, MalformedFileGivesDefaultsAndAWarningNamingIt) {
  TempDir dir;
  const std::string path = (dir.path() / "config.json").string();
  for (const char* text : {"{ not json", R"({"network": {"role": "observer"}})",
                           R"({"network": {"port": [1]}})", "[]"}) {
    std::ofstream(path) << text;
    std::string warning;
    const UiConfig c = load_config(path, &warning);
    EXPECT_TRUE(contains(warning, path)) << text << ": " << warning;
    EXPECT_EQ(c.form.role, NetRole::Client) << text;
    EXPECT_TRUE(c.form.host.empty()) << text;
  }
}

// ---- --ui-state ------------------------------------------------------------------------

UiSnapshot sample_snapshot() {
  UiSnapshot s;
  s.is_server = true;
  s.link.role = NetRole::Server;
  s.link.phase = LinkPhase::Listening;
  s.link.status_line = "Listening on udp/7450";
  s.link.port = 7450;
  s.link.addresses = {"192.168.1.20:7450", "127.0.0.1:7450"};
  s.link.reachability =
      "Reachable on this LAN only: for the internet, forward UDP 7450 on the router "
      "(docs/hosting.md)";
  PeerRow self;
  self.id = 1;
  self.name = "booth";
  self.state = "ready";
  self.self = true;
  self.media = {"found"};
  PeerRow other;
  other.id = 7;
  other.name = "wall";
  other.address = "192.168.1.31:40000";
  other.state = "missing media";
  other.rtt_ms = 0.4;
  other.clock_offset_ms = -5000.012;
  other.sync_error_ms = 1.5;
  other.dropped = 2;
  other.media = {"missing"};
  s.peers = {self, other};
  s.media = {{"reel1.mov", "found", "/media/reel1.mov", true}};
  s.sync = {{7, "wall", {0.5f, 1.0f, 1.5f}}};
  s.lead_ms = 120.0;
  s.transport.frame_index = 25;
  s.transport.frame_count = 100;
  s.transport.fps = 25.0;
  s.transport.can_control = false;
  s.transport.control_reason = "Only the hosting node may control playback (--control host)";
  s.mappings = {{"/mnt/show", "/home/me/show"}};
  return s;
}

TEST(UiState, CarriesWhatThePersonSeesButNeverThePassword) {
  const UiSnapshot s = sample_snapshot();
  NetworkForm form;
  form.role = NetRole::Server;
  form.port = "70000";
  form.password = "hunter2-secret";
  const FormChecks checks = check_form(form, net::kDefaultPort, nullptr);
  WidgetMap widgets;
  widgets["net.create"] = WidgetRect{900, 300, 110, 19, false};
  const json j = ui_state_json(s, form, checks, true, widgets);

  EXPECT_FALSE(contains(j.dump(), "hunter2-secret"));
  EXPECT_EQ(j["overlay_visible"], true);
  EXPECT_EQ(j["is_server"], true);
  const json& n = j["network"];
  EXPECT_EQ(n["role"], "server");
  EXPECT_EQ(n["port"], "70000");
  EXPECT_EQ(n["password_set"], true);
  EXPECT_EQ(n["checks"]["port"]["ok"], false);
  EXPECT_EQ(n["checks"]["port"]["message"],
            "'70000' is out of range: a port is a number from 1 to 65535");
  EXPECT_EQ(n["checks"]["host"]["ok"], true);
  EXPECT_EQ(n["button_enabled"], false);
  EXPECT_EQ(n["resolving"], false);
  EXPECT_EQ(n["editable"], false);
  EXPECT_EQ(n["link"]["phase"], "listening");
  EXPECT_EQ(n["link"]["status_line"], "Listening on udp/7450");
  EXPECT_EQ(n["link"]["addresses"].size(), 2u);
  EXPECT_TRUE(contains(n["link"]["reachability"].get<std::string>(), "LAN only"));

  ASSERT_EQ(j["peers"].size(), 2u);
  EXPECT_EQ(j["peers"][1]["name"], "wall");
  EXPECT_EQ(j["peers"][1]["state"], "missing media");
  EXPECT_DOUBLE_EQ(j["peers"][1]["clock_offset_ms"].get<double>(), -5000.012);
  EXPECT_EQ(j["peers"][1]["media"][0], "missing");
  EXPECT_EQ(j["peers"][0]["self"], true);
  EXPECT_EQ(j["media"][0]["status"], "found");
  EXPECT_EQ(j["sync"]["lead_ms"], 120.0);
  EXPECT_EQ(j["sync"]["series"][0]["name"], "wall");
  EXPECT_EQ(j["sync"]["series"][0]["samples"], 3);
  EXPECT_DOUBLE_EQ(j["sync"]["series"][0]["last_ms"].get<double>(), 1.5);
  EXPECT_EQ(j["transport"]["timecode"], "00:00:01:00");
  EXPECT_EQ(j["transport"]["can_control"], false);
  EXPECT_TRUE(contains(j["transport"]["control_reason"].get<std::string>(), "hosting node"));
  EXPECT_EQ(j["mappings"][0]["local"], "/home/me/show");
  EXPECT_EQ(j["widgets"]["net.create"]["enabled"], false);
  EXPECT_EQ(j["widgets"]["net.create"]["x"], 900.0);
}

TEST(UiState, WrittenAtomicallyAsJson) {
  TempDir dir;
  const std::string path = (dir.path() / "sub" / "state.json").string();
  const json j = ui_state_json(sample_snapshot(), NetworkForm{}, FormChecks{}, false, {});
  ASSERT_EQ(write_json_file(path, j), "");
  const json back = json::parse(read_file(path));
  EXPECT_EQ(back, j);
  for (const auto& entry : fs::directory_iterator(dir.path() / "sub"))
    EXPECT_EQ(entry.path().filename(), "state.json") << "a temporary file was left behind";
}

// ---- Names -----------------------------------------------------------------------------

TEST(Names, RolesRoundTripAndEnumsHaveWords) {
  for (NetRole r : {NetRole::Server, NetRole::Client, NetRole::Dedicated})
    EXPECT_EQ(net_role_from_string(to_string(r)), r);
  EXPECT_FALSE(net_role_from_string("observer"));
  EXPECT_STREQ(to_string(LinkPhase::Reconnecting), "reconnecting");
  EXPECT_STREQ(to_string(NodeCommand::Kind::SetLatencyOffset), "set_latency_offset");
  EXPECT_TRUE(link_active(LinkPhase::Connecting));
  EXPECT_FALSE(link_active(LinkPhase::Failed));
  EXPECT_EQ(format_timecode(3 * 3600 * 25 + 61 * 25 + 7, 25.0), "03:01:01:07");
}

// ---- Panels without a window -----------------------------------------------------------

TEST(PanelLayout, NothingInTheTopFifteenPercentNorOverlapping) {
  for (float scale : {1.0f, 1.5f, 2.0f}) {
    for (auto [w, h] :
         {std::pair{640.0f, 360.0f}, {960.0f, 540.0f}, {1280.0f, 720.0f}, {1920.0f, 1080.0f}, {3840.0f, 2160.0f}}) {
      const PanelLayout l = layout_panels(w, h, scale);
      for (const auto* r : {&l.peers, &l.network, &l.media, &l.transport}) {
        EXPECT_GE(r->y, 0.15f * h) << w << "x" << h << " @" << scale;
        EXPECT_GE(r->x, 0.0f);
        EXPECT_LE(r->x + r->w, w + 0.5f);
        EXPECT_LE(r->y + r->h, h + 0.5f);
      }
      EXPECT_LE(l.peers.x + l.peers.w, l.network.x) << w << "x" << h << " @" << scale;
      EXPECT_LE(l.media.x + l.media.w, l.network.x) << w << "x" << h << " @" << scale;
      EXPECT_LE(l.peers.y + l.peers.h, l.media.y);
      EXPECT_LE(l.media.y + l.media.h, l.transport.y);
      EXPECT_LE(l.network.y + l.network.h, l.transport.y);
      // The slim bar sits at the bottom, lower than the full bar.
      EXPECT_GE(l.slim.y, l.transport.y);
      EXPECT_NEAR(l.slim.y + l.slim.h, h, 0.5f);
      EXPECT_LE(l.slim.h, 0.2f * h + 0.5f) << w << "x" << h << " @" << scale;
    }
  }
}

TEST(Displayable, KeepsLatin1AndSpellsOutTheRest) {
  EXPECT_EQ(displayable("Looking up 'x'\u2026"), "Looking up 'x'...");
  EXPECT_EQ(displayable("a \u2192 b \u2260 c \u2014 d"), "a -> b != c - d");
  EXPECT_EQ(displayable("udp/7450 \u00b7 caf\u00e9"), "udp/7450 \u00b7 caf\u00e9");
  EXPECT_EQ(displayable("\u6771\u4eac"), "??");
}

}  // namespace
}  // namespace lockstep::ui
