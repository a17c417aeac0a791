#include "clip_decoder.h"

namespace lockstep::framecode::test {
namespace {

Result<AVCodecContextPtr> open_decoder(const AVStream& stream) {
  const AVCodec* codec = avcodec_find_decoder(stream.codecpar->codec_id);
  if (!codec)
    return make_error("no decoder for " + std::string(avcodec_get_name(stream.codecpar->codec_id)));
  AVCodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (avcodec_parameters_to_context(ctx.get(), stream.codecpar) < 0)
    return make_error("bad codec parameters");
  ctx->pkt_timebase = stream.time_base;
  if (const int err = avcodec_open2(ctx.get(), codec, nullptr); err < 0)
    return make_error("opening decoder " + std::string(codec->name) + ": " + av_error_text(err));
  return ctx;
}

float sample_at(const AVFrame& f, int channel, int i) {
  const auto fmt = static_cast<AVSampleFormat>(f.format);
  const int channels = f.ch_layout.nb_channels;
  const bool planar = av_sample_fmt_is_planar(fmt);
  const uint8_t* plane = f.extended_data[planar ? channel : 0];
  const int slot = planar ? i : i * channels + channel;
  switch (av_get_packed_sample_fmt(fmt)) {
    case AV_SAMPLE_FMT_FLT:
      return reinterpret_cast<const float*>(plane)[slot];
    case AV_SAMPLE_FMT_S16:
      return reinterpret_cast<const int16_t*>(plane)[slot] / 32768.0f;
    case AV_SAMPLE_FMT_S32:
      return float(reinterpret_cast<const int32_t*>(plane)[slot] / 2147483648.0);
    default:
      return 0.0f;
  }
}

}  // namespace

Result<DecodedClip> decode_clip(const std::string& path, const VideoFrameVisitor& on_frame) {
  AVFormatContext* raw = nullptr;
  if (const int err = avformat_open_input(&raw, path.c_str(), nullptr, nullptr); err < 0)
    return make_error("opening " + path + ": " + av_error_text(err));
  AVFormatInputPtr input(raw);
  if (avformat_find_stream_info(input.get(), nullptr) < 0) return make_error("probing " + path);
  const int vi = av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (vi < 0) return make_error(path + " has no video stream");
  const int ai = av_find_best_stream(input.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);

  const AVStream& vs = *input->streams[vi];
  DecodedClip clip;
  const AVCodecParameters& vp = *vs.codecpar;
  clip.video = {vp.codec_id,       static_cast<AVPixelFormat>(vp.format),
                vp.width,          vp.height,
                vs.avg_frame_rate, vp.color_space,
                vp.color_range,    vp.color_primaries,
                vp.color_trc};
  auto video = open_decoder(vs);
  if (!video) return make_error(video.error());
  AVCodecContextPtr audio;
  if (ai >= 0) {
    auto a = open_decoder(*input->streams[ai]);
    if (!a) return make_error(a.error());
    audio = std::move(a.value());
    const AVCodecParameters& ap = *input->streams[ai]->codecpar;
    clip.audio = AudioTrack{ap.codec_id, ap.sample_rate, ap.ch_layout.nb_channels,
                            std::vector<std::vector<float>>(size_t(ap.ch_layout.nb_channels))};
  }

  AVPacketPtr packet = make_packet();
  AVFramePtr frame = make_frame();
  const auto drain = [&](AVCodecContext* ctx, bool is_video) {
    while (avcodec_receive_frame(ctx, frame.get()) >= 0) {
      if (is_video) {
        ++clip.video_frames;
        on_frame(*frame, double(frame->best_effort_timestamp) * av_q2d(vs.time_base));
      } else {
        for (int c = 0; c < clip.audio->channels; ++c)
          for (int i = 0; i < frame->nb_samples; ++i)
            clip.audio->samples[size_t(c)].push_back(sample_at(*frame, c, i));
      }
      av_frame_unref(frame.get());
    }
  };
  while (av_read_frame(input.get(), packet.get()) >= 0) {
    AVCodecContext* ctx = packet->stream_index == vi   ? video->get()
                          : packet->stream_index == ai ? audio.get()
                                                       : nullptr;
    if (ctx && avcodec_send_packet(ctx, packet.get()) >= 0) drain(ctx, ctx == video->get());
    av_packet_unref(packet.get());
  }
  avcodec_send_packet(video->get(), nullptr);
  drain(video->get(), true);
  if (audio) {
    avcodec_send_packet(audio.get(), nullptr);
    drain(audio.get(), false);
  }
  return clip;
}

}  // namespace lockstep::framecode::test
