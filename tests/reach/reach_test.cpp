// Reachability as a home user meets it: a host behind a router, a node on the internet side.
// Three network namespaces per test (tests/reach/netlab.sh): `lan` (the host node,
// 192.168.77.2), `router` (nftables masquerade, Debian's miniupnpd answering UPnP and/or
// NAT-PMP on its LAN side, or nothing) and `wan` (a joining node). Nothing is connected to
// the machine's own network. Needs root (namespaces); skips with the reason otherwise.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "skew/skew_analysis.h"
#include "support/test_media.h"

namespace lockstep {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Waits until `path` contains `text` (true) or `timeout_s` passes.
bool wait_for_text(const std::string& path, const std::string& text, double timeout_s) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < end) {
    if (read_file(path).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string session_clip() {
  return test::clip("session_320x180_30_12s.mp4",
                    {"--size", "320x180", "--fps", "30", "--duration", "12", "--no-audio"});
}

struct Lab {
  std::string id, lan, router, wan, router_wan, wan_node, dir;
};

class Reach : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: the tests make network namespaces (CI runs as root)";
    struct stat st {};
    if (stat("/usr/sbin/miniupnpd", &st) != 0 || stat("/usr/sbin/nft", &st) != 0)
      GTEST_SKIP() << "needs miniupnpd-nftables and nftables (./tools/run-tests installs them)";
    dir_ = test::scratch_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    config_ = dir_ + "/config";
    std::filesystem::create_directories(config_);
  }
  void TearDown() override {
    processes_.clear();  // killed (by pid) before the namespaces go
    for (const Lab& lab : labs_)
      test::run_process({"/bin/bash", netlab(), "down", lab.id, lab.dir}, 30);
  }

  static std::string netlab() { return test::source_dir() + "/tests/reach/netlab.sh"; }

  Lab up(const std::string& wan_kind, const std::string& router_kind) {
    Lab lab;
    lab.id = std::to_string(getpid() % 100000) + "-" + std::to_string(labs_.size());
    lab.dir = dir_ + "/lab" + std::to_string(labs_.size());
    auto r = test::run_process({"/bin/bash", netlab(), "up", lab.id, wan_kind, router_kind, lab.dir}, 60);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::istringstream words(r.output.substr(r.output.rfind('\n', r.output.size() - 2) + 1));
    words >> lab.lan >> lab.router >> lab.wan >> lab.router_wan >> lab.wan_node;
    labs_.push_back(lab);
    return lab;
  }

  // A private D-Bus and avahi-daemon in the lab's lan namespace; nodes started after this use it.
  void start_avahi(const Lab& lab) {
    auto r = test::run_process({"/bin/bash", netlab(), "avahi", lab.id, lab.dir}, 30);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    bus_ = "DBUS_SYSTEM_BUS_ADDRESS=unix:path=" + lab.dir + "/bus";
  }

  // `argv` in namespace `ns`, port mapping and announcing allowed (the tests elsewhere keep
  // them off), on the lab's D-Bus when it has one (else on none: no Avahi daemon).
  test::ChildProcess& start(const std::string& ns, std::vector<std::string> argv, const std::string& name) {
    argv.insert(argv.begin(), {"/usr/bin/ip", "netns", "exec", ns});
    processes_.push_back(std::make_unique<test::ChildProcess>(
        argv, dir_ + "/" + name + ".out",
        std::vector<std::string>{"LOCKSTEP_NO_REACH=0", "XDG_CONFIG_HOME=" + config_ + "/" + name,
                                 bus_.empty() ? "DBUS_SYSTEM_BUS_ADDRESS=unix:path=" + dir_ + "/no-bus" : bus_}));
    return *processes_.back();
  }
  std::string out(const std::string& name) const { return dir_ + "/" + name + ".out"; }

  test::ChildProcess& serve(const Lab& lab, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{test::player_path(), "serve", session_clip(), "--loop", "--duration", "120"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return start(lab.lan, argv, "server");
  }

  // A node that joins `address` from namespace `ns`, plays `seconds` headless and logs what it
  // shows; the present log's path.
  std::string join(const std::string& ns, const std::string& address, const std::string& name, double seconds,
                   std::vector<std::string> extra = {}) {
    const std::string log = dir_ + "/" + name + ".jsonl";
    std::filesystem::remove(log);
    std::vector<std::string> argv{test::player_path(), "join", address, "--headless", "--audio-device", "none",
                                  "--verify-frames", "--present-log", log, "--name", name,
                                  "--duration", std::to_string(seconds), "--media-dir", test::clip_dir()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    start(ns, argv, name);
    return log;
  }

  // What the router forwards now: its nftables DNAT rules (miniupnpd's chain).
  std::string router_forwards(const Lab& lab) {
    return test::run_process({"/usr/bin/ip", "netns", "exec", lab.router, "/usr/sbin/nft", "list", "chain", "inet",
                              "filter", "prerouting_miniupnpd"},
                             20)
        .output;
  }

  // The invite link the host logged for the internet.
  std::string invite_from(const std::string& log) {
    std::smatch m;
    const std::string text = read_file(log);
    static const std::regex re("invite from the internet: (lockstep://\\S+)");
    return std::regex_search(text, m, re) ? m[1].str() : std::string();
  }

  int64_t verified_frames(const std::string& log) {
    auto parsed = skew::read_present_log(log);
    if (!parsed) return 0;
    int64_t n = 0;
    for (const auto& line : parsed->lines)
      if (line.readback && !line.paused) ++n;
    return n;
  }

  std::string dir_, config_, bus_;
  std::vector<Lab> labs_;
  std::vector<std::unique_ptr<test::ChildProcess>> processes_;
};

TEST_F(Reach, UpnpMapsThePortAndAnInternetNodeJoinsThroughTheRouterInSync) {
  const Lab lab = up("public", "upnp");
  const std::string host_log = dir_ + "/host.jsonl";
  auto& host = start(lab.lan,
                     {test::player_path(), "host", session_clip(), "--headless", "--audio-device", "none",
                      "--verify-frames", "--present-log", host_log, "--name", "host", "--play", "--loop",
                      "--duration", "60"},
                     "host");
  ASSERT_TRUE(wait_for_text(out("host"), "reachable from the internet at " + lab.router_wan + ":7450 (UPnP, router "
                                         "'lockstep test router')", 20))
      << read_file(out("host"));
  EXPECT_NE(router_forwards(lab).find("dport 7450 dnat ip to 192.168.77.2:7450"), std::string::npos);
  const std::string invite = invite_from(out("host"));
  ASSERT_EQ(invite.rfind("lockstep://" + lab.router_wan + ":7450?fp=SHA256:", 0), 0u) << read_file(out("host"));

  // A node on the internet side joins with the link alone (it carries the server's key).
  const std::string wan_log = join(lab.wan, invite, "wan", 8);
  ASSERT_EQ(processes_.back()->wait(40), 0) << read_file(out("wan"));
  EXPECT_NE(read_file(out("wan")).find("joined " + lab.router_wan + ":7450"), std::string::npos);

  auto a = skew::read_present_log(host_log);
  auto b = skew::read_present_log(wan_log);
  ASSERT_TRUE(a.ok() && b.ok());
  skew::SkewParams p;
  p.after_s = 1.0;
  auto r = skew::analyse({*a, *b}, p);
  ASSERT_TRUE(r.ok()) << r.error();
  std::printf("%s", skew::format_text(*r).c_str());
  EXPECT_GT(r->agreement.session_ticks, 60);
  EXPECT_EQ(r->agreement.session_tick_share, 1.0) << "the node behind the router showed another frame";

  // The host leaves: its mapping leaves with it.
  host.signal(SIGTERM);
  EXPECT_GE(host.wait(20), 0);
  EXPECT_EQ(router_forwards(lab).find("7450"), std::string::npos) << router_forwards(lab);
}

TEST_F(Reach, NatPmpMapsThePortWhenTheRouterSpeaksNoUpnp) {
  const Lab lab = up("public", "natpmp");
  auto& server = serve(lab);
  ASSERT_TRUE(wait_for_text(out("server"), "reachable from the internet at " + lab.router_wan + ":7450 (NAT-PMP, "
                                           "router at 192.168.77.1)", 20))
      << read_file(out("server"));
  EXPECT_NE(router_forwards(lab).find("dport 7450 dnat ip to 192.168.77.2:7450"), std::string::npos);
  const std::string invite = invite_from(out("server"));
  ASSERT_FALSE(invite.empty());
  const std::string wan_log = join(lab.wan, invite, "wan", 4, {"--play"});
  ASSERT_EQ(processes_.back()->wait(40), 0) << read_file(out("wan"));
  EXPECT_GT(verified_frames(wan_log), 60) << read_file(out("wan"));
  server.signal(SIGTERM);
  EXPECT_GE(server.wait(20), 0);
  EXPECT_EQ(router_forwards(lab).find("7450"), std::string::npos) << router_forwards(lab);
}

TEST_F(Reach, PortMapLeaseIsRenewedBeforeTheRouterDropsIt) {
  const Lab lab = up("public", "upnp+natpmp");
  serve(lab, {"--port-mapping-lease", "10"});
  ASSERT_TRUE(wait_for_text(out("server"), "reachable from the internet", 20)) << read_file(out("server"));
  // The router drops a 10 s lease after 10 s (miniupnpd does; checked below with one of its
  // own); at 16 s the session's is still there because the node renewed it at 5 and 10 s.
  auto other = test::run_process({"/usr/bin/ip", "netns", "exec", lab.lan, "/usr/bin/upnpc", "-e", "other", "-a",
                                  "192.168.77.2", "7470", "7470", "UDP", "10"},
                                 20);
  ASSERT_EQ(other.exit_code, 0) << other.output;
  ASSERT_NE(router_forwards(lab).find("dport 7470"), std::string::npos);
  std::this_thread::sleep_for(std::chrono::seconds(16));
  const std::string forwards = router_forwards(lab);
  EXPECT_EQ(forwards.find("dport 7470"), std::string::npos) << "the router kept a lease it should have dropped";
  EXPECT_NE(forwards.find("dport 7450 dnat ip to 192.168.77.2:7450"), std::string::npos)
      << "the session's mapping was not renewed:\n" << forwards << read_file(out("server"));
  EXPECT_EQ(read_file(out("server")).find("no longer reachable"), std::string::npos);
}

TEST_F(Reach, PortMapTakesTheNextPortWhenAnotherDeviceHoldsItAndLeavesThatOneAlone) {
  const Lab lab = up("public", "upnp-open");
  // Another device on the LAN (192.168.77.3) already has udp/7450 on the router.
  auto other = test::run_process({"/usr/bin/ip", "netns", "exec", lab.lan, "/usr/bin/upnpc", "-e", "camera", "-a",
                                  "192.168.77.3", "7450", "7450", "UDP"},
                                 20);
  ASSERT_EQ(other.exit_code, 0) << other.output;
  auto& server = serve(lab);
  ASSERT_TRUE(wait_for_text(out("server"), "reachable from the internet at " + lab.router_wan + ":7451", 20))
      << read_file(out("server"));
  EXPECT_NE(read_file(out("server")).find("udp/7450 was taken on the router, so it forwards udp/7451"), std::string::npos);
  const std::string invite = invite_from(out("server"));
  ASSERT_EQ(invite.rfind("lockstep://" + lab.router_wan + ":7451?fp=", 0), 0u) << invite;
  const std::string wan_log = join(lab.wan, invite, "wan", 3, {"--play"});
  ASSERT_EQ(processes_.back()->wait(40), 0) << read_file(out("wan"));
  EXPECT_GT(verified_frames(wan_log), 30);
  server.signal(SIGTERM);
  EXPECT_GE(server.wait(20), 0);
  const std::string forwards = router_forwards(lab);
  EXPECT_NE(forwards.find("dport 7450 dnat ip to 192.168.77.3:7450"), std::string::npos)
      << "the other device's mapping was touched:\n" << forwards;
  EXPECT_EQ(forwards.find("dport 7451"), std::string::npos) << forwards;
}

// A router that cannot help: the host says why, in words, and the session still works on the
// LAN (a node on the router's LAN side joins the host's LAN address).
struct Unhelpful {
  const char* wan_kind;
  const char* router_kind;
  const char* says;
};

void PrintTo(const Unhelpful& u, std::ostream* os) { *os << u.wan_kind << " WAN, router " << u.router_kind; }

class ReachUnhelpfulRouter : public Reach, public ::testing::WithParamInterface<Unhelpful> {};

TEST_P(ReachUnhelpfulRouter, SaysWhyAndTheSessionStillWorksOnTheLan) {
  const Unhelpful u = GetParam();
  const Lab lab = up(u.wan_kind, u.router_kind);
  serve(lab);
  ASSERT_TRUE(wait_for_text(out("server"), u.says, 20)) << read_file(out("server"));
  EXPECT_EQ(read_file(out("server")).find("invite from the internet"), std::string::npos);
  EXPECT_EQ(router_forwards(lab).find("7450"), std::string::npos);
  const std::string log = join(lab.router, "192.168.77.2:7450", "lan-node", 3, {"--play"});
  ASSERT_EQ(processes_.back()->wait(40), 0) << read_file(out("lan-node"));
  EXPECT_GT(verified_frames(log), 30);
}

INSTANTIATE_TEST_SUITE_P(
    PortMap, ReachUnhelpfulRouter,
    ::testing::Values(Unhelpful{"public", "none", "no router answered UPnP or NAT-PMP; turn on UPnP (or NAT-PMP) in "
                                                  "the router's settings, or forward udp/7450 to 192.168.77.2 by hand"},
                      Unhelpful{"public", "refuse", "the router 'lockstep test router' refused to forward udp/7450 "
                                                    "(UPnP error 606: Action not authorized)"},
                      Unhelpful{"cgnat", "upnp+natpmp", "says it has no public internet address of its own (it is "
                                                        "behind another router, or the provider's shared carrier-grade NAT)"}),
    [](const auto& info) {
      return std::string(info.param.router_kind == std::string("none")     ? "NoRouter"
                         : info.param.router_kind == std::string("refuse") ? "Refusing"
                                                                            : "CgnatAddress");
    });

TEST_F(Reach, LanSessionIsListedAndJoinedFromTheList) {
  const Lab lab = up("public", "none");
  start_avahi(lab);
  serve(lab, {"--no-port-mapping"});
  ASSERT_TRUE(wait_for_text(out("server"), "announcing the session on this network", 10)) << read_file(out("server"));
  // A second node on the LAN lists the session, and joins it with the link it printed.
  start(lab.lan, {test::player_path(), "join", "--list", "--list-wait", "3"}, "list");
  ASSERT_EQ(processes_.back()->wait(20), 0) << read_file(out("list"));
  const std::string listed = read_file(out("list"));
  EXPECT_NE(listed.find("1 session on this network:"), std::string::npos) << listed;
  EXPECT_NE(listed.find("media: session_320x180_30_12s.mp4 · password: no"), std::string::npos) << listed;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(listed, m, std::regex("(lockstep://192\\.168\\.77\\.2:7450\\?fp=SHA256:\\S+)")))
      << listed;
  const std::string log = join(lab.lan, m[1].str(), "lan-node", 3, {"--play"});
  ASSERT_EQ(processes_.back()->wait(40), 0) << read_file(out("lan-node"));
  EXPECT_GT(verified_frames(log), 30);
  // The server left: the list is empty again.
  processes_.front()->signal(SIGTERM);
  EXPECT_GE(processes_.front()->wait(20), 0);
  start(lab.lan, {test::player_path(), "join", "--list", "--list-wait", "2"}, "list-after");
  ASSERT_EQ(processes_.back()->wait(20), 0) << read_file(out("list-after"));
  EXPECT_NE(read_file(out("list-after")).find("no lockstep sessions announced"), std::string::npos)
      << read_file(out("list-after"));
}

TEST_F(Reach, NoAvahiDaemonIsSaidOnceAndTheHostCarriesOn) {
  const Lab lab = up("public", "none");
  serve(lab, {"--no-port-mapping"});
  ASSERT_TRUE(wait_for_text(out("server"), "LAN discovery is off: no Avahi daemon answers", 10)) << read_file(out("server"));
  const std::string log = join(lab.router, "192.168.77.2:7450", "lan-node", 3, {"--play"});
  ASSERT_EQ(processes_.back()->wait(40), 0) << read_file(out("lan-node"));
  EXPECT_GT(verified_frames(log), 30);
  const std::string said = read_file(out("server"));
  size_t count = 0;
  for (size_t at = said.find("LAN discovery is off"); at != std::string::npos; at = said.find("LAN discovery is off", at + 1))
    ++count;
  EXPECT_EQ(count, 1u) << said;
  start(lab.lan, {test::player_path(), "join", "--list"}, "list");
  EXPECT_EQ(processes_.back()->wait(20), 1);
  EXPECT_NE(read_file(out("list")).find("install and start it (apt install avahi-daemon)"), std::string::npos);
}

TEST_F(Reach, NoPortMappingFlagAsksNoRouter) {
  const Lab lab = up("public", "upnp+natpmp");
  serve(lab, {"--no-port-mapping"});
  ASSERT_TRUE(wait_for_text(out("server"), "port mapping is off (--no-port-mapping)", 10)) << read_file(out("server"));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(router_forwards(lab).find("7450"), std::string::npos);
  EXPECT_EQ(read_file(lab.dir + "/miniupnpd.log").find("AddPortMapping"), std::string::npos);
}

}  // namespace
}  // namespace lockstep
