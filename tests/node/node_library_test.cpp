// The node library (tools/node) driven in process, without starting any program:
//  - CommandRouter: a command goes to the local player when the node is on its own, to
//    the session (as the wire's Command, frames turned into media times) when it follows
//    one; --commands schedules are parsed and given the same way;
//  - the session link: the mailbox the client's thread fills, the clock domain attached and
//    detached under the player;
//  - present(): what the overlay is shown, from plain facts.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "player/player.h"
#include "support/test_media.h"
#include "tools/node/command_router.h"
#include "tools/node/node_command.h"
#include "tools/node/session_link.h"
#include "tools/node/ui_presenter.h"

namespace lockstep {
namespace {

using net::Command;
using net::CommandType;

/// A paused player on a 30 fps clip of 300 frames (no audio), and a router whose session
/// side records what it is given while `in_session` is set.
class Routing : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = test::clip(
        "h264_seek_640_gop60.mp4", {"--size", "640x360", "--fps", "30", "--frames", "300", "--gop", "60"});
    ASSERT_FALSE(path.empty());
    PlayerParams pp;
    pp.path = path;
    pp.audio_device = "none";
    pp.hwdec = HwDecode::None;
    auto p = Player::open(pp);
    ASSERT_TRUE(p.ok()) << p.error();
    player = std::move(p.value());
    player->start(/*paused=*/true);
  }
  int64_t frame_ns(int64_t k) const { return player->info().frame_time_ns(k); }

  std::unique_ptr<Player> player;
  bool in_session = false;
  std::vector<Command> sent;
  CommandRouter router{{.player = [this] { return player.get(); },
                        .session = [this](const Command& c) {
                          if (in_session) sent.push_back(c);
                          return in_session;
                        }}};
};

TEST_F(Routing, OnItsOwnTheNodesCommandsGoToItsPlayer) {
  router.seek_frame(120);
  EXPECT_EQ(player->snapshot().position_ns, frame_ns(120));
  router.step(-20);
  EXPECT_EQ(player->snapshot().position_ns, frame_ns(100)) << "a step moves from the frame the state is at";
  router.set_rate(2.0);
  EXPECT_EQ(player->snapshot().rate, 2.0);
  router.set_loop_range(30, 45);
  EXPECT_TRUE(player->snapshot().loop_in == 30 && player->snapshot().loop_out == 45);
  EXPECT_TRUE(sent.empty()) << "nothing goes to a session the node is not in";
}

TEST_F(Routing, InASessionTheyGoToTheServerAsMediaTimesAndTheLocalStateWaits) {
  in_session = true;
  const TransportState before = [&] {
    TransportState s;
    s.position_ns = player->snapshot().position_ns;
    return s;
  }();
  router.seek_frame(120);
  router.step(-20);
  router.set_rate(2.0);
  router.set_loop(true);
  router.set_loop_range(30, 45);
  router.toggle_pause();  // paused: it asks for play
  router.seek_relative(-100.0);
  ASSERT_EQ(sent.size(), 7u);
  EXPECT_EQ(sent[0].type, CommandType::Seek);
  EXPECT_EQ(sent[0].position_ns, frame_ns(120));
  EXPECT_EQ(sent[1].type, CommandType::Step);
  EXPECT_EQ(sent[1].frames, -20);
  EXPECT_EQ(sent[2].type, CommandType::Rate);
  EXPECT_EQ(sent[2].rate, 2.0);
  EXPECT_EQ(sent[3].type, CommandType::Loop);
  EXPECT_TRUE(sent[3].loop);
  EXPECT_EQ(sent[4].type, CommandType::LoopRange);
  EXPECT_EQ(sent[4].position_ns, frame_ns(30));
  EXPECT_EQ(sent[4].loop_out_ns, frame_ns(45));
  EXPECT_EQ(sent[5].type, CommandType::Play);
  EXPECT_EQ(sent[6].type, CommandType::Seek);
  EXPECT_EQ(sent[6].position_ns, 0) << "a relative seek before the start asks for the start";
  EXPECT_EQ(player->snapshot().position_ns, before.position_ns) << "the player waits for the session's state";
  EXPECT_EQ(player->snapshot().rate, 1.0);
}

