// Starting session nodes for the tests: `lockstep join` processes, headless, logging what
// they present (frames read back from their pixels), optionally on a simulated clock.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "skew/skew_analysis.h"
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
/// `sim` sets LOCKSTEP_SIM_CLOCK when not empty. Each node has its own XDG_CONFIG_HOME,
/// DIR/config-NAME unless `config` is given: a node meets the server for the first time
/// (nothing remembered from other tests: no known key, no clock drift).
inline NodeRun start_node(const std::string& dir, const std::string& name, const std::string& address,
                          const std::string& sim, double duration_s, std::vector<std::string> extra = {},
                          std::string config = "") {
  NodeRun n;
  n.log = dir + "/" + name + ".jsonl";
  n.out = dir + "/" + name + ".out";
  std::filesystem::remove(n.log);
  std::vector<std::string> argv{player_path(), "join",    address,  "--headless", "--audio-device",
                                "none",        "--verify-frames",   "--present-log", n.log,
                                "--name",      name,      "--duration", std::to_string(duration_s),
                                "--media-dir", clip_dir()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  std::vector<std::string> env;
  if (!sim.empty()) env.push_back("LOCKSTEP_SIM_CLOCK=" + sim);
  if (config.empty()) {
    config = dir + "/config-" + name;
    std::filesystem::remove_all(config);
  }
  env.push_back("XDG_CONFIG_HOME=" + config);
  n.process = std::make_unique<ChildProcess>(argv, n.out, env);
  return n;
}

/// Whether a node shows the session's frame, line by line, around jumps (a join, a seek, a
/// load). After a jump (the frame asked for, `due`, moves by more than two) a node may hold
/// the picture it showed before; from the first line that shows anything else, and at every
/// other time, it must show exactly `due`: never a frame decoded on the way. A joiner has no
/// picture before, so it must be exact from its first line.
struct Landing {
  int64_t jumps = 0;  // jumps seen (a joiner's first line counts as one)
  int64_t held = 0;   // playing lines that kept the picture from before a jump
  int64_t exact = 0;  // playing lines on the session's frame
  int64_t wrong = 0;  // playing lines on another frame
  std::string first_wrong;
};

inline Landing landing(const skew::NodeLog& log) {
  Landing r;
  std::optional<int64_t> last_shown, prev_due;
  bool holding = false;
  for (const auto& l : log.lines) {
    if (!l.due) continue;
    if (!prev_due || *l.due < *prev_due || *l.due > *prev_due + 2) {
      ++r.jumps;
      holding = true;
    }
    prev_due = l.due;
    const std::optional<int64_t> before = last_shown;
    last_shown = l.shown;
    if (l.paused) continue;
    if (holding && before && l.shown == *before) {
      ++r.held;
      continue;
    }
    holding = false;
    if (l.shown == *l.due) {
      ++r.exact;
    } else if (r.wrong++ == 0) {
      r.first_wrong = "frame " + std::to_string(l.shown) + " shown where " + std::to_string(*l.due) +
                      " was due, at t_ns " + std::to_string(l.t_ns);
    }
  }
  return r;
}

}  // namespace lockstep::test
