// lockstep-bench — figures, not assertions. Each one is printed next to a reference measured
// in the same run on the same file.
//   decode FILE [--threads N]   lockstep's decode throughput / `ffmpeg -threads N -i FILE -an -f null -`
//   render FILE [--size WxH]    untimed decode + upload + convert + draw (offscreen) fps,
//                               as a multiple of real time, and the peak RSS
//   sync [--nodes 3] [--impair none|wan] [--seconds 30] [--clip FILE] [--plot FILE.svg]
//        [--node-size 320x180] [--node-threads 1]
//                               a `lockstep serve` + N `lockstep join` processes on this
//                               machine (simulated clock offsets/drift), optionally through
//                               lockstep-impair; frame-switch skew, same-frame share and
//                               clock-estimate error from their present logs
//   fanout [--clients 256] [--seconds 20]
//                               one `lockstep serve` and N SessionClients in this process:
//                               the server's CPU share and the clients' clock error
#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/time.h"
#include "media/media_reader.h"
#include "net/session/session_client.h"
#include "render/renderer.h"
#include "skew/skew_analysis.h"
#include "skew/skew_plot.h"

namespace {

using namespace lockstep;

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

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

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

// ---------------------------------------------------------------------------------------
// Child processes, paths and small helpers for the session benchmarks.

namespace fs = std::filesystem;

/// Set by SIGINT/SIGTERM: every wait below gives up, and the children are killed.
std::atomic<bool> g_stop{false};

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = [](int) { g_stop = true; };
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

/// Sleeps up to `seconds`, in short steps so that a stop request is seen; false when stopped.
bool nap(double seconds) {
  const int64_t end = monotonic_ns() + int64_t(seconds * 1e9);
  while (!g_stop) {
    const int64_t left = end - monotonic_ns();
    if (left <= 0) return true;
    std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<int64_t>(left, 50 * kNsPerMs)));
  }
  return false;
}

/// A process this bench started. Destroying it while it still runs kills it (SIGKILL, by its
/// pid) and reaps it, so that no run leaves processes behind.
class Child {
 public:
  /// Starts argv[0] (a path) with stdout and stderr to `out_path`, stdin from /dev/null and
  /// `env` ("KEY=VALUE") added to this process's environment. Fails when it cannot be run.
  static Result<std::unique_ptr<Child>> spawn(const std::vector<std::string>& argv,
                                             const std::string& out_path,
                                             const std::vector<std::string>& env = {}) {
    // Everything the child needs is prepared before fork(): the fanout bench forks while
    // other threads run, and the child may only call async-signal-safe functions.
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
      const std::string kv = *e;
      const std::string key = kv.substr(0, kv.find('='));
      const bool replaced = std::any_of(env.begin(), env.end(), [&](const std::string& x) {
        return x.compare(0, key.size() + 1, key + "=") == 0;
      });
      if (!replaced) env_strings.push_back(kv);
    }
    env_strings.insert(env_strings.end(), env.begin(), env.end());
    std::vector<char*> envp, args;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_copy = argv;
    for (auto& a : argv_copy) args.push_back(a.data());
    args.push_back(nullptr);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) return make_error("cannot write '" + out_path + "': " + std::strerror(errno));
    const int null_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    int report[2];
    if (null_in < 0 || pipe2(report, O_CLOEXEC) != 0) {
      ::close(out);
      if (null_in >= 0) ::close(null_in);
      return make_error(std::string("cannot start a process: ") + std::strerror(errno));
    }
    const pid_t pid = fork();
    if (pid == 0) {
      dup2(null_in, STDIN_FILENO);
      dup2(out, STDOUT_FILENO);
      dup2(out, STDERR_FILENO);
      execve(args[0], args.data(), envp.data());
      const int err = errno;
      (void)!write(report[1], &err, sizeof err);
      _exit(127);
    }
    const int fork_errno = errno;
    ::close(out);
    ::close(null_in);
    ::close(report[1]);
    if (pid < 0) {
      ::close(report[0]);
      return make_error(std::string("fork failed: ") + std::strerror(fork_errno));
    }
    int exec_errno = 0;
    const ssize_t got = read(report[0], &exec_errno, sizeof exec_errno);  // EOF: exec worked
    ::close(report[0]);
    auto child = std::unique_ptr<Child>(new Child(pid, argv[0]));
    if (got == ssize_t(sizeof exec_errno)) {
      child->wait(5);
      return make_error("cannot run '" + argv[0] + "': " + std::strerror(exec_errno) +
                        " (build it: cmake --build BUILD --target lockstep lockstep-impair lockstep-mkclip)");
    }
    return child;
  }

  ~Child() {
    if (!reaped_) {
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }

  pid_t pid() const { return pid_; }

  /// True while the process has not exited (reaps it once it has).
  bool running() {
    if (reaped_) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return !reaped_;
  }

  /// Waits at most `timeout_s` (less when this bench is asked to stop); the exit code
  /// (128 + signal when killed), or nullopt when it still runs.
  std::optional<int> wait(double timeout_s) {
    const int64_t deadline = monotonic_ns() + int64_t(timeout_s * 1e9);
    while (running() && monotonic_ns() < deadline && !g_stop)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (running()) return std::nullopt;
    return code_;
  }

  /// SIGTERM, `grace_s` to exit, then SIGKILL; the exit code.
  int stop(double grace_s) {
    if (!running()) return code_;
    kill(pid_, SIGTERM);
    const int64_t deadline = monotonic_ns() + int64_t(grace_s * 1e9);
    while (running() && monotonic_ns() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (running()) {
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
      reaped_ = true;
      code_ = 128 + SIGKILL;
      std::printf("  (%s, pid %d, did not exit on SIGTERM within %.0f s: killed)\n", name_.c_str(),
                  int(pid_), grace_s);
    }
    return code_;
  }

 private:
  Child(pid_t pid, std::string name) : pid_(pid), name_(std::move(name)) {}
  pid_t pid_;
  std::string name_;
  bool reaped_ = false;
  int code_ = -1;
};

/// The folder of this executable: lockstep, lockstep-impair and lockstep-mkclip are built
/// beside lockstep-bench (build/tools).
std::string exe_dir() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : self.parent_path().string();
}

