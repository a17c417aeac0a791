#include "media/stream_decoders.h"

#include <algorithm>
#include <cmath>
#include <utility>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/hwcontext.h>
#include <libavutil/pixdesc.h>
}

#include "core/log.h"
#include "media/av_picture.h"
#include "media/level_picture.h"

namespace lockstep {

namespace {

constexpr auto kPopTimeout = std::chrono::milliseconds(100);

AVPixelFormat pick_hw_format(AVCodecContext* ctx, const AVPixelFormat* offered) {
  const auto wanted = static_cast<AVPixelFormat>(reinterpret_cast<intptr_t>(ctx->opaque));
  for (const AVPixelFormat* p = offered; *p != AV_PIX_FMT_NONE; ++p)
    if (*p == wanted) return *p;
  // The hardware cannot decode this stream (profile, size): FFmpeg's software path.
  return avcodec_default_get_format(ctx, offered);
}

/// The renderer-supported format closest to `fmt`.
AVPixelFormat drawable_format(AVPixelFormat fmt) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
  const bool deep = d && d->comp[0].depth > 8;
  const bool subsampled = d && (d->log2_chroma_w > 0 || d->log2_chroma_h > 0);
  if (subsampled) return deep ? AV_PIX_FMT_YUV420P10LE : AV_PIX_FMT_YUV420P;
  return deep ? AV_PIX_FMT_YUV444P10LE : AV_PIX_FMT_YUV444P;
}

int64_t stream_start(const AVStream* s) { return s->start_time == AV_NOPTS_VALUE ? 0 : s->start_time; }

}  // namespace

// ---------------------------------------------------------------------------------------
// Video

Result<std::unique_ptr<VideoStreamDecoder>> VideoStreamDecoder::open(const std::string& path,
                                                                      AVStream* stream,
                                                                      HwDecode hwdec,
                                                                      int threads,
                                                                      Deinterlace deinterlace) {
  const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
  if (!codec) {
    std::string tag;
    const uint32_t fourcc = stream->codecpar->codec_tag;
    for (int i = 0; i < 4 && fourcc; ++i) {
      const char c = char((fourcc >> (8 * i)) & 0xff);
      tag += (c >= 32 && c < 127) ? c : '?';
    }
    return make_error("cannot play '" + path + "': unsupported video codec '" +
                      avcodec_get_name(stream->codecpar->codec_id) + "'" +
                      (tag.empty() ? "" : " (fourcc " + tag + ")") +
                      "; convert it to H.264, HEVC, VP9 or ProRes");
  }
  auto dec = std::unique_ptr<VideoStreamDecoder>(new VideoStreamDecoder(deinterlace, stream->time_base));
  dec->path_ = path;
  dec->stream_ = stream;
  dec->ctx_.reset(avcodec_alloc_context3(codec));
  AVCodecContext* ctx = dec->ctx_.get();
  avcodec_parameters_to_context(ctx, stream->codecpar);
  ctx->pkt_timebase = stream->time_base;
  ctx->thread_count = threads;
  ctx->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;

  if (hwdec != HwDecode::None) {
    auto hw = setup_hw_decoder(codec, hwdec);
    if (hw) {
      dec->hw_device_ = std::move(hw->device);
      dec->hw_format_ = hw->hw_format;
      ctx->hw_device_ctx = av_buffer_ref(dec->hw_device_.get());
      ctx->opaque = reinterpret_cast<void*>(intptr_t(dec->hw_format_));
      ctx->get_format = pick_hw_format;
      dec->description_ = hw->name;
    } else {
      LS_INFO("hardware decode not available ({}); using software decode", hw.error());
    }
  }
  const int err = avcodec_open2(ctx, codec, nullptr);
  if (err < 0)
    return make_error("cannot play '" + path + "': the " + codec->name +
                      " decoder does not accept this stream (" + av_error_text(err) + ")");
  return dec;
}

