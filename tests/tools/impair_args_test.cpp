// lockstep-impair's argument values: durations, percentages and loopback-only endpoints.
#include "impair/impair_args.h"

#include <gtest/gtest.h>

#include "core/time.h"

namespace lockstep::impair {
namespace {

TEST(ImpairArgs, DurationsAcceptUnitsAndBareNumbersInTheDefaultUnit) {
  EXPECT_EQ(*parse_duration_ns("20ms", kNsPerMs), 20 * kNsPerMs);
  EXPECT_EQ(*parse_duration_ns("0.5s", kNsPerMs), 500 * kNsPerMs);
  EXPECT_EQ(*parse_duration_ns("250us", kNsPerMs), 250 * kNsPerUs);
  EXPECT_EQ(*parse_duration_ns("1500ns", kNsPerMs), 1500);
  EXPECT_EQ(*parse_duration_ns("2min", kNsPerSec), 120 * kNsPerSec);
  EXPECT_EQ(*parse_duration_ns("20", kNsPerMs), 20 * kNsPerMs);
  EXPECT_EQ(*parse_duration_ns("60", kNsPerSec), 60 * kNsPerSec);
  EXPECT_EQ(*parse_duration_ns("0", kNsPerMs), 0);
}

TEST(ImpairArgs, UnreadableDurationsAreRefusedWithTheValue) {
  for (const char* bad :
       {"", "ms", "-5ms", "+5ms", "20 parsecs", "2h", "nan", "inf", "1e3ms", "20msx", "0x10ms"}) {
    const auto r = parse_duration_ns(bad, kNsPerMs);
    ASSERT_FALSE(r.ok()) << "'" << bad << "' was accepted";
    EXPECT_NE(r.error().find(std::string("'") + bad + "'"), std::string::npos) << r.error();
  }
}

TEST(ImpairArgs, SharesArePercentages) {
  EXPECT_DOUBLE_EQ(*parse_share("2%"), 0.02);
  EXPECT_DOUBLE_EQ(*parse_share("0.5%"), 0.005);
  EXPECT_DOUBLE_EQ(*parse_share("2"), 0.02);
  EXPECT_DOUBLE_EQ(*parse_share("100%"), 1.0);
  EXPECT_DOUBLE_EQ(*parse_share("0%"), 0.0);
  for (const char* bad : {"", "%", "-1%", "101%", "2%%", "two", "2 percent"})
    EXPECT_FALSE(parse_share(bad).ok()) << "'" << bad << "' was accepted";
}

TEST(ImpairArgs, LoopbackEndpointsAreParsed) {
  auto v4 = parse_loopback_endpoint("127.0.0.1:7460", false);
  ASSERT_TRUE(v4.ok()) << v4.error();
  EXPECT_EQ(v4->family, AF_INET);
  EXPECT_EQ(v4->port, 7460);
  EXPECT_EQ(format_endpoint(v4->addr), "127.0.0.1:7460");

  auto other127 = parse_loopback_endpoint("127.3.2.1:1", false);
  ASSERT_TRUE(other127.ok()) << other127.error();

  auto v6 = parse_loopback_endpoint("[::1]:65535", false);
  ASSERT_TRUE(v6.ok()) << v6.error();
  EXPECT_EQ(v6->family, AF_INET6);
  EXPECT_EQ(format_endpoint(v6->addr), "[::1]:65535");

  auto local = parse_loopback_endpoint("localhost:7450", false);
  ASSERT_TRUE(local.ok()) << local.error();
  EXPECT_EQ(format_endpoint(local->addr), "127.0.0.1:7450");

  EXPECT_TRUE(parse_loopback_endpoint("127.0.0.1:0", true).ok());
}

TEST(ImpairArgs, NonLoopbackAddressesAreRefused) {
  for (const char* far : {"0.0.0.0:7460", "10.0.0.1:7460", "192.0.2.1:7460", "128.0.0.1:7460",
                          "[::]:7460", "[2001:db8::1]:7460", "[::ffff:10.0.0.1]:7460",
                          "example.com:7460", "localhost.example.com:7460"}) {
    const auto r = parse_loopback_endpoint(far, true);
    ASSERT_FALSE(r.ok()) << far << " was accepted";
    EXPECT_NE(r.error().find("loopback address"), std::string::npos) << r.error();
  }
}

TEST(ImpairArgs, BadPortsAreRefused) {
  EXPECT_FALSE(parse_loopback_endpoint("127.0.0.1:0", false).ok());
  const auto high = parse_loopback_endpoint("127.0.0.1:65536", true);
  ASSERT_FALSE(high.ok());
  EXPECT_NE(high.error().find("out of range"), std::string::npos) << high.error();
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:x", "127.0.0.1:-1", "::1:7460",
                          "[::1]7460", "127.0.0.1:7460x"})
    EXPECT_FALSE(parse_loopback_endpoint(bad, true).ok()) << bad << " was accepted";
}

