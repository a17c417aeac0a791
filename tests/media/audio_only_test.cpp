// Audio-only files (support/user_clips.h): they open on a 25 fps grid of level-meter
// pictures drawn from their sound, every frame comes once and in order, a seek lands on its
// frame, the sound decodes beside the pictures, and the bars show the level of each frame's
// own interval. A file with neither picture nor sound is refused with a message.
#include <gtest/gtest.h>

#include <fstream>

#include "media/level_picture.h"
#include "media/media_reader.h"
#include "support/test_media.h"
#include "support/user_clips.h"

namespace lockstep {
namespace {

std::unique_ptr<MediaReader> open_reader(const std::string& path, bool audio) {
  MediaReaderParams p;
  p.path = path;
  p.hwdec = HwDecode::None;
  p.decode_audio = audio;
  auto r = MediaReader::open(p);
  EXPECT_TRUE(r.ok()) << r.error();
  return r.ok() ? std::move(r.value()) : nullptr;
}

/// How far up channel `ch`'s bar is lit, 0..1 (read from the luma plane at the bar's middle).
double bar_height(const VideoFrame& f, int ch, int channels) {
  const AVFrame& a = *f.frame;
  const LevelBar b = level_bar(ch, channels, a.width, a.height);
  const int x = (b.x0 + b.x1) / 2;
  int lit = 0;
  for (int y = b.top; y < b.bottom; ++y)
    if (a.data[0][size_t(y) * a.linesize[0] + x] > 100) ++lit;  // green, yellow and red are bright
  return double(lit) / (b.bottom - b.top);
}

TEST(AudioOnly, OpensAsLevelPicturesOnA25FpsGridAndPlaysEveryFrameWithItsSound) {
  const std::string path = test::audio_only_clip();
  ASSERT_FALSE(path.empty());
  auto reader = open_reader(path, true);
  ASSERT_TRUE(reader);
  const MediaInfo& mi = reader->info();
  EXPECT_TRUE(mi.audio_only);
  EXPECT_TRUE(mi.has_audio);
  EXPECT_EQ(mi.fps_num, 25);
  EXPECT_EQ(mi.fps_den, 1);
  EXPECT_EQ(mi.width, kAudioOnlyWidth);
  EXPECT_EQ(mi.display_height, kAudioOnlyHeight);
  // 2 s of AAC: 50 frames, one more when the encoder's padding reaches past 2 s.
  EXPECT_GE(mi.frame_count, 50);
  EXPECT_LE(mi.frame_count, 51);
  EXPECT_EQ(reader->decoder_description(), "none (audio only)");
  reader->start(0);
  for (int64_t expected = 0; expected < mi.frame_count; ++expected) {
    auto f = reader->video().pop(std::chrono::seconds(10));
    ASSERT_TRUE(f) << "no frame " << expected << " (" << reader->stream_error() << ")";
    ASSERT_EQ(f->index, expected);
    EXPECT_EQ(f->frame->width, kAudioOnlyWidth);
    // Keep the sound flowing (its queue is bounded).
    while (reader->audio().pop(std::chrono::milliseconds(0))) {}
  }
  EXPECT_FALSE(reader->video().pop(std::chrono::milliseconds(300)).has_value());
  EXPECT_TRUE(reader->video_ended());
  EXPECT_EQ(reader->stream_error(), "");
}

TEST(AudioOnly, TheBarsShowTheLevelOfEachFramesOwnSound) {
  const std::string path = test::tone_then_silence_clip();
  ASSERT_FALSE(path.empty());
  auto reader = open_reader(path, false);
  ASSERT_TRUE(reader);
  ASSERT_EQ(reader->info().frame_count, 50);
  reader->start(0);
  std::vector<double> heights;
  while (auto f = reader->video().pop(std::chrono::seconds(5))) {
    heights.push_back(bar_height(*f, 0, 1));
    if (f->index == 49) break;
  }
  ASSERT_EQ(heights.size(), 50u);
  for (int k : {2, 12, 23}) EXPECT_NEAR(heights[k], 0.9, 0.03) << "frame " << k << ": -6 dBFS is 54 of 60 dB";
  for (int k : {27, 40, 49}) EXPECT_EQ(heights[k], 0.0) << "frame " << k << ": silence";
}

TEST(AudioOnly, ASeekLandsOnItsFrame) {
  auto reader = open_reader(test::tone_then_silence_clip(), true);
  ASSERT_TRUE(reader);
  reader->start(0);
  reader->seek(37, 1);
  auto f = reader->video().pop(std::chrono::seconds(5));
  while (f && f->serial != 1) f = reader->video().pop(std::chrono::seconds(5));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->index, 37);
  auto next = reader->video().pop(std::chrono::seconds(5));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->index, 38);
}

TEST(AudioOnly, AFileWithNeitherPictureNorSoundIsRefusedWithAMessage) {
  const std::string path = test::scratch_dir("audio_only") + "/only_subtitles.srt";
  std::ofstream(path) << "1\n00:00:00,000 --> 00:00:01,000\nhello\n";
  MediaReaderParams p;
  p.path = path;
  auto r = MediaReader::open(p);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("neither a video nor an audio stream"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find(path), std::string::npos) << r.error();
}

}  // namespace
}  // namespace lockstep
