#include "tools/bench/bench_common.h"

#include <random>

namespace lockstep::bench {

// Shared with bench_sync.cpp.
Result<std::string> sync_clip(double seconds);
std::string sim_clock_spec(int i);

// ---------------------------------------------------------------------------------------
// soak: a server and N nodes looping a clip for a long time, with seeks, pauses, a server
// restart and a node restart; skew and same-frame share over time, and each process's
// memory and open files at the start and the end.

namespace {

double rss_mib(pid_t pid) {
  for (const auto& l : lines_with("/proc/" + std::to_string(pid) + "/status", "VmRSS:")) {
    long long kib = 0;
    if (std::sscanf(l.c_str(), "VmRSS: %lld", &kib) == 1) return double(kib) / 1024.0;
  }
  return 0.0;
}

int open_fds(pid_t pid) {
  std::error_code ec;
  int n = 0;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

/// One process of the soak: how to start it again, and what it looked like.
struct Proc {
  std::string name;
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string out;
  std::unique_ptr<Child> child;
  int incarnation = 0;
  int64_t started_ns = 0;
  std::optional<std::pair<double, int>> first, last;  // (RSS MiB, fds) of this incarnation
  std::vector<std::string> logs;                       // present logs, one per incarnation

  bool start(const std::string& dir, bool has_log) {
    ++incarnation;
    first.reset();
    last.reset();
    std::vector<std::string> a = argv;
    if (has_log) {
      logs.push_back(dir + "/" + name + "-" + std::to_string(incarnation) + ".jsonl");
      a.insert(a.end(), {"--present-log", logs.back()});
    }
    auto c = Child::spawn(a, out, env);
    if (!c) {
      LS_ERROR("{}: {}", name, c.error());
      return false;
    }
    child = std::move(*c);
    started_ns = monotonic_ns();
    return true;
  }
  void sample() {
    if (!child || !child->running()) return;
    const auto s = std::make_pair(rss_mib(child->pid()), open_fds(child->pid()));
    // The first figure once it has started up (joined, decoding), not while it loads.
    if (!first && monotonic_ns() - started_ns >= 15 * kNsPerSec) first = s;
    last = s;
  }
};

/// The lines of `log` presented within [from, to).
skew::NodeLog slice(const skew::NodeLog& log, int64_t from, int64_t to) {
  skew::NodeLog s;
  s.name = log.name;
  for (const auto& l : log.lines)
    if (l.t_ns >= from && l.t_ns < to) s.lines.push_back(l);
  return s;
}

}  // namespace

int bench_soak(const SoakOptions& o) {
  const double total_s = o.minutes * 60.0;
  std::printf("soak: 1 `lockstep serve --loop`, %d nodes, %.1f min; every %.0f s a pause, a seek and a play; the server "
              "restarted at 1/3, node 0 at 2/3\n",
              o.nodes, o.minutes, o.command_every_s);
  std::printf("load average at start: %s\n", load_average().c_str());
  auto clip = sync_clip(20);
  auto dir = make_work_dir("soak");
  auto port = free_udp_port();
  if (!clip || !dir || !port) {
    LS_ERROR("{}", !clip ? clip.error() : !dir ? dir.error() : port.error());
    return 1;
  }
  const std::string lockstep = tool("lockstep");
  const int duration = int(total_s) + 120;
  Proc server{"server", {lockstep, "serve", "--port", std::to_string(*port), "--loop", *clip, "--duration", std::to_string(duration)},
              {}, *dir + "/server.out"};
  std::vector<Proc> nodes;
  for (int i = 0; i < o.nodes; ++i) {
    const std::string name = "node" + std::to_string(i);
    nodes.push_back(Proc{name,
                         {lockstep, "join", "127.0.0.1:" + std::to_string(*port), "--headless", "--audio-device", "none",
                          "--verify-frames", "--name", name, "--duration", std::to_string(duration), "--threads", "1",
                          "--size", "320x180", "--media-dir", fs::path(*clip).parent_path().string()},
                         {std::string(net::kSimClockEnv) + "=" + sim_clock_spec(i)},
                         *dir + "/" + name + ".out"});
  }
  if (!server.start(*dir, false)) return 1;
  nap(0.5);
  for (auto& n : nodes) {
    if (!n.start(*dir, true)) return 1;
    nap(0.3);
  }
  // The controller: a session client of this process that drives playback as a person would.
  net::SessionClientParams cp;
  cp.server = net::Endpoint{"127.0.0.1", *port};
  cp.name = "soak-control";
  cp.probe = [](const std::string&) -> Result<net::MediaEntry> { return make_error("not played here"); };
  auto control = net::SessionClient::start(cp, {});
  if (!control) {
    LS_ERROR("{}", control.error());
    return 1;
  }
  auto command = [&](net::CommandType type, int64_t position_ns = 0) {
    net::Command c;
    c.type = type;
    c.position_ns = position_ns;
    (*control)->send_command(c);
  };
  nap(3.0);
  command(net::CommandType::Play);
  std::mt19937 rng(o.seed);
  const int64_t t0 = monotonic_ns();
  auto elapsed = [&] { return double(monotonic_ns() - t0) / 1e9; };
  bool server_restarted = false, node_restarted = false;
  double next_command = o.command_every_s, next_sample = 0;
  int phase = 0;
  std::printf("%8s  %-28s %s\n", "time", "event", "RSS MiB / open files: server, nodes");
  while (!g_stop && elapsed() < total_s) {
    const double t = elapsed();
    std::string event;
    if (!server_restarted && t >= total_s / 3) {
      server.child->stop(5);
      server.start(*dir, false);
      server_restarted = true;
      event = "server restarted";
    } else if (!node_restarted && t >= 2 * total_s / 3) {
      nodes[0].child->stop(5);
      nodes[0].start(*dir, true);
      node_restarted = true;
      event = "node 0 restarted";
    } else if (t >= next_command) {
      // pause; seek to a random second of the clip; play: one step each time.
      if (phase == 0) command(net::CommandType::Pause), event = "pause";
      else if (phase == 1) {
        const int64_t to = std::uniform_int_distribution<int64_t>(0, 18)(rng) * kNsPerSec;
        command(net::CommandType::Seek, to);
        event = "seek to " + std::to_string(to / kNsPerSec) + " s";
      } else {
        command(net::CommandType::Play);
        event = "play";
      }
      phase = (phase + 1) % 3;
      next_command += phase == 0 ? o.command_every_s : 3.0;
    }
    if (t >= next_sample || !event.empty()) {
      server.sample();
      for (auto& n : nodes) n.sample();
      std::string line = fmt::format("{:.0f}/{}", server.last ? server.last->first : 0.0, server.last ? server.last->second : 0);
      for (auto& n : nodes) line += fmt::format("  {:.0f}/{}", n.last ? n.last->first : 0.0, n.last ? n.last->second : 0);
      std::printf("%7.0fs  %-28s %s\n", t, event.c_str(), line.c_str());
      if (t >= next_sample) next_sample += o.sample_every_s;
    }
    nap(0.5);
  }
  const int64_t t_end = monotonic_ns();
  server.sample();
  for (auto& n : nodes) n.sample();
  control->reset();
  for (auto& n : nodes) n.child->stop(5);
  server.child->stop(5);
  if (g_stop) {
    std::printf("interrupted\n");
    return 1;
  }

  std::printf("memory and open files, first sample (15 s after its start) and last of each process (its last run):\n");
  int status = 0;
  for (Proc* p : [&] {
         std::vector<Proc*> v{&server};
         for (auto& n : nodes) v.push_back(&n);
         return v;
       }()) {
    if (!p->first || !p->last) continue;
    std::printf("  %-8s (run %d): RSS %.1f -> %.1f MiB  open files %d -> %d\n", p->name.c_str(), p->incarnation,
                p->first->first, p->last->first, p->first->second, p->last->second);
  }
  // Sync over time: each slice of the run analysed on its own.
  std::vector<skew::NodeLog> logs;
  for (auto& n : nodes)
    for (const auto& path : n.logs) {
      auto l = skew::read_present_log(path);
      if (l) logs.push_back(std::move(*l));
    }
  const int64_t slice_ns = int64_t(o.sample_every_s * 1e9);
  int64_t ticks = 0, agreeing = 0;
  double worst_p99 = 0;
  std::printf("sync over time (per %.0f s: the nodes logging in it; skew p99 of the worst pair; same frame per session tick):\n",
              o.sample_every_s);
  for (int64_t from = t0; from < t_end; from += slice_ns) {
    std::vector<skew::NodeLog> part;
    for (const auto& l : logs) {
      auto s = slice(l, from, from + slice_ns);
      if (s.lines.size() > 10) part.push_back(std::move(s));
    }
    if (part.size() < 2) continue;
    auto r = skew::analyse(part, {});
    if (!r) continue;
    double p99 = 0;
    for (const auto& p : r->pairs) p99 = std::max(p99, p.abs.p99_ms);
    worst_p99 = std::max(worst_p99, p99);
    ticks += r->agreement.session_ticks;
    agreeing += r->agreement.session_agreeing;
    std::printf("  %6.0f s: %zu nodes  skew p99 %7.3f ms  same frame %6.2f %% of %lld ticks\n", double(from - t0) / 1e9,
                part.size(), p99, r->agreement.session_tick_share * 100.0, (long long)r->agreement.session_ticks);
  }
  std::printf("over the run: same frame on %.3f %% of %lld session ticks; worst slice skew p99 %.3f ms\n",
              ticks ? 100.0 * double(agreeing) / double(ticks) : 0.0, (long long)ticks, worst_p99);
  std::printf("load average at end: %s\n", load_average().c_str());
  for (auto& n : nodes)
    for (const auto& l : lines_with(n.out, "frames verified"))
      if (l.find("wrong 0") == std::string::npos) {
        std::printf("  %s: %s\n", n.name.c_str(), l.c_str());
        status = 1;
      }
  std::error_code ec;
  if (o.keep) std::printf("logs kept in %s\n", dir->c_str());
  else fs::remove_all(*dir, ec);
  return status;
}

}  // namespace lockstep::bench
