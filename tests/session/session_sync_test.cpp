// Several nodes on this machine in one session, each a real `lockstep` process over UDP,
// some with a simulated clock offset and drift (LOCKSTEP_SIM_CLOCK). What they presented is
// read from their present logs (true monotonic times, frames read from the pixels) and
// compared: this is the ground truth for "every screen shows the same frame".
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "core/time.h"
#include "skew/skew_analysis.h"
#include "session/session_nodes.h"
#include "support/test_media.h"

namespace lockstep {
namespace {

namespace fs = std::filesystem;
using test::ChildProcess;

using test::NodeRun;
using test::session_clip;
using test::start_node;

int test_port(int k) { return test::session_port(21000, k); }

std::unique_ptr<ChildProcess> start_server(const std::string& dir, int port, const std::string& clip,
                                           double duration_s, const std::string& tag = "server",
                                           const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{test::player_path(), "serve", "--port", std::to_string(port), clip,
                                "--duration", std::to_string(duration_s)};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return std::make_unique<ChildProcess>(argv, dir + "/" + tag + ".out");
}

skew::SkewReport analyse(const std::vector<std::string>& logs, double after_s) {
  std::vector<skew::NodeLog> parsed;
  for (const auto& l : logs) {
    auto log = skew::read_present_log(l);
    EXPECT_TRUE(log.ok()) << l << ": " << (log.ok() ? "" : log.error());
    if (log) parsed.push_back(std::move(*log));
  }
  skew::SkewParams p;
  p.after_s = after_s;
  auto r = skew::analyse(parsed, p);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error());
  std::printf("%s", r.ok() ? skew::format_text(*r).c_str() : "");
  return r.ok() ? *r : skew::SkewReport{};
}

void expect_sync(const skew::SkewReport& r, double p99_bound_ms, double share) {
  ASSERT_FALSE(r.pairs.empty());
  for (const auto& p : r.pairs) {
    EXPECT_GT(p.abs.count, 60) << "nodes " << p.a << "/" << p.b << " shared too few frame switches";
#ifndef LOCKSTEP_SANITIZE_BUILD  // ASan slows every frame: timing is measured in normal builds
    EXPECT_LE(p.abs.p99_ms, p99_bound_ms) << "nodes " << p.a << " and " << p.b;
#else
    (void)p99_bound_ms;
#endif
  }
  EXPECT_GT(r.agreement.session_ticks, 60);
  if (test::kTimingAsserted) {
    EXPECT_GE(r.agreement.session_tick_share, share);
  }
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

void expect_frames_verified(const std::string& out_path) {
  const std::string text = read_text(out_path);
  EXPECT_NE(text.find("wrong 0  unreadable 0"), std::string::npos) << out_path << ":\n" << text;
}

TEST(SessionSync, ThreeNodesWithSimulatedClocksShowTheSameFrame) {
  const std::string clip = session_clip();
  ASSERT_FALSE(clip.empty());
  const std::string dir = test::scratch_dir("session_three");
  const int port = test_port(0);
  auto server = start_server(dir, port, clip, 14);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string addr = "127.0.0.1:" + std::to_string(port);
  auto a = start_node(dir, "a", addr, "offset=-5s,drift=-200ppm", 8);
  auto b = start_node(dir, "b", addr, "offset=3.2s,drift=200ppm", 8);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto c = start_node(dir, "c", addr, "offset=0.7s,drift=0ppm", 8, {"--play"});
  for (NodeRun* n : {&a, &b, &c}) EXPECT_EQ(n->process->wait(40), 0) << n->log;
  const auto r = analyse({a.log, b.log, c.log}, 1.0);
  expect_sync(r, 2.0, 0.99);
  for (const auto& e : r.clock_errors) EXPECT_LE(e.abs.p99_ms, 0.5) << "node " << e.node;
  for (const char* n : {"a", "b", "c"}) expect_frames_verified(dir + "/" + n + ".out");
}

TEST(SessionSync, ThroughAnImpairedNetworkStaysInSync) {
  const std::string clip = session_clip();
  ASSERT_FALSE(clip.empty());
  const std::string dir = test::scratch_dir("session_impaired");
  const int port = test_port(1), relay_port = test_port(2);
  auto server = start_server(dir, port, clip, 16);
  ChildProcess relay({test::tool_path("lockstep-impair"), "--listen", "127.0.0.1:" + std::to_string(relay_port),
                      "--to", "127.0.0.1:" + std::to_string(port), "--delay", "20ms", "--jitter", "5ms",
                      "--loss", "2%", "--duration", "18s", "--seed", "7"},
                     dir + "/relay.out");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string addr = "127.0.0.1:" + std::to_string(relay_port);
  auto a = start_node(dir, "a", addr, "offset=-5s,drift=-200ppm", 10);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto b = start_node(dir, "b", addr, "offset=3.2s,drift=200ppm", 10, {"--play"});
  for (NodeRun* n : {&a, &b}) EXPECT_EQ(n->process->wait(40), 0) << n->log;
  const auto r = analyse({a.log, b.log}, 2.0);
  expect_sync(r, 4.0, 0.98);
}

/// Two nodes, `a` through lockstep-impair with `relay_args`, `b` straight to the server; the
/// report from their present logs.
skew::SkewReport run_pair_through(const std::string& tag, const std::vector<std::string>& relay_args,
                                  const std::vector<std::string>& a_args = {}, std::string* a_output = nullptr) {
  const std::string clip = session_clip();
  EXPECT_FALSE(clip.empty());
  const std::string dir = test::scratch_dir(tag);
  const int port = test_port(0), relay_port = test_port(2);
  auto server = start_server(dir, port, clip, 16);
  std::vector<std::string> argv{test::tool_path("lockstep-impair"), "--listen", "127.0.0.1:" + std::to_string(relay_port),
                                "--to", "127.0.0.1:" + std::to_string(port), "--duration", "18s", "--seed", "5"};
  argv.insert(argv.end(), relay_args.begin(), relay_args.end());
  ChildProcess relay(argv, dir + "/relay.out");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto a = start_node(dir, "a", "127.0.0.1:" + std::to_string(relay_port), "offset=-5s,drift=-200ppm", 11, a_args);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto b = start_node(dir, "b", "127.0.0.1:" + std::to_string(port), "offset=3.2s,drift=200ppm", 11, {"--play"});
  for (NodeRun* n : {&a, &b}) EXPECT_EQ(n->process->wait(40), 0) << n->log;
  if (a_output) {
    std::ifstream in(a.out);
    a_output->assign(std::istreambuf_iterator<char>(in), {});
  }
  return analyse({a.log, b.log}, 2.0);
}

TEST(SessionSync, ThroughARouteChangeEverySessionTickShowsTheSameFrame) {
  // 20 ms each way, stepping to 120 ms from 3 s to 6 s after the relay started, and back.
  const auto r = run_pair_through("session_route_change", {"--delay", "20ms", "--jitter", "2ms", "--step-delay", "120ms",
                                                           "--step-at", "3s", "--step-for", "3s"});
  std::printf("%s", skew::format_text(r).c_str());
  // The estimator takes the step without letting the node jump: no wrong frame, and the
  // switches stay together.
  expect_sync(r, 4.0, 1.0);
}

TEST(SessionSync, AConnectionLosingAThirdOfItsPacketsEachWayStaysUp) {
  // 80 ms ± 25 ms and 35 % loss each way. ENet's own timeout (a reliable packet, such as its
  // own pings, unacknowledged after a few retries) dropped such connections within
  // seconds (in 2 of 7 runs of this test before the change). Once joined, only silence
  // means the server is gone.
  std::string out;
  const auto r = run_pair_through("session_lossy", {"--delay", "80ms", "--jitter", "25ms", "--loss", "35%"}, {}, &out);
  std::printf("%s", skew::format_text(r).c_str());
  const auto joined = out.find("session: joined");
  ASSERT_NE(joined, std::string::npos) << out;
  EXPECT_EQ(out.find("lost the server", joined), std::string::npos) << out;
  ASSERT_EQ(r.pairs.size(), 1u);
  EXPECT_GT(r.agreement.session_ticks, 10);  // joining through such loss takes a few seconds
}

TEST(SessionSync, ThroughAnAsymmetricPathEveryTickShowsTheSameFrameAndTheErrorIsHalfTheAsymmetry) {
  // 30 ms towards the server, 5 ms back: no four-timestamp exchange can see this; the node
  // behind it takes the session clock (25 ms / 2) = 12.5 ms off, and shows each frame that
  // much off in time, but always the session's frame (docs/performance.md: the remedy is
  // the node's latency offset).
  const auto r = run_pair_through("session_asymmetric", {"--profile", "asymmetric"});
  std::printf("%s", skew::format_text(r).c_str());
  ASSERT_EQ(r.pairs.size(), 1u);
  EXPECT_GT(r.agreement.session_ticks, 60);
  if (test::kTimingAsserted) {
    EXPECT_EQ(r.agreement.session_tick_share, 1.0);
    EXPECT_NEAR(r.pairs[0].mean_signed_ms, 12.5, 4.0) << "the bias is half the 25 ms asymmetry";
  }
  // The remedy: that node's latency offset (shown that much earlier; here later).
  const auto fixed = run_pair_through("session_asymmetric_offset", {"--profile", "asymmetric"}, {"--latency-offset", "-12.5"});
  std::printf("with --latency-offset -12.5 on the node behind the path:\n%s", skew::format_text(fixed).c_str());
  ASSERT_EQ(fixed.pairs.size(), 1u);
  if (test::kTimingAsserted) {
    EXPECT_EQ(fixed.agreement.session_tick_share, 1.0);
    EXPECT_LE(std::abs(fixed.pairs[0].mean_signed_ms), 2.0);
    EXPECT_LE(fixed.pairs[0].abs.p99_ms, 4.0);
  }
}

/// Asserts that `log` shows the session's frame on every playing line except holds after a
/// jump (see test::landing), and that it saw `min_jumps` jumps.
void expect_lands_exactly(const skew::NodeLog& log, const std::string& what, int64_t min_jumps) {
  const test::Landing l = test::landing(log);
  std::printf("%s: %lld lines exact, %lld held after %lld jumps, %lld wrong\n", what.c_str(),
              (long long)l.exact, (long long)l.held, (long long)l.jumps, (long long)l.wrong);
  if (test::kTimingAsserted) {
    EXPECT_EQ(l.wrong, 0) << what << ": " << l.first_wrong;
  }
  EXPECT_GE(l.jumps, min_jumps) << what;
  EXPECT_GT(l.exact, 60) << what;
}

TEST(SessionJoin, ALateJoinerIsOnTheRunningFrameWithinOneSecond) {
  const std::string clip = session_clip();
  ASSERT_FALSE(clip.empty());
  const std::string dir = test::scratch_dir("session_late");
  const int port = test_port(3);
  auto server = start_server(dir, port, clip, 14);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string addr = "127.0.0.1:" + std::to_string(port);
  auto a = start_node(dir, "a", addr, "", 10, {"--play"});
  std::this_thread::sleep_for(std::chrono::seconds(5));
  const int64_t joined = monotonic_ns();
  auto b = start_node(dir, "late", addr, "offset=2s,drift=100ppm", 4);
  for (NodeRun* n : {&a, &b}) EXPECT_EQ(n->process->wait(40), 0) << n->log;
  auto la = skew::read_present_log(a.log);
  auto lb = skew::read_present_log(b.log);
  ASSERT_TRUE(la && lb);
  ASSERT_FALSE(lb->lines.empty()) << "the late node presented nothing";
  std::printf("late node's first frame %.3f s after it was started\n",
              double(lb->lines.front().t_ns - joined) / 1e9);
  if (test::kTimingAsserted) {
    EXPECT_LE(double(lb->lines.front().t_ns - joined) / 1e9, 1.0 + 0.5) << "the first frame came late";
  }
  // From its very first line the joiner shows the session's frame: no catching up on screen.
  expect_lands_exactly(*lb, "late node", 1);
  expect_lands_exactly(*la, "node a", 1);
  auto r = skew::analyse({*la, *lb}, skew::SkewParams{});
  ASSERT_TRUE(r.ok()) << r.error();
  std::printf("%s", skew::format_text(*r).c_str());
  expect_sync(*r, 2.0, 1.0);
}

TEST(SessionJoin, ANodeThatMetThisServerBeforeStartsFromTheDriftItLearntThen) {
  // The memory is $XDG_CONFIG_HOME/lockstep/clock-drift: here one folder for the three
  // runs of one machine's node.
  const std::string clip = session_clip();
  ASSERT_FALSE(clip.empty());
  const std::string dir = test::scratch_dir("session_drift_memory");
  const std::string config = dir + "/config";
  fs::remove_all(config);
  const fs::path memory = fs::path(config) / "lockstep" / "clock-drift";
  const int port = test_port(3);
  auto server = start_server(dir, port, clip, 30, "server", {"--loop"});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string addr = "127.0.0.1:" + std::to_string(port);
  // First meeting: nothing remembered; once in step (about 5 s on loopback) it is saved.
  auto first = start_node(dir, "first", addr, "offset=2s,drift=137ppm", 12, {"--play"}, config);
  EXPECT_EQ(first.process->wait(40), 0) << first.log;
  const std::string first_out = read_text(first.out);
  EXPECT_EQ(first_out.find("remembered from an earlier run"), std::string::npos) << first_out;
  EXPECT_NE(first_out.find("clock in step"), std::string::npos) << first_out;
  const std::string saved = read_text(memory.string());
  const auto at = saved.find("+simulated-drift=137.000ppm ");
  ASSERT_NE(at, std::string::npos) << saved;
  // session - local runs slower than local by the simulated 137 ppm.
  EXPECT_NEAR(std::atof(saved.c_str() + saved.find(' ', at) + 1), -137.0, 2.0) << saved;
  // Second meeting (same server key, same simulated clock): it starts from it.
  auto second = start_node(dir, "second", addr, "offset=-1s,drift=137ppm", 4, {}, config);
  EXPECT_EQ(second.process->wait(40), 0) << second.log;
  const std::string second_out = read_text(second.out);
  const std::string said = "starting from this machine's clock drift against this server, ";
  const auto from = second_out.find(said);
  ASSERT_NE(from, std::string::npos) << second_out;
  EXPECT_NEAR(std::atof(second_out.c_str() + from + said.size()), -137.0, 2.0) << second_out;
  EXPECT_EQ(second_out.find("does not fit this run"), std::string::npos) << second_out;
  // A node with another clock has nothing remembered.
  auto other = start_node(dir, "other", addr, "drift=-50ppm", 3, {}, config);
  EXPECT_EQ(other.process->wait(40), 0) << other.log;
  EXPECT_EQ(read_text(other.out).find("remembered from an earlier run"), std::string::npos);
}

TEST(SessionJoin, OnALongGopClipAJoinerAndAFarSeekLandOnTheSessionFrame) {
  // One keyframe every 300 frames: the joiner (at about frame 150) and the seek to frame 280
  // each decode a long way from a keyframe before their first right frame.
  const std::string clip = test::clip("session_640x360_30_14s_gop300.mp4", {"--size", "640x360", "--fps", "30",
                                      "--duration", "14", "--gop", "300", "--no-audio"});
  ASSERT_FALSE(clip.empty());
  const std::string dir = test::scratch_dir("session_long_gop");
  const int port = test_port(3);
  auto server = start_server(dir, port, clip, 16);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string addr = "127.0.0.1:" + std::to_string(port);
  auto a = start_node(dir, "a", addr, "", 12, {"--play"});
  std::this_thread::sleep_for(std::chrono::seconds(4));
  auto b = start_node(dir, "late", addr, "offset=-3s,drift=100ppm", 7, {"--commands", "3 seek 280"});
  for (NodeRun* n : {&a, &b}) EXPECT_EQ(n->process->wait(40), 0) << n->log;
  auto la = skew::read_present_log(a.log);
  auto lb = skew::read_present_log(b.log);
  ASSERT_TRUE(la && lb);
  expect_lands_exactly(*lb, "late node", 2);
  expect_lands_exactly(*la, "node a", 2);
  // The seek lands on 280, or (when decoding 280 frames took longer than the command's lead)
  // on the frame due when it was ready: within half a second of it, never on one before.
  int64_t landed = -1;
  for (size_t i = 1; i < lb->lines.size() && landed < 0; ++i)
    if (lb->lines[i].due && *lb->lines[i].due >= 280 && *lb->lines[i - 1].due < 280) {
      for (size_t k = i; k < lb->lines.size() && landed < 0; ++k)
        if (lb->lines[k].shown >= 280) landed = lb->lines[k].shown;
    }
  std::printf("the seek to 280 landed on %lld\n", (long long)landed);
  EXPECT_GE(landed, 280);
  if (test::kTimingAsserted) {
    EXPECT_LE(landed, 295);
  }
  auto r = skew::analyse({*la, *lb}, skew::SkewParams{});
  ASSERT_TRUE(r.ok()) << r.error();
  std::printf("%s", skew::format_text(*r).c_str());
  expect_sync(*r, 2.0, 0.99);
  for (const char* n : {"a", "late"}) expect_frames_verified(dir + "/" + n + ".out");
}

TEST(SessionRestart, NodesPlayOnWhileTheServerIsDownAndRecoverWhenItReturns) {
  const std::string clip = session_clip();
  ASSERT_FALSE(clip.empty());
  const std::string dir = test::scratch_dir("session_restart");
  const int port = test_port(0);
  auto server = start_server(dir, port, clip, 30);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string addr = "127.0.0.1:" + std::to_string(port);
  auto a = start_node(dir, "a", addr, "offset=-1s,drift=150ppm", 11);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto b = start_node(dir, "b", addr, "offset=2s,drift=-150ppm", 11, {"--play"});
  std::this_thread::sleep_for(std::chrono::seconds(3));
  server->signal(SIGKILL);
  server->wait(5);
  const int64_t killed = monotonic_ns();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  // The nodes kept playing while the server was away.
  for (NodeRun* n : {&a, &b}) {
    auto log = skew::read_present_log(n->log);
    ASSERT_TRUE(log.ok());
    int64_t switches = 0, last = -1;
    for (const auto& l : log->lines)
      if (l.t_ns > killed && !l.paused && l.shown != last) ++switches, last = l.shown;
    EXPECT_GT(switches, 60) << n->log << " stopped while the server was down";
  }
  const int64_t restarted = monotonic_ns();
  auto server2 = start_server(dir, port, clip, 20, "server2");
  for (NodeRun* n : {&a, &b}) EXPECT_EQ(n->process->wait(40), 0) << n->log;
  auto la = skew::read_present_log(a.log);
  auto lb = skew::read_present_log(b.log);
  ASSERT_TRUE(la && lb);
  skew::SkewParams p;  // from 2 s after the server returned
  p.after_s = double(restarted + 2 * kNsPerSec - std::max(la->lines.front().t_ns, lb->lines.front().t_ns)) / 1e9;
  auto r = skew::analyse({*la, *lb}, p);
  ASSERT_TRUE(r.ok()) << r.error();
  std::printf("%s", skew::format_text(*r).c_str());
  expect_sync(*r, 2.0, 0.99);
  std::ifstream out(dir + "/server2.out");
  std::string text((std::istreambuf_iterator<char>(out)), {});
  EXPECT_NE(text.find("state restored"), std::string::npos) << text;
}

TEST(SessionRestart, ANodeThatFallsSilentLeavesTheTableAndRejoinsWhenItWakes) {
  // A stopped process (SIGSTOP) sends nothing, as a node behind a dead path: the server
  // drops it after 5 s of silence (its own rule, not ENet's: a joined node is not dropped for
  // unanswered resends), and the node, woken, sees the server's silence and rejoins.
  const std::string clip = session_clip();
  ASSERT_FALSE(clip.empty());
  const std::string dir = test::scratch_dir("session_silent");
  const int port = test_port(0);
  auto server = start_server(dir, port, clip, 24, "server", {"--loop"});  // the 12 s clip plays on
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string addr = "127.0.0.1:" + std::to_string(port);
  auto a = start_node(dir, "a", addr, "", 20, {"--play"});
  auto b = start_node(dir, "b", addr, "offset=1s,drift=100ppm", 20);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  b.process->signal(SIGSTOP);
  std::this_thread::sleep_for(std::chrono::seconds(8));
  b.process->signal(SIGCONT);
  const int64_t woken = monotonic_ns();
  for (NodeRun* n : {&a, &b}) EXPECT_EQ(n->process->wait(40), 0) << n->log;
  const std::string server_out = read_text(dir + "/server.out"), b_out = read_text(b.out);
  const auto dropped = server_out.find("sent nothing for 5 s: dropped from the session");
  ASSERT_NE(dropped, std::string::npos) << server_out;
  const auto line = server_out.rfind('\n', dropped) + 1;
  EXPECT_NE(server_out.substr(line, dropped - line).find("'b' (127.0.0.1:"), std::string::npos) << server_out;
  EXPECT_EQ(server_out.find("sent nothing", dropped + 1), std::string::npos) << "node a was never silent:\n" << server_out;
  const auto lost = b_out.find("lost the server");
  ASSERT_NE(lost, std::string::npos) << b_out;
  EXPECT_NE(b_out.find("session: joined", lost), std::string::npos) << "node b did not rejoin:\n" << b_out;
  // Node b presented frames again after it woke and rejoined.
  auto lb = skew::read_present_log(b.log);
  ASSERT_TRUE(lb.ok());
  int64_t after = 0;
  for (const auto& l : lb->lines)
    if (l.t_ns > woken + 4 * kNsPerSec && !l.paused) ++after;
  EXPECT_GT(after, 60) << b.log;
}

}  // namespace
}  // namespace lockstep

