// The transport's mapping from (state, clock time) to a position in the file, with loop
// ranges: a pure function, so every node computes the same frame for the same session time.
#include "clock/transport.h"

#include <gtest/gtest.h>

#include <cmath>

namespace lockstep {
namespace {

constexpr int64_t kFrameNs = 40'000'000;  // 25 fps: frame k starts at k * 40 ms
constexpr int64_t kFrames = 100;
constexpr int64_t kDuration = kFrames * kFrameNs;

int64_t frame_of(int64_t ns) { return ns / kFrameNs; }

/// The frame in the file that `s` shows at clock time `t_ns`.
int64_t frame_at(const TransportState& s, int64_t t_ns) {
  return frame_of(s.file_position(s.position_at(t_ns), kDuration));
}

TransportState playing_from(int64_t frame) {
  TransportState s;
  s.anchor_ns = 0;
  s.position_ns = frame * kFrameNs;
  s.paused = false;
  return s;
}

TEST(TransportLoopRange, WrapIntoRangeContinuesAtInWhenReachingOut) {
  EXPECT_EQ(wrap_into_range(29, 30, 45), 29);  // before in: itself
  EXPECT_EQ(wrap_into_range(44, 30, 45), 44);
  EXPECT_EQ(wrap_into_range(45, 30, 45), 30);
  EXPECT_EQ(wrap_into_range(59, 30, 45), 44);
  EXPECT_EQ(wrap_into_range(60, 30, 45), 30);
  EXPECT_EQ(wrap_into_range(45 + 15 * 1000 + 7, 30, 45), 37);
}

TEST(TransportLoopRange, WholeFileLoopIsPositionModuloDuration) {
  TransportState s = playing_from(0);
  s.loop = true;
  for (int64_t k : {0, 1, 99, 100, 101, 250, 100 * 77 + 3})
    EXPECT_EQ(frame_at(s, k * kFrameNs + kFrameNs / 2), k % kFrames) << k;
  s.loop_in_ns = 10 * kFrameNs;  // not a range (out 0): the whole file
  EXPECT_EQ(frame_at(s, 150 * kFrameNs), 50);
}

TEST(TransportLoopRange, PlayingThroughARangeShowsInToOutMinusOneAgainAndAgain) {
  TransportState s = playing_from(30);
  s.loop = true;
  s.loop_in_ns = 30 * kFrameNs;
  s.loop_out_ns = 45 * kFrameNs;
  for (int64_t k = 0; k < 15 * 5; ++k)
    EXPECT_EQ(frame_at(s, k * kFrameNs + kFrameNs / 2), 30 + k % 15) << "tick " << k;
}

TEST(TransportLoopRange, FromBeforeInPlaysOnIntoTheRange) {
  TransportState s = playing_from(20);
  s.loop = true;
  s.loop_in_ns = 30 * kFrameNs;
  s.loop_out_ns = 45 * kFrameNs;
  EXPECT_EQ(frame_at(s, 5 * kFrameNs), 25);
  EXPECT_EQ(frame_at(s, 24 * kFrameNs), 44);
  EXPECT_EQ(frame_at(s, 25 * kFrameNs), 30);
}

TEST(TransportLoopRange, WithoutLoopTheRangeIsIgnored) {
  TransportState s = playing_from(40);
  s.loop_in_ns = 30 * kFrameNs;
  s.loop_out_ns = 45 * kFrameNs;
  EXPECT_EQ(frame_at(s, 10 * kFrameNs), 50);
  EXPECT_EQ(frame_at(s, 1000 * kFrameNs), kFrames - 1);  // held on the last frame
}

TEST(TransportLoopRange, ARangeOutsideTheFileMeansTheWholeFile) {
  TransportState s;
  s.loop_in_ns = 30 * kFrameNs;
  s.loop_out_ns = 500 * kFrameNs;
  EXPECT_EQ(s.loop_span(kDuration), (LoopSpan{0, kDuration}));
  s.loop_out_ns = 20 * kFrameNs;  // out before in
  EXPECT_EQ(s.loop_span(kDuration), (LoopSpan{0, kDuration}));
}

TEST(TransportLoopRange, SettingARangeAheadKeepsTheFrameAndRestartsDecoding) {
  TransportState s = playing_from(10);
  s.loop = true;
  const int64_t t = 5 * kFrameNs + kFrameNs / 2;
  const int64_t before = frame_at(s, t);
  EXPECT_TRUE(change_loop(s, true, {30 * kFrameNs, 45 * kFrameNs}, t, kDuration));
  EXPECT_EQ(s.serial, 1);  // the decoder may have read past 45 already
  EXPECT_EQ(frame_at(s, t), before);
  EXPECT_EQ(frame_at(s, t + 20 * kFrameNs), 35);  // 15 + 20 = 35 ≥ 30: in the range
  EXPECT_EQ(frame_at(s, t + 30 * kFrameNs), 30);  // reached 45: back at 30
}

TEST(TransportLoopRange, SettingARangeBehindThePositionJumpsToIn) {
  TransportState s = playing_from(60);
  s.loop = true;
  EXPECT_TRUE(change_loop(s, true, {30 * kFrameNs, 45 * kFrameNs}, 0, kDuration));
  EXPECT_EQ(frame_at(s, 0), 30);
  EXPECT_EQ(frame_at(s, 16 * kFrameNs), 31);
}

TEST(TransportLoopRange, ARangeSetWhileNotLoopingChangesNothingUntilLoopIsOn) {
  TransportState s = playing_from(0);
  EXPECT_FALSE(change_loop(s, false, {30 * kFrameNs, 60 * kFrameNs}, kFrameNs, kDuration));
  EXPECT_EQ(s.serial, 0);
  EXPECT_EQ(frame_at(s, 40 * kFrameNs), 40);  // plays through: not looping
  // Loop on at frame 36: the decoder must wrap at 60 from now on.
  EXPECT_TRUE(change_loop(s, true, {30 * kFrameNs, 60 * kFrameNs}, 36 * kFrameNs, kDuration));
  EXPECT_EQ(frame_at(s, 36 * kFrameNs), 36);
  EXPECT_EQ(frame_at(s, 59 * kFrameNs), 59);
  EXPECT_EQ(frame_at(s, 60 * kFrameNs), 30);
  EXPECT_EQ(frame_at(s, 90 * kFrameNs + kFrameNs / 2), 30);
}

TEST(TransportLoopRange, WholeFileLoopToggleBeforeAnyWrapNeedsNoRestart) {
  TransportState s = playing_from(0);
  EXPECT_FALSE(change_loop(s, true, {}, 50 * kFrameNs, kDuration));
  EXPECT_FALSE(change_loop(s, false, {}, 60 * kFrameNs, kDuration));
  EXPECT_EQ(s.serial, 0);
  EXPECT_EQ(frame_at(s, 70 * kFrameNs), 70);
}

TEST(TransportLoopRange, LoopOffAfterWrapsContinuesFromTheFramePlaying) {
  TransportState s = playing_from(0);
  s.loop = true;
  const int64_t t = 250 * kFrameNs;                      // frame 50 of the third pass
  EXPECT_TRUE(change_loop(s, false, {}, t, kDuration));  // unwrapped 250 → 50: decoder restarts
  EXPECT_EQ(frame_at(s, t), 50);
  EXPECT_EQ(frame_at(s, t + 10 * kFrameNs), 60);
}

TEST(TransportLoopRange, ClearingTheRangeReturnsToWholeFileLooping) {
  TransportState s = playing_from(30);
  s.loop = true;
  s.loop_in_ns = 30 * kFrameNs;
  s.loop_out_ns = 45 * kFrameNs;
  const int64_t t = 20 * kFrameNs;  // unwrapped 50 → frame 35 of the second pass
  EXPECT_EQ(frame_at(s, t), 35);
  EXPECT_TRUE(change_loop(s, true, {}, t, kDuration));
  EXPECT_EQ(frame_at(s, t), 35);
  EXPECT_EQ(frame_at(s, t + 10 * kFrameNs), 45);  // plays past the old out
  EXPECT_EQ(frame_at(s, t + 65 * kFrameNs), 0);   // and wraps at the file's end
}

TEST(TransportLoopRange, TransportSetLoopRangeAppliesTheSameRule) {
  Transport tr;
  tr.seek(10 * kFrameNs, 0);
  tr.play(0);
  EXPECT_FALSE(tr.set_loop(true, kFrameNs, kDuration));
  const int serial = tr.state().serial;
  EXPECT_TRUE(tr.set_loop_range({30 * kFrameNs, 45 * kFrameNs}, 2 * kFrameNs, kDuration));
  EXPECT_EQ(tr.state().serial, serial + 1);
  EXPECT_EQ(frame_at(tr.state_at(2 * kFrameNs), 2 * kFrameNs), 12);
  EXPECT_EQ(frame_at(tr.state_at(35 * kFrameNs), 35 * kFrameNs), 30);  // 45 → 30
}

}  // namespace
}  // namespace lockstep