std::string tool(const std::string& name) { return (fs::path(exe_dir()) / name).string(); }

/// A UDP port on loopback that is free right now (the kernel's choice).
Result<int> free_udp_port() {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    return make_error("cannot find a free UDP port: " + err);
  }
  ::close(fd);
  return int(ntohs(a.sin_port));
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

std::string load_average() {
  std::string s = read_text("/proc/loadavg");
  std::istringstream in(s);
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c + " (1/5/15 min, " + std::to_string(std::thread::hardware_concurrency()) + " cores)";
}

/// The last `n` lines of a process's output, indented, for error messages.
std::string tail_of(const std::string& path, size_t n = 8) {
  std::istringstream in(read_text(path));
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::string out;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) out += "    | " + lines[i] + "\n";
  return out.empty() ? "    | (no output)\n" : out;
}

/// Lines of a file that contain `needle`, trimmed.
std::vector<std::string> lines_with(const std::string& path, const std::string& needle) {
  std::istringstream in(read_text(path));
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) {
    if (l.find(needle) == std::string::npos) continue;
    l.erase(0, l.find_first_not_of(' '));
    out.push_back(l);
  }
  return out;
}

/// A scratch folder under $TMPDIR (or /tmp); removed when done unless kept.
Result<std::string> make_work_dir(const std::string& tag) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/lockstep-bench-" + tag + "-XXXXXX";
  if (!mkdtemp(pattern.data())) return make_error("cannot create a folder like '" + pattern + "': " + std::strerror(errno));
  return pattern;
}

/// Nearest-rank percentiles of absolute values, as skew::analyse reports them.
struct Spread {
  size_t count = 0;
  double p50 = 0, p99 = 0, max = 0;
};

Spread spread_of(std::vector<double> v) {
  Spread s;
  s.count = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto rank = [&](double p) { return v[std::min(v.size() - 1, size_t(std::max(1.0, std::ceil(p * double(v.size())))) - 1)]; };
  s.p50 = rank(0.50);
  s.p99 = rank(0.99);
  s.max = v.back();
  return s;
}

const char* verdict(bool met) { return met ? "meets the goal" : "MISSES the goal"; }

// ---------------------------------------------------------------------------------------
// sync: real nodes on this machine, their present logs analysed.

struct SyncOptions {
  int nodes = 3;
  std::string impair = "none";
  double seconds = 30;
  std::string clip;
  std::string plot;
  unsigned seed = 7;
  double skip_s = 1.0;
  bool keep = false;
  // Every node decodes and renders on this machine's CPU (lavapipe): the smaller their work,
  // the less the nodes delay each other's presents, which is what the skew would measure
  // otherwise. The frame index is still read back from each rendered picture.
  std::string node_size = "320x180";  // headless target; "clip" = the clip's own size
  int node_threads = 1;               // decoder threads per node; 0 = one per core
};

/// A test clip of `seconds`, generated once with lockstep-mkclip and cached in the temp folder.
Result<std::string> sync_clip(double seconds) {
  const char* tmp = std::getenv("TMPDIR");
  const fs::path dir = fs::path(tmp && *tmp ? tmp : "/tmp") / "lockstep-bench-clips";
  std::error_code ec;
  fs::create_directories(dir, ec);
  const int whole = int(std::ceil(seconds));
  const fs::path clip = dir / ("sync_640x360_30fps_" + std::to_string(whole) + "s_noaudio.mp4");
  if (fs::exists(clip, ec) && fs::file_size(clip, ec) > 0) return clip.string();
  // Written under another name first: an interrupted run never leaves half a clip behind.
  const fs::path part = dir / ("sync_" + std::to_string(getpid()) + ".part.mp4");
  std::printf("generating %s with lockstep-mkclip...\n", clip.string().c_str());
  std::fflush(stdout);
  auto mk = Child::spawn({tool("lockstep-mkclip"), "-o", part.string(), "--size", "640x360", "--fps", "30",
                          "--duration", std::to_string(whole), "--no-audio"},
                         (dir / "mkclip.out").string());
  if (!mk) return make_error(mk.error());
  const auto code = (*mk)->wait(600);
  if (!code || *code != 0) {
    fs::remove(part, ec);
    return make_error("lockstep-mkclip failed:\n" + tail_of((dir / "mkclip.out").string()));
  }
  fs::rename(part, clip, ec);
  if (ec) return make_error("cannot rename the clip to '" + clip.string() + "': " + ec.message());
  return clip.string();
}

