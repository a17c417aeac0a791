// The impairment model alone: how often packets are lost, duplicated, held back, and how
// much they are delayed, without sockets.
#include "impair/impairment.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/time.h"

namespace lockstep::impair {
namespace {

/// |observed - n p| within 5 binomial standard deviations.
void expect_binomial(int64_t observed, int64_t n, double p, const char* what) {
  const double mean = double(n) * p;
  const double sd = std::sqrt(double(n) * p * (1.0 - p));
  EXPECT_NEAR(double(observed), mean, 5.0 * sd + 1.0) << what;
}

TEST(ImpairmentModel, LossDuplicateAndReorderHappenAtTheAskedRates) {
  ImpairmentParams p;
  p.loss = 0.02;
  p.duplicate = 0.05;
  p.reorder = 0.01;
  ImpairmentModel model(p, 7);
  FlowLane lane;
  const int64_t n = 100'000;
  int64_t lost = 0, doubled = 0, held = 0;
  for (int64_t i = 0; i < n; ++i) {
    const PacketFate f = model.next(i * kNsPerMs, lane);
    lost += f.copies == 0;
    doubled += f.copies == 2;
    held += f.reordered;
  }
  expect_binomial(lost, n, 0.02, "lost");
  expect_binomial(doubled, n - lost, 0.05, "duplicated");
  expect_binomial(held, n - lost, 0.01, "reordered");
}

TEST(ImpairmentModel, JitterStaysWithinItsRangeAndKeepsOrder) {
  ImpairmentParams p;
  p.delay_ns = 20 * kNsPerMs;
  p.jitter_ns = 5 * kNsPerMs;
  ImpairmentModel model(p, 11);
  FlowLane lane;
  int64_t last = INT64_MIN, sum = 0;
  const int n = 20'000;
  for (int i = 0; i < n; ++i) {
    const int64_t arrival = int64_t(i) * 10 * kNsPerMs;  // sparse: order never binds
    const PacketFate f = model.next(arrival, lane);
    ASSERT_EQ(f.copies, 1);
    const int64_t delay = f.release_ns - arrival;
    ASSERT_GE(delay, 15 * kNsPerMs);
    ASSERT_LE(delay, 25 * kNsPerMs);
    ASSERT_GE(f.release_ns, last);
    last = f.release_ns;
    sum += delay;
  }
  EXPECT_NEAR(double(sum) / n / 1e6, 20.0, 0.1);

  // Dense: packets 0.1 ms apart still leave in order, each within delay ± jitter.
  FlowLane dense;
  last = INT64_MIN;
  for (int i = 0; i < 5000; ++i) {
    const int64_t arrival = int64_t(i) * 100 * kNsPerUs;
    const PacketFate f = model.next(arrival, dense);
    ASSERT_GE(f.release_ns, last);
    ASSERT_LE(f.release_ns - arrival, 25 * kNsPerMs);
    last = f.release_ns;
  }
}

TEST(ImpairmentModel, HeldBackPacketsAreOvertakenByLaterOnes) {
  ImpairmentParams p;
  p.delay_ns = 10 * kNsPerMs;
  p.jitter_ns = 2 * kNsPerMs;
  p.reorder = 0.2;
  ImpairmentModel model(p, 3);
  EXPECT_EQ(model.hold_back_ns(), 4 * kNsPerMs);
  FlowLane lane;
  int64_t overtaken = 0, held = 0, latest = INT64_MIN;
  for (int i = 0; i < 2000; ++i) {
    const PacketFate f = model.next(int64_t(i) * kNsPerMs, lane);
    held += f.reordered;
    if (f.release_ns < latest) ++overtaken;  // leaves before a packet sent earlier
    latest = std::max(latest, f.release_ns);
  }
  EXPECT_GT(held, 300);
  EXPECT_GT(overtaken, held / 2);
}

TEST(ImpairmentModel, ASeedRepeatsTheSameRun) {
  ImpairmentParams p;
  p.delay_ns = 5 * kNsPerMs;
  p.jitter_ns = 3 * kNsPerMs;
  p.loss = 0.1;
  p.duplicate = 0.1;
  p.reorder = 0.1;
  ImpairmentModel a(p, 42), b(p, 42);
  FlowLane la, lb;
  for (int i = 0; i < 1000; ++i) {
    const PacketFate x = a.next(i * kNsPerMs, la), y = b.next(i * kNsPerMs, lb);
    ASSERT_EQ(x.copies, y.copies);
    ASSERT_EQ(x.release_ns, y.release_ns);
    ASSERT_EQ(x.reordered, y.reordered);
  }
}

TEST(ImpairmentModel, NoImpairmentPassesEverythingAtOnce) {
  ImpairmentModel model(ImpairmentParams{}, 1);
  FlowLane lane;
  for (int i = 0; i < 1000; ++i) {
    const PacketFate f = model.next(i * kNsPerUs, lane);
    ASSERT_EQ(f.copies, 1);
    ASSERT_EQ(f.release_ns, i * kNsPerUs);
    ASSERT_FALSE(f.reordered);
  }
}

TEST(ImpairmentModel, BurstLossHasTheAskedShareAndMeanBurstLength) {
  for (const double burst : {0.0, 4.0, 10.0}) {
    ImpairmentParams p;
    p.loss = 0.15;
    p.burst_length = burst;
    ImpairmentModel model(p, 11);
    FlowLane lane;
    const int64_t n = 400'000;
    int64_t lost = 0, bursts = 0;
    bool in_burst = false;
    for (int64_t i = 0; i < n; ++i) {
      const bool l = model.next(i * kNsPerMs, lane).copies == 0;
      lost += l;
      if (l && !in_burst) ++bursts;
      in_burst = l;
    }
    const double share = double(lost) / double(n);
    const double mean_burst = double(lost) / double(bursts);
    // Independent losses come in runs of 1 / (1 - p) on average.
    const double expected_burst = burst > 1.0 ? burst : 1.0 / (1.0 - p.loss);
    std::printf("loss 15%% with burst length %.0f: lost %.2f %%, mean burst %.2f packets\n", burst, share * 100, mean_burst);
    EXPECT_NEAR(share, 0.15, 0.01) << "burst " << burst;
    EXPECT_NEAR(mean_burst, expected_burst, 0.08 * expected_burst) << "burst " << burst;
  }
}

TEST(ImpairmentModel, ARouteChangeStepsTheDelayAndBackWithoutReordering) {
  ImpairmentParams p;
  p.delay_ns = 20 * kNsPerMs;
  p.step_delay_ns = 120 * kNsPerMs;
  p.step_at_ns = 10 * kNsPerSec;
  p.step_for_ns = 10 * kNsPerSec;
  const int64_t start = 1000 * kNsPerSec;
  ImpairmentModel model(p, 3, start);
  FlowLane lane;
  int64_t last_release = 0;
  for (int64_t t = 0; t < 30 * kNsPerSec; t += 50 * kNsPerMs) {
    const PacketFate f = model.next(start + t, lane);
    ASSERT_EQ(f.copies, 1);
    EXPECT_GE(f.release_ns, last_release) << "a packet overtook another at " << t / 1e9 << " s";
    last_release = f.release_ns;
    const int64_t delay = f.release_ns - (start + t);
    int64_t expected = -1;
    if (t < 10 * kNsPerSec) expected = 20 * kNsPerMs;
    else if (t < 20 * kNsPerSec) expected = 120 * kNsPerMs;
    // Back to 20 ms: packets wait behind those of the slow route still in flight (100 ms).
    else if (t >= 20 * kNsPerSec + 100 * kNsPerMs) expected = 20 * kNsPerMs;
    if (expected >= 0) {
      EXPECT_EQ(delay, expected) << t / 1e9;
    }
  }
}

TEST(ImpairmentModel, ARateLimitedLinkQueuesTrafficAndDropsBeyondItsBuffer) {
  ImpairmentParams p;
  p.delay_ns = 10 * kNsPerMs;
  p.rate_bps = 1e6;              // 1 Mbit/s: a 1000-byte packet takes 8 ms on the wire
  p.queue_ns = 100 * kNsPerMs;  // the buffer holds 100 ms of waiting
  ImpairmentModel model(p, 5);
  FlowLane lane;
  // Ten packets at once: each waits for those before it (bufferbloat).
  for (int i = 0; i < 10; ++i) {
    const PacketFate f = model.next(0, lane, 1000);
    ASSERT_EQ(f.copies, 1);
    EXPECT_EQ(f.release_ns, 10 * kNsPerMs + (i + 1) * 8 * kNsPerMs) << i;
  }
  // Forty more at the same moment: those that would wait more than 100 ms are dropped.
  int sent = 0, full = 0;
  for (int i = 0; i < 40; ++i) {
    const PacketFate f = model.next(0, lane, 1000);
    sent += f.copies;
    full += f.queue_full;
  }
  EXPECT_EQ(sent, 3) << "12 packets fit the 100 ms buffer (10 + 3 more start within 100 ms)";
  EXPECT_EQ(full, 37);
  // Sustained traffic at twice the rate for 10 s: the link passes its rate, no more.
  ImpairmentModel steady(p, 6);
  FlowLane lane2;
  int64_t passed_bytes = 0, last = 0;
  for (int64_t t = 0; t < 10 * kNsPerSec; t += 4 * kNsPerMs) {  // 1000 B every 4 ms = 2 Mbit/s
    const PacketFate f = steady.next(t, lane2, 1000);
    if (f.copies == 0) continue;
    passed_bytes += 1000;
    last = f.release_ns;
  }
  const double rate = double(passed_bytes) * 8.0 / (double(last - 10 * kNsPerMs) / 1e9);
  EXPECT_NEAR(rate, 1e6, 0.02e6);
}

}  // namespace
}  // namespace lockstep::impair
