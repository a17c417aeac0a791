// The one render pass and the picture pipeline shared by the swapchain and the offscreen
// target, with the descriptor set that binds the plane textures (private to render/).
//
// The render pass clears to black, leaves the colour attachment in COLOR_ATTACHMENT_OPTIMAL,
// and the caller moves it on (to PRESENT_SRC_KHR or TRANSFER_SRC_OPTIMAL) with a barrier, so
// the same pass works for both targets. A second, compatible pass loads the image instead of
// clearing it, for frames whose picture the compute conversion wrote (vk_compute.h).
#pragma once

#include <array>
#include <vector>

#include "core/result.h"
#include "render/vk_context.h"
#include "render/yuv_conversion.h"

namespace lockstep::vk {

class PicturePipeline {
 public:
  /// Render pass for colour attachments of `format`, and the picture pipeline in it.
  static Result<PicturePipeline> create(const Context& ctx, VkFormat format);

  VkRenderPass render_pass() const { return render_pass_.get(); }
  /// Like render_pass(), but loads the image, which must be in COLOR_ATTACHMENT_OPTIMAL.
  VkRenderPass load_pass() const { return load_pass_.get(); }
  VkFormat format() const { return format_; }

  /// Points the descriptor set at the luma (R) and chroma (RG: Cb, Cr) texture views. The set
  /// must not be in use by the GPU (call after a wait).
  void bind_textures(VkDevice device, const std::array<VkImageView, 2>& views);

  /// Records the picture draw: viewport = `rect`, with the pipeline specialised for
  /// `conversion`, created on first use (a handful per session; when too many were made the
  /// cache is emptied after waiting for the device), turned for display by `turn`.
  Status record_draw(VkCommandBuffer cmd, const PixelRect& rect, const YuvToRgb& conversion,
                     const UvTransform& turn);

 private:
  struct CachedPipeline {
    YuvToRgb conversion;
    PipelineOwner pipeline;
  };
  Result<VkPipeline> pipeline_for(const YuvToRgb& conversion);

  const Context* ctx_ = nullptr;
  VkFormat format_ = VK_FORMAT_UNDEFINED;
  RenderPassOwner render_pass_;
  RenderPassOwner load_pass_;
  SamplerOwner sampler_;
  DescriptorSetLayoutOwner set_layout_;
  DescriptorPoolOwner descriptor_pool_;
  VkDescriptorSet descriptor_set_ = VK_NULL_HANDLE;  // freed with the pool
  PipelineLayoutOwner layout_;
  ShaderModuleOwner vert_;
  ShaderModuleOwner frag_;
  std::vector<CachedPipeline> pipelines_;  // one per conversion (specialisation constants)
};

}  // namespace lockstep::vk