/// Simulated clock of node i: offsets of seconds either way, drift ±200 ppm.
std::string sim_clock_spec(int i) {
  static const char* offsets[] = {"-5s", "3.2s", "0.7s", "-2.4s", "1.9s", "-0.9s", "4.1s", "-3.6s"};
  std::string off = i < 8 ? offsets[i] : std::to_string(((i * 37) % 100) - 50) + "00ms";
  return "offset=" + off + ",drift=" + (i % 2 == 0 ? "-200ppm" : "200ppm");
}

/// Same frame per session tick, with the ticks of the nodes paired by nearest session time
/// (within half a tick period) rather than by exactly equal "session_ns": while a node's
/// clock mapping slews, its ticks' session times move by microseconds, and the exact-match
/// figure (skew::Agreement::session_tick_share) silently leaves those ticks out.
struct NearestTickAgreement {
  int64_t node0_ticks = 0;  // node 0's non-paused ticks in the window
  int64_t ticks = 0;        // those with a non-paused partner tick on every other node
  int64_t agreeing = 0;
  double period_ms = 0.0;
};

NearestTickAgreement agreement_by_nearest_tick(const std::vector<skew::NodeLog>& logs, const skew::SkewReport& r) {
  struct Tick {
    int64_t session_ns, shown;
    bool paused;
  };
  std::vector<std::vector<Tick>> ticks(logs.size());
  for (size_t n = 0; n < logs.size(); ++n) {
    for (const auto& l : logs[n].lines)
      if (l.session_ns && l.t_ns >= r.window_start_ns && l.t_ns <= r.window_end_ns)
        ticks[n].push_back({*l.session_ns, l.shown, l.paused});
    std::sort(ticks[n].begin(), ticks[n].end(), [](const Tick& a, const Tick& b) { return a.session_ns < b.session_ns; });
  }
  NearestTickAgreement out;
  if (ticks.empty() || ticks[0].size() < 2) return out;
  std::vector<double> gaps;
  for (size_t i = 1; i < ticks[0].size(); ++i) gaps.push_back(double(ticks[0][i].session_ns - ticks[0][i - 1].session_ns));
  const double period = median(gaps);
  out.period_ms = period / 1e6;
  for (const Tick& t : ticks[0]) {
    if (t.paused) continue;
    ++out.node0_ticks;
    bool complete = true, same = true;
    for (size_t n = 1; n < ticks.size() && complete; ++n) {
      const auto& v = ticks[n];
      auto it = std::lower_bound(v.begin(), v.end(), t.session_ns,
                                 [](const Tick& a, int64_t s) { return a.session_ns < s; });
      const Tick* best = nullptr;
      if (it != v.end()) best = &*it;
      if (it != v.begin() && (!best || t.session_ns - std::prev(it)->session_ns < best->session_ns - t.session_ns))
        best = &*std::prev(it);
      if (!best || best->paused || double(std::llabs(best->session_ns - t.session_ns)) > period / 2) complete = false;
      else if (best->shown != t.shown) same = false;
    }
    if (!complete) continue;
    ++out.ticks;
    if (same) ++out.agreeing;
  }
  return out;
}

