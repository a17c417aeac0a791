// lockstep-bench's command line: one subcommand per benchmark (tools/bench/bench.h).
#include <CLI/CLI.hpp>

#include <cstdio>

#include "tools/version/version.h"
#include "core/log.h"
#include "core/size_arg.h"
#include "tools/bench/bench_common.h"
#include "impair/impair_args.h"

using namespace lockstep;
using namespace lockstep::bench;

int main(int argc, char** argv) {
  CLI::App app{"lockstep-bench — decode, render and session figures (printed, not asserted)", "lockstep-bench"};
  app.set_version_flag("--version", lockstep::version_line("lockstep-bench"));
  app.require_subcommand(1);
  std::string file;
  int threads = 0;
  std::string size = "1920x1080";
  auto* dec = app.add_subcommand("decode", "Decode throughput vs ffmpeg's own decode");
  dec->add_option("file", file)->required()->check(CLI::ExistingFile);
  dec->add_option("--threads", threads, "Decoder threads (0: one per core)");
  int repeat = 5;
  dec->add_option("--repeat", repeat, "Alternating runs of each; medians are compared")->check(CLI::Range(1, 50));
  auto* ren = app.add_subcommand("render", "Untimed decode+upload+convert+draw, offscreen");
  ren->add_option("file", file)->required()->check(CLI::ExistingFile);
  ren->add_option("--size", size, "Offscreen target WxH")->capture_default_str();
  ren->add_option("--threads", threads, "Decoder threads (0: one per core)");
  SyncOptions so;
  auto* syn = app.add_subcommand("sync", "lockstep serve + N lockstep join on this machine: skew, same-frame share, clock error");
  syn->add_option("--nodes", so.nodes, "Nodes (lockstep join processes)")->capture_default_str()->check(CLI::Range(2, 16));
  std::vector<std::string> paths{"none"};
  std::string impair_help = "The path between the nodes and the server: none (plain loopback), or a lockstep-impair profile:";
  for (const auto& pr : impair::profiles()) {
    paths.push_back(pr.name);
    impair_help += std::string("\n  ") + pr.name + ": " + pr.what;
  }
  syn->add_option("--impair", so.impair, impair_help)->capture_default_str()->check(CLI::IsMember(paths));
  syn->add_option("--seconds", so.seconds, "Seconds each node plays")->capture_default_str()->check(CLI::Range(5.0, 600.0));
  syn->add_option("--clip", so.clip, "Clip to play (default: a 640x360 30 fps test clip, generated once)")->check(CLI::ExistingFile);
  syn->add_option("--plot", so.plot, "Write the frame-switch skew over time as an SVG plot");
  syn->add_option("--seed", so.seed, "lockstep-impair's random seed (wan)")->capture_default_str();
  syn->add_option("--skip", so.skip_s, "Seconds at the start left out of the figures")->capture_default_str()->check(CLI::Range(0.0, 60.0));
  syn->add_flag("--keep", so.keep, "Keep the present logs and process outputs");
  syn->add_option("--config", so.config_dir,
                  "XDG_CONFIG_HOME of the server and nodes: keys, servers met, each node's remembered clock drift "
                  "(default: a fresh folder per run, a first meeting; give the same folder to two runs to measure "
                  "the second, with the drift remembered)");
  syn->add_option("--node-size", so.node_size, "Each node's headless target WxH, or clip (the clip's own size); the frame tag needs >= 120 px wide")
      ->capture_default_str();
  syn->add_option("--node-threads", so.node_threads, "Decoder threads per node (0: one per core)")
      ->capture_default_str()->check(CLI::Range(0, 16));
  FanoutOptions fo;
  auto* fan = app.add_subcommand("fanout", "One lockstep serve, many session clients in this process: server CPU, clock error");
  fan->add_option("--clients", fo.clients, "Session clients")->capture_default_str()->check(CLI::Range(1, 300));
  fan->add_option("--seconds", fo.seconds, "Seconds measured once all clients are settled")->capture_default_str()->check(CLI::Range(1.0, 300.0));
  fan->add_option("--client-nice", fo.client_nice, "Niceness of the clients' network threads (the server keeps its own)")
      ->capture_default_str()->check(CLI::Range(0, 19));
  HandshakeOptions ho;
  auto* hs = app.add_subcommand("handshake", "A node's join, first datagram to Welcome, vs a bare ENet connect");
  hs->add_option("--count", ho.count, "Joins measured of each kind")->capture_default_str()->check(CLI::Range(1, 1000));
  SoakOptions soak;
  auto* sk = app.add_subcommand("soak", "A server and N nodes for a long time (seeks, pauses, restarts): sync over time, memory, files");
  sk->add_option("--minutes", soak.minutes, "How long")->capture_default_str()->check(CLI::Range(1.0, 24.0 * 60));
  sk->add_option("--hours", [&soak](const CLI::results_t& r) { soak.minutes = std::stod(r[0]) * 60; return true; }, "How long, in hours")
      ->check(CLI::Range(0.02, 24.0));
  sk->add_option("--nodes", soak.nodes, "Nodes")->capture_default_str()->check(CLI::Range(2, 8));
  sk->add_option("--every", soak.command_every_s, "Seconds between pause/seek/play rounds")->capture_default_str()->check(CLI::Range(10.0, 3600.0));
  sk->add_option("--sample", soak.sample_every_s, "Seconds between samples")->capture_default_str()->check(CLI::Range(5.0, 3600.0));
  sk->add_flag("--keep", soak.keep, "Keep the logs");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  // 256 clients would each log every reconnect; the fanout figures count them instead.
  init_logging(fan->parsed() ? "error" : "warn");
  if (dec->parsed()) return bench_decode(file, threads, repeat);
  if (sk->parsed()) {
    install_stop_handlers();
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    return bench_soak(soak);
  }
  if (hs->parsed()) {
    install_stop_handlers();
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    return bench_handshake(ho);
  }
  if (syn->parsed() || fan->parsed()) {
    install_stop_handlers();
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    return syn->parsed() ? bench_sync(so) : bench_fanout(fo);
  }
  const auto wh = parse_size(size, 16384);
  if (!wh) {
    std::fprintf(stderr, "%s\n", wh.error().c_str());
    return 2;
  }
  return bench_render(file, wh->first, wh->second, threads);
}