TEST_F(Routing, ASchedulesCommandsAreGivenInTimeOrderThroughTheRouter) {
  auto schedule = parse_command_schedule("2 loop-range 5 9; 0.5s seek 40; 1 step -3; 3 rate 0.5");
  ASSERT_TRUE(schedule.ok()) << schedule.error();
  ASSERT_EQ(schedule->size(), 4u);
  EXPECT_EQ((*schedule)[0].command.kind, NodeCommand::Kind::SeekFrame);
  EXPECT_EQ((*schedule)[0].command.frame, 40);
  EXPECT_EQ((*schedule)[3].command.kind, NodeCommand::Kind::SetRate);
  for (const auto& c : *schedule) EXPECT_TRUE(give(router, c.command)) << c.text;
  const PlayerSnapshot s = player->snapshot();
  EXPECT_EQ(s.position_ns, frame_ns(37));
  EXPECT_TRUE(s.loop_in == 5 && s.loop_out == 9);
  EXPECT_EQ(s.rate, 0.5);
  auto load = parse_command_schedule("0 load 1");
  ASSERT_TRUE(load.ok()) << load.error();
  EXPECT_EQ((*load)[0].command.scope(), NodeCommand::Scope::Session);
  EXPECT_FALSE(give(router, (*load)[0].command)) << "load is a session command, not a transport one";
  EXPECT_EQ(player->snapshot().position_ns, s.position_ns) << "nothing was given";
}

TEST(CommandSchedule, BadEntriesAreNamed) {
  for (const auto& [text, words] : std::vector<std::pair<std::string, std::string>>{
           {"x play", "'x' is not a time"},
           {"1 jump 4", "unknown command 'jump'"},
           {"1 seek", "'seek' needs a value"},
           {"1 loop-range 5", "'loop-range' needs two frames"},
           {"1 seek forty", "seek takes a frame number"},
           {"1 rate 0", "rate takes a factor above 0"},
           {"1 loop maybe", "loop takes on or off"},
           {"-2 play", "'-2' is not a time"}}) {
    auto r = parse_command_schedule(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.error().find(words), std::string::npos) << r.error();
  }
}