int bench_sync(const SyncOptions& o) {
  const bool wan = o.impair == "wan";
  std::printf("sync: %d nodes, %s, %.0f s each, first %.1f s skipped\n", o.nodes,
              wan ? "through lockstep-impair (20 ms delay, 5 ms jitter, 2 % loss each way)" : "loopback, no impairment",
              o.seconds, o.skip_s);
  std::printf("nodes: lockstep join --headless --verify-frames --threads %d%s\n", o.node_threads,
              o.node_size.empty() || o.node_size == "clip" ? "" : (" --size " + o.node_size).c_str());
  std::printf("load average at start: %s\n", load_average().c_str());
  std::string clip = o.clip;
  if (clip.empty()) {
    auto c = sync_clip(o.seconds + 5);
    if (!c) {
      LS_ERROR("{}", c.error());
      return 1;
    }
    clip = *c;
  }
  auto dir = make_work_dir("sync");
  if (!dir) {
    LS_ERROR("{}", dir.error());
    return 1;
  }
  auto port = free_udp_port();
  auto relay_port = free_udp_port();
  if (!port || !relay_port) {
    LS_ERROR("{}", port ? relay_port.error() : port.error());
    return 1;
  }
  std::printf("clip: %s\nlogs: %s\n", clip.c_str(), dir->c_str());
  const std::string lockstep = tool("lockstep");
  const std::string server_ep = "127.0.0.1:" + std::to_string(*port);

  int status = 0;
  std::vector<std::string> logs, outs;
  std::vector<std::optional<int>> codes(size_t(o.nodes));
  {
    // The server outlives the nodes by a margin; it is stopped (SIGTERM, then SIGKILL) as
    // soon as they are done.
    auto server = Child::spawn({lockstep, "serve", "--port", std::to_string(*port), clip, "--duration",
                                std::to_string(int(o.seconds) + 40)},
                               *dir + "/server.out");
    if (!server) {
      LS_ERROR("{}", server.error());
      return 1;
    }
    std::unique_ptr<Child> relay;
    std::string join_ep = server_ep;
    if (wan) {
      const std::string listen = "127.0.0.1:" + std::to_string(*relay_port);
      auto r = Child::spawn({tool("lockstep-impair"), "--listen", listen, "--to", server_ep, "--delay", "20ms",
                             "--jitter", "5ms", "--loss", "2%", "--seed", std::to_string(o.seed), "--duration",
                             std::to_string(int(o.seconds) + 10) + "s", "--stats", *dir + "/relay.json"},
                            *dir + "/relay.out");
      if (!r) {
        LS_ERROR("{}", r.error());
        return 1;
      }
      relay = std::move(*r);
      join_ep = listen;
    }
    nap(0.3);
    if (!(*server)->running() || (relay && !relay->running())) {
      LS_ERROR("the server or the relay exited at once:\n{}{}", tail_of(*dir + "/server.out"),
               relay ? tail_of(*dir + "/relay.out") : "");
      return 1;
    }
    std::printf("server: lockstep serve --port %d (pid %d)%s\n", *port, int((*server)->pid()),
                wan ? (", joins via lockstep-impair --listen " + join_ep + " (pid " + std::to_string(relay->pid()) + ")").c_str() : "");
    std::vector<std::unique_ptr<Child>> nodes;
    for (int i = 0; i < o.nodes && !g_stop; ++i) {
      const std::string name = "node" + std::to_string(i);
      logs.push_back(*dir + "/" + name + ".jsonl");
      outs.push_back(*dir + "/" + name + ".out");
      std::vector<std::string> argv{lockstep, "join", join_ep, "--headless", "--audio-device", "none",
                                    "--verify-frames", "--present-log", logs.back(), "--name", name,
                                    "--duration", std::to_string(int(o.seconds)),
                                    "--threads", std::to_string(o.node_threads),
                                    "--media-dir", fs::path(clip).parent_path().string()};
      if (!o.node_size.empty() && o.node_size != "clip") argv.insert(argv.end(), {"--size", o.node_size});
      const bool last = i == o.nodes - 1;
      if (last) argv.push_back("--play");
      const std::string sim = sim_clock_spec(i);
      auto n = Child::spawn(argv, outs.back(), {std::string(net::kSimClockEnv) + "=" + sim});
      if (!n) {
        LS_ERROR("{}", n.error());
        return 1;
      }
      std::printf("  node %d: LOCKSTEP_SIM_CLOCK=%s%s (pid %d)\n", i, sim.c_str(), last ? ", --play" : "",
                  int((*n)->pid()));
      nodes.push_back(std::move(*n));
      nap(0.3);
    }
    std::fflush(stdout);
    // Each node plays `seconds` after joining; the rest is start-up, with a generous bound.
    const int64_t deadline = monotonic_ns() + int64_t((o.seconds + 60) * 1e9);
    for (size_t i = 0; i < nodes.size(); ++i) {
      codes[i] = nodes[i]->wait(std::max(0.0, double(deadline - monotonic_ns()) / 1e9));
      if (!codes[i]) {
        if (!g_stop) std::printf("  node %zu did not finish in time: killed\n", i);
        nodes[i].reset();
        status = 1;
      }
    }
    if (relay) relay->stop(5);
    (*server)->stop(5);
  }
  if (g_stop) {
    std::printf("interrupted\n");
    std::error_code ec;
    if (!o.keep) fs::remove_all(*dir, ec);
    return 1;
  }
  for (size_t i = 0; i < outs.size(); ++i) {
    std::string summary;
    for (const char* key : {"refreshes", "present vs schedule", "frames verified"})
      for (const auto& l : lines_with(outs[i], key)) summary += "\n      " + l;
    std::printf("  node %zu exit %d%s\n", i, codes[i] ? *codes[i] : -1, summary.c_str());
    if (codes[i] && *codes[i] != 0) {
      std::printf("%s", tail_of(outs[i]).c_str());
      status = 1;
    }
  }
  if (wan) {
    try {
      const auto j = nlohmann::json::parse(read_text(*dir + "/relay.json"));
      for (const char* d : {"client_to_server", "server_to_client"})
        std::printf("  relay %s: %lld packets in, %lld dropped\n", d, (long long)j[d].value("in", 0LL),
                    (long long)j[d].value("dropped", 0LL));
    } catch (const std::exception&) {
      std::printf("  (the relay wrote no statistics)\n");
    }
  }

  std::vector<skew::NodeLog> parsed;
  for (const auto& l : logs) {
    auto log = skew::read_present_log(l);
    if (!log) {
      LS_ERROR("{}", log.error());
      return 1;
    }
    parsed.push_back(std::move(*log));
  }
  skew::SkewParams sp;
  sp.after_s = o.skip_s;
  auto r = skew::analyse(parsed, sp);
  if (!r) {
    LS_ERROR("{}", r.error());
    return 1;
  }
  const double goal_p99_ms = wan ? 2.0 : 0.5;
  std::printf("window: %.3f s in which all nodes were logging (after the first %.1f s)\n",
              double(r->window_end_ns - r->window_start_ns) / 1e9, o.skip_s);
  std::printf("frame-switch skew |t_b - t_a| per pair (goal: p99 <= %.1f ms):\n", goal_p99_ms);
  for (const auto& p : r->pairs) {
    std::printf("  node %zu vs %zu: p50 %.3f ms  p99 %.3f ms  max %.3f ms  (%lld switches, mean signed %+.3f ms",
                p.a, p.b, p.abs.p50_ms, p.abs.p99_ms, p.abs.max_ms, (long long)p.abs.count, p.mean_signed_ms);
    if (p.unpaired_a || p.unpaired_b) std::printf(", unpaired %lld/%lld", (long long)p.unpaired_a, (long long)p.unpaired_b);
    std::printf(")  %s\n", verdict(p.abs.count > 0 && p.abs.p99_ms <= goal_p99_ms));
  }
  const skew::Agreement& a = r->agreement;
  std::printf("same frame on all nodes:\n");
  if (wan) {
    std::printf("  per session tick: %.2f %% of %lld ticks\n", a.session_tick_share * 100.0, (long long)a.session_ticks);
  } else {
    std::printf("  per session tick: %.2f %% of %lld ticks (goal: 100 %%)  %s\n", a.session_tick_share * 100.0,
                (long long)a.session_ticks, verdict(a.session_ticks > 0 && a.session_agreeing == a.session_ticks));
  }
  const NearestTickAgreement near = agreement_by_nearest_tick(parsed, *r);
  std::printf("    (ticks whose session_ns is identical on all nodes; node 0 presented %lld non-paused ticks in the window)\n",
              (long long)near.node0_ticks);
  std::printf("  per session tick, ticks paired by nearest session time (within %.1f ms): %.2f %% of %lld ticks",
              near.period_ms / 2, near.ticks ? 100.0 * double(near.agreeing) / double(near.ticks) : 0.0,
              (long long)near.ticks);
  if (wan) std::printf("\n");
  else std::printf(" (goal: 100 %%)  %s\n", verdict(near.ticks > 0 && near.agreeing == near.ticks));
  std::printf("  share of the time: %.3f %%\n", a.time_share * 100.0);
  std::printf("  per refresh tick of each node: %.2f %% of %lld\n", a.tick_share * 100.0, (long long)a.ticks);
  std::printf("clock-estimate error |session estimate - truth| per node:\n");
  for (const auto& c : r->clock_errors)
    std::printf("  node %zu: p50 %.3f ms  p99 %.3f ms  max %.3f ms  (%lld ticks, mean signed %+.3f ms)\n", c.node,
                c.abs.p50_ms, c.abs.p99_ms, c.abs.max_ms, (long long)c.abs.count, c.mean_signed_ms);
  if (r->clock_errors.empty()) std::printf("  (no node logged clock_err_ns)\n");
  if (!o.plot.empty()) {
    std::ofstream svg(o.plot, std::ios::binary);
    svg << skew::render_svg(*r);
    if (!svg) {
      LS_ERROR("cannot write the plot '{}'", o.plot);
      status = 1;
    } else {
      std::printf("plot: %s\n", o.plot.c_str());
    }
  }
  std::printf("load average at end: %s\n", load_average().c_str());
  std::error_code ec;
  if (o.keep) std::printf("logs kept in %s\n", dir->c_str());
  else fs::remove_all(*dir, ec);
  return status;
}

