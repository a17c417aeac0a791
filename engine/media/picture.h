// A decoded picture as the renderer sees it: planar or semi-planar YUV in CPU memory, with
// the colour description needed to convert it. No FFmpeg types, so render/ does not need
// FFmpeg headers. The view does not own the memory; it is valid as long as its frame.
#pragma once

#include <cstdint>

namespace lockstep {

enum class ColorMatrix { BT601, BT709, BT2020 };
enum class ColorRange { Limited, Full };

struct PlaneView {
  const uint8_t* data = nullptr;
  int stride_bytes = 0;  // may be larger than width * bytes per sample
  int width = 0;         // samples (pixels) per row of this plane
  int height = 0;        // rows
};

/// How a picture is turned for display: a file's display matrix, in whole quarter turns and
/// mirrors. With FFmpeg's names for the matrix entries, the picture's pixel (x, y) shows at
///   x' = a * x + c * y,  y' = b * x + d * y   (image coordinates, y down; about the centre),
/// so {1, 0, 0, 1} is upright, {0, 1, -1, 0} a quarter turn clockwise, {-1, 0, 0, 1} mirrored
/// left to right. Every entry is -1, 0 or 1, one non-zero per row and column.
struct DisplayTransform {
  int a = 1, b = 0, c = 0, d = 1;
  bool identity() const { return a == 1 && d == 1; }
  /// A quarter turn either way: the display is the picture's height wide.
  bool swaps_axes() const { return a == 0; }
  friend bool operator==(const DisplayTransform&, const DisplayTransform&) = default;
};

/// The size a picture of `width` x `height` samples is shown at, at its natural scale: the
/// sample aspect ratio widens (or heightens) it, never shrinks it (as mpv does: a 720x576
/// 16:9 PAL picture, SAR 64:45, shows at 1024x576), then a quarter turn swaps the sides.
struct DisplaySize {
  int width = 0;
  int height = 0;
};
inline DisplaySize display_size(int width, int height, int sar_num, int sar_den,
                                DisplayTransform transform) {
  DisplaySize s{width, height};
  if (sar_num > 0 && sar_den > 0) {
    if (sar_num > sar_den) s.width = int((int64_t(width) * sar_num + sar_den / 2) / sar_den);
    if (sar_den > sar_num) s.height = int((int64_t(height) * sar_den + sar_num / 2) / sar_num);
  }
  if (transform.swaps_axes()) return {s.height, s.width};
  return s;
}

struct PictureView {
  int width = 0;   // luma width, pixels
  int height = 0;  // luma height, pixels
  /// 8 for 8-bit samples (1 byte); 10 or 12 for samples stored in 16-bit little-endian words.
  int bit_depth = 8;
  /// For bit_depth > 8: true when the value sits in the high bits of the 16-bit word
  /// (P010 from hardware decoders), false when in the low bits (yuv420p10le).
  bool msb_aligned = false;
  /// 3: Y, U, V planes. 2: Y plane + one interleaved UV plane (NV12, P010).
  int plane_count = 3;
  PlaneView planes[3];
  ColorMatrix matrix = ColorMatrix::BT709;
  ColorRange range = ColorRange::Limited;
  int sar_num = 1;  // sample aspect ratio, for letterboxing
  int sar_den = 1;
  DisplayTransform transform;  // turned and mirrored for display as the file asks
};

}  // namespace lockstep
