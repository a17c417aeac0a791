#include "media/media_reader.h"

#include <cmath>
#include <filesystem>
#include <mutex>
#include <optional>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/hwcontext.h>
#include <libavutil/pixdesc.h>
}

#include "core/log.h"
#include "media/av_picture.h"
#include "media/level_picture.h"
#include "media/seek_landing.h"
#include "media/stream_decoders.h"

namespace lockstep {

PictureView VideoFrame::view() const {
  PictureView v = picture_view(*frame);
  v.transform = transform;
  return v;
}

struct AvioDeleter {
  void operator()(AVIOContext* io) const {
    if (io) av_freep(&io->buffer);
    avio_context_free(&io);
  }
};

struct MediaReader::Impl {
  MediaReaderParams params;
  std::unique_ptr<AVIOContext, AvioDeleter> io;  // a MediaSource's reader (outlives `format`)
  AVFormatInputPtr format;  // demux thread only (after open)
  int video_stream = -1;
  int audio_stream = -1;
  bool audio_only = false;  // video_stream is then the audio stream, drawn as a level meter
  std::unique_ptr<VideoStreamDecoder> video;
  std::unique_ptr<AudioStreamDecoder> audio;
  BoundedQueue<PacketItem> video_packets{256};
  BoundedQueue<PacketItem> audio_packets{512};

  std::mutex seek_mutex;
  // Protected by seek_mutex:
  bool seek_pending = false;
  int64_t seek_index = 0;
  int seek_serial = 0;

