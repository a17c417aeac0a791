// RGBA8 images for the framecode tests: test frames, and what a window system does to
// them (scale, letterbox, cover with a panel, add noise, damage, blend).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace lockstep::framecode::test {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgba;  // tightly packed rows

  uint8_t* at(int x, int y) { return rgba.data() + (size_t(y) * size_t(width) + size_t(x)) * 4; }
  const uint8_t* at(int x, int y) const {
    return rgba.data() + (size_t(y) * size_t(width) + size_t(x)) * 4;
  }
  /// read_frame_index on this image.
  std::optional<int64_t> read() const;
};

Image solid(int width, int height, Rgb colour);
Image test_frame(int width, int height, int64_t index);

/// Fills [x0, x1) x [y0, y1), clipped.
void fill(Image& img, int x0, int y0, int x1, int y1, Rgb colour);

/// `picture` scaled by `scale` (box filter when shrinking, bilinear when enlarging) with
/// its top-left corner at (x, y) in a black canvas of the given size.
Image place(const Image& picture, double scale, int canvas_width, int canvas_height, int x, int y);

/// Blends `colour` at `opacity` over the bottom `fraction` of the image (a GUI panel).
void cover_bottom(Image& img, double fraction, Rgb colour, double opacity);

/// Adds uniform noise of +-amplitude to every channel.
void add_noise(Image& img, int amplitude, uint32_t seed);

/// a * weight + b * (1 - weight), per channel.
Image blend(const Image& a, const Image& b, double weight);

/// Where the tag of a frame of this size is drawn (pixels).
struct TagGeometry {
  int width = 0;
  int units = 0;
  int strip_height = 0;
  int band_top = 0, band_bottom = 0;

  int unit_x0(int unit) const { return (unit * width + units - 1) / units; }
  int unit_centre_x(int unit) const { return (unit_x0(unit) + unit_x0(unit + 1)) / 2; }
  int band_centre_y() const { return (band_top + band_bottom) / 2; }
};
TagGeometry tag_geometry(int width, int height);

}  // namespace lockstep::framecode::test
