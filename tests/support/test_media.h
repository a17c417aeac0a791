// Test helpers: generated clips (made once per build tree with lockstep-mkclip) and
// running the lockstep binaries as separate processes.
#pragma once

#include <string>
#include <vector>

namespace lockstep::test {

/// Path of a clip named `name` (e.g. "h264_640x360_30.mp4") generated with the given
/// lockstep-mkclip options. Generated on first use; later calls reuse the file. Fails the
/// current test (ADD_FAILURE) and returns "" when generation fails.
std::string clip(const std::string& name, const std::vector<std::string>& mkclip_args);

/// Folder for a test's own scratch files (created, under the build tree).
std::string scratch_dir(const std::string& test_name);

struct ProcessResult {
  int exit_code = -1;   // exit status, or 128+signal
  std::string output;   // stdout and stderr together
};

/// Runs argv[0] with argv, waits at most `timeout_s`, collects stdout+stderr. `env` adds
/// "NAME=value" entries to the inherited environment.
ProcessResult run_process(const std::vector<std::string>& argv, double timeout_s = 60,
                          const std::vector<std::string>& env = {});

/// Paths of the built programs.
std::string player_path();  // lockstep
std::string mkclip_path();  // lockstep-mkclip
std::string source_dir();

}  // namespace lockstep::test