  std::atomic<bool> stopping{false};
  std::thread demux_thread;
  std::thread video_thread;
  std::thread audio_thread;
};

namespace {

std::string open_error(const std::string& path, int err) {
  std::string why = av_error_text(err);
  std::string msg = "cannot play '" + path + "': ";
  if (err == AVERROR(ENOENT)) return msg + "file not found";
  if (err == AVERROR_INVALIDDATA)
    return msg + "not a media file FFmpeg can read, or the file is truncated (" + why + ")";
  return msg + why;
}

}  // namespace

/// A stream that cannot be decoded plays without sound, with a warning.
void MediaReader::open_audio(Impl& m, AVStream* timeline, MediaInfo& info) {
  if (m.audio_stream < 0) return;
  AVStream* as = m.format->streams[m.audio_stream];
  auto audio = AudioStreamDecoder::open(m.params.path, as, timeline, info, m.params.audio_rate,
                                        m.params.audio_channels);
  if (!audio) {
    LS_WARN("{}; playing without sound", audio.error());
    m.audio_stream = -1;
    return;
  }
  m.audio = std::move(audio.value());
  info.has_audio = true;
  info.audio_rate = as->codecpar->sample_rate;
  info.audio_channels = as->codecpar->ch_layout.nb_channels;
  info.audio_codec = avcodec_get_name(as->codecpar->codec_id);
}

Result<std::unique_ptr<MediaReader>> MediaReader::open_audio_only(std::unique_ptr<Impl> impl) {
  Impl& m = *impl;
  const std::string& path = m.params.path;
  AVFormatContext* fmt = m.format.get();
  const int audio = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (audio < 0)
    return make_error("cannot play '" + path +
                      "': it has neither a video nor an audio stream (lockstep plays video and "
                      "sound files)");
  AVStream* as = fmt->streams[audio];
  // The sound is the time line: seeks land on it, and the pictures are drawn from it.
  m.video_stream = audio;
  m.audio_only = true;
  auto meter = VideoStreamDecoder::open_level_meter(path, as);
  if (!meter) return make_error(meter.error());
  m.video = std::move(meter.value());

  MediaInfo info;
  info.path = path;
  info.audio_only = true;
  info.width = kAudioOnlyWidth;
  info.height = kAudioOnlyHeight;
  info.display_width = kAudioOnlyWidth;
  info.display_height = kAudioOnlyHeight;
  info.fps_num = kAudioOnlyFps;
  info.fps_den = 1;
  const double dur = as->duration > 0 ? double(as->duration) * av_q2d(as->time_base)
                                      : double(fmt->duration) / AV_TIME_BASE;
  if (!(dur > 0))
    return make_error("cannot play '" + path +
                      "': its length is not known (a stream without a duration); remux it into "
                      "a file, e.g. ffmpeg -i IN -c copy OUT.m4a");
  info.frame_count = std::max<int64_t>(1, int64_t(std::ceil(dur * kAudioOnlyFps - 1e-6)));
  info.duration_s = double(info.frame_count) / info.fps();
  info.video_codec = "none (audio only)";
  info.audio_codec = avcodec_get_name(as->codecpar->codec_id);  // also when not played here
  info.audio_rate = as->codecpar->sample_rate;
  info.audio_channels = as->codecpar->ch_layout.nb_channels;
  info.pixel_format = "yuv420p";
  m.video->set_timing(info);
  if (m.params.decode_audio) {
    m.audio_stream = audio;
    open_audio(m, as, info);
  }
  auto reader = std::unique_ptr<MediaReader>(new MediaReader(std::move(impl)));
  reader->info_ = info;
  return reader;
}

Result<std::unique_ptr<MediaReader>> MediaReader::open(const MediaReaderParams& params) {
  const std::string& path = params.path;
  std::error_code ec;
  if (!params.source && !std::filesystem::exists(path, ec))
    return make_error("cannot play '" + path + "': file not found");
  if (!params.source && std::filesystem::is_directory(path, ec))
    return make_error("cannot play '" + path + "': it is a folder, not a media file");

  auto impl = std::make_unique<Impl>();
  impl->params = params;
  AVFormatContext* fmt = nullptr;
  if (params.source) {
    constexpr int kBufferBytes = 64 * 1024;
    auto* buffer = static_cast<unsigned char*>(av_malloc(kBufferBytes));
    if (!buffer) return make_error("cannot play '" + path + "': out of memory");
    impl->io.reset(avio_alloc_context(
        buffer, kBufferBytes, 0, params.source.get(),
        [](void* opaque, uint8_t* buf, int size) -> int {
          const int n = static_cast<MediaSource*>(opaque)->read(buf, size);
          return n > 0 ? n : AVERROR_EOF;
        },
        nullptr,
        [](void* opaque, int64_t offset, int whence) -> int64_t {
          auto* source = static_cast<MediaSource*>(opaque);
          if (whence == AVSEEK_SIZE) return source->size();
          whence &= ~AVSEEK_FORCE;
          if (whence != SEEK_SET) return AVERROR(EINVAL);  // FFmpeg asks in absolute offsets
          return source->seek(offset) ? offset : AVERROR(EIO);
        }));
    if (!impl->io) {
      av_free(buffer);
      return make_error("cannot play '" + path + "': out of memory");
    }
    fmt = avformat_alloc_context();
    if (!fmt) return make_error("cannot play '" + path + "': out of memory");
    fmt->pb = impl->io.get();
    fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
  }
  // FFmpeg logs its own detail at error level; our message says it once, in one line.
  av_log_set_level(AV_LOG_FATAL);
  // Local files only: a name must never make FFmpeg open a URL, a device or a playlist
  // that reaches elsewhere (the session's file names come from the network).
  AVDictionary* options = nullptr;
  av_dict_set(&options, "protocol_whitelist", "file", 0);
  int err = avformat_open_input(&fmt, path.c_str(), nullptr, &options);
  av_dict_free(&options);
  if (err < 0) {
    // "moov atom not found" is how an unfinished/truncated MP4 shows up.
    return make_error(open_error(path, err));
  }
  impl->format.reset(fmt);
  err = avformat_find_stream_info(fmt, nullptr);
  if (err < 0) return make_error(open_error(path, err));

  impl->video_stream = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (impl->video_stream >= 0 &&
      (fmt->streams[impl->video_stream]->disposition & AV_DISPOSITION_ATTACHED_PIC))
    impl->video_stream = -1;  // cover art is not a video
  if (impl->video_stream < 0) return open_audio_only(std::move(impl));
  if (params.decode_audio)
    impl->audio_stream = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1,
                                             impl->video_stream, nullptr, 0);
  AVStream* vs = fmt->streams[impl->video_stream];
  if (vs->codecpar->width <= 0 || vs->codecpar->height <= 0)
    return make_error("cannot play '" + path +
                      "': no picture size found in its video: the file is damaged, or was cut "
                      "without a keyframe; make it again from its source");
  auto video = VideoStreamDecoder::open(path, vs, params.hwdec, params.threads, params.deinterlace);
  if (!video) return make_error(video.error());
  impl->video = std::move(video.value());

