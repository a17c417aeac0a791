#include "test_pictures.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
}

#include "support/image_io.h"

namespace lockstep::test {
namespace {

int sws_matrix(ColorMatrix m) {
  switch (m) {
    case ColorMatrix::BT601:
      return SWS_CS_ITU601;
    case ColorMatrix::BT709:
      return SWS_CS_ITU709;
    case ColorMatrix::BT2020:
      return SWS_CS_BT2020;
  }
  return SWS_CS_ITU709;
}

AVColorSpace av_colorspace(ColorMatrix m) {
  switch (m) {
    case ColorMatrix::BT601:
      return AVCOL_SPC_SMPTE170M;
    case ColorMatrix::BT709:
      return AVCOL_SPC_BT709;
    case ColorMatrix::BT2020:
      return AVCOL_SPC_BT2020_NCL;
  }
  return AVCOL_SPC_BT709;
}

AVFramePtr alloc_frame(int width, int height, AVPixelFormat format) {
  AVFramePtr frame = make_frame();
  frame->width = width;
  frame->height = height;
  frame->format = format;
  if (av_frame_get_buffer(frame.get(), 0) < 0) throw std::runtime_error("av_frame_get_buffer");
  return frame;
}

uint8_t clamp8(double v) { return uint8_t(std::clamp(std::lround(v), 0L, 255L)); }

}  // namespace

std::vector<uint8_t> make_test_card(int width, int height) {
  std::vector<uint8_t> rgba(size_t(width) * height * 4);
  static const uint8_t bars[8][3] = {{235, 235, 235}, {235, 235, 16}, {16, 235, 235}, {16, 235, 16},
                                     {235, 16, 235},  {235, 16, 16},  {16, 16, 235},  {16, 16, 16}};
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const double u = (x + 0.5) / width, v = (y + 0.5) / height;
      double r, g, b;
      if (v < 0.25) {  // colour bars
        const auto* c = bars[std::min(7, int(u * 8))];
        r = c[0], g = c[1], b = c[2];
      } else if (v < 0.5) {  // smooth hue sweep and luminance ramp
        r = 255 * (0.5 + 0.5 * std::sin(6.283 * u));
        g = 255 * (0.5 + 0.5 * std::sin(6.283 * u + 2.094));
        b = 255 * (0.5 + 0.5 * std::sin(6.283 * u + 4.189));
        const double k = (v - 0.25) * 4;
        r = r * (1 - k) + 255 * u * k, g = g * (1 - k) + 255 * u * k, b = b * (1 - k) + 255 * u * k;
      } else if (v < 0.75) {  // two-dimensional gradient
        r = 255 * u, g = 255 * (v - 0.5) * 4, b = 255 * (1 - u);
      } else {  // detail: checker patch, thin lines, diagonal ramp
        r = g = b = 40 + 180 * (0.5 + 0.5 * std::sin((x + y) * 0.15));
        if (x % 64 < 16 && y % 64 < 16) r = g = b = ((x + y) & 1) ? 220 : 30;
        if (x % 37 == 0) r = 250, g = 60, b = 60;
        if (y % 29 == 0) r = 50, g = 90, b = 250;
      }
      uint8_t* p = &rgba[(size_t(y) * width + x) * 4];
      p[0] = clamp8(r), p[1] = clamp8(g), p[2] = clamp8(b), p[3] = 255;
    }
  }
  return rgba;
}

