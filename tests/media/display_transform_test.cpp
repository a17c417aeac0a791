// The display matrix as FFmpeg writes it (av_display_rotation_set, av_display_matrix_flip:
// what muxers and the ffmpeg CLI use) becomes the turn and mirror lockstep draws, and the
// size a picture is shown at (sample aspect ratio, then the turn).
#include <gtest/gtest.h>

#include <array>

extern "C" {
#include <libavutil/display.h>
}

#include "media/av_picture.h"
#include "media/picture.h"

namespace lockstep {
namespace {

DisplayTransform from_ffmpeg(double clockwise_deg, bool hflip = false, bool vflip = false) {
  int32_t m[9];
  av_display_rotation_set(m, clockwise_deg);
  av_display_matrix_flip(m, hflip, vflip);
  return display_transform(m);
}

/// Where the picture's top-right corner shows, for a picture of w x h: by the definition in
/// picture.h (about the centre, image coordinates), as display pixel coordinates.
std::pair<double, double> top_right_shows_at(DisplayTransform t, double w, double h) {
  const double x = w / 2, y = -h / 2;  // the corner, from the centre
  const double dw = t.swaps_axes() ? h : w, dh = t.swaps_axes() ? w : h;
  return {t.a * x + t.c * y + dw / 2, t.b * x + t.d * y + dh / 2};
}

TEST(MediaDisplayTransform, QuarterTurnsAndMirrorsFromFfmpegMatrices) {
  EXPECT_EQ(display_transform(nullptr), (DisplayTransform{1, 0, 0, 1}));
  EXPECT_EQ(from_ffmpeg(0), (DisplayTransform{1, 0, 0, 1}));
  // av_display_rotation_set turns clockwise (av_display_rotation_get answers counterclockwise).
  EXPECT_EQ(from_ffmpeg(90), (DisplayTransform{0, 1, -1, 0}));
  EXPECT_EQ(from_ffmpeg(-90), (DisplayTransform{0, -1, 1, 0}));
  EXPECT_DOUBLE_EQ(av_display_rotation_get(std::array<int32_t, 9>{0, 65536, 0, -65536, 0, 0, 0, 0, 1 << 30}.data()), -90.0);
  EXPECT_EQ(from_ffmpeg(180), (DisplayTransform{-1, 0, 0, -1}));
  EXPECT_EQ(from_ffmpeg(0, true, false), (DisplayTransform{-1, 0, 0, 1}));
  EXPECT_EQ(from_ffmpeg(0, false, true), (DisplayTransform{1, 0, 0, -1}));
  EXPECT_EQ(from_ffmpeg(90, true, false), (DisplayTransform{0, 1, 1, 0}));
  // A non-right angle goes to the nearest quarter turn.
  EXPECT_EQ(from_ffmpeg(80), (DisplayTransform{0, 1, -1, 0}));
  const int32_t degenerate[9] = {65536, 0, 0, 65536, 0, 0, 0, 0, 1 << 30};
  EXPECT_EQ(display_transform(degenerate), (DisplayTransform{}));
}

TEST(MediaDisplayTransform, ClockwiseQuarterTurnPutsTheTopRightCornerBottomRight) {
  // 640x360 turned clockwise shows 360x640, its top-right corner at the bottom right.
  const auto [x, y] = top_right_shows_at(from_ffmpeg(90), 640, 360);
  EXPECT_DOUBLE_EQ(x, 360);
  EXPECT_DOUBLE_EQ(y, 640);
  const auto [mx, my] = top_right_shows_at(from_ffmpeg(0, true, false), 640, 360);
  EXPECT_DOUBLE_EQ(mx, 0);  // mirrored: top left
  EXPECT_DOUBLE_EQ(my, 0);
}

TEST(MediaDisplayTransform, DisplaySizeAppliesTheSampleAspectRatioThenTheTurn) {
  const DisplayTransform upright{}, quarter{0, 1, -1, 0};
  auto size = [](int w, int h, int n, int d, DisplayTransform t) {
    const DisplaySize s = display_size(w, h, n, d, t);
    return std::pair{s.width, s.height};
  };
  EXPECT_EQ(size(720, 576, 64, 45, upright), std::pair(1024, 576));  // PAL 16:9
  EXPECT_EQ(size(720, 576, 16, 15, upright), std::pair(768, 576));   // PAL 4:3
  EXPECT_EQ(size(720, 480, 8, 9, upright), std::pair(720, 540));     // NTSC 4:3: taller
  EXPECT_EQ(size(1920, 1080, 1, 1, upright), std::pair(1920, 1080));
  EXPECT_EQ(size(720, 576, 64, 45, quarter), std::pair(576, 1024));
  EXPECT_EQ(size(640, 360, 0, 0, quarter), std::pair(360, 640));  // unknown SAR: square
}

}  // namespace
}  // namespace lockstep
