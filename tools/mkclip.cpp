// lockstep-mkclip: writes ground-truth test clips through FFmpeg's libraries. Every video
// frame k is framecode::draw_test_frame(k) with pts k in time base 1/fps; every audio
// channel carries the framecode marks. Tests then know what each decoded frame and sample
// must be. Exit status: 0 written, 2 bad options or output not writable, 1 encoding failed.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
}

#include "core/result.h"
#include "core/size_arg.h"
#include "framecode/framecode.h"
#include "media/av_ptr.h"

namespace lockstep {
namespace {

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

Result<ClipPlan> resolve(const ClipOptions& o) {
  ClipPlan plan;
  if (auto s = resolve_video(o, plan); !s) return make_error(s.error());
  if (auto s = resolve_timing(o, plan); !s) return make_error(s.error());
  if (auto s = resolve_container_and_audio(o, plan); !s) return make_error(s.error());
  return plan;
}

// ---------------------------------------------------------------------------------------

/// One encoder feeding one stream of the output.
struct StreamEncoder {
  AVCodecContextPtr codec;
  AVStream* stream = nullptr;  // owned by the format context
};

Status check(int err, const std::string& what) {
  if (err >= 0) return {};
  return make_error(what + ": " + av_error_text(err));
}

/// Sends `frame` (nullptr: flush) and writes every packet the encoder has ready.
Status encode(AVFormatContext* out, StreamEncoder& enc, const AVFrame* frame, AVPacket* pkt) {
  if (auto s = check(avcodec_send_frame(enc.codec.get(), frame), "encoding"); !s) return s;
  for (;;) {
    const int err = avcodec_receive_packet(enc.codec.get(), pkt);
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return {};
    if (auto s = check(err, "encoding"); !s) return s;
    av_packet_rescale_ts(pkt, enc.codec->time_base, enc.stream->time_base);
    pkt->stream_index = enc.stream->index;
    if (auto s = check(av_interleaved_write_frame(out, pkt), "writing " + std::string(out->url));
        !s)
      return s;
  }
}

Status open_encoder(AVFormatContext* out, StreamEncoder& enc, AVDictionary** opts) {
  if (out->oformat->flags & AVFMT_GLOBALHEADER) enc.codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  const std::string name = enc.codec->codec->name;
  if (auto s = check(avcodec_open2(enc.codec.get(), enc.codec->codec, opts), "opening " + name); !s)
    return s;
  enc.stream = avformat_new_stream(out, nullptr);
  if (!enc.stream) return make_error("out of memory adding a stream");
  enc.stream->time_base = enc.codec->time_base;
  return check(avcodec_parameters_from_context(enc.stream->codecpar, enc.codec.get()),
               "describing the " + name + " stream");
}

Result<StreamEncoder> open_video(AVFormatContext* out, const ClipPlan& plan) {
  StreamEncoder enc{AVCodecContextPtr(avcodec_alloc_context3(plan.video_codec))};
  AVCodecContext* c = enc.codec.get();
  c->width = plan.width;
  c->height = plan.height;
  c->sample_aspect_ratio = av_make_q(1, 1);
  c->time_base = av_inv_q(plan.fps);  // pts = frame index
  c->framerate = plan.fps;
  c->pix_fmt = plan.pix_fmt;
  c->gop_size = plan.gop;
  c->colorspace = plan.colorspace;
  c->color_primaries = plan.primaries;
  c->color_trc = plan.transfer;
  c->color_range = plan.range;
  AVDictionary* raw_opts = nullptr;
  const std::string encoder = plan.video_codec->name;
  const std::string crf = plan.crf ? std::to_string(*plan.crf) : "";
  if (encoder == "libx264" || encoder == "libx265") {
    av_dict_set(&raw_opts, "preset", "veryfast", 0);  // keeps B-frames (3), a few ms a frame
    if (plan.crf) av_dict_set(&raw_opts, "crf", crf.c_str(), 0);
    if (encoder == "libx265") av_dict_set(&raw_opts, "x265-params", "log-level=error", 0);
  } else if (encoder == "libvpx-vp9") {
    av_dict_set(&raw_opts, "deadline", "realtime", 0);
    av_dict_set(&raw_opts, "cpu-used", "8", 0);
    av_dict_set(&raw_opts, "row-mt", "1", 0);
    av_dict_set(&raw_opts, "crf", plan.crf ? crf.c_str() : "32", 0);
    c->bit_rate = 0;  // constant quality
  } else if (encoder == "prores_ks") {
    av_dict_set(&raw_opts, "profile",
                av_pix_fmt_desc_get(plan.pix_fmt)->log2_chroma_w ? "hq" : "4444", 0);
  }
  const Status s = open_encoder(out, enc, &raw_opts);
  av_dict_free(&raw_opts);
  if (!s) return make_error(s.error());
  enc.stream->avg_frame_rate = plan.fps;
  enc.stream->r_frame_rate = plan.fps;
  // Apple players want HEVC in MP4/MOV tagged hvc1 (parameter sets in the sample entry).
  const std::string muxer = out->oformat->name;
  if (plan.video_codec->id == AV_CODEC_ID_HEVC && (muxer == "mp4" || muxer == "mov"))
    enc.stream->codecpar->codec_tag = MKTAG('h', 'v', 'c', '1');
  return enc;
}

Result<StreamEncoder> open_audio(AVFormatContext* out, const ClipPlan& plan) {
  StreamEncoder enc{AVCodecContextPtr(avcodec_alloc_context3(plan.audio_codec))};
  AVCodecContext* c = enc.codec.get();
  c->sample_fmt =
      plan.audio_codec->sample_fmts ? plan.audio_codec->sample_fmts[0] : AV_SAMPLE_FMT_FLTP;
  c->sample_rate = plan.sample_rate;
  av_channel_layout_default(&c->ch_layout, plan.channels);
  c->bit_rate = 64000 * plan.channels;
  c->time_base = av_make_q(1, plan.sample_rate);  // pts = sample index
  if (auto s = open_encoder(out, enc, nullptr); !s) return make_error(s.error());
  return enc;
}

/// Writes the first `count` mono samples to every channel of `frame`.
void fill_channels(AVFrame& frame, const float* mono, int count) {
  const int channels = frame.ch_layout.nb_channels;
  const auto fmt = static_cast<AVSampleFormat>(frame.format);
  const bool planar = av_sample_fmt_is_planar(fmt);
  const bool is_float = av_get_packed_sample_fmt(fmt) == AV_SAMPLE_FMT_FLT;
  // AAC, Vorbis and Opus take float or 16-bit samples.
  assert(is_float || av_get_packed_sample_fmt(fmt) == AV_SAMPLE_FMT_S16);
  for (int ch = 0; ch < channels; ++ch) {
    uint8_t* plane = frame.extended_data[planar ? ch : 0];
    for (int i = 0; i < count; ++i) {
      const int slot = planar ? i : i * channels + ch;
      if (is_float)
        reinterpret_cast<float*>(plane)[slot] = mono[i];
      else
        reinterpret_cast<int16_t*>(plane)[slot] = int16_t(std::lround(mono[i] * 32767.0f));
    }
  }
}

/// The clip being written: the output file, its encoders and the frames they are fed.
class ClipWriter {
 public:
  explicit ClipWriter(const ClipPlan& plan) : plan_(plan) {}

