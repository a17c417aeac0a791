// The simulated node clock and its spec parser (a test aid: LOCKSTEP_SIM_CLOCK).
#include "net/clocksync/sim_clock.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace lockstep::net {
namespace {

/// gtest assertion: `text` contains `part`.
::testing::AssertionResult Mentions(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not mention \"" << part << "\"";
}

constexpr int64_t kSec = 1'000'000'000;

TEST(SimulatedClock, AppliesOffsetAndDriftFromT0) {
  const SimulatedClock c{-5 * kSec, 200e-6, 10 * kSec};
  EXPECT_EQ(c.local_from_true(10 * kSec), 5 * kSec);
  EXPECT_EQ(c.local_from_true(20 * kSec), 15 * kSec + 2'000'000);  // +200 ppm of 10 s
  EXPECT_EQ(c.local_from_true(0), -5 * kSec - 10 * kSec - 2'000'000 + 10 * kSec);
}

TEST(SimulatedClock, TrueFromLocalInvertsLocalFromTrue) {
  for (double drift : {-10'000e-6, -200e-6, 0.0, 3.7e-6, 200e-6, 10'000e-6}) {
    const SimulatedClock c{3'200'000'000, drift, 123'456'789};
    for (int64_t t :
         {int64_t(0), int64_t(-7) * kSec, int64_t(86'400) * kSec, int64_t(1'000'000) * kSec + 1}) {
      EXPECT_NEAR(double(c.true_from_local(c.local_from_true(t))), double(t), 1.0)
          << "drift " << drift << " t " << t;
    }
  }
}

TEST(ParseSimulatedClock, ReadsOffsetAndDriftWithUnits) {
  auto c = parse_simulated_clock("offset=-5s,drift=200ppm");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->offset_ns, -5 * kSec);
  EXPECT_DOUBLE_EQ(c->drift, 200e-6);
  EXPECT_EQ(c->t0_ns, 0);

  struct Case {
    const char* spec;
    int64_t offset_ns;
    double drift;
  };
  for (const Case& k : {Case{"offset=1.5ms", 1'500'000, 0.0}, Case{"offset=250us", 250'000, 0.0},
                        Case{"offset=2\xC2\xB5s", 2'000, 0.0}, Case{"offset=10ns", 10, 0.0},
                        Case{" offset = +3.2s , drift = -50ppb ", 3'200'000'000, -50e-9},
                        Case{"drift=0.5ppm", 0, 0.5e-6}, Case{"offset=1e-3s", 1'000'000, 0.0}}) {
    auto r = parse_simulated_clock(k.spec);
    ASSERT_TRUE(r.ok()) << k.spec << ": " << r.error();
    EXPECT_EQ(r->offset_ns, k.offset_ns) << k.spec;
    EXPECT_DOUBLE_EQ(r->drift, k.drift) << k.spec;
  }
}

TEST(ParseSimulatedClock, ErrorsNameTheBadPart) {
  struct Case {
    const char* spec;
    const char* mentions;
  };
  for (const Case& k : {
           Case{"", "empty"},
           Case{"offset=5", "\"5\" has no unit"},
           Case{"offset=5h", "unit \"h\""},
           Case{"offset=fast", "\"fast\" is not a number"},
           Case{"drift=200", "\"200\" has no unit; use ppm or ppb"},
           Case{"drift=2%", "unit \"%\""},
           Case{"offset=1s,speed=2", "unknown key \"speed\""},
           Case{"offset=1s,offset=2s", "offset is given twice"},
           Case{"offset=1s,drift", "part \"drift\" is not key=value"},
           Case{"drift=20000ppm", "out of range"},
           Case{"offset=2000000s", "out of range"},
       }) {
    auto r = parse_simulated_clock(k.spec);
    ASSERT_FALSE(r.ok()) << k.spec;
    EXPECT_TRUE(Mentions(r.error(), k.mentions)) << k.spec;
    EXPECT_TRUE(Mentions(r.error(), "simulated clock")) << k.spec;
  }
}

TEST(SimulatedClockFromEnv, UnsetMeansNoneAndBadSpecNamesTheVariable) {
  ::unsetenv(kSimClockEnv);
  auto none = simulated_clock_from_env(42);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  ::setenv(kSimClockEnv, "offset=+700ms,drift=-200ppm", 1);
  auto some = simulated_clock_from_env(42);
  ASSERT_TRUE(some.ok()) << some.error();
  ASSERT_TRUE(some->has_value());
  EXPECT_EQ((*some)->offset_ns, 700'000'000);
  EXPECT_DOUBLE_EQ((*some)->drift, -200e-6);
  EXPECT_EQ((*some)->t0_ns, 42);

  ::setenv(kSimClockEnv, "offset=7", 1);
  auto bad = simulated_clock_from_env(0);
  EXPECT_FALSE(bad.ok());
  EXPECT_TRUE(Mentions(bad.error(), kSimClockEnv));
  ::unsetenv(kSimClockEnv);
}

}  // namespace
}  // namespace lockstep::net