AVFramePtr make_yuv_frame(const std::vector<uint8_t>& rgba, int width, int height,
                          AVPixelFormat format, ColorMatrix matrix, ColorRange range) {
  AVFramePtr frame = alloc_frame(width, height, format);
  SwsContextPtr sws(sws_getContext(width, height, AV_PIX_FMT_RGBA, width, height, format,
                                   SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP, nullptr,
                                   nullptr, nullptr));
  if (!sws)
    throw std::runtime_error("sws_getContext RGBA -> " + std::string(av_get_pix_fmt_name(format)));
  const int* coeffs = sws_getCoefficients(sws_matrix(matrix));
  sws_setColorspaceDetails(sws.get(), coeffs, 1, coeffs, range == ColorRange::Full ? 1 : 0, 0,
                           1 << 16, 1 << 16);
  const uint8_t* src[4] = {rgba.data(), nullptr, nullptr, nullptr};
  const int src_stride[4] = {width * 4, 0, 0, 0};
  sws_scale(sws.get(), src, src_stride, 0, height, frame->data, frame->linesize);
  frame->colorspace = av_colorspace(matrix);
  frame->color_range = range == ColorRange::Full ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
  return frame;
}

AVFramePtr make_flat_frame(int width, int height, AVPixelFormat format, int y, int cb, int cr) {
  AVFramePtr frame = alloc_frame(width, height, format);
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(format);
  const int depth = d->comp[0].depth, shift = d->comp[0].shift;
  const int scale = 1 << (depth - 8);
  const int values[3] = {y * scale, cb * scale, cr * scale};
  for (int c = 0; c < 3; ++c) {
    const AVComponentDescriptor& comp = d->comp[c];
    const int w = c ? AV_CEIL_RSHIFT(width, d->log2_chroma_w) : width;
    const int h = c ? AV_CEIL_RSHIFT(height, d->log2_chroma_h) : height;
    for (int row = 0; row < h; ++row) {
      uint8_t* line = frame->data[comp.plane] + size_t(row) * frame->linesize[comp.plane];
      for (int col = 0; col < w; ++col) {
        uint8_t* p = line + size_t(col) * comp.step + comp.offset;
        if (depth > 8) {
          const uint16_t v = uint16_t(values[c] << shift);
          std::memcpy(p, &v, 2);
        } else {
          *p = uint8_t(values[c]);
        }
      }
    }
  }
  frame->colorspace = AVCOL_SPC_BT709;
  frame->color_range = AVCOL_RANGE_MPEG;
  return frame;
}

std::vector<uint8_t> resize_rgba(const std::vector<uint8_t>& rgba, int width, int height,
                                 int new_width, int new_height) {
  std::vector<uint8_t> out(size_t(new_width) * new_height * 4);
  SwsContextPtr sws(sws_getContext(width, height, AV_PIX_FMT_RGBA, new_width, new_height,
                                   AV_PIX_FMT_RGBA, SWS_BILINEAR, nullptr, nullptr, nullptr));
  const uint8_t* src[4] = {rgba.data(), nullptr, nullptr, nullptr};
  const int src_stride[4] = {width * 4, 0, 0, 0};
  uint8_t* dst[4] = {out.data(), nullptr, nullptr, nullptr};
  const int dst_stride[4] = {new_width * 4, 0, 0, 0};
  sws_scale(sws.get(), src, src_stride, 0, height, dst, dst_stride);
  return out;
}

Rgba pixel_at(const std::vector<uint8_t>& rgba, int width, int x, int y) {
  const uint8_t* p = &rgba[(size_t(y) * width + x) * 4];
  return {p[0], p[1], p[2], p[3]};
}

std::string to_string(Rgba p) {
  return "(" + std::to_string(p.r) + "," + std::to_string(p.g) + "," + std::to_string(p.b) + "," +
         std::to_string(p.a) + ")";
}

double psnr_region(const std::vector<uint8_t>& a, int a_width, int x, int y, int w, int h,
                   const std::vector<uint8_t>& b) {
  std::vector<uint8_t> crop(size_t(w) * h * 4);
  for (int row = 0; row < h; ++row)
    std::memcpy(&crop[size_t(row) * w * 4], &a[((size_t(y) + row) * a_width + x) * 4],
                size_t(w) * 4);
  return psnr_rgb(crop, b);
}

}  // namespace lockstep::test
