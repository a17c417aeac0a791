#include "support/user_clips.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

extern "C" {
#include <libavutil/display.h>
}

#include "media/av_ptr.h"
#include "support/test_media.h"

namespace lockstep::test {

namespace {

/// Copies `src` to `dst` (same container, every stream, no re-encoding) with the video
/// stream's display matrix set to `matrix`. Empty on success, else what failed.
std::string remux_with_display_matrix(const std::string& src, const std::string& dst,
                                      const int32_t (&matrix)[9]) {
  AVFormatContext* in_raw = nullptr;
  if (avformat_open_input(&in_raw, src.c_str(), nullptr, nullptr) < 0) return "cannot open " + src;
  AVFormatInputPtr in(in_raw);
  if (avformat_find_stream_info(in.get(), nullptr) < 0) return "no stream info in " + src;
  AVFormatContext* out_raw = nullptr;
  if (avformat_alloc_output_context2(&out_raw, nullptr, nullptr, dst.c_str()) < 0) return "no muxer for " + dst;
  AVFormatOutputPtr out(out_raw);
  for (unsigned i = 0; i < in->nb_streams; ++i) {
    AVStream* os = avformat_new_stream(out.get(), nullptr);
    if (!os || avcodec_parameters_copy(os->codecpar, in->streams[i]->codecpar) < 0) return "cannot copy a stream";
    os->codecpar->codec_tag = 0;
    os->time_base = in->streams[i]->time_base;
    if (in->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
      uint8_t* side = av_stream_new_side_data(os, AV_PKT_DATA_DISPLAYMATRIX, sizeof matrix);
      if (!side) return "cannot add a display matrix";
      std::memcpy(side, matrix, sizeof matrix);
    }
  }
  if (avio_open(&out->pb, dst.c_str(), AVIO_FLAG_WRITE) < 0) return "cannot write " + dst;
  if (avformat_write_header(out.get(), nullptr) < 0) return "cannot write the header of " + dst;
  AVPacketPtr pkt = make_packet();
  while (av_read_frame(in.get(), pkt.get()) >= 0) {
    const AVStream* is = in->streams[pkt->stream_index];
    av_packet_rescale_ts(pkt.get(), is->time_base, out->streams[pkt->stream_index]->time_base);
    pkt->pos = -1;
    if (av_interleaved_write_frame(out.get(), pkt.get()) < 0) return "cannot write a packet";
  }
  if (av_write_trailer(out.get()) < 0) return "cannot finish " + dst;
  return "";
}

}  // namespace

std::string ts_interlaced_422_clip() {
  const std::string src = clip("h264_1920x1080_25_50.mp4",
                               {"--size", "1920x1080", "--fps", "25", "--frames", "50"});
  if (src.empty()) return "";
  return ffmpeg_clip("h264_422_1080i50_opengop.ts",
                     {"-i", src, "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv422p",
                      "-flags", "+ildct+ilme", "-x264opts", "tff=1:open-gop=1:keyint=12",
                      "-c:a", "mp2", "-f", "mpegts"});
}

std::string late_start_clip() {
  const std::string src =
      clip("h264_640x360_30_60.mp4", {"--size", "640x360", "--fps", "30", "--frames", "60"});
  if (src.empty()) return "";
  return ffmpeg_clip("h264_start5s.mkv", {"-i", src, "-c", "copy", "-output_ts_offset", "5"});
}

std::string late_audio_clip() {
  const std::string src =
      clip("h264_640x360_30_90.mp4", {"--size", "640x360", "--fps", "30", "--frames", "90"});
  if (src.empty()) return "";
  return ffmpeg_clip("h264_audio_late1s.mp4", {"-i", src, "-itsoffset", "1", "-i", src, "-map",
                                               "0:v", "-map", "1:a", "-c", "copy"});
}

std::string audio_only_clip() {
  const std::string src =
      clip("h264_640x360_25_50.mp4", {"--size", "640x360", "--fps", "25", "--frames", "50"});
  if (src.empty()) return "";
  return ffmpeg_clip("audio_only_25_50.m4a", {"-i", src, "-vn", "-c:a", "copy"});
}

std::string tone_then_silence_clip() {
  return ffmpeg_clip("tone_then_silence.wav",
                     {"-f", "lavfi", "-i", "aevalsrc=if(lt(t\\,1)\\,0.5*sin(2*PI*440*t)\\,0):s=48000:d=2",
                      "-c:a", "pcm_s16le"});
}

std::string turned_clip(const std::string& how) {
  const std::string src =
      clip("h264_640x360_30_30.mp4", {"--size", "640x360", "--fps", "30", "--frames", "30"});
  if (src.empty()) return "";
  // The picture is stored turned the other way (a filter), and the matrix turns it back.
  struct Recipe {
    const char* how;
    const char* filter;
    int rotate;           // the CLI's rotate metadata, or:
    int32_t matrix[9];    // a matrix written here (rotate 0)
  };
  static const Recipe recipes[] = {
      {"rotate90", "transpose=clock", 90, {}},
      {"rotate180", "hflip,vflip", 180, {}},
      {"rotate270", "transpose=cclock", 270, {}},
      // x' = -x: mirrored left to right.
      {"hflip", "hflip", 0, {-65536, 0, 0, 0, 65536, 0, 0, 0, 1 << 30}},
      // x' = y, y' = x: the transposition, its own inverse.
      {"transpose", "transpose=cclock_flip", 0, {0, 65536, 0, 65536, 0, 0, 0, 0, 1 << 30}},
  };
  for (const Recipe& r : recipes) {
    if (how != r.how) continue;
    const std::string stored = ffmpeg_clip("h264_stored_" + how + ".mp4",
                                           {"-i", src, "-vf", r.filter, "-c:v", "libx264", "-preset",
                                            "veryfast", "-c:a", "copy"});
    if (stored.empty()) return "";
    const std::string name = "h264_display_" + how + ".mp4";
    if (r.rotate != 0)
      return ffmpeg_clip(name, {"-i", stored, "-c", "copy", "-metadata:s:v:0",
                                "rotate=" + std::to_string(r.rotate)});
    const std::string out = (std::filesystem::path(stored).parent_path() / name).string();
    if (std::filesystem::exists(out)) return out;
    const std::string tmp = out + ".tmp.mp4";
    if (const std::string err = remux_with_display_matrix(stored, tmp, r.matrix); !err.empty()) {
      ADD_FAILURE() << err;
      return "";
    }
    std::filesystem::rename(tmp, out);
    return out;
  }
  ADD_FAILURE() << "no recipe for a clip turned '" << how << "'";
  return "";
}

std::string anamorphic_clip() {
  const std::string src =
      clip("h264_720x576_25_25.mp4", {"--size", "720x576", "--fps", "25", "--frames", "25"});
  if (src.empty()) return "";
  return ffmpeg_clip("h264_pal_anamorphic.mp4", {"-i", src, "-vf", "setsar=64/45", "-c:v", "libx264",
                                                 "-preset", "veryfast", "-c:a", "copy"});
}

std::string interlaced_motion_clip() {
  const std::string src =
      clip("h264_640x360_25_25.mp4", {"--size", "640x360", "--fps", "25", "--frames", "25"});
  if (src.empty()) return "";
  // 50p (each frame twice: its tag stays k in both fields), the bar overlaid per 50p frame,
  // then fields woven: top from the even 50p frames, bottom from the odd ones.
  return ffmpeg_clip(
      "h264_interlaced_motion.mp4",
      {"-i", src, "-filter_complex",
       "[0:v]fps=50:round=down[a];color=white:s=48x120:r=50[bar];"
       "[a][bar]overlay=x='mod(n*16,560)':y=220:shortest=1,tinterlace=mode=interleave_top,setfield=tff[v]",
       "-map", "[v]", "-c:v", "libx264", "-preset", "veryfast", "-flags", "+ildct+ilme", "-x264opts",
       "tff=1", "-an"});
}

}  // namespace lockstep::test
