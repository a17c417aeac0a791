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

}  // namespace
}  // namespace lockstep::impair
