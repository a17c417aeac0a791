#include "support/pulse_daemon.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/alsa_file_device.h"
#include "support/test_media.h"

namespace fs = std::filesystem;

namespace lockstep::test {

namespace {

pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
            const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (!log.empty()) {
      FILE* f = std::freopen(log.c_str(), "w", stdout);
      (void)f;
      dup2(STDOUT_FILENO, STDERR_FILENO);
    }
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

/// `name` looked up in PATH (run_process wants a path).
std::string program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t colon = std::min(dirs.find(':', start), dirs.size());
    const std::string candidate = dirs.substr(start, colon - start) + "/" + name;
    if (colon > start && access(candidate.c_str(), X_OK) == 0) return candidate;
    start = colon + 1;
  }
  return "/usr/bin/" + name;
}

/// Polls `ready` every 50 ms for at most `timeout_s`.
template <typename F>
bool wait_until(F ready, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  for (;;) {
    if (ready()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

/// Whether a `pactl list short ...` listing has `name` as the second (name) column of a row.
bool lists(const std::string& listing, const std::string& name) {
  return listing.find("\t" + name + "\t") != std::string::npos;
}

void end(pid_t& pid, int sig) {
  if (pid <= 0) return;
  kill(pid, sig);
  int status = 0;
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  pid = -1;
}

}  // namespace

PulseDaemon::PulseDaemon(const std::string& scratch, const std::string& sink, bool split_channels)
    : sink_(sink) {
  dir_ = scratch + "/pulse";
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  chmod(dir_.c_str(), 0700);
  {
    std::ofstream pa(dir_ + "/default.pa");
    pa << "load-module module-native-protocol-unix auth-anonymous=1 socket=" << dir_ << "/native\n"
       // norewinds=1: see the header (a rewinding sink's monitor is no timeline).
       << "load-module module-null-sink sink_name=" << sink << " rate=48000 channels=2 norewinds=1\n"
       << "set-default-sink " << sink << "\n";
    if (split_channels) {
      for (const char* side : {"left", "right"})
        pa << "load-module module-remap-sink sink_name=" << side << "_only master=" << sink
           << " channels=1 master_channel_map=front-" << side << " channel_map=mono remix=no\n";
    }
  }
  const std::vector<std::string> env{"HOME=" + dir_, "XDG_RUNTIME_DIR=" + dir_,
                                     "PULSE_STATE_PATH=" + dir_, "PULSE_RUNTIME_PATH=" + dir_};
  pid_ = spawn({"pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
                "--disable-shm=yes", "-F", dir_ + "/default.pa"},
               env, dir_ + "/daemon.log");
  if (!wait_until([&] { return fs::exists(dir_ + "/native"); }, 5)) {
    error_ = "pulseaudio did not start (see " + dir_ + "/daemon.log; is the pulseaudio package installed?)";
    end(pid_, SIGTERM);
    return;
  }
  // The socket comes with the first module of default.pa; the sinks are loaded after it. A
  // client that connects before its sink exists (PULSE_SINK=left_only) fails or lands
  // elsewhere: wait until every sink is listed.
  std::vector<std::string> sinks{sink};
  if (split_channels) sinks.insert(sinks.end(), {"left_only", "right_only"});
  std::string listing;
  const bool ready = wait_until(
      [&] {
        listing = pactl({"list", "short", "sinks"});
        for (const auto& s : sinks)
          if (!lists(listing, s)) return false;
        return true;
      },
      10);
  if (!ready) {
    error_ = "pulseaudio started but its sinks are missing (pactl list short sinks: '" + listing +
             "'; see " + dir_ + "/daemon.log; is pulseaudio-utils installed?)";
    end(pid_, SIGTERM);
  }
}

std::string PulseDaemon::pactl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{program("pactl")};
  argv.insert(argv.end(), args.begin(), args.end());
  const ProcessResult r = run_process(argv, 10, env());
  return r.exit_code == 0 ? r.output : "";
}

PulseDaemon::~PulseDaemon() { end(pid_, SIGTERM); }

std::vector<std::string> PulseDaemon::env() const {
  return {"PULSE_SERVER=unix:" + dir_ + "/native", "ALSA_CONFIG_PATH=" + alsa_pulse_config()};
}

MonitorRecorder::MonitorRecorder(const PulseDaemon& pulse, const std::string& path) {
  std::error_code ec;
  fs::remove(path, ec);  // a file left by an earlier run would look like a running recording
  pid_ = spawn({"parec", "-d", pulse.sink() + ".monitor", "--format=float32le", "--rate=48000",
                "--channels=2", "--latency-msec=10", path},
               pulse.env(), "");
  // parec connects asynchronously: anything played before its stream runs is not recorded.
  // Wait until samples reach the file (parec writes what the monitor delivers, every 10 ms).
  const bool recording = wait_until(
      [&] {
        const auto size = fs::file_size(path, ec);
        return !ec && size > 0;
      },
      10);
  if (!recording) end(pid_, SIGINT);
}

MonitorRecorder::~MonitorRecorder() { stop(); }

void MonitorRecorder::stop() { end(pid_, SIGINT); }

}  // namespace lockstep::test
