// The ImGui overlay drawn by the renderer in the same frame as the picture (headless).
#include <gtest/gtest.h>
#include <imgui.h>

#include <cstdio>
#include <cstring>

#include "render_fixture.h"
#include "test_pictures.h"

namespace lockstep::test {
namespace {

/// An ImGui context for the test; destroyed after the renderer (declared first).
struct ImGuiContextScope {
  ImGuiContextScope(int width, int height) {
    IMGUI_CHECKVERSION();
    ctx = ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(float(width), float(height));
    io.DeltaTime = 1.0f / 60.0f;
  }
  ~ImGuiContextScope() { ImGui::DestroyContext(ctx); }
  ImGuiContext* ctx;
};

TEST(RendererOverlay, ImGuiWindowChangesOnlyItsArea) {
  constexpr int kWidth = 640, kHeight = 360;
  ImGuiContextScope imgui(kWidth, kHeight);
  auto renderer = make_headless_renderer(kWidth, kHeight, /*overlay=*/true);
  ASSERT_TRUE(renderer);

  const auto card = make_test_card(kWidth, kHeight);
  const AVFramePtr frame = make_yuv_frame(card, kWidth, kHeight, AV_PIX_FMT_YUV420P,
                                          ColorMatrix::BT709, ColorRange::Limited);
  const PictureView view = picture_view(*frame);
  const DrawResult plain = draw_and_read(*renderer, &view);

  // A window at (100, 80), 200x150, with a filled red rectangle inside.
  constexpr int kWinX = 100, kWinY = 80, kWinW = 200, kWinH = 150;
  DrawResult with_overlay;
  for (int i = 0; i < 3; ++i) {  // a few frames: ImGui settles window size on the first one
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(kWinX, kWinY));
    ImGui::SetNextWindowSize(ImVec2(kWinW, kWinH));
    ImGui::Begin("overlay", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoSavedSettings);
    ImGui::GetWindowDrawList()->AddRectFilled(
        ImVec2(kWinX + 40, kWinY + 40), ImVec2(kWinX + 120, kWinY + 100), IM_COL32(255, 0, 0, 255));
    ImGui::End();
    ImGui::Render();
    with_overlay = draw_and_read(*renderer, &view, ImGui::GetDrawData());
  }
  ASSERT_EQ(with_overlay.rgba.size(), plain.rgba.size());

  const Rgba red = pixel_at(with_overlay.rgba, kWidth, kWinX + 80, kWinY + 70);
  EXPECT_EQ(red.r, 255) << to_string(red);
  EXPECT_EQ(red.g, 0) << to_string(red);
  EXPECT_EQ(red.b, 0) << to_string(red);
  // The window background (semi-transparent) changes the rest of the window area too.
  int changed_inside = 0, changed_outside = 0, inside = 0;
  for (int y = 0; y < kHeight; ++y) {
    for (int x = 0; x < kWidth; ++x) {
      const size_t i = (size_t(y) * kWidth + x) * 4;
      const bool differs = std::memcmp(&plain.rgba[i], &with_overlay.rgba[i], 4) != 0;
      const bool in_window = x >= kWinX && x < kWinX + kWinW && y >= kWinY && y < kWinY + kWinH;
      inside += in_window;
      if (in_window)
        changed_inside += differs;
      else
        changed_outside += differs;
    }
  }
  std::printf("[ OVERLAY  ] %d of %d pixels inside the window changed, %d outside\n",
              changed_inside, inside, changed_outside);
  EXPECT_GT(changed_inside, inside * 9 / 10);
  EXPECT_EQ(changed_outside, 0);

  // The overlay is optional per frame: without draw data the picture is unchanged.
  const DrawResult again = draw_and_read(*renderer, &view);
  EXPECT_EQ(again.rgba, plain.rgba);
  renderer->wait_idle();
  EXPECT_EQ(renderer->validation_errors(), 0);
  renderer.reset();  // before the ImGui context goes
}

TEST(RendererOverlay, OverlayWithoutImGuiContextIsAnError) {
  ASSERT_EQ(ImGui::GetCurrentContext(), nullptr);
  RendererParams params;
  params.width = 64;
  params.height = 64;
  params.overlay = true;
  auto renderer = Renderer::create(params);
  ASSERT_FALSE(renderer.ok());
  EXPECT_NE(renderer.error().find("ImGui"), std::string::npos) << renderer.error();
}

}  // namespace
}  // namespace lockstep::test
