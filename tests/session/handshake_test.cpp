// Joining a session, in one process over real UDP on loopback: the right password joins and
// the clock settles; a wrong one, a missing one and another protocol version are refused
// with messages that say so; a server that is not there is reported as no answer.
#include <gtest/gtest.h>

#include <thread>

#include "core/time.h"
#include "net/protocol_version.h"
#include "net/session/session_client.h"
#include "net/session/session_server.h"
#include "net/transport/cookie_gate.h"
#include "net/transport/enet_transport.h"

namespace lockstep::net {
namespace {

int port_for(int k) { return 23000 + int(getpid() % 1000) * 8 + k; }

std::unique_ptr<SessionServer> server_on(int port, std::optional<std::string> password) {
  SessionServerParams p;
  p.port = port;
  p.password = password;
  auto s = SessionServer::start(p);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error());
  return s.ok() ? std::move(s.value()) : nullptr;
}

std::unique_ptr<SessionClient> client_to(int port, std::optional<std::string> password) {
  SessionClientParams p;
  p.server = Endpoint{"127.0.0.1", port};
  p.password = password;
  p.name = "test-node";
  p.probe = [](const std::string&) -> Result<MediaEntry> { return MediaEntry{}; };
  auto c = SessionClient::start(p, {});
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error());
  return c.ok() ? std::move(c.value()) : nullptr;
}

template <class Pred>
bool eventually(Pred pred, double seconds) {
  const int64_t deadline = monotonic_ns() + int64_t(seconds * 1e9);
  while (monotonic_ns() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

TEST(Handshake, RightPasswordJoinsAndTheClockSettles) {
  auto server = server_on(port_for(0), "correct horse");
  auto client = client_to(port_for(0), "correct horse");
  ASSERT_TRUE(server && client);
  ASSERT_TRUE(eventually([&] { return client->phase() == ClientPhase::Connected; }, 10)) << client->status_line();
  ASSERT_TRUE(eventually([&] { return client->clock_settled(); }, 5));
  EXPECT_NE(client->status_line().find("Connected to 127.0.0.1"), std::string::npos) << client->status_line();
  // Same machine, same clock: the estimate must be close to zero offset.
  EXPECT_LT(std::llabs(client->clock_estimate().offset_ns), 200'000);
  EXPECT_TRUE(eventually([&] { return server->node_count() == 1; }, 3));
}

TEST(Handshake, WrongPasswordIsRefusedWithAMessage) {
  auto server = server_on(port_for(1), "correct horse");
  auto client = client_to(port_for(1), "battery staple");
  ASSERT_TRUE(server && client);
  ASSERT_TRUE(eventually([&] { return client->phase() == ClientPhase::Failed; }, 10)) << client->status_line();
  EXPECT_NE(client->final_error().find("wrong password"), std::string::npos) << client->final_error();
  EXPECT_EQ(server->node_count(), 0);
}

TEST(Handshake, MissingPasswordIsExplained) {
  auto server = server_on(port_for(2), "correct horse");
  auto client = client_to(port_for(2), std::nullopt);
  ASSERT_TRUE(server && client);
  ASSERT_TRUE(eventually([&] { return client->phase() == ClientPhase::Failed; }, 10)) << client->status_line();
  EXPECT_NE(client->final_error().find("password"), std::string::npos) << client->final_error();
}

TEST(Handshake, AnotherProtocolVersionIsRefusedWithBothVersions) {
  auto server = server_on(port_for(3), std::nullopt);
  ASSERT_TRUE(server);
  auto lib = EnetLibrary::acquire();
  auto host = client_host();
  ASSERT_TRUE(lib && host);
  auto address = resolve(Endpoint{"127.0.0.1", port_for(3)});
  CookieJar jar;  // a client of any version asks for its cookie first
  jar.install(host->get());
  jar.request(*address);
  for (int i = 0; i < 100 && !jar.cookie(); ++i) {
    ENetEvent ev;
    enet_host_service(host->get(), &ev, 10);
  }
  ASSERT_TRUE(jar.cookie()) << "no cookie from the server";
  ENetPeer* peer = enet_host_connect(host->get(), &*address, kChannelCount, *jar.cookie());
  std::optional<Reject> reject;
  const int64_t deadline = monotonic_ns() + 5 * kNsPerSec;
  while (!reject && monotonic_ns() < deadline) {
    ENetEvent ev;
    if (enet_host_service(host->get(), &ev, 10) <= 0) continue;
    if (ev.type == ENET_EVENT_TYPE_CONNECT) {
      Hello hello{};
      hello.protocol_version = uint16_t(kProtocolVersion + 1);
      hello.node_name = "from-the-future";
      auto bytes = encode(hello);
      ASSERT_TRUE(bytes.ok());
      (*bytes)[1] = uint8_t(kProtocolVersion + 1);  // the header's version byte as well
      send_bytes(peer, kControlChannel, *bytes);
    } else if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
      auto m = decode({ev.packet->data, ev.packet->dataLength});
      enet_packet_destroy(ev.packet);
      if (m && std::holds_alternative<Reject>(*m)) reject = std::get<Reject>(*m);
    }
  }
  ASSERT_TRUE(reject.has_value()) << "no Reject for a foreign version";
  EXPECT_EQ(reject->reason, RejectReason::VersionMismatch);
  EXPECT_NE(reject->detail.find(std::to_string(kProtocolVersion + 1)), std::string::npos) << reject->detail;
}

TEST(Handshake, NoServerIsReportedAsNoAnswerAndRetried) {
  auto client = client_to(port_for(4), std::nullopt);
  ASSERT_TRUE(client);
  ASSERT_TRUE(eventually([&] { return client->status_line().find("no answer") != std::string::npos; }, 10))
      << client->status_line();
  EXPECT_NE(client->status_line().find("attempt"), std::string::npos) << client->status_line();
  EXPECT_NE(client->phase(), ClientPhase::Failed) << "it keeps trying";
}

// (An unknown host name is not tested here: resolving it would send a DNS query off this
// machine. Its message comes from resolve() in net/transport/enet_transport.cpp.)
TEST(Handshake, BusyPortIsAClearError) {
  auto first = server_on(port_for(5), std::nullopt);
  SessionServerParams sp;
  sp.port = port_for(5);
  auto second = SessionServer::start(sp);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find("in use"), std::string::npos) << second.error();
  EXPECT_NE(second.error().find(std::to_string(port_for(5))), std::string::npos) << second.error();
}

}  // namespace
}  // namespace lockstep::net
