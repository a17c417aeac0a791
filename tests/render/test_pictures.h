// Synthetic pictures for the renderer tests: an RGBA test card converted by swscale into the
// YUV format, matrix and range under test, and helpers to look at read-back images.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "media/av_picture.h"
#include "media/av_ptr.h"
#include "media/picture.h"

namespace lockstep::test {

/// RGBA8 test card: smooth horizontal and vertical gradients, colour bars, a diagonal
/// sweep and fine detail (a one-pixel checker patch and thin lines).
std::vector<uint8_t> make_test_card(int width, int height);

/// `rgba` (width x height) converted by swscale (bicubic, accurate rounding) into `format`
/// with `matrix` and `range`; the frame's colorspace/color_range say so too.
AVFramePtr make_yuv_frame(const std::vector<uint8_t>& rgba, int width, int height,
                          AVPixelFormat format, ColorMatrix matrix, ColorRange range);

/// A frame of one flat colour given as 8-bit-scale Y, Cb, Cr codes (scaled to the depth).
AVFramePtr make_flat_frame(int width, int height, AVPixelFormat format, int y, int cb, int cr);

/// swscale's resize of an RGBA image (bilinear), for comparing scaled draws.
std::vector<uint8_t> resize_rgba(const std::vector<uint8_t>& rgba, int width, int height,
                                 int new_width, int new_height);

/// RGBA of pixel (x, y).
struct Rgba {
  uint8_t r, g, b, a;
};
Rgba pixel_at(const std::vector<uint8_t>& rgba, int width, int x, int y);
std::string to_string(Rgba p);

/// PSNR (RGB) of the rectangle (x, y, w, h) of `a` (a_width wide) against `b` (w x h).
double psnr_region(const std::vector<uint8_t>& a, int a_width, int x, int y, int w, int h,
                   const std::vector<uint8_t>& b);

}  // namespace lockstep::test
