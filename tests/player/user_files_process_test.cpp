// `lockstep play` on files made by the ffmpeg CLI the way users make them (MPEG-TS interlaced
// 4:2:2 with MP2 audio, a 5 s start time, audio starting late), and the end of a file: each
// plays to its end and the process exits by itself with every frame read back right; a file
// with nothing decodable ends the node with a message naming it, headless and in a window;
// a window quits at the end unless --keep-open.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "core/time.h"
#include "present_log.h"
#include "support/alsa_file_device.h"
#include "support/test_media.h"
#include "support/user_clips.h"

namespace lockstep {
namespace {

namespace fs = std::filesystem;
using test::read_present_log;
using test::run_process;

bool have_display() {
  const char* d = std::getenv("DISPLAY");
  return d && *d;
}

/// Plays `clip` headless with --verify-frames to its end: exit 0 by itself, every presented
/// frame read back as the one intended, the last frame reached. Appends the node's output to
/// `output` when given.
void expect_plays_to_the_end(const std::string& clip, int64_t last_frame,
                             const std::vector<std::string>& extra = {"--audio-device", "none"},
                             const std::vector<std::string>& env = {}, std::string* output = nullptr) {
  ASSERT_FALSE(clip.empty());
  const std::string log = test::scratch_dir("user_files") + "/" + fs::path(clip).filename().string() + ".jsonl";
  std::vector<std::string> argv{test::player_path(), "play", "--headless", "--verify-frames",
                                "--present-log", log};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(clip);
  const auto r = run_process(argv, 120, env);
  if (output) *output += r.output;
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("wrong 0  unreadable 0"), std::string::npos) << r.output;
  const auto lines = read_present_log(log);
  ASSERT_FALSE(lines.empty());
  for (const auto& l : lines) {
    ASSERT_TRUE(l.readback.has_value()) << "frame " << l.frame << " unreadable";
    EXPECT_EQ(*l.readback, l.frame);
  }
  EXPECT_EQ(lines.front().frame, 0);
  EXPECT_EQ(lines.back().frame, last_frame);
}

TEST(MediaPlayback, MpegTsInterlaced422PlaysToTheEndWithEveryFrameRight) {
  std::string output;
  expect_plays_to_the_end(test::ts_interlaced_422_clip(), 49, {"--audio-device", "none"}, {}, &output);
  EXPECT_NE(output.find("deinterlacing with bwdif (interlaced frames)"), std::string::npos) << output;
}

TEST(MediaPlayback, DeinterlaceOptionChoosesWhetherFramesAreDeinterlaced) {
  const std::string clip = test::interlaced_motion_clip();
  for (const char* mode : {"auto", "yes", "no"}) {
    std::string output;
    expect_plays_to_the_end(clip, 24, {"--audio-device", "none", "--deinterlace", mode}, {}, &output);
    EXPECT_EQ(output.find("deinterlacing with bwdif") != std::string::npos, std::string(mode) != "no")
        << mode << ":\n" << output;
  }
  const auto bad = run_process({test::player_path(), "play", "--headless", "--deinterlace", "maybe", clip}, 30);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("unknown --deinterlace value 'maybe': use auto, yes or no"), std::string::npos)
      << bad.output;
}

TEST(MediaPlayback, FileStartingAtFiveSecondsPlaysFromItsFirstFrame) {
  expect_plays_to_the_end(test::late_start_clip(), 59);
}

TEST(MediaPlayback, LateAudioStartPlaysToTheEndWithSound) {
  const std::string raw = test::scratch_dir("user_files") + "/late_audio.raw";
  expect_plays_to_the_end(test::late_audio_clip(), 89, {}, test::alsa_file_device_env(raw));
  // The sound was played: the marks of the source's seconds 0 and 1 among others.
  EXPECT_GT(test::read_raw_floats(raw).size(), size_t(48000));
}

// The display matrix: files stored turned or mirrored, whose matrix turns them upright. Their
// frame tags read back only when the matrix is honoured the right way round.
class TurnedFile : public ::testing::TestWithParam<const char*> {};

TEST_P(TurnedFile, PlaysUprightToTheEnd) {
  std::string output;
  expect_plays_to_the_end(test::turned_clip(GetParam()), 29, {"--audio-device", "none"}, {}, &output);
  EXPECT_NE(output.find("shown at 640x360"), std::string::npos) << output;
}

INSTANTIATE_TEST_SUITE_P(MediaPlayback, TurnedFile,
                         ::testing::Values("rotate90", "rotate180", "rotate270", "hflip", "transpose"));

TEST(MediaPlayback, AnamorphicFilePlaysAtItsDisplaySize) {
  std::string output;
  expect_plays_to_the_end(test::anamorphic_clip(), 24, {"--audio-device", "none"}, {}, &output);
  EXPECT_NE(output.find("720x576 h264 25.000 fps, 25 frames, shown at 1024x576"), std::string::npos)
      << output;
}