namespace lockstep {
namespace {

/// The frame a node showed at true time `t_ns` (its last line at or before), and whether paused.
std::pair<int64_t, bool> shown_at(const skew::NodeLog& log, int64_t t_ns) {
  std::pair<int64_t, bool> out{-1, false};
  for (const auto& l : log.lines) {
    if (l.t_ns > t_ns) break;
    out = {l.shown, l.paused};
  }
  return out;
}

TEST(SessionCommands, PauseSeekAndPlayFromAClientLandOnTheSameFrameEverywhere) {
  const std::string clip = session_clip();
  ASSERT_FALSE(clip.empty());
  const std::string dir = test::scratch_dir("session_commands");
  const int port = test_port(1);
  auto server = start_server(dir, port, clip, 16);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string addr = "127.0.0.1:" + std::to_string(port);
  auto a = start_node(dir, "a", addr, "offset=-5s,drift=200ppm", 9, {"--play"});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // 157 is not a keyframe (GOP 60): the seek decodes from frame 120 and drops the rest.
  auto b = start_node(dir, "b", addr, "offset=3.2s,drift=-200ppm", 8, {"--commands", "3 pause; 4 seek 157; 5 play"});
  for (NodeRun* n : {&a, &b}) EXPECT_EQ(n->process->wait(40), 0) << n->log;
  auto la = skew::read_present_log(a.log);
  auto lb = skew::read_present_log(b.log);
  ASSERT_TRUE(la && lb);
  // The commands count from when b started playing its part (its start-up time varies, a
  // lot under ASan): find when each took effect on b, then look at both nodes just after.
  auto first_after = [](const skew::NodeLog& log, int64_t from, auto pred) -> int64_t {
    for (const auto& l : log.lines)
      if (l.t_ns >= from && pred(l)) return l.t_ns;
    return -1;
  };
  const int64_t playing_t = first_after(*lb, 0, [](const auto& l) { return !l.paused; });
  ASSERT_GE(playing_t, 0) << "b never played";
  const int64_t pause_t = first_after(*lb, playing_t, [](const auto& l) { return l.paused; });
  ASSERT_GE(pause_t, 0) << "b never paused";
  // Between the pause and the seek: both paused, on the same frame.
  const int64_t paused_t = pause_t + 300 * kNsPerMs;
  const auto pa = shown_at(*la, paused_t), pb = shown_at(*lb, paused_t);
  EXPECT_TRUE(pa.second && pb.second) << "not paused everywhere";
  EXPECT_EQ(pa.first, pb.first) << "paused on different frames";
  // After the seek, still paused: both show frame 157 exactly.
  const int64_t seek_shown = first_after(*lb, pause_t, [](const auto& l) { return l.shown == 157; });
  ASSERT_GE(seek_shown, 0) << "b never showed frame 157";
  const int64_t seek_t = seek_shown + 300 * kNsPerMs;
  EXPECT_EQ(shown_at(*la, seek_t).first, 157);
  EXPECT_EQ(shown_at(*lb, seek_t).first, 157);
  EXPECT_TRUE(shown_at(*la, seek_t).second && shown_at(*lb, seek_t).second) << "not paused after the seek";
  // After play: frame switches together again.
  skew::SkewParams p;
  const int64_t resumed_t = first_after(*lb, seek_shown, [](const auto& l) { return !l.paused; });
  ASSERT_GE(resumed_t, 0) << "b did not play after the seek";
  p.after_s = double(resumed_t + 500 * kNsPerMs - std::max(la->lines.front().t_ns, lb->lines.front().t_ns)) / 1e9;
  auto r = skew::analyse({*la, *lb}, p);
  ASSERT_TRUE(r.ok()) << r.error();
  std::printf("%s", skew::format_text(*r).c_str());
  expect_sync(*r, 2.0, 0.99);
}

}  // namespace
}  // namespace lockstep
