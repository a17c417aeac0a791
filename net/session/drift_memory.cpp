#include "net/session/drift_memory.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

namespace lockstep::net {
namespace fs = std::filesystem;

namespace {

/// As ClockEstimatorParams::max_drift: no clock is taken to drift more.
constexpr double kMaxRememberedDrift = 500e-6;
/// The smallest spread written (the file keeps 4 decimals of a ppm).
constexpr double kMinRememberedSd = 0.001e-6;
/// A file larger than this is not ours (256 entries take ~25 kB): it is not read.
constexpr std::uintmax_t kMaxFileBytes = 256 * 1024;

struct Line {
  std::string key;
  DriftMemory::Entry entry;
};

std::optional<Line> parse(const std::string& text) {
  std::istringstream words(text);
  Line l;
  double drift_ppm = 0, sd_ppm = 0;
  if (!(words >> l.key >> drift_ppm >> sd_ppm >> l.entry.saved_unix_s)) return std::nullopt;
  l.entry.drift = drift_ppm * 1e-6;
  l.entry.sd = sd_ppm * 1e-6;
  if (!std::isfinite(l.entry.drift) || !std::isfinite(l.entry.sd) || std::abs(l.entry.drift) > kMaxRememberedDrift ||
      !(l.entry.sd > 0))
    return std::nullopt;
  return l;
}

/// Only a regular file of a sane size is read (not a FIFO someone put there, which would
/// block the network thread, nor a huge file).
bool readable(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return false;
  const auto size = fs::file_size(file, ec);
  return !ec && size <= kMaxFileBytes;
}

std::vector<Line> read_all(const fs::path& file) {
  std::vector<Line> out;
  if (!readable(file)) return out;
  std::ifstream in(file);
  for (std::string text; std::getline(in, text);)
    if (auto l = parse(text)) out.push_back(std::move(*l));
  return out;
}

}  // namespace

std::optional<DriftMemory::Entry> DriftMemory::recall(const std::string& key) const {
  std::optional<Entry> found;
  for (const Line& l : read_all(file_))
    if (l.key == key) found = l.entry;  // the last line for a key is the newest
  return found;
}

Status DriftMemory::remember(const std::string& key, double drift, double sd) const {
  if (key.empty() || key.find_first_of(" \t\n") != std::string::npos)
    return make_error("cannot remember a clock drift under the key '" + key + "'");
  if (!std::isfinite(drift) || !std::isfinite(sd) || std::abs(drift) > kMaxRememberedDrift || !(sd > 0))
    return make_error("will not remember a clock drift of " + std::to_string(drift * 1e6) + " ppm");
  std::error_code exists_ec;
  if (fs::exists(file_, exists_ec) && !readable(file_))
    return make_error("'" + file_.string() + "' is not a regular file of at most " + std::to_string(kMaxFileBytes / 1024) +
                      " KiB: not touched (delete it; it only holds this machine's clock drift against servers)");
  sd = std::max(sd, kMinRememberedSd);
  std::vector<Line> lines = read_all(file_);
  std::erase_if(lines, [&](const Line& l) { return l.key == key; });
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  lines.push_back(Line{key, Entry{drift, sd, int64_t(now.count())}});
  if (lines.size() > kMaxEntries) lines.erase(lines.begin(), lines.end() - long(kMaxEntries));

  const std::string what = "'" + file_.string() + "' (this machine's clock drift against the servers it met)";
  std::error_code ec;
  if (file_.has_parent_path()) fs::create_directories(file_.parent_path(), ec);
  const fs::path tmp = file_.string() + ".new." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const Line& l : lines) {
      char buf[96];
      std::snprintf(buf, sizeof buf, " %.4f %.4f %lld\n", l.entry.drift * 1e6, l.entry.sd * 1e6,
                    static_cast<long long>(l.entry.saved_unix_s));
      out << l.key << buf;
    }
    out.flush();
    if (!out) {
      fs::remove(tmp, ec);
      return make_error("cannot write " + what);
    }
  }
  fs::rename(tmp, file_, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return make_error("cannot replace " + what);
  }
  return {};
}

std::string DriftMemory::key(const std::string& fingerprint, std::optional<double> simulated_drift) {
  if (!simulated_drift) return fingerprint;
  char buf[64];
  std::snprintf(buf, sizeof buf, "+simulated-drift=%.3fppm", *simulated_drift * 1e6);
  return fingerprint + buf;
}

}  // namespace lockstep::net
