// The player and the renderer in one process, headless on the real Vulkan device: a seek to
// any frame (keyframe or not) renders exactly that frame, read back from the pixels.
#include <gtest/gtest.h>

#include <random>
#include <thread>
#include <vector>

#include "core/time.h"
#include "framecode/framecode.h"
#include "player/player.h"
#include "render/renderer.h"
#include "support/test_media.h"

namespace lockstep {
namespace {

std::optional<int64_t> render_and_read(Renderer& renderer, const FramePick& pick) {
  PictureView view = pick.frame->view();
  DrawRequest req;
  req.picture = &view;
  req.read_back = true;
  auto drawn = renderer.draw(req);
  EXPECT_TRUE(drawn.ok()) << drawn.error();
  if (!drawn) return std::nullopt;
  return framecode::read_frame_index(drawn->rgba.data(), drawn->width, drawn->height,
                                     drawn->width * 4);
}

/// A paused player on a 640x360 clip with a keyframe every 60 frames, and a headless
/// renderer of the same size.
class PlayerRender : public ::testing::Test {
 protected:
  void open(int64_t start_frame) {
    const std::string path = test::clip(
        "h264_seek_640_gop60.mp4", {"--size", "640x360", "--fps", "30", "--frames", "300", "--gop", "60"});
    ASSERT_FALSE(path.empty());
    PlayerParams pp;
    pp.path = path;
    pp.audio_device = "none";
    pp.hwdec = HwDecode::None;
    pp.start_frame = start_frame;
    auto p = Player::open(pp);
    ASSERT_TRUE(p.ok()) << p.error();
    player = std::move(p.value());
    RendererParams rp;
    rp.width = 640;
    rp.height = 360;
    auto r = Renderer::create(rp);
    ASSERT_TRUE(r.ok()) << r.error();
    renderer = std::move(r.value());
    player->start(/*paused=*/true);
  }
  std::unique_ptr<Player> player;
  std::unique_ptr<Renderer> renderer;
};

TEST_F(PlayerRender, SeekToRandomFramesRendersTheTarget) {
  ASSERT_NO_FATAL_FAILURE(open(0));
  std::mt19937 rng(42);
  std::uniform_int_distribution<int64_t> dist(0, 299);
  int non_keyframes = 0;
  for (int i = 0; i < 20; ++i) {
    const int64_t target = dist(rng);
    non_keyframes += target % 60 != 0;
    player->seek_frame(target);
    const FramePick pick = player->pick_frame(monotonic_ns(), 5000);
    ASSERT_NE(pick.frame, nullptr);
    EXPECT_EQ(pick.frame->index, target);
    EXPECT_EQ(render_and_read(*renderer, pick), std::optional<int64_t>(target));
    player->mark_presented();
  }
  EXPECT_GE(non_keyframes, 15);
}

TEST_F(PlayerRender, StepMovesOneFrameBothWays) {
  ASSERT_NO_FATAL_FAILURE(open(100));
  Player& pl = *player;
  auto show = [&] {
    const FramePick pick = pl.pick_frame(monotonic_ns(), 5000);
    EXPECT_NE(pick.frame, nullptr);
    auto idx = pick.frame ? render_and_read(*renderer, pick) : std::nullopt;
    pl.mark_presented();
    return idx.value_or(-1);
  };
  EXPECT_EQ(show(), 100);
  pl.step(1);
  EXPECT_EQ(show(), 101);
  pl.step(-1);
  EXPECT_EQ(show(), 100);
  pl.step(-1);
  EXPECT_EQ(show(), 99);  // backwards across decode order, between keyframes
  pl.seek_relative(1.0);
  EXPECT_EQ(show(), 129);
}

TEST_F(PlayerRender, LoopRangePlaysInToOutThenInAgainFrameByFrame) {
  ASSERT_NO_FATAL_FAILURE(open(0));
  Player& pl = *player;
  // 30..45 crosses no keyframe (every 60): each wrap seeks back to frame 0's keyframe and
  // decodes up to 30, as an accurate seek does.
  pl.set_loop(true);
  pl.set_loop_range(30, 45);
  pl.seek_frame(30);
  const FramePick first = pl.pick_frame(monotonic_ns(), 5000);
  ASSERT_NE(first.frame, nullptr);
  EXPECT_EQ(first.frame->index, 30);
  const PlayerSnapshot snap = pl.snapshot();
  EXPECT_EQ(snap.loop_in, 30);
  EXPECT_EQ(snap.loop_out, 45);
  // Play in transport time, one refresh in the middle of each frame; real time runs slower
  // (a sleep per refresh), so the decoder has every frame ready when it is due.
  const int64_t frame_ns = pl.info().frame_time_ns(1);
  const int64_t t0 = monotonic_ns() + 20'000'000;
  pl.play_at(t0);
  std::vector<int64_t> shown;
  for (int64_t k = 0; k < 15 * 3 + 1; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(35));
    const FramePick pick = pl.pick_frame_at(t0 + k * frame_ns + frame_ns / 2);
    ASSERT_NE(pick.frame, nullptr);
    const int64_t want = 30 + k % 15;
    EXPECT_EQ(pick.due_index, want) << "refresh " << k;
    EXPECT_EQ(pick.frame->index, want) << "refresh " << k;
    EXPECT_EQ(render_and_read(*renderer, pick), std::optional<int64_t>(want)) << "refresh " << k;
    pl.mark_presented();
    shown.push_back(pick.frame->index);
  }
  EXPECT_EQ(shown.back(), 30);  // once more at in after the third pass
  EXPECT_EQ(pl.snapshot().repeated, 0);
  EXPECT_EQ(pl.snapshot().dropped, 0);
}

TEST_F(PlayerRender, LoopRangeSetWhilePlayingPastItsOutJumpsToIn) {
  ASSERT_NO_FATAL_FAILURE(open(100));
  Player& pl = *player;
  pl.set_loop(true);
  pl.set_loop_range(30, 45);  // the position (100) is past out: it goes to in
  const FramePick pick = pl.pick_frame(monotonic_ns(), 5000);
  ASSERT_NE(pick.frame, nullptr);
  EXPECT_EQ(pick.frame->index, 30);
  EXPECT_EQ(render_and_read(*renderer, pick), std::optional<int64_t>(30));
  pl.set_loop_range(45, 30);  // empty: ignored
  EXPECT_EQ(pl.snapshot().loop_in, 30);
  pl.set_loop_range(0, 0);  // the whole file again
  EXPECT_EQ(pl.snapshot().loop_in, 0);
  EXPECT_EQ(pl.snapshot().loop_out, 300);
}

}  // namespace
}  // namespace lockstep
