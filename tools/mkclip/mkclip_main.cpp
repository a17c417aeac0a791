// lockstep-mkclip: writes ground-truth test clips through FFmpeg's libraries. Every video
// frame k is framecode::draw_test_frame(k) with pts k in time base 1/fps; every audio
// channel carries the framecode marks. Tests then know what each decoded frame and sample
// must be. Exit status: 0 written, 2 bad options or output not writable, 1 encoding failed.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "tools/version/version.h"
#include "tools/mkclip/clip_plan.h"
#include "tools/mkclip/clip_writer.h"

// x265 keeps one allocation (1168 bytes) until the process exits: in sanitizer builds
// LeakSanitizer would otherwise fail every HEVC clip. Unused in other builds.
extern "C" const char* __lsan_default_suppressions() { return "leak:libx265.so\n"; }
extern "C" const char* __lsan_default_options() { return "print_suppressions=0"; }

int main(int argc, char** argv) {
  using namespace lockstep::mkclip;
  ClipOptions o;
  CLI::App app{
      "Writes a ground-truth test clip: every frame shows its index as a machine-"
      "readable tag and digits, the audio carries tone marks tied to frame indices.", "lockstep-mkclip"};
  app.set_version_flag("--version", lockstep::version_line("lockstep-mkclip"));
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
  } catch (const CLI::Success& e) {
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
