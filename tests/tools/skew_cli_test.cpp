// lockstep-skew as a program: text and JSON figures, the SVG plot, and exit 2 with a clear
// message on bad input.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/test_media.h"
#include "synthetic_logs.h"

namespace lockstep::test {
namespace {

std::string write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Logs {
  std::string a, b, c;
};

Logs write_logs(const std::string& dir) {
  LogStyle a_style;
  a_style.readback = true;
  LogStyle b_style;
  b_style.offset_ns = lag_ns;
  b_style.clock_err_ns = [](int64_t k) { return (k % 4 - 1) * 100 * kNsPerUs; };
  b_style.extra_fields = true;
  LogStyle c_style;
  c_style.offset_ns = [](int64_t) { return -300 * kNsPerUs; };
  return {write_file(dir + "/a.log", make_log(reference_script(), a_style)),
          write_file(dir + "/b.log", make_log(without_frame(reference_script(), 37), b_style)),
          write_file(dir + "/c.log", make_log(reference_script(), c_style))};
}

TEST(SkewCli, PrintsTheFiguresAsText) {
  const Logs logs = write_logs(scratch_dir("skew_cli_text"));
  const ProcessResult r = run_process({LOCKSTEP_SKEW, logs.a, logs.b}, 30);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(
      r.output.find("p50 0.750 ms  p99 0.750 ms  max 2.000 ms  count 98  mean signed +0.713 ms"),
      std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("74.56 % of 397 refresh ticks"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("clock-estimate error node 1: p50 0.100 ms  p99 0.200 ms  max 0.200 ms"),
            std::string::npos)
      << r.output;
}

TEST(SkewCli, JsonCarriesTheFiguresForScripts) {
  const Logs logs = write_logs(scratch_dir("skew_cli_json"));
  const ProcessResult r = run_process({LOCKSTEP_SKEW, "--json", logs.a, logs.b, logs.c}, 30);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.output;
  ASSERT_EQ(j["pairs"].size(), 3u);
  EXPECT_EQ(j["pairs"][0]["count"], 98);
  EXPECT_NEAR(j["pairs"][0]["p50_ms"].get<double>(), 0.75, 1e-9);
  EXPECT_NEAR(j["pairs"][0]["max_ms"].get<double>(), 2.0, 1e-9);
  EXPECT_NEAR(j["pairs"][1]["mean_signed_ms"].get<double>(), -0.3, 1e-9);
  EXPECT_GT(j["same_frame"]["tick_share"].get<double>(), 0.0);
  EXPECT_EQ(j["clock_error"].size(), 1u);
}

TEST(SkewCli, AfterSkipsTheStart) {
  const Logs logs = write_logs(scratch_dir("skew_cli_after"));
  const ProcessResult r =
      run_process({LOCKSTEP_SKEW, "--json", "--after", "2", logs.a, logs.b}, 30);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.output;
  EXPECT_EQ(j["pairs"][0]["count"], 49);
}

TEST(SkewCli, PlotIsAnSvgWithAPathPerPair) {
  const std::string dir = scratch_dir("skew_cli_plot");
  const Logs logs = write_logs(dir);
  const std::string plot = dir + "/skew.svg";
  std::remove(plot.c_str());
  const ProcessResult r = run_process({LOCKSTEP_SKEW, "--plot", plot, logs.a, logs.b, logs.c}, 30);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string svg = read_file(plot);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u) << svg.substr(0, 80);
  size_t paths = 0;
  for (size_t at = svg.find("<path"); at != std::string::npos; at = svg.find("<path", at + 1))
    ++paths;
  EXPECT_EQ(paths, 3u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

TEST(SkewCli, ToleratesACutOffLastLine) {
  const std::string dir = scratch_dir("skew_cli_cut");
  const Logs logs = write_logs(dir);
  const std::string cut = write_file(dir + "/cut.log", read_file(logs.b) + R"({"frame": 99, "t_)");
  const ProcessResult r = run_process({LOCKSTEP_SKEW, logs.a, cut}, 30);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ignoring a cut-off last line"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("count 98"), std::string::npos) << r.output;
}

TEST(SkewCli, BadInputExitsWithTwoAndAMessage) {
  const std::string dir = scratch_dir("skew_cli_bad");
  const Logs logs = write_logs(dir);
  const std::string empty = write_file(dir + "/empty.log", "");
  const std::string garbage = write_file(dir + "/garbage.log", "not json\n{}\n");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{logs.a}, "at least 2 nodes (got 1)"},
      {{}, "at least 2 nodes (got 0)"},
      {{logs.a, dir + "/missing.log"}, "cannot read the present log '" + dir + "/missing.log'"},
      {{logs.a, empty}, "has no present lines"},
      {{logs.a, garbage}, "garbage.log line 1: not valid JSON"},
      {{"--after", "100", logs.a, logs.b}, "do not overlap"},
      {{"--after", "-1", logs.a, logs.b}, "--after"},
  };
  for (const auto& [args, message] : cases) {
    std::vector<std::string> argv{LOCKSTEP_SKEW};
    argv.insert(argv.end(), args.begin(), args.end());
    const ProcessResult r = run_process(argv, 30);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(message), std::string::npos)
        << "expected '" << message << "' in: " << r.output;
    EXPECT_EQ(r.output.rfind("lockstep-skew: ", 0), 0u) << r.output;
  }
}

}  // namespace
}  // namespace lockstep::test
