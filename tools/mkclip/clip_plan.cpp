#include "tools/mkclip/clip_plan.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <tuple>

#include "core/size_arg.h"
#include "framecode/framecode.h"
#include "media/av_ptr.h"

namespace lockstep::mkclip {
namespace {

Result<AVRational> parse_fps(const std::string& text) {
  const auto bad =
      make_error("bad --fps '" + text + "': give a rate such as 25, 29.97, 59.94 or a ratio N/M");
  int num = 0, den = 0;
  char slash = 0, extra = 0;
  if (std::sscanf(text.c_str(), "%d%c%d%c", &num, &slash, &den, &extra) == 3 && slash == '/') {
    if (num <= 0 || den <= 0 || num / den > 1000) return bad;
    return av_make_q(num, den);
  }
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !(v > 0) || v > 1000) return bad;
  // NTSC rates are written rounded (23.976, 29.97, 59.94): they mean N*1000/1001.
  for (int n : {24, 30, 48, 60, 120, 240}) {
    if (std::abs(v - n * 1000.0 / 1001.0) < 0.006) return av_make_q(n * 1000, 1001);
  }
  if (v == std::floor(v)) return av_make_q(int(v), 1);
  return av_d2q(v, 100000);
}

struct CodecChoice {
  const char* name;        // --codec value
  const char* encoder;     // FFmpeg encoder
  const char* containers;  // output extensions FFmpeg can mux it into
};
constexpr CodecChoice kCodecs[] = {{"h264", "libx264", ".mp4 .mov .mkv"},
                                   {"hevc", "libx265", ".mp4 .mov .mkv"},
                                   {"vp9", "libvpx-vp9", ".mp4 .mkv .webm"},
                                   {"prores", "prores_ks", ".mov .mkv"}};

struct MatrixChoice {
  const char* name;
  AVColorSpace colorspace;
  AVColorPrimaries primaries;
  AVColorTransferCharacteristic transfer;
  int sws_matrix;
};
constexpr MatrixChoice kMatrices[] = {
    {"bt601", AVCOL_SPC_SMPTE170M, AVCOL_PRI_SMPTE170M, AVCOL_TRC_SMPTE170M, SWS_CS_SMPTE170M},
    {"bt709", AVCOL_SPC_BT709, AVCOL_PRI_BT709, AVCOL_TRC_BT709, SWS_CS_ITU709},
    {"bt2020", AVCOL_SPC_BT2020_NCL, AVCOL_PRI_BT2020, AVCOL_TRC_BT2020_10, SWS_CS_BT2020}};

constexpr const char* kPixFmts[] = {"yuv420p",     "yuv420p10le", "yuv422p",
                                    "yuv422p10le", "yuv444p",     "yuv444p10le"};

bool supports(const AVPixelFormat* list, AVPixelFormat fmt) {
  for (; list && *list != AV_PIX_FMT_NONE; ++list)
    if (*list == fmt) return true;
  return false;
}

bool supports_rate(const AVCodec* codec, int rate) {
  if (!codec->supported_samplerates) return true;
  for (const int* r = codec->supported_samplerates; *r; ++r)
    if (*r == rate) return true;
  return false;
}

Status resolve_video(const ClipOptions& o, ClipPlan& plan) {
  const CodecChoice* codec = nullptr;
  for (const auto& c : kCodecs)
    if (o.codec == c.name) codec = &c;
  if (!codec) return make_error("unknown --codec '" + o.codec + "': use h264, hevc, vp9 or prores");
  plan.video_codec = avcodec_find_encoder_by_name(codec->encoder);
  if (!plan.video_codec)
    return make_error(std::string("encoder ") + codec->encoder + " for --codec " + o.codec +
                      " is not in this FFmpeg build: choose another --codec");

  bool known_fmt = false;
  for (const char* f : kPixFmts) known_fmt |= o.pix_fmt == f;
  if (!known_fmt)
    return make_error("unknown --pix-fmt '" + o.pix_fmt +
                      "': use yuv420p, yuv422p or yuv444p, or their 10-bit ...p10le");
  plan.pix_fmt = av_get_pix_fmt(o.pix_fmt.c_str());
  if (o.codec == "prores" && !supports(plan.video_codec->pix_fmts, plan.pix_fmt))
    return make_error("--pix-fmt " + o.pix_fmt + " cannot be ProRes: prores_ks encodes 10-bit " +
                      "4:2:2 or 4:4:4 only, use --pix-fmt yuv422p10le or yuv444p10le");
  if (!supports(plan.video_codec->pix_fmts, plan.pix_fmt))
    return make_error("--pix-fmt " + o.pix_fmt + " is not supported by " + codec->encoder +
                      ": choose another --pix-fmt or --codec");

  const auto size = parse_size(o.size, 8192);
  if (!size) return make_error(size.error());
  std::tie(plan.width, plan.height) = size.value();
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(plan.pix_fmt);
  if ((plan.width % (1 << desc->log2_chroma_w)) || (plan.height % (1 << desc->log2_chroma_h)))
    return make_error("--size " + o.size + " does not fit " + o.pix_fmt +
                      " chroma subsampling: use an even width (and height for 4:2:0)");

  const MatrixChoice* matrix = nullptr;
  for (const auto& m : kMatrices)
    if (o.matrix == m.name) matrix = &m;
  if (!matrix) return make_error("unknown --matrix '" + o.matrix + "': use bt601, bt709 or bt2020");
  plan.colorspace = matrix->colorspace;
  plan.primaries = matrix->primaries;
  plan.transfer = matrix->transfer;
  plan.sws_matrix = matrix->sws_matrix;

  if (o.range != "limited" && o.range != "full")
    return make_error("unknown --range '" + o.range + "': use limited or full");
  plan.range = o.range == "full" ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
  // ProRes has no range flag: decoders always read it as limited.
  if (o.codec == "prores" && o.range == "full")
    return make_error("--range full cannot be ProRes (always limited range): use --range limited");

  if (o.crf) {
    const int max_crf = o.codec == "vp9" ? 63 : 51;
    if (o.codec == "prores") return make_error("--crf does not apply to prores: leave it out");
    if (*o.crf < 0 || *o.crf > max_crf)
      return make_error("bad --crf " + std::to_string(*o.crf) + ": use 0 to " +
                        std::to_string(max_crf) + " for " + o.codec);
    plan.crf = o.crf;
  }
  return {};
}

Status resolve_timing(const ClipOptions& o, ClipPlan& plan) {
  const auto fps = parse_fps(o.fps);
  if (!fps) return make_error(fps.error());
  plan.fps = fps.value();
  const double rate = av_q2d(plan.fps);
  if (o.frames > 0) {
    plan.frames = o.frames;
  } else {
    if (!(o.duration_s > 0))
      return make_error("bad --duration " + std::to_string(o.duration_s) + ": give seconds > 0");
    plan.frames = std::llround(o.duration_s * rate);
  }
  if (plan.frames < 1 || plan.frames > framecode::kMaxIndex + 1)
    return make_error("clip of " + std::to_string(plan.frames) +
                      " frames: use --frames 1 to 16777216 (or a matching --duration)");
  if (o.gop < 0 || o.mark_every < 0)
    return make_error("bad --gop " + std::to_string(o.gop) + " or --mark-every " +
                      std::to_string(o.mark_every) + ": give frame counts >= 1");
  plan.gop = o.gop > 0 ? o.gop : std::max(1, int(std::lround(2 * rate)));
  plan.mark_every = o.mark_every > 0 ? o.mark_every : std::max(1, int(std::lround(rate)));
  return {};
}

// WebM takes only Opus or Vorbis audio; without either encoder the clip becomes Matroska
// with AAC (same file name), which every Matroska reader still opens.
Status resolve_container_and_audio(const ClipOptions& o, ClipPlan& plan) {
  const std::string ext = std::filesystem::path(o.output).extension().string();
  const char* format_name = ext == ".mp4"    ? "mp4"
                            : ext == ".mov"  ? "mov"
                            : ext == ".mkv"  ? "matroska"
                            : ext == ".webm" ? "webm"
                                             : nullptr;
  if (!format_name)
    return make_error("output " + o.output +
                      " has no known container extension: use .mp4, .mov, .mkv or .webm");
  plan.path = o.output;
  plan.sample_rate = o.audio_rate;
  plan.channels = o.channels;
  if (!o.no_audio) {
    if (o.audio_rate < 8000 || o.audio_rate > 192000)
      return make_error("bad --audio-rate " + std::to_string(o.audio_rate) +
                        ": use 8000 to 192000 Hz, e.g. 48000");
    if (o.channels < 1 || o.channels > 8)
      return make_error("bad --channels " + std::to_string(o.channels) + ": use 1 to 8");
    if (ext == ".webm") {
      for (const char* name : {"libopus", "libvorbis"}) {
        const AVCodec* c = avcodec_find_encoder_by_name(name);
        if (c && supports_rate(c, o.audio_rate)) {
          plan.audio_codec = c;
          break;
        }
      }
      if (!plan.audio_codec) format_name = "matroska";
    }
    if (!plan.audio_codec) plan.audio_codec = avcodec_find_encoder_by_name("aac");
    if (!plan.audio_codec) return make_error("no AAC encoder in this FFmpeg build: use --no-audio");
    if (!supports_rate(plan.audio_codec, o.audio_rate))
      return make_error("--audio-rate " + std::to_string(o.audio_rate) + " is not supported by " +
                        plan.audio_codec->name + ": use 48000 or 44100");
  }
  for (const auto& c : kCodecs) {
    const std::string containers = c.containers;
    if (o.codec == c.name && containers.find(ext) == std::string::npos)
      return make_error("--codec " + o.codec + " cannot be stored in " + ext + ": use one of " +
                        containers);
  }
  plan.container = av_guess_format(format_name, nullptr, nullptr);
  if (!plan.container) return make_error(std::string("muxer ") + format_name + " is missing");
  return {};
}

}  // namespace