  Status open() {
    AVFormatContext* raw = nullptr;
    if (auto s = check(
            avformat_alloc_output_context2(&raw, plan_.container, nullptr, plan_.path.c_str()),
            "creating " + plan_.path);
        !s)
      return s;
    out_.reset(raw);
    auto video = open_video(out_.get(), plan_);
    if (!video) return make_error(video.error());
    video_ = std::move(video.value());
    if (plan_.audio_codec) {
      auto audio = open_audio(out_.get(), plan_);
      if (!audio) return make_error(audio.error());
      audio_ = std::move(audio.value());
    }
    const int err = avio_open(&out_->pb, plan_.path.c_str(), AVIO_FLAG_WRITE);
    if (err < 0)
      return make_error("cannot write " + plan_.path + ": " + av_error_text(err) +
                        "; choose a writable output path");
    opened_file_ = true;
    // B-frames give the first packets negative decode timestamps. By default Matroska
    // shifts the whole clip later to avoid them, so frame 0 would not be at time 0;
    // Matroska stores presentation timestamps only, so nothing needs shifting. (MP4/MOV
    // keep time 0 with an edit list.)
    AVDictionary* opts = nullptr;
    av_dict_set(&opts, "avoid_negative_ts", "disabled", 0);
    const Status s =
        check(avformat_write_header(out_.get(), &opts), "writing the header of " + plan_.path);
    av_dict_free(&opts);
    return s;
  }

