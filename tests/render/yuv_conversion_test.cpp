// The CPU side of the picture shader, without a device: matrices and letterbox rectangles.
#include "render/yuv_conversion.h"

#include <gtest/gtest.h>

#include <array>

namespace lockstep {
namespace {

/// Applies the conversion to samples as the shader sees them.
std::array<double, 3> apply(const YuvToRgb& c, double y, double u, double v) {
  std::array<double, 3> rgb{};
  for (int i = 0; i < 3; ++i)
    rgb[i] = c.matrix[i][0] * y + c.matrix[i][1] * u + c.matrix[i][2] * v + c.offset[i];
  return rgb;
}

void expect_rgb(const std::array<double, 3>& rgb, double r, double g, double b) {
  EXPECT_NEAR(rgb[0], r, 1e-4);
  EXPECT_NEAR(rgb[1], g, 1e-4);
  EXPECT_NEAR(rgb[2], b, 1e-4);
}

TEST(YuvToRgb, LimitedRange8BitBlackAndWhite) {
  for (auto m : {ColorMatrix::BT601, ColorMatrix::BT709, ColorMatrix::BT2020}) {
    const YuvToRgb c = yuv_to_rgb(m, ColorRange::Limited, 8, false);
    expect_rgb(apply(c, 16 / 255.0, 128 / 255.0, 128 / 255.0), 0, 0, 0);
    expect_rgb(apply(c, 235 / 255.0, 128 / 255.0, 128 / 255.0), 1, 1, 1);
  }
}

TEST(YuvToRgb, FullRange8BitBlackAndWhite) {
  const YuvToRgb c = yuv_to_rgb(ColorMatrix::BT709, ColorRange::Full, 8, false);
  expect_rgb(apply(c, 0.0, 128 / 255.0, 128 / 255.0), 0, 0, 0);
  expect_rgb(apply(c, 1.0, 128 / 255.0, 128 / 255.0), 1, 1, 1);
}

TEST(YuvToRgb, TenBitLsbAndMsbAlignedSamplesGiveTheSameColour) {
  // Limited 10-bit white is 940; a 75% red is the same code pattern in both alignments.
  const YuvToRgb lsb = yuv_to_rgb(ColorMatrix::BT2020, ColorRange::Limited, 10, false);
  const YuvToRgb msb = yuv_to_rgb(ColorMatrix::BT2020, ColorRange::Limited, 10, true);
  expect_rgb(apply(lsb, 940 / 65535.0, 512 / 65535.0, 512 / 65535.0), 1, 1, 1);
  expect_rgb(apply(msb, (940 << 6) / 65535.0, (512 << 6) / 65535.0, (512 << 6) / 65535.0), 1, 1, 1);
  const auto a = apply(lsb, 300 / 65535.0, 400 / 65535.0, 700 / 65535.0);
  const auto b = apply(msb, (300 << 6) / 65535.0, (400 << 6) / 65535.0, (700 << 6) / 65535.0);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(a[i], b[i], 1e-5);
}

TEST(YuvToRgb, PrimariesFollowKrKb) {
  // Pure red in BT.709 limited 8-bit: Y = 16 + 219 * 0.2126, Cr = 128 + 224 * 0.5.
  const YuvToRgb c = yuv_to_rgb(ColorMatrix::BT709, ColorRange::Limited, 8, false);
  const double y = (16 + 219 * 0.2126) / 255.0;
  const double cb = (128 - 224 * 0.5 * 0.2126 / (1 - 0.0722)) / 255.0;
  expect_rgb(apply(c, y, cb, (128 + 224 * 0.5) / 255.0), 1, 0, 0);
  // Pure blue in BT.601: Kb = 0.114.
  const YuvToRgb c601 = yuv_to_rgb(ColorMatrix::BT601, ColorRange::Limited, 8, false);
  const double yb = (16 + 219 * 0.114) / 255.0;
  const double crb = (128 - 224 * 0.5 * 0.114 / (1 - 0.299)) / 255.0;
  expect_rgb(apply(c601, yb, (128 + 224 * 0.5) / 255.0, crb), 0, 0, 1);
}

TEST(Letterbox, SameAspectFillsTheTarget) {
  EXPECT_EQ(letterbox(1920, 1080, 1280, 720), (PixelRect{0, 0, 1920, 1080}));
}

TEST(Letterbox, NarrowPictureIsPillarboxed) {
  EXPECT_EQ(letterbox(640, 360, 320, 240), (PixelRect{80, 0, 480, 360}));
}

TEST(Letterbox, WidePictureIsLetterboxed) {
  EXPECT_EQ(letterbox(640, 480, 1920, 1080), (PixelRect{0, 60, 640, 360}));
}

TEST(Letterbox, SampleAspectRatioWidensThePicture) {
  // PAL 720x576 with 16:15 pixels is 4:3.
  EXPECT_EQ(letterbox(1920, 1080, 720, 576, 16, 15), (PixelRect{240, 0, 1440, 1080}));
  // Anamorphic 16:9 PAL (64:45).
  EXPECT_EQ(letterbox(1920, 1080, 720, 576, 64, 45), (PixelRect{0, 0, 1920, 1080}));
  // Invalid sar is treated as square.
  EXPECT_EQ(letterbox(640, 360, 320, 240, 0, 0), (PixelRect{80, 0, 480, 360}));
}

TEST(Letterbox, EmptyTargetGivesEmptyRect) { EXPECT_EQ(letterbox(0, 0, 320, 240), PixelRect{}); }

}  // namespace
}  // namespace lockstep
