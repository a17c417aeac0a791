// Describing FFmpeg frames as PictureView, and converting them to RGBA with FFmpeg's own
// converter (the reference the renderer is checked against).
#pragma once

#include <cstdint>
#include <vector>

#include "core/result.h"
#include "media/av_ptr.h"
#include "media/picture.h"

namespace lockstep {

/// True when the renderer can draw `fmt` directly (8/10/12-bit planar 4:2:0, 4:2:2, 4:4:4,
/// NV12, P010). Other formats are converted first (see Decoder).
bool renderer_supports(AVPixelFormat fmt);

/// Describes a CPU frame in a supported format; matrix and range come from the frame
/// (unspecified matrix: BT.709 for HD and larger, BT.601 below; unspecified range: limited).
PictureView picture_view(const AVFrame& frame);

/// The display transform of an FFmpeg display matrix (AV_PKT_DATA_DISPLAYMATRIX: 9 int32,
/// 16.16 fixed point), to the nearest quarter turn; null gives the identity.
DisplayTransform display_transform(const int32_t* matrix);

ColorMatrix matrix_of(const AVFrame& frame);
ColorRange range_of(const AVFrame& frame);

/// FFmpeg's (swscale) conversion of `frame` to tightly packed RGBA8 at the same size,
/// using the frame's matrix and range, bit-exact accurate rounding.
Result<std::vector<uint8_t>> ffmpeg_rgba(const AVFrame& frame);

}  // namespace lockstep
