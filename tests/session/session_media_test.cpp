// A session with more than one file: a node sends Load, and every node opens the new file
// (in the same window or headless target) and lands on the same frames of it, in sync.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/time.h"
#include "skew/skew_analysis.h"
#include "support/test_media.h"

namespace lockstep {
namespace {

namespace fs = std::filesystem;
using test::ChildProcess;

int test_port(int k) {
  static const int base = 27000 + int(getpid() % 2000) * 4;
  return base + k;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

/// The frame shown and whether paused at true time `t` (the last line at or before it).
std::pair<int64_t, bool> shown_at(const skew::NodeLog& log, int64_t t) {
  std::pair<int64_t, bool> out{-1, false};
  for (const auto& l : log.lines) {
    if (l.t_ns > t) break;
    out = {l.shown, l.paused};
  }
  return out;
}

TEST(SessionMedia, LoadSwitchesEveryNodeToTheSameFrameOfTheNewFile) {
  const std::string first = test::clip("session_320x180_30_12s.mp4",
                                       {"--size", "320x180", "--fps", "30", "--duration", "12", "--no-audio"});
  const std::string second = test::clip("session_320x180_25_8s.mp4",
                                        {"--size", "320x180", "--fps", "25", "--duration", "8", "--no-audio"});
  ASSERT_FALSE(first.empty() || second.empty());
  const std::string dir = test::scratch_dir("session_load");
  const int port = test_port(0);
  ChildProcess server({test::player_path(), "serve", "--port", std::to_string(port), first, second,
                       "--duration", "16"},
                      dir + "/server.out");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string addr = "127.0.0.1:" + std::to_string(port);
  auto node = [&](const std::string& name, std::vector<std::string> extra) {
    const std::string log = dir + "/" + name + ".jsonl";
    fs::remove(log);
    std::vector<std::string> argv{test::player_path(), "join", addr, "--headless", "--audio-device", "none",
                                  "--verify-frames", "--present-log", log, "--name", name, "--duration", "9",
                                  "--media-dir", test::clip_dir()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<ChildProcess>(argv, dir + "/" + name + ".out");
  };
  auto a = node("a", {"--play"});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int64_t b_start = monotonic_ns();
  auto b = node("b", {"--commands", "3 load 1; 4.5 play"});
  EXPECT_EQ(a->wait(40), 0) << read_file(dir + "/a.out");
  EXPECT_EQ(b->wait(40), 0) << read_file(dir + "/b.out");
  for (const char* n : {"a", "b"}) {
    const std::string out = read_file(dir + "/" + n + ".out");
    EXPECT_NE(out.find("opening it here"), std::string::npos) << n << " did not open the new file:\n" << out;
    EXPECT_NE(out.find("session_320x180_25_8s.mp4"), std::string::npos) << out;
  }
  auto la = skew::read_present_log(dir + "/a.jsonl");
  auto lb = skew::read_present_log(dir + "/b.jsonl");
  ASSERT_TRUE(la.ok() && lb.ok());
  // Loaded (paused at its first frame) before play: both show frame 0 of the new file.
  const int64_t loaded_t = b_start + int64_t(4.2 * 1e9);
  const auto pa = shown_at(*la, loaded_t), pb = shown_at(*lb, loaded_t);
  if (test::kTimingAsserted) {
    EXPECT_TRUE(pa.second && pb.second) << "not paused after Load";
    EXPECT_EQ(pa.first, 0);
    EXPECT_EQ(pb.first, 0);
  }
  // Then playing the new file (25 fps, from 0) in sync.
  skew::SkewParams p;
  p.after_s = double(b_start + int64_t(5.0 * 1e9) - std::max(la->lines.front().t_ns, lb->lines.front().t_ns)) / 1e9;
  auto r = skew::analyse({*la, *lb}, p);
  ASSERT_TRUE(r.ok()) << r.error();
  std::printf("%s", skew::format_text(*r).c_str());
  ASSERT_EQ(r->pairs.size(), 1u);
  EXPECT_GT(r->pairs[0].abs.count, 50);
#ifndef LOCKSTEP_SANITIZE_BUILD
  EXPECT_LE(r->pairs[0].abs.p99_ms, 2.0);
#endif
  if (test::kTimingAsserted) {
    EXPECT_GE(r->agreement.session_tick_share, 0.99);
  }
  const int64_t late = b_start + int64_t(8.0 * 1e9);
  const int64_t at_late = shown_at(*la, late).first;
  if (test::kTimingAsserted) {
    EXPECT_GT(at_late, 50) << "the new file did not play";
  }
  EXPECT_LT(at_late, 100) << "frame " << at_late << " at 3.5 s of a 25 fps file that began at 4.5 s";
  for (const char* n : {"a", "b"})
    EXPECT_NE(read_file(dir + "/" + n + ".out").find("wrong 0  unreadable 0"), std::string::npos) << n;
}

}  // namespace
}  // namespace lockstep
