// What a host says about its reachability, for each thing a router can answer.
#include <gtest/gtest.h>

#include "net/reach/reachability.h"

namespace lockstep::net {
namespace {

TEST(ReachWords, ClassifiesTheRoutersInternetAddress) {
  EXPECT_EQ(classify_ipv4("198.20.0.1"), AddressKind::Public);
  EXPECT_EQ(classify_ipv4("203.0.113.5"), AddressKind::Public);
  EXPECT_EQ(classify_ipv4("100.64.0.1"), AddressKind::SharedCgnat);
  EXPECT_EQ(classify_ipv4("100.127.255.254"), AddressKind::SharedCgnat);
  EXPECT_EQ(classify_ipv4("100.128.0.1"), AddressKind::Public);
  EXPECT_EQ(classify_ipv4("10.1.2.3"), AddressKind::Private);
  EXPECT_EQ(classify_ipv4("172.31.0.1"), AddressKind::Private);
  EXPECT_EQ(classify_ipv4("172.32.0.1"), AddressKind::Public);
  EXPECT_EQ(classify_ipv4("192.168.0.1"), AddressKind::Private);
  EXPECT_EQ(classify_ipv4("0.0.0.0"), AddressKind::Unspecified);
  EXPECT_EQ(classify_ipv4("127.0.0.1"), AddressKind::Loopback);
  EXPECT_EQ(classify_ipv4("169.254.1.1"), AddressKind::LinkLocal);
  EXPECT_EQ(classify_ipv4("224.0.0.251"), AddressKind::Invalid);
  EXPECT_EQ(classify_ipv4(""), AddressKind::Invalid);
  EXPECT_EQ(classify_ipv4("1.2.3.4<script>"), AddressKind::Invalid);
}

TEST(ReachWords, EachAnswerHasItsSentence) {
  Reachability r;
  r.port = 7450;
  r.router = "FRITZ!Box 7590";
  r.lan_address = "192.168.178.20";
  r.method = "UPnP";
  r.external_ip = "203.0.113.5";
  r.external_port = 7450;
  r.state = Reachability::State::Mapped;
  EXPECT_EQ(r.words(), "reachable from the internet at 203.0.113.5:7450 (UPnP, router 'FRITZ!Box 7590')");
  r.external_port = 7451;
  EXPECT_NE(r.words().find("udp/7450 was taken on the router, so it forwards udp/7451"),
            std::string::npos);
  r.state = Reachability::State::Cgnat;
  r.external_ip = "100.64.3.9";
  EXPECT_NE(r.words().find("internet address 100.64.3.9 is in 100.64.0.0/10, shared by the provider "
                           "(carrier-grade NAT), so port forwarding cannot work"),
            std::string::npos)
      << r.words();
  r.state = Reachability::State::DoubleNat;
  r.external_ip = "192.168.0.2";
  EXPECT_NE(r.words().find("192.168.0.2 is private, so another router sits in front of it"), std::string::npos);
  r.external_port = 7450;
  EXPECT_NE(r.words().find("now forwards udp/7450 here: forward udp/7450 on the outer router to 192.168.0.2"),
            std::string::npos)
      << r.words();
  r.external_port = 0;
  r.state = Reachability::State::Refused;
  r.detail = "UPnP error 606: Action not authorized";
  EXPECT_NE(r.words().find("the router 'FRITZ!Box 7590' refused to forward udp/7450 (UPnP error 606"),
            std::string::npos);
  EXPECT_NE(r.words().find("forward udp/7450 to 192.168.178.20 by hand"), std::string::npos);
  r.state = Reachability::State::NoRouter;
  EXPECT_NE(r.words().find("no router answered UPnP or NAT-PMP"), std::string::npos);
  r.router = "at 192.168.1.1";
  r.state = Reachability::State::Refused;
  EXPECT_NE(r.words().find("the router at 192.168.1.1 refused"), std::string::npos) << r.words();
}

}  // namespace
}  // namespace lockstep::net
