// The index tag: drawn frames read back to their index at any scale and placement, under
// a GUI panel and noise, and never read to a wrong index (black, noise, damaged tags).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "framecode/framecode.h"
#include "test_images.h"

namespace lockstep::framecode {
namespace {

using test::Image;

const std::vector<int64_t> kSpecialIndices = {0, 1, 2, 255, 256, 1000, 65535, 65536, kMaxIndex};

std::vector<int64_t> some_indices(uint32_t seed, int random_count) {
  std::vector<int64_t> v = kSpecialIndices;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> any(0, kMaxIndex);
  for (int i = 0; i < random_count; ++i) v.push_back(any(rng));
  return v;
}

TEST(FrameTag, ReadsBackEveryIndexAtNativeSize) {
  const std::pair<int, int> sizes[] = {{640, 360}, {1280, 720}, {1920, 1080}, {320, 180},
                                       {320, 240}, {176, 144},  {720, 576},   {1080, 1920}};
  for (const auto& [w, h] : sizes) {
    for (int64_t index : some_indices(uint32_t(w * h), 20)) {
      const Image img = test::test_frame(w, h, index);
      EXPECT_EQ(img.read(), index) << w << "x" << h;
    }
  }
}

TEST(FrameTag, ReadsAnIndexFromAPaddedRowStride) {
  const int w = 640, h = 360, stride = 640 * 4 + 64;
  std::vector<uint8_t> rgba(size_t(stride) * h, 0);
  draw_test_frame(rgba.data(), w, h, stride, 4242);
  EXPECT_EQ(read_frame_index(rgba.data(), w, h, stride), 4242);
}

TEST(FrameTag, ReadsScaledPicturesAnywhereInsideBlackBorders) {
  std::mt19937 rng(7);
  const double scales[] = {0.25, 0.3, 0.4, 0.5, 0.6, 0.75, 1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0};
  for (double scale : scales) {
    for (int trial = 0; trial < 6; ++trial) {
      const int64_t index = std::uniform_int_distribution<int64_t>(0, kMaxIndex)(rng);
      const Image picture = test::test_frame(640, 360, index);
      const int pw = int(std::lround(640 * scale)), ph = int(std::lround(360 * scale));
      // Borders of 0 to 300 px on each side (letterbox, pillarbox or both).
      std::uniform_int_distribution<int> border(0, 300);
      const int left = border(rng), top = border(rng);
      const Image shot =
          test::place(picture, scale, pw + left + border(rng), ph + top + border(rng), left, top);
      EXPECT_EQ(shot.read(), index) << "scale " << scale << " at " << left << "," << top;
    }
  }
}

TEST(FrameTag, ReadsSmallPicturesInAFullHdWindow) {
  // A 1080p window showing a 640x360 clip at a quarter size, placed near each corner.
  const Image picture = test::test_frame(640, 360, 777777);
  const int pw = 160;  // 640 * 0.25; the picture is 90 rows tall
  for (const auto& [x, y] : std::vector<std::pair<int, int>>{
           {0, 0}, {1920 - pw, 0}, {3, 600}, {1920 - pw - 5, 600}, {880, 330}}) {
    const Image shot = test::place(picture, 0.25, 1920, 1080, x, y);
    EXPECT_EQ(shot.read(), 777777) << "at " << x << "," << y;
  }
}

TEST(FrameTag, ReadsUnderAGuiPanelOverTheBottom35Percent) {
  const test::Rgb panels[] = {{0, 0, 0}, {40, 40, 40}, {255, 255, 255}, {30, 60, 200}};
  for (const auto& colour : panels) {
    for (double opacity : {1.0, 0.6}) {
      // Full-window picture, and a letterboxed one whose lower part is under the panel.
      Image full = test::test_frame(1280, 720, 31337);
      test::cover_bottom(full, 0.35, colour, opacity);
      EXPECT_EQ(full.read(), 31337);
      Image boxed = test::place(test::test_frame(640, 360, 8080), 1.5, 1280, 720, 160, 120);
      test::cover_bottom(boxed, 0.35, colour, opacity);
      EXPECT_EQ(boxed.read(), 8080);
    }
  }
}

TEST(FrameTag, ReadsThroughNoise) {
  std::mt19937 rng(11);
  for (double scale : {0.5, 1.0, 2.0}) {
    for (int trial = 0; trial < 8; ++trial) {
      const int64_t index = std::uniform_int_distribution<int64_t>(0, kMaxIndex)(rng);
      Image shot = test::place(test::test_frame(640, 360, index), scale, int(700 * scale) + 40,
                               int(400 * scale) + 40, 20, 20);
      test::add_noise(shot, 24, uint32_t(rng()));
      EXPECT_EQ(shot.read(), index) << "scale " << scale;
    }
  }
}

TEST(FrameTag, FindsNothingInBlackGreyOrNoise) {
  for (const auto& [w, h] : std::vector<std::pair<int, int>>{{64, 64}, {640, 360}, {1920, 1080}}) {
    EXPECT_EQ(test::solid(w, h, {0, 0, 0}).read(), std::nullopt);
    EXPECT_EQ(test::solid(w, h, {128, 128, 128}).read(), std::nullopt);
    EXPECT_EQ(test::solid(w, h, {255, 255, 255}).read(), std::nullopt);
  }
  for (uint32_t seed = 0; seed < 40; ++seed) {
    Image noise = test::solid(640, 360, {128, 128, 128});
    test::add_noise(noise, 128, seed);
    EXPECT_EQ(noise.read(), std::nullopt) << "seed " << seed;
  }
  // Black and white bars of random widths (like a barcode, but not ours).
  std::mt19937 rng(3);
  for (int trial = 0; trial < 200; ++trial) {
    Image bars = test::solid(640, 360, {255, 255, 255});
    for (int x = 0; x < 640;) {
      const int run = std::uniform_int_distribution<int>(4, 40)(rng);
      if (rng() & 1) test::fill(bars, x, 0, x + run, 360, {0, 0, 0});
      x += run;
    }
    EXPECT_EQ(bars.read(), std::nullopt) << "trial " << trial;
  }
}

TEST(FrameTag, AFlippedBlockMakesTheTagUnreadable) {
  const int w = 640, h = 360;
  const int64_t index = 0x5A5A5A;
  const Image clean = test::test_frame(w, h, index);
  const test::TagGeometry tag = test::tag_geometry(w, h);
  for (int unit = 0; unit < tag.units; ++unit) {
    Image damaged = clean;
    const uint8_t* centre = damaged.at(tag.unit_centre_x(unit), tag.band_centre_y());
    const test::Rgb flipped = centre[0] > 128 ? test::Rgb{0, 0, 0} : test::Rgb{255, 255, 255};
    test::fill(damaged, tag.unit_x0(unit), tag.band_top, tag.unit_x0(unit + 1), tag.band_bottom,
               flipped);
    EXPECT_EQ(damaged.read(), std::nullopt) << "unit " << unit;
  }
}

TEST(FrameTag, DamagedTagsReadAsNothingOrTheTrueIndex) {
  const int w = 640, h = 360;
  const test::TagGeometry tag = test::tag_geometry(w, h);
  std::mt19937 rng(5);
  int unreadable = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const int64_t index = std::uniform_int_distribution<int64_t>(0, kMaxIndex)(rng);
    Image img = test::test_frame(w, h, index);
    // A rectangle over part of the tag, black, white, grey or a random colour.
    const int x0 = std::uniform_int_distribution<int>(0, w - 8)(rng);
    const int x1 = std::uniform_int_distribution<int>(x0 + 4, std::min(w, x0 + 300))(rng);
    const int y0 = std::uniform_int_distribution<int>(0, tag.band_bottom)(rng);
    const int y1 = std::uniform_int_distribution<int>(y0 + 2, tag.strip_height + 10)(rng);
    const uint8_t level = uint8_t(rng());
    const test::Rgb colours[] = {{0, 0, 0},
                                 {255, 255, 255},
                                 {level, level, level},
                                 {uint8_t(rng()), uint8_t(rng()), uint8_t(rng())}};
    test::fill(img, x0, y0, x1, y1, colours[trial % 4]);
    const auto got = img.read();
    if (!got) ++unreadable;
    EXPECT_TRUE(!got || *got == index) << "trial " << trial << " read " << *got;
  }
  EXPECT_GT(unreadable, 100);  // the damage did hit the tag
}

TEST(FrameTag, ABlendOfTwoFramesReadsAsNothingOrOneOfThem) {
  std::mt19937 rng(9);
  for (int trial = 0; trial < 100; ++trial) {
    const int64_t a = std::uniform_int_distribution<int64_t>(0, kMaxIndex)(rng);
    const int64_t b = std::uniform_int_distribution<int64_t>(0, kMaxIndex)(rng);
    const double weight = std::uniform_real_distribution<double>(0.3, 0.7)(rng);
    const Image mix =
        test::blend(test::test_frame(640, 360, a), test::test_frame(640, 360, b), weight);
    const auto got = mix.read();
    EXPECT_TRUE(!got || *got == a || *got == b) << "read " << *got;
  }
}

TEST(FrameTag, BackgroundIsNeverBlackBelowTheTag) {
  const Image img = test::test_frame(1280, 720, 123);
  const int strip = test::tag_geometry(1280, 720).strip_height;
  int darkest = 255;
  for (int y = strip; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      const uint8_t* p = img.at(x, y);
      darkest = std::min<int>(darkest, std::max({p[0], p[1], p[2]}));
    }
  EXPECT_GE(darkest, 50) << "brightest channel of the darkest pixel";
}

TEST(FrameTag, OnlyTheTopTwelvePercentAndTheDigitsChangeWithTheIndex) {
  for (const auto& [w, h] : std::vector<std::pair<int, int>>{{640, 360}, {1920, 400}, {400, 600}}) {
    // Same digit count (same panel), then different counts (the panel grows).
    for (const auto& [ia, ib] : {std::pair<int64_t, int64_t>{1234567, 7654321}, {7, 16000000}}) {
      const Image a = test::test_frame(w, h, ia), b = test::test_frame(w, h, ib);
      int x_min = w, x_max = -1, y_max = -1;
      for (int y = int(std::ceil(0.12 * h)); y < h; ++y)
        for (int x = 0; x < w; ++x) {
          const uint8_t *pa = a.at(x, y), *pb = b.at(x, y);
          if (std::equal(pa, pa + 4, pb)) continue;
          x_min = std::min(x_min, x), x_max = std::max(x_max, x), y_max = std::max(y_max, y);
          if (ia >= 1000000 && ib >= 1000000) {
            // Digit strokes and their panel: neutral grey or white.
            ASSERT_TRUE(pa[0] == pa[1] && pa[1] == pa[2] && pb[0] == pb[1] && pb[1] == pb[2])
                << w << "x" << h << " pixel " << x << "," << y;
          }
        }
      // The digits sit in the middle, above the bottom 35% (where a GUI panel may be).
      EXPECT_GT(x_min, w / 20) << w << "x" << h;
      EXPECT_LT(x_max, w - w / 20) << w << "x" << h;
      EXPECT_LT(y_max, int(0.6 * h)) << w << "x" << h;
    }
  }
}

TEST(FrameTag, ReadTakesWellUnderAMillisecondAt1080p) {
  const Image full = test::test_frame(1920, 1080, 654321);
  Image boxed = test::place(test::test_frame(640, 360, 654321), 0.5, 1920, 1080, 1400, 500);
  test::cover_bottom(boxed, 0.35, {40, 40, 40}, 1.0);
  const Image black = test::solid(1920, 1080, {0, 0, 0});
  const std::pair<const char*, const Image*> cases[] = {
      {"full", &full}, {"small_low", &boxed}, {"black", &black}};
  for (const auto& [name, img] : cases) {
    constexpr int kReads = 200;
    const auto start = std::chrono::steady_clock::now();
    int found = 0;
    for (int i = 0; i < kReads; ++i) found += img->read().has_value() ? 1 : 0;
    const double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count() /
        kReads;
    RecordProperty(std::string("read_us_") + name, std::to_string(us));
    std::printf("read_frame_index at 1920x1080, %s: %.1f us\n", name, us);
    EXPECT_EQ(found, img == &black ? 0 : kReads);
    EXPECT_LT(us, 3000.0);  // a few ms at most, even in sanitizer builds
  }
}

}  // namespace
}  // namespace lockstep::framecode