  MediaInfo info;
  info.path = path;
  info.width = vs->codecpar->width;
  info.height = vs->codecpar->height;
  AVRational fr = vs->avg_frame_rate.num > 0 ? vs->avg_frame_rate : vs->r_frame_rate;
  if (fr.num <= 0 || fr.den <= 0) fr = AVRational{25, 1};
  info.fps_num = fr.num;
  info.fps_den = fr.den;
  const int64_t start = vs->start_time == AV_NOPTS_VALUE ? 0 : vs->start_time;
  const int64_t frame_duration = std::max<int64_t>(1, av_rescale_q(1, av_inv_q(fr), vs->time_base));
  if (vs->nb_frames > 0) {
    info.frame_count = vs->nb_frames;
  } else if (auto end = video_end_ts(fmt, impl->video_stream, frame_duration)) {
    info.frame_count = std::max<int64_t>(1, std::llround(double(*end - start) * av_q2d(vs->time_base) * info.fps()));
  } else {
    const double dur = vs->duration > 0 ? double(vs->duration) * av_q2d(vs->time_base)
                                        : double(fmt->duration) / AV_TIME_BASE;
    info.frame_count = std::max<int64_t>(1, std::llround(dur * info.fps()));
  }
  info.duration_s = double(info.frame_count) / info.fps();
  info.video_codec = avcodec_get_name(vs->codecpar->codec_id);
  const char* pf = av_get_pix_fmt_name(static_cast<AVPixelFormat>(vs->codecpar->format));
  info.pixel_format = pf ? pf : "unknown";
  const AVRational sar = av_guess_sample_aspect_ratio(fmt, vs, nullptr);
  if (sar.num > 0 && sar.den > 0) info.sar_num = sar.num, info.sar_den = sar.den;
  info.transform = display_transform(reinterpret_cast<const int32_t*>(
      av_stream_get_side_data(vs, AV_PKT_DATA_DISPLAYMATRIX, nullptr)));
  const DisplaySize shown = display_size(info.width, info.height, info.sar_num, info.sar_den, info.transform);
  info.display_width = shown.width;
  info.display_height = shown.height;
  impl->video->set_timing(info);

  open_audio(*impl, vs, info);
  auto reader = std::unique_ptr<MediaReader>(new MediaReader(std::move(impl)));
  reader->info_ = info;
  return reader;
}

MediaReader::MediaReader(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)),
      video_frames_(impl_->params.frame_queue),
      audio_chunks_(64) {}

MediaReader::~MediaReader() {
  impl_->stopping = true;
  impl_->video_packets.abort();
  impl_->audio_packets.abort();
  video_frames_.abort();
  audio_chunks_.abort();
  for (std::thread* t : {&impl_->demux_thread, &impl_->video_thread, &impl_->audio_thread})
    if (t->joinable()) t->join();
}

std::string MediaReader::decoder_description() const { return impl_->video->description(); }

std::string MediaReader::stream_error() const { return impl_->video->error(); }

void MediaReader::seek(int64_t index, int serial, KeepFrames keep) {
  // The queues are cleared before the demuxer can take the seek (it reads it under this
  // mutex): cleared after, they could lose the Flush it queues at once, and a decoder that
  // misses its Flush stays on the old serial and ignores every later packet (no more sound).
  std::lock_guard lock(impl_->seek_mutex);
  impl_->seek_pending = true;
  impl_->seek_index = index;
  impl_->seek_serial = serial;
  // Unblock a demuxer waiting on a full queue, and decoders waiting on full outputs.
  impl_->video_packets.clear();
  impl_->audio_packets.clear();
  video_frames_.clear_except([&](const VideoFrame& f) {
    return f.serial == keep.serial && f.unwrapped < keep.below_unwrapped;
  });
  audio_chunks_.clear();
  serial_ = serial;
}

void MediaReader::start(int64_t start_index, int serial) {
  Impl& m = *impl_;
  seek(start_index, serial);
  m.video_thread = std::thread([this] {
    impl_->video->run(impl_->video_packets, video_frames_, ended_serial_, impl_->stopping);
  });
  if (m.audio) {
    m.audio_thread = std::thread([this] {
      impl_->audio->run(impl_->audio_packets, audio_chunks_, impl_->stopping);
    });
  }
  m.demux_thread = std::thread([this] { demux_loop(*this); });
}

namespace {

/// Frames of decode-order reordering tolerated past a loop's out before wrapping, so that
/// every frame before out has been read (B-frames come after the frame they precede).
constexpr int64_t kReorderSlack = 16;

}  // namespace

