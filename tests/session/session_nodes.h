// Starting session nodes for the tests: `lockstep join` processes, headless, logging what
// they present (frames read back from their pixels), optionally on a simulated clock.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/test_media.h"

namespace lockstep::test {

/// A UDP port for this test run: `base` per test file, `k` per test (the suites are
/// RUN_SERIAL; the process id keeps parallel runs of different builds apart).
inline int session_port(int base, int k) { return base + int(getpid() % 2000) * 4 + k; }

/// The clip the session tests play: 320x180, 30 fps, 12 s, no audio.
inline std::string session_clip() {
  return clip("session_320x180_30_12s.mp4", {"--size", "320x180", "--fps", "30", "--duration", "12", "--no-audio"});
}

struct NodeRun {
  std::string log;  // present log (JSON lines)
  std::string out;  // stdout + stderr
  std::unique_ptr<ChildProcess> process;
};

/// `lockstep join ADDRESS --headless --verify-frames --present-log DIR/NAME.jsonl ...`;
/// `sim` sets LOCKSTEP_SIM_CLOCK when not empty.
inline NodeRun start_node(const std::string& dir, const std::string& name, const std::string& address,
                          const std::string& sim, double duration_s, std::vector<std::string> extra = {}) {
  NodeRun n;
  n.log = dir + "/" + name + ".jsonl";
  n.out = dir + "/" + name + ".out";
  std::filesystem::remove(n.log);
  std::vector<std::string> argv{player_path(), "join",    address,  "--headless", "--audio-device",
                                "none",        "--verify-frames",   "--present-log", n.log,
                                "--name",      name,      "--duration", std::to_string(duration_s)};
  argv.insert(argv.end(), extra.begin(), extra.end());
  std::vector<std::string> env;
  if (!sim.empty()) env.push_back("LOCKSTEP_SIM_CLOCK=" + sim);
  n.process = std::make_unique<ChildProcess>(argv, n.out, env);
  return n;
}

}  // namespace lockstep::test