// ---------------------------------------------------------------------------------------
// fanout: one server, many session clients in this process.

struct FanoutOptions {
  int clients = 256;
  double seconds = 20;
  double connect_timeout_s = 30;
  double settle_s = 3;
  int client_nice = 10;     // niceness of the clients' network threads
  int batch = 16;           // clients started at once...
  double batch_gap_s = 0.1; // ...with this pause between batches
};

/// utime + stime of a process in seconds, from /proc/PID/stat; nullopt once it is gone.
std::optional<double> process_cpu_s(pid_t pid) {
  const std::string s = read_text("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = s.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(s.substr(close + 2));
  std::vector<std::string> f;
  for (std::string x; in >> x;) f.push_back(x);
  // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
  if (f.size() < 13) return std::nullopt;
  const double tck = double(sysconf(_SC_CLK_TCK));
  return (std::stod(f[11]) + std::stod(f[12])) / tck;
}

/// Peak resident memory of a process, MiB (VmHWM in /proc/PID/status); 0 when unknown.
double process_peak_rss_mib(pid_t pid) {
  for (const auto& l : lines_with("/proc/" + std::to_string(pid) + "/status", "VmHWM:")) {
    long long kib = 0;
    if (std::sscanf(l.c_str(), "VmHWM: %lld", &kib) == 1) return double(kib) / 1024.0;
  }
  return 0.0;
}

double self_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/// Raises the soft limit of `resource` to at least `need` (up to the hard limit).
Status ensure_limit(int resource, rlim_t need, const char* what) {
  rlimit rl{};
  if (getrlimit(resource, &rl) != 0) return make_error(std::string("getrlimit: ") + std::strerror(errno));
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need) return {};
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
    return make_error(std::string("the limit on ") + what + " (" + std::to_string(rl.rlim_max) + ") is below the " +
                      std::to_string(need) + " this run needs: use fewer --clients or raise `ulimit`");
  rl.rlim_cur = need;
  if (setrlimit(resource, &rl) != 0) return make_error(std::string("setrlimit: ") + std::strerror(errno));
  return {};
}