/// An MPEG-TS file whose head (with its only keyframe) was cut off: nothing in it decodes.
std::string headless_ts() {
  const std::string ts = test::ffmpeg_clip(
      "h264_one_keyframe.ts",
      {"-i", test::clip("h264_640x360_30_60.mp4", {"--size", "640x360", "--fps", "30", "--frames", "60"}),
       "-c:v", "libx264", "-x264opts", "keyint=600", "-an", "-f", "mpegts"});
  if (ts.empty()) return "";
  const std::string cut = test::scratch_dir("user_files") + "/no-keyframe.ts";
  std::ifstream in(ts, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  const size_t skip = (bytes.size() / 2) / 188 * 188;  // whole TS packets
  std::ofstream(cut, std::ios::binary) << bytes.substr(skip);
  return cut;
}

/// An MP4 whose last 40 % of media data was overwritten with zeros: its container announces
/// 60 frames, the decoder finds about 27.
std::string damaged_mp4() {
  const std::string src =
      test::clip("h264_640x360_30_60.mp4", {"--size", "640x360", "--fps", "30", "--frames", "60"});
  if (src.empty()) return "";
  const std::string out = test::scratch_dir("user_files") + "/damaged.mp4";
  std::ifstream in(src, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  const size_t mdat = bytes.find("mdat"), moov = bytes.find("moov");
  if (mdat == std::string::npos || moov == std::string::npos || moov < mdat) return "";
  const size_t from = mdat + (moov - 4 - mdat) * 6 / 10;
  std::fill(bytes.begin() + long(from), bytes.begin() + long(moov - 4), '\0');
  std::ofstream(out, std::ios::binary) << bytes;
  return out;
}

TEST(MediaPlayback, FileThatEndsEarlyEndsTheNodeWithAMessage) {
  const std::string damaged = damaged_mp4();
  ASSERT_FALSE(damaged.empty()) << "the clip has no mdat before its moov";
  std::vector<std::vector<std::string>> modes = {{"--headless"}};
  // A window used to stay open forever; --keep-open does not hold a file that broke off.
  if (have_display()) modes.insert(modes.end(), {{"--no-overlay"}, {"--keep-open"}});
  for (const auto& mode : modes) {
    std::vector<std::string> argv{test::player_path(), "play", "--audio-device", "none"};
    argv.insert(argv.end(), mode.begin(), mode.end());
    argv.push_back(damaged);
    const auto r = run_process(argv, 60);
    EXPECT_EQ(r.exit_code, 3) << mode.front() << ": " << r.output;
    EXPECT_NE(r.output.find(damaged + "' ends at frame"), std::string::npos) << r.output;
  }
}

TEST(MediaPlayback, FileWithNothingDecodableIsRefusedWithAMessage) {
  const std::string cut = headless_ts();
  ASSERT_FALSE(cut.empty());
  const auto r = run_process({test::player_path(), "play", "--headless", "--audio-device", "none", cut}, 60);
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_LT(r.exit_code, 128) << "killed, not ended: " << r.output;
  EXPECT_NE(r.output.find(cut + "'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("damaged, or was cut without a keyframe"), std::string::npos) << r.output;
}

TEST(MediaPlayback, SoundOnlyFilePlaysToItsEndHeadlessAndInAWindow) {
  const std::string sound = test::audio_only_clip();
  ASSERT_FALSE(sound.empty());
  std::vector<std::vector<std::string>> modes = {{"--headless"}};
  if (have_display()) modes.push_back({"--no-overlay"});
  for (const auto& mode : modes) {
    const std::string log = test::scratch_dir("user_files") + "/sound_only" + mode.front() + ".jsonl";
    std::vector<std::string> argv{test::player_path(), "play", "--audio-device", "none", "--present-log", log};
    argv.insert(argv.end(), mode.begin(), mode.end());
    argv.push_back(sound);
    const auto r = run_process(argv, 60);
    ASSERT_EQ(r.exit_code, 0) << mode.front() << ": " << r.output;
    EXPECT_NE(r.output.find("sound only (aac"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("shown as a level meter on a 25 fps grid"), std::string::npos) << r.output;
    const auto lines = read_present_log(log);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.front().frame, 0);
    EXPECT_GE(lines.back().frame, 49) << "quit before the end";
    std::set<int64_t> frames;
    for (const auto& l : lines) frames.insert(l.frame);
    EXPECT_EQ(int64_t(frames.size()), lines.back().frame + 1) << mode.front() << ": a frame of the grid was skipped";
  }
}

// ------------------------------------------------------------------------------------------
// The end of a file in a window: quit, as mpv does, unless --keep-open.

TEST(PlayerWindow, EndOfFileQuitsTheWindow) {
  if (!have_display()) GTEST_SKIP() << "no DISPLAY: ./tools/run-tests starts Xvfb for this test";
  const std::string clip =
      test::clip("h264_640x360_30_30.mp4", {"--size", "640x360", "--fps", "30", "--frames", "30"});
  ASSERT_FALSE(clip.empty());
  const std::string log = test::scratch_dir("user_files") + "/window_end.jsonl";
  const auto r = run_process({test::player_path(), "play", "--audio-device", "none", "--present-log",
                              log, clip},
                             60);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const auto lines = read_present_log(log);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back().frame, 29) << "quit before the last frame";
}

TEST(PlayerWindow, KeepOpenStaysOnTheLastFrameUntilQuit) {
  if (!have_display()) GTEST_SKIP() << "no DISPLAY: ./tools/run-tests starts Xvfb for this test";
  const std::string clip =
      test::clip("h264_640x360_30_30.mp4", {"--size", "640x360", "--fps", "30", "--frames", "30"});
  ASSERT_FALSE(clip.empty());
  const std::string dir = test::scratch_dir("user_files");
  const std::string log = dir + "/window_keep_open.jsonl";
  fs::remove(log);
  test::ChildProcess node({test::player_path(), "play", "--audio-device", "none", "--keep-open",
                           "--present-log", log, clip},
                          dir + "/keep_open.out");
  // Wait until the last frame has been shown for a while (the window keeps refreshing it).
  const int64_t deadline = monotonic_ns() + 60 * kNsPerSec;
  size_t at_end = 0;
  while (monotonic_ns() < deadline) {
    const auto lines = read_present_log(log);
    at_end = 0;
    for (const auto& l : lines) at_end += l.frame == 29 ? 1 : 0;
    if (at_end >= 40) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GE(at_end, 40u) << "the last frame was not held";
  EXPECT_EQ(node.wait(0.1), -1) << "the window quit at the end despite --keep-open";
  const auto search = run_process({"/usr/bin/xdotool", "search", "--pid", std::to_string(node.pid())}, 10);
  const std::string wid = search.output.substr(0, search.output.find('\n'));
  ASSERT_FALSE(wid.empty()) << search.output;
  run_process({"/usr/bin/xdotool", "windowfocus", "--sync", wid}, 10);
  run_process({"/usr/bin/xdotool", "key", "q"}, 10);
  EXPECT_EQ(node.wait(20), 0) << "q did not quit";
}

/// The size of the window of a node playing `clip` (looping), read from the X server.
std::pair<int, int> window_size_for(const std::string& clip, const std::string& name) {
  const std::string dir = test::scratch_dir("user_files");
  const std::string log = dir + "/" + name + "_window.jsonl";
  fs::remove(log);
  test::ChildProcess node({test::player_path(), "play", "--audio-device", "none", "--loop", "--no-overlay",
                           "--present-log", log, clip},
                          dir + "/" + name + "_window.out");
  const int64_t deadline = monotonic_ns() + 30 * kNsPerSec;
  while (read_present_log(log).size() < 5 && monotonic_ns() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_GE(read_present_log(log).size(), 5u) << "the window did not play";
  const auto search = run_process({"/usr/bin/xdotool", "search", "--pid", std::to_string(node.pid())}, 10);
  const std::string wid = search.output.substr(0, search.output.find('\n'));
  const auto geometry = run_process({"/usr/bin/xdotool", "getwindowgeometry", "--shell", wid}, 10);
  int width = 0, height = 0;
  const size_t w = geometry.output.find("WIDTH="), h = geometry.output.find("HEIGHT=");
  if (w != std::string::npos) width = std::atoi(geometry.output.c_str() + w + 6);
  if (h != std::string::npos) height = std::atoi(geometry.output.c_str() + h + 7);
  EXPECT_GT(width, 0) << geometry.output;
  run_process({"/usr/bin/xdotool", "windowfocus", "--sync", wid}, 10);
  run_process({"/usr/bin/xdotool", "key", "q"}, 10);
  EXPECT_EQ(node.wait(20), 0) << "q did not quit";
  return {width, height};
}

TEST(PlayerWindow, OpensAtTheDisplaySize) {
  if (!have_display()) GTEST_SKIP() << "no DISPLAY: ./tools/run-tests starts Xvfb for this test";
  const std::string anamorphic = test::anamorphic_clip(), turned = test::turned_clip("rotate90");
  ASSERT_FALSE(anamorphic.empty());
  ASSERT_FALSE(turned.empty());
  EXPECT_EQ(window_size_for(anamorphic, "anamorphic"), std::pair(1024, 576)) << "720x576 at 64:45";
  EXPECT_EQ(window_size_for(turned, "rotate90"), std::pair(640, 360)) << "360x640 turned a quarter";
}

}  // namespace
}  // namespace lockstep
