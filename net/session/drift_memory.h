// This machine's clock drift against the servers it has met, kept between runs as ntpd keeps
// its drift file: one line per server, "KEY DRIFT_PPM SD_PPM UNIX_SECONDS".
//
// A node behind a very noisy path (tens of ms of jitter) learns its drift against the server
// only slowly — over 30 real intercontinental runs the clock was in step 19–40 s after joining,
// and the error until then reached 1.9 ms — because only the rare replies near the path's
// floor pin it. The drift between two machines' clocks barely changes from one day to the
// next, so a node that has met this server before starts from what it learnt
// (ClockEstimator::set_drift_prior, trusted to 10 ppm): replayed, the same runs' clock
// error p99 from 10 s on fell from 1.88 to 0.55 ms at worst (0.64 ms with the memory 20 ppm
// off). The estimator drops a memory that its samples contradict for 5 s (300 ppm off:
// after 15-34 s; until then such a memory costs more than none, up to 6 ms).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/result.h"

namespace lockstep::net {

class DriftMemory {
 public:
  struct Entry {
    double drift = 0.0;  // d(session - local)/d(local)
    double sd = 0.0;     // its statistical 1-sigma when saved
    int64_t saved_unix_s = 0;
  };
  /// Entries kept at most (the most recently saved).
  static constexpr size_t kMaxEntries = 256;

  explicit DriftMemory(std::filesystem::path file) : file_(std::move(file)) {}
  /// The drift remembered for `key` (a server's fingerprint, see key()), if any. A line that
  /// does not read as one (a damaged file) is skipped; values outside what a clock can do
  /// (|drift| above 500 ppm, a spread not above 0) are not used.
  std::optional<Entry> recall(const std::string& key) const;
  /// Remembers `drift` ± `sd` for `key`, replacing the line before. Writes a new file and
  /// renames it over the old, so a crash leaves one or the other; two nodes of one user
  /// saving at the same moment may lose one's line (it is learnt again at the next join).
  /// A file that is not a regular one of a sane size is left alone. Errors name the file.
  Status remember(const std::string& key, double drift, double sd) const;
  const std::filesystem::path& file() const { return file_; }

  /// The key for a server: its fingerprint, and the simulated clock's drift when this node's
  /// clock is simulated (a test aid: each simulated drift is another machine).
  static std::string key(const std::string& fingerprint, std::optional<double> simulated_drift);

 private:
  std::filesystem::path file_;
};

}  // namespace lockstep::net
