// ClockEstimator on hand-made exchanges: acceptance, exact recovery, mapping continuity
// (slew and step), inversion, probe schedule, gap reset and reset.
#include "net/clocksync/clock_estimator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "net/clocksync/sim_clock.h"

namespace lockstep::net {
namespace {

constexpr int64_t kUs = 1'000;
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1'000'000'000;

/// One exchange sent at true time `send_ns` by a client with clock `client`; the server's
/// clock is true time.
ClockSample exchange(const SimulatedClock& client, int64_t send_ns, int64_t out_ns, int64_t back_ns,
                     int64_t turnaround_ns = 10 * kUs) {
  ClockSample s;
  s.t1_ns = client.local_from_true(send_ns);
  s.t2_ns = send_ns + out_ns;
  s.t3_ns = s.t2_ns + turnaround_ns;
  s.t4_ns = client.local_from_true(s.t3_ns + back_ns);
  return s;
}

/// session - local at local time `local_ns`, the truth the estimator is after.
int64_t true_offset(const SimulatedClock& client, int64_t local_ns) {
  return client.true_from_local(local_ns) - local_ns;
}

/// Feeds `count` exchanges `interval_ns` apart starting at true `start_ns`; returns the true
/// time after the last one.
int64_t feed(ClockEstimator& est, const SimulatedClock& client, int64_t start_ns, int count,
             int64_t interval_ns, int64_t out_ns = 1 * kMs, int64_t back_ns = 1 * kMs) {
  int64_t t = start_ns;
  for (int i = 0; i < count; ++i, t += interval_ns) {
    EXPECT_TRUE(est.add(exchange(client, t, out_ns, back_ns)));
  }
  return t;
}

TEST(ClockSample, OffsetAndDelayFollowTheFourTimestampFormulas) {
  const ClockSample s{100, 5'000'150, 5'000'170, 400};  // out 150-ish, back 230-ish
  EXPECT_EQ(s.offset_ns(), ((5'000'150 - 100) + (5'000'170 - 400)) / 2);
  EXPECT_EQ(s.delay_ns(), (400 - 100) - (5'000'170 - 5'000'150));
  EXPECT_EQ(s.local_mid_ns(), 250);
}

TEST(ClockEstimator, RejectsNonsenseSamples) {
  ClockEstimator est;
  EXPECT_FALSE(est.add({1000, 50, 60, 900}));    // received before it was sent
  EXPECT_FALSE(est.add({1000, 60, 50, 2000}));   // server replied before receiving
  EXPECT_FALSE(est.add({1000, 0, 5000, 2000}));  // server held it longer than the trip
  EXPECT_FALSE(est.add({0, 0, 0, 6 * kSec}));    // older than max_delay_ns
  EXPECT_TRUE(est.add({1000, 1500, 1600, 2000}));
  EXPECT_FALSE(est.add({-40 * kSec, 0, 0, -39 * kSec}));  // older than the window's span
  const ClockEstimate e = est.estimate();
  EXPECT_EQ(e.rejected, 5);
  EXPECT_EQ(e.samples, 1);
}

TEST(ClockEstimator, RecoversOffsetAndDriftExactlyOnAJitterFreePath) {
  const SimulatedClock client{-5 * kSec, 120e-6, 0};
  ClockEstimator est;
  const int64_t end = feed(est, client, 0, 40, 250 * kMs);
  const ClockEstimate e = est.estimate();
  ASSERT_TRUE(e.valid);
  EXPECT_NEAR(double(e.offset_ns), double(true_offset(client, e.ref_local_ns)), 20.0);
  EXPECT_NEAR(e.drift, -120e-6 / (1 + 120e-6), 0.05e-6);
  EXPECT_NEAR(double(e.min_delay_ns), 2e6 * (1 + 120e-6), 2.0);  // in local ns
  EXPECT_LE(e.jitter_ns, 10);
  // The bound is about half the round trip: a constant asymmetry could hide in it.
  EXPECT_GE(e.error_bound_ns, 1 * kMs - 10 * kUs);
  EXPECT_LE(e.error_bound_ns, 1 * kMs + 10 * kUs);
  const int64_t local = client.local_from_true(end);
  EXPECT_NEAR(double(est.to_session(local)), double(end), 30.0);
}

TEST(ClockEstimator, ConstantPathAsymmetryIsInsideTheBound) {
  // 0.5 ms out, 3.5 ms back: the estimate is 1.5 ms off and must say it may be.
  const SimulatedClock client{2 * kSec, 0.0, 0};
  ClockEstimator est;
  const int64_t end = feed(est, client, 0, 30, 200 * kMs, 500 * kUs, 3500 * kUs);
  const int64_t local = client.local_from_true(end);
  const int64_t error = est.to_session(local) - end;
  EXPECT_NEAR(double(error), -1.5e6, 2e3);
  EXPECT_GE(est.error_bound_at(local), std::abs(error));
}

TEST(ClockEstimator, ValidFromMinSamplesSettledAfterTheBurst) {
  const SimulatedClock client{3 * kSec, 0.0, 0};
  ClockEstimator est;
  EXPECT_FALSE(est.valid());
  EXPECT_EQ(est.to_session(12345), 12345);  // no sample yet: identity
  EXPECT_EQ(est.error_bound_at(0), INT64_MAX);
  feed(est, client, 0, 3, 20 * kMs);
  EXPECT_FALSE(est.valid());
  feed(est, client, 60 * kMs, 1, 20 * kMs);
  EXPECT_TRUE(est.valid());
  EXPECT_FALSE(est.estimate().settled);
  feed(est, client, 80 * kMs, 12, 20 * kMs);
  EXPECT_TRUE(est.estimate().settled);
  EXPECT_EQ(est.estimate().samples, 16);
}

TEST(ClockEstimator, ToLocalInvertsToSessionWithDriftAndSlew) {
  const SimulatedClock client{700 * kMs, 200e-6, 0};
  ClockEstimatorParams p;
  p.window = 1;  // each sample is the whole fit: easy to force a correction
  p.min_valid_samples = 1;
  ClockEstimator est(p);
  int64_t t = feed(est, client, 0, 20, 20 * kMs);
  // Shift the path by 1.6 ms one way so that the fit moves by 0.8 ms: slewed.
  est.add(exchange(client, t, 1 * kMs + 1600 * kUs, 1 * kMs));
  ASSERT_NE(est.estimate().slew_ns, 0);
  const int64_t base = client.local_from_true(t);
  for (int64_t d = -3 * kSec; d <= 5 * kSec; d += 37 * kMs + 11) {
    const int64_t x = base + d;
    EXPECT_NEAR(double(est.to_local(est.to_session(x))), double(x), 1.0) << "at " << d;
  }
  EXPECT_EQ(est.to_local(est.to_session(-9 * kSec)), -9 * kSec);
}

TEST(ClockEstimator, NewFitIsSlewedInAtTheBoundedRate) {
  const SimulatedClock client{0, 0.0, 0};
  ClockEstimatorParams p;
  p.window = 1;
  p.min_valid_samples = 1;
  ClockEstimator est(p);
  const int64_t t = feed(est, client, 0, 16, 20 * kMs);
  ASSERT_TRUE(est.estimate().settled);
  const ClockSample shifted = exchange(client, t, 3 * kMs, 1 * kMs);  // fit moves +1 ms
  const int64_t now = shifted.t4_ns;
  const int64_t before = est.to_session(now);
  est.add(shifted);
  const ClockEstimate e = est.estimate();
  EXPECT_EQ(e.steps, 0);
  EXPECT_LE(std::abs(est.to_session(now) - before), 1) << "continuous at the update";
  EXPECT_NEAR(double(e.slew_ns), -1e6, 2e3);
  // While slewing, to_session runs at most max_slew_rate faster than the fit: 1 ms of
  // correction takes 2 s at 500 ppm, then the mapping is the fit.
  const int64_t fit_now = now + e.offset_ns;
  const int64_t in_1s = est.to_session(now + kSec) - (now + kSec + e.offset_ns);
  EXPECT_NEAR(double(in_1s), -0.5e6, 2e3);
  EXPECT_EQ(est.to_session(now + 2 * kSec + kMs), now + 2 * kSec + kMs + e.offset_ns);
  int64_t prev = est.to_session(now);
  for (int64_t l = now; l < now + 3 * kSec; l += 10 * kMs) {
    const int64_t s = est.to_session(l + 10 * kMs);
    EXPECT_GE(s - prev, 10 * kMs - 10 * kMs / 1000 - 1) << "rate above 1 - 1000 ppm";
    EXPECT_LE(s - prev, 10 * kMs + 10 * kMs / 1000 + 1) << "rate below 1 + 1000 ppm";
    prev = s;
  }
  EXPECT_LE(std::abs(fit_now + e.slew_ns - before), 2);
  // The bound covers the correction still pending.
  EXPECT_GE(est.error_bound_at(now), e.error_bound_ns + 999 * kUs);
}

TEST(ClockEstimator, CorrectionAboveStepThresholdIsStepped) {
  const SimulatedClock client{0, 0.0, 0};
  ClockEstimatorParams p;
  p.window = 1;
  p.min_valid_samples = 1;
  ClockEstimator est(p);
  const int64_t t = feed(est, client, 0, 16, 20 * kMs);
  const ClockSample shifted = exchange(client, t, 21 * kMs, 1 * kMs);  // fit moves +10 ms
  const int64_t before = est.to_session(shifted.t4_ns);
  est.add(shifted);
  EXPECT_EQ(est.estimate().steps, 1);
  EXPECT_EQ(est.estimate().slew_ns, 0);
  EXPECT_NEAR(double(est.to_session(shifted.t4_ns) - before), 10e6, 2e3);
}

TEST(ClockEstimator, ProbeScheduleIsBurstThenQuietOrNoisyRate) {
  const ClockEstimatorParams p;
  const SimulatedClock client{0, 0.0, 0};
  ClockEstimator quiet;
  EXPECT_EQ(quiet.next_probe_delay_ns(0), p.burst_interval_ns);
  int64_t t = feed(quiet, client, 0, p.burst_probes - 1, 20 * kMs);
  EXPECT_EQ(quiet.next_probe_delay_ns(client.local_from_true(t)), p.burst_interval_ns);
  t = feed(quiet, client, t, 1, 20 * kMs);
  EXPECT_EQ(quiet.next_probe_delay_ns(client.local_from_true(t)), p.steady_interval_ns);

  // Jitter of several ms: probe at the noisy rate.
  ClockEstimator noisy;
  t = 0;
  for (int i = 0; i < p.burst_probes; ++i, t += 20 * kMs) {
    noisy.add(exchange(client, t, 20 * kMs + (i % 4) * 3 * kMs, 20 * kMs + (i % 3) * 2 * kMs));
  }
  EXPECT_GT(noisy.estimate().jitter_ns, p.noisy_jitter_ns);
  EXPECT_EQ(noisy.next_probe_delay_ns(client.local_from_true(t)), p.noisy_interval_ns);
}

TEST(ClockEstimator, GapResetKeepsTheMappingAndRestartsTheBurstOnTheFirstAnswer) {
  const ClockEstimatorParams p;
  const SimulatedClock client{1 * kSec, 50e-6, 0};
  ClockEstimator est;
  const int64_t t = feed(est, client, 0, 40, 250 * kMs);
  const int64_t last_local = est.estimate().ref_local_ns;
  EXPECT_FALSE(est.check_gap(last_local + p.gap_reset_ns - 1));
  const int64_t probe_at = last_local + 12 * kSec;
  const int64_t session_before = est.to_session(probe_at);
  EXPECT_TRUE(est.check_gap(last_local + p.gap_reset_ns));
  ClockEstimate e = est.estimate();
  EXPECT_EQ(e.gap_resets, 1);
  EXPECT_EQ(e.samples, 0);
  EXPECT_FALSE(e.valid);
  EXPECT_EQ(est.to_session(probe_at), session_before) << "mapping kept across the reset";
  EXPECT_EQ(est.next_probe_delay_ns(probe_at), p.steady_interval_ns) << "no flooding";
  // The server answers again: burst.
  const int64_t t2 = t + 12 * kSec;
  feed(est, client, t2, 1, 0);
  EXPECT_EQ(est.next_probe_delay_ns(client.local_from_true(t2)), p.burst_interval_ns);
  // The old mapping stays until the new window is valid; then it is slewed, not stepped.
  const int64_t end = feed(est, client, t2 + 20 * kMs, p.burst_probes, 20 * kMs);
  e = est.estimate();
  EXPECT_TRUE(e.valid);
  EXPECT_EQ(e.steps, 0);
  const int64_t local = client.local_from_true(end);
  EXPECT_NEAR(double(est.to_session(local)), double(end), 2e3);
}

TEST(ClockEstimator, SampleAfterLongSilenceResetsTheWindow) {
  const SimulatedClock client{0, 0.0, 0};
  ClockEstimator est;
  const int64_t t = feed(est, client, 0, 20, 100 * kMs);
  feed(est, client, t + 11 * kSec, 1, 0);
  const ClockEstimate e = est.estimate();
  EXPECT_EQ(e.gap_resets, 1);
  EXPECT_EQ(e.samples, 1);
}

TEST(ClockEstimator, OutOfOrderRepliesAreUsed) {
  const SimulatedClock client{-2 * kSec, 0.0, 0};
  ClockEstimator est;
  feed(est, client, 0, 10, 100 * kMs);
  const ClockSample late = exchange(client, 1000 * kMs, 1 * kMs, 1 * kMs);
  feed(est, client, 1100 * kMs, 3, 100 * kMs);
  EXPECT_TRUE(est.add(late));
  EXPECT_EQ(est.estimate().samples, 14);
  EXPECT_EQ(est.estimate().ref_local_ns, client.local_from_true(1300 * kMs + 2 * kMs + 10 * kUs));
}

TEST(ClockEstimator, DriftBeyondTheLimitIsClampedAndOldSamplesDropped) {
  const SimulatedClock client{0, -800e-6, 0};  // session - local drifts by +800 ppm
  ClockEstimator est;
  feed(est, client, 0, 80, 250 * kMs);
  const ClockEstimate e = est.estimate();
  EXPECT_GT(e.dropped, 0);
  EXPECT_DOUBLE_EQ(e.drift, est.params().max_drift);
}

TEST(ClockEstimator, MappingCopyIsAStableValueForOtherThreads) {
  const SimulatedClock client{-5 * kSec, 200e-6, 0};
  ClockEstimator est;
  EXPECT_FALSE(est.mapping().known());
  EXPECT_EQ(est.mapping().to_session(99), 99);
  int64_t t = feed(est, client, 0, 20, 20 * kMs);
  const ClockMapping copy = est.mapping();  // what the render thread would hold
  ASSERT_TRUE(copy.known());
  const int64_t local = client.local_from_true(t);
  EXPECT_EQ(copy.to_session(local), est.to_session(local));
  EXPECT_EQ(copy.error_bound_at(local), est.error_bound_at(local));
  feed(est, client, t, 5, 500 * kMs, 3 * kMs, 1 * kMs);      // the estimator moves on...
  EXPECT_NE(copy.to_session(local), est.to_session(local));  // ...the copy does not
  EXPECT_NEAR(double(copy.to_local(copy.to_session(local))), double(local), 1.0);
}

TEST(ClockEstimator, ResetForgetsEverything) {
  const SimulatedClock client{5 * kSec, 0.0, 0};
  ClockEstimator est;
  feed(est, client, 0, 20, 20 * kMs);
  est.add({10, 0, 0, 5});  // rejected
  est.reset();
  const ClockEstimate e = est.estimate();
  EXPECT_FALSE(e.valid);
  EXPECT_FALSE(e.settled);
  EXPECT_EQ(e.samples, 0);
  EXPECT_EQ(e.rejected, 0);
  EXPECT_EQ(e.offset_ns, 0);
  EXPECT_EQ(est.to_session(777), 777);
  EXPECT_EQ(est.next_probe_delay_ns(0), est.params().burst_interval_ns);
}

}  // namespace
}  // namespace lockstep::net
