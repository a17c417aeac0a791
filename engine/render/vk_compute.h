// The compute conversion (private to render/): converts a 4:2:0 picture staged by
// PlaneUploader::stage_planes() into a storage-capable target image at 1:1, with
// shaders/yuv_compute.comp. On lavapipe it costs about a third of the fragment pipeline's
// conversion, which samples two textures per pixel; the renderer uses it whenever a picture is
// drawn at its own size and falls back to the fragment pipeline otherwise.
//
// Pipelines are specialised per sample size, chroma layout and conversion matrix, created on
// first use and kept (a handful per session).
//
// Thread-safety: render thread only.
#pragma once

#include <array>
#include <vector>

#include "core/result.h"
#include "render/vk_context.h"
#include "render/vk_upload.h"
#include "render/yuv_conversion.h"

namespace lockstep::vk {

class ComputeConversion {
 public:
  /// `slots`: frames in flight; slot i's descriptor set is rewritten only after the caller
  /// waited for the frame that last used slot i.
  static Result<ComputeConversion> create(const Context& ctx, uint32_t slots);

  /// Records the conversion of `picture` (staged as `planes`) into `target`, a view of an
  /// image in GENERAL layout with STORAGE usage, with the picture's top-left pixel at
  /// `origin` and the picture inside the image. The caller orders the image writes with the
  /// commands before and after (barriers to and from COMPUTE_SHADER).
  Status record(VkCommandBuffer cmd, uint32_t slot, const PictureView& picture,
                const StagedPlanes& planes, VkImageView target, VkOffset2D origin);

 private:
  /// What a pipeline is specialised for (the shader's constant_ids 0 .. 14).
  struct Specialisation {
    uint32_t sample_bytes = 1;
    VkBool32 interleaved = VK_FALSE;
    VkBool32 bounds_checked = VK_FALSE;
    float matrix[3][3] = {};
    float offset[3] = {};
    friend bool operator==(const Specialisation&, const Specialisation&) = default;
  };
  struct CachedPipeline {
    Specialisation key;
    PipelineOwner pipeline;
  };

  Result<VkPipeline> pipeline(const Specialisation& key);
  void bind_slot(uint32_t slot, const StagedPlanes& planes, VkImageView target) const;

  const Context* ctx_ = nullptr;
  DescriptorSetLayoutOwner set_layout_;
  DescriptorPoolOwner descriptor_pool_;
  std::vector<VkDescriptorSet> sets_;  // one per slot; freed with the pool
  PipelineLayoutOwner layout_;
  ShaderModuleOwner shader_;
  std::vector<CachedPipeline> pipelines_;
};

}  // namespace lockstep::vk
