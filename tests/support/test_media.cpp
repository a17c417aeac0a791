#include "support/test_media.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "core/time.h"

namespace fs = std::filesystem;

namespace lockstep::test {

std::string player_path() { return LOCKSTEP_PLAYER; }
std::string mkclip_path() { return LOCKSTEP_MKCLIP; }
std::string source_dir() { return LOCKSTEP_SOURCE_DIR; }
std::string tool_path(const std::string& name) {
  return (fs::path(LOCKSTEP_PLAYER).parent_path() / name).string();
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& log_path,
                           const std::vector<std::string>& env) {
  auto child = Child::spawn(argv, log_path, env);
  if (child) child_ = std::move(child.value());
  else std::fprintf(stderr, "test: %s\n", child.error().c_str());
}

void ChildProcess::signal(int sig) {
  if (child_) child_->signal(sig);
}

int ChildProcess::wait(double timeout_s) {
  if (!child_) return 127;
  return child_->wait(timeout_s).value_or(-1);
}

std::string clip_dir() { return fs::path(LOCKSTEP_TEST_MEDIA).string(); }

std::string scratch_dir(const std::string& test_name) {
  fs::path dir = fs::path(LOCKSTEP_TEST_MEDIA) / "scratch" / test_name;
  fs::create_directories(dir);
  return dir.string();
}

namespace {

/// Makes `name` in the test media folder once: `make(tmp)` writes it to a temporary path.
std::string cached_media(const std::string& name,
                         const std::function<ProcessResult(const std::string&)>& make) {
  static std::recursive_mutex mutex;  // ffmpeg_clip() may make its source clip() first
  std::lock_guard lock(mutex);
  fs::create_directories(LOCKSTEP_TEST_MEDIA);
  const fs::path out = fs::path(LOCKSTEP_TEST_MEDIA) / name;
  if (fs::exists(out) && fs::file_size(out) > 0) return out.string();
  // Write to a temporary name first so that an interrupted run never leaves half a clip
  // (ctest may run test binaries in parallel: the rename is atomic).
  const fs::path tmp = out.string() + ".tmp." + std::to_string(getpid()) + out.extension().string();
  const ProcessResult r = make(tmp.string());
  if (r.exit_code != 0) {
    ADD_FAILURE() << "making " << name << " failed:\n" << r.output;
    return "";
  }
  fs::rename(tmp, out);
  return out.string();
}

}  // namespace

std::string clip(const std::string& name, const std::vector<std::string>& mkclip_args) {
  return cached_media(name, [&](const std::string& tmp) {
    std::vector<std::string> argv{mkclip_path(), "-o", tmp};
    argv.insert(argv.end(), mkclip_args.begin(), mkclip_args.end());
    return run_process(argv, 300);
  });
}

std::string ffmpeg_clip(const std::string& name, const std::vector<std::string>& args) {
  return cached_media(name, [&](const std::string& tmp) {
    std::vector<std::string> argv{"/usr/bin/ffmpeg", "-hide_banner", "-loglevel", "error",
                                  "-nostdin", "-y"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(tmp);
    return run_process(argv, 300);
  });
}

ProcessResult run_process(const std::vector<std::string>& argv, double timeout_s,
                          const std::vector<std::string>& env) {
  ProcessResult result;
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return result;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  const int64_t deadline = monotonic_ns() + int64_t(timeout_s * 1e9);
  char buf[4096];
  bool timed_out = false;
  for (;;) {
    const int64_t left_ms = (deadline - monotonic_ns()) / 1'000'000;
    if (left_ms <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{pipe_fds[0], POLLIN, 0};
    const int n = poll(&p, 1, int(std::min<int64_t>(left_ms, 1000)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    const ssize_t got = read(pipe_fds[0], buf, sizeof buf);
    if (got <= 0) break;
    result.output.append(buf, size_t(got));
  }
  close(pipe_fds[0]);
  if (timed_out) {
    kill(pid, SIGKILL);
    result.output += "\n[test] process killed after timeout\n";
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace lockstep::test
