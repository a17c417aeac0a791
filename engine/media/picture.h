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
};

}  // namespace lockstep
