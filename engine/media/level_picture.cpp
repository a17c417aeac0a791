#include "media/level_picture.h"

#include <algorithm>
#include <cmath>

extern "C" {
#include <libavutil/samplefmt.h>
}

namespace lockstep {

namespace {

constexpr int kMaxBars = 8;
constexpr double kFloorDb = -60.0;

struct Yuv {
  uint8_t y, u, v;
};
constexpr Yuv kBackground{32, 128, 128};
constexpr Yuv kScale{64, 128, 128};
constexpr Yuv kGreen{150, 44, 21};
constexpr Yuv kYellow{210, 16, 146};
constexpr Yuv kRed{81, 90, 240};
constexpr Yuv kDone{180, 128, 128};
constexpr Yuv kLeft{56, 128, 128};

void fill(AVFrame& f, int x0, int y0, int x1, int y1, Yuv c) {
  x0 = std::clamp(x0, 0, f.width), x1 = std::clamp(x1, 0, f.width);
  y0 = std::clamp(y0, 0, f.height), y1 = std::clamp(y1, 0, f.height);
  for (int y = y0; y < y1; ++y) std::fill_n(f.data[0] + size_t(y) * f.linesize[0] + x0, std::max(0, x1 - x0), c.y);
  for (int y = y0 / 2; y < (y1 + 1) / 2; ++y) {
    const int w = std::max(0, (x1 + 1) / 2 - x0 / 2);
    std::fill_n(f.data[1] + size_t(y) * f.linesize[1] + x0 / 2, w, c.u);
    std::fill_n(f.data[2] + size_t(y) * f.linesize[2] + x0 / 2, w, c.v);
  }
}

/// Height fraction (0..1) of a level in dBFS.
double fraction(double db) { return std::clamp((db - kFloorDb) / -kFloorDb, 0.0, 1.0); }

}  // namespace

LevelBar level_bar(int channel, int channels, int width, int height) {
  const int n = std::clamp(channels, 1, kMaxBars);
  const int left = width / 10, right = width - width / 10;
  const int slot = (right - left) / n;
  LevelBar b;
  b.x0 = left + channel * slot + slot / 6;
  b.x1 = left + (channel + 1) * slot - slot / 6;
  b.top = height / 10;
  b.bottom = height * 8 / 10;
  return b;
}

void draw_level_picture(AVFrame& f, const std::vector<float>& peaks, double progress) {
  fill(f, 0, 0, f.width, f.height, kBackground);
  const int n = std::clamp(int(peaks.size()), 1, kMaxBars);
  const LevelBar whole{level_bar(0, n, f.width, f.height).x0, level_bar(n - 1, n, f.width, f.height).x1,
                       f.height / 10, f.height * 8 / 10};
  const int span = whole.bottom - whole.top;
  for (double db = kFloorDb; db <= 0.0; db += 10.0) {  // scale lines
    const int y = whole.bottom - int(std::lround(fraction(db) * span));
    fill(f, whole.x0, y - 1, whole.x1, y + 1, kScale);
  }
  for (int ch = 0; ch < n && ch < int(peaks.size()); ++ch) {
    const LevelBar b = level_bar(ch, n, f.width, f.height);
    const double peak = std::min(1.0f, std::fabs(peaks[size_t(ch)]));
    const double db = peak > 0 ? 20.0 * std::log10(peak) : kFloorDb;
    const int top = b.bottom - int(std::lround(fraction(db) * span));
    const int yellow = b.bottom - int(std::lround(fraction(-6.0) * span));
    const int red = b.bottom - int(std::lround(fraction(-1.0) * span));
    fill(f, b.x0, std::max(top, yellow), b.x1, b.bottom, kGreen);
    if (top < yellow) fill(f, b.x0, std::max(top, red), b.x1, yellow, kYellow);
    if (top < red) fill(f, b.x0, top, b.x1, red, kRed);
  }
  const int y0 = f.height * 88 / 100, y1 = f.height * 92 / 100;
  const int done = whole.x0 + int(std::lround(std::clamp(progress, 0.0, 1.0) * (whole.x1 - whole.x0)));
  fill(f, whole.x0, y0, done, y1, kDone);
  fill(f, done, y0, whole.x1, y1, kLeft);
}

float sample_value(const AVFrame& f, int ch, int i) {
  const auto fmt = static_cast<AVSampleFormat>(f.format);
  const bool planar = av_sample_fmt_is_planar(fmt);
  const int channels = f.ch_layout.nb_channels;
  const uint8_t* base = planar ? f.extended_data[ch] : f.extended_data[0];
  const size_t at = planar ? size_t(i) : size_t(i) * size_t(channels) + size_t(ch);
  switch (av_get_packed_sample_fmt(fmt)) {
    case AV_SAMPLE_FMT_U8: return (float(base[at]) - 128.0f) / 128.0f;
    case AV_SAMPLE_FMT_S16: return float(reinterpret_cast<const int16_t*>(base)[at]) / 32768.0f;
    case AV_SAMPLE_FMT_S32: return float(double(reinterpret_cast<const int32_t*>(base)[at]) / 2147483648.0);
    case AV_SAMPLE_FMT_S64: return float(double(reinterpret_cast<const int64_t*>(base)[at]) / 9223372036854775808.0);
    case AV_SAMPLE_FMT_FLT: return reinterpret_cast<const float*>(base)[at];
    case AV_SAMPLE_FMT_DBL: return float(reinterpret_cast<const double*>(base)[at]);
    default: return 0.0f;
  }
}

}  // namespace lockstep