int bench_fanout(const FanoutOptions& o) {
  std::printf("fanout: 1 `lockstep serve` process, %d session clients in this process, %.0f s measured\n",
              o.clients, o.seconds);
  std::printf("load average at start: %s\n", load_average().c_str());
  // One UDP socket and one network thread per client, plus this process's own.
  for (auto [res, what] : {std::pair{RLIMIT_NOFILE, "open files"}, std::pair{RLIMIT_NPROC, "processes/threads"}}) {
    if (auto s = ensure_limit(res, rlim_t(o.clients) + 256, what); !s) {
      LS_ERROR("{}", s.error());
      return 1;
    }
  }
  auto dir = make_work_dir("fanout");
  auto port = free_udp_port();
  if (!dir || !port) {
    LS_ERROR("{}", dir ? port.error() : dir.error());
    return 1;
  }
  const double server_duration = o.connect_timeout_s + o.settle_s + o.seconds + 15;
  auto server = Child::spawn({tool("lockstep"), "serve", "--port", std::to_string(*port), "--duration",
                              std::to_string(int(server_duration))},
                             *dir + "/server.out");
  if (!server) {
    LS_ERROR("{}", server.error());
    return 1;
  }
  Child& srv = **server;
  nap(0.3);
  if (!srv.running()) {
    LS_ERROR("the server exited at once:\n{}", tail_of(*dir + "/server.out"));
    return 1;
  }
  std::printf("server: lockstep serve --port %d --duration %d (pid %d)\n", *port, int(server_duration), int(srv.pid()));
  std::printf("clients: started %d at a time every %.0f ms, network threads at nice %d\n", o.batch, o.batch_gap_s * 1e3,
              o.client_nice);

  int status = 0;
  {
    std::vector<std::unique_ptr<net::SessionClient>> clients;
    clients.reserve(size_t(o.clients));
    const int64_t t_start = monotonic_ns();
    const double server_cpu_start = process_cpu_s(srv.pid()).value_or(0);
    // The clients are started from a helper thread whose niceness their network threads
    // inherit, so that they do not take the CPU from the server being measured (or from
    // everything else on the machine): each wakes for its own packets and timers, and at
    // least every 10 ms. They are started in batches so that the handshakes do not all
    // arrive at once.
    std::thread starter([&] {
      if (o.client_nice != 0) setpriority(PRIO_PROCESS, 0, o.client_nice);  // this thread only (Linux)
      for (int i = 0; i < o.clients && !g_stop; ++i) {
        net::SessionClientParams cp;
        cp.server = net::Endpoint{"127.0.0.1", *port};
        cp.name = "fanout-" + std::to_string(i);
        cp.probe = [](const std::string&) -> Result<net::MediaEntry> { return net::MediaEntry{}; };
        auto c = net::SessionClient::start(cp, {});
        if (!c) {
          LS_ERROR("client {}: {}", i, c.error());
          status = 1;
          break;
        }
        clients.push_back(std::move(*c));
        if ((i + 1) % o.batch == 0) nap(o.batch_gap_s);
      }
    });
    starter.join();
    auto count = [&](auto pred) {
      return int(std::count_if(clients.begin(), clients.end(), [&](const auto& c) { return pred(*c); }));
    };
    auto connected = [](const net::SessionClient& c) { return c.phase() == net::ClientPhase::Connected; };
    auto settled = [](const net::SessionClient& c) {
      return c.phase() == net::ClientPhase::Connected && c.clock_settled();
    };
    // Connect: bounded by connect_timeout_s.
    double all_connected_s = -1, all_settled_s = -1;
    const int64_t connect_deadline = t_start + int64_t(o.connect_timeout_s * 1e9);
    while (!g_stop && monotonic_ns() < connect_deadline && srv.running()) {
      const double t = double(monotonic_ns() - t_start) / 1e9;
      if (all_connected_s < 0 && count(connected) == int(clients.size())) all_connected_s = t;
      if (count(settled) == int(clients.size())) {
        all_settled_s = t;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const double connect_cpu = process_cpu_s(srv.pid()).value_or(0) - server_cpu_start;
    const double connect_wall = double(monotonic_ns() - t_start) / 1e9;
    auto seconds_or = [&](double s) {
      char text[64];
      if (s < 0) std::snprintf(text, sizeof text, "(not all within %.0f s)", o.connect_timeout_s);
      else std::snprintf(text, sizeof text, "%.2f s", s);
      return std::string(text);
    };
    std::printf("%zu clients started; all connected after %s, all clock estimates settled after %s\n", clients.size(),
                seconds_or(all_connected_s).c_str(), seconds_or(all_settled_s).c_str());
    std::printf("  connected now %d of %zu; server CPU while they joined: %.1f %% of one core over %.2f s\n",
                count(connected), clients.size(), 100.0 * connect_cpu / std::max(connect_wall, 1e-9), connect_wall);
    std::fflush(stdout);
    nap(o.settle_s);

    // The measured run: the server's CPU over the whole of it, and every second a look at
    // every client's clock estimate.
    const int64_t m0 = monotonic_ns();
    const auto cpu0 = process_cpu_s(srv.pid());
    const double self0 = self_cpu_s();
    std::vector<double> per_second_share, run_offset_ms, run_bound_ms;
    int min_connected = int(clients.size());
    std::vector<char> was_connected(clients.size());
    for (size_t k = 0; k < clients.size(); ++k) was_connected[k] = connected(*clients[k]);
    int drops = 0;
    double last_cpu = cpu0.value_or(0);
    int64_t last_t = m0;
    bool server_died = false;
    while (!g_stop) {
      const int64_t next = last_t + kNsPerSec;
      const int64_t end = m0 + int64_t(o.seconds * 1e9);
      std::this_thread::sleep_for(std::chrono::nanoseconds(std::max<int64_t>(0, std::min(next, end) - monotonic_ns())));
      const int64_t now = monotonic_ns();
      const auto cpu = process_cpu_s(srv.pid());
      if (!cpu || !srv.running()) {
        server_died = true;
        break;
      }
      per_second_share.push_back(100.0 * (*cpu - last_cpu) / (double(now - last_t) / 1e9));
      last_cpu = *cpu;
      last_t = now;
      int n = 0;
      for (size_t k = 0; k < clients.size(); ++k) {
        const auto& c = clients[k];
        const bool up = connected(*c);
        if (was_connected[k] && !up) ++drops;
        was_connected[k] = up;
        if (!up) continue;
        ++n;
        const net::ClockEstimate e = c->clock_estimate();
        if (!e.valid) continue;
        run_offset_ms.push_back(std::abs(double(e.offset_ns)) / 1e6);
        run_bound_ms.push_back(double(e.error_bound_ns) / 1e6);
      }
      min_connected = std::min(min_connected, n);
      if (now >= end) break;
    }
    const int64_t m1 = monotonic_ns();
    const auto cpu1 = process_cpu_s(srv.pid());
    const double wall = double(m1 - m0) / 1e9;
    const double self_share = 100.0 * (self_cpu_s() - self0) / wall;
    if (g_stop) {
      std::printf("interrupted\n");
      std::error_code ec;
      fs::remove_all(*dir, ec);
      return 1;
    }
    std::vector<double> offset_ms, bound_ms, rtt_ms;
    int valid = 0;
    for (const auto& c : clients) {
      if (!connected(*c)) continue;
      const net::ClockEstimate e = c->clock_estimate();
      rtt_ms.push_back(double(c->rtt_ns()) / 1e6);
      if (!e.valid) continue;
      ++valid;
      offset_ms.push_back(std::abs(double(e.offset_ns)) / 1e6);
      bound_ms.push_back(double(e.error_bound_ns) / 1e6);
    }
    const int connected_end = count(connected);
    std::printf("measured %.2f s:\n", wall);
    if (server_died || !cpu0 || !cpu1) {
      std::printf("  the server exited during the run:\n%s", tail_of(*dir + "/server.out").c_str());
      status = 1;
    } else {
      const double share = 100.0 * (*cpu1 - *cpu0) / wall;
      const Spread s = spread_of(per_second_share);
      std::printf("  server CPU: %.1f %% of one core (utime+stime %.2f s / %.2f s wall; goal <= 10 %%)  %s\n", share,
                  *cpu1 - *cpu0, wall, verdict(share <= 10.0));
      std::printf("    per second: p50 %.0f %%  max %.0f %% (%zu samples, %ld ticks/s resolution); server peak RSS %.1f MiB\n",
                  s.p50, s.max, s.count, sysconf(_SC_CLK_TCK), process_peak_rss_mib(srv.pid()));
    }
    std::printf("  this process (%zu clients, one network thread each): %.1f %% of one core\n", clients.size(), self_share);
    std::printf("  clients connected: %d of %zu at the end (fewest during the run: %d, losses seen in the 1 s samples: %d); %d with a valid estimate\n",
                connected_end, clients.size(), min_connected, drops, valid);
    const Spread so = spread_of(offset_ms), sb = spread_of(bound_ms), sr = spread_of(rtt_ms);
    std::printf("  clock error |offset| (true offset 0) across clients at the end: p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
                so.p50, so.p99, so.max);
    std::printf("  error_bound across clients at the end:                      p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
                sb.p50, sb.p99, sb.max);
    std::printf("  last probe round trip across clients:                      p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
                sr.p50, sr.p99, sr.max);
    const Spread ro = spread_of(run_offset_ms), rb = spread_of(run_bound_ms);
    std::printf("  over the run (every client once a second, %zu samples): |offset| p50 %.3f  p99 %.3f  max %.3f ms;"
                " bound p50 %.3f  p99 %.3f  max %.3f ms\n",
                ro.count, ro.p50, ro.p99, ro.max, rb.p50, rb.p99, rb.max);
    std::fflush(stdout);
    clients.clear();  // each says goodbye and joins its thread
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("this process's peak RSS: %.1f MiB\n", double(ru.ru_maxrss) / 1024.0);
  srv.stop(5);
  std::printf("load average at end: %s\n", load_average().c_str());
  std::error_code ec;
  fs::remove_all(*dir, ec);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lockstep-bench — decode, render and session figures (printed, not asserted)"};
  app.require_subcommand(1);
  std::string file;
  int threads = 0;
  std::string size = "1920x1080";
  auto* dec = app.add_subcommand("decode", "Decode throughput vs ffmpeg's own decode");
  dec->add_option("file", file)->required()->check(CLI::ExistingFile);
  dec->add_option("--threads", threads, "Decoder threads (0: one per core)");
  int repeat = 5;
  dec->add_option("--repeat", repeat, "Alternating runs of each; medians are compared")->check(CLI::Range(1, 50));
  auto* ren = app.add_subcommand("render", "Untimed decode+upload+convert+draw, offscreen");
  ren->add_option("file", file)->required()->check(CLI::ExistingFile);
  ren->add_option("--size", size, "Offscreen target WxH")->capture_default_str();
  ren->add_option("--threads", threads, "Decoder threads (0: one per core)");
  SyncOptions so;
  auto* syn = app.add_subcommand("sync", "lockstep serve + N lockstep join on this machine: skew, same-frame share, clock error");
  syn->add_option("--nodes", so.nodes, "Nodes (lockstep join processes)")->capture_default_str()->check(CLI::Range(2, 16));
  syn->add_option("--impair", so.impair, "none: plain loopback; wan: via lockstep-impair 20 ms ±5 ms, 2 % loss")
      ->capture_default_str()->check(CLI::IsMember({"none", "wan"}));
  syn->add_option("--seconds", so.seconds, "Seconds each node plays")->capture_default_str()->check(CLI::Range(5.0, 600.0));
  syn->add_option("--clip", so.clip, "Clip to play (default: a 640x360 30 fps test clip, generated once)")->check(CLI::ExistingFile);
  syn->add_option("--plot", so.plot, "Write the frame-switch skew over time as an SVG plot");
  syn->add_option("--seed", so.seed, "lockstep-impair's random seed (wan)")->capture_default_str();
  syn->add_option("--skip", so.skip_s, "Seconds at the start left out of the figures")->capture_default_str()->check(CLI::Range(0.0, 60.0));
  syn->add_flag("--keep", so.keep, "Keep the present logs and process outputs");
  syn->add_option("--node-size", so.node_size, "Each node's headless target WxH, or clip (the clip's own size); the frame tag needs >= 120 px wide")
      ->capture_default_str();
  syn->add_option("--node-threads", so.node_threads, "Decoder threads per node (0: one per core)")
      ->capture_default_str()->check(CLI::Range(0, 16));
  FanoutOptions fo;
  auto* fan = app.add_subcommand("fanout", "One lockstep serve, many session clients in this process: server CPU, clock error");
  fan->add_option("--clients", fo.clients, "Session clients")->capture_default_str()->check(CLI::Range(1, 300));
  fan->add_option("--seconds", fo.seconds, "Seconds measured once all clients are settled")->capture_default_str()->check(CLI::Range(1.0, 300.0));
  fan->add_option("--client-nice", fo.client_nice, "Niceness of the clients' network threads (the server keeps its own)")
      ->capture_default_str()->check(CLI::Range(0, 19));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  // 256 clients would each log every reconnect; the fanout figures count them instead.
  init_logging(fan->parsed() ? "error" : "warn");
  if (dec->parsed()) return bench_decode(file, threads, repeat);
  if (syn->parsed() || fan->parsed()) {
    install_stop_handlers();
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    return syn->parsed() ? bench_sync(so) : bench_fanout(fo);
  }
  int w = 0, h = 0;
  if (std::sscanf(size.c_str(), "%dx%d", &w, &h) != 2 || w < 16 || h < 16) {
    std::fprintf(stderr, "invalid --size '%s': use WIDTHxHEIGHT\n", size.c_str());
    return 2;
  }
  return bench_render(file, w, h, threads);
}
