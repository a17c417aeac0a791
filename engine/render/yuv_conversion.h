// CPU side of the picture shader: the YUV→RGB matrix for a picture's matrix, range and sample
// encoding, and the letterboxed rectangle it is drawn into. Pure functions, no Vulkan, so they
// are tested without a device.
#pragma once

#include "media/picture.h"

namespace lockstep {

/// rgb[i] = sum_j matrix[i][j] * s[j] + offset[i], where s = (Y, Cb, Cr) as the shader samples
/// them: each texel normalised by its texture format (R8_UNORM: code / 255, R16_UNORM:
/// word / 65535). Bit depth, alignment in the 16-bit word, range and matrix are all folded in.
struct YuvToRgb {
  float matrix[3][3] = {};
  float offset[3] = {};
  friend bool operator==(const YuvToRgb&, const YuvToRgb&) = default;
};

YuvToRgb yuv_to_rgb(ColorMatrix matrix, ColorRange range, int bit_depth, bool msb_aligned);
inline YuvToRgb yuv_to_rgb(const PictureView& p) {
  return yuv_to_rgb(p.matrix, p.range, p.bit_depth, p.msb_aligned);
}

/// A rectangle in target pixels, origin top-left.
struct PixelRect {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
  friend bool operator==(const PixelRect&, const PixelRect&) = default;
};

/// The largest rectangle centred in a target of `target_width` x `target_height` pixels that
/// shows the picture with its display aspect ratio (width * sar / height); the rest of the
/// target is black bars. Whole pixels, so the bars have sharp edges.
PixelRect letterbox(int target_width, int target_height, int picture_width, int picture_height,
                    int sar_num = 1, int sar_den = 1);
/// The same for a picture shown turned as its transform says.
PixelRect letterbox(int target_width, int target_height, const PictureView& p);

/// Texture coordinates for a display position, as the picture shader computes them: the
/// picture's (u, v) for display (u', v'), both in [0, 1] from the top-left:
///   u = 0.5 + m[0] (u' - 0.5) + m[1] (v' - 0.5),  v = 0.5 + m[2] (u' - 0.5) + m[3] (v' - 0.5)
/// (the inverse of the transform, which is its transpose).
struct UvTransform {
  float m[4] = {1, 0, 0, 1};
};
UvTransform uv_transform(DisplayTransform t);

}  // namespace lockstep
