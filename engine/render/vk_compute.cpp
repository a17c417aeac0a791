#include "render/vk_compute.h"

#include <shaders/spirv.h>

#include <cstddef>

#include "core/log.h"
#include "render/vk_check.h"

namespace lockstep::vk {
namespace {

/// Matches `Layout` in shaders/yuv_compute.comp.
struct PushConstants {
  int32_t origin[2];
  int32_t size[2];
  uint32_t luma_offset;
  uint32_t luma_stride;
  uint32_t cb_offset;
  uint32_t cr_offset;
  uint32_t chroma_stride;
  int32_t first_block;
  int32_t blocks;
};
static_assert(sizeof(PushConstants) == 44);

constexpr uint32_t kBlockWidth = kStagedBlockWidth;  // pixels per invocation along a row
constexpr uint32_t kBlockHeight = 4;                 // rows per invocation (4b .. 4b+3)
constexpr uint32_t kGroupWidth = 8;                  // invocations per workgroup (local_size_x)
// Distinct specialisations kept before the cache is emptied (after a device wait): a session
// sees one or two; this only bounds a pathological stream of matrix changes.
constexpr size_t kMaxPipelines = 16;

}  // namespace

Result<ComputeConversion> ComputeConversion::create(const Context& ctx, uint32_t slots) {
  const VkDevice device = ctx.device();
  ComputeConversion c;
  c.ctx_ = &ctx;

  std::array<VkDescriptorSetLayoutBinding, 2> bindings{};
  bindings[0] = {0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  bindings[1] = {1, VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  VkDescriptorSetLayoutCreateInfo set_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  set_info.bindingCount = uint32_t(bindings.size());
  set_info.pBindings = bindings.data();
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  LS_VK_TRY(vkCreateDescriptorSetLayout(device, &set_info, nullptr, &set_layout));
  c.set_layout_ = DescriptorSetLayoutOwner(device, set_layout);

  const std::array<VkDescriptorPoolSize, 2> sizes{
      VkDescriptorPoolSize{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, slots},
      VkDescriptorPoolSize{VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, slots}};
  VkDescriptorPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  pool_info.maxSets = slots;
  pool_info.poolSizeCount = uint32_t(sizes.size());
  pool_info.pPoolSizes = sizes.data();
  VkDescriptorPool pool = VK_NULL_HANDLE;
  LS_VK_TRY(vkCreateDescriptorPool(device, &pool_info, nullptr, &pool));
  c.descriptor_pool_ = DescriptorPoolOwner(device, pool);

  const std::vector<VkDescriptorSetLayout> layouts(slots, set_layout);
  c.sets_.resize(slots);
  VkDescriptorSetAllocateInfo alloc{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  alloc.descriptorPool = pool;
  alloc.descriptorSetCount = slots;
  alloc.pSetLayouts = layouts.data();
  LS_VK_TRY(vkAllocateDescriptorSets(device, &alloc, c.sets_.data()));

  const VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(PushConstants)};
  VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  layout_info.setLayoutCount = 1;
  layout_info.pSetLayouts = &set_layout;
  layout_info.pushConstantRangeCount = 1;
  layout_info.pPushConstantRanges = &push;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  LS_VK_TRY(vkCreatePipelineLayout(device, &layout_info, nullptr, &layout));
  c.layout_ = PipelineLayoutOwner(device, layout);

  VkShaderModuleCreateInfo shader_info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  shader_info.codeSize = sizeof(spirv::yuv_compute_comp);
  shader_info.pCode = spirv::yuv_compute_comp;
  VkShaderModule shader = VK_NULL_HANDLE;
  LS_VK_TRY(vkCreateShaderModule(device, &shader_info, nullptr, &shader));
  c.shader_ = ShaderModuleOwner(device, shader);
  return c;
}

Result<VkPipeline> ComputeConversion::pipeline(const Specialisation& key) {
  for (const CachedPipeline& p : pipelines_)
    if (p.key == key) return p.pipeline.get();

  // constant_id i at offset 4 * i: the key's members are 15 packed 4-byte values.
  static_assert(sizeof(Specialisation) == 15 * 4);
  std::array<VkSpecializationMapEntry, 15> entries{};
  for (uint32_t i = 0; i < entries.size(); ++i) entries[i] = {i, 4 * i, 4};
  VkSpecializationInfo specialisation{uint32_t(entries.size()), entries.data(), sizeof(key), &key};

  VkComputePipelineCreateInfo info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  info.stage.module = shader_.get();
  info.stage.pName = "main";
  info.stage.pSpecializationInfo = &specialisation;
  info.layout = layout_.get();
  VkPipeline pipeline = VK_NULL_HANDLE;
  LS_VK_TRY(vkCreateComputePipelines(ctx_->device(), VK_NULL_HANDLE, 1, &info, nullptr, &pipeline));
  pipelines_.push_back({key, PipelineOwner(ctx_->device(), pipeline)});
  LS_DEBUG("render: compute conversion pipeline for {}-byte samples, {} chroma{} ({} cached)",
           key.sample_bytes, key.interleaved ? "interleaved" : "planar",
           key.bounds_checked ? ", bounds-checked" : "", pipelines_.size());
  return pipeline;
}

void ComputeConversion::bind_slot(uint32_t slot, const StagedPlanes& planes,
                                  VkImageView target) const {
  const VkDescriptorBufferInfo buffer{planes.buffer, planes.offset, planes.range};
  const VkDescriptorImageInfo image{VK_NULL_HANDLE, target, VK_IMAGE_LAYOUT_GENERAL};
  std::array<VkWriteDescriptorSet, 2> writes{};
  for (uint32_t i = 0; i < writes.size(); ++i) {
    writes[i].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
    writes[i].dstSet = sets_[slot];
    writes[i].dstBinding = i;
    writes[i].descriptorCount = 1;
  }
  writes[0].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
  writes[0].pBufferInfo = &buffer;
  writes[1].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_IMAGE;
  writes[1].pImageInfo = &image;
  vkUpdateDescriptorSets(ctx_->device(), uint32_t(writes.size()), writes.data(), 0, nullptr);
}

Status ComputeConversion::record(VkCommandBuffer cmd, uint32_t slot, const PictureView& picture,
                                 const StagedPlanes& planes, VkImageView target,
                                 VkOffset2D origin) {
  // The slot's previous frame has finished (the caller waited for it): its set is free.
  bind_slot(slot, planes, target);
  // Room for both variants this frame may create, so none bound below is destroyed.
  if (pipelines_.size() + 2 > kMaxPipelines) {
    ctx_->wait_idle();  // frames in flight may still use them
    pipelines_.clear();
  }

  Specialisation key;
  key.sample_bytes = picture.bit_depth > 8 ? 2 : 1;
  key.interleaved = picture.plane_count == 2 ? VK_TRUE : VK_FALSE;
  const YuvToRgb conversion = yuv_to_rgb(picture);
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) key.matrix[i][j] = conversion.matrix[i][j];
    key.offset[i] = conversion.offset[i];
  }

  PushConstants push{};
  push.origin[0] = origin.x;
  push.origin[1] = origin.y;
  push.size[0] = picture.width;
  push.size[1] = picture.height;
  push.luma_offset = planes.luma_offset;
  push.luma_stride = planes.luma_stride;
  push.cb_offset = planes.cb_offset;
  push.cr_offset = planes.cr_offset;
  push.chroma_stride = planes.chroma_stride;
  const uint32_t blocks = (uint32_t(picture.width) + kBlockWidth - 1) / kBlockWidth;
  const uint32_t block_rows = (uint32_t(picture.height) + kBlockHeight - 1) / kBlockHeight;
  push.blocks = int32_t(blocks);

  // Whole workgroups without bounds checks; the rest of each row of blocks, if any, with the
  // bounds-checked variant. The two write disjoint pixels: no barrier between them.
  const uint32_t whole_groups = blocks / kGroupWidth;
  vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, layout_.get(), 0, 1, &sets_[slot], 0,
                          nullptr);
  if (whole_groups > 0) {
    LS_TRY(const VkPipeline unchecked, pipeline(key));
    push.first_block = 0;
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, unchecked);
    vkCmdPushConstants(cmd, layout_.get(), VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(push), &push);
    vkCmdDispatch(cmd, whole_groups, block_rows, 1);
  }
  if (blocks % kGroupWidth != 0) {
    key.bounds_checked = VK_TRUE;
    LS_TRY(const VkPipeline checked, pipeline(key));
    push.first_block = int32_t(whole_groups * kGroupWidth);
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, checked);
    vkCmdPushConstants(cmd, layout_.get(), VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(push), &push);
    vkCmdDispatch(cmd, 1, block_rows, 1);
  }
  return {};
}

}  // namespace lockstep::vk
