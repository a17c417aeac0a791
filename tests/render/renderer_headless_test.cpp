// Headless renderer on a real Vulkan device: colour conversion against FFmpeg's own
// conversion, letterboxing, picture changes, validation and draw rate.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "core/time.h"
#include "render_fixture.h"
#include "support/image_io.h"
#include "test_pictures.h"

namespace lockstep::test {
namespace {

struct FormatCase {
  const char* name;
  AVPixelFormat format;
  ColorMatrix matrix;
  ColorRange range;
};

void PrintTo(const FormatCase& c, std::ostream* os) { *os << c.name; }

class RendererConversion : public ::testing::TestWithParam<FormatCase> {};

TEST_P(RendererConversion, MatchesFfmpegWithin40dB) {
  const FormatCase& c = GetParam();
  constexpr int kWidth = 640, kHeight = 360;
  const auto card = make_test_card(kWidth, kHeight);
  const AVFramePtr frame = make_yuv_frame(card, kWidth, kHeight, c.format, c.matrix, c.range);
  const PictureView view = picture_view(*frame);
  ASSERT_EQ(view.matrix, c.matrix);
  ASSERT_EQ(view.range, c.range);

  auto renderer = make_headless_renderer(kWidth, kHeight);
  ASSERT_TRUE(renderer);
  const DrawResult drawn = draw_and_read(*renderer, &view);
  ASSERT_EQ(drawn.width, kWidth);
  ASSERT_EQ(drawn.height, kHeight);
  auto reference = ffmpeg_rgba(*frame);
  ASSERT_TRUE(reference.ok()) << reference.error();

  const double psnr = psnr_rgb(drawn.rgba, reference.value());
  std::printf("[ PSNR     ] %-28s renderer vs ffmpeg_rgba: %6.2f dB (vs test card: %5.2f dB)\n",
              c.name, psnr, psnr_rgb(drawn.rgba, card));
  EXPECT_GE(psnr, 40.0) << c.name;
  EXPECT_EQ(renderer->validation_errors(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, RendererConversion,
    ::testing::Values(
        FormatCase{"yuv420p_bt601_limited", AV_PIX_FMT_YUV420P, ColorMatrix::BT601,
                   ColorRange::Limited},
        FormatCase{"yuv420p_bt709_limited", AV_PIX_FMT_YUV420P, ColorMatrix::BT709,
                   ColorRange::Limited},
        FormatCase{"yuv420p_bt709_full", AV_PIX_FMT_YUV420P, ColorMatrix::BT709, ColorRange::Full},
        FormatCase{"yuv420p10le_bt709_limited", AV_PIX_FMT_YUV420P10LE, ColorMatrix::BT709,
                   ColorRange::Limited},
        FormatCase{"yuv420p10le_bt2020_limited", AV_PIX_FMT_YUV420P10LE, ColorMatrix::BT2020,
                   ColorRange::Limited},
        FormatCase{"yuv422p_bt709_limited", AV_PIX_FMT_YUV422P, ColorMatrix::BT709,
                   ColorRange::Limited},
        FormatCase{"yuv444p_bt709_limited", AV_PIX_FMT_YUV444P, ColorMatrix::BT709,
                   ColorRange::Limited},
        FormatCase{"yuv444p12le_bt2020_full", AV_PIX_FMT_YUV444P12LE, ColorMatrix::BT2020,
                   ColorRange::Full},
        FormatCase{"nv12_bt709_limited", AV_PIX_FMT_NV12, ColorMatrix::BT709, ColorRange::Limited},
        FormatCase{"p010le_bt709_limited", AV_PIX_FMT_P010LE, ColorMatrix::BT709,
                   ColorRange::Limited},
        FormatCase{"p010le_bt2020_limited", AV_PIX_FMT_P010LE, ColorMatrix::BT2020,
                   ColorRange::Limited}),
    [](const ::testing::TestParamInfo<FormatCase>& info) { return std::string(info.param.name); });

bool is_black(Rgba p) { return p.r == 0 && p.g == 0 && p.b == 0 && p.a == 255; }

/// Checks that columns [x0, x1) x rows [y0, y1) are black.
void expect_black(const DrawResult& d, int x0, int y0, int x1, int y1) {
  int wrong = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x)
      if (!is_black(pixel_at(d.rgba, d.width, x, y)) && wrong++ < 3)
        ADD_FAILURE() << "pixel (" << x << "," << y << ") should be black, is "
                      << to_string(pixel_at(d.rgba, d.width, x, y));
  EXPECT_EQ(wrong, 0);
}

TEST(RendererLetterbox, FourByThreeIntoSixteenByNineIsPillarboxed) {
  // 320x240 (4:3) in 640x360: picture 480x360 at x = 80, black bars left and right.
  const auto card = make_test_card(320, 240);
  const AVFramePtr frame =
      make_yuv_frame(card, 320, 240, AV_PIX_FMT_YUV420P, ColorMatrix::BT709, ColorRange::Limited);
  const PictureView view = picture_view(*frame);
  auto renderer = make_headless_renderer(640, 360);
  ASSERT_TRUE(renderer);
  const DrawResult d = draw_and_read(*renderer, &view);
  ASSERT_EQ(d.width, 640);
  expect_black(d, 0, 0, 80, 360);
  expect_black(d, 560, 0, 640, 360);
  // The picture area holds the picture, scaled 1.5x.
  const auto reference = resize_rgba(ffmpeg_rgba(*frame).value(), 320, 240, 480, 360);
  const double psnr = psnr_region(d.rgba, d.width, 80, 0, 480, 360, reference);
  std::printf("[ PSNR     ] pillarboxed picture area vs swscale bilinear 1.5x: %.2f dB\n", psnr);
  EXPECT_GE(psnr, 26.0);
  EXPECT_FALSE(is_black(pixel_at(d.rgba, d.width, 80, 10)));  // top-left bar: light grey
  EXPECT_EQ(renderer->validation_errors(), 0);
}

TEST(RendererLetterbox, SampleAspectRatioIsHonoured) {
  auto renderer = make_headless_renderer(640, 360);
  ASSERT_TRUE(renderer);
  // Flat mid grey, so every picture pixel is the same and the edges are exact.
  const AVFramePtr frame = make_flat_frame(320, 240, AV_PIX_FMT_YUV420P, 126, 128, 128);
  PictureView view = picture_view(*frame);

  view.sar_num = 4, view.sar_den = 3;  // 320x240 with 4:3 pixels is 16:9: no bars at all
  DrawResult d = draw_and_read(*renderer, &view);
  for (int x : {0, 639})
    for (int y : {0, 359}) EXPECT_FALSE(is_black(pixel_at(d.rgba, d.width, x, y))) << x << "," << y;

  view.sar_num = 8, view.sar_den = 3;  // 32:9: letterboxed, 640x180 at y = 90
  d = draw_and_read(*renderer, &view);
  expect_black(d, 0, 0, 640, 90);
  expect_black(d, 0, 270, 640, 360);
  for (int x : {0, 320, 639}) {
    EXPECT_FALSE(is_black(pixel_at(d.rgba, d.width, x, 90)));
    EXPECT_FALSE(is_black(pixel_at(d.rgba, d.width, x, 269)));
  }
  const Rgba grey = pixel_at(d.rgba, d.width, 320, 180);
  EXPECT_NEAR(grey.r, 128, 2) << to_string(grey);  // Y 126 limited ≈ 50% grey
  EXPECT_EQ(grey.r, grey.g);
  EXPECT_EQ(grey.g, grey.b);
  EXPECT_EQ(renderer->validation_errors(), 0);
}

TEST(RendererPictures, NullPictureDrawsBlack) {
  auto renderer = make_headless_renderer(320, 180);
  ASSERT_TRUE(renderer);
  const DrawResult d = draw_and_read(*renderer, nullptr);
  ASSERT_EQ(d.rgba.size(), size_t(320) * 180 * 4);
  expect_black(d, 0, 0, 320, 180);
}

TEST(RendererPictures, SizeAndFormatChangesBetweenDrawsRecreateTextures) {
  auto renderer = make_headless_renderer(640, 360);
  ASSERT_TRUE(renderer);
  struct Step {
    int width, height;
    AVPixelFormat format;
  };
  // Same size as the target (compared exactly), smaller (scaled), odd, other formats, null.
  const Step steps[] = {{640, 360, AV_PIX_FMT_YUV420P},     {320, 180, AV_PIX_FMT_YUV420P},
                        {640, 360, AV_PIX_FMT_YUV444P},     {322, 182, AV_PIX_FMT_NV12},
                        {640, 360, AV_PIX_FMT_P010LE},      {0, 0, AV_PIX_FMT_NONE},
                        {640, 360, AV_PIX_FMT_YUV420P10LE}, {640, 360, AV_PIX_FMT_YUV420P}};
  for (const Step& s : steps) {
    if (s.format == AV_PIX_FMT_NONE) {
      const DrawResult d = draw_and_read(*renderer, nullptr);
      expect_black(d, 0, 0, d.width, d.height);
      continue;
    }
    const auto card = make_test_card(s.width, s.height);
    const AVFramePtr frame =
        make_yuv_frame(card, s.width, s.height, s.format, ColorMatrix::BT709, ColorRange::Limited);
    const PictureView view = picture_view(*frame);
    const DrawResult d = draw_and_read(*renderer, &view);
    auto reference = ffmpeg_rgba(*frame).value();
    if (s.width != 640) reference = resize_rgba(reference, s.width, s.height, 640, 360);
    const double psnr = psnr_rgb(d.rgba, reference);
    std::printf("[ PSNR     ] %dx%d %s: %.2f dB\n", s.width, s.height,
                av_get_pix_fmt_name(s.format), psnr);
    EXPECT_GE(psnr, s.width == 640 ? 40.0 : 24.0) << s.width << "x" << s.height;
  }
  EXPECT_EQ(renderer->validation_errors(), 0);
}

TEST(RendererPictures, RejectsUnsupportedPicturesWithAMessage) {
  auto renderer = make_headless_renderer(64, 64);
  ASSERT_TRUE(renderer);
  const AVFramePtr frame = make_flat_frame(64, 64, AV_PIX_FMT_YUV420P, 16, 128, 128);
  PictureView view = picture_view(*frame);
  view.plane_count = 1;  // e.g. a grey-only picture: not drawable directly
  DrawRequest request;
  request.picture = &view;
  auto result = renderer->draw(request);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().find("plane"), std::string::npos) << result.error();
  // The renderer still works afterwards.
  const DrawResult d = draw_and_read(*renderer, nullptr);
  expect_black(d, 0, 0, 64, 64);
  EXPECT_EQ(renderer->validation_errors(), 0);
}

TEST(RendererValidation, TenFramesWithSizeChangesAndReadBackAreClean) {
  if (!vulkan_validation_available())
    GTEST_SKIP() << "VK_LAYER_KHRONOS_validation is not installed (apt install "
                    "vulkan-validationlayers)";
  RendererParams params;
  params.width = 480;
  params.height = 270;
  params.validation = true;
  auto created = Renderer::create(params);
  ASSERT_TRUE(created.ok()) << created.error();
  auto& renderer = *created.value();
  for (int i = 0; i < 10; ++i) {
    const int w = i < 4 ? 480 : (i < 7 ? 320 : 250), h = i < 4 ? 270 : (i < 7 ? 240 : 140);
    const AVPixelFormat fmt =
        i % 3 == 0 ? AV_PIX_FMT_YUV420P : (i % 3 == 1 ? AV_PIX_FMT_NV12 : AV_PIX_FMT_YUV420P10LE);
    const auto card = make_test_card(w, h);
    const AVFramePtr frame =
        make_yuv_frame(card, w, h, fmt, ColorMatrix::BT709, ColorRange::Limited);
    const PictureView view = picture_view(*frame);
    DrawRequest request;
    request.picture = i == 5 ? nullptr : &view;
    request.read_back = i % 2 == 0;
    auto result = renderer.draw(request);
    ASSERT_TRUE(result.ok()) << result.error();
    EXPECT_GT(result->present_ns, 0);
  }
  renderer.wait_idle();
  EXPECT_EQ(renderer.validation_errors(), 0);
  std::printf("[ DEVICE   ] %s, validation errors: %d\n", renderer.device_description().c_str(),
              renderer.validation_errors());
}

}  // namespace
}  // namespace lockstep::test
