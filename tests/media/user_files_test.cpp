// Files made by the ffmpeg CLI the way users make them (support/user_clips.h): MPEG-TS with
// interlaced 4:2:2 H.264 in open GOPs and a 1.4 s start time, a file whose first frame is at
// 5 s, audio that starts 1 s after the video. Every frame decodes to the index it carries,
// seeks land on the exact frame, and audio sits on the video's time line.
#include <gtest/gtest.h>

#include <random>

#include "framecode/framecode.h"
#include "media/av_picture.h"
#include "media/media_reader.h"
#include "support/test_media.h"
#include "support/user_clips.h"

namespace lockstep {
namespace {

std::unique_ptr<MediaReader> open_reader(const std::string& path, bool audio = false) {
  MediaReaderParams p;
  p.path = path;
  p.hwdec = HwDecode::None;
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

/// Reads the whole file from frame 0: every frame comes once, in order, carrying its index.
void expect_every_frame(const std::string& path, int64_t frames) {
  auto reader = open_reader(path);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->info().frame_count, frames);
  reader->start(0);
  for (int64_t expected = 0; expected < frames; ++expected) {
    auto f = reader->video().pop(std::chrono::seconds(10));
    ASSERT_TRUE(f) << "no frame " << expected << " (the reader gave up: "
                   << reader->stream_error() << ")";
    ASSERT_EQ(f->index, expected);
    ASSERT_EQ(pixel_index(*f), expected) << "pixels of frame " << expected;
  }
  EXPECT_FALSE(reader->video().pop(std::chrono::milliseconds(300)).has_value());
  EXPECT_TRUE(reader->video_ended());
  EXPECT_EQ(reader->stream_error(), "");
}

TEST(MediaUserFiles, MpegTsInterlaced422OpenGopDecodesEveryFrameFromItsStart) {
  const std::string path = test::ts_interlaced_422_clip();
  ASSERT_FALSE(path.empty());
  auto reader = open_reader(path);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->info().pixel_format, "yuv422p");
  expect_every_frame(path, 50);
}

TEST(MediaUserFiles, MpegTsSeeksLandOnTheExactFrameInOpenGops) {
  const std::string path = test::ts_interlaced_422_clip();
  ASSERT_FALSE(path.empty());
  auto reader = open_reader(path);
  ASSERT_TRUE(reader);
  reader->start(0);
  std::mt19937 rng(99);
  std::uniform_int_distribution<int64_t> pick(0, 49);
  // The ends first: frame 0 (the seek to it landed past the only way in, before) and the last.
  std::vector<int64_t> targets{0, 49, 12, 11, 13};
  for (int i = 0; i < 10; ++i) targets.push_back(pick(rng));
  int serial = 0;
  for (const int64_t target : targets) {
    reader->seek(target, ++serial);
    std::optional<VideoFrame> f;
    do {
      f = reader->video().pop(std::chrono::seconds(10));
      ASSERT_TRUE(f) << "no frame after a seek to " << target;
    } while (f->serial != serial);
    EXPECT_EQ(f->index, target);
    EXPECT_EQ(pixel_index(*f), target);
  }
}

TEST(MediaUserFiles, FileStartingAtFiveSecondsNumbersFramesFromItsStart) {
  const std::string path = test::late_start_clip();
  ASSERT_FALSE(path.empty());
  expect_every_frame(path, 60);
}

TEST(MediaUserFiles, LateAudioStartKeepsItsPlaceOnTheVideoTimeline) {
  const std::string path = test::late_audio_clip();
  ASSERT_FALSE(path.empty());
  auto reader = open_reader(path, /*audio=*/true);
  ASSERT_TRUE(reader);
  ASSERT_TRUE(reader->info().has_audio);
  reader->start(0);
  std::vector<float> mono;
  int64_t first = -1;
  while (true) {
    while (reader->video().try_pop()) {}  // keep the demuxer going
    auto c = reader->audio().pop(std::chrono::seconds(3));
    if (!c) break;
    if (first < 0) first = c->first_sample;
    for (size_t i = 0; i < c->samples.size(); i += 2) mono.push_back(c->samples[i]);
  }
  ASSERT_GE(first, 0);
  EXPECT_NEAR(double(first), 48000.0, 1100.0) << "the first sample is 1 s into the video";
  const auto onsets = framecode::find_mark_onsets(mono.data(), mono.size(), 48000);
  ASSERT_GE(onsets.size(), 1u);
  // The source's mark at its frame 0 plays 1 s after the video's frame 0, to the ms.
  EXPECT_NEAR(double(first) + onsets[0], 48000.0, 48.0);
}

}  // namespace
}  // namespace lockstep
