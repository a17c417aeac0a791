// The session server's commands mean what they mean on a local node: SessionCore (in
// process, through a recording link, one honest logged-in node) applies each transport
// command, edges included, exactly as apply_transport_command() does to the same state at
// the command's effective time — the function the local player applies too
// (tests/player/player_render_test.cpp, tests/clock/transport_command_test.cpp).
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <optional>
#include <vector>

#include "clock/transport_command.h"
#include "net/protocol/auth.h"
#include "net/protocol/identity.h"
#include "net/protocol/messages.h"
#include "net/protocol/sealer.h"
#include "net/session/session_core.h"
#include "net/session/transport_wire.h"

namespace lockstep::net {
namespace {

class RecordingLink final : public PeerLink {
 public:
  struct Sent {
    PeerHandle to;
    Channel channel;
    std::vector<uint8_t> bytes;
  };
  std::vector<Sent> sent;
  void send(PeerHandle peer, Channel channel, std::span<const uint8_t> bytes) override {
    sent.push_back({peer, channel, {bytes.begin(), bytes.end()}});
  }
  void flush() override {}
  void close(PeerHandle) override {}
  void drop(PeerHandle peer) override { dropped.push_back(peer); }
  void joined(PeerHandle peer) override { joined_peers.push_back(peer); }
  int64_t round_trip_ns(PeerHandle) const override { return 0; }
  std::vector<PeerHandle> dropped, joined_peers;
};

constexpr PeerHandle kNode = 1;
constexpr uint16_t kHostPort = 40000;

/// A session of one 25 fps file of 100 frames, and one node logged in from the host's port.
class OneNodeSession {
 public:
  explicit OneNodeSession(bool loop) {
    MediaEntry m;
    m.name = "a.mkv";
    m.fps_num = 25;
    m.fps_den = 1;
    m.frame_count = 100;
    m.duration_ns = 4'000'000'000;
    params_.media = {m};
    params_.loop = loop;
    auto id = ServerIdentity::generate();
    EXPECT_TRUE(id.ok());
    params_.identity = std::make_shared<const ServerIdentity>(std::move(id.value()));
    auto hs = ServerHandshake::without_password(params_.identity);
    EXPECT_TRUE(hs.ok());
    core_ = std::make_unique<SessionCore>(params_, std::move(hs.value()), link_, [this] { return now_; });
    core_->set_host_client_port(kHostPort);
    login();
  }

  SessionCore& core() { return *core_; }
  RecordingLink& link() { return link_; }
  ConnectionSealer& sealer() { return *sealer_; }
  int64_t now() const { return now_; }
  void advance(int64_t ns) { now_ += ns; }
  FrameGrid grid() const { return {25, 1, 100}; }

  /// Sends `c` as the node; returns the state before it.
  TransportWire send(const Command& c) {
    const TransportWire before = core_->transport();
    send_message(Message{c});
    core_->tick();
    return before;
  }

  void send_message(const Message& m) {
    const auto bytes = encode(m);
    ASSERT_TRUE(bytes.ok()) << bytes.error();
    core_->on_packet(kNode, sealer_->seal(kControlChannel, *bytes), kControlChannel, now_);
  }

 private:
  void login() {
    PeerAddress from;
    from.host = htonl(INADDR_LOOPBACK);
    from.port = kHostPort;
    core_->on_connect(kNode, from);
    Hello hello;
    hello.node_name = "node";
    hello.client_nonce = random_nonce();
    hello.role = NodeRole::Playback;
    auto hello_bytes = encode(Message{hello});
    ASSERT_TRUE(hello_bytes.ok());
    core_->on_packet(kNode, *hello_bytes, kControlChannel, now_);
    std::optional<Challenge> challenge;
    for (const auto& s : link_.sent)
      if (auto m = decode(s.bytes); m.ok())
        if (const auto* ch = std::get_if<Challenge>(&*m)) challenge = *ch;
    ASSERT_TRUE(challenge) << "no Challenge for an honest Hello";
    auto client = ClientHandshake::answer_with_key(nullptr, hello.client_nonce, *challenge);
    ASSERT_TRUE(client.ok()) << client.error();
    sealer_ = std::make_unique<ConnectionSealer>(client->session_keys(), AeadSealer::Side::Client, kChannelCount);
    auto auth = encode(Message{client->auth()});
    ASSERT_TRUE(auth.ok());
    link_.sent.clear();
    core_->on_packet(kNode, *auth, kControlChannel, now_);
    bool welcomed = false;
    for (const auto& s : link_.sent)
      if (auto opened = sealer_->open(s.channel, s.bytes); opened.ok())
        if (auto m = decode(*opened); m.ok() && std::holds_alternative<Welcome>(*m)) welcomed = true;
    ASSERT_TRUE(welcomed) << "no Welcome for an honest Auth";
    send_message(Message{Ready{.ready = true}});  // a Play is not held back for it
  }

