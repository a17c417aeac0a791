// The compute conversion (4:2:0 pictures drawn at 1:1) against the fragment pipeline on the
// same device: the same pixels within rounding, at sizes that leave partial blocks of 8x4
// pixels and a partial workgroup (the bounds-checked dispatch), letterboxed with black bars,
// and validation clean.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "render_fixture.h"
#include "support/image_io.h"
#include "test_pictures.h"

namespace lockstep::test {
namespace {

std::unique_ptr<Renderer> make_renderer(int width, int height, bool compute) {
  RendererParams params;
  params.width = width;
  params.height = height;
  params.validation = vulkan_validation_available();
  params.compute_conversion = compute;
  auto renderer = Renderer::create(params);
  EXPECT_TRUE(renderer.ok()) << renderer.error();
  return renderer.ok() ? std::move(renderer).value() : nullptr;
}

/// Largest difference of any R, G or B value between two RGBA images of the same size.
int max_difference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  int worst = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    if (i % 4 != 3) worst = std::max(worst, std::abs(int(a[i]) - int(b[i])));
  return worst;
}

struct SizeCase {
  AVPixelFormat format;
  int width, height;  // the picture's and the target's
};

void PrintTo(const SizeCase& c, std::ostream* os) {
  *os << av_get_pix_fmt_name(c.format) << " " << c.width << "x" << c.height;
}

class ComputeConversion : public ::testing::TestWithParam<SizeCase> {};

TEST_P(ComputeConversion, MatchesTheFragmentPipelineAtOneToOne) {
  const SizeCase& c = GetParam();
  const auto card = make_test_card(c.width, c.height);
  const AVFramePtr frame =
      make_yuv_frame(card, c.width, c.height, c.format, ColorMatrix::BT709, ColorRange::Limited);
  const PictureView view = picture_view(*frame);

  auto by_compute = make_renderer(c.width, c.height, true);
  auto by_fragment = make_renderer(c.width, c.height, false);
  ASSERT_TRUE(by_compute && by_fragment);
  const DrawResult a = draw_and_read(*by_compute, &view);
  const DrawResult b = draw_and_read(*by_fragment, &view);
  EXPECT_EQ(b.conversion, ConversionPath::FragmentShader);
  if (a.conversion != ConversionPath::ComputeShader)
    GTEST_SKIP() << "this device or target cannot take the compute conversion";

  // The fragment pipeline's bilinear filter rounds its weights (lavapipe: 8-bit fractions);
  // the compute shader filters in float. A code or two through the matrix, no more.
  const int worst = max_difference(a.rgba, b.rgba);
  const double psnr = psnr_rgb(a.rgba, b.rgba);
  const auto reference = ffmpeg_rgba(*frame).value();
  const double compute_vs_ffmpeg = psnr_rgb(a.rgba, reference);
  const double fragment_vs_ffmpeg = psnr_rgb(b.rgba, reference);
  std::printf(
      "[ COMPUTE  ] %s %dx%d: max difference %d, %.2f dB vs fragment; vs ffmpeg: compute "
      "%.2f dB, fragment %.2f dB\n",
      av_get_pix_fmt_name(c.format), c.width, c.height, worst, psnr, compute_vs_ffmpeg,
      fragment_vs_ffmpeg);
  EXPECT_LE(worst, 3);
  EXPECT_GE(psnr, 50.0);
  EXPECT_GE(compute_vs_ffmpeg, fragment_vs_ffmpeg - 0.1);
  EXPECT_EQ(by_compute->validation_errors(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    FormatsAndSizes, ComputeConversion,
    ::testing::Values(
        SizeCase{AV_PIX_FMT_YUV420P, 640, 360},      // whole workgroups only
        SizeCase{AV_PIX_FMT_YUV420P, 480, 270},      // partial workgroup, last block 2 rows
        SizeCase{AV_PIX_FMT_YUV420P, 254, 142},      // partial block: 6 columns, 2 rows
        SizeCase{AV_PIX_FMT_NV12, 254, 142},         // interleaved 8-bit chroma
        SizeCase{AV_PIX_FMT_YUV420P10LE, 254, 142},  // 16-bit samples
        SizeCase{AV_PIX_FMT_P010LE, 254, 142}),      // interleaved 16-bit chroma, MSB-aligned
    [](const ::testing::TestParamInfo<SizeCase>& info) {
      std::string name = av_get_pix_fmt_name(info.param.format);
      return name + "_" + std::to_string(info.param.width) + "x" +
             std::to_string(info.param.height);
    });

TEST(ComputeConversionLetterbox, PictureAtItsSizeInAWiderTargetHasBlackBars) {
  // 640x360 in 700x360: drawn 1:1 at x = 30, bars of 30 pixels each side.
  const auto card = make_test_card(640, 360);
  const AVFramePtr frame =
      make_yuv_frame(card, 640, 360, AV_PIX_FMT_YUV420P, ColorMatrix::BT709, ColorRange::Limited);
  const PictureView view = picture_view(*frame);
  auto by_compute = make_renderer(700, 360, true);
  auto by_fragment = make_renderer(700, 360, false);
  ASSERT_TRUE(by_compute && by_fragment);
  // Twice: the second frame reuses the other frame-in-flight slot and image.
  for (int i = 0; i < 2; ++i) {
    const DrawResult a = draw_and_read(*by_compute, &view);
    const DrawResult b = draw_and_read(*by_fragment, &view);
    if (a.conversion != ConversionPath::ComputeShader)
      GTEST_SKIP() << "this device or target cannot take the compute conversion";
    int not_black = 0;
    for (int y = 0; y < 360; ++y)
      for (int x : {0, 29, 670, 699}) {
        const Rgba p = pixel_at(a.rgba, a.width, x, y);
        not_black += p.r != 0 || p.g != 0 || p.b != 0 || p.a != 255;
      }
    EXPECT_EQ(not_black, 0);
    EXPECT_LE(max_difference(a.rgba, b.rgba), 3);
  }
  EXPECT_EQ(by_compute->validation_errors(), 0);
}

TEST(ComputeConversionSwitch, ScaledAndOneToOneDrawsAlternateCleanly) {
  // The same renderer goes from the compute path to the fragment path and back, with a
  // picture that needs new textures in between.
  auto renderer = make_renderer(640, 360, true);
  ASSERT_TRUE(renderer);
  const int sizes[][2] = {{640, 360}, {320, 180}, {640, 360}, {480, 270}, {640, 360}};
  for (const auto& s : sizes) {
    const auto card = make_test_card(s[0], s[1]);
    const AVFramePtr frame =
        make_yuv_frame(card, s[0], s[1], AV_PIX_FMT_YUV420P, ColorMatrix::BT601, ColorRange::Full);
    const PictureView view = picture_view(*frame);
    const DrawResult d = draw_and_read(*renderer, &view);
    if (s[0] == 640) {
      EXPECT_GE(psnr_rgb(d.rgba, ffmpeg_rgba(*frame).value()), 40.0);
    } else {
      EXPECT_EQ(d.conversion, ConversionPath::FragmentShader);
    }
  }
  EXPECT_EQ(renderer->validation_errors(), 0);
}

}  // namespace
}  // namespace lockstep::test