/// A session clock 5 s ahead of this machine's.
class AheadClock final : public ClockDomain {
 public:
  int64_t to_session(int64_t mono) const override { return mono + 5'000'000'000; }
  int64_t to_monotonic(int64_t session) const override { return session - 5'000'000'000; }
  std::optional<int64_t> error_ns(int64_t) const override { return 1000; }
};

TEST(SessionLink, TheClockDomainFollowsTheSessionWithTheLatencyOffsetUntilDetached) {
  SessionDomain d;
  AheadClock session;
  EXPECT_EQ(d.to_session(100), 100) << "on its own: this machine's clock";
  EXPECT_FALSE(d.error_ns(100));
  d.set_offset_ns(20'000'000);  // this node's display shows frames 20 ms late: show them earlier
  d.attach(&session);
  EXPECT_TRUE(d.attached());
  EXPECT_EQ(d.to_session(100), 100 + 20'000'000 + 5'000'000'000);
  EXPECT_EQ(d.to_monotonic(d.to_session(100)), 100);
  EXPECT_EQ(d.error_ns(0), 1000);
  d.attach(nullptr);
  EXPECT_EQ(d.to_session(100), 100);
}

TEST(SessionLink, TheMailboxHandsOverTheWelcomeAndTheLatestStateOnce) {
  Link link;
  net::SessionEvents events = mailbox_events(link.box);
  net::SessionSnapshot snap;
  snap.transport.position_ns = 7;
  events.on_welcome(snap, {net::MediaMatch{}});
  net::TransportWire later;
  later.position_ns = 9;
  later.serial = 3;
  events.on_state(later);
  EXPECT_TRUE(take_mail(link));
  EXPECT_TRUE(link.snapshot && link.have_state);
  EXPECT_EQ(link.state.position_ns, 9) << "the latest state, not the welcome's";
  EXPECT_EQ(link.matches.size(), 1u);
  EXPECT_FALSE(take_mail(link)) << "taken once";
  const TransportState s = from_wire(link.state, 1 << 24);
  EXPECT_EQ(s.serial, (1 << 24) + 3) << "session serials live above the local ones";
}

TEST(SessionLink, TheSyncErrorCountsWholeFramesTheShortWayRoundALoop) {
  const FrameGrid grid{25, 1, 100};  // 40 ms frames
  TransportState due;
  due.paused = false;
  due.position_ns = 10 * 40'000'000;  // frame 10 at session time 0
  net::NodeStatus st;
  st.state = net::NodeState::Playing;
  sync_report(st, 11, grid, due, 0);
  EXPECT_EQ(st.sync_error_ns, 0) << "one frame off is in sync";
  EXPECT_EQ(st.state, net::NodeState::Playing);
  sync_report(st, 7, grid, due, 0);
  EXPECT_EQ(st.sync_error_ns, -3 * 40'000'000) << "three frames behind";
  EXPECT_EQ(st.state, net::NodeState::Behind);
  due.loop = true;
  due.loop_in_ns = 0;
  due.loop_out_ns = 20 * 40'000'000;
  due.position_ns = 19 * 40'000'000;  // the last frame of the range [0, 20)
  net::NodeStatus wrap;
  sync_report(wrap, 2, grid, due, 0);
  EXPECT_EQ(wrap.sync_error_ns, 3 * 40'000'000) << "frame 2 after 19 is 3 ahead, not 17 behind";
  net::NodeStatus early;
  sync_report(early, 50, grid, due, -1) ;
  EXPECT_EQ(early.sync_error_ns, 0) << "before the state's anchor there is nothing to compare";
}

TEST(Presenter, OnItsOwnTheOverlaySaysSoAndAFailedLinkShowsItsError) {
  NodeFacts n;
  n.default_port = 7450;
  SyncHistory none;
  ui::UiSnapshot u = present(n, std::nullopt, none);
  EXPECT_EQ(u.link.phase, ui::LinkPhase::Idle);
  EXPECT_EQ(u.link.status_line, "Not in a session: playing on its own");
  EXPECT_NE(u.link.server_command.find("--port 7450"), std::string::npos);
  n.link_error = "wrong password for host:7450";
  u = present(n, std::nullopt, none);
  EXPECT_EQ(u.link.phase, ui::LinkPhase::Failed);
  EXPECT_EQ(u.link.status_line, n.link_error);
}

TEST(Presenter, AClientSeesTheMediaTablePeersAndSyncHistory) {
  NodeFacts n;
  PlayerSnapshot ps;
  ps.frame_index = -1;  // nothing shown yet
  ps.frame_count = 300;
  n.player = ps;
  n.can_control = false;
  n.control_reason = "Only the host controls playback";
  LinkFacts L;
  L.phase = net::ClientPhase::Connected;
  L.client_status = "Connected to host";
  L.self_id = 2;
  net::SessionSnapshot snap;
  snap.lead_ns = 150'000'000;
  snap.media.resize(2);
  snap.media[0].name = "a.mov";
  snap.media[1].name = "b.mov";
  L.snapshot = snap;
  L.have_state = true;
  L.media_index = 1;
  L.matches.resize(2);
  L.matches[0].status = net::MatchStatus::Missing;
  L.matches[0].detail = "not in any media folder";
  L.matches[1].status = net::MatchStatus::Found;
  L.matches[1].local_path = "/media/b.mov";
  net::PeerInfo host, self;
  host.node_id = 1;
  host.name = "host";
  host.status.state = net::NodeState::Playing;
  host.status.rtt_ns = 400'000;
  self.node_id = 2;
  self.name = "me";
  self.status.sync_error_ns = -2'000'000;
  L.peers = {host, self};
  SyncHistory h;
  for (int i = 0; i < 130; ++i) h.sample(L.peers);
  const ui::UiSnapshot u = present(n, L, h);
  EXPECT_EQ(u.link.phase, ui::LinkPhase::Connected);
  EXPECT_FALSE(u.is_server);
  EXPECT_EQ(u.transport.frame_index, 0);
  EXPECT_FALSE(u.transport.can_control);
  EXPECT_EQ(u.transport.control_reason, n.control_reason);
  EXPECT_DOUBLE_EQ(u.lead_ms, 150.0);
  ASSERT_EQ(u.media.size(), 2u);
  EXPECT_FALSE(u.media[0].current);
  EXPECT_EQ(u.media[0].status, "missing");
  EXPECT_EQ(u.media[0].detail, "not in any media folder");
  EXPECT_TRUE(u.media[1].current);
  EXPECT_EQ(u.media[1].detail, "/media/b.mov");
  ASSERT_EQ(u.peers.size(), 2u);
  EXPECT_EQ(u.peers[0].state, "playing");
  EXPECT_DOUBLE_EQ(u.peers[0].rtt_ms, 0.4);
  EXPECT_FALSE(u.peers[0].self);
  EXPECT_TRUE(u.peers[1].self);
  ASSERT_EQ(u.sync.size(), 2u);
  EXPECT_EQ(u.sync[1].name, "me");
  EXPECT_EQ(u.sync[1].error_ms.size(), SyncHistory::kSamples) << "a minute of history, no more";
  EXPECT_FLOAT_EQ(u.sync[1].error_ms.back(), -2.0f);
  h.sample({host});  // "me" left the table
  EXPECT_EQ(present(n, L, h).sync.size(), 1u);
}

}  // namespace
}  // namespace lockstep
