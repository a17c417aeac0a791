// Renderer on Vulkan: ties the context, target, pipeline, uploader and overlay together and
// records one command buffer per frame:
//   upload planes → render pass { clear black, picture (letterboxed), ImGui } →
//   [copy to the read-back buffer] → layout for present → submit → present.
// A 4:2:0 picture drawn at its own size takes the compute conversion instead (vk_compute.h):
//   stage planes → compute writes the picture into the target →
//   render pass loading it { clear the bars, ImGui } → the same from there.
// Two frames in flight: slot i's command buffer, staging slice and fence are reused only after
// that fence signalled. Nothing is destroyed while the GPU may use it: recreating the picture
// textures or the swapchain waits for the device first, and so does the destructor.
#include <array>
#include <cstring>
#include <memory>
#include <optional>

#include "core/log.h"
#include "core/time.h"
#include "render/renderer.h"
#include "render/vk_check.h"
#include "render/vk_compute.h"
#include "render/vk_context.h"
#include "render/vk_overlay.h"
#include "render/vk_pipeline.h"
#include "render/vk_target.h"
#include "render/vk_upload.h"
#include "render/yuv_conversion.h"

namespace lockstep {
namespace {

using namespace vk;

constexpr uint32_t kFramesInFlight = 2;

/// The parts of a target outside the picture's rectangle (at most 4), as clear rectangles.
struct Bars {
  std::array<VkClearRect, 4> rects{};
  uint32_t count = 0;
};

Bars bar_rects(VkExtent2D extent, const PixelRect& r) {
  Bars bars;
  const auto add = [&](int x, int y, int w, int h) {
    if (w > 0 && h > 0) bars.rects[bars.count++] = {{{x, y}, {uint32_t(w), uint32_t(h)}}, 0, 1};
  };
  const int width = int(extent.width), height = int(extent.height);
  add(0, 0, width, r.y);                                     // above
  add(0, r.y + r.height, width, height - r.y - r.height);    // below
  add(0, r.y, r.x, r.height);                                // left
  add(r.x + r.width, r.y, width - r.x - r.width, r.height);  // right
  return bars;
}

struct FrameSlot {
  VkCommandBuffer cmd = VK_NULL_HANDLE;  // freed with the command pool
  FenceOwner done;                       // signalled when the slot's last submit finished
};

class VulkanRenderer final : public Renderer {
 public:
  VulkanRenderer() = default;
  ~VulkanRenderer() override;

  Status init(const RendererParams& params);
  Result<DrawResult> draw(const DrawRequest& request) override;
  std::string device_description() const override { return ctx_->description(); }
  int validation_errors() const override { return ctx_ ? ctx_->validation_errors() : 0; }
  void wait_idle() override {
    if (ctx_) ctx_->wait_idle();
  }

 private:
  Status create_frames();
  bool converts_by_compute(const PictureView& picture, const PixelRect& rect,
                           const TargetFrame& frame) const;
  Status record_compute(const PictureView& picture, const PixelRect& rect, const TargetFrame& frame,
                        VkCommandBuffer cmd);
  Result<ConversionPath> record_frame(const DrawRequest& request, const TargetFrame& frame,
                                      VkCommandBuffer cmd);
  void record_read_back(const TargetFrame& frame, VkCommandBuffer cmd);
  Status ensure_read_back_buffer(VkExtent2D extent);
  Status copy_read_back(const TargetFrame& frame, DrawResult& result);

  // Declaration order is destruction order in reverse: everything below ctx_ goes first.
  std::unique_ptr<Context> ctx_;
  CommandPoolOwner command_pool_;
  std::array<FrameSlot, kFramesInFlight> frames_;
  std::optional<PicturePipeline> pipeline_;
  std::unique_ptr<RenderTarget> target_;
  std::optional<PlaneUploader> uploader_;
  std::optional<ComputeConversion> compute_;  // unset: RendererParams::compute_conversion off
  Buffer read_back_;  // used only by frames that wait for their fence before draw() returns
  std::unique_ptr<ImGuiOverlay> overlay_;

