// Clock sync over simulated paths: every simulated millisecond the client's view of the
// session clock, to_session(local), is compared with the truth. Each scenario runs the three
// client clocks of the brief (offset -5 s / +3.2 s / +0.7 s, drift -200 / 0 / +200 ppm) with
// several seeds; probes are scheduled by the estimator itself. The measured errors are
// printed as "[ clocksync ]" lines (worst over the seeds) for the docs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "probe_simulation.h"

namespace lockstep::net::test {
namespace {

constexpr int64_t kUs = 1'000;
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1'000'000'000;
constexpr int kSeeds = 5;

std::vector<SimulatedClock> client_clocks() {
  return {SimulatedClock{-5 * kSec, -200e-6, 0}, SimulatedClock{3'200 * kMs, 0.0, 0},
          SimulatedClock{700 * kMs, 200e-6, 0}};
}

std::string clock_name(const SimulatedClock& c) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%+.1fs %+.0fppm", double(c.offset_ns) / 1e9, c.drift * 1e6);
  return buf;
}

// One-way delays; "± x" is uniform jitter on each leg.
SimPath loopback() {  // 30 µs ± 20 µs each way
  return SimPath{{30 * kUs, Jitter::uniform(20 * kUs)}, {30 * kUs, Jitter::uniform(20 * kUs)}};
}
SimPath wan_symmetric() {  // 20 ms ± 5 ms each way
  return SimPath{{20 * kMs, Jitter::uniform(5 * kMs)}, {20 * kMs, Jitter::uniform(5 * kMs)}};
}
SimPath wan_return_jitter() {  // 20 ms each way, exponential jitter (mean 5 ms) back only
  return SimPath{{20 * kMs, Jitter::none()}, {20 * kMs, Jitter::exponential(5 * kMs)}};
}
SimPath wan_uniform_return_jitter() {  // 20 ms each way, 0..10 ms uniform jitter back only
  return SimPath{{20 * kMs, Jitter::none()}, {25 * kMs, Jitter::uniform(5 * kMs)}};
}
SimPath wan_exponential_both() {  // 20 ms each way + exponential (mean 2 ms) each way
  return SimPath{{20 * kMs, Jitter::exponential(2 * kMs)},
                 {20 * kMs, Jitter::exponential(2 * kMs)}};
}

// lockstep-impair's intercontinental profile as it plays it: 80 ms ± 25 ms each way, each
// direction keeping its packets in order, other traffic sharing the lanes, 2 % reordered.
SimPath intercontinental_lanes() {
  SimPath path{{80 * kMs, Jitter::uniform(25 * kMs)}, {80 * kMs, Jitter::uniform(25 * kMs)}};
  path.fifo = true;
  path.cross_traffic_hz = 4;
  path.reorder = 0.02;
  return path;
}

struct Worst {
  ErrorStats after_burst;  // from the end of the first burst
  ErrorStats after_10s;
  ErrorStats after_30s;
  double drift_error_10s = 0;  // |estimated - true| drift, at 10 s and at the end
  double drift_error_end = 0;
  int64_t max_jump_ns = 0;
  int64_t steps = 0;
  int64_t gap_resets = 0;
  int64_t probes = 0;  // most probes sent in one run
  int64_t route_changes_min = INT64_MAX, route_changes_max = 0;  // over the runs
  // The estimate's own uncertainty: how often the error was beyond twice it (from the end
  // of the burst), and its largest value over the last second of a run.
  int64_t beyond_2x_uncertainty = 0, measured = 0;
  int64_t uncertainty_at_end_ns = 0;
  int64_t uncertainty_at_6s_min_ns = INT64_MAX;  // the least over the runs, 6 s in

