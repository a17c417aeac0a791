// What people paste as a session address: each form is understood or refused with a reason.
#include <gtest/gtest.h>

#include "net/transport/endpoint.h"

namespace lockstep::net {
namespace {

TEST(Endpoint, AcceptsTheFormsPeoplePaste) {
  struct Case { std::string text; std::string host; int port; };
  for (const Case& c : std::vector<Case>{{"studio-a", "studio-a", 7450},
                                         {"studio-a:9000", "studio-a", 9000},
                                         {"192.168.1.20", "192.168.1.20", 7450},
                                         {" 192.168.1.20:7451 ", "192.168.1.20", 7451},
                                         {"udp://review.example.org:7452", "review.example.org", 7452},
                                         {"UDP://10.0.0.5:7453/", "10.0.0.5", 7453}}) {
    auto ep = parse_endpoint(c.text, 7450);
    ASSERT_TRUE(ep.ok()) << c.text << ": " << ep.error();
    EXPECT_EQ(ep->host, c.host) << c.text;
    EXPECT_EQ(ep->port, c.port) << c.text;
  }
}

TEST(Endpoint, RefusesTcpWithTheReason) {
  auto ep = parse_endpoint("tcp://0.tcp.ngrok.io:12345", 7450);
  ASSERT_FALSE(ep.ok());
  EXPECT_NE(ep.error().find("UDP"), std::string::npos) << ep.error();
  EXPECT_NE(ep.error().find("TCP-only tunnel"), std::string::npos) << ep.error();
}

TEST(Endpoint, Ipv6IsParsedAndExplained) {
  for (const char* text : {"[2001:db8::1]:7450", "[::1]", "fe80::1"}) {
    auto ep = parse_endpoint(text, 7450);
    ASSERT_FALSE(ep.ok()) << text;
    EXPECT_NE(ep.error().find("IPv4"), std::string::npos) << ep.error();
  }
  auto bad = parse_endpoint("[2001:db8::1", 7450);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("']'"), std::string::npos);
}

TEST(Endpoint, BadPortsAndEmptyHostsNameTheProblem) {
  EXPECT_NE(parse_endpoint("host:70000", 7450).error().find("out of range"), std::string::npos);
  EXPECT_NE(parse_endpoint("host:7x", 7450).error().find("not a number"), std::string::npos);
  EXPECT_NE(parse_endpoint("", 7450).error().find("empty"), std::string::npos);
  EXPECT_NE(parse_endpoint(":7450", 7450).error().find("no host"), std::string::npos);
  EXPECT_NE(parse_endpoint("ho st", 7450).error().find("not a valid host"), std::string::npos);
  EXPECT_FALSE(parse_port("0").ok());
  EXPECT_FALSE(parse_port("65536").ok());
  EXPECT_EQ(parse_port("65535").value(), 65535);
  EXPECT_EQ(parse_port("1").value(), 1);
}

}  // namespace
}  // namespace lockstep::net

namespace lockstep {
namespace {

TEST(InviteLink, RoundTripsTheAddressPortAndFingerprint) {
  const std::string fp = "SHA256:uflSabVEyuHM6Or2Z1F5I/D3KEImLTB2M1x4/sLXx6c";
  const std::string link = invite_link("198.20.0.1", 7451, fp);
  EXPECT_EQ(link, "lockstep://198.20.0.1:7451?fp=SHA256:uflSabVEyuHM6Or2Z1F5I%2FD3KEImLTB2M1x4%2FsLXx6c");
  auto ep = parse_endpoint(link, 7450);
  ASSERT_TRUE(ep.ok()) << ep.error();
  EXPECT_EQ(ep->host, "198.20.0.1");
  EXPECT_EQ(ep->port, 7451);
  EXPECT_EQ(ep->fingerprint, fp);
  // Pasted without its percent-encoding, and without a key, and with a trailing slash.
  auto raw = parse_endpoint("LOCKSTEP://host.example:7460/?fp=" + fp, 7450);
  ASSERT_TRUE(raw.ok()) << raw.error();
  EXPECT_EQ(raw->fingerprint, fp);
  EXPECT_EQ(raw->port, 7460);
  auto bare = parse_endpoint("lockstep://10.0.0.5", 7450);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->port, 7450);
  EXPECT_TRUE(bare->fingerprint.empty());
  EXPECT_EQ(invite_link("10.0.0.5", 7450, ""), "lockstep://10.0.0.5:7450");
}

TEST(InviteLink, ADamagedLinkSaysSo) {
  auto cut = parse_endpoint("lockstep://198.20.0.1:7450?fp=SHA256:uflSabVEyuHM6Or2Z1F5I", 7450);
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().find("damaged server key fingerprint"), std::string::npos) << cut.error();
  auto hostile = parse_endpoint("lockstep://198.20.0.1:7450?fp=%00%0A%1B", 7450);
  ASSERT_FALSE(hostile.ok());
  const std::string fp = "SHA256:uflSabVEyuHM6Or2Z1F5I/D3KEImLTB2M1x4/sLXx6c";
  const std::string other = "SHA256:AAAASabVEyuHM6Or2Z1F5I/D3KEImLTB2M1x4/sLXx6c";
  auto two = parse_endpoint("lockstep://198.20.0.1:7450?fp=" + fp + "&x=1&FP=" + other, 7450);
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.error().find("two server keys"), std::string::npos) << two.error();
  auto udp = parse_endpoint("udp://198.20.0.1:7450?fp=" + fp, 7450);
  ASSERT_FALSE(udp.ok());
  EXPECT_NE(udp.error().find("use the lockstep:// invite link"), std::string::npos) << udp.error();
  auto port = parse_endpoint("lockstep://198.20.0.1:99999", 7450);
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.error().find("out of range"), std::string::npos) << port.error();
}

}  // namespace
}  // namespace lockstep