Result<std::unique_ptr<VideoStreamDecoder>> VideoStreamDecoder::open_level_meter(
    const std::string& path, AVStream* stream) {
  const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
  if (!codec)
    return make_error("cannot play '" + path + "': unsupported audio codec '" +
                      avcodec_get_name(stream->codecpar->codec_id) +
                      "'; convert it to AAC, MP3, FLAC, Opus or PCM");
  auto dec = std::unique_ptr<VideoStreamDecoder>(new VideoStreamDecoder(Deinterlace::No, stream->time_base));
  dec->path_ = path;
  dec->stream_ = stream;
  dec->meter_ = true;
  dec->description_ = "none (audio only)";
  dec->ctx_.reset(avcodec_alloc_context3(codec));
  avcodec_parameters_to_context(dec->ctx_.get(), stream->codecpar);
  dec->ctx_->pkt_timebase = stream->time_base;
  const int err = avcodec_open2(dec->ctx_.get(), codec, nullptr);
  if (err < 0)
    return make_error("cannot play '" + path + "': the " + codec->name +
                      " decoder does not accept this stream (" + av_error_text(err) + ")");
  return dec;
}

std::string VideoStreamDecoder::error() const {
  std::lock_guard lock(error_mutex_);
  return error_;
}

void VideoStreamDecoder::set_error(std::string message) {
  std::lock_guard lock(error_mutex_);
  error_ = std::move(message);
}

AVFramePtr VideoStreamDecoder::to_drawable(AVFramePtr frame) {
  if (frame->format == hw_format_ && hw_format_ != AV_PIX_FMT_NONE) {
    AVFramePtr sw = make_frame();
    if (av_hwframe_transfer_data(sw.get(), frame.get(), 0) < 0) return nullptr;
    av_frame_copy_props(sw.get(), frame.get());
    frame = std::move(sw);
  }
  const auto fmt = static_cast<AVPixelFormat>(frame->format);
  if (renderer_supports(fmt)) return frame;
  const AVPixelFormat target = drawable_format(fmt);
  sws_.reset(sws_getCachedContext(sws_.release(), frame->width, frame->height, fmt,
                                  frame->width, frame->height, target, SWS_BICUBIC, nullptr,
                                  nullptr, nullptr));
  if (!sws_) return nullptr;
  AVFramePtr out = make_frame();
  out->format = target;
  out->width = frame->width;
  out->height = frame->height;
  if (av_frame_get_buffer(out.get(), 0) < 0) return nullptr;
  sws_scale(sws_.get(), frame->data, frame->linesize, 0, frame->height, out->data,
            out->linesize);
  av_frame_copy_props(out.get(), frame.get());
  return out;
}

int64_t VideoStreamDecoder::index_of(const AVFrame& frame) const {
  if (frame.pts == AV_NOPTS_VALUE) return last_index_ + 1;
  return std::llround(double(frame.pts - stream_start(stream_)) * av_q2d(stream_->time_base) * info_.fps());
}

bool VideoStreamDecoder::emit(AVFramePtr frame, BoundedQueue<VideoFrame>& out) {
  const int64_t index = index_of(*frame);
  return emit_at(std::move(frame), index, out);
}

bool VideoStreamDecoder::emit_at(AVFramePtr frame, int64_t index, BoundedQueue<VideoFrame>& out) {
  if (index < target_) return true;     // accurate seek: decoded only to reach the target
  if (index >= wrap_out_) return true;  // past the loop range: the loop continues at its in
  last_index_ = index;
  VideoFrame vf;
  vf.frame = std::move(frame);
  vf.serial = serial_;
  vf.index = index;
  vf.unwrapped = index + int64_t(loop_) * span_;
  vf.transform = info_.transform;
  return out.push(std::move(vf));
}

void VideoStreamDecoder::receive_levels(BoundedQueue<VideoFrame>& out) {
  for (;;) {
    AVFramePtr a = make_frame();
    if (avcodec_receive_frame(ctx_.get(), a.get()) < 0) return;
    const int64_t ts = a->best_effort_timestamp != AV_NOPTS_VALUE ? a->best_effort_timestamp : a->pts;
    const int rate = a->sample_rate > 0 ? a->sample_rate : ctx_->sample_rate;
    const int channels = a->ch_layout.nb_channels;
    if (ts == AV_NOPTS_VALUE || rate <= 0 || channels <= 0) continue;
    const double t0 = double(ts - stream_start(stream_)) * av_q2d(stream_->time_base);
    const double fps = info_.fps();
    for (int i = 0; i < a->nb_samples; ++i) {
      const auto index = int64_t(std::floor((t0 + double(i) / rate) * fps));
      if (index != meter_index_) {
        if (!finish_level_picture(out)) return;
        meter_index_ = index;
        meter_peaks_.assign(size_t(channels), 0.0f);
      }
      if (index < target_) continue;  // on the way to a seek target: nothing is drawn
      for (int ch = 0; ch < channels && size_t(ch) < meter_peaks_.size(); ++ch)
        meter_peaks_[size_t(ch)] = std::max(meter_peaks_[size_t(ch)], std::fabs(sample_value(*a, ch, i)));
    }
  }
}

