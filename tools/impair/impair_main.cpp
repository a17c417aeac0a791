// lockstep-impair — a userspace UDP impairment relay for loopback tests (this kernel has no
// netem). Adds delay (different each way if asked), jitter, loss (independent or in bursts),
// a delay step (a route change), a rate-limited link with a bounded buffer (bufferbloat),
// reordering and duplication between clients and a server on this machine, in both
// directions, and stops by itself. Named profiles set several at once (--profile).
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
  ImpairOptions impair;
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
  auto duration = parse_duration_ns(o.duration, kNsPerSec);
  if (!duration) return make_error("--duration: " + duration.error());
  p.duration_ns = *duration;
  if (p.duration_ns <= 0 || p.duration_ns > kMaxDurationNs)
    return make_error("--duration " + o.duration +
                      " is out of range: give more than 0 s and at "
                      "most 3600 s");
  auto impairments = make_impairments(o.impair);
  if (!impairments) return make_error(impairments.error());
  p.up = impairments->up;
  p.down = impairments->down;
  p.seed = o.seed_given ? o.seed : std::random_device{}();
  return p;
}

std::string format_counters(const DirectionCounters& c) {
  return fmt::format(
      "in {} out {} dropped {} (buffer full {}) duplicated {} reordered {} overflow {} send-errors {}", c.in, c.out,
      c.dropped, c.queue_full, c.duplicated, c.reordered, c.overflow, c.send_errors);
}

/// One direction's settings in words.
std::string describe(const ImpairmentParams& im) {
  std::string s = fmt::format("delay {}, jitter ±{}, loss {:g}%", format_duration(im.delay_ns), format_duration(im.jitter_ns),
                              im.loss * 100);
  if (im.burst_length > 1.0) s += fmt::format(" in bursts of {:g}", im.burst_length);
  s += fmt::format(", reorder {:g}%, duplicate {:g}%", im.reorder * 100, im.duplicate * 100);
  if (im.step_delay_ns >= 0)
    s += fmt::format(", delay {} from {}{}", format_duration(im.step_delay_ns), format_duration(im.step_at_ns),
                     im.step_for_ns > 0 ? " for " + format_duration(im.step_for_ns) : std::string(" on"));
  if (im.rate_bps > 0)
    s += fmt::format(", link {:g} kbit/s{}", im.rate_bps / 1e3,
                     im.queue_ns > 0 ? " with a " + format_duration(im.queue_ns) + " buffer" : std::string());
  return s;
}

nlohmann::json settings_json(const ImpairmentParams& im) {
  return {{"delay_ms", double(im.delay_ns) / 1e6},
          {"jitter_ms", double(im.jitter_ns) / 1e6},
          {"loss", im.loss},
          {"burst_length", im.burst_length},
          {"reorder", im.reorder},
          {"duplicate", im.duplicate},
          {"step_delay_ms", im.step_delay_ns >= 0 ? nlohmann::json(double(im.step_delay_ns) / 1e6) : nlohmann::json()},
          {"step_at_s", double(im.step_at_ns) / 1e9},
          {"step_for_s", double(im.step_for_ns) / 1e9},
          {"rate_bps", im.rate_bps},
          {"queue_ms", double(im.queue_ns) / 1e6}};
}

nlohmann::json counters_json(const DirectionCounters& c) {
  return {{"in", c.in},
          {"out", c.out},
          {"dropped", c.dropped},
          {"duplicated", c.duplicated},
          {"reordered", c.reordered},
          {"queue_full", c.queue_full},
          {"overflow", c.overflow},
          {"send_errors", c.send_errors}};
}

nlohmann::json report_json(const RelayParams& p, const std::string& listening,
                           const RelayReport& r) {
  return {{"listen", listening},
          {"to", format_endpoint(p.server.addr)},
          {"seed", p.seed},
          {"settings", {{"client_to_server", settings_json(p.up)}, {"server_to_client", settings_json(p.down)}}},
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
  // The first line tells scripts and tests the real port (when --listen asked for port 0).
  const std::string up = describe(params->up), down = describe(params->down);
  std::printf("lockstep-impair: listening on %s, relaying to %s; %s; seed %llu; stops after %s\n", listening.c_str(),
              format_endpoint(params->server.addr).c_str(),
              (up == down ? "each way: " + up : "client->server: " + up + "; server->client: " + down).c_str(),
              static_cast<unsigned long long>(params->seed), format_duration(params->duration_ns).c_str());
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
  std::string profile_help = "Named settings (the options below override theirs):";
  for (const auto& pr : profiles()) profile_help += std::string("\n  ") + pr.name + ": " + pr.what;
  ImpairOptions& im = o.impair;
  app.add_option("--profile", im.profile, profile_help);
  app.add_option("--delay", im.delay, "One-way delay, e.g. 20ms (bare number: ms)");
  app.add_option("--up-delay", im.up_delay, "Delay client->server only (asymmetric path), e.g. 30ms");
  app.add_option("--down-delay", im.down_delay, "Delay server->client only (asymmetric path), e.g. 5ms");
  app.add_option("--jitter", im.jitter,
                 "Delay varies uniformly by ± this, e.g. 5ms; keeps packet order");
  app.add_option("--loss", im.loss, "Share of packets dropped, each way, e.g. 2%");
  app.add_option("--burst", im.burst,
                 "Losses come in bursts of this mean length, in packets (Gilbert-Elliott); --loss is the long-run share");
  app.add_option("--reorder", im.reorder,
                 "Share of packets held back by 2×jitter (at least 1 ms), e.g. 1%");
  app.add_option("--duplicate", im.duplicate, "Share of packets sent twice, e.g. 1%");
  app.add_option("--step-delay", im.step_delay, "A route change: the delay becomes this, e.g. 120ms ...");
  app.add_option("--step-at", im.step_at, "... this long after the start, e.g. 10s (bare number: s) ...");
  app.add_option("--step-for", im.step_for, "... for this long (default: to the end), e.g. 10s");
  app.add_option("--rate", im.rate, "A link of this rate each way, e.g. 2Mbit: delay grows with traffic (bufferbloat)");
  app.add_option("--queue", im.queue, "The link's buffer, as the longest wait in it, e.g. 300ms; beyond, packets drop");
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
