// Where frames are drawn (private to render/): a window's swapchain or offscreen images, behind
// one interface so the renderer records the same commands for both.
//
// Thread-safety: render thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "core/result.h"
#include "render/vk_context.h"

namespace lockstep::vk {

/// One target image, ready to be drawn into this frame.
struct TargetFrame {
  uint32_t image_index = 0;
  VkImage image = VK_NULL_HANDLE;
  VkImageView view = VK_NULL_HANDLE;  // the framebuffer's colour view, also a storage view
                                      // when the target can_store()
  VkFramebuffer framebuffer = VK_NULL_HANDLE;
  VkExtent2D extent{};
  VkSemaphore wait = VK_NULL_HANDLE;    // signalled when the image may be written, or null
  VkSemaphore signal = VK_NULL_HANDLE;  // for the submit to signal before presenting, or null
};

class RenderTarget {
 public:
  virtual ~RenderTarget() = default;

  virtual VkFormat format() const = 0;
  /// True when the images are B8G8R8A8 (read-back swaps to RGBA).
  bool bgra() const { return format() == VK_FORMAT_B8G8R8A8_UNORM; }
  /// Whether images can be copied out (TRANSFER_SRC usage).
  virtual bool can_read_back() const = 0;
  /// Whether compute shaders can write the images (STORAGE usage, unformatted writes).
  virtual bool can_store() const = 0;
  /// Layout the image must be left in by the frame's commands; nullopt when any will do.
  virtual std::optional<VkImageLayout> final_layout() const = 0;
  /// True for a swapchain: frames are presented, with semaphores.
  bool presents() const { return final_layout().has_value(); }
  virtual uint32_t image_count() const = 0;
  virtual uint32_t min_image_count() const = 0;
  /// Changes each time the images are recreated (window resized, swapchain out of date).
  virtual uint64_t generation() const = 0;

  /// The image for frame-in-flight `slot`. A swapchain is recreated first when the window's
  /// framebuffer size changed or it went out of date. nullopt: nothing to draw into now
  /// (minimised window); the caller skips the frame.
  virtual Result<std::optional<TargetFrame>> acquire(uint32_t slot) = 0;
  /// Queues the drawn frame for presentation (swapchain): returns monotonic_ns() right after
  /// vkQueuePresentKHR returned; 0 for offscreen targets.
  virtual Result<int64_t> present(const TargetFrame& frame) = 0;
};

/// `slots` RGBA8 images of `extent`, one per frame in flight (so no frame waits for another's
/// image), with framebuffers for `render_pass`.
Result<std::unique_ptr<RenderTarget>> create_offscreen_target(const Context& ctx,
                                                              VkRenderPass render_pass,
                                                              VkExtent2D extent, uint32_t slots);

struct SwapchainParams {
  std::function<void(int* width, int* height)> framebuffer_size;
  bool vsync = false;
  uint32_t slots = 2;  // frames in flight: one acquire semaphore each
};

/// The surface format the swapchain will use: B8G8R8A8_UNORM or R8G8B8A8_UNORM (UNORM, not
/// SRGB: the shader writes display-referred values), else the first offered.
Result<VkSurfaceFormatKHR> choose_surface_format(const Context& ctx);

/// A swapchain on ctx.surface() with framebuffers for `render_pass` (created for
/// `format.format`). The swapchain itself is created on the first acquire().
Result<std::unique_ptr<RenderTarget>> create_swapchain_target(const Context& ctx,
                                                              VkRenderPass render_pass,
                                                              VkSurfaceFormatKHR format,
                                                              SwapchainParams params);

}  // namespace lockstep::vk
