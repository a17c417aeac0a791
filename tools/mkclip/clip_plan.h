// lockstep-mkclip's plan: the options as typed, checked and resolved to FFmpeg values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include "core/result.h"

namespace lockstep::mkclip {

/// Options as typed on the command line.
struct ClipOptions {
  std::string output;
  std::string size = "640x360";
  std::string fps = "30";
  double duration_s = 5;
  int64_t frames = 0;  // 0: from duration_s
  std::string codec = "h264";
  std::string pix_fmt = "yuv420p";
  std::string matrix = "bt709";
  std::string range = "limited";
  int audio_rate = 48000;  // Hz
  int channels = 2;
  bool no_audio = false;
  int gop = 0;         // frames between keyframes; 0: 2 * fps
  int mark_every = 0;  // frames between audio marks; 0: round(fps)
  std::optional<int> crf;
};

/// Everything checked and resolved to FFmpeg values.
struct ClipPlan {
  std::string path;
  const AVOutputFormat* container = nullptr;
  int width = 0, height = 0;
  AVRational fps{0, 1};
  int64_t frames = 0;
  int gop = 0;
  const AVCodec* video_codec = nullptr;
  AVPixelFormat pix_fmt = AV_PIX_FMT_NONE;
  AVColorSpace colorspace = AVCOL_SPC_UNSPECIFIED;
  AVColorPrimaries primaries = AVCOL_PRI_UNSPECIFIED;
  AVColorTransferCharacteristic transfer = AVCOL_TRC_UNSPECIFIED;
  AVColorRange range = AVCOL_RANGE_UNSPECIFIED;
  int sws_matrix = SWS_CS_ITU709;
  std::optional<int> crf;
  const AVCodec* audio_codec = nullptr;  // nullptr: no audio
  int sample_rate = 0;
  int channels = 0;
  int mark_every = 0;
};


/// Checks `options` and resolves them; errors name the option and what is accepted.
Result<ClipPlan> resolve(const ClipOptions& options);

/// The one line printed once a clip is written.
std::string summary(const ClipPlan& plan, double seconds);

}  // namespace lockstep::mkclip
