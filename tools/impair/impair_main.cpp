// lockstep-impair — a userspace UDP impairment relay for loopback tests (this kernel has no
// netem). Adds delay, jitter, loss, reordering and duplication between clients and a server
// on this machine, in both directions, and stops by itself.
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "tools/version/version.h"
#include "core/time.h"
#include "impair/impair_args.h"
#include "impair/udp_relay.h"

namespace {

using namespace lockstep;
using namespace lockstep::impair;

constexpr int64_t kMaxDurationNs = 3600 * kNsPerSec;

int g_stop_pipe[2] = {-1, -1};

void on_stop_signal(int) {
  const char byte = 1;
  [[maybe_unused]] const ssize_t n = write(g_stop_pipe[1], &byte, 1);
}

struct Options {
  std::string listen, to;
  std::string delay = "0ms", jitter = "0ms", loss = "0%", reorder = "0%", duplicate = "0%";
  std::string duration = "600s";
  std::string stats;
  uint64_t seed = 0;
  bool seed_given = false;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "lockstep-impair: %s\n", message.c_str());
  return 2;
}

/// Turns the option strings into relay parameters, or a message naming the bad value.
Result<RelayParams> make_params(const Options& o) {
  RelayParams p;
  auto listen = parse_loopback_endpoint(o.listen, true);
  if (!listen) return make_error("--listen: " + listen.error());
  auto to = parse_loopback_endpoint(o.to, false);
  if (!to) return make_error("--to: " + to.error());
  p.listen = *listen;
  p.server = *to;
  const struct {
    const char* name;
    const std::string& text;
    int64_t* out;
    int64_t bare_unit;
  } times[] = {{"--delay", o.delay, &p.impairment.delay_ns, kNsPerMs},
               {"--jitter", o.jitter, &p.impairment.jitter_ns, kNsPerMs},
               {"--duration", o.duration, &p.duration_ns, kNsPerSec}};
  for (const auto& t : times) {
    auto v = parse_duration_ns(t.text, t.bare_unit);
    if (!v) return make_error(std::string(t.name) + ": " + v.error());
    *t.out = *v;
  }
  if (p.duration_ns <= 0 || p.duration_ns > kMaxDurationNs)
    return make_error("--duration " + o.duration +
                      " is out of range: give more than 0 s and at "
                      "most 3600 s");
  if (p.impairment.delay_ns > 60 * kNsPerSec || p.impairment.jitter_ns > 60 * kNsPerSec)
    return make_error("--delay and --jitter must be at most 60 s");
  const struct {
    const char* name;
    const std::string& text;
    double* out;
  } shares[] = {{"--loss", o.loss, &p.impairment.loss},
                {"--reorder", o.reorder, &p.impairment.reorder},
                {"--duplicate", o.duplicate, &p.impairment.duplicate}};
  for (const auto& s : shares) {
    auto v = parse_share(s.text);
    if (!v) return make_error(std::string(s.name) + ": " + v.error());
    *s.out = *v;
  }
  p.seed = o.seed_given ? o.seed : std::random_device{}();
  return p;
}

std::string format_counters(const DirectionCounters& c) {
  return fmt::format(
      "in {} out {} dropped {} duplicated {} reordered {} overflow {} send-errors {}", c.in, c.out,
      c.dropped, c.duplicated, c.reordered, c.overflow, c.send_errors);
}

nlohmann::json counters_json(const DirectionCounters& c) {
  return {{"in", c.in},
          {"out", c.out},
          {"dropped", c.dropped},
          {"duplicated", c.duplicated},
          {"reordered", c.reordered},
          {"overflow", c.overflow},
          {"send_errors", c.send_errors}};
}

nlohmann::json report_json(const RelayParams& p, const std::string& listening,
                           const RelayReport& r) {
  return {{"listen", listening},
          {"to", format_endpoint(p.server.addr)},
          {"seed", p.seed},
          {"settings",
           {{"delay_ms", double(p.impairment.delay_ns) / 1e6},
            {"jitter_ms", double(p.impairment.jitter_ns) / 1e6},
            {"loss", p.impairment.loss},
            {"reorder", p.impairment.reorder},
            {"duplicate", p.impairment.duplicate}}},
          {"seconds", r.seconds},
          {"clients", r.clients},
          {"pending", r.pending},
          {"stopped_by_signal", r.stopped_by_request},
          {"client_to_server", counters_json(r.up)},
          {"server_to_client", counters_json(r.down)}};
}

int run(const Options& o) {
  auto params = make_params(o);
  if (!params) return fail(params.error());
  if (pipe2(g_stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
    return fail(std::string("cannot create a pipe: ") + std::strerror(errno));
  params->stop_fd = g_stop_pipe[0];
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  auto relay = UdpRelay::open(*params);
  if (!relay) return fail(relay.error());
  const std::string listening = format_endpoint(relay->listening_address());
  const ImpairmentParams& im = params->impairment;
  // The first line tells scripts and tests the real port (when --listen asked for port 0).
  std::printf(
      "lockstep-impair: listening on %s, relaying to %s; each way: delay %s, jitter ±%s, loss "
      "%g%%, reorder %g%%, duplicate %g%%; seed %llu; stops after %s\n",
      listening.c_str(), format_endpoint(params->server.addr).c_str(),
      format_duration(im.delay_ns).c_str(), format_duration(im.jitter_ns).c_str(), im.loss * 100,
      im.reorder * 100, im.duplicate * 100, static_cast<unsigned long long>(params->seed),
      format_duration(params->duration_ns).c_str());
  std::fflush(stdout);

  auto report = relay->run();
  if (!report) return fail(report.error());
  std::printf(
      "lockstep-impair: %.2f s, %zu client(s), %llu pending; client->server %s; "
      "server->client %s\n",
      report->seconds, report->clients, static_cast<unsigned long long>(report->pending),
      format_counters(report->up).c_str(), format_counters(report->down).c_str());
  std::fflush(stdout);
  if (!o.stats.empty()) {
    std::ofstream out(o.stats);
    out << report_json(*params, listening, *report).dump(2) << "\n";
    if (!out) return fail("cannot write the stats file '" + o.stats + "'");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "lockstep-impair — UDP impairment relay on loopback. Clients send to --listen; each "
      "client gets its own upstream socket to --to; both directions are impaired.", "lockstep-impair"};
  app.set_version_flag("--version", lockstep::version_line("lockstep-impair"));
  app.add_option("--listen", o.listen, "Where clients send, e.g. 127.0.0.1:7460 (port 0: any)")
      ->required();
  app.add_option("--to", o.to, "The server, e.g. 127.0.0.1:7450")->required();
  app.add_option("--delay", o.delay, "One-way delay, e.g. 20ms (bare number: ms)");
  app.add_option("--jitter", o.jitter,
                 "Delay varies uniformly by ± this, e.g. 5ms; keeps packet order");
  app.add_option("--loss", o.loss, "Share of packets dropped, each way, e.g. 2%");
  app.add_option("--reorder", o.reorder,
                 "Share of packets held back by 2×jitter (at least 1 ms), e.g. 1%");
  app.add_option("--duplicate", o.duplicate, "Share of packets sent twice, e.g. 1%");
  app.add_option("--seed", o.seed, "Random seed, for a repeatable run (default: random)");
  app.add_option("--duration", o.duration,
                 "Stop after this long, e.g. 60s (bare number: s; default 600 s, max 3600 s)");
  app.add_option("--stats", o.stats, "Write the final counters to this JSON file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(std::string(e.what()) + " (see --help)");
  }
  o.seed_given = app.count("--seed") > 0;
  return run(o);
}
