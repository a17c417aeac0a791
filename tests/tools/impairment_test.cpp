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

}  // namespace
}  // namespace lockstep::impair
