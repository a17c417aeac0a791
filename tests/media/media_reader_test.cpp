// MediaReader against generated clips: every decoded frame carries the index the reader
// says it has (read from its pixels), seeks land on the exact frame, audio is decoded to
// the requested format, and hardware decode falls back to software when missing.
#include <gtest/gtest.h>

#include <random>

#include "framecode/framecode.h"
#include "media/av_picture.h"
#include "media/media_reader.h"
#include "support/test_media.h"

namespace lockstep {
namespace {

struct ClipCase {
  std::string name;
  std::vector<std::string> args;
  double fps;
  int64_t frames;
};

std::unique_ptr<MediaReader> open_reader(const std::string& path, HwDecode hw = HwDecode::None,
                                         bool audio = false) {
  MediaReaderParams p;
  p.path = path;
  p.hwdec = hw;
  p.decode_audio = audio;
  auto r = MediaReader::open(p);
  EXPECT_TRUE(r.ok()) << r.error();
  return r.ok() ? std::move(r.value()) : nullptr;
}

int64_t pixel_index(const VideoFrame& f) {
  auto rgba = ffmpeg_rgba(*f.frame);
  if (!rgba) return -1;
  auto idx = framecode::read_frame_index(rgba->data(), f.frame->width, f.frame->height,
                                         f.frame->width * 4);
  return idx ? *idx : -1;
}

class EveryFrame : public ::testing::TestWithParam<ClipCase> {};

TEST_P(EveryFrame, DecodesToTheIndexItCarries) {
  const ClipCase& c = GetParam();
  const std::string path = test::clip(c.name, c.args);
  ASSERT_FALSE(path.empty());
  auto reader = open_reader(path);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->info().frame_count, c.frames);
  EXPECT_NEAR(reader->info().fps(), c.fps, 1e-3);
  reader->start(0);
  int64_t expected = 0;
  while (expected < c.frames) {
    auto f = reader->video().pop(std::chrono::seconds(10));
    ASSERT_TRUE(f) << "no frame " << expected;
    ASSERT_EQ(f->index, expected);
    ASSERT_EQ(pixel_index(*f), expected) << "pixels of frame " << expected;
    ++expected;
  }
  EXPECT_FALSE(reader->video().pop(std::chrono::milliseconds(300)).has_value());
  EXPECT_TRUE(reader->video_ended());
  EXPECT_EQ(reader->stream_error(), "");
}

INSTANTIATE_TEST_SUITE_P(
    Formats, EveryFrame,
    ::testing::Values(
        ClipCase{"h264_420_30.mp4", {"--size", "320x180", "--fps", "30", "--frames", "60"}, 30.0, 60},
        ClipCase{"h264_420p10_23976.mp4",
                 {"--size", "320x180", "--fps", "23.976", "--frames", "48", "--pix-fmt", "yuv420p10le"},
                 24000.0 / 1001, 48},
        ClipCase{"hevc_420_2997.mp4",
                 {"--size", "320x180", "--fps", "29.97", "--frames", "45", "--codec", "hevc"},
                 30000.0 / 1001, 45},
        ClipCase{"vp9_444_25.webm",
                 {"--size", "320x180", "--fps", "25", "--frames", "40", "--codec", "vp9", "--pix-fmt", "yuv444p"},
                 25.0, 40},
        ClipCase{"prores_422p10_50.mov",
                 {"--size", "320x180", "--fps", "50", "--frames", "50", "--codec", "prores", "--pix-fmt", "yuv422p10le"},
                 50.0, 50}),
    [](const auto& info) {
      std::string n = info.param.name;
      for (char& ch : n) if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

TEST(MediaReaderSeek, LandsOnTheExactFrameBetweenKeyframes) {
  const std::string path = test::clip(
      "h264_seek_gop48.mp4", {"--size", "320x180", "--fps", "30", "--frames", "240", "--gop", "48"});
  ASSERT_FALSE(path.empty());
  auto reader = open_reader(path);
  ASSERT_TRUE(reader);
  reader->start(0);
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int64_t> pick(0, 239);
  int non_keyframes = 0;
  for (int serial = 1; serial <= 20; ++serial) {
    const int64_t target = pick(rng);
    if (target % 48 != 0) ++non_keyframes;
    reader->seek(target, serial);
    std::optional<VideoFrame> f;
    do {
      f = reader->video().pop(std::chrono::seconds(10));
      ASSERT_TRUE(f) << "no frame after seek to " << target;
    } while (f->serial != serial);
    EXPECT_EQ(f->index, target);
    EXPECT_EQ(pixel_index(*f), target);
  }
  EXPECT_GE(non_keyframes, 15);
}

TEST(MediaReaderLoop, ContinuesWithUnwrappedIndices) {
  const std::string path =
      test::clip("h264_loop_30.mp4", {"--size", "320x180", "--fps", "30", "--frames", "30"});
  ASSERT_FALSE(path.empty());
  auto reader = open_reader(path);
  ASSERT_TRUE(reader);
  reader->set_loop(true);
  reader->start(25);
  for (int64_t expected = 25; expected < 70; ++expected) {
    auto f = reader->video().pop(std::chrono::seconds(10));
    ASSERT_TRUE(f);
    EXPECT_EQ(f->unwrapped, expected);
    EXPECT_EQ(f->index, expected % 30);
  }
}

TEST(MediaReaderAudio, DecodesToTheOutputFormatOnTheVideoTimeline) {
  const std::string path = test::clip(
      "h264_aac_51.mp4", {"--size", "320x180", "--fps", "30", "--frames", "90", "--channels", "6"});
  ASSERT_FALSE(path.empty());
  auto reader = open_reader(path, HwDecode::None, /*audio=*/true);
  ASSERT_TRUE(reader);
  EXPECT_TRUE(reader->info().has_audio);
  EXPECT_EQ(reader->info().audio_channels, 6);
  reader->start(0);
  std::vector<float> mono;
  int64_t next = -1;
  while (mono.size() < 48000 * 2) {
    // Keep video flowing so the demuxer is never stuck on a full video queue.
    while (reader->video().try_pop()) {}
    auto c = reader->audio().pop(std::chrono::seconds(5));
    if (!c) break;
    if (next >= 0) {
      EXPECT_EQ(c->first_sample, next) << "audio chunks are contiguous";
    } else {
      EXPECT_LE(c->first_sample, 48);  // starts at the clip's start
    }
    next = c->first_sample + int64_t(c->samples.size() / 2);
    for (size_t i = 0; i < c->samples.size(); i += 2) mono.push_back(c->samples[i]);
  }
  ASSERT_GE(mono.size(), size_t(48000));
  const auto onsets = framecode::find_mark_onsets(mono.data(), mono.size(), 48000);
  ASSERT_GE(onsets.size(), 2u);
  // Marks every 30 frames = every second: the spacing is right within 1 ms.
  for (size_t i = 1; i < onsets.size(); ++i) EXPECT_NEAR(onsets[i] - onsets[i - 1], 48000.0, 48.0);
  EXPECT_NEAR(onsets[0], 0.0, 48.0) << "the first mark is at the clip's start";
}

TEST(HardwareDecode, FallsBackToSoftwareWhenUnavailable) {
  const std::string path =
      test::clip("h264_420_30.mp4", {"--size", "320x180", "--fps", "30", "--frames", "60"});
  ASSERT_FALSE(path.empty());
  for (HwDecode mode : {HwDecode::Auto, HwDecode::Cuda, HwDecode::Vaapi, HwDecode::Vulkan}) {
    auto reader = open_reader(path, mode);
    ASSERT_TRUE(reader) << to_string(mode);
    reader->start(0);
    auto f = reader->video().pop(std::chrono::seconds(10));
    ASSERT_TRUE(f) << to_string(mode);
    EXPECT_EQ(pixel_index(*f), 0);
    if (reader->decoder_description() == "software") continue;
    // A machine with a working hardware decoder: the frames must still be right.
    RecordProperty("hwdec", reader->decoder_description());
  }
  EXPECT_FALSE(parse_hwdec("quantum").ok());
  EXPECT_NE(parse_hwdec("quantum").error().find("quantum"), std::string::npos);
}

}  // namespace
}  // namespace lockstep
