// What lockstep-bench's benchmarks share: stopping on Ctrl-C, the child processes they start
// (killed and reaped if still running when dropped), paths, /proc readings and spreads.
#pragma once

#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/stats.h"
#include "core/time.h"
#include "media/media_reader.h"
#include "net/session/session_client.h"
#include "render/renderer.h"
#include "skew/skew_analysis.h"
#include "skew/skew_plot.h"
#include "tools/bench/bench.h"
#include "tools/proc/child_process.h"

namespace lockstep::bench {

// ---------------------------------------------------------------------------------------
// Child processes, paths and small helpers for the session benchmarks.

namespace fs = std::filesystem;

/// Set by SIGINT/SIGTERM: every wait below gives up, and the children are killed.
inline std::atomic<bool> g_stop{false};

inline void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = [](int) { g_stop = true; };
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

/// Sleeps up to `seconds`, in short steps so that a stop request is seen; false when stopped.
inline bool nap(double seconds) {
  const int64_t end = monotonic_ns() + int64_t(seconds * 1e9);
  while (!g_stop) {
    const int64_t left = end - monotonic_ns();
    if (left <= 0) return true;
    std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<int64_t>(left, 50 * kNsPerMs)));
  }
  return false;
}

/// The folder of this executable: lockstep, lockstep-impair and lockstep-mkclip are built
/// beside lockstep-bench (build/tools).
inline std::string exe_dir() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : self.parent_path().string();
}

inline std::string tool(const std::string& name) { return (fs::path(exe_dir()) / name).string(); }

/// A UDP port on loopback that is free right now (the kernel's choice).
inline Result<int> free_udp_port() {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    return make_error("cannot find a free UDP port: " + err);
  }
  ::close(fd);
  return int(ntohs(a.sin_port));
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

inline std::string load_average() {
  std::string s = read_text("/proc/loadavg");
  std::istringstream in(s);
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c + " (1/5/15 min, " + std::to_string(std::thread::hardware_concurrency()) + " cores)";
}

/// The last `n` lines of a process's output, indented, for error messages.
inline std::string tail_of(const std::string& path, size_t n = 8) {
  std::istringstream in(read_text(path));
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::string out;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) out += "    | " + lines[i] + "\n";
  return out.empty() ? "    | (no output)\n" : out;
}

/// Lines of a file that contain `needle`, trimmed.
inline std::vector<std::string> lines_with(const std::string& path, const std::string& needle) {
  std::istringstream in(read_text(path));
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) {
    if (l.find(needle) == std::string::npos) continue;
    l.erase(0, l.find_first_not_of(' '));
    out.push_back(l);
  }
  return out;
}

/// A scratch folder under $TMPDIR (or /tmp); removed when done unless kept.
inline Result<std::string> make_work_dir(const std::string& tag) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/lockstep-bench-" + tag + "-XXXXXX";
  if (!mkdtemp(pattern.data())) return make_error("cannot create a folder like '" + pattern + "': " + std::strerror(errno));
  return pattern;
}

/// Percentiles of absolute values, as skew::analyse reports them (core/stats.h).
struct Spread {
  size_t count = 0;
  double p50 = 0, p99 = 0, max = 0;
};

inline Spread spread_of(std::vector<double> v) {
  Spread s;
  s.count = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.p50 = percentile_of_sorted(v, 0.50);
  s.p99 = percentile_of_sorted(v, 0.99);
  s.max = v.back();
  return s;
}

inline const char* verdict(bool met) { return met ? "meets the goal" : "MISSES the goal"; }

}  // namespace lockstep::bench