  Status write_all() {
    if (auto s = prepare_frames(); !s) return s;
    const AVRational video_tb = av_inv_q(plan_.fps), audio_tb{1, plan_.sample_rate};
    const int64_t total_samples =
        plan_.audio_codec
            ? av_rescale(plan_.frames, int64_t(plan_.sample_rate) * plan_.fps.den, plan_.fps.num)
            : 0;
    int64_t next_frame = 0, next_sample = 0;
    while (next_frame < plan_.frames || next_sample < total_samples) {
      const bool audio_first = next_sample < total_samples &&
                               (next_frame >= plan_.frames ||
                                av_compare_ts(next_sample, audio_tb, next_frame, video_tb) < 0);
      const Status s =
          audio_first ? write_audio(next_sample, total_samples) : write_video(next_frame++);
      if (!s) return s;
    }
    if (auto s = encode(out_.get(), video_, nullptr, packet_.get()); !s) return s;
    if (audio_.codec)
      if (auto s = encode(out_.get(), audio_, nullptr, packet_.get()); !s) return s;
    return check(av_write_trailer(out_.get()), "finishing " + plan_.path);
  }

  /// Closes the file; removes it unless everything was written.
  void close(bool keep) {
    out_.reset();
    if (opened_file_ && !keep) std::filesystem::remove(plan_.path);
  }

 private:
  Status prepare_frames() {
    rgba_.resize(size_t(plan_.width) * plan_.height * 4);
    picture_ = make_frame();
    picture_->format = plan_.pix_fmt;
    picture_->width = plan_.width;
    picture_->height = plan_.height;
    if (auto s = check(av_frame_get_buffer(picture_.get(), 0), "allocating a frame"); !s) return s;
    sws_.reset(sws_getContext(plan_.width, plan_.height, AV_PIX_FMT_RGBA, plan_.width, plan_.height,
                              plan_.pix_fmt, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP,
                              nullptr, nullptr, nullptr));
    if (!sws_)
      return make_error("swscale cannot convert RGBA to " +
                        std::string(av_get_pix_fmt_name(plan_.pix_fmt)));
    // RGB side full range; YUV side in the clip's matrix and range.
    const int* coefficients = sws_getCoefficients(plan_.sws_matrix);
    sws_setColorspaceDetails(sws_.get(), coefficients, 1, coefficients,
                             plan_.range == AVCOL_RANGE_JPEG ? 1 : 0, 0, 1 << 16, 1 << 16);
    packet_ = make_packet();
    if (!audio_.codec) return {};
    const AVCodecContext* a = audio_.codec.get();
    // Encoders with variable frame size report 0; 1024 samples is a usual size.
    samples_per_frame_ = a->frame_size > 0 ? a->frame_size : 1024;
    sound_ = make_frame();
    sound_->format = a->sample_fmt;
    sound_->sample_rate = a->sample_rate;
    sound_->nb_samples = samples_per_frame_;
    if (auto s = check(av_channel_layout_copy(&sound_->ch_layout, &a->ch_layout), "audio layout");
        !s)
      return s;
    mono_.resize(size_t(samples_per_frame_));
    marks_.fps = av_q2d(plan_.fps);
    marks_.sample_rate = plan_.sample_rate;
    marks_.every_frames = plan_.mark_every;
    return check(av_frame_get_buffer(sound_.get(), 0), "allocating audio");
  }

  Status write_video(int64_t index) {
    if (auto s = check(av_frame_make_writable(picture_.get()), "allocating a frame"); !s) return s;
    framecode::draw_test_frame(rgba_.data(), plan_.width, plan_.height, plan_.width * 4, index);
    const uint8_t* src[4] = {rgba_.data(), nullptr, nullptr, nullptr};
    const int src_stride[4] = {plan_.width * 4, 0, 0, 0};
    sws_scale(sws_.get(), src, src_stride, 0, plan_.height, picture_->data, picture_->linesize);
    picture_->pts = index;
    picture_->colorspace = plan_.colorspace;
    picture_->color_primaries = plan_.primaries;
    picture_->color_trc = plan_.transfer;
    picture_->color_range = plan_.range;
    return encode(out_.get(), video_, picture_.get(), packet_.get());
  }

