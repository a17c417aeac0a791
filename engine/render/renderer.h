// The Vulkan renderer: draws a PictureView letterboxed into a window's swapchain or into an
// offscreen image (--headless) with the same render pass and pipeline, converts YUV to RGB in
// a shader (BT.601/709/2020, limited/full, 8-16 bit), draws the ImGui overlay in the same
// frame, and can read the result back as RGBA.
//
// Thread-safety: a Renderer is used from one thread (the render thread) only.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "media/picture.h"

struct ImDrawData;

namespace lockstep {

/// How a window hands the renderer a surface, without render/ knowing the window system.
struct SurfaceSource {
  std::vector<std::string> instance_extensions;  // e.g. from glfwGetRequiredInstanceExtensions
  std::function<VkResult(VkInstance, VkSurfaceKHR*)> create_surface;
  std::function<void(int* width, int* height)> framebuffer_size;  // pixels
};

struct RendererParams {
  /// Size of the offscreen target in headless mode (ignored with a surface).
  int width = 1280;
  int height = 720;
  /// Present into a window; std::nullopt renders offscreen (headless).
  std::optional<SurfaceSource> surface;
  /// Enables VK_LAYER_KHRONOS_validation when installed (also LOCKSTEP_VK_VALIDATION=1);
  /// validation errors are logged and counted (validation_errors()).
  bool validation = false;
  /// Initialises the ImGui Vulkan backend; an ImGui context must exist already.
  /// The backend keeps its state in that context: one overlay renderer per ImGui context, and
  /// the renderer must be destroyed before the context.
  bool overlay = false;
  /// Prefer FIFO (vsync) presentation; when false, MAILBOX or IMMEDIATE if offered.
  bool vsync = false;
  /// Converts 4:2:0 pictures drawn at their own size (1:1) with a compute shader that writes
  /// the target directly, when the device and target allow it: on lavapipe about a third of
  /// the fragment shader's cost, same result. False: always the fragment shader.
  bool compute_conversion = true;
};

struct DrawRequest {
  const PictureView* picture = nullptr;  // null: clear to black
  ImDrawData* overlay = nullptr;         // ImGui::GetDrawData(), or null
  bool read_back = false;                // fill DrawResult::rgba (waits for the GPU)
  /// Headless: wait until the GPU has finished this frame, so present_ns is when the image
  /// is complete (the paced loop uses it; throughput runs leave it off).
  bool wait_rendered = false;
};

/// Which shader converted a drawn picture to RGB.
enum class ConversionPath {
  None,            // no picture was drawn
  FragmentShader,  // textures sampled by the picture's draw (scaled, or not 4:2:0)
  ComputeShader,   // written into the target by a compute shader (4:2:0 drawn at 1:1)
};

struct DrawResult {
  /// Monotonic ns right after vkQueuePresentKHR returned (window), or when the GPU
  /// finished the frame (headless).
  /// Headless without read_back, draw() does not wait for the GPU: then it is the time the
  /// frame was submitted (the GPU finishes it later). When skipped: when draw() returned.
  int64_t present_ns = 0;
  /// Tightly packed RGBA8 of the whole target, when read_back was asked.
  std::vector<uint8_t> rgba;
  /// Size of the target drawn into (pixels).
  int width = 0;
  int height = 0;
  /// True when nothing was drawn: the window is minimised (0x0) or its swapchain could not
  /// be recreated yet. Draw again later.
  bool skipped = false;
  /// How the picture was converted (diagnostics; tests check that the fast path is taken).
  ConversionPath conversion = ConversionPath::None;
};

class Renderer {
 public:
  static Result<std::unique_ptr<Renderer>> create(const RendererParams& params);
  virtual ~Renderer() = default;

  /// Uploads, draws and presents one frame. Recreates the swapchain when the window was
  /// resized or the swapchain went out of date.
  /// Blocks only for the frame drawn two frames ago (2 frames in flight), or for this frame
  /// when read_back is set, and for the GPU to go idle when the picture's size or format
  /// changed (the textures are recreated). The picture's memory is copied before it returns.
  virtual Result<DrawResult> draw(const DrawRequest& request) = 0;

  /// "llvmpipe (LLVM 15.0.6, 256 bits) [cpu]" — the chosen device and its type.
  virtual std::string device_description() const = 0;
  /// Number of validation-layer errors seen so far (0 when validation is off).
  virtual int validation_errors() const = 0;
  /// Waits until the GPU is idle (before destroying things the GPU may still use).
  virtual void wait_idle() = 0;
};

/// True when VK_LAYER_KHRONOS_validation is installed, so RendererParams::validation has an
/// effect (Debian package vulkan-validationlayers). Thread-safe.
bool vulkan_validation_available();

}  // namespace lockstep
