#include "ui/overlay.h"

#include <imgui.h>
#include <imgui_impl_glfw.h>

#include <cmath>

#include "ui/window.h"

namespace lockstep {

std::string format_timecode(int64_t index, double fps) {
  const int64_t base = std::max<int64_t>(1, std::llround(fps));
  const int64_t ff = index % base;
  const int64_t total_s = index / base;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld:%02lld", (long long)(total_s / 3600),
                (long long)(total_s / 60 % 60), (long long)(total_s % 60), (long long)ff);
  return buf;
}

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
  return std::unique_ptr<Overlay>(new Overlay());
}

Overlay::~Overlay() {
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
}

bool Overlay::wants_keyboard() const { return ImGui::GetIO().WantTextInput; }

ImDrawData* Overlay::build(const PlayerSnapshot& s, PlayerCommands& commands) {
  ImGui_ImplGlfw_NewFrame();
  ImGui::NewFrame();
  if (visible_) {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    const float height = ImGui::GetFrameHeightWithSpacing() * 2.0f + 16.0f;
    // The bottom of the window: the top rows carry the test pattern in test clips.
    ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x, vp->WorkPos.y + vp->WorkSize.y - height));
    ImGui::SetNextWindowSize(ImVec2(vp->WorkSize.x, height));
    ImGui::SetNextWindowBgAlpha(0.6f);
    ImGui::Begin("transport", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                     ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoFocusOnAppearing);
    if (ImGui::Button(s.paused ? "Play" : "Pause", ImVec2(70, 0))) commands.toggle_pause();
    ImGui::SameLine();
    const int64_t shown = std::max<int64_t>(s.frame_index, 0);
    ImGui::Text("%s  frame %lld / %lld", format_timecode(shown, s.fps).c_str(),
                (long long)shown, (long long)(s.frame_count - 1));
    ImGui::SameLine();
    ImGui::TextDisabled("dropped %lld  repeated %lld  %s decode  audio: %s  %.2fx%s",
                        (long long)s.dropped, (long long)s.repeated, s.decoder.c_str(),
                        s.audio.c_str(), s.rate, s.loop ? "  loop" : "");
    ImGui::SetNextItemWidth(-1.0f);
    int64_t target = shown;
    const int64_t lo = 0, hi = std::max<int64_t>(0, s.frame_count - 1);
    if (ImGui::SliderScalar("##seek", ImGuiDataType_S64, &target, &lo, &hi, "%lld") &&
        target != shown)
      commands.seek_frame(target);
    ImGui::End();
  }
  ImGui::Render();
  return visible_ ? ImGui::GetDrawData() : nullptr;
}

}  // namespace lockstep
