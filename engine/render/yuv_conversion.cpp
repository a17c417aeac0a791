#include "render/yuv_conversion.h"

#include <algorithm>
#include <cstdint>

namespace lockstep {

YuvToRgb yuv_to_rgb(ColorMatrix matrix, ColorRange range, int bit_depth, bool msb_aligned) {
  double kr = 0.2126, kb = 0.0722;  // BT.709
  switch (matrix) {
    case ColorMatrix::BT601:
      kr = 0.299;
      kb = 0.114;
      break;
    case ColorMatrix::BT709:
      kr = 0.2126;
      kb = 0.0722;
      break;
    case ColorMatrix::BT2020:
      kr = 0.2627;
      kb = 0.0593;
      break;
  }
  const double kg = 1.0 - kr - kb;

  // Code value (0 .. 2^bits - 1) per unit of normalised texel.
  double code_per_unit = 255.0;
  if (bit_depth > 8) {
    // 16-bit words in R16_UNORM: value = word / 65535. LSB-aligned codes are the word itself;
    // MSB-aligned codes are word >> (16 - bits), so code = value * 65535 / 2^(16 - bits).
    code_per_unit = 65535.0;
    if (msb_aligned) code_per_unit /= double(1 << (16 - bit_depth));
  }
  const double step = double(1 << (std::max(bit_depth, 8) - 8));  // 1 for 8-bit, 4 for 10-bit
  const double max_code = double((1 << std::max(bit_depth, 8)) - 1);
  double y_offset, y_scale, c_offset, c_scale;  // normalised Y' = (code - offset) * scale
  if (range == ColorRange::Limited) {
    y_offset = 16.0 * step;
    y_scale = 1.0 / (219.0 * step);
    c_offset = 128.0 * step;
    c_scale = 1.0 / (224.0 * step);
  } else {
    y_offset = 0.0;
    y_scale = 1.0 / max_code;
    c_offset = 128.0 * step;
    c_scale = 1.0 / max_code;
  }

  // E'_R = Y' + 2(1-Kr) Pr; E'_B = Y' + 2(1-Kb) Pb; E'_G = Y' - (2Kb(1-Kb) Pb + 2Kr(1-Kr) Pr) / Kg.
  const double m[3][3] = {
      {1.0, 0.0, 2.0 * (1.0 - kr)},
      {1.0, -2.0 * kb * (1.0 - kb) / kg, -2.0 * kr * (1.0 - kr) / kg},
      {1.0, 2.0 * (1.0 - kb), 0.0},
  };
  const double scale[3] = {code_per_unit * y_scale, code_per_unit * c_scale,
                           code_per_unit * c_scale};
  const double bias[3] = {-y_offset * y_scale, -c_offset * c_scale, -c_offset * c_scale};
  YuvToRgb out;
  for (int i = 0; i < 3; ++i) {
    double off = 0.0;
    for (int j = 0; j < 3; ++j) {
      out.matrix[i][j] = float(m[i][j] * scale[j]);
      off += m[i][j] * bias[j];
    }
    out.offset[i] = float(off);
  }
  return out;
}

PixelRect letterbox(int target_width, int target_height, const PictureView& p) {
  if (!p.transform.swaps_axes())
    return letterbox(target_width, target_height, p.width, p.height, p.sar_num, p.sar_den);
  // Turned a quarter: the display is the picture's height (in samples) wide.
  return letterbox(target_width, target_height, p.height, p.width, p.sar_den, p.sar_num);
}

UvTransform uv_transform(DisplayTransform t) {
  return UvTransform{{float(t.a), float(t.b), float(t.c), float(t.d)}};
}

PixelRect letterbox(int target_width, int target_height, int picture_width, int picture_height,
                    int sar_num, int sar_den) {
  if (target_width <= 0 || target_height <= 0) return {};
  if (picture_width <= 0 || picture_height <= 0) return {0, 0, target_width, target_height};
  if (sar_num <= 0 || sar_den <= 0) sar_num = sar_den = 1;
  // Display aspect = (pw * sar_num) / (ph * sar_den); compare with tw / th exactly in integers.
  const int64_t dw = int64_t(picture_width) * sar_num;
  const int64_t dh = int64_t(picture_height) * sar_den;
  PixelRect r;
  if (int64_t(target_width) * dh > int64_t(target_height) * dw) {  // target wider: pillarbox
    r.height = target_height;
    r.width = int((int64_t(target_height) * dw * 2 + dh) / (2 * dh));  // rounded
  } else {  // target taller (or equal): letterbox
    r.width = target_width;
    r.height = int((int64_t(target_width) * dh * 2 + dw) / (2 * dw));
  }
  r.width = std::clamp(r.width, 1, target_width);
  r.height = std::clamp(r.height, 1, target_height);
  r.x = (target_width - r.width) / 2;
  r.y = (target_height - r.height) / 2;
  return r;
}

}  // namespace lockstep