namespace lockstep {
namespace {

TEST(TransportArithmetic, AnyValuesGiveADefinedPositionAndTime) {
  // A state from the network is range-checked first; the arithmetic must still be defined
  // for anything (rate 1e300 once froze every node and was undefined behaviour).
  TransportState s;
  s.paused = false;
  s.rate = 1e300;
  s.anchor_ns = INT64_MIN + 5;
  s.position_ns = INT64_MAX - 5;
  EXPECT_EQ(s.position_at(INT64_MAX), INT64_MAX);
  s.rate = -1e300;  // the step saturates at -9e18, the sum is then exact
  EXPECT_EQ(s.position_at(INT64_MAX), INT64_MAX - 5 - 9'000'000'000'000'000'000);
  s.rate = 1.0 / 16;
  EXPECT_EQ(s.time_of(INT64_MIN), INT64_MIN);
  // Ordinary values are exactly what the plain formula gives.
  TransportState t;
  t.paused = false;
  t.rate = 1.5;
  t.anchor_ns = 1'000'000'000;
  t.position_ns = 2'000'000'000;
  EXPECT_EQ(t.position_at(3'000'000'000), 2'000'000'000 + 3'000'000'000);
  EXPECT_EQ(t.time_of(5'000'000'000), 3'000'000'000);
}

}  // namespace
}  // namespace lockstep
