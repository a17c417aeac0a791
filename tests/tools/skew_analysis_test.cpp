// lockstep-skew's analysis on synthetic present logs whose figures are known by
// construction (see synthetic_logs.h for the script).
#include "skew/skew_analysis.h"

#include <gtest/gtest.h>

#include "skew/skew_plot.h"
#include "synthetic_logs.h"

namespace lockstep::test {
namespace {

using skew::analyse;
using skew::NodeLog;
using skew::parse_present_log;
using skew::SkewReport;

constexpr double kEps = 1e-9;

NodeLog parsed(const std::string& text, const std::string& name) {
  auto log = parse_present_log(text, name);
  EXPECT_TRUE(log.ok()) << log.error();
  return log.ok() ? std::move(*log) : NodeLog{};
}

NodeLog node_a() {
  LogStyle style;
  style.readback = true;
  return parsed(make_log(reference_script(), style), "a.log");
}

NodeLog node_b() {
  LogStyle style;
  style.offset_ns = lag_ns;
  // -0.1, 0, +0.1, +0.2 ms in turn.
  style.clock_err_ns = [](int64_t k) { return (k % 4 - 1) * 100 * kNsPerUs; };
  style.extra_fields = true;
  return parsed(make_log(without_frame(reference_script(), 37), style), "b.log");
}

TEST(SkewAnalysis, FrameSwitchSkewMatchesTheConstructedLag) {
  auto r = analyse({node_a(), node_b()});
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->pairs.size(), 1u);
  const skew::PairSkew& p = r->pairs[0];
  // Switches to frames 1..99 on A; B never shows 37, and the paused ticks are no switches.
  EXPECT_EQ(p.abs.count, 98);
  EXPECT_EQ(p.unpaired_a, 1);  // frame 37
  EXPECT_EQ(p.unpaired_b, 0);
  // 49 odd frames at 0.65 ms, 48 even ones at 0.75 ms, frame 50 at 2.0 ms; the rank rule
  // round(p (n - 1)) picks index 49 for p50 and 96 (the last 0.75) for p99.
  EXPECT_NEAR(p.abs.p50_ms, 0.75, kEps);
  EXPECT_NEAR(p.abs.p99_ms, 0.75, kEps);
  EXPECT_NEAR(p.abs.max_ms, 2.0, kEps);
  EXPECT_NEAR(p.mean_signed_ms, (49 * 0.65 + 48 * 0.75 + 2.0) / 98, kEps);
  ASSERT_EQ(p.series.size(), 98u);
  EXPECT_NEAR(p.series.front().skew_ms, 0.65, kEps);  // frame 1
  EXPECT_TRUE(std::is_sorted(p.series.begin(), p.series.end(),
                             [](auto& x, auto& y) { return x.t_s < y.t_s; }));
}

TEST(SkewAnalysis, SameFrameShareCountsTicksAndTime) {
  auto r = analyse({node_a(), node_b()});
  ASSERT_TRUE(r.ok()) << r.error();
  const skew::Agreement& a = r->agreement;
  // A's ticks 1..209 less 122..132 (A paused, or B still paused at that instant): 198, of
  // which the 60 + 39 second ticks of a frame agree (A's tick 75, frame 37, does not).
  // B's ticks 0..208 less the 10 paused ones: 199, all agreeing but ticks 74 and 75.
  EXPECT_EQ(a.ticks, 198 + 199);
  EXPECT_EQ(a.agreeing, 99 + 197);
  EXPECT_NEAR(a.tick_share, 296.0 / 397.0, kEps);
  // In time: disagreement for lag(f) after each of the 96 switches seen by both while both
  // were playing (68.45 ms in all), plus 40 ms + lag(38) while A shows 37 and B 36. The
  // window (4179.25 ms) less the time either is paused (200.65 ms) is 3978.6 ms.
  EXPECT_NEAR(a.time_share, 1.0 - (68.45 + 40.75) / 3978.6, 1e-9);
  EXPECT_EQ(r->window_start_ns, kT0 + lag_ns(0));
  EXPECT_EQ(r->window_end_ns, kT0 + 209 * kTick);
}

TEST(SkewAnalysis, ClockEstimateErrorIsReportedForNodesThatLogIt) {
  auto r = analyse({node_a(), node_b()});
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->clock_errors.size(), 1u);
  const skew::ClockErrorStats& c = r->clock_errors[0];
  EXPECT_EQ(c.node, 1u);
  // B's lines 0..208 are in the window: |err| is 0 (52 lines), 0.1 ms (105), 0.2 ms (52).
  EXPECT_EQ(c.abs.count, 209);
  EXPECT_NEAR(c.abs.p50_ms, 0.1, kEps);
  EXPECT_NEAR(c.abs.p99_ms, 0.2, kEps);
  EXPECT_NEAR(c.abs.max_ms, 0.2, kEps);
  EXPECT_NEAR(c.mean_signed_ms, (53 * -0.1 + 52 * 0.1 + 52 * 0.2) / 209, kEps);
}

TEST(SkewAnalysis, AfterLeavesOutTheFirstSeconds) {
  skew::SkewParams params;
  params.after_s = 2.0;
  auto r = analyse({node_a(), node_b()}, params);
  ASSERT_TRUE(r.ok()) << r.error();
  // Window from kT0 + 2000.75 ms: switches to frames 51..99 (A's at 40 f ms for f <= 60).
  EXPECT_EQ(r->window_start_ns, kT0 + lag_ns(0) + 2 * kNsPerSec);
  EXPECT_EQ(r->pairs[0].abs.count, 49);
  EXPECT_NEAR(r->pairs[0].abs.max_ms, 0.75, kEps);  // the 2 ms spike on frame 50 is before
}

