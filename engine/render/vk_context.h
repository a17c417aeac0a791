// The Vulkan instance, the chosen physical device, the logical device and its one graphics
// queue, the optional window surface, and the validation-layer message counter (private to
// render/). Also the small memory helpers every other part of the renderer allocates with.
//
// Thread-safety: used from the render thread only, except validation_errors(), which may be
// read from any thread (the debug callback can run on driver threads).
#pragma once

#include <vulkan/vulkan.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "render/vk_handle.h"

namespace lockstep::vk {

struct ContextParams {
  /// Turns on VK_LAYER_KHRONOS_validation and a debug messenger when the layer is installed.
  bool validation = false;
  /// Extra instance extensions (the window system's surface extensions).
  std::vector<std::string> instance_extensions;
  /// Creates the window surface; empty for headless. The surface is destroyed by the Context.
  std::function<VkResult(VkInstance, VkSurfaceKHR*)> create_surface;
};

/// A buffer with its own memory; `mapped` stays valid for the buffer's life when the memory
/// is host-visible (persistently mapped).
struct Buffer {
  MemoryOwner memory;  // declared first: destroyed after the buffer
  BufferOwner buffer;
  void* mapped = nullptr;
  VkDeviceSize size = 0;
  bool coherent = true;  // false: flush after CPU writes / invalidate before CPU reads
};

/// A 2D image with one mip level, its own memory and a colour view.
struct Image {
  MemoryOwner memory;
  ImageOwner image;
  ImageViewOwner view;
  VkExtent2D extent{};
  VkFormat format = VK_FORMAT_UNDEFINED;
};

enum class MemoryUse {
  DeviceLocal,  // images and buffers only the GPU touches
  Upload,       // CPU writes, GPU reads (staging): host-visible, mapped
  Readback,     // GPU writes, CPU reads: host-visible, cached preferred, mapped
};

class Context {
 public:
  static Result<std::unique_ptr<Context>> create(const ContextParams& params);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  VkInstance instance() const { return instance_; }
  VkPhysicalDevice physical_device() const { return physical_device_; }
  VkDevice device() const { return device_; }
  VkQueue queue() const { return queue_; }
  uint32_t queue_family() const { return queue_family_; }
  /// VK_NULL_HANDLE when headless.
  VkSurfaceKHR surface() const { return surface_.get(); }
  const VkPhysicalDeviceProperties& properties() const { return properties_; }

  /// "llvmpipe (LLVM 15.0.6, 256 bits) [cpu]".
  std::string description() const;
  bool validation_enabled() const { return messenger_ != VK_NULL_HANDLE; }
  /// True when compute shaders can write optimally tiled `format` images declared without a
  /// format in the shader (shaderStorageImageWriteWithoutFormat, enabled when offered).
  bool can_store_unformatted(VkFormat format) const;
  int validation_errors() const { return validation_errors_.load(std::memory_order_relaxed); }

  Result<Buffer> create_buffer(VkDeviceSize size, VkBufferUsageFlags usage, MemoryUse use) const;
  /// Optimal tiling, device-local, one mip level and layer, with a colour view.
  Result<Image> create_image(VkExtent2D extent, VkFormat format, VkImageUsageFlags usage) const;

  /// Blocks until the device has finished all submitted work. Logs a failure (device lost).
  void wait_idle() const;

 private:
  Context() = default;
  Status create_instance(const ContextParams& params);
  Status pick_physical_device();
  Status create_device();
  Result<uint32_t> memory_type(uint32_t type_bits, VkMemoryPropertyFlags required,
                               VkMemoryPropertyFlags preferred) const;
  static VKAPI_ATTR VkBool32 VKAPI_CALL on_debug_message(
      VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT types,
      const VkDebugUtilsMessengerCallbackDataEXT* data, void* user);

  // Destroyed by hand in ~Context, in reverse order of creation.
  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  SurfaceOwner surface_;
  VkDevice device_ = VK_NULL_HANDLE;

  VkPhysicalDevice physical_device_ = VK_NULL_HANDLE;
  VkPhysicalDeviceProperties properties_{};
  VkPhysicalDeviceMemoryProperties memory_properties_{};
  uint32_t queue_family_ = 0;
  VkQueue queue_ = VK_NULL_HANDLE;
  bool storage_write_without_format_ = false;
  std::atomic<int> validation_errors_{0};
};

/// True when VK_LAYER_KHRONOS_validation is installed (package vulkan-validationlayers).
bool validation_layer_installed();

}  // namespace lockstep::vk
