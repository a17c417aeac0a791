#include "tools/bench/bench_common.h"

namespace lockstep::bench {

// ---------------------------------------------------------------------------------------
// fanout: one server, many session clients in this process.


/// utime + stime of a process in seconds, from /proc/PID/stat; nullopt once it is gone.
std::optional<double> process_cpu_s(pid_t pid) {
  const std::string s = read_text("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = s.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(s.substr(close + 2));
  std::vector<std::string> f;
  for (std::string x; in >> x;) f.push_back(x);
  // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
  if (f.size() < 13) return std::nullopt;
  const double tck = double(sysconf(_SC_CLK_TCK));
  return (std::stod(f[11]) + std::stod(f[12])) / tck;
}

/// Peak resident memory of a process, MiB (VmHWM in /proc/PID/status); 0 when unknown.
double process_peak_rss_mib(pid_t pid) {
  for (const auto& l : lines_with("/proc/" + std::to_string(pid) + "/status", "VmHWM:")) {
    long long kib = 0;
    if (std::sscanf(l.c_str(), "VmHWM: %lld", &kib) == 1) return double(kib) / 1024.0;
  }
  return 0.0;
}

double self_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/// Raises the soft limit of `resource` to at least `need` (up to the hard limit).
Status ensure_limit(int resource, rlim_t need, const char* what) {
  rlimit rl{};
  if (getrlimit(resource, &rl) != 0) return make_error(std::string("getrlimit: ") + std::strerror(errno));
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need) return {};
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
    return make_error(std::string("the limit on ") + what + " (" + std::to_string(rl.rlim_max) + ") is below the " +
                      std::to_string(need) + " this run needs: use fewer --clients or raise `ulimit`");
  rl.rlim_cur = need;
  if (setrlimit(resource, &rl) != 0) return make_error(std::string("setrlimit: ") + std::strerror(errno));
  return {};
}

int bench_fanout(const FanoutOptions& o) {
  std::printf("fanout: 1 `lockstep serve` process, %d session clients in this process, %.0f s measured\n",
              o.clients, o.seconds);
  std::printf("load average at start: %s\n", load_average().c_str());
  // One UDP socket and one network thread per client, plus this process's own.
  for (auto [res, what] : {std::pair{RLIMIT_NOFILE, "open files"}, std::pair{RLIMIT_NPROC, "processes/threads"}}) {
    if (auto s = ensure_limit(res, rlim_t(o.clients) + 256, what); !s) {
      LS_ERROR("{}", s.error());
      return 1;
    }
  }
  auto dir = make_work_dir("fanout");
  auto port = free_udp_port();
  if (!dir || !port) {
    LS_ERROR("{}", dir ? port.error() : dir.error());
    return 1;
  }
  const double server_duration = o.connect_timeout_s + o.settle_s + o.seconds + 15;
  auto server = Child::spawn({tool("lockstep"), "serve", "--port", std::to_string(*port), "--duration",
                              std::to_string(int(server_duration))},
                             *dir + "/server.out");
  if (!server) {
    LS_ERROR("{}", server.error());
    return 1;
  }
  Child& srv = **server;
  nap(0.3);
  if (!srv.running()) {
    LS_ERROR("the server exited at once:\n{}", tail_of(*dir + "/server.out"));
    return 1;
  }
  std::printf("server: lockstep serve --port %d --duration %d (pid %d)\n", *port, int(server_duration), int(srv.pid()));
  std::printf("clients: started %d at a time every %.0f ms, network threads at nice %d\n", o.batch, o.batch_gap_s * 1e3,
              o.client_nice);

  int status = 0;
  {
    std::vector<std::unique_ptr<net::SessionClient>> clients;
    clients.reserve(size_t(o.clients));
    const int64_t t_start = monotonic_ns();
    const double server_cpu_start = process_cpu_s(srv.pid()).value_or(0);
    // The clients are started from a helper thread whose niceness their network threads
    // inherit, so that they do not take the CPU from the server being measured (or from
    // everything else on the machine): each wakes for its own packets and timers, and at
    // least every 10 ms. They are started in batches so that the handshakes do not all
    // arrive at once.
    std::thread starter([&] {
      if (o.client_nice != 0) setpriority(PRIO_PROCESS, 0, o.client_nice);  // this thread only (Linux)
      for (int i = 0; i < o.clients && !g_stop; ++i) {
        net::SessionClientParams cp;
        cp.server = net::Endpoint{"127.0.0.1", *port};
        cp.name = "fanout-" + std::to_string(i);
        cp.probe = [](const std::string&) -> Result<net::MediaEntry> { return net::MediaEntry{}; };
        auto c = net::SessionClient::start(cp, {});
        if (!c) {
          LS_ERROR("client {}: {}", i, c.error());
          status = 1;
          break;
        }
        clients.push_back(std::move(*c));
        if ((i + 1) % o.batch == 0) nap(o.batch_gap_s);
      }
    });
    starter.join();
    auto count = [&](auto pred) {
      return int(std::count_if(clients.begin(), clients.end(), [&](const auto& c) { return pred(*c); }));
    };
    auto connected = [](const net::SessionClient& c) { return c.phase() == net::ClientPhase::Connected; };
    auto settled = [](const net::SessionClient& c) {
      return c.phase() == net::ClientPhase::Connected && c.clock_settled();
    };
    // Connect: bounded by connect_timeout_s.
    double all_connected_s = -1, all_settled_s = -1;
    const int64_t connect_deadline = t_start + int64_t(o.connect_timeout_s * 1e9);
    while (!g_stop && monotonic_ns() < connect_deadline && srv.running()) {
      const double t = double(monotonic_ns() - t_start) / 1e9;
      if (all_connected_s < 0 && count(connected) == int(clients.size())) all_connected_s = t;
      if (count(settled) == int(clients.size())) {
        all_settled_s = t;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const double connect_cpu = process_cpu_s(srv.pid()).value_or(0) - server_cpu_start;
    const double connect_wall = double(monotonic_ns() - t_start) / 1e9;
    auto seconds_or = [&](double s) {
      char text[64];
      if (s < 0) std::snprintf(text, sizeof text, "(not all within %.0f s)", o.connect_timeout_s);
      else std::snprintf(text, sizeof text, "%.2f s", s);
      return std::string(text);
    };
    std::printf("%zu clients started; all connected after %s, all clock estimates settled after %s\n", clients.size(),
                seconds_or(all_connected_s).c_str(), seconds_or(all_settled_s).c_str());
    std::printf("  connected now %d of %zu; server CPU while they joined: %.1f %% of one core over %.2f s\n",
                count(connected), clients.size(), 100.0 * connect_cpu / std::max(connect_wall, 1e-9), connect_wall);
    std::fflush(stdout);
    nap(o.settle_s);

    // The measured run: the server's CPU over the whole of it, and every second a look at
    // every client's clock estimate.
    const int64_t m0 = monotonic_ns();
    const auto cpu0 = process_cpu_s(srv.pid());
    const double self0 = self_cpu_s();
    std::vector<double> per_second_share, run_offset_ms, run_bound_ms;
    int min_connected = int(clients.size());
    std::vector<char> was_connected(clients.size());
    for (size_t k = 0; k < clients.size(); ++k) was_connected[k] = connected(*clients[k]);
    int drops = 0;
    double last_cpu = cpu0.value_or(0);
    int64_t last_t = m0;
    bool server_died = false;
    while (!g_stop) {
      const int64_t next = last_t + kNsPerSec;
      const int64_t end = m0 + int64_t(o.seconds * 1e9);
      std::this_thread::sleep_for(std::chrono::nanoseconds(std::max<int64_t>(0, std::min(next, end) - monotonic_ns())));
      const int64_t now = monotonic_ns();
      const auto cpu = process_cpu_s(srv.pid());
      if (!cpu || !srv.running()) {
        server_died = true;
        break;
      }
      per_second_share.push_back(100.0 * (*cpu - last_cpu) / (double(now - last_t) / 1e9));
      last_cpu = *cpu;
      last_t = now;
      int n = 0;
      for (size_t k = 0; k < clients.size(); ++k) {
        const auto& c = clients[k];
        const bool up = connected(*c);
        if (was_connected[k] && !up) ++drops;
        was_connected[k] = up;
        if (!up) continue;
        ++n;
        const net::ClockEstimate e = c->clock_estimate();
        if (!e.valid) continue;
        run_offset_ms.push_back(std::abs(double(e.offset_ns)) / 1e6);
        run_bound_ms.push_back(double(e.error_bound_ns) / 1e6);
      }
      min_connected = std::min(min_connected, n);
      if (now >= end) break;
    }
    const int64_t m1 = monotonic_ns();
    const auto cpu1 = process_cpu_s(srv.pid());
    const double wall = double(m1 - m0) / 1e9;
    const double self_share = 100.0 * (self_cpu_s() - self0) / wall;
    if (g_stop) {
      std::printf("interrupted\n");
      std::error_code ec;
      fs::remove_all(*dir, ec);
      return 1;
    }
    std::vector<double> offset_ms, bound_ms, rtt_ms;
    int valid = 0;
    for (const auto& c : clients) {
      if (!connected(*c)) continue;
      const net::ClockEstimate e = c->clock_estimate();
      rtt_ms.push_back(double(c->rtt_ns()) / 1e6);
      if (!e.valid) continue;
      ++valid;
      offset_ms.push_back(std::abs(double(e.offset_ns)) / 1e6);
      bound_ms.push_back(double(e.error_bound_ns) / 1e6);
    }
    const int connected_end = count(connected);
    std::printf("measured %.2f s:\n", wall);
    if (server_died || !cpu0 || !cpu1) {
      std::printf("  the server exited during the run:\n%s", tail_of(*dir + "/server.out").c_str());
      status = 1;
    } else {
      const double share = 100.0 * (*cpu1 - *cpu0) / wall;
      const Spread s = spread_of(per_second_share);
      std::printf("  server CPU: %.1f %% of one core (utime+stime %.2f s / %.2f s wall; goal <= 10 %%)  %s\n", share,
                  *cpu1 - *cpu0, wall, verdict(share <= 10.0));
      std::printf("    per second: p50 %.0f %%  max %.0f %% (%zu samples, %ld ticks/s resolution); server peak RSS %.1f MiB\n",
                  s.p50, s.max, s.count, sysconf(_SC_CLK_TCK), process_peak_rss_mib(srv.pid()));
    }
    std::printf("  this process (%zu clients, one network thread each): %.1f %% of one core\n", clients.size(), self_share);
    std::printf("  clients connected: %d of %zu at the end (fewest during the run: %d, losses seen in the 1 s samples: %d); %d with a valid estimate\n",
                connected_end, clients.size(), min_connected, drops, valid);
    const Spread so = spread_of(offset_ms), sb = spread_of(bound_ms), sr = spread_of(rtt_ms);
    std::printf("  clock error |offset| (true offset 0) across clients at the end: p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
                so.p50, so.p99, so.max);
    std::printf("  error_bound across clients at the end:                      p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
                sb.p50, sb.p99, sb.max);
    std::printf("  last probe round trip across clients:                      p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
                sr.p50, sr.p99, sr.max);
    const Spread ro = spread_of(run_offset_ms), rb = spread_of(run_bound_ms);
    std::printf("  over the run (every client once a second, %zu samples): |offset| p50 %.3f  p99 %.3f  max %.3f ms;"
                " bound p50 %.3f  p99 %.3f  max %.3f ms\n",
                ro.count, ro.p50, ro.p99, ro.max, rb.p50, rb.p99, rb.max);
    std::fflush(stdout);
    clients.clear();  // each says goodbye and joins its thread
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("this process's peak RSS: %.1f MiB\n", double(ru.ru_maxrss) / 1024.0);
  srv.stop(5);
  std::printf("load average at end: %s\n", load_average().c_str());
  std::error_code ec;
  fs::remove_all(*dir, ec);
  return status;
}

}  // namespace lockstep::bench