Result<ClipPlan> resolve(const ClipOptions& o) {
  ClipPlan plan;
  if (auto s = resolve_video(o, plan); !s) return make_error(s.error());
  if (auto s = resolve_timing(o, plan); !s) return make_error(s.error());
  if (auto s = resolve_container_and_audio(o, plan); !s) return make_error(s.error());
  return plan;
}

// ---------------------------------------------------------------------------------------

/// One encoder feeding one stream of the output.

std::string summary(const ClipPlan& plan, double seconds) {
  char audio[200] = "no audio";
  if (plan.audio_codec)
    std::snprintf(audio, sizeof audio, "audio %s %d Hz %d ch, marks every %d frames",
                  plan.audio_codec->name, plan.sample_rate, plan.channels, plan.mark_every);
  char line[800];
  std::snprintf(
      line, sizeof line,
      "lockstep-mkclip: wrote %s: %lld frames %dx%d %s %s %s %s at %d/%d fps, %s (%.2f s)",
      plan.path.c_str(), static_cast<long long>(plan.frames), plan.width, plan.height,
      avcodec_get_name(plan.video_codec->id), av_get_pix_fmt_name(plan.pix_fmt),
      av_color_space_name(plan.colorspace), av_color_range_name(plan.range), plan.fps.num,
      plan.fps.den, audio, seconds);
  return line;
}


}  // namespace lockstep::mkclip