TEST(SkewAnalysis, LoopedClipsArePairedLoopByLoop) {
  LogStyle late;
  late.offset_ns = [](int64_t) { return kNsPerMs; };
  auto r = analyse({parsed(make_log(looping_script(10, 3), {}), "a"),
                    parsed(make_log(looping_script(10, 3), late), "b")});
  ASSERT_TRUE(r.ok()) << r.error();
  const skew::PairSkew& p = r->pairs[0];
  EXPECT_EQ(p.abs.count, 29);  // every switch but the first line
  EXPECT_NEAR(p.abs.max_ms, 1.0, kEps);
  EXPECT_NEAR(p.mean_signed_ms, 1.0, kEps);
  EXPECT_EQ(p.unpaired_a + p.unpaired_b, 0);
}

TEST(SkewAnalysis, ThreeNodesGiveThreePairsWithSignedSkew) {
  LogStyle early;
  early.offset_ns = [](int64_t) { return -300 * kNsPerUs; };
  auto c = parsed(make_log(reference_script(), early), "c.log");
  auto r = analyse({node_a(), node_b(), c});
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->pairs.size(), 3u);
  EXPECT_EQ(r->pairs[1].a, 0u);
  EXPECT_EQ(r->pairs[1].b, 2u);
  EXPECT_EQ(r->pairs[1].abs.count, 99);
  EXPECT_NEAR(r->pairs[1].mean_signed_ms, -0.3, kEps);
  EXPECT_NEAR(r->pairs[1].abs.p50_ms, 0.3, kEps);
  EXPECT_EQ(r->pairs[2].abs.count, 98);  // B vs C: B never shows 37
  EXPECT_NEAR(r->pairs[2].abs.max_ms, 2.3, kEps);
}

TEST(SkewAnalysis, ReadbackIsPreferredToTheFrameField) {
  // A writes "frame" one ahead of the readback; taken at its word, every frame would be
  // skewed by a whole frame (40 ms) against C.
  auto c = parsed(make_log(reference_script(), {}), "c");
  auto r = analyse({node_a(), c});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_NEAR(r->pairs[0].abs.max_ms, 0.0, kEps);
  EXPECT_EQ(r->pairs[0].abs.count, 99);
  EXPECT_NEAR(r->agreement.tick_share, 1.0, kEps);
}

TEST(SkewAnalysis, ACutOffLastLineIsDropped) {
  std::string text = make_log(reference_script(), {});
  text += R"({"frame": 100, "due": 100, "t_ns": 10000)";
  auto log = parse_present_log(text, "cut.log");
  ASSERT_TRUE(log.ok()) << log.error();
  EXPECT_TRUE(log->truncated_tail);
  EXPECT_EQ(log->lines.size(), 210u);
}

TEST(SkewAnalysis, ABadLineInTheMiddleFailsWithItsNumber) {
  std::string text = make_log(reference_script(), {});
  text.insert(text.find('\n') + 1, "{\"frame\": 1, \"due\": 1}\n");
  auto log = parse_present_log(text, "bad.log");
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error().find("bad.log line 2"), std::string::npos) << log.error();
  EXPECT_NE(log.error().find("t_ns"), std::string::npos) << log.error();

  auto garbage = parse_present_log("hello\nworld\n", "garbage.txt");
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.error().find("garbage.txt line 1: not valid JSON"), std::string::npos)
      << garbage.error();
}

TEST(SkewAnalysis, EmptyOrTooFewOrDisjointLogsFail) {
  EXPECT_FALSE(parse_present_log("", "empty.log").ok());
  EXPECT_FALSE(parse_present_log("\n\n", "blank.log").ok());
  auto one = analyse({node_a()});
  ASSERT_FALSE(one.ok());
  EXPECT_NE(one.error().find("at least 2"), std::string::npos) << one.error();

  LogStyle later;
  later.offset_ns = [](int64_t) { return 3600 * kNsPerSec; };
  auto disjoint = analyse({node_a(), parsed(make_log(reference_script(), later), "later")});
  ASSERT_FALSE(disjoint.ok());
  EXPECT_NE(disjoint.error().find("do not overlap"), std::string::npos) << disjoint.error();
}

TEST(SkewPlot, IsAnSvgWithOnePathPerPairAndLabelledAxes) {
  LogStyle early;
  early.offset_ns = [](int64_t) { return -300 * kNsPerUs; };
  auto r = analyse({node_a(), node_b(), parsed(make_log(reference_script(), early), "c.log")});
  ASSERT_TRUE(r.ok()) << r.error();
  const std::string svg = skew::render_svg(*r);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  size_t paths = 0;
  for (size_t at = svg.find("<path"); at != std::string::npos; at = svg.find("<path", at + 1))
    ++paths;
  EXPECT_EQ(paths, 3u);
  EXPECT_NE(svg.find("skew (ms)"), std::string::npos);
  EXPECT_NE(svg.find("(s)</text>"), std::string::npos);
  EXPECT_NE(svg.find("a.log vs b.log"), std::string::npos);
}

TEST(SkewReportJson, CarriesTheSameFigures) {
  auto r = analyse({node_a(), node_b()});
  ASSERT_TRUE(r.ok()) << r.error();
  const nlohmann::json j = skew::to_json(*r);
  EXPECT_EQ(j["pairs"][0]["count"], 98);
  EXPECT_NEAR(j["pairs"][0]["p50_ms"].get<double>(), 0.75, kEps);
  EXPECT_EQ(j["pairs"][0]["a"], "a.log");
  EXPECT_EQ(j["same_frame"]["ticks"], 397);
  EXPECT_EQ(j["clock_error"][0]["node"], "b.log");
}

}  // namespace
}  // namespace lockstep::test
