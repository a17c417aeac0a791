// Loop in/out points in a session: a client sets a loop range and turns looping on with
// scheduled commands; both nodes (real `lockstep` processes over UDP on loopback) then show
// only the range's frames, wrapping from its last frame to its first, in sync. What they
// presented is read from their present logs (frames read back from the pixels).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

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

int test_port(int k) { return test::session_port(25000, k); }

/// How a node's frames went once the loop range was reached.
struct LoopFacts {
  int64_t first_in_range_ns = -1;  // first line showing a frame >= 30
  int64_t first_wrap_ns = -1;      // first switch from the range's last frame to its first
  int64_t wraps = 0;
  int64_t outside = 0;  // lines after first_in_range_ns outside 30..59
  int64_t first_outside = -1;
  int64_t playing_lines = 0;
};

LoopFacts loop_facts(const skew::NodeLog& log) {
  LoopFacts f;
  int64_t prev = -1;
  for (const auto& l : log.lines) {
    if (f.first_in_range_ns < 0 && l.shown >= 30) f.first_in_range_ns = l.t_ns;
    if (f.first_in_range_ns >= 0) {
      if (l.shown < 30 || l.shown > 59) {
        ++f.outside;
        if (f.first_outside < 0) f.first_outside = l.shown;
      }
      if (!l.paused) ++f.playing_lines;
      if (prev == 59 && l.shown == 30) {
        ++f.wraps;
        if (f.first_wrap_ns < 0) f.first_wrap_ns = l.t_ns;
      }
    }
    prev = l.shown;
  }
  return f;
}

void expect_frames_verified(const std::string& out_path) {
  std::ifstream in(out_path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(text.find("wrong 0  unreadable 0"), std::string::npos) << out_path << ":\n" << text;
}

TEST(SessionLoop, ALoopRangeSetByAClientPlaysOnlyItsFramesOnEveryNodeInSync) {
  const std::string clip = session_clip();
  ASSERT_FALSE(clip.empty());
  const std::string dir = test::scratch_dir("session_loop");
  const int port = test_port(0);
  ChildProcess server(
      {test::player_path(), "serve", "--port", std::to_string(port), clip, "--duration", "14"},
      dir + "/server.out");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string addr = "127.0.0.1:" + std::to_string(port);
  auto a = start_node(dir, "a", addr, "offset=-2s,drift=-100ppm", 8);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto b = start_node(dir, "b", addr, "offset=1.5s,drift=100ppm", 8,
                      {"--play", "--commands", "1 loop-range 30 60; 1.2 loop on"});
  for (NodeRun* n : {&a, &b}) EXPECT_EQ(n->process->wait(40), 0) << n->out;

  std::vector<skew::NodeLog> logs;
  for (NodeRun* n : {&a, &b}) {
    auto log = skew::read_present_log(n->log);
    ASSERT_TRUE(log.ok()) << n->log << ": " << (log.ok() ? "" : log.error());
    logs.push_back(std::move(*log));
  }
  int64_t wraps_from = 0;
  for (size_t i = 0; i < logs.size(); ++i) {
    const LoopFacts f = loop_facts(logs[i]);
    std::printf(
        "node %zu: %lld wraps 59 -> 30, %lld of %lld lines outside 30..59 once in the range\n", i,
        static_cast<long long>(f.wraps), static_cast<long long>(f.outside),
        static_cast<long long>(f.playing_lines));
    ASSERT_GE(f.first_in_range_ns, 0) << logs[i].name << " never reached frame 30";
    EXPECT_EQ(f.outside, 0) << logs[i].name << " showed frame " << f.first_outside
                            << " outside the loop range";
    EXPECT_GE(f.wraps, 3) << logs[i].name << ": about 5 s of a 1 s loop";
    wraps_from = std::max(wraps_from, f.first_wrap_ns);
  }
  for (NodeRun* n : {&a, &b}) expect_frames_verified(n->out);

  // In sync across the wraps: frame switches paired loop by loop, from the first wrap on.
  ASSERT_GT(wraps_from, 0);
  const int64_t start = std::max(logs[0].lines.front().t_ns, logs[1].lines.front().t_ns);
  skew::SkewParams p;
  p.after_s = double(wraps_from - start) / 1e9;
  auto r = skew::analyse(logs, p);
  ASSERT_TRUE(r.ok()) << r.error();
  std::printf("%s", skew::format_text(*r).c_str());
  ASSERT_EQ(r->pairs.size(), 1u);
  EXPECT_GT(r->pairs[0].abs.count, 60);
#ifndef LOCKSTEP_SANITIZE_BUILD  // ASan slows every frame: timing is measured in normal builds
  EXPECT_LE(r->pairs[0].abs.p99_ms, 2.0);
#endif
  EXPECT_GT(r->agreement.session_ticks, 60);
  EXPECT_GE(r->agreement.session_tick_share, 0.99);
}

}  // namespace
}  // namespace lockstep
