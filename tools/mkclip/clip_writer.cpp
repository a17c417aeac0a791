#include "tools/mkclip/clip_writer.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "framecode/framecode.h"
#include "media/av_ptr.h"

namespace lockstep::mkclip {
namespace {

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
}  // namespace

class ClipWriter::Impl {
 public:
  explicit Impl(const ClipPlan& plan) : plan_(plan) {}

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


ClipWriter::ClipWriter(const ClipPlan& plan) : impl_(std::make_unique<Impl>(plan)) {}
ClipWriter::~ClipWriter() = default;
Status ClipWriter::open() { return impl_->open(); }
Status ClipWriter::write_all() { return impl_->write_all(); }
void ClipWriter::close(bool keep) { impl_->close(keep); }

}  // namespace lockstep::mkclip