  uint64_t frame_number_ = 0;
  uint64_t target_generation_ = 0;
  bool warned_no_overlay_ = false;
};

VulkanRenderer::~VulkanRenderer() {
  if (!ctx_) return;
  ctx_->wait_idle();
  overlay_.reset();  // while the ImGui context still exists (the caller's contract)
}

Status VulkanRenderer::init(const RendererParams& params) {
  ContextParams cp;
  cp.validation = params.validation;
  if (params.surface) {
    cp.instance_extensions = params.surface->instance_extensions;
    cp.create_surface = params.surface->create_surface;
    if (!cp.create_surface || !params.surface->framebuffer_size)
      return make_error("RendererParams::surface needs create_surface and framebuffer_size");
  }
  LS_TRY(ctx_, Context::create(cp));

  VkSurfaceFormatKHR surface_format{VK_FORMAT_R8G8B8A8_UNORM, VK_COLOR_SPACE_SRGB_NONLINEAR_KHR};
  if (params.surface) {
    LS_TRY(surface_format, choose_surface_format(*ctx_));
  }
  LS_TRY(pipeline_, PicturePipeline::create(*ctx_, surface_format.format));

  if (params.surface) {
    SwapchainParams sp;
    sp.framebuffer_size = params.surface->framebuffer_size;
    sp.vsync = params.vsync;
    sp.slots = kFramesInFlight;
    LS_TRY(target_, create_swapchain_target(*ctx_, pipeline_->render_pass(), surface_format, sp));
  } else {
    if (params.width <= 0 || params.height <= 0)
      return make_error("headless renderer size " + std::to_string(params.width) + "x" +
                        std::to_string(params.height) + " is empty");
    LS_TRY(target_, create_offscreen_target(*ctx_, pipeline_->render_pass(),
                                            {uint32_t(params.width), uint32_t(params.height)},
                                            kFramesInFlight));
  }
  if (auto s = create_frames(); !s) return s;
  uploader_.emplace(*ctx_, kFramesInFlight);
  if (params.compute_conversion) {
    LS_TRY(compute_, ComputeConversion::create(*ctx_, kFramesInFlight));
  }
  if (params.overlay) {
    LS_TRY(overlay_, ImGuiOverlay::create(*ctx_, pipeline_->render_pass(), command_pool_.get(),
                                          kFramesInFlight));
  }
  return {};
}

Status VulkanRenderer::create_frames() {
  const VkDevice device = ctx_->device();
  VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pool_info.queueFamilyIndex = ctx_->queue_family();
  VkCommandPool pool = VK_NULL_HANDLE;
  LS_VK_TRY(vkCreateCommandPool(device, &pool_info, nullptr, &pool));
  command_pool_ = CommandPoolOwner(device, pool);

  std::array<VkCommandBuffer, kFramesInFlight> cmds{};
  VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  alloc.commandPool = pool;
  alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  alloc.commandBufferCount = kFramesInFlight;
  LS_VK_TRY(vkAllocateCommandBuffers(device, &alloc, cmds.data()));
  for (uint32_t i = 0; i < kFramesInFlight; ++i) {
    frames_[i].cmd = cmds[i];
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    fence_info.flags = VK_FENCE_CREATE_SIGNALED_BIT;  // the first wait returns at once
    VkFence fence = VK_NULL_HANDLE;
    LS_VK_TRY(vkCreateFence(device, &fence_info, nullptr, &fence));
    frames_[i].done = FenceOwner(device, fence);
  }
  return {};
}

Result<DrawResult> VulkanRenderer::draw(const DrawRequest& request) {
  // Checks that can fail cleanly come before an image is acquired.
  if (request.picture) {
    if (auto f = picture_format(*request.picture); !f) return forward_error(f, "draw");
  }
  if (request.read_back && !target_->can_read_back())
    return make_error(
        "read_back: the window's swapchain images cannot be copied "
        "(the surface offers no TRANSFER_SRC usage)");
  if (request.overlay && !overlay_ && !warned_no_overlay_) {
    LS_WARN(
        "render: an overlay was passed to draw() but the renderer was created without "
        "RendererParams::overlay; it is not drawn");
    warned_no_overlay_ = true;
  }

  const VkDevice device = ctx_->device();
  const uint32_t slot = uint32_t(frame_number_ % kFramesInFlight);
  FrameSlot& slot_state = frames_[slot];
  const VkFence fence = slot_state.done.get();
  LS_VK_TRY(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));

  LS_TRY(const std::optional<TargetFrame> acquired, target_->acquire(slot));
  DrawResult result;
  if (!acquired) {  // minimised: nothing shown; a time anyway for callers that time draws
    result.skipped = true;
    result.present_ns = monotonic_ns();
    return result;
  }
  const TargetFrame& frame = *acquired;
  result.width = int(frame.extent.width);
  result.height = int(frame.extent.height);
  if (overlay_ && target_->generation() != target_generation_)
    overlay_->set_min_image_count(target_->min_image_count());
  target_generation_ = target_->generation();
  if (request.read_back) {
    if (auto s = ensure_read_back_buffer(frame.extent); !s) return forward_error(s);
  }

