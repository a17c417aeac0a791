// The Dear ImGui Vulkan backend (1.86) set up for the renderer's render pass (private to
// render/). The backend keeps its state in the current ImGui context, so there is one overlay
// per ImGui context, and that context must outlive the overlay.
//
// Thread-safety: render thread only.
#pragma once

#include <memory>

#include "core/result.h"
#include "render/vk_context.h"

struct ImDrawData;

namespace lockstep::vk {

class ImGuiOverlay {
 public:
  /// Initialises the backend for `render_pass` and uploads the font atlas with a one-shot
  /// command buffer from `pool` (waits for the queue). `frames_in_flight` sizes the backend's
  /// vertex-buffer ring (a buffer is reused only after that many frames).
  static Result<std::unique_ptr<ImGuiOverlay>> create(const Context& ctx, VkRenderPass render_pass,
                                                      VkCommandPool pool,
                                                      uint32_t frames_in_flight);
  /// Shuts the backend down. The device must be idle.
  ~ImGuiOverlay();
  ImGuiOverlay(const ImGuiOverlay&) = delete;
  ImGuiOverlay& operator=(const ImGuiOverlay&) = delete;

  /// After a swapchain recreate (waits for the device when the count changed).
  void set_min_image_count(uint32_t count);
  /// Records the overlay's draws into the render pass being recorded in `cmd`.
  void record(ImDrawData* draw_data, VkCommandBuffer cmd);

 private:
  ImGuiOverlay() = default;
  DescriptorPoolOwner pool_;
  bool initialised_ = false;
};

}  // namespace lockstep::vk