TEST(ImpairArgs, DurationsFormatForPeople) {
  EXPECT_EQ(format_duration(20 * kNsPerMs), "20 ms");
  EXPECT_EQ(format_duration(60 * kNsPerSec), "60 s");
  EXPECT_EQ(format_duration(1500 * kNsPerMs), "1.5 s");
  EXPECT_EQ(format_duration(250 * kNsPerUs), "250 us");
}

TEST(ImpairArgs, RatesTakeBitUnits) {
  EXPECT_DOUBLE_EQ(*parse_rate_bps("2Mbit"), 2e6);
  EXPECT_DOUBLE_EQ(*parse_rate_bps("500kbit"), 5e5);
  EXPECT_DOUBLE_EQ(*parse_rate_bps("1Gbit"), 1e9);
  EXPECT_DOUBLE_EQ(*parse_rate_bps("64000"), 64000.0);
  EXPECT_FALSE(parse_rate_bps("2MB").ok());
  EXPECT_FALSE(parse_rate_bps("1bit").ok());
  EXPECT_NE(parse_rate_bps("fast").error().find("2Mbit"), std::string::npos);
}

TEST(ImpairArgs, ProfilesSetTheirValuesAndOptionsOverrideThem) {
  ImpairOptions o;
  o.profile = "asymmetric";
  auto a = make_impairments(o);
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ(a->up.delay_ns, 30 * kNsPerMs);
  EXPECT_EQ(a->down.delay_ns, 5 * kNsPerMs);
  EXPECT_EQ(a->up.jitter_ns, kNsPerMs);

  o.profile = "intercontinental";
  o.loss = "10%";  // over the profile's 5 %
  auto ic = make_impairments(o);
  ASSERT_TRUE(ic.ok()) << ic.error();
  EXPECT_EQ(ic->up.delay_ns, 80 * kNsPerMs);
  EXPECT_EQ(ic->down.jitter_ns, 25 * kNsPerMs);
  EXPECT_DOUBLE_EQ(ic->up.loss, 0.10);
  EXPECT_DOUBLE_EQ(ic->down.reorder, 0.02);
  EXPECT_DOUBLE_EQ(ic->down.duplicate, 0.01);

  ImpairOptions w;
  w.profile = "wifi";
  auto wifi = make_impairments(w);
  ASSERT_TRUE(wifi.ok());
  EXPECT_DOUBLE_EQ(wifi->up.burst_length, 4.0);
  ImpairOptions r;
  r.profile = "route-change";
  auto rc = make_impairments(r);
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(rc->up.step_delay_ns, 120 * kNsPerMs);
  EXPECT_EQ(rc->up.step_at_ns, 10 * kNsPerSec);
  EXPECT_EQ(rc->down.step_for_ns, 10 * kNsPerSec);
  ImpairOptions b;
  b.profile = "bufferbloat";
  auto bb = make_impairments(b);
  ASSERT_TRUE(bb.ok());
  EXPECT_DOUBLE_EQ(bb->up.rate_bps, 2e6);
  EXPECT_EQ(bb->down.queue_ns, 300 * kNsPerMs);
  for (const auto& pr : profiles()) {
    ImpairOptions any;
    any.profile = pr.name;
    EXPECT_TRUE(make_impairments(any).ok()) << pr.name;
  }
}

TEST(ImpairArgs, InconsistentImpairmentsAreExplained) {
  const auto error_of = [](ImpairOptions o) {
    auto r = make_impairments(o);
    return r.ok() ? std::string() : r.error();
  };
  ImpairOptions o;
  o.profile = "satellite";
  EXPECT_NE(error_of(o).find("intercontinental"), std::string::npos) << "the error lists the profiles";
  o = {};
  o.burst = "4";
  EXPECT_NE(error_of(o).find("--burst needs --loss"), std::string::npos);
  o.loss = "10%";
  o.burst = "0.5";
  EXPECT_NE(error_of(o).find("mean burst length"), std::string::npos);
  o = {};
  o.queue = "100ms";
  EXPECT_NE(error_of(o).find("--queue needs --rate"), std::string::npos);
  o = {};
  o.step_at = "5s";
  EXPECT_NE(error_of(o).find("--step-delay"), std::string::npos);
  o = {};
  o.up_delay = "fast";
  EXPECT_NE(error_of(o).find("--up-delay"), std::string::npos);
}

}  // namespace
}  // namespace lockstep::impair
