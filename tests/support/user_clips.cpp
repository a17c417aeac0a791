#include "support/user_clips.h"

#include "support/test_media.h"

namespace lockstep::test {

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

}  // namespace lockstep::test
