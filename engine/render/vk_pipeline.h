// The one render pass and the picture pipeline shared by the swapchain and the offscreen
// target, with the descriptor set that binds the plane textures (private to render/).
//
// The render pass clears to black, leaves the colour attachment in COLOR_ATTACHMENT_OPTIMAL,
// and the caller moves it on (to PRESENT_SRC_KHR or TRANSFER_SRC_OPTIMAL) with a barrier, so
// the same pass works for both targets.
#pragma once

#include <array>

#include "core/result.h"
#include "render/vk_context.h"
#include "render/yuv_conversion.h"

namespace lockstep::vk {

class PicturePipeline {
 public:
  /// Render pass for colour attachments of `format`, and the picture pipeline in it.
  static Result<PicturePipeline> create(const Context& ctx, VkFormat format);

  VkRenderPass render_pass() const { return render_pass_.get(); }
  VkFormat format() const { return format_; }

  /// Points the descriptor set at the luma (R) and chroma (RG: Cb, Cr) texture views. The set
  /// must not be in use by the GPU (call after a wait).
  void bind_textures(VkDevice device, const std::array<VkImageView, 2>& views);

  /// Records the picture draw: viewport = `rect`, conversion constants from `conversion`.
  void record_draw(VkCommandBuffer cmd, const PixelRect& rect, const YuvToRgb& conversion) const;

 private:
  VkFormat format_ = VK_FORMAT_UNDEFINED;
  RenderPassOwner render_pass_;
  SamplerOwner sampler_;
  DescriptorSetLayoutOwner set_layout_;
  DescriptorPoolOwner descriptor_pool_;
  VkDescriptorSet descriptor_set_ = VK_NULL_HANDLE;  // freed with the pool
  PipelineLayoutOwner layout_;
  PipelineOwner pipeline_;
};

}  // namespace lockstep::vk