  const VkCommandBuffer cmd = slot_state.cmd;
  LS_TRY(result.conversion, record_frame(request, frame, cmd));

  LS_VK_TRY(vkResetFences(device, 1, &fence));
  // The first write to the acquired image: the render pass, or the compute conversion.
  const VkPipelineStageFlags wait_stage =
      VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT;
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.waitSemaphoreCount = frame.wait ? 1 : 0;
  submit.pWaitSemaphores = &frame.wait;
  submit.pWaitDstStageMask = &wait_stage;
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &cmd;
  submit.signalSemaphoreCount = frame.signal ? 1 : 0;
  submit.pSignalSemaphores = &frame.signal;
  LS_VK_TRY(vkQueueSubmit(ctx_->queue(), 1, &submit, fence));
  ++frame_number_;

  if (target_->presents()) {
    LS_TRY(result.present_ns, target_->present(frame));
  } else {
    result.present_ns = monotonic_ns();  // headless: submitted; refined below on read-back
  }
  if (request.read_back || (request.wait_rendered && !target_->presents())) {
    LS_VK_TRY(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));
    if (!target_->presents()) result.present_ns = monotonic_ns();
  }
  if (request.read_back) {
    if (auto s = copy_read_back(frame, result); !s) return forward_error(s);
  }
  return result;
}

bool VulkanRenderer::converts_by_compute(const PictureView& picture, const PixelRect& rect,
                                         const TargetFrame& frame) const {
  return compute_ && frame.view != VK_NULL_HANDLE && target_->can_store() &&
         picture.transform.identity() && rect.width == picture.width && rect.height == picture.height &&
         uploader_->can_stage(picture);
}

Status VulkanRenderer::record_compute(const PictureView& picture, const PixelRect& rect,
                                      const TargetFrame& frame, VkCommandBuffer cmd) {
  const uint32_t slot = uint32_t(frame_number_ % kFramesInFlight);
  LS_TRY(const StagedPlanes planes, uploader_->stage_planes(picture, slot));

  // The image's previous contents are not needed (UNDEFINED). Earlier uses to wait for: the
  // presentation engine (acquire semaphore, waited at COMPUTE_SHADER) and read-back copies.
  VkImageMemoryBarrier to_general{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
  to_general.srcAccessMask = 0;
  to_general.dstAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  to_general.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  to_general.newLayout = VK_IMAGE_LAYOUT_GENERAL;
  to_general.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  to_general.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  to_general.image = frame.image;
  to_general.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
  vkCmdPipelineBarrier(
      cmd,
      VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT |
          VK_PIPELINE_STAGE_TRANSFER_BIT,
      VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 0, nullptr, 0, nullptr, 1, &to_general);

  if (auto s = compute_->record(cmd, slot, picture, planes, frame.view, {rect.x, rect.y}); !s)
    return forward_error(s, "converting a picture");

  VkImageMemoryBarrier to_attachment = to_general;
  to_attachment.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  to_attachment.dstAccessMask =
      VK_ACCESS_COLOR_ATTACHMENT_READ_BIT | VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
  to_attachment.oldLayout = VK_IMAGE_LAYOUT_GENERAL;
  to_attachment.newLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                       VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT, 0, 0, nullptr, 0, nullptr, 1,
                       &to_attachment);
  return {};
}

