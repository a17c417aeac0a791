// The overlay's panels drawn in an ImGui context without a window: a person's clicks become
// NodeCommands, the one command type of the node (tools/node/node_command.h), and disabled
// controls give none.
#include <gtest/gtest.h>
#include <imgui.h>

#include <string>
#include <vector>

#include "tools/node/node_command.h"
#include "tools/node/overlay/panels.h"

namespace lockstep::ui {
namespace {

class HeadlessPanels : public ::testing::Test {
 protected:
  void SetUp() override {
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(1280, 720);
    io.DeltaTime = 1.0f / 60;
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);  // builds the font atlas
  }
  void TearDown() override { ImGui::DestroyContext(); }

  /// One frame of the transport bar and the Media panel with the mouse at (x, y), its
  /// button `down`; returns the commands given.
  std::vector<NodeCommand> frame(float x, float y, bool down) {
    ImGuiIO& io = ImGui::GetIO();
    io.MousePos = ImVec2(x, y);
    io.MouseDown[0] = down;
    ImGui::NewFrame();
    std::vector<NodeCommand> out;
    PanelFrame f{snapshot, out, widgets, 1.0f, 7450};
    const PanelLayout layout = layout_panels(1280, 720, 1.0f);
    draw_media_panel(f, state, layout.media);
    draw_transport_bar(f, layout.transport);
    ImGui::Render();
    return out;
  }
  /// Moves onto widget `id`, presses and releases: the commands given over those frames.
  std::vector<NodeCommand> click(const std::string& id) {
    frame(0, 0, false);  // lays the panels out and records where each widget is
    const auto it = widgets.find(id);
    EXPECT_NE(it, widgets.end()) << id << " was not drawn";
    if (it == widgets.end()) return {};
    const float x = it->second.x + it->second.w / 2, y = it->second.y + it->second.h / 2;
    std::vector<NodeCommand> all;
    for (bool down : {false, true, false, false}) {
      auto got = frame(x, y, down);
      all.insert(all.end(), got.begin(), got.end());
    }
    return all;
  }

  UiSnapshot snapshot;
  PanelState state;
  WidgetMap widgets;
};

TEST_F(HeadlessPanels, TransportButtonsGiveNodeCommands) {
  snapshot.transport.frame_index = 40;
  snapshot.transport.frame_count = 250;
  snapshot.transport.fps = 25;
  auto got = click("transport.play");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind, NodeCommand::Kind::TogglePause);
  EXPECT_EQ(got[0].scope(), NodeCommand::Scope::Transport);

  got = click("transport.step_back");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind, NodeCommand::Kind::Step);
  EXPECT_EQ(got[0].frames, -1);

  got = click("transport.loop_in");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind, NodeCommand::Kind::SetLoopRange);
  EXPECT_EQ(got[0].frame, 40) << "In makes the frame on screen the loop's first";
  EXPECT_EQ(got[0].out_frame, 250);

  got = click("transport.loop");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind, NodeCommand::Kind::SetLoop);
  EXPECT_TRUE(got[0].on);
}

TEST_F(HeadlessPanels, ControlsThatAnotherNodeHoldsGiveNothing) {
  snapshot.transport.frame_count = 250;
  snapshot.transport.can_control = false;
  snapshot.transport.control_reason = "Only the server's operator controls playback";
  EXPECT_TRUE(click("transport.play").empty());
  EXPECT_TRUE(click("transport.step_forward").empty());
  EXPECT_FALSE(widgets.at("transport.play").enabled);
}

TEST(KeyCommands, KeysGiveTheSameCommandsAsTheOverlay) {
  constexpr int kSpace = 32, kRight = 262, kLeft = 263, kShift = 1, kO = 79, kQ = 81, kX = 88;
  EXPECT_EQ(key_command(kSpace, 0)->kind, NodeCommand::Kind::TogglePause);
  EXPECT_EQ(key_command(kRight, 0)->frames, 1);
  EXPECT_EQ(key_command(kLeft, 0)->frames, -1);
  EXPECT_EQ(key_command(kLeft, kShift)->kind, NodeCommand::Kind::SeekRelative);
  EXPECT_EQ(key_command(kLeft, kShift)->seconds, -5.0);
  EXPECT_EQ(key_command(kO, 0)->scope(), NodeCommand::Scope::Window);
  EXPECT_EQ(key_command(kQ, 0)->kind, NodeCommand::Kind::Quit);
  EXPECT_FALSE(key_command(kX, 0)) << "a key without a meaning gives nothing";
}

}  // namespace
}  // namespace lockstep::ui
