// Audio between two nodes of one session, heard the way a listener would: both `lockstep`
// processes play into one private PulseAudio null sink, each on its own channel (remap sinks
// left_only and right_only), and the sink's monitor is recorded. Every second the clip has a
// tone mark; the marks of the two nodes must line up within 1 ms (p99).
//
// What makes this measurable (each of these once made the test flaky or silent):
//  - the null sink does not rewind (norewinds=1, in PulseDaemon): rewinds splice re-rendered
//    audio into the monitor, so the recording was no longer one real-time timeline;
//  - PulseDaemon returns once pactl lists every sink, so a node never connects before its
//    remap sink exists; MonitorRecorder returns once samples reach the file;
//  - the first mark, which a session start cuts into by a different amount on each node, is
//    not compared; the others are paired one-to-one in order, so a node a whole mark period
//    off cannot pass by being paired with the wrong mark.
// The nodes log at debug level: a failure message shows their audio alignments and re-syncs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/stats.h"
#include "framecode/framecode.h"
#include "support/alsa_file_device.h"
#include "support/pulse_daemon.h"
#include "support/test_media.h"

namespace lockstep {
namespace {

using test::ChildProcess;

constexpr int kRate = 48000;
constexpr double kMarkPeriodS = 1.0;  // the clip has a mark every 30 frames at 30 fps

/// A UDP port for this test run (RUN_SERIAL; differs from the session_sync_tests ports by pid).
int test_port(int k) {
  static const int base = 21000 + int(getpid() % 2000) * 4;
  return base + k;
}

std::vector<double> onsets_of(const std::vector<float>& interleaved, int channel) {
  const auto mono = test::deinterleave(interleaved, 2, channel);
  return framecode::find_mark_onsets(mono.data(), mono.size(), kRate);
}

/// The lines of a node's output that tell what its audio did (for failure messages).
std::string audio_lines(const std::string& path) {
  std::ifstream in(path);
  std::string line, out;
  while (std::getline(in, line))
    if (line.find("audio") != std::string::npos || line.find("error") != std::string::npos ||
        line.find("played") != std::string::npos)
      out += "    " + line + "\n";
  return out;
}

struct MarkPairing {
  std::vector<double> offsets_ms;  // right minus left, per pair, in recording order
  size_t unpaired_head = 0;        // marks before the first pair (either channel)
  size_t unpaired_inside = 0;      // marks between pairs
  size_t unpaired_tail = 0;        // marks after the last pair
};

/// Pairs the marks of the two channels one-to-one, in order: a left and a right mark less
/// than half a mark period apart are the same mark. A node that plays a whole period late
/// leaves its partner's first mark unpaired instead of being paired with the next one.
MarkPairing pair_marks(const std::vector<double>& left, const std::vector<double>& right) {
  MarkPairing p;
  const double half = 0.5 * kMarkPeriodS * kRate;
  size_t i = 0, j = 0, unpaired = 0;
  while (i < left.size() && j < right.size()) {
    const double d = right[j] - left[i];
    if (std::abs(d) < half) {
      if (p.offsets_ms.empty()) p.unpaired_head = unpaired;
      else p.unpaired_inside += unpaired;
      unpaired = 0;
      p.offsets_ms.push_back(d * 1000.0 / kRate);
      ++i, ++j;
    } else {
      ++unpaired;
      (d > 0 ? i : j)++;
    }
  }
  unpaired += (left.size() - i) + (right.size() - j);
  if (p.offsets_ms.empty()) p.unpaired_head = unpaired;
  else p.unpaired_tail = unpaired;
  return p;
}

/// Largest deviation from the mark period between consecutive marks of one channel, ms.
double worst_spacing_error_ms(const std::vector<double>& onsets) {
  double worst = 0;
  for (size_t k = 1; k < onsets.size(); ++k) {
    const double gap_ms = (onsets[k] - onsets[k - 1]) * 1000.0 / kRate;
    const double periods = std::max(1.0, std::round(gap_ms / (kMarkPeriodS * 1000.0)));
    worst = std::max(worst, std::abs(gap_ms - periods * kMarkPeriodS * 1000.0));
  }
  return worst;
}

std::string seconds_list(const std::vector<double>& onsets) {
  std::ostringstream s;
  s.precision(4);
  s << std::fixed;
  for (double o : onsets) s << o / kRate << " ";
  return s.str();
}

const char* kClipName = "session_audio_320x180_30_10s.mp4";

std::string session_audio_clip() {
  return test::clip(kClipName, {"--size", "320x180", "--fps", "30", "--duration", "10"});
}

/// A session of the clip; the right node also gets `right_extra` on its command line.
void expect_marks_line_up(const std::string& test_name, int port_k, const std::vector<std::string>& right_extra) {
  const std::string dir = test::scratch_dir(test_name);
  test::PulseDaemon pulse(dir, "mix", /*split_channels=*/true);
  if (!pulse.ok()) GTEST_SKIP() << pulse.error();
  const std::string clip = session_audio_clip();
  ASSERT_FALSE(clip.empty());
  const int port = test_port(port_k);
  ChildProcess server({test::player_path(), "serve", "--port", std::to_string(port), clip, "--duration", "16"},
                      dir + "/server.out");
  const std::string rec = dir + "/mix.raw";
  test::MonitorRecorder recorder(pulse, rec);
  ASSERT_TRUE(recorder.ok()) << "parec recorded nothing from mix.monitor (see " << pulse.log_path() << ")";
  const std::string addr = "127.0.0.1:" + std::to_string(port);
  auto env_for = [&](const std::string& sink, const std::string& sim) {
    auto env = pulse.env();
    env.push_back("PULSE_SINK=" + sink);
    env.push_back("LOCKSTEP_LOG=debug");  // the audio feeder's alignments and re-syncs
    if (!sim.empty()) env.push_back("LOCKSTEP_SIM_CLOCK=" + sim);
    return env;
  };
  auto node = [&](const std::string& name, const std::string& sink, const std::string& sim,
                  std::vector<std::string> extra) {
    std::vector<std::string> argv{test::player_path(), "join", addr, "--headless", "--name", name,
                                  "--duration", "8", "--media-dir", test::clip_dir()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<ChildProcess>(argv, dir + "/" + name + ".out", env_for(sink, sim));
  };
  // One node with a simulated clock far off (and drifting), one with the true clock.
  auto left = node("left", "left_only", "offset=-3s,drift=150ppm", {});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::vector<std::string> right_args{"--play"};
  right_args.insert(right_args.end(), right_extra.begin(), right_extra.end());
  auto right = node("right", "right_only", "", right_args);
  // Where the daemon routed the nodes' streams, for the failure message.
  std::this_thread::sleep_for(std::chrono::seconds(4));
  const std::string routing = "sinks:\n" + pulse.pactl({"list", "short", "sinks"}) +
                              "sink inputs (index, sink, client, driver, format):\n" +
                              pulse.pactl({"list", "short", "sink-inputs"});
  EXPECT_EQ(left->wait(40), 0);
  EXPECT_EQ(right->wait(40), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  recorder.stop();

  const auto samples = test::read_raw_floats(rec);
  const double recorded_s = double(samples.size() / 2) / kRate;
  const auto l = onsets_of(samples, 0), r = onsets_of(samples, 1);
  const std::string context = "recorded " + std::to_string(recorded_s) + " s; left marks at " + seconds_list(l) +
                              "\nright marks at " + seconds_list(r) + "\n" + routing + "left node:\n" +
                              audio_lines(dir + "/left.out") + "right node:\n" + audio_lines(dir + "/right.out");
  std::printf("left marks (s):  %s\nright marks (s): %s\n", seconds_list(l).c_str(), seconds_list(r).c_str());
  ASSERT_GE(l.size(), 5u) << "the left node's marks were not heard\n" << context;
  ASSERT_GE(r.size(), 5u) << "the right node's marks were not heard\n" << context;

  // A session start cuts into the first mark: audio due before the first samples can reach
  // the device (the output latency, after the play time) is trimmed, by a different amount
  // on each node. Marks are compared from the second period on.
  const double compare_from = std::min(l.front(), r.front()) + 0.5 * kMarkPeriodS * kRate;
  auto after_start = [&](std::vector<double> v) {
    v.erase(v.begin(), std::lower_bound(v.begin(), v.end(), compare_from));
    return v;
  };
  const auto lc = after_start(l), rc = after_start(r);
  const MarkPairing p = pair_marks(lc, rc);
  std::vector<double> abs_ms;
  for (double o : p.offsets_ms) abs_ms.push_back(std::abs(o));
  std::sort(abs_ms.begin(), abs_ms.end());
  ASSERT_GE(abs_ms.size(), 5u) << "too few marks heard from both nodes\n" << context;
  const double p50 = percentile_of_sorted(abs_ms, 0.5), p99 = percentile_of_sorted(abs_ms, 0.99), max = abs_ms.back();
  double mean = 0;
  for (double o : p.offsets_ms) mean += o / double(p.offsets_ms.size());
  const double spacing_l = worst_spacing_error_ms(lc), spacing_r = worst_spacing_error_ms(rc);
  std::printf("audio marks of two nodes: %zu matched (unmatched: %zu before, %zu between, %zu after); "
              "|right - left| p50 %.3f ms, p99 %.3f ms, max %.3f ms (mean signed %+.3f ms); "
              "mark spacing off by at most %.3f ms (left), %.3f ms (right)\n",
              abs_ms.size(), p.unpaired_head, p.unpaired_inside, p.unpaired_tail, p50, p99, max, mean,
              spacing_l, spacing_r);
  // Both nodes start on the same session time: their first marks are the same mark.
  EXPECT_EQ(p.unpaired_head, 0u) << "a node's first mark has no partner (a node a whole mark late?)\n" << context;
  EXPECT_EQ(p.unpaired_inside, 0u) << "a node skipped a mark the other played\n" << context;
  EXPECT_LE(p99, 1.0) << context;
}

TEST(SessionAudio, TwoNodesMarksLineUpWithinOneMillisecond) { expect_marks_line_up("session_audio", 2, {}); }

/// A screening room's sound node: it plays a sound-only copy of the session's file (made by
/// `ffmpeg -vn -c:a copy`, the way users split sound from picture) in its place, and its
/// marks line up with those of the node playing the picture file.
TEST(SessionAudio, ASoundOnlyStandInLinesUpWithThePictureNode) {
  const std::string clip = session_audio_clip();
  ASSERT_FALSE(clip.empty());
  const std::string sound = test::ffmpeg_clip("session_audio_sound_only.m4a", {"-i", clip, "-vn", "-c:a", "copy"});
  ASSERT_FALSE(sound.empty());
  expect_marks_line_up("session_audio_stand_in", 3, {"--stand-in", std::string(kClipName) + "=" + sound});
  std::ifstream out(test::scratch_dir("session_audio_stand_in") + "/right.out");
  const std::string text((std::istreambuf_iterator<char>(out)), {});
  EXPECT_NE(text.find("sound only (aac"), std::string::npos) << "the right node did not play the sound file:\n" << text;
  EXPECT_NE(text.find("played 8."), std::string::npos) << text;
}

}  // namespace
}  // namespace lockstep
