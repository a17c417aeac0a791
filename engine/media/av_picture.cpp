#include "media/av_picture.h"

#include <cstdlib>

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace lockstep {

std::string av_error_text(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

bool renderer_supports(AVPixelFormat fmt) {
  switch (fmt) {
    case AV_PIX_FMT_YUV420P: case AV_PIX_FMT_YUVJ420P:
    case AV_PIX_FMT_YUV422P: case AV_PIX_FMT_YUVJ422P:
    case AV_PIX_FMT_YUV444P: case AV_PIX_FMT_YUVJ444P:
    case AV_PIX_FMT_YUV420P10LE: case AV_PIX_FMT_YUV422P10LE: case AV_PIX_FMT_YUV444P10LE:
    case AV_PIX_FMT_YUV420P12LE: case AV_PIX_FMT_YUV422P12LE: case AV_PIX_FMT_YUV444P12LE:
    case AV_PIX_FMT_NV12: case AV_PIX_FMT_P010LE:
      return true;
    default:
      return false;
  }
}

DisplayTransform display_transform(const int32_t* m) {
  if (!m) return {};
  // Each row of the 2x2 part, to its larger entry's sign: a rotation by a non-right angle
  // (rare, and not drawable here) goes to the nearest quarter turn.
  auto row = [](int32_t first, int32_t second, int& p, int& q) {
    const bool first_larger = std::abs(int64_t(first)) >= std::abs(int64_t(second));
    p = first_larger ? (first > 0) - (first < 0) : 0;
    q = first_larger ? 0 : (second > 0) - (second < 0);
  };
  DisplayTransform t;
  row(m[0], m[1], t.a, t.b);
  row(m[3], m[4], t.c, t.d);
  // One non-zero per column too, or it is no quarter turn (a degenerate matrix): upright.
  const bool straight = t.a != 0 && t.d != 0, turned = t.b != 0 && t.c != 0;
  if (!straight && !turned) return {};
  return t;
}

ColorMatrix matrix_of(const AVFrame& f) {
  switch (f.colorspace) {
    case AVCOL_SPC_BT470BG: case AVCOL_SPC_SMPTE170M: case AVCOL_SPC_FCC:
      return ColorMatrix::BT601;
    case AVCOL_SPC_BT709:
      return ColorMatrix::BT709;
    case AVCOL_SPC_BT2020_NCL: case AVCOL_SPC_BT2020_CL:
      return ColorMatrix::BT2020;
    default:
      return f.height >= 720 ? ColorMatrix::BT709 : ColorMatrix::BT601;
  }
}

ColorRange range_of(const AVFrame& f) {
  const auto fmt = static_cast<AVPixelFormat>(f.format);
  if (f.color_range == AVCOL_RANGE_JPEG || fmt == AV_PIX_FMT_YUVJ420P ||
      fmt == AV_PIX_FMT_YUVJ422P || fmt == AV_PIX_FMT_YUVJ444P)
    return ColorRange::Full;
  return ColorRange::Limited;
}

PictureView picture_view(const AVFrame& f) {
  const auto fmt = static_cast<AVPixelFormat>(f.format);
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
  PictureView v;
  v.width = f.width;
  v.height = f.height;
  v.bit_depth = d->comp[0].depth;
  v.msb_aligned = d->comp[0].shift > 0;
  v.plane_count = (fmt == AV_PIX_FMT_NV12 || fmt == AV_PIX_FMT_P010LE) ? 2 : 3;
  const int cw = AV_CEIL_RSHIFT(f.width, d->log2_chroma_w);
  const int ch = AV_CEIL_RSHIFT(f.height, d->log2_chroma_h);
  for (int i = 0; i < v.plane_count; ++i) {
    v.planes[i].data = f.data[i];
    v.planes[i].stride_bytes = f.linesize[i];
    v.planes[i].width = i == 0 ? f.width : cw;
    v.planes[i].height = i == 0 ? f.height : ch;
  }
  v.matrix = matrix_of(f);
  v.range = range_of(f);
  if (f.sample_aspect_ratio.num > 0 && f.sample_aspect_ratio.den > 0) {
    v.sar_num = f.sample_aspect_ratio.num;
    v.sar_den = f.sample_aspect_ratio.den;
  }
  return v;
}

Result<std::vector<uint8_t>> ffmpeg_rgba(const AVFrame& f) {
  // SWS_BICUBIC, not SWS_POINT or SWS_BILINEAR: luma is at 1:1 either way (bicubic keeps it
  // exact), but subsampled chroma must be interpolated for a fair reference of the renderer,
  // which interpolates it at the same (centred) siting. SWS_POINT repeats chroma samples, and
  // SWS_BILINEAR takes swscale's unscaled-luma shortcut that rounds the vertical chroma
  // weights to 1/0 or 1/2 (yuv2packed1), about half a row off; bicubic runs the full filter.
  SwsContextPtr sws(sws_getContext(f.width, f.height, static_cast<AVPixelFormat>(f.format),
                                   f.width, f.height, AV_PIX_FMT_RGBA,
                                   SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT |
                                       SWS_FULL_CHR_H_INP,
                                   nullptr, nullptr, nullptr));
  if (!sws) return make_error("swscale cannot convert this frame format to RGBA");
  int matrix = SWS_CS_ITU709;
  switch (matrix_of(f)) {
    case ColorMatrix::BT601: matrix = SWS_CS_ITU601; break;
    case ColorMatrix::BT709: matrix = SWS_CS_ITU709; break;
    case ColorMatrix::BT2020: matrix = SWS_CS_BT2020; break;
  }
  const int src_full = range_of(f) == ColorRange::Full ? 1 : 0;
  sws_setColorspaceDetails(sws.get(), sws_getCoefficients(matrix), src_full,
                           sws_getCoefficients(matrix), 1, 0, 1 << 16, 1 << 16);
  std::vector<uint8_t> out(static_cast<size_t>(f.width) * f.height * 4);
  uint8_t* dst[4] = {out.data(), nullptr, nullptr, nullptr};
  int dst_stride[4] = {f.width * 4, 0, 0, 0};
  sws_scale(sws.get(), f.data, f.linesize, 0, f.height, dst, dst_stride);
  return out;
}

}  // namespace lockstep
