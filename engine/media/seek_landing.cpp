#include "media/seek_landing.h"

#include "core/log.h"

namespace lockstep {

namespace {

/// Seeks to the last keyframe at or before `ts` as the demuxer understands it. Before the
/// stream's start this is the start of the file.
void seek_before(AVFormatContext* fmt, int video_stream, int64_t ts, bool to_start) {
  int err = avformat_seek_file(fmt, video_stream, INT64_MIN, ts, ts, AVSEEK_FLAG_BACKWARD);
  if (err < 0 && to_start && !(fmt->iformat->flags & AVFMT_NO_BYTE_SEEK))
    err = avformat_seek_file(fmt, -1, 0, 0, 0, AVSEEK_FLAG_BYTE);
  if (err < 0) LS_DEBUG("seek to {} failed: {}", ts, av_error_text(err));
}

}  // namespace

SeekLanding land_seek(AVFormatContext* fmt, int video_stream, int64_t target_ts,
                      const std::atomic<bool>& stopping) {
  const AVStream* vs = fmt->streams[video_stream];
  const int64_t start = vs->start_time == AV_NOPTS_VALUE ? 0 : vs->start_time;
  const int64_t second = av_rescale_q(1, AVRational{1, 1}, vs->time_base);
  SeekLanding out;
  for (int64_t back = 0;; back = back == 0 ? second : 2 * back) {
    ++out.attempts;
    // Once the seek point is before the first frame, it is the file's start: take whatever
    // comes (a file whose first frames cannot be decoded starts at its first keyframe).
    const bool from_start = target_ts - back < start;
    seek_before(fmt, video_stream, from_start ? start - second : target_ts - back, from_start);
    out.packets.clear();
    bool landed = false;
    bool retry = false;
    while (!landed && !retry) {
      if (stopping) return out;
      AVPacketPtr p = make_packet();
      if (av_read_frame(fmt, p.get()) < 0) {
        retry = !from_start;  // after the last keyframe: further back
        if (from_start) out.at_end = true;
        break;
      }
      if (p->stream_index != video_stream) {
        out.packets.push_back(std::move(p));
        continue;
      }
      const int64_t pts = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
      const int64_t dts = p->dts != AV_NOPTS_VALUE ? p->dts : p->pts;
      if (p->flags & AV_PKT_FLAG_KEY) {
        landed = from_start || pts == AV_NOPTS_VALUE || pts <= target_ts;
        retry = !landed;
        if (landed) out.packets.push_back(std::move(p));
      } else if (!from_start && dts != AV_NOPTS_VALUE && dts > target_ts) {
        // Decoded after the target: any keyframe from here on is presented after it too.
        retry = true;
      }
      // Other video packets before the first keyframe cannot be decoded: dropped.
    }
    if (!retry) break;
  }
  if (out.attempts > 1) LS_DEBUG("seek landed after {} attempts", out.attempts);
  return out;
}

std::optional<int64_t> video_end_ts(AVFormatContext* fmt, int video_stream,
                                    int64_t frame_duration) {
  const AVStream* vs = fmt->streams[video_stream];
  const int64_t start = vs->start_time == AV_NOPTS_VALUE ? 0 : vs->start_time;
  const int64_t second = av_rescale_q(1, AVRational{1, 1}, vs->time_base);
  int64_t guess = start;  // where the container says the stream ends
  if (vs->duration > 0 && vs->duration != AV_NOPTS_VALUE) {
    guess = start + vs->duration;
  } else if (fmt->duration > 0) {
    guess = start + av_rescale_q(fmt->duration, AV_TIME_BASE_Q, vs->time_base);
  }
  // A few seconds before it, so that the frame presented last (not always the one read last)
  // is among the packets read; from the start when the guess is that short.
  for (int64_t back = 3 * second;; back *= 4) {
    const int64_t ts = guess - back;
    seek_before(fmt, video_stream, std::max(ts, start - second), ts < start);
    std::optional<int64_t> end;
    int64_t packets = 0;
    AVPacketPtr p = make_packet();
    while (av_read_frame(fmt, p.get()) >= 0) {
      if (p->stream_index == video_stream) {
        const int64_t pts = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
        if (pts != AV_NOPTS_VALUE) {
          const int64_t e = pts + (p->duration > 0 ? p->duration : frame_duration);
          end = end ? std::max(*end, e) : e;
        }
        ++packets;
      }
      av_packet_unref(p.get());
    }
    // Too few packets to be sure the last one presented was among them: further back.
    if ((end && packets >= 16) || ts < start) return end;
  }
}

}  // namespace lockstep
