#include "ui/overlay.h"

#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>

#include <algorithm>
#include <cmath>

#include "ui/window.h"

namespace lockstep {

Result<std::unique_ptr<Overlay>> Overlay::create(Window& window) {
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
  overlay->apply_content_scale();
  return overlay;
}

Overlay::~Overlay() {
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
}

bool Overlay::wants_keyboard() const { return ImGui::GetIO().WantTextInput; }

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

Overlay::Frame Overlay::begin_frame() {
  apply_content_scale();
  ImGui_ImplGlfw_NewFrame();
  ImGui::NewFrame();
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  return Frame{vp->Size.x, vp->Size.y, scale_};
}

ImDrawData* Overlay::end_frame() {
  ImGui::Render();
  return visible_ ? ImGui::GetDrawData() : nullptr;
}

}  // namespace lockstep
