#include "render/vk_pipeline.h"

#include <shaders/spirv.h>

#include "render/vk_check.h"

namespace lockstep::vk {
namespace {

// Distinct conversions kept before the cache is emptied (after a device wait): a session sees
// one or two; this only bounds a pathological stream of matrix changes.
constexpr size_t kMaxPipelines = 16;

/// `load`: keep what the image holds (written by the compute conversion, already in
/// COLOR_ATTACHMENT_OPTIMAL) instead of clearing it. Both passes are compatible: the same
/// framebuffers and pipelines work in either.
Result<RenderPassOwner> create_render_pass(VkDevice device, VkFormat format, bool load) {
  VkAttachmentDescription color{};
  color.format = format;
  color.samples = VK_SAMPLE_COUNT_1_BIT;
  color.loadOp = load ? VK_ATTACHMENT_LOAD_OP_LOAD : VK_ATTACHMENT_LOAD_OP_CLEAR;
  color.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
  color.stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
  color.stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
  color.initialLayout = load ? VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL
                             : VK_IMAGE_LAYOUT_UNDEFINED;  // cleared every frame
  color.finalLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;

  VkAttachmentReference ref{0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
  VkSubpassDescription subpass{};
  subpass.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS;
  subpass.colorAttachmentCount = 1;
  subpass.pColorAttachments = &ref;

  // The previous use of the image (presentation, whose acquire semaphore is waited at
  // COLOR_ATTACHMENT_OUTPUT, or a read-back copy) must finish before the clear writes it.
  VkSubpassDependency before{};
  before.srcSubpass = VK_SUBPASS_EXTERNAL;
  before.dstSubpass = 0;
  before.srcStageMask =
      VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
  before.srcAccessMask = 0;
  before.dstStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
  before.dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_READ_BIT | VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;

  VkRenderPassCreateInfo info{VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO};
  info.attachmentCount = 1;
  info.pAttachments = &color;
  info.subpassCount = 1;
  info.pSubpasses = &subpass;
  info.dependencyCount = 1;
  info.pDependencies = &before;
  VkRenderPass pass = VK_NULL_HANDLE;
  LS_VK_TRY(vkCreateRenderPass(device, &info, nullptr, &pass));
  return RenderPassOwner(device, pass);
}

template <size_t N>
Result<ShaderModuleOwner> create_shader(VkDevice device, const uint32_t (&code)[N]) {
  VkShaderModuleCreateInfo info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  info.codeSize = sizeof(code);
  info.pCode = code;
  VkShaderModule module = VK_NULL_HANDLE;
  LS_VK_TRY(vkCreateShaderModule(device, &info, nullptr, &module));
  return ShaderModuleOwner(device, module);
}

}  // namespace

Result<PicturePipeline> PicturePipeline::create(const Context& ctx, VkFormat format) {
  const VkDevice device = ctx.device();
  PicturePipeline p;
  p.format_ = format;
  LS_TRY(p.render_pass_, create_render_pass(device, format, false));
  LS_TRY(p.load_pass_, create_render_pass(device, format, true));

  VkSamplerCreateInfo sampler{VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO};
  sampler.magFilter = VK_FILTER_LINEAR;
  sampler.minFilter = VK_FILTER_LINEAR;
  sampler.mipmapMode = VK_SAMPLER_MIPMAP_MODE_NEAREST;
  sampler.addressModeU = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE;
  sampler.addressModeV = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE;
  sampler.addressModeW = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE;
  sampler.maxLod = 0.0f;
  VkSampler s = VK_NULL_HANDLE;
  LS_VK_TRY(vkCreateSampler(device, &sampler, nullptr, &s));
  p.sampler_ = SamplerOwner(device, s);

  std::array<VkDescriptorSetLayoutBinding, 2> bindings{};
  for (uint32_t i = 0; i < bindings.size(); ++i) {
    bindings[i].binding = i;
    bindings[i].descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER;
    bindings[i].descriptorCount = 1;
    bindings[i].stageFlags = VK_SHADER_STAGE_FRAGMENT_BIT;
  }
  VkDescriptorSetLayoutCreateInfo set_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  set_info.bindingCount = static_cast<uint32_t>(bindings.size());
  set_info.pBindings = bindings.data();
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  LS_VK_TRY(vkCreateDescriptorSetLayout(device, &set_info, nullptr, &set_layout));
  p.set_layout_ = DescriptorSetLayoutOwner(device, set_layout);

  VkDescriptorPoolSize pool_size{VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER,
                                 static_cast<uint32_t>(bindings.size())};
  VkDescriptorPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  pool_info.maxSets = 1;
  pool_info.poolSizeCount = 1;
  pool_info.pPoolSizes = &pool_size;
  VkDescriptorPool pool = VK_NULL_HANDLE;
  LS_VK_TRY(vkCreateDescriptorPool(device, &pool_info, nullptr, &pool));
  p.descriptor_pool_ = DescriptorPoolOwner(device, pool);

  VkDescriptorSetAllocateInfo alloc{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  alloc.descriptorPool = pool;
  alloc.descriptorSetCount = 1;
  alloc.pSetLayouts = &set_layout;
  LS_VK_TRY(vkAllocateDescriptorSets(device, &alloc, &p.descriptor_set_));

  VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  layout_info.setLayoutCount = 1;
  layout_info.pSetLayouts = &set_layout;
  const VkPushConstantRange turn{VK_SHADER_STAGE_VERTEX_BIT, 0, sizeof(UvTransform)};
  layout_info.pushConstantRangeCount = 1;
  layout_info.pPushConstantRanges = &turn;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  LS_VK_TRY(vkCreatePipelineLayout(device, &layout_info, nullptr, &layout));
  p.layout_ = PipelineLayoutOwner(device, layout);

  LS_TRY(p.vert_, create_shader(device, spirv::fullscreen_vert));
  LS_TRY(p.frag_, create_shader(device, spirv::yuv_frag));
  p.ctx_ = &ctx;
  return p;
}

Result<VkPipeline> PicturePipeline::pipeline_for(const YuvToRgb& conversion) {
  for (const CachedPipeline& c : pipelines_)
    if (c.conversion == conversion) return c.pipeline.get();
  if (pipelines_.size() >= kMaxPipelines) {
    ctx_->wait_idle();  // frames in flight may still use them
    pipelines_.clear();
  }

  // constant_id 0 .. 8: matrix rows; 9 .. 11: offset (shaders/yuv.frag).
  static_assert(sizeof(YuvToRgb) == 12 * sizeof(float));
  std::array<VkSpecializationMapEntry, 12> entries{};
  for (uint32_t i = 0; i < entries.size(); ++i) entries[i] = {i, 4 * i, 4};
  const VkSpecializationInfo specialisation{uint32_t(entries.size()), entries.data(),
                                            sizeof(conversion), &conversion};
  std::array<VkPipelineShaderStageCreateInfo, 2> stages{};
  stages[0].sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  stages[0].stage = VK_SHADER_STAGE_VERTEX_BIT;
  stages[0].module = vert_.get();
  stages[0].pName = "main";
  stages[1].sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  stages[1].stage = VK_SHADER_STAGE_FRAGMENT_BIT;
  stages[1].module = frag_.get();
  stages[1].pName = "main";
  stages[1].pSpecializationInfo = &specialisation;

  VkPipelineVertexInputStateCreateInfo vertex_input{
      VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO};
  VkPipelineInputAssemblyStateCreateInfo assembly{
      VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO};
  assembly.topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST;
  VkPipelineViewportStateCreateInfo viewport{VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO};
  viewport.viewportCount = 1;
  viewport.scissorCount = 1;
  VkPipelineRasterizationStateCreateInfo raster{
      VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO};
  raster.polygonMode = VK_POLYGON_MODE_FILL;
  raster.cullMode = VK_CULL_MODE_NONE;
  raster.frontFace = VK_FRONT_FACE_COUNTER_CLOCKWISE;
  raster.lineWidth = 1.0f;
  VkPipelineMultisampleStateCreateInfo multisample{
      VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO};
  multisample.rasterizationSamples = VK_SAMPLE_COUNT_1_BIT;
  VkPipelineColorBlendAttachmentState blend_attachment{};
  blend_attachment.colorWriteMask = VK_COLOR_COMPONENT_R_BIT | VK_COLOR_COMPONENT_G_BIT |
                                    VK_COLOR_COMPONENT_B_BIT | VK_COLOR_COMPONENT_A_BIT;
  VkPipelineColorBlendStateCreateInfo blend{
      VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO};
  blend.attachmentCount = 1;
  blend.pAttachments = &blend_attachment;
  const std::array<VkDynamicState, 2> dynamic_states{VK_DYNAMIC_STATE_VIEWPORT,
                                                     VK_DYNAMIC_STATE_SCISSOR};
  VkPipelineDynamicStateCreateInfo dynamic{VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO};
  dynamic.dynamicStateCount = static_cast<uint32_t>(dynamic_states.size());
  dynamic.pDynamicStates = dynamic_states.data();

  VkGraphicsPipelineCreateInfo info{VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO};
  info.stageCount = static_cast<uint32_t>(stages.size());
  info.pStages = stages.data();
  info.pVertexInputState = &vertex_input;
  info.pInputAssemblyState = &assembly;
  info.pViewportState = &viewport;
  info.pRasterizationState = &raster;
  info.pMultisampleState = &multisample;
  info.pColorBlendState = &blend;
  info.pDynamicState = &dynamic;
  info.layout = layout_.get();
  info.renderPass = render_pass_.get();
  info.subpass = 0;
  VkPipeline pipeline = VK_NULL_HANDLE;
  const VkDevice device = ctx_->device();
  LS_VK_TRY(vkCreateGraphicsPipelines(device, VK_NULL_HANDLE, 1, &info, nullptr, &pipeline));
  pipelines_.push_back({conversion, PipelineOwner(device, pipeline)});
  return pipeline;
}

void PicturePipeline::bind_textures(VkDevice device, const std::array<VkImageView, 2>& views) {
  std::array<VkDescriptorImageInfo, 2> images{};
  std::array<VkWriteDescriptorSet, 2> writes{};
  for (uint32_t i = 0; i < 2; ++i) {
    images[i] = {sampler_.get(), views[i], VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL};
    writes[i].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
    writes[i].dstSet = descriptor_set_;
    writes[i].dstBinding = i;
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER;
    writes[i].pImageInfo = &images[i];
  }
  vkUpdateDescriptorSets(device, static_cast<uint32_t>(writes.size()), writes.data(), 0, nullptr);
}

Status PicturePipeline::record_draw(VkCommandBuffer cmd, const PixelRect& rect,
                                    const YuvToRgb& conversion, const UvTransform& turn) {
  LS_TRY(const VkPipeline pipeline, pipeline_for(conversion));
  const VkViewport viewport{float(rect.x),      float(rect.y), float(rect.width),
                            float(rect.height), 0.0f,          1.0f};
  const VkRect2D scissor{{rect.x, rect.y}, {uint32_t(rect.width), uint32_t(rect.height)}};
  vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline);
  vkCmdSetViewport(cmd, 0, 1, &viewport);
  vkCmdSetScissor(cmd, 0, 1, &scissor);
  vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, layout_.get(), 0, 1,
                          &descriptor_set_, 0, nullptr);
  static_assert(sizeof(UvTransform) == 4 * sizeof(float));
  vkCmdPushConstants(cmd, layout_.get(), VK_SHADER_STAGE_VERTEX_BIT, 0, sizeof(turn), turn.m);
  vkCmdDraw(cmd, 3, 1, 0, 0);
  return {};
}

}  // namespace lockstep::vk