void demux_loop(MediaReader& reader) {
  MediaReader::Impl& m = *reader.impl_;
  AVFormatContext* fmt = m.format.get();
  AVStream* vs = fmt->streams[m.video_stream];
  const MediaInfo& info = reader.info_;
  const bool has_audio = m.audio != nullptr;
  int serial = 0;
  int loop = 0;
  bool at_end = false;
  // The loop range read at the last seek, frames: [in, out); the whole file when unset.
  int64_t in = 0, out = info.frame_count;
  AVPacketPtr pkt = make_packet();
  auto partial = [&] { return in > 0 || out < info.frame_count; };
  auto item = [&](PacketItem::Kind kind, int64_t target) {
    PacketItem it{kind, serial, target, loop, nullptr};
    it.wrap_out = reader.loop_.load() && partial() ? out : PacketItem::kNoWrapOut;
    it.span = out - in;
    return it;
  };
  auto broadcast = [&](PacketItem::Kind kind, int64_t target) {
    m.video_packets.push(item(kind, target));
    if (has_audio) m.audio_packets.push(item(kind, target));
  };
  auto push_packet = [&](AVPacketPtr p) {
    if (m.audio_only && has_audio && p->stream_index == m.audio_stream)  // sound and meter
      m.audio_packets.push(PacketItem{PacketItem::Kind::Data, serial, 0, loop, AVPacketPtr(av_packet_clone(p.get()))});
    if (p->stream_index == m.video_stream)
      m.video_packets.push(PacketItem{PacketItem::Kind::Data, serial, 0, loop, std::move(p)});
    else if (has_audio && p->stream_index == m.audio_stream)
      m.audio_packets.push(PacketItem{PacketItem::Kind::Data, serial, 0, loop, std::move(p)});
  };
  // Seeks for frame `index`, announces the restart (`kind`: Flush or Wrap) and queues the
  // packets read while landing. The landing is checked (seek_landing.h): a demuxer without
  // an index lands anywhere, often after the keyframe the target needs.
  auto seek_and_announce = [&](int64_t index, PacketItem::Kind kind) {
    const int64_t start = vs->start_time == AV_NOPTS_VALUE ? 0 : vs->start_time;
    // Half a frame past the frame's start: a keyframe of that frame whose timestamp rounds a
    // little late still counts as at or before it.
    const int64_t t_ns = info.frame_time_ns(index) + info.frame_time_ns(1) / 2;
    const int64_t ts = start + av_rescale_q(t_ns, AVRational{1, 1'000'000'000}, vs->time_base);
    SeekLanding landing = land_seek(fmt, m.video_stream, ts, m.stopping);
    broadcast(kind, index);
    for (AVPacketPtr& p : landing.packets) push_packet(std::move(p));
    return !landing.at_end;
  };
  auto wrap = [&] {
    broadcast(PacketItem::Kind::Drain, 0);
    ++loop;
    return seek_and_announce(in, PacketItem::Kind::Wrap);
  };
  // The frame index of a video packet, when its timestamps tell.
  auto packet_index = [&](const AVPacket& p) -> std::optional<int64_t> {
    const int64_t ts = p.pts != AV_NOPTS_VALUE ? p.pts : p.dts;
    if (ts == AV_NOPTS_VALUE) return std::nullopt;
    const int64_t start = vs->start_time == AV_NOPTS_VALUE ? 0 : vs->start_time;
    return std::llround(double(ts - start) * av_q2d(vs->time_base) * info.fps());
  };
  while (!m.stopping) {
    bool pending = false;
    int64_t index = 0;
    {
      std::lock_guard lock(m.seek_mutex);
      if (m.seek_pending) {
        pending = true;
        index = m.seek_index;
        serial = m.seek_serial;
        m.seek_pending = false;
      }
    }
    if (pending) {
      in = reader.loop_in_.load();
      out = reader.loop_out_.load();
      if (!(in >= 0 && in < out && out <= info.frame_count)) in = 0, out = info.frame_count;
      loop = 0;
      at_end = false;
      if (!seek_and_announce(index, PacketItem::Kind::Flush)) {
        broadcast(PacketItem::Kind::Eof, 0);  // nothing decodable from there on
        at_end = true;
      }
      continue;
    }
    if (at_end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    const int err = av_read_frame(fmt, pkt.get());
    if (err < 0) {
      if (err != AVERROR_EOF) LS_DEBUG("read stopped: {}", av_error_text(err));
      if (reader.loop_.load() && wrap()) continue;
      broadcast(PacketItem::Kind::Eof, 0);  // also after a wrap that found nothing to decode
      at_end = true;
      continue;
    }
    AVPacketPtr owned = make_packet();
    av_packet_move_ref(owned.get(), pkt.get());
    if (owned->stream_index == m.video_stream) {
      if (reader.loop_.load() && partial()) {
        const auto at = packet_index(*owned);
        const bool key = owned->flags & AV_PKT_FLAG_KEY;
        if (at && *at >= out && (key || *at >= out + kReorderSlack)) {
          if (!wrap()) {
            broadcast(PacketItem::Kind::Eof, 0);
            at_end = true;
          }
          continue;
        }
      }
    }
    push_packet(std::move(owned));
  }
}

}  // namespace lockstep