bool VideoStreamDecoder::finish_level_picture(BoundedQueue<VideoFrame>& out) {
  const int64_t index = std::exchange(meter_index_, -1);
  if (index < 0 || index < target_ || index >= wrap_out_ || index >= info_.frame_count) return true;
  AVFramePtr f = make_frame();
  f->format = AV_PIX_FMT_YUV420P;
  f->width = info_.width;
  f->height = info_.height;
  if (av_frame_get_buffer(f.get(), 0) < 0) {
    set_error("out of memory drawing the level meter of '" + path_ + "'");
    return true;
  }
  f->color_range = AVCOL_RANGE_MPEG;
  f->colorspace = AVCOL_SPC_BT709;
  const double progress = info_.frame_count > 1 ? double(index) / double(info_.frame_count - 1) : 1.0;
  draw_level_picture(*f, meter_peaks_, progress);
  return emit_at(std::move(f), index, out);
}

void VideoStreamDecoder::receive_all(BoundedQueue<VideoFrame>& out) {
  if (meter_) return receive_levels(out);
  std::vector<AVFramePtr> ready;
  for (;;) {
    AVFramePtr frame = make_frame();
    if (avcodec_receive_frame(ctx_.get(), frame.get()) < 0) return;
    if (frame->best_effort_timestamp != AV_NOPTS_VALUE) frame->pts = frame->best_effort_timestamp;
    // Frames on the way to a seek target are not converted; the one before it is, since the
    // deinterlacer looks one frame back.
    if (index_of(*frame) < target_ - 1) continue;
    frame = to_drawable(std::move(frame));
    if (!frame) {
      set_error("cannot convert a frame of '" + path_ + "' for display");
      continue;
    }
    ready.clear();
    if (auto s = deinterlacer_.push(std::move(frame), ready); !s)
      LS_WARN("'{}': {}; playing the pictures as they are", path_, s.error());
    for (AVFramePtr& f : ready)
      if (!emit(std::move(f), out)) return;
  }
}

void VideoStreamDecoder::drain_deinterlacer(BoundedQueue<VideoFrame>& out) {
  std::vector<AVFramePtr> ready;
  deinterlacer_.drain(ready);
  for (AVFramePtr& f : ready)
    if (!emit(std::move(f), out)) return;
}

