// Deinterlacing (bwdif) in the reader: an interlaced picture with motion between its fields
// combs when shown as it is and not once deinterlaced; frame indices stay the file's; frames
// not flagged interlaced are left untouched by --deinterlace auto.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "framecode/framecode.h"
#include "media/av_picture.h"
#include "media/media_reader.h"
#include "support/test_media.h"
#include "support/user_clips.h"

namespace lockstep {
namespace {

std::vector<VideoFrame> read_all(const std::string& path, Deinterlace mode, int64_t frames) {
  MediaReaderParams p;
  p.path = path;
  p.hwdec = HwDecode::None;
  p.decode_audio = false;
  p.deinterlace = mode;
  auto r = MediaReader::open(p);
  EXPECT_TRUE(r.ok()) << r.error();
  std::vector<VideoFrame> out;
  if (!r.ok()) return out;
  (*r)->start(0);
  while (int64_t(out.size()) < frames) {
    auto f = (*r)->video().pop(std::chrono::seconds(10));
    if (!f) break;
    out.push_back(std::move(*f));
  }
  return out;
}

/// Mean combing of the luma rows [y0, y1): how far each line is from the mean of its two
/// neighbours, the signature of two fields from different instants woven together.
double combing(const AVFrame& f, int y0, int y1) {
  double sum = 0;
  for (int y = y0; y < y1; ++y) {
    const uint8_t* above = f.data[0] + (y - 1) * f.linesize[0];
    const uint8_t* row = f.data[0] + y * f.linesize[0];
    const uint8_t* below = f.data[0] + (y + 1) * f.linesize[0];
    for (int x = 0; x < f.width; ++x) sum += std::abs(2 * row[x] - above[x] - below[x]) / 2.0;
  }
  return sum / double((y1 - y0) * f.width);
}

int64_t pixel_index(const VideoFrame& f) {
  auto rgba = ffmpeg_rgba(*f.frame);
  if (!rgba) return -1;
  auto idx = framecode::read_frame_index(rgba->data(), f.frame->width, f.frame->height, f.frame->width * 4);
  return idx ? *idx : -1;
}

TEST(MediaDeinterlace, FieldsFromDifferentInstantsStopCombing) {
  const std::string path = test::interlaced_motion_clip();
  ASSERT_FALSE(path.empty());
  const auto woven = read_all(path, Deinterlace::No, 25);
  const auto auto_mode = read_all(path, Deinterlace::Auto, 25);
  ASSERT_EQ(woven.size(), 25u);
  ASSERT_EQ(auto_mode.size(), 25u);
  double comb_woven = 0, comb_auto = 0;
  for (size_t i = 0; i < 25; ++i) {
    EXPECT_EQ(auto_mode[i].index, int64_t(i));
    EXPECT_EQ(pixel_index(auto_mode[i]), int64_t(i)) << "tag of deinterlaced frame " << i;
    EXPECT_EQ(pixel_index(woven[i]), int64_t(i));
    comb_woven += combing(*woven[i].frame, 222, 338);
    comb_auto += combing(*auto_mode[i].frame, 222, 338);
  }
  std::printf("combing over the moving bar, mean per pixel: woven %.2f, deinterlaced %.2f\n",
              comb_woven / 25, comb_auto / 25);
  EXPECT_LT(comb_auto, comb_woven / 3);
}

TEST(MediaDeinterlace, AutoLeavesProgressiveFramesUntouched) {
  const std::string path =
      test::clip("h264_640x360_30_30.mp4", {"--size", "640x360", "--fps", "30", "--frames", "30"});
  ASSERT_FALSE(path.empty());
  const auto plain = read_all(path, Deinterlace::No, 30);
  const auto auto_mode = read_all(path, Deinterlace::Auto, 30);
  ASSERT_EQ(plain.size(), 30u);
  ASSERT_EQ(auto_mode.size(), 30u);
  for (size_t i = 0; i < 30; ++i) {
    const AVFrame& a = *plain[i].frame;
    const AVFrame& b = *auto_mode[i].frame;
    for (int y = 0; y < a.height; ++y)
      ASSERT_EQ(std::memcmp(a.data[0] + y * a.linesize[0], b.data[0] + y * b.linesize[0], size_t(a.width)), 0)
          << "frame " << i << " row " << y;
  }
}

TEST(MediaDeinterlace, OptionValues) {
  EXPECT_EQ(*parse_deinterlace("auto"), Deinterlace::Auto);
  EXPECT_EQ(*parse_deinterlace("yes"), Deinterlace::Yes);
  EXPECT_EQ(*parse_deinterlace("no"), Deinterlace::No);
  const auto bad = parse_deinterlace("maybe");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("use auto, yes or no"), std::string::npos);
}

}  // namespace
}  // namespace lockstep