  Status write_audio(int64_t& next_sample, int64_t total_samples) {
    if (auto s = check(av_frame_make_writable(sound_.get()), "allocating audio"); !s) return s;
    const int count = int(std::min<int64_t>(samples_per_frame_, total_samples - next_sample));
    // A short last frame only where the encoder accepts one; else pad it with silence.
    const bool small_ok = audio_.codec->codec->capabilities & AV_CODEC_CAP_SMALL_LAST_FRAME;
    sound_->nb_samples = small_ok ? count : samples_per_frame_;
    std::fill(mono_.begin(), mono_.end(), 0.0f);
    framecode::synth_marks(marks_, next_sample, mono_.data(), size_t(count));
    fill_channels(*sound_, mono_.data(), sound_->nb_samples);
    sound_->pts = next_sample;
    next_sample += count;
    return encode(out_.get(), audio_, sound_.get(), packet_.get());
  }

  const ClipPlan& plan_;
  AVFormatOutputPtr out_;
  bool opened_file_ = false;
  StreamEncoder video_, audio_;
  AVPacketPtr packet_;
  AVFramePtr picture_;  // in the clip's pixel format
  std::vector<uint8_t> rgba_;
  SwsContextPtr sws_;
  AVFramePtr sound_;  // in the audio encoder's sample format
  std::vector<float> mono_;
  int samples_per_frame_ = 0;
  framecode::MarkSpec marks_;
};

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

}  // namespace
}  // namespace lockstep

// x265 keeps one allocation (1168 bytes) until the process exits: in sanitizer builds
// LeakSanitizer would otherwise fail every HEVC clip. Unused in other builds.
extern "C" const char* __lsan_default_suppressions() { return "leak:libx265.so\n"; }
extern "C" const char* __lsan_default_options() { return "print_suppressions=0"; }

int main(int argc, char** argv) {
  using namespace lockstep;
  ClipOptions o;
  CLI::App app{
      "Writes a ground-truth test clip: every frame shows its index as a machine-"
      "readable tag and digits, the audio carries tone marks tied to frame indices."};
  app.add_option("-o,--output", o.output, "Output file (.mp4, .mov, .mkv or .webm)")->required();
  app.add_option("--size", o.size, "Picture size WIDTHxHEIGHT")->capture_default_str();
  app.add_option("--fps", o.fps, "Frame rate: 23.976, 29.97, 25, 60, N/M ...")
      ->capture_default_str();
  auto* duration =
      app.add_option("--duration", o.duration_s, "Length in seconds")->capture_default_str();
  app.add_option("--frames", o.frames, "Length in frames")->excludes(duration);
  app.add_option("--codec", o.codec, "h264, hevc, vp9 or prores")->capture_default_str();
  app.add_option("--pix-fmt", o.pix_fmt, "yuv420p, yuv422p, yuv444p, or 10-bit ...p10le")
      ->capture_default_str();
  app.add_option("--matrix", o.matrix, "bt601, bt709 or bt2020")->capture_default_str();
  app.add_option("--range", o.range, "limited or full")->capture_default_str();
  app.add_option("--audio-rate", o.audio_rate, "Audio sample rate, Hz")->capture_default_str();
  app.add_option("--channels", o.channels, "Audio channels")->capture_default_str();
  app.add_flag("--no-audio", o.no_audio, "Write video only");
  app.add_option("--gop", o.gop, "Keyframe interval in frames (default 2 * fps)");
  app.add_option("--mark-every", o.mark_every, "Frames between audio marks (default: fps)");
  app.add_option("--crf", o.crf, "Constant quality (h264/hevc 0-51, vp9 0-63)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "lockstep-mkclip: %s (see --help)\n", e.what());
    return 2;
  }
  av_log_set_level(AV_LOG_ERROR);  // the summary line is the only chatter
  const auto start = std::chrono::steady_clock::now();
  const auto plan = resolve(o);
  if (!plan) {
    std::fprintf(stderr, "lockstep-mkclip: %s\n", plan.error().c_str());
    return 2;
  }
  ClipWriter writer(plan.value());
  if (auto s = writer.open(); !s) {
    writer.close(false);
    std::fprintf(stderr, "lockstep-mkclip: %s\n", s.error().c_str());
    return 2;
  }
  if (auto s = writer.write_all(); !s) {
    writer.close(false);
    std::fprintf(stderr, "lockstep-mkclip: %s\n", s.error().c_str());
    return 1;
  }
  writer.close(true);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s\n", summary(plan.value(), seconds).c_str());
  return 0;
}
