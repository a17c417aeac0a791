// lockstep-skew — sync figures from the present logs of nodes that ran on this machine:
// frame-switch skew per node pair, the share of refresh ticks on which all nodes show the
// same frame, and the clock-estimate error when logged. Text, --json, and an SVG --plot.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>

#include "tools/version/version.h"
#include "skew/skew_analysis.h"
#include "skew/skew_plot.h"

namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "lockstep-skew: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lockstep::skew;
  double after_s = 0.0;
  std::string plot;
  bool json = false;
  std::vector<std::string> paths;
  CLI::App app{
      "lockstep-skew — sync figures from 'lockstep play --present-log' files of nodes that "
      "ran at the same time on this machine", "lockstep-skew"};
  app.set_version_flag("--version", lockstep::version_line("lockstep-skew"));
  app.add_option("--after", after_s, "Ignore the first SECONDS after the last node started logging")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--plot", plot, "Write an SVG plot of skew over time per node pair");
  app.add_flag("--json", json, "Print the figures as JSON");
  app.add_option("logs", paths, "Present logs, one per node (at least 2)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(std::string(e.what()) + " (see --help)");
  }
  if (paths.size() < 2)
    return fail("give the present logs of at least 2 nodes (got " + std::to_string(paths.size()) +
                "); see --help");

  std::vector<NodeLog> logs;
  for (const std::string& path : paths) {
    auto log = read_present_log(path);
    if (!log) return fail(log.error());
    if (log->truncated_tail)
      std::fprintf(stderr, "lockstep-skew: %s: ignoring a cut-off last line\n", path.c_str());
    logs.push_back(std::move(*log));
  }
  SkewParams params;
  params.after_s = after_s;
  auto report = analyse(logs, params);
  if (!report) return fail(report.error());

  if (json)
    std::printf("%s\n", to_json(*report).dump(2).c_str());
  else
    std::fputs(format_text(*report).c_str(), stdout);
  if (!plot.empty()) {
    std::ofstream out(plot);
    out << render_svg(*report);
    if (!out) return fail("cannot write the plot '" + plot + "'");
  }
  return 0;
}
