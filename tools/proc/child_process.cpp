#include "tools/proc/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "core/time.h"

extern char** environ;

namespace lockstep {

Result<std::unique_ptr<Child>> Child::spawn(const std::vector<std::string>& argv, const std::string& out_path,
                                            const std::vector<std::string>& env) {
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

Child::~Child() {
  if (!reaped_) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

bool Child::running() {
  if (reaped_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    reaped_ = true;
    code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  return !reaped_;
}

std::optional<int> Child::wait(double timeout_s, const std::atomic<bool>* stop) {
  const int64_t deadline = monotonic_ns() + int64_t(timeout_s * 1e9);
  while (running() && monotonic_ns() < deadline && !(stop && *stop))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (running()) return std::nullopt;
  return code_;
}

void Child::signal(int sig) {
  if (!reaped_) kill(pid_, sig);
}

int Child::stop(double grace_s) {
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
    std::printf("  (%s, pid %d, did not exit on SIGTERM within %.0f s: killed)\n", name_.c_str(), int(pid_), grace_s);
  }
  return code_;
}

}  // namespace lockstep
