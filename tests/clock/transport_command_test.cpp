// apply_transport_command(): what each transport command does to a state, at the edges —
// the one rule the local player and the session server both apply (the player and the
// server tests check that each of them goes through it).
#include "clock/transport_command.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace lockstep {
namespace {

using Kind = TransportCommand::Kind;

const FrameGrid kGrid{25, 1, 100};    // 25 fps, 100 frames: frame k starts at k * 40 ms
constexpr int64_t kFrameNs = 40'000'000;
constexpr int64_t kLast = 99 * kFrameNs;

TransportState paused_at(int64_t frame) {
  TransportState s;
  s.position_ns = frame * kFrameNs;
  return s;
}

TransportState playing_from(int64_t frame) {
  TransportState s = paused_at(frame);
  s.paused = false;
  return s;
}

int64_t frame_of(const TransportState& s) { return kGrid.frame_at_ns(s.position_ns); }

TransportCommand step(int frames, int64_t from = -1) {
  return TransportCommand{.kind = Kind::Step, .frames = frames, .from_frame = from};
}

TEST(FrameGrid, FrameTimesAndFramesAtTimesAgreeIncludingNtscRates) {
  const FrameGrid ntsc{30000, 1001, 1000};
  for (int64_t k : {0, 1, 29, 30, 999}) EXPECT_EQ(ntsc.frame_at_ns(ntsc.frame_time_ns(k)), k);
  EXPECT_EQ(ntsc.frame_time_ns(30), 1'001'000'000);
  EXPECT_EQ(ntsc.duration_ns(-1), ntsc.frame_time_ns(1000));
  EXPECT_EQ(FrameGrid{}.duration_ns(-1), -1) << "no length: the stand-in";
  EXPECT_EQ(FrameGrid{}.frame_time_ns(2), 80'000'000) << "no rate: 25 frames a second";
}

TEST(TransportCommand, StepWrapsRoundTheLoopRangeAndClampsWithoutLoop) {
  TransportState s = paused_at(98);
  apply_transport_command(s, step(5), 0, kGrid);
  EXPECT_EQ(frame_of(s), 99) << "no loop: the last frame";
  s = paused_at(1);
  apply_transport_command(s, step(-5), 0, kGrid);
  EXPECT_EQ(frame_of(s), 0) << "no loop: the first frame";

  s = paused_at(98);
  s.loop = true;
  apply_transport_command(s, step(5), 0, kGrid);
  EXPECT_EQ(frame_of(s), 3) << "looping the whole file: round it";
  apply_transport_command(s, step(-5), 0, kGrid);
  EXPECT_EQ(frame_of(s), 98);

  s = paused_at(44);
  s.loop = true;
  s.loop_in_ns = 30 * kFrameNs;
  s.loop_out_ns = 45 * kFrameNs;
  apply_transport_command(s, step(1), 0, kGrid);
  EXPECT_EQ(frame_of(s), 30) << "a step past out comes back at in";
  apply_transport_command(s, step(-1), 0, kGrid);
  EXPECT_EQ(frame_of(s), 44) << "a step back before in goes to the last frame of the range";
  s.position_ns = 5 * kFrameNs;  // before the range (a seek there): round the whole file
  apply_transport_command(s, step(-10), 0, kGrid);
  EXPECT_EQ(frame_of(s), 95);
}

TEST(TransportCommand, StepPausesJumpsAndCountsFromTheFrameShown) {
  TransportState s = playing_from(10);
  const int serial = s.serial;
  // 1 s later the state is at frame 35; the picture on screen is frame 34.
  const CommandOutcome o = apply_transport_command(s, step(1, 34), 1'000'000'000, kGrid);
  EXPECT_TRUE(o.changed && o.jumped);
  EXPECT_TRUE(s.paused);
  EXPECT_EQ(frame_of(s), 35);
  EXPECT_EQ(s.serial, serial + 1);
  EXPECT_EQ(s.anchor_ns, 1'000'000'000);
  TransportState t = playing_from(10);
  apply_transport_command(t, step(1), 1'000'000'000, kGrid);
  EXPECT_EQ(frame_of(t), 36) << "without a frame shown: from where the state is";
}

TEST(TransportCommand, SeekHoldsWithinTheFile) {
  TransportState s = paused_at(10);
  apply_transport_command(s, {.kind = Kind::Seek, .position_ns = 500 * kFrameNs}, 0, kGrid);
  EXPECT_EQ(s.position_ns, kLast);
  apply_transport_command(s, {.kind = Kind::Seek, .position_ns = -7}, 0, kGrid);
  EXPECT_EQ(s.position_ns, 0);
  const CommandOutcome o = apply_transport_command(s, {.kind = Kind::Seek, .position_ns = 12 * kFrameNs}, 5, kGrid);
  EXPECT_TRUE(o.jumped);
  EXPECT_EQ(s.position_ns, 12 * kFrameNs);
  EXPECT_EQ(s.anchor_ns, 5);
  // A session without files yet: as far as the stand-in length.
  TransportState n;
  apply_transport_command(n, {.kind = Kind::Seek, .position_ns = 1'000'000'000'000}, 0, FrameGrid{}, 1'000'000'000);
  EXPECT_EQ(n.position_ns, 1'000'000'000);
}

TEST(TransportCommand, RateIsClampedAndANonPositiveRateIsRefused) {
  TransportState s = playing_from(0);
  apply_transport_command(s, {.kind = Kind::Rate, .rate = 100.0}, 1'000'000'000, kGrid);
  EXPECT_EQ(s.rate, kMaxTransportRate);
  EXPECT_EQ(frame_of(s), 25) << "re-anchored where it was when the rate changed";
  apply_transport_command(s, {.kind = Kind::Rate, .rate = 0.001}, 1'000'000'000, kGrid);
  EXPECT_EQ(s.rate, kMinTransportRate);
  for (double bad : {0.0, -2.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    const TransportState before = s;
    const CommandOutcome o = apply_transport_command(s, {.kind = Kind::Rate, .rate = bad}, 2'000'000'000, kGrid);
    EXPECT_FALSE(o.changed) << bad;
    EXPECT_FALSE(o.refused.empty()) << bad;
    EXPECT_EQ(s.rate, before.rate);
    EXPECT_EQ(s.anchor_ns, before.anchor_ns);
  }
}

TEST(TransportCommand, PlayAtTheEndStartsAgainAndPauseHoldsTheLastFrame) {
  TransportState s = playing_from(90);
  // 10 s later it is long past the end: a pause holds the last frame.
  apply_transport_command(s, {.kind = Kind::Pause}, 10'000'000'000, kGrid);
  EXPECT_EQ(s.position_ns, kLast);
  const CommandOutcome o = apply_transport_command(s, {.kind = Kind::Play}, 11'000'000'000, kGrid);
  EXPECT_TRUE(o.jumped);
  EXPECT_FALSE(s.paused);
  EXPECT_EQ(s.position_ns, 0) << "played out: from the first frame";
  EXPECT_FALSE(apply_transport_command(s, {.kind = Kind::Play}, 12'000'000'000, kGrid).changed)
      << "play while playing changes nothing";
  TransportState l = paused_at(99);
  l.loop = true;
  apply_transport_command(l, {.kind = Kind::Play}, 0, kGrid);
  EXPECT_EQ(frame_of(l), 99) << "a looping file plays on from where it is";
}

TEST(TransportCommand, LoopRangesAreClampedToTheFileAndAnEmptyOneIsRefused) {
  TransportState s = paused_at(50);
  s.loop = true;
  CommandOutcome o = apply_transport_command(
      s, {.kind = Kind::LoopRange, .position_ns = 40 * kFrameNs, .loop_out_ns = 30 * kFrameNs}, 0, kGrid);
  EXPECT_FALSE(o.changed);
  EXPECT_FALSE(o.refused.empty());
  o = apply_transport_command(
      s, {.kind = Kind::LoopRange, .position_ns = 20 * kFrameNs, .loop_out_ns = 900 * kFrameNs}, 0, kGrid);
  EXPECT_TRUE(o.changed);
  EXPECT_EQ(s.loop_in_ns, 20 * kFrameNs);
  EXPECT_EQ(s.loop_out_ns, 100 * kFrameNs) << "out clamped to the end of the file";
  o = apply_transport_command(s, {.kind = Kind::LoopRange, .position_ns = 10 * kFrameNs, .loop_out_ns = 30 * kFrameNs},
                              0, kGrid);
  EXPECT_TRUE(o.jumped) << "the position (50) is past the new out: it goes to in";
  EXPECT_EQ(frame_of(s), 10);
  EXPECT_FALSE(apply_transport_command(s, {.kind = Kind::Loop, .loop = true}, 0, kGrid).changed);
  o = apply_transport_command(s, {.kind = Kind::Loop, .loop = false}, 0, kGrid);
  EXPECT_TRUE(o.changed);
  EXPECT_FALSE(s.loop);
  EXPECT_EQ(s.loop_in_ns, 10 * kFrameNs) << "the range is kept for the next loop";
}

}  // namespace
}  // namespace lockstep
