// Decodes a whole generated clip with libavformat/libavcodec, for checking every frame and
// sample against what lockstep-mkclip drew. Small and sequential on purpose: the player's
// MediaReader is what is under test elsewhere; this is the independent reference.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "media/av_ptr.h"

namespace lockstep::framecode::test {

struct VideoStreamInfo {
  AVCodecID codec = AV_CODEC_ID_NONE;
  AVPixelFormat pix_fmt = AV_PIX_FMT_NONE;
  int width = 0, height = 0;
  AVRational frame_rate{0, 1};  // the container's average frame rate
  // Colour tags of the stream (container/codec parameters).
  AVColorSpace colorspace = AVCOL_SPC_UNSPECIFIED;
  AVColorRange range = AVCOL_RANGE_UNSPECIFIED;
  AVColorPrimaries primaries = AVCOL_PRI_UNSPECIFIED;
  AVColorTransferCharacteristic transfer = AVCOL_TRC_UNSPECIFIED;
};

struct AudioTrack {
  AVCodecID codec = AV_CODEC_ID_NONE;
  int sample_rate = 0;
  int channels = 0;
  std::vector<std::vector<float>> samples;  // per channel, every decoded sample
};

struct DecodedClip {
  VideoStreamInfo video;
  int64_t video_frames = 0;  // frames decoded
  std::optional<AudioTrack> audio;
};

/// Called for each decoded video frame in presentation order, with the frame's time in
/// seconds (best-effort timestamp times the stream's time base).
using VideoFrameVisitor = std::function<void(const AVFrame& frame, double seconds)>;

Result<DecodedClip> decode_clip(const std::string& path, const VideoFrameVisitor& on_frame);

}  // namespace lockstep::framecode::test