Result<ConversionPath> VulkanRenderer::record_frame(const DrawRequest& request,
                                                    const TargetFrame& frame, VkCommandBuffer cmd) {
  LS_VK_TRY(vkResetCommandBuffer(cmd, 0));
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  LS_VK_TRY(vkBeginCommandBuffer(cmd, &begin));

  const PictureView* picture = request.picture;
  const PixelRect rect =
      picture ? letterbox(int(frame.extent.width), int(frame.extent.height), *picture)
              : PixelRect{};
  const bool by_compute = picture && converts_by_compute(*picture, rect, frame);
  if (by_compute) {
    if (auto s = record_compute(*picture, rect, frame, cmd); !s) return forward_error(s);
  } else if (picture) {
    LS_TRY(const bool recreated,
           uploader_->upload(*picture, uint32_t(frame_number_ % kFramesInFlight), cmd));
    if (recreated) pipeline_->bind_textures(ctx_->device(), uploader_->views());
  }

  VkClearValue clear{};
  clear.color = {{0.0f, 0.0f, 0.0f, 1.0f}};
  VkRenderPassBeginInfo pass{VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO};
  pass.renderPass = by_compute ? pipeline_->load_pass() : pipeline_->render_pass();
  pass.framebuffer = frame.framebuffer;
  pass.renderArea = {{0, 0}, frame.extent};
  pass.clearValueCount = by_compute ? 0 : 1;
  pass.pClearValues = by_compute ? nullptr : &clear;
  vkCmdBeginRenderPass(cmd, &pass, VK_SUBPASS_CONTENTS_INLINE);
  if (by_compute) {
    const VkClearAttachment black{VK_IMAGE_ASPECT_COLOR_BIT, 0, clear};
    const Bars bars = bar_rects(frame.extent, rect);
    if (bars.count > 0) vkCmdClearAttachments(cmd, 1, &black, bars.count, bars.rects.data());
  } else if (picture) {
    if (auto s = pipeline_->record_draw(cmd, rect, yuv_to_rgb(*picture), uv_transform(picture->transform)); !s)
      return forward_error(s);
  }
  if (request.overlay && overlay_) overlay_->record(request.overlay, cmd);
  vkCmdEndRenderPass(cmd);

  if (request.read_back) {
    record_read_back(frame, cmd);
  } else if (const auto layout = target_->final_layout()) {
    VkImageMemoryBarrier b{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
    b.srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
    b.dstAccessMask = 0;  // presentation is ordered by the semaphore
    b.oldLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
    b.newLayout = *layout;
    b.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    b.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    b.image = frame.image;
    b.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
                         VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0, nullptr, 0, nullptr, 1, &b);
  }
  LS_VK_TRY(vkEndCommandBuffer(cmd));
  if (!picture) return ConversionPath::None;
  return by_compute ? ConversionPath::ComputeShader : ConversionPath::FragmentShader;
}

void VulkanRenderer::record_read_back(const TargetFrame& frame, VkCommandBuffer cmd) {
  VkImageMemoryBarrier to_src{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
  to_src.srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
  to_src.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
  to_src.oldLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
  to_src.newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
  to_src.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  to_src.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  to_src.image = frame.image;
  to_src.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
                       VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, nullptr, 0, nullptr, 1, &to_src);

  VkBufferImageCopy region{};
  region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
  region.imageExtent = {frame.extent.width, frame.extent.height, 1};
  vkCmdCopyImageToBuffer(cmd, frame.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                         read_back_.buffer.get(), 1, &region);

  VkBufferMemoryBarrier to_host{VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER};
  to_host.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  to_host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  to_host.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  to_host.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  to_host.buffer = read_back_.buffer.get();
  to_host.size = VK_WHOLE_SIZE;
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0,
                       nullptr, 1, &to_host, 0, nullptr);

  if (const auto layout = target_->final_layout()) {
    VkImageMemoryBarrier to_final = to_src;
    to_final.srcAccessMask = 0;  // the copy only read the image
    to_final.dstAccessMask = 0;
    to_final.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
    to_final.newLayout = *layout;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
                         0, 0, nullptr, 0, nullptr, 1, &to_final);
  }
}

Status VulkanRenderer::ensure_read_back_buffer(VkExtent2D extent) {
  const VkDeviceSize needed = VkDeviceSize(extent.width) * extent.height * 4;
  if (read_back_.size >= needed) return {};
  // Every earlier read-back frame waited for its fence, so the old buffer is unused.
  read_back_ = Buffer{};
  LS_TRY(read_back_,
         ctx_->create_buffer(needed, VK_BUFFER_USAGE_TRANSFER_DST_BIT, MemoryUse::Readback));
  return {};
}

Status VulkanRenderer::copy_read_back(const TargetFrame& frame, DrawResult& result) {
  if (!read_back_.coherent) {
    const VkMappedMemoryRange range{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, nullptr,
                                    read_back_.memory.get(), 0, VK_WHOLE_SIZE};
    LS_VK_TRY(vkInvalidateMappedMemoryRanges(ctx_->device(), 1, &range));
  }
  const size_t bytes = size_t(frame.extent.width) * frame.extent.height * 4;
  const auto* src = static_cast<const uint8_t*>(read_back_.mapped);
  result.rgba.assign(src, src + bytes);
  if (target_->bgra()) {
    for (size_t i = 0; i < bytes; i += 4) std::swap(result.rgba[i], result.rgba[i + 2]);
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Renderer>> Renderer::create(const RendererParams& params) {
  auto renderer = std::make_unique<VulkanRenderer>();
  if (auto s = renderer->init(params); !s) return forward_error(s, "creating the Vulkan renderer");
  return std::unique_ptr<Renderer>(std::move(renderer));
}

bool vulkan_validation_available() { return validation_layer_installed(); }

}  // namespace lockstep
