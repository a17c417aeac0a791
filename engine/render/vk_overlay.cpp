#include "render/vk_overlay.h"

#include <imgui.h>
#include <imgui_impl_vulkan.h>

#include <algorithm>

#include "core/log.h"
#include "render/vk_check.h"

namespace lockstep::vk {
namespace {

void check_imgui_vk_result(VkResult r) {
  if (r != VK_SUCCESS) LS_ERROR("ImGui Vulkan backend: a Vulkan call returned {}", result_name(r));
}

/// Records `record` into a one-shot command buffer, submits it and waits for the queue.
template <class F>
Status run_one_shot(const Context& ctx, VkCommandPool pool, F&& record) {
  VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  alloc.commandPool = pool;
  alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  alloc.commandBufferCount = 1;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  LS_VK_TRY(vkAllocateCommandBuffers(ctx.device(), &alloc, &cmd));
  struct Free {
    VkDevice device;
    VkCommandPool pool;
    VkCommandBuffer cmd;
    ~Free() { vkFreeCommandBuffers(device, pool, 1, &cmd); }
  } free_cmd{ctx.device(), pool, cmd};

  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  LS_VK_TRY(vkBeginCommandBuffer(cmd, &begin));
  if (!record(cmd)) return make_error("recording the one-shot command buffer failed");
  LS_VK_TRY(vkEndCommandBuffer(cmd));
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &cmd;
  LS_VK_TRY(vkQueueSubmit(ctx.queue(), 1, &submit, VK_NULL_HANDLE));
  LS_VK_TRY(vkQueueWaitIdle(ctx.queue()));
  return {};
}

}  // namespace

Result<std::unique_ptr<ImGuiOverlay>> ImGuiOverlay::create(const Context& ctx,
                                                           VkRenderPass render_pass,
                                                           VkCommandPool pool,
                                                           uint32_t frames_in_flight) {
  if (ImGui::GetCurrentContext() == nullptr)
    return make_error(
        "the overlay needs an ImGui context: call ImGui::CreateContext() before "
        "creating the renderer with overlay = true");
  std::unique_ptr<ImGuiOverlay> overlay(new ImGuiOverlay());

  // The backend allocates one descriptor set (the font); room for a few user textures.
  const VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 16};
  VkDescriptorPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  pool_info.flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT;
  pool_info.maxSets = 16;
  pool_info.poolSizeCount = 1;
  pool_info.pPoolSizes = &size;
  VkDescriptorPool descriptor_pool = VK_NULL_HANDLE;
  LS_VK_TRY(vkCreateDescriptorPool(ctx.device(), &pool_info, nullptr, &descriptor_pool));
  overlay->pool_ = DescriptorPoolOwner(ctx.device(), descriptor_pool);

  ImGui_ImplVulkan_InitInfo info{};
  info.Instance = ctx.instance();
  info.PhysicalDevice = ctx.physical_device();
  info.Device = ctx.device();
  info.QueueFamily = ctx.queue_family();
  info.Queue = ctx.queue();
  info.DescriptorPool = descriptor_pool;
  info.Subpass = 0;
  info.MinImageCount = 2;
  info.ImageCount = std::max(2u, frames_in_flight);
  info.MSAASamples = VK_SAMPLE_COUNT_1_BIT;
  info.CheckVkResultFn = &check_imgui_vk_result;
  if (!ImGui_ImplVulkan_Init(&info, render_pass)) return make_error("ImGui_ImplVulkan_Init failed");
  overlay->initialised_ = true;

  auto uploaded = run_one_shot(
      ctx, pool, [](VkCommandBuffer cmd) { return ImGui_ImplVulkan_CreateFontsTexture(cmd); });
  ImGui_ImplVulkan_DestroyFontUploadObjects();  // after the queue went idle (or failed)
  if (!uploaded) return forward_error(uploaded, "uploading the ImGui font atlas");
  return overlay;
}

ImGuiOverlay::~ImGuiOverlay() {
  if (initialised_) ImGui_ImplVulkan_Shutdown();
}

void ImGuiOverlay::set_min_image_count(uint32_t count) {
  ImGui_ImplVulkan_SetMinImageCount(std::max(2u, count));
}

void ImGuiOverlay::record(ImDrawData* draw_data, VkCommandBuffer cmd) {
  if (draw_data && draw_data->Valid) ImGui_ImplVulkan_RenderDrawData(draw_data, cmd);
}

}  // namespace lockstep::vk
