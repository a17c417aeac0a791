#include "tools/bench/bench_common.h"

namespace lockstep::bench {

struct Throughput {
  int64_t frames = 0;
  double seconds = 0.0;
  double fps() const { return seconds > 0 ? double(frames) / seconds : 0.0; }
};

Result<std::unique_ptr<MediaReader>> open_video(const std::string& file, int threads) {
  MediaReaderParams p;
  p.path = file;
  p.hwdec = HwDecode::None;
  p.threads = threads;
  p.decode_audio = false;
  p.frame_queue = 16;
  return MediaReader::open(p);
}

/// Decodes every frame as fast as possible; `each` sees each frame.
template <class Fn>
Result<Throughput> decode_all(const std::string& file, int threads, Fn&& each) {
  auto reader = open_video(file, threads);
  if (!reader) return make_error(reader.error());
  Throughput t;
  const int64_t start = monotonic_ns();
  (*reader)->start(0);
  for (;;) {
    auto f = (*reader)->video().pop(std::chrono::milliseconds(200));
    if (!f) {
      if ((*reader)->video_ended()) break;
      continue;
    }
    if (auto s = each(*f); !s) return make_error(s.error());
    ++t.frames;
  }
  t.seconds = double(monotonic_ns() - start) / 1e9;
  return t;
}

/// `ffmpeg -threads N -i FILE -an -f null -`, wall time of the whole process.
Result<Throughput> ffmpeg_reference(const std::string& file, int threads, int64_t frames) {
  const int64_t start = monotonic_ns();
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string n = std::to_string(threads);
    execlp("ffmpeg", "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-threads",
           n.c_str(), "-i", file.c_str(), "-an", "-f", "null", "-", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return make_error("the reference `ffmpeg -i " + file + " -f null -` failed (is ffmpeg installed?)");
  return Throughput{frames, double(monotonic_ns() - start) / 1e9};
}

/// The middle value (core/stats.h's rule: the upper one of an even count).
double median(std::vector<double> v) { return percentile(std::move(v), 0.5); }

int bench_decode(const std::string& file, int threads, int repeat) {
  if (threads <= 0) threads = int(std::thread::hardware_concurrency());
  // Warm the page cache so neither side pays for the disk.
  (void)decode_all(file, threads, [](const VideoFrame&) { return Status{}; });
  // Alternate the two so that load from elsewhere hits both alike; report medians.
  std::vector<double> ours_fps, ref_fps;
  int64_t frames = 0;
  for (int i = 0; i < repeat; ++i) {
    auto ours = decode_all(file, threads, [](const VideoFrame&) { return Status{}; });
    if (!ours) {
      LS_ERROR("{}", ours.error());
      return 1;
    }
    auto ref = ffmpeg_reference(file, threads, ours->frames);
    if (!ref) {
      LS_ERROR("{}", ref.error());
      return 1;
    }
    frames = ours->frames;
    ours_fps.push_back(ours->fps());
    ref_fps.push_back(ref->fps());
    std::printf("  run %d: lockstep %.1f fps, ffmpeg %.1f fps\n", i + 1, ours->fps(), ref->fps());
  }
  std::printf("decode '%s': %lld frames, %d threads, median of %d runs each\n", file.c_str(),
              (long long)frames, threads, repeat);
  std::printf("  lockstep %.1f fps, ffmpeg -threads %d -f null %.1f fps\n", median(ours_fps), threads,
              median(ref_fps));
  std::printf("  ratio lockstep/ffmpeg: %.3f\n", median(ours_fps) / median(ref_fps));
  return 0;
}

int bench_render(const std::string& file, int width, int height, int threads) {
  RendererParams rp;
  rp.width = width;
  rp.height = height;
  auto renderer = Renderer::create(rp);
  if (!renderer) {
    LS_ERROR("{}", renderer.error());
    return 1;
  }
  auto probe = open_video(file, threads);
  if (!probe) {
    LS_ERROR("{}", probe.error());
    return 1;
  }
  const double fps = (*probe)->info().fps();
  probe->reset();
  Renderer& r = **renderer;
  auto run = decode_all(file, threads, [&](const VideoFrame& f) -> Status {
    PictureView v = f.view();
    DrawRequest req;
    req.picture = &v;
    auto d = r.draw(req);
    if (!d) return make_error(d.error());
    return {};
  });
  r.wait_idle();
  if (!run) {
    LS_ERROR("{}", run.error());
    return 1;
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("render '%s' -> %dx%d offscreen on %s\n", file.c_str(), width, height,
              r.device_description().c_str());
  std::printf("  %lld frames in %.3f s = %.1f fps = %.2fx real time (%.3f fps clip)\n",
              (long long)run->frames, run->seconds, run->fps(), run->fps() / fps, fps);
  std::printf("  peak RSS %.1f MiB\n", double(ru.ru_maxrss) / 1024.0);
  return 0;
}

}  // namespace lockstep::bench
