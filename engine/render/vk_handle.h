// Move-only RAII owners for Vulkan handles (private to render/). Each owner remembers its
// parent (VkDevice or VkInstance) and destroys the handle with the matching vkDestroy*/vkFree*
// call. Owners never wait for the GPU: whoever holds them destroys them only after the GPU is
// done (after a fence wait or vkDeviceWaitIdle).
#pragma once

#include <vulkan/vulkan.h>

#include <utility>

namespace lockstep::vk {

template <class Parent, class Handle, auto Destroy>
class Owner {
 public:
  Owner() = default;
  Owner(Parent parent, Handle handle) noexcept : parent_(parent), handle_(handle) {}
  ~Owner() { reset(); }

  Owner(Owner&& other) noexcept
      : parent_(other.parent_), handle_(std::exchange(other.handle_, VK_NULL_HANDLE)) {}
  Owner& operator=(Owner&& other) noexcept {
    if (this != &other) {
      reset();
      parent_ = other.parent_;
      handle_ = std::exchange(other.handle_, VK_NULL_HANDLE);
    }
    return *this;
  }
  Owner(const Owner&) = delete;
  Owner& operator=(const Owner&) = delete;

  Handle get() const { return handle_; }
  explicit operator bool() const { return handle_ != VK_NULL_HANDLE; }
  /// Gives up ownership; the caller destroys the handle.
  Handle release() { return std::exchange(handle_, VK_NULL_HANDLE); }
  void reset() {
    if (handle_ != VK_NULL_HANDLE)
      Destroy(parent_, std::exchange(handle_, VK_NULL_HANDLE), nullptr);
  }

 private:
  Parent parent_ = VK_NULL_HANDLE;
  Handle handle_ = VK_NULL_HANDLE;
};

template <class Handle, auto Destroy>
using DeviceOwner = Owner<VkDevice, Handle, Destroy>;

using BufferOwner = DeviceOwner<VkBuffer, vkDestroyBuffer>;
using MemoryOwner = DeviceOwner<VkDeviceMemory, vkFreeMemory>;
using ImageOwner = DeviceOwner<VkImage, vkDestroyImage>;
using ImageViewOwner = DeviceOwner<VkImageView, vkDestroyImageView>;
using SamplerOwner = DeviceOwner<VkSampler, vkDestroySampler>;
using FramebufferOwner = DeviceOwner<VkFramebuffer, vkDestroyFramebuffer>;
using RenderPassOwner = DeviceOwner<VkRenderPass, vkDestroyRenderPass>;
using ShaderModuleOwner = DeviceOwner<VkShaderModule, vkDestroyShaderModule>;
using PipelineOwner = DeviceOwner<VkPipeline, vkDestroyPipeline>;
using PipelineLayoutOwner = DeviceOwner<VkPipelineLayout, vkDestroyPipelineLayout>;
using DescriptorSetLayoutOwner = DeviceOwner<VkDescriptorSetLayout, vkDestroyDescriptorSetLayout>;
/// Destroying a pool frees the sets allocated from it.
using DescriptorPoolOwner = DeviceOwner<VkDescriptorPool, vkDestroyDescriptorPool>;
/// Destroying a pool frees the command buffers allocated from it.
using CommandPoolOwner = DeviceOwner<VkCommandPool, vkDestroyCommandPool>;
using FenceOwner = DeviceOwner<VkFence, vkDestroyFence>;
using SemaphoreOwner = DeviceOwner<VkSemaphore, vkDestroySemaphore>;
using SwapchainOwner = DeviceOwner<VkSwapchainKHR, vkDestroySwapchainKHR>;
using SurfaceOwner = Owner<VkInstance, VkSurfaceKHR, vkDestroySurfaceKHR>;

}  // namespace lockstep::vk
