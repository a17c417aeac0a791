#include "test_images.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "framecode/framecode.h"
#include "framecode/tag_layout.h"

namespace lockstep::framecode::test {

std::optional<int64_t> Image::read() const {
  return read_frame_index(rgba.data(), width, height, width * 4);
}

Image solid(int width, int height, Rgb colour) {
  Image img{width, height, std::vector<uint8_t>(size_t(width) * size_t(height) * 4)};
  fill(img, 0, 0, width, height, colour);
  return img;
}

Image test_frame(int width, int height, int64_t index) {
  Image img{width, height, std::vector<uint8_t>(size_t(width) * size_t(height) * 4)};
  draw_test_frame(img.rgba.data(), width, height, width * 4, index);
  return img;
}

void fill(Image& img, int x0, int y0, int x1, int y1, Rgb colour) {
  for (int y = std::max(0, y0); y < std::min(img.height, y1); ++y)
    for (int x = std::max(0, x0); x < std::min(img.width, x1); ++x) {
      uint8_t* p = img.at(x, y);
      p[0] = colour.r, p[1] = colour.g, p[2] = colour.b, p[3] = 255;
    }
}

namespace {

// Mean of source pixels [x0, x1) x [y0, y1) for shrinking; bilinear at a point for enlarging.
void box_mean(const Image& src, double x0, double y0, double x1, double y1, double out[3]) {
  const int ix0 = int(x0), iy0 = int(y0);
  const int ix1 = std::max(ix0 + 1, std::min(src.width, int(std::ceil(x1))));
  const int iy1 = std::max(iy0 + 1, std::min(src.height, int(std::ceil(y1))));
  double sum[3] = {0, 0, 0};
  for (int y = iy0; y < iy1; ++y)
    for (int x = ix0; x < ix1; ++x)
      for (int c = 0; c < 3; ++c) sum[c] += src.at(x, y)[c];
  const double n = double(ix1 - ix0) * double(iy1 - iy0);
  for (int c = 0; c < 3; ++c) out[c] = sum[c] / n;
}

void bilinear(const Image& src, double x, double y, double out[3]) {
  x = std::clamp(x, 0.0, src.width - 1.0);
  y = std::clamp(y, 0.0, src.height - 1.0);
  const int x0 = int(x), y0 = int(y);
  const int x1 = std::min(x0 + 1, src.width - 1), y1 = std::min(y0 + 1, src.height - 1);
  const double fx = x - x0, fy = y - y0;
  for (int c = 0; c < 3; ++c) {
    const double top = src.at(x0, y0)[c] * (1 - fx) + src.at(x1, y0)[c] * fx;
    const double bottom = src.at(x0, y1)[c] * (1 - fx) + src.at(x1, y1)[c] * fx;
    out[c] = top * (1 - fy) + bottom * fy;
  }
}

}  // namespace

Image place(const Image& picture, double scale, int canvas_width, int canvas_height, int x, int y) {
  Image canvas = solid(canvas_width, canvas_height, {0, 0, 0});
  const int w = int(std::lround(picture.width * scale));
  const int h = int(std::lround(picture.height * scale));
  const double sx = double(picture.width) / w, sy = double(picture.height) / h;
  for (int j = 0; j < h; ++j) {
    if (y + j < 0 || y + j >= canvas_height) continue;
    for (int i = 0; i < w; ++i) {
      if (x + i < 0 || x + i >= canvas_width) continue;
      double rgb[3];
      if (scale < 1)
        box_mean(picture, i * sx, j * sy, (i + 1) * sx, (j + 1) * sy, rgb);
      else
        bilinear(picture, (i + 0.5) * sx - 0.5, (j + 0.5) * sy - 0.5, rgb);
      uint8_t* p = canvas.at(x + i, y + j);
      for (int c = 0; c < 3; ++c) p[c] = uint8_t(std::lround(rgb[c]));
    }
  }
  return canvas;
}

void cover_bottom(Image& img, double fraction, Rgb colour, double opacity) {
  const uint8_t rgb[3] = {colour.r, colour.g, colour.b};
  for (int y = int(img.height * (1 - fraction)); y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      uint8_t* p = img.at(x, y);
      for (int c = 0; c < 3; ++c)
        p[c] = uint8_t(std::lround(p[c] * (1 - opacity) + rgb[c] * opacity));
    }
}

void add_noise(Image& img, int amplitude, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(-amplitude, amplitude);
  for (size_t i = 0; i < img.rgba.size(); ++i) {
    if (i % 4 == 3) continue;
    img.rgba[i] = uint8_t(std::clamp(img.rgba[i] + noise(rng), 0, 255));
  }
}

Image blend(const Image& a, const Image& b, double weight) {
  Image out = a;
  for (size_t i = 0; i < out.rgba.size(); ++i)
    out.rgba[i] = uint8_t(std::lround(a.rgba[i] * weight + b.rgba[i] * (1 - weight)));
  return out;
}

TagGeometry tag_geometry(int width, int height) {
  const TagRows rows = tag_rows(width, height);
  return TagGeometry{width, kUnits, rows.height, rows.band_top, rows.band_bottom};
}

}  // namespace lockstep::framecode::test