void VideoStreamDecoder::run(BoundedQueue<PacketItem>& in, BoundedQueue<VideoFrame>& out,
                             std::atomic<int>& ended_serial, const std::atomic<bool>& stopping) {
  using Kind = PacketItem::Kind;
  while (!stopping) {
    std::optional<PacketItem> item = in.pop(kPopTimeout);
    if (!item) continue;
    if (item->kind != Kind::Flush && item->serial != serial_) continue;  // before a seek
    switch (item->kind) {
      case Kind::Flush:
        avcodec_flush_buffers(ctx_.get());
        deinterlacer_.reset();
        serial_ = item->serial;
        target_ = item->target;
        loop_ = 0;
        last_index_ = target_ - 1;
        wrap_out_ = item->wrap_out;
        span_ = item->span;
        meter_index_ = -1;
        break;
      case Kind::Drain:
      case Kind::Eof:
        avcodec_send_packet(ctx_.get(), nullptr);
        receive_all(out);
        drain_deinterlacer(out);
        if (meter_) finish_level_picture(out);
        avcodec_flush_buffers(ctx_.get());
        if (item->kind == Kind::Eof) {
          if (last_index_ < target_)
            set_error("'" + path_ + "' has no frame that can be decoded from frame " +
                      std::to_string(target_) + " on: the file is damaged, or was cut without " +
                      "a keyframe; make it again from its source");
          else if (last_index_ + 2 < info_.frame_count)
            set_error("'" + path_ + "' ends at frame " + std::to_string(last_index_ + 1) +
                      " of " + std::to_string(info_.frame_count) +
                      ": the file is truncated or damaged");
          ended_serial = serial_;
        } else if (wrap_out_ >= info_.frame_count && last_index_ + 2 < info_.frame_count) {
          // A short loop would jump: pretend the missing frames were the last one.
          LS_WARN("'{}' ends at frame {} of {}", path_, last_index_ + 1, info_.frame_count);
        }
        break;
      case Kind::Wrap:
        meter_index_ = -1;
        loop_ = item->loop;
        target_ = item->target;
        last_index_ = target_ - 1;
        wrap_out_ = item->wrap_out;
        span_ = item->span;
        break;
      case Kind::Data: {
        int err = avcodec_send_packet(ctx_.get(), item->packet.get());
        if (err == AVERROR(EAGAIN)) {
          receive_all(out);
          err = avcodec_send_packet(ctx_.get(), item->packet.get());
        }
        if (err < 0 && err != AVERROR(EAGAIN))
          LS_DEBUG("'{}': damaged video packet skipped ({})", path_, av_error_text(err));
        receive_all(out);
        break;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Audio

Result<std::unique_ptr<AudioStreamDecoder>> AudioStreamDecoder::open(
    const std::string& path, AVStream* stream, AVStream* video_stream, const MediaInfo& info,
    int out_rate, int out_channels) {
  const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
  if (!codec)
    return make_error("'" + path + "': unsupported audio codec '" +
                      avcodec_get_name(stream->codecpar->codec_id) + "'");
  auto dec = std::make_unique<AudioStreamDecoder>();
  dec->stream_ = stream;
  dec->ctx_.reset(avcodec_alloc_context3(codec));
  avcodec_parameters_to_context(dec->ctx_.get(), stream->codecpar);
  dec->ctx_->pkt_timebase = stream->time_base;
  const int err = avcodec_open2(dec->ctx_.get(), codec, nullptr);
  if (err < 0)
    return make_error("'" + path + "': cannot decode its audio (" + av_error_text(err) + ")");
  dec->out_rate_ = out_rate;
  dec->out_channels_ = out_channels;
  dec->media_start_s_ = double(stream_start(video_stream)) * av_q2d(video_stream->time_base);
  dec->file_samples_ = std::llround(info.duration_s * out_rate);
  dec->fps_num_ = info.fps_num;
  dec->fps_den_ = info.fps_den;
  if (auto s = dec->reset_resampler(); !s) return make_error("'" + path + "': " + s.error());
  return dec;
}

Status AudioStreamDecoder::reset_resampler() {
  return reset_resampler(ctx_->ch_layout, ctx_->sample_fmt, ctx_->sample_rate);
}

Status AudioStreamDecoder::reset_resampler(const AVChannelLayout& layout, int format, int rate) {
  AVChannelLayout out_layout;
  av_channel_layout_default(&out_layout, out_channels_);
  SwrContext* swr = nullptr;
  // FFmpeg 5's prototype takes the input layout non-const; it only reads it.
  const int err = swr_alloc_set_opts2(&swr, &out_layout, AV_SAMPLE_FMT_FLT, out_rate_,
                                      const_cast<AVChannelLayout*>(&layout),
                                      static_cast<AVSampleFormat>(format), rate, 0, nullptr);
  av_channel_layout_uninit(&out_layout);
  swr_.reset(swr);
  av_channel_layout_uninit(&swr_layout_);
  swr_format_ = -1;  // set up for nothing until swr_init succeeds
  if (err < 0 || swr_init(swr) < 0) {
    swr_.reset();
    return make_error("cannot resample its audio to " + std::to_string(out_rate_) + " Hz");
  }
  if (av_channel_layout_copy(&swr_layout_, &layout) < 0) return make_error("out of memory");
  swr_format_ = format;
  swr_rate_ = rate;
  return {};
}

void AudioStreamDecoder::receive_all(BoundedQueue<AudioChunk>& out) {
  const double tb = av_q2d(stream_->time_base);
  AVFramePtr frame = make_frame();
  while (avcodec_receive_frame(ctx_.get(), frame.get()) >= 0) {
    if (next_sample_ < 0) {
      const int64_t ts = frame->best_effort_timestamp;
      const double t = ts == AV_NOPTS_VALUE ? 0.0 : double(ts) * tb - media_start_s_;
      next_sample_ = std::llround(t * out_rate_);
    }
    // The resampler reads what it was set up for (a frame with fewer channels would leave it
    // reading planes that are not there): a frame in another format gets a fresh one.
    if (!swr_ || frame->format != swr_format_ || frame->sample_rate != swr_rate_ ||
        av_channel_layout_compare(&frame->ch_layout, &swr_layout_) != 0) {
      if (!reset_resampler(frame->ch_layout, frame->format, frame->sample_rate)) {
        LS_DEBUG("audio frame in a format that cannot be resampled skipped");
        av_frame_unref(frame.get());
        continue;
      }
    }
    const int capacity = swr_get_out_samples(swr_.get(), frame->nb_samples);
    AudioChunk chunk;
    chunk.serial = serial_;
    chunk.samples.resize(size_t(std::max(capacity, 0)) * size_t(out_channels_));
    uint8_t* dst = reinterpret_cast<uint8_t*>(chunk.samples.data());
    const int n = swr_convert(swr_.get(), &dst, capacity,
                              const_cast<const uint8_t**>(frame->extended_data),
                              frame->nb_samples);
    av_frame_unref(frame.get());
    if (n <= 0) continue;
    int64_t begin = next_sample_;
    int64_t end = next_sample_ + n;
    next_sample_ = end;
    // Keep [max(begin, target), min(end, loop range's out)).
    const int64_t keep_begin = std::max(begin, target_sample_);
    const int64_t keep_end = std::min(end, end_sample_);
    if (keep_end <= keep_begin) continue;
    chunk.samples.resize(size_t(keep_end - begin) * size_t(out_channels_));
    chunk.samples.erase(chunk.samples.begin(),
                        chunk.samples.begin() + (keep_begin - begin) * out_channels_);
    chunk.first_sample = keep_begin + int64_t(loop_) * span_samples_;
    if (!out.push(std::move(chunk))) return;
  }
}

int64_t AudioStreamDecoder::frame_sample(int64_t index) const {
  return std::llround(double(index) * fps_den_ * out_rate_ / fps_num_);
}

void AudioStreamDecoder::set_range(const PacketItem& item) {
  // Frame `target`'s start at the output rate: a seek or a wrap lands on that frame's sound.
  target_sample_ = frame_sample(item.target);
  end_sample_ = item.wrap_out == PacketItem::kNoWrapOut
                    ? file_samples_
                    : std::min(file_samples_, frame_sample(item.wrap_out));
  span_samples_ = std::min(file_samples_, frame_sample(item.span));
}

void AudioStreamDecoder::run(BoundedQueue<PacketItem>& in, BoundedQueue<AudioChunk>& out,
                             const std::atomic<bool>& stopping) {
  using Kind = PacketItem::Kind;
  while (!stopping) {
    std::optional<PacketItem> item = in.pop(kPopTimeout);
    if (!item) continue;
    if (item->kind != Kind::Flush && item->serial != serial_) continue;
    switch (item->kind) {
      case Kind::Flush:
        avcodec_flush_buffers(ctx_.get());
        (void)reset_resampler();
        serial_ = item->serial;
        loop_ = 0;
        next_sample_ = -1;
        set_range(*item);
        break;
      case Kind::Drain:
      case Kind::Eof:
        avcodec_send_packet(ctx_.get(), nullptr);
        receive_all(out);
        avcodec_flush_buffers(ctx_.get());
        break;
      case Kind::Wrap:
        (void)reset_resampler();
        loop_ = item->loop;
        next_sample_ = -1;
        set_range(*item);
        break;
      case Kind::Data:
        if (avcodec_send_packet(ctx_.get(), item->packet.get()) == AVERROR(EAGAIN)) {
          receive_all(out);
          avcodec_send_packet(ctx_.get(), item->packet.get());
        }
        receive_all(out);
        break;
    }
  }
}

}  // namespace lockstep
