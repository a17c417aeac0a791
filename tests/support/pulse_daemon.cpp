#include "support/pulse_daemon.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
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
       << "load-module module-null-sink sink_name=" << sink << " rate=48000 channels=2\n"
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
  for (int i = 0; i < 100 && !fs::exists(dir_ + "/native"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!fs::exists(dir_ + "/native")) {
    error_ = "pulseaudio did not start (see " + dir_ + "/daemon.log; is the pulseaudio package installed?)";
    end(pid_, SIGTERM);
  }
}

PulseDaemon::~PulseDaemon() { end(pid_, SIGTERM); }

std::vector<std::string> PulseDaemon::env() const {
  return {"PULSE_SERVER=unix:" + dir_ + "/native", "ALSA_CONFIG_PATH=" + alsa_pulse_config()};
}

MonitorRecorder::MonitorRecorder(const PulseDaemon& pulse, const std::string& path) {
  pid_ = spawn({"parec", "-d", pulse.sink() + ".monitor", "--format=float32le", "--rate=48000",
                "--channels=2", "--latency-msec=10", path},
               pulse.env(), "");
  // parec connects asynchronously: give it a moment before anything plays.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
}

MonitorRecorder::~MonitorRecorder() { stop(); }

void MonitorRecorder::stop() { end(pid_, SIGINT); }

}  // namespace lockstep::test
