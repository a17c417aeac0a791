// A picture with a display transform (a file's display matrix) is drawn turned and mirrored
// exactly as DisplayTransform defines it (media/picture.h): every quarter turn and mirror,
// against FFmpeg's own conversion moved pixel by pixel on the CPU, and letterboxed by its
// turned shape.
#include <gtest/gtest.h>

#include <cstdio>

#include "render/yuv_conversion.h"
#include "render_fixture.h"
#include "test_pictures.h"

namespace lockstep::test {
namespace {

/// `rgba` (w x h) as shown with `t`: display pixel (X, Y) is the picture's pixel whose centre
/// the transform takes to X, Y's centre.
std::vector<uint8_t> turned_on_cpu(const std::vector<uint8_t>& rgba, int w, int h, DisplayTransform t) {
  const int dw = t.swaps_axes() ? h : w, dh = t.swaps_axes() ? w : h;
  std::vector<uint8_t> out(size_t(dw) * size_t(dh) * 4);
  for (int Y = 0; Y < dh; ++Y)
    for (int X = 0; X < dw; ++X) {
      // Twice the offsets from the centre, so that they stay integers.
      const int qx = 2 * X + 1 - dw, qy = 2 * Y + 1 - dh;
      const int px = t.a * qx + t.b * qy, py = t.c * qx + t.d * qy;  // the inverse: transpose
      const int x = (px + w - 1) / 2, y = (py + h - 1) / 2;
      std::copy_n(&rgba[(size_t(y) * w + x) * 4], 4, &out[(size_t(Y) * dw + X) * 4]);
    }
  return out;
}

TEST(RenderTurn, EveryQuarterTurnAndMirrorMatchesTheDefinition) {
  constexpr int kWidth = 320, kHeight = 180;
  const auto card = make_test_card(kWidth, kHeight);
  const AVFramePtr frame =
      make_yuv_frame(card, kWidth, kHeight, AV_PIX_FMT_YUV444P, ColorMatrix::BT709, ColorRange::Limited);
  auto reference = ffmpeg_rgba(*frame);
  ASSERT_TRUE(reference.ok()) << reference.error();
  const DisplayTransform all[] = {{1, 0, 0, 1},  {0, 1, -1, 0}, {-1, 0, 0, -1}, {0, -1, 1, 0},
                                  {-1, 0, 0, 1}, {1, 0, 0, -1}, {0, 1, 1, 0},   {0, -1, -1, 0}};
  for (const DisplayTransform& t : all) {
    PictureView view = picture_view(*frame);
    view.transform = t;
    const int dw = t.swaps_axes() ? kHeight : kWidth, dh = t.swaps_axes() ? kWidth : kHeight;
    auto renderer = make_headless_renderer(dw, dh);
    ASSERT_TRUE(renderer);
    const DrawResult drawn = draw_and_read(*renderer, &view);
    ASSERT_EQ(drawn.width, dw);
    const auto expected = turned_on_cpu(*reference, kWidth, kHeight, t);
    const double psnr = psnr_region(drawn.rgba, dw, 0, 0, dw, dh, expected);
    std::printf("[ PSNR     ] transform {%d %d %d %d}: %.2f dB\n", t.a, t.b, t.c, t.d, psnr);
    EXPECT_GE(psnr, 40.0) << "transform {" << t.a << " " << t.b << " " << t.c << " " << t.d << "}";
    EXPECT_EQ(renderer->validation_errors(), 0);
  }
}

TEST(RenderTurn, QuarterTurnedPictureIsLetterboxedByItsTurnedShape) {
  PictureView view;
  view.width = 640;
  view.height = 360;
  EXPECT_EQ(letterbox(640, 360, view), (PixelRect{0, 0, 640, 360}));
  view.transform = {0, 1, -1, 0};  // shown 360 wide, 640 high
  EXPECT_EQ(letterbox(640, 360, view), (PixelRect{218, 0, 203, 360}));
  EXPECT_EQ(letterbox(360, 640, view), (PixelRect{0, 0, 360, 640}));
  view.sar_num = 2;  // samples twice as wide: the display is twice as high
  EXPECT_EQ(letterbox(360, 1280, view), (PixelRect{0, 0, 360, 1280}));
}

}  // namespace
}  // namespace lockstep::test