  static void fold(ErrorStats& into, const ErrorStats& s) {
    into.count += s.count;
    into.max_abs_ns = std::max(into.max_abs_ns, s.max_abs_ns);
    into.p99_abs_ns = std::max(into.p99_abs_ns, s.p99_abs_ns);
    into.p50_abs_ns = std::max(into.p50_abs_ns, s.p50_abs_ns);
    into.max_bound_ns = std::max(into.max_bound_ns, s.max_bound_ns);
    into.bound_violations += s.bound_violations;
    into.invalid += s.invalid;
  }
  void fold(const Worst& w) {
    fold(after_burst, w.after_burst);
    fold(after_10s, w.after_10s);
    fold(after_30s, w.after_30s);
    drift_error_10s = std::max(drift_error_10s, w.drift_error_10s);
    drift_error_end = std::max(drift_error_end, w.drift_error_end);
    max_jump_ns = std::max(max_jump_ns, w.max_jump_ns);
    steps += w.steps;
    gap_resets = std::max(gap_resets, w.gap_resets);
    probes = std::max(probes, w.probes);
    route_changes_min = std::min(route_changes_min, w.route_changes_min);
    route_changes_max = std::max(route_changes_max, w.route_changes_max);
    beyond_2x_uncertainty += w.beyond_2x_uncertainty;
    measured += w.measured;
    uncertainty_at_end_ns = std::max(uncertainty_at_end_ns, w.uncertainty_at_end_ns);
    uncertainty_at_6s_min_ns = std::min(uncertainty_at_6s_min_ns, w.uncertainty_at_6s_min_ns);
  }
  double beyond_share() const { return measured ? double(beyond_2x_uncertainty) / double(measured) : 0.0; }
};

Worst measure(const SimResult& r, int64_t duration_ns) {
  Worst w;
  w.after_burst = error_stats(r, r.settled_at_ns, duration_ns);
  w.after_10s = error_stats(r, 10 * kSec, duration_ns);
  w.after_30s = error_stats(r, 30 * kSec, duration_ns);
  w.drift_error_10s = std::abs(drift_error_at(r, 10 * kSec));
  w.drift_error_end = std::abs(drift_error_at(r, duration_ns));
  w.max_jump_ns = r.max_jump_ns;
  w.steps = r.final_estimate.steps;
  w.gap_resets = r.final_estimate.gap_resets;
  w.probes = r.probes_sent;
  w.route_changes_min = w.route_changes_max = r.final_estimate.route_changes;
  for (const Measurement& m : r.measurements) {
    if (m.true_ns >= r.settled_at_ns && r.settled_at_ns >= 0) {
      ++w.measured;
      if (std::abs(m.error_ns) > 2 * m.uncertainty_ns) ++w.beyond_2x_uncertainty;
    }
    if (m.true_ns >= duration_ns - 1'000'000'000)
      w.uncertainty_at_end_ns = std::max(w.uncertainty_at_end_ns, m.uncertainty_ns);
    if (m.true_ns == 6 * kSec) w.uncertainty_at_6s_min_ns = m.uncertainty_ns;
  }
  return w;
}

void print(const std::string& name, const Worst& w) {
  char extra[260];
  std::snprintf(extra, sizeof extra,
                "| >10s max %8.1f us | >30s max %8.1f us | drift err %6.1f ppm @10s %5.1f ppm @end | probes %lld"
                " | uncertainty @end %7.1f us, error beyond 2x %4.1f %%",
                double(w.after_10s.max_abs_ns) / 1e3, double(w.after_30s.max_abs_ns) / 1e3, w.drift_error_10s * 1e6,
                w.drift_error_end * 1e6, static_cast<long long>(w.probes), double(w.uncertainty_at_end_ns) / 1e3,
                100.0 * w.beyond_share());
  report(name, "after burst", w.after_burst, extra);
}

/// Runs `base` for every client clock and seed; prints one line per clock and returns the
/// worst figures. Checks what must hold in every scenario: the estimate stays valid from
/// the end of the burst, the truth is always within the error bound, and to_session() never
/// jumps when a sample arrives.
Worst run_matrix(const std::string& name, Scenario base) {
  Worst all;
  for (const SimulatedClock& clock : client_clocks()) {
    Worst per_clock;
    for (int seed = 1; seed <= kSeeds; ++seed) {
      Scenario sc = base;
      sc.name = name;
      sc.client = clock;
      sc.seed = uint64_t(seed) * 7919;
      const SimResult r = run_scenario(sc);
      SCOPED_TRACE(name + " " + clock_name(clock) + " seed " + std::to_string(seed));
      if (sc.remembered_drift_error)
        std::printf("  seed %d: remembered drift %s\n", seed,
                    r.remembered_dropped_at_ns < 0
                        ? "kept"
                        : ("dropped at " + std::to_string(double(r.remembered_dropped_at_ns) / 1e9) + " s").c_str());
      EXPECT_GE(r.settled_at_ns, 0);
      const Worst w = measure(r, sc.duration_ns);
      EXPECT_EQ(w.after_burst.bound_violations, 0) << "truth outside error_bound_at()";
      EXPECT_EQ(w.steps, 0) << "a correction was stepped instead of slewed";
      EXPECT_LE(w.max_jump_ns, 2) << "to_session() jumped when a sample arrived";
      per_clock.fold(w);
    }
    print(name + " " + clock_name(clock), per_clock);
    all.fold(per_clock);
  }
  return all;
}

Scenario on(const SimPath& path, double loss = 0.0) {
  Scenario sc;
  sc.path = path;
  sc.path.loss = loss;
  sc.duration_ns = 60 * kSec;
  return sc;
}

TEST(ClockSyncScenarios, LoopbackStaysWithin50usFromTheBurstOnDespiteDrift) {
  const Worst w = run_matrix("loopback 30us+-20us", on(loopback()));
  EXPECT_EQ(w.after_burst.invalid, 0);
  EXPECT_LE(w.after_burst.max_abs_ns, 50 * kUs);
  EXPECT_LE(w.after_10s.max_abs_ns, 20 * kUs);
  // The uncertainty the estimate gives itself: microseconds, and rarely exceeded twice.
  EXPECT_LE(w.uncertainty_at_end_ns, 10 * kUs);
  EXPECT_LE(w.beyond_share(), 0.05);
}

TEST(ClockSyncScenarios, LoopbackDriftIsWithin20ppmAfter10s) {
  const Worst w = run_matrix("loopback 30us+-20us (drift)", on(loopback()));
  EXPECT_LE(w.drift_error_10s, 20e-6);
  EXPECT_LE(w.drift_error_end, 5e-6);
}

TEST(ClockSyncScenarios, SymmetricWanJitterStaysWithin1ms) {
  const Worst w = run_matrix("wan 20ms+-5ms symmetric", on(wan_symmetric()));
  EXPECT_LE(w.after_burst.max_abs_ns, 1 * kMs);
  EXPECT_LE(w.drift_error_end, 100e-6);
}

TEST(ClockSyncScenarios, ReturnOnlyExponentialJitterStaysWithinBoundAnd2500us) {
  const Worst w = run_matrix("wan 20ms, exp 5ms on return only", on(wan_return_jitter()));
  EXPECT_LE(w.after_burst.max_abs_ns, 2500 * kUs);
  EXPECT_LE(w.after_10s.max_abs_ns, 500 * kUs);
  // The forward direction has no jitter: it pins the drift.
  EXPECT_LE(w.drift_error_10s, 20e-6);
}

TEST(ClockSyncScenarios, ReturnOnlyUniformJitterStaysWithinBoundAnd2500us) {
  const Worst w =
      run_matrix("wan 20/25ms, 0..10ms on return only", on(wan_uniform_return_jitter()));
  // Base delays 20 ms out and 20 ms back (25 - 5): the minimum is symmetric.
  EXPECT_LE(w.after_burst.max_abs_ns, 2500 * kUs);
}

TEST(ClockSyncScenarios, ExponentialJitterBothWaysStaysWithin1ms) {
  const Worst w = run_matrix("wan 20ms, exp 2ms both ways", on(wan_exponential_both()));
  EXPECT_LE(w.after_burst.max_abs_ns, 1 * kMs);
}

TEST(ClockSyncScenarios, AsymmetricBaseDelayIsAnErrorTheBoundAdmits) {
  // 15 ms out, 25 ms back: no exchange of timestamps can tell this from a 5 ms offset.
  // The estimate is off by ~5 ms, and the bound says so instead of claiming better.
  SimPath path{{15 * kMs, Jitter::uniform(1 * kMs)}, {25 * kMs, Jitter::uniform(1 * kMs)}};
  const Worst w = run_matrix("wan 15ms out / 25ms back", on(path));
  EXPECT_GE(w.after_10s.max_abs_ns, 4 * kMs);
  EXPECT_LE(w.after_10s.max_abs_ns, 6 * kMs);
}

TEST(ClockSyncScenarios, LossOf2And20PercentKeepsTheBounds) {
  for (double loss : {0.02, 0.20}) {
    const std::string pct = std::to_string(int(loss * 100)) + "% loss";
    const Worst lo = run_matrix("loopback, " + pct, on(loopback(), loss));
    EXPECT_LE(lo.after_burst.max_abs_ns, 50 * kUs) << pct;
    // With 5 ms of jitter, a burst thinned by loss can end 1.5 ms off; that is slewed out at
    // max_slew_rate (0.5 ms/s) within the next seconds.
    const Worst wan = run_matrix("wan 20ms+-5ms, " + pct, on(wan_symmetric(), loss));
    EXPECT_LE(wan.after_burst.max_abs_ns, 2 * kMs) << pct;
    EXPECT_LE(wan.after_10s.max_abs_ns, 1250 * kUs) << pct;
  }
}

TEST(ClockSyncScenarios, FifteenSecondOutageResetsAndReconverges) {
  for (const auto& [name, path, after_ns] :
       {std::tuple{std::string("loopback"), loopback(), 50 * kUs},
        std::tuple{std::string("wan 20ms+-5ms"), wan_symmetric(), 1 * kMs}}) {
    Scenario sc = on(path);
    sc.outage = Outage{20 * kSec, 15 * kSec};
    const Worst w = run_matrix(name + ", 15s outage at 20s", sc);
    EXPECT_GE(w.gap_resets, 1) << name;
    // During the outage the old mapping is extrapolated, inside its (growing) bound; once
    // the server answers again the new burst and slewing bring the error back down.
    for (const SimulatedClock& clock : client_clocks()) {
      sc.client = clock;
      sc.seed = 7919;
      const SimResult r = run_scenario(sc);
      const ErrorStats during = error_stats(r, 20 * kSec, 35 * kSec);
      const ErrorStats after = error_stats(r, 37 * kSec, sc.duration_ns);
      EXPECT_EQ(during.bound_violations, 0) << name << " " << clock_name(clock);
      EXPECT_EQ(after.invalid, 0) << name << " " << clock_name(clock);
      EXPECT_LE(after.max_abs_ns, after_ns) << name << " " << clock_name(clock);
      report(name + ", 15s outage " + clock_name(clock), "outage 20-35s", during);
      report(name + ", 15s outage " + clock_name(clock), "from 37s", after);
    }
  }
}

TEST(ClockSyncScenarios, ProbesBurstThenSettleToThePathsRate) {
  // 16 probes 20 ms apart, then 2 Hz on a quiet path and 10 Hz on a noisy one.
  for (const auto& [path, interval_ns] :
       {std::pair{loopback(), 500 * kMs}, std::pair{wan_symmetric(), 100 * kMs}}) {
    Scenario sc = on(path);
    sc.duration_ns = 20 * kSec;
    sc.client = client_clocks()[1];
    const SimResult r = run_scenario(sc);
    ASSERT_GT(r.send_true_ns.size(), 20u);
    for (size_t i = 1; i < 16; ++i) {
      EXPECT_EQ(r.send_true_ns[i] - r.send_true_ns[i - 1], 20 * kMs) << "probe " << i;
    }
    const size_t n = r.send_true_ns.size();
    EXPECT_EQ(r.send_true_ns[n - 1] - r.send_true_ns[n - 2], interval_ns);
  }
}

TEST(ClockSyncScenarios, AVeryNoisyPathGetsALongerBurstAndFasterProbes) {
  // 80 ms ± 25 ms: the burst goes on to 128 replies (probes 20 ms apart), then 40 probes a
  // second.
  const SimPath path{{80 * kMs, Jitter::uniform(25 * kMs)}, {80 * kMs, Jitter::uniform(25 * kMs)}};
  Scenario sc = on(path);
  sc.duration_ns = 20 * kSec;
  sc.client = client_clocks()[1];
  const SimResult r = run_scenario(sc);
  ASSERT_GT(r.send_true_ns.size(), 200u);
  for (size_t i = 1; i < 128; ++i)
    EXPECT_EQ(r.send_true_ns[i] - r.send_true_ns[i - 1], 20 * kMs) << "probe " << i;
  const size_t n = r.send_true_ns.size();
  EXPECT_EQ(r.send_true_ns[n - 1] - r.send_true_ns[n - 2], 25 * kMs);
}

TEST(ClockSyncScenarios, IntercontinentalJitterStaysWithin1msFrom10sOn) {
  // lockstep-impair's intercontinental profile: 80 ms ± 25 ms each way, 5 % loss. So noisy
  // a path gets 40 probes a second and a 128-probe first burst, and the drift comes from
  // the delay envelopes, which sharpen like 1/N (a least-squares slope: 1/sqrt(N)). Before
  // those (2026-12-06): p50 0.58-0.73 ms, p99 1.64-2.2 ms, max 2.34 ms.
  const SimPath path{{80 * kMs, Jitter::uniform(25 * kMs)}, {80 * kMs, Jitter::uniform(25 * kMs)}};
  Scenario sc = on(path, 0.05);
  sc.duration_ns = 60 * kSec;
  const Worst w = run_matrix("intercontinental 80ms+-25ms 5% loss", sc);
  EXPECT_LE(w.after_10s.max_abs_ns, 1 * kMs);
  EXPECT_LE(w.after_10s.p50_abs_ns, 250 * kUs);
}

TEST(ClockSyncScenarios, IntercontinentalThroughOrderedLanesIsWithin1msFrom30sOnAndSaysSoBefore) {
  // The same profile as lockstep-impair plays it: each direction keeps its packets in order
  // (a fast draw waits for the slower packet before it), other traffic shares the lanes, 2 %
  // of packets are held back 50 ms and overtaken. The lowest delays come rarer than with
  // independent draws.
  const SimPath path = intercontinental_lanes();
  // The drift is what is missing early: with it known exactly, the same samples pin the
  // offset to ~0.1-0.2 ms; at 10-20 s it is known to 50-300 ppm, and the error reaches
  // 1.3-1.9 ms (2026-12-06). The estimate says so: its uncertainty is above 0.3 ms then,
  // and the error stays within twice the uncertainty most of the time.
  Scenario sc = on(path, 0.05);
  sc.duration_ns = 60 * kSec;
  const Worst w = run_matrix("intercontinental, ordered lanes, 2% reorder", sc);
  EXPECT_LE(w.after_30s.max_abs_ns, 1 * kMs);
  EXPECT_LE(w.after_burst.p50_abs_ns, 350 * kUs);
  EXPECT_GE(w.uncertainty_at_6s_min_ns, 300 * kUs);
  EXPECT_LE(w.uncertainty_at_end_ns, 500 * kUs);
  EXPECT_LE(w.beyond_share(), 0.15);
}

TEST(ClockSyncScenarios, IntercontinentalWithTheDriftRememberedIsWithin1msFrom10sOn) {
  // A node that has met this server before starts from the drift it learnt then
  // (net/session/drift_memory.h), 20 ppm off here (temperature, NTP steering; trusted to
  // 10 ppm): the part that is missing early on this path is there from the start.
  Scenario sc = on(intercontinental_lanes(), 0.05);
  sc.remembered_drift_error = 20e-6;
  const Worst w = run_matrix("intercontinental, ordered lanes, drift remembered (20 ppm off)", sc);
  EXPECT_LE(w.after_10s.max_abs_ns, 1 * kMs);
  EXPECT_LE(w.after_10s.p50_abs_ns, 400 * kUs);  // 2 sigmas off leaves a bias until the samples outweigh it
  EXPECT_LE(w.drift_error_10s, 40e-6);
}

TEST(ClockSyncScenarios, AWrongRememberedDriftIsDroppedAndTheClockComesInStep) {
  // The memory is 300 ppm off (the server's key moved to another machine): once the samples
  // have contradicted it for 5 s it is dropped for the usual prior (15-31 s in, 2026-12-07),
  // and by 45 s the clock is as close as a first meeting's. Until then such a memory costs
  // more than none (up to 5 ms off at 30 s): the price of trusting a right one, which is
  // the common case, from the start.
  for (const double off : {300e-6, -300e-6}) {
    Scenario sc = on(intercontinental_lanes(), 0.05);
    sc.remembered_drift_error = off;
    for (const SimulatedClock& clock : client_clocks()) {
      for (int seed = 1; seed <= 3; ++seed) {
        sc.client = clock;
        sc.seed = uint64_t(seed) * 7919;
        const SimResult r = run_scenario(sc);
        SCOPED_TRACE(clock_name(clock) + " seed " + std::to_string(seed) + " memory off by " +
                     std::to_string(off * 1e6) + " ppm");
        std::printf("  %s seed %d, memory %+.0f ppm off: dropped at %.1f s; error max from 30 s %.3f ms, from 45 s %.3f ms\n",
                    clock_name(clock).c_str(), seed, off * 1e6, double(r.remembered_dropped_at_ns) / 1e9,
                    double(error_stats(r, 30 * kSec, sc.duration_ns).max_abs_ns) / 1e6,
                    double(error_stats(r, 45 * kSec, sc.duration_ns).max_abs_ns) / 1e6);
        EXPECT_FALSE(r.final_estimate.remembered_drift);
        EXPECT_EQ(r.final_estimate.remembered_drift_dropped, 1);
        // Even a wrong memory never takes the clock outside its (causal) error bound.
        EXPECT_EQ(error_stats(r, r.settled_at_ns, sc.duration_ns).bound_violations, 0);
        EXPECT_LE(error_stats(r, 45 * kSec, sc.duration_ns).max_abs_ns, 1 * kMs);
        EXPECT_LE(r.max_jump_ns, 2);
      }
    }
  }
  // On a quiet path the first burst already says so.
  Scenario lo = on(loopback());
  lo.remembered_drift_error = 300e-6;
  lo.client = client_clocks()[0];
  const SimResult r = run_scenario(lo);
  EXPECT_EQ(r.final_estimate.remembered_drift_dropped, 1);
  EXPECT_LE(r.remembered_dropped_at_ns, 15 * kSec);
  EXPECT_LE(error_stats(r, 1 * kSec, lo.duration_ns).max_abs_ns, 100 * kUs);
  EXPECT_LE(error_stats(r, 7 * kSec, lo.duration_ns).max_abs_ns, 50 * kUs);
}

TEST(ClockSyncScenarios, ARightRememberedDriftIsKept) {
  Scenario sc = on(loopback());
  sc.remembered_drift_error = 5e-6;
  sc.client = client_clocks()[2];
  const SimResult r = run_scenario(sc);
  EXPECT_TRUE(r.final_estimate.remembered_drift);
  EXPECT_EQ(r.final_estimate.remembered_drift_dropped, 0);
}

TEST(ClockSyncScenarios, BurstLossOnWifiKeepsTheBounds) {
  // lockstep-impair's wifi profile: 4 ms ± 3 ms, 15 % loss in bursts of 4 packets.
  SimPath path{{4 * kMs, Jitter::uniform(3 * kMs)}, {4 * kMs, Jitter::uniform(3 * kMs)}};
  path.burst_length = 4;
  const Worst w = run_matrix("wifi 4ms+-3ms, 15% loss in bursts of 4", on(path, 0.15));
  EXPECT_EQ(w.after_burst.invalid, 0);
  EXPECT_LE(w.after_10s.max_abs_ns, 1 * kMs);
}

TEST(ClockSyncScenarios, ARouteChangeIsTakenWithoutAJump) {
  // 20 ms each way stepping to 120 ms from 20 s to 40 s (both legs: a symmetric change, as
  // lockstep-impair's route-change profile): the estimate stays within its bound, slews
  // (never steps or jumps: run_matrix checks), and stays within 1 ms.
  SimPath path = wan_symmetric();
  path.step = RouteStep{20 * kSec, 40 * kSec, 100 * kMs, 100 * kMs};
  const Worst w = run_matrix("wan 20ms+-5ms, +100ms from 20 s to 40 s", on(path));
  EXPECT_LE(w.after_10s.max_abs_ns, 1 * kMs);
  // The slower route is seen as a change in every run (the way back may simply win the
  // lower envelope by being faster, without a change being declared).
  EXPECT_GE(w.route_changes_min, 1) << "the route change was not seen";
  EXPECT_LE(w.route_changes_max, 2);
}

TEST(ClockSyncScenarios, ABriefQueueIsNotARouteChange) {
  // An upload fills the uplink for 1.5 s: 40 ms more towards the server. Not a new route:
  // the samples from before keep the estimate, and nothing is dropped.
  SimPath path = wan_symmetric();
  path.step = RouteStep{20 * kSec, 21'500 * kMs, 40 * kMs, 0};
  const Worst w = run_matrix("wan 20ms+-5ms, +40ms to the server for 1.5 s", on(path));
  EXPECT_EQ(w.route_changes_max, 0);
  EXPECT_LE(w.after_10s.max_abs_ns, 1 * kMs);
}

TEST(ClockSyncScenarios, AnAsymmetricRouteChangeMovesTheEstimateByHalfAndNoMore) {
  // Only the way to the server grows by 20 ms from 20 s to 40 s: no exchange can see that
  // this is not a clock change, so the estimate moves by half of it (10 ms), slewed in, and
  // back afterwards; the error never exceeds half the asymmetry plus the path's noise.
  SimPath path = wan_symmetric();
  path.step = RouteStep{20 * kSec, 40 * kSec, 20 * kMs, 0};
  const Worst w = run_matrix("wan 20ms+-5ms, +20ms to the server from 20 s to 40 s", on(path));
  EXPECT_LE(w.after_10s.max_abs_ns, 10 * kMs + 1 * kMs);
}

}  // namespace
}  // namespace lockstep::net::test
