#include "ui/overlay.h"

#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>

#include <algorithm>
#include <cmath>

#include "ui/panels.h"
#include "ui/window.h"

namespace lockstep {

Overlay::Overlay()
    : panels_(std::make_unique<ui::PanelState>()),
      resolver_(std::make_unique<ui::HostResolver>()) {}

Result<std::unique_ptr<Overlay>> Overlay::create(Window& window, int default_port) {
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // the overlay has no layout to remember between runs
  ImGui::StyleColorsDark();
  if (!ImGui_ImplGlfw_InitForVulkan(window.handle(), true)) {
    ImGui::DestroyContext();
    return make_error("cannot set up the overlay's input handling (ImGui GLFW backend)");
  }
  std::unique_ptr<Overlay> overlay(new Overlay());
  overlay->window_ = window.handle();
  overlay->default_port_ = default_port;
  overlay->apply_content_scale();
  return overlay;
}

Overlay::~Overlay() {
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
}

bool Overlay::wants_keyboard() const { return ImGui::GetIO().WantTextInput; }

ui::NetworkForm& Overlay::form() { return panels_->form; }
const ui::FormChecks& Overlay::checks() const { return panels_->checks; }

void Overlay::apply_content_scale() {
  float sx = 1.0f, sy = 1.0f;
  if (window_) glfwGetWindowContentScale(window_, &sx, &sy);
  const float scale = std::clamp(std::max(sx, sy), 0.5f, 4.0f);
  if (std::fabs(scale - scale_) < 1e-3f) return;
  // Sizes are scaled from a fresh style so that repeated changes do not compound.
  ImGuiStyle style;
  ImGui::StyleColorsDark(&style);
  style.WindowRounding = 4.0f;
  style.FrameRounding = 2.0f;
  style.ScaleAllSizes(scale);
  ImGui::GetStyle() = style;
  ImGui::GetIO().FontGlobalScale = scale;
  scale_ = scale;
}

ImDrawData* Overlay::build(const ui::UiSnapshot& snapshot, PlayerCommands& commands,
                           std::vector<ui::UiCommand>& out) {
  return build_frame(snapshot, commands, out, false);
}

ImDrawData* Overlay::build_frame(const ui::UiSnapshot& snapshot, PlayerCommands& commands,
                                 std::vector<ui::UiCommand>& out, bool transport_only) {
  apply_content_scale();
  ImGui_ImplGlfw_NewFrame();
  ImGui::NewFrame();
  ui::PanelState& st = *panels_;
  // The checks before drawing place the marks and enable the button; the ones after take in
  // this frame's typing, so that checks() matches form().
  st.checks = ui::check_form(st.form, default_port_, resolver_.get());
  widgets_.clear();
  if (visible_) {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    const ui::PanelLayout layout = ui::layout_panels(vp->Size.x, vp->Size.y, scale_);
    ui::PanelFrame frame{snapshot, commands, out, widgets_, scale_, default_port_};
    if (!transport_only) {
      ui::draw_peers_panel(frame, st, layout.peers);
      ui::draw_network_panel(frame, st, layout.network);
      ui::draw_media_panel(frame, st, layout.media);
    }
    ui::draw_transport_bar(frame, layout.transport);
  }
  st.checks = ui::check_form(st.form, default_port_, resolver_.get());
  ImGui::Render();
  return visible_ ? ImGui::GetDrawData() : nullptr;
}

ui::TransportView transport_view(const PlayerSnapshot& s) {
  ui::TransportView t;
  t.paused = s.paused;
  t.frame_index = s.frame_index;
  t.frame_count = s.frame_count;
  t.fps = s.fps;
  t.rate = s.rate;
  t.loop = s.loop;
  t.loop_in = s.loop_in;
  t.loop_out = s.loop_out;
  t.dropped = s.dropped;
  t.repeated = s.repeated;
  t.decoder = s.decoder;
  t.audio = s.audio;
  t.file = s.path;
  return t;
}

ImDrawData* Overlay::build(const PlayerSnapshot& snapshot, PlayerCommands& commands) {
  ui::UiSnapshot ui_snapshot;
  ui_snapshot.transport = transport_view(snapshot);
  std::vector<ui::UiCommand> ignored;
  return build_frame(ui_snapshot, commands, ignored, true);
}

}  // namespace lockstep
