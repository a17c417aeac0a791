// Test helpers: generated clips (made once per build tree with lockstep-mkclip) and
// running the lockstep binaries as separate processes.
#pragma once

#include <string>
#include <vector>

#include "tools/proc/child_process.h"

namespace lockstep::test {

/// Whether a test asserts real-time figures (skew, landing, time to first frame). Sanitizer
/// builds (./tools/run-tests --sanitize or --tsan) run 5–20× slower: they check memory and
/// races, and print the figures without holding them to the bounds.
#ifdef LOCKSTEP_SANITIZE_BUILD
inline constexpr bool kTimingAsserted = false;
#else
inline constexpr bool kTimingAsserted = true;
#endif

/// Path of a clip named `name` (e.g. "h264_640x360_30.mp4") generated with the given
/// lockstep-mkclip options. Generated on first use; later calls reuse the file. Fails the
/// current test (ADD_FAILURE) and returns "" when generation fails.
std::string clip(const std::string& name, const std::vector<std::string>& mkclip_args);

/// Path of a clip named `name` made by the ffmpeg CLI (`ffmpeg -y ARGS... OUTPUT`), as a
/// user would make one: typically a clip() re-encoded or remuxed, so that its frames still
/// carry their index tag. Made on first use, like clip(); fails the test and returns "" when
/// ffmpeg fails.
std::string ffmpeg_clip(const std::string& name, const std::vector<std::string>& args);

/// Folder for a test's own scratch files (created, under the build tree).
std::string scratch_dir(const std::string& test_name);
/// The folder where clip() puts its clips: session nodes find the session's files there.
std::string clip_dir();

struct ProcessResult {
  int exit_code = -1;   // exit status, or 128+signal
  std::string output;   // stdout and stderr together
};

/// Runs argv[0] with argv, waits at most `timeout_s`, collects stdout+stderr. `env` adds
/// "NAME=value" entries to the inherited environment.
ProcessResult run_process(const std::vector<std::string>& argv, double timeout_s = 60,
                          const std::vector<std::string>& env = {});

/// A child process (stdout+stderr to `log_path`), ended by its pid with SIGKILL when the
/// object goes unless it has exited. `env` adds "NAME=value" entries.
class ChildProcess {
 public:
  /// Starts argv[0] with stdout and stderr to `log_path` (tools/proc/child_process.h); one
  /// that cannot be run says why on stderr and waits as if it had exited with 127.
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path,
               const std::vector<std::string>& env = {});
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  /// Waits for the exit; the exit code, or -1 on timeout.
  int wait(double timeout_s);
  /// Sends `sig` (e.g. SIGKILL to simulate a crash).
  void signal(int sig);
  int pid() const { return child_ ? int(child_->pid()) : -1; }

 private:
  std::unique_ptr<Child> child_;  // killed and reaped if still running when dropped
};

/// Paths of the built programs.
std::string player_path();  // lockstep
std::string tool_path(const std::string& name);  // e.g. "lockstep-impair"
std::string mkclip_path();  // lockstep-mkclip
std::string source_dir();

}  // namespace lockstep::test