  SessionServerParams params_;
  RecordingLink link_;
  int64_t now_ = 1'000'000'000;
  std::unique_ptr<SessionCore> core_;
  std::unique_ptr<ConnectionSealer> sealer_;
};

constexpr int64_t kFrameNs = 40'000'000;

/// Sends each command and compares the server's state with the rule's, at the same time.
void expect_same_as_the_rule(OneNodeSession& s, const std::vector<Command>& commands) {
  for (const Command& c : commands) {
    s.advance(300'000'000);
    const TransportWire before = s.send(c);
    const TransportWire after = s.core().transport();
    TransportState expected = transport_state(before);
    // The command's effective time: the new anchor when it changed anything.
    const int64_t eff = after.anchor_session_ns != before.anchor_session_ns ? after.anchor_session_ns : s.now();
    EXPECT_GT(eff, s.now() - 1) << "a command takes effect ahead, never in the past";
    const CommandOutcome o = apply_transport_command(expected, transport_command(c), eff, s.grid());
    const std::string what = std::string(to_string(c.type)) + " (position " + std::to_string(c.position_ns) +
                             ", frames " + std::to_string(c.frames) + ", rate " + std::to_string(c.rate) + ")";
    EXPECT_EQ(after.anchor_session_ns != before.anchor_session_ns || after.serial != before.serial, o.changed)
        << what;
    if (!o.changed) {
      EXPECT_EQ(after, before) << what << ": the server changed a state the rule leaves alone";
      continue;
    }
    EXPECT_EQ(after.position_ns, expected.position_ns) << what;
    EXPECT_EQ(after.paused, expected.paused) << what;
    EXPECT_EQ(after.rate, expected.rate) << what;
    EXPECT_EQ(after.loop, expected.loop) << what;
    EXPECT_EQ(after.loop_in_ns, expected.loop_in_ns) << what;
    EXPECT_EQ(after.loop_out_ns, expected.loop_out_ns) << what;
    EXPECT_EQ(int(after.serial), expected.serial) << what;
  }
}

TEST(SessionCoreCommands, EveryTransportCommandFollowsTheSameRuleAsALocalNode) {
  OneNodeSession s(/*loop=*/false);
  expect_same_as_the_rule(
      s, {
             {.type = CommandType::Seek, .position_ns = 97 * kFrameNs},
             {.type = CommandType::Step, .frames = 5},    // clamps at the last frame
             {.type = CommandType::Play},                 // at the end: from the start
             {.type = CommandType::Rate, .rate = 100.0},  // clamped to 16
             {.type = CommandType::Rate, .rate = -1.0},   // refused
             {.type = CommandType::Rate, .rate = 1.0},
             {.type = CommandType::Pause},
             {.type = CommandType::Seek, .position_ns = 1'000'000'000'000},  // past the end
             {.type = CommandType::Seek, .position_ns = -5},
             {.type = CommandType::Step, .frames = -3},   // clamps at the first frame
             {.type = CommandType::LoopRange, .position_ns = 40 * kFrameNs, .loop_out_ns = 20 * kFrameNs},  // refused
             {.type = CommandType::LoopRange, .position_ns = 20 * kFrameNs, .loop_out_ns = 900 * kFrameNs},
         });
}

TEST(SessionCoreCommands, StepsGoRoundTheLoopRangeAsOnALocalNode) {
  OneNodeSession s(/*loop=*/true);
  expect_same_as_the_rule(
      s, {
             {.type = CommandType::LoopRange, .position_ns = 30 * kFrameNs, .loop_out_ns = 45 * kFrameNs},
             {.type = CommandType::Seek, .position_ns = 44 * kFrameNs},
             {.type = CommandType::Step, .frames = 1},   // past out: back at in
             {.type = CommandType::Step, .frames = -1},  // before in: the range's last frame
             {.type = CommandType::Play},
             {.type = CommandType::Loop, .loop = false},
             {.type = CommandType::Loop, .loop = true},
             {.type = CommandType::Pause},
             {.type = CommandType::Seek, .position_ns = 44 * kFrameNs},
             {.type = CommandType::Step, .frames = 200},
         });
  const TransportWire t = s.core().transport();
  EXPECT_EQ(t.position_ns, 34 * kFrameNs)
      << "a step of 200 from inside the range [30, 45) goes round it";
}

TEST(SessionCoreCommands, AJoinedNodeIsDroppedForSilenceNotForALossyPath) {
  OneNodeSession s(/*loop=*/false);
  EXPECT_EQ(s.link().joined_peers, std::vector<PeerHandle>{kNode})
      << "the transport is told when a node has joined (ENet's retry timeout no longer decides)";
  // A node heard from every 4.5 s (most of its packets lost) stays, for a minute.
  for (int i = 0; i < 14; ++i) {
    s.advance(4'500'000'000);
    s.core().tick();
    s.send_message(Message{Ready{.ready = true}});
  }
  s.core().tick();
  EXPECT_TRUE(s.link().dropped.empty());
  EXPECT_EQ(s.core().peers().size(), 1u);
  // Packets that do not open (forged, or replayed: an attacker on the path has seen some)
  // do not count as hearing from it.
  const auto ready = encode(Message{Ready{.ready = true}});
  ASSERT_TRUE(ready.ok());
  const std::vector<uint8_t> sealed = s.sealer().seal(kControlChannel, *ready);
  s.core().on_packet(kNode, sealed, kControlChannel, s.now());  // heard: now
  for (int i = 0; i < 6; ++i) {
    s.advance(1'000'000'000);
    const std::vector<uint8_t> junk(64, 0x5a);
    s.core().on_packet(kNode, junk, kControlChannel, s.now());
    s.core().on_packet(kNode, sealed, kControlChannel, s.now());  // the same packet again
    s.core().tick();
  }
  EXPECT_GE(s.core().refused_packets(), 12u);
  EXPECT_EQ(s.link().dropped, std::vector<PeerHandle>{kNode}) << "6 s of silence: gone";
  s.advance(1'000'000'000);
  s.core().tick();
  EXPECT_TRUE(s.core().peers().empty()) << "the node table follows";
  EXPECT_EQ(s.core().connection_count(), 0u);
}

/// Found by an outsider's attack: a server that stops told nodes still logging in nothing
/// (RejectReason::ShuttingDown was never sent); they waited for a timeout.
TEST(SessionCoreShutdown, NodesInTheSessionGetAByeAndNodesLoggingInAShuttingDownReject) {
  OneNodeSession s(false);
  constexpr PeerHandle kLate = 2;
  PeerAddress from;
  from.host = htonl(INADDR_LOOPBACK);
  from.port = 40002;
  s.core().on_connect(kLate, from);
  Hello hello;
  hello.node_name = "late";
  hello.client_nonce = random_nonce();
  auto hello_bytes = encode(Message{hello});
  ASSERT_TRUE(hello_bytes.ok());
  s.core().on_packet(kLate, *hello_bytes, kControlChannel, s.now());
  s.link().sent.clear();
  s.core().close_all();
  bool bye = false, rejected = false;
  for (const auto& sent : s.link().sent) {
    if (sent.to == kNode) {
      auto opened = s.sealer().open(sent.channel, sent.bytes);
      ASSERT_TRUE(opened.ok()) << "the node in the session gets sealed packets only";
      auto m = decode(*opened);
      bye = bye || (m.ok() && std::holds_alternative<Bye>(*m));
    } else if (sent.to == kLate) {
      auto m = decode(sent.bytes);
      ASSERT_TRUE(m.ok()) << "a node logging in can read what it gets";
      if (const auto* r = std::get_if<Reject>(&*m)) {
        rejected = r->reason == RejectReason::ShuttingDown;
        EXPECT_NE(r->detail.find("shutting down"), std::string::npos) << r->detail;
      }
    }
  }
  EXPECT_TRUE(bye);
  EXPECT_TRUE(rejected);
}

TEST(SessionCoreStatus, ANodesStatusIsKeptToWhatARealNodeCanReport) {
  // Shown to every node and on the status page: a negative clock uncertainty (which would
  // show as in step) counts as unknown, and the latency offset stays within ±1 s.
  OneNodeSession s(false);
  s.send_message(Message{NodeStatus{.latency_offset_ns = -50'000'000'000, .clock_uncertainty_ns = -5}});
  s.core().tick();  // the peer table is published by tick()
  bool seen = false;
  for (const PeerInfo& p : s.core().peers()) {
    if (p.name != "node") continue;
    seen = true;
    EXPECT_EQ(p.status.clock_uncertainty_ns, std::numeric_limits<int64_t>::max());
    EXPECT_EQ(p.status.latency_offset_ns, -1'000'000'000);
  }
  EXPECT_TRUE(seen);
  s.send_message(Message{NodeStatus{.clock_uncertainty_ns = 350'000}});
  s.advance(2'000'000'000);  // the next table is due
  s.core().tick();
  for (const PeerInfo& p : s.core().peers()) {
    if (p.name == "node") {
      EXPECT_EQ(p.status.clock_uncertainty_ns, 350'000);
    }
  }
}

}  // namespace
}  // namespace lockstep::net
