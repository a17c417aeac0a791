// A process started by a test or a benchmark: stdout and stderr to a file, stdin from
// /dev/null, extra environment variables. Dropping it while it still runs kills it (SIGKILL,
// by its pid) and reaps it, so that no run leaves processes behind. Shared by lockstep-bench
// and the tests (tests/support/test_media.h's ChildProcess).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace lockstep {

class Child {
 public:
  /// Starts argv[0] (a path) with stdout and stderr to `out_path` and `env` ("KEY=VALUE")
  /// added to (or replacing in) this process's environment. Fails, with the reason, when it
  /// cannot be run (missing, not executable). Safe to call while other threads run.
  static Result<std::unique_ptr<Child>> spawn(const std::vector<std::string>& argv, const std::string& out_path,
                                             const std::vector<std::string>& env = {});
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  /// True while the process has not exited (reaps it once it has).
  bool running();
  /// Waits at most `timeout_s` (less once `*stop` turns true); the exit code (128 + signal
  /// when killed), or nullopt when it still runs.
  std::optional<int> wait(double timeout_s, const std::atomic<bool>* stop = nullptr);
  /// Sends `sig`.
  void signal(int sig);
  /// SIGTERM, `grace_s` to exit, then SIGKILL (said on stdout); the exit code.
  int stop(double grace_s);

 private:
  Child(pid_t pid, std::string name) : pid_(pid), name_(std::move(name)) {}
  pid_t pid_;
  std::string name_;
  bool reaped_ = false;
  int code_ = -1;
};

}  // namespace lockstep
