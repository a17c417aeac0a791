#include "render/vk_context.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "core/log.h"
#include "render/vk_check.h"

namespace lockstep::vk {
namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

bool instance_extension_available(const char* name) {
  uint32_t count = 0;
  vkEnumerateInstanceExtensionProperties(nullptr, &count, nullptr);
  std::vector<VkExtensionProperties> props(count);
  vkEnumerateInstanceExtensionProperties(nullptr, &count, props.data());
  return std::any_of(props.begin(), props.end(), [&](const VkExtensionProperties& p) {
    return std::strcmp(p.extensionName, name) == 0;
  });
}

bool device_extension_available(VkPhysicalDevice device, const char* name) {
  uint32_t count = 0;
  vkEnumerateDeviceExtensionProperties(device, nullptr, &count, nullptr);
  std::vector<VkExtensionProperties> props(count);
  vkEnumerateDeviceExtensionProperties(device, nullptr, &count, props.data());
  return std::any_of(props.begin(), props.end(), [&](const VkExtensionProperties& p) {
    return std::strcmp(p.extensionName, name) == 0;
  });
}

/// Higher is better: discrete > integrated > virtual > CPU.
int type_rank(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return 4;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return 3;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return 1;
    default:
      return 0;
  }
}

const char* type_name(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return "cpu";
    default:
      return "other";
  }
}

/// The first queue family with graphics (and present to `surface`, when there is one).
std::optional<uint32_t> graphics_family(VkPhysicalDevice device, VkSurfaceKHR surface) {
  uint32_t count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(device, &count, nullptr);
  std::vector<VkQueueFamilyProperties> families(count);
  vkGetPhysicalDeviceQueueFamilyProperties(device, &count, families.data());
  for (uint32_t i = 0; i < count; ++i) {
    if (!(families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) || families[i].queueCount == 0) continue;
    if (surface != VK_NULL_HANDLE) {
      VkBool32 present = VK_FALSE;
      if (vkGetPhysicalDeviceSurfaceSupportKHR(device, i, surface, &present) != VK_SUCCESS ||
          !present)
        continue;
    }
    return i;
  }
  return std::nullopt;
}

bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::strcmp(v, "0") != 0;
}

}  // namespace

bool validation_layer_installed() {
  uint32_t count = 0;
  vkEnumerateInstanceLayerProperties(&count, nullptr);
  std::vector<VkLayerProperties> layers(count);
  vkEnumerateInstanceLayerProperties(&count, layers.data());
  return std::any_of(layers.begin(), layers.end(), [](const VkLayerProperties& l) {
    return std::strcmp(l.layerName, kValidationLayer) == 0;
  });
}

Result<std::unique_ptr<Context>> Context::create(const ContextParams& params) {
  std::unique_ptr<Context> ctx(new Context());
  if (auto s = ctx->create_instance(params); !s) return forward_error(s);
  if (params.create_surface) {
    VkSurfaceKHR surface = VK_NULL_HANDLE;
    const VkResult r = params.create_surface(ctx->instance_, &surface);
    if (r != VK_SUCCESS)
      return vk_error("create_surface (window system)", r, "could not create a window surface");
    ctx->surface_ = SurfaceOwner(ctx->instance_, surface);
  }
  if (auto s = ctx->pick_physical_device(); !s) return forward_error(s);
  if (auto s = ctx->create_device(); !s) return forward_error(s);
  LS_INFO("Vulkan device: {}{}", ctx->description(),
          ctx->validation_enabled() ? " (validation on)" : "");
  return ctx;
}

Context::~Context() {
  if (device_ != VK_NULL_HANDLE) {
    vkDeviceWaitIdle(device_);
    vkDestroyDevice(device_, nullptr);
  }
  surface_.reset();
  if (messenger_ != VK_NULL_HANDLE) {
    auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy) destroy(instance_, messenger_, nullptr);
  }
  if (instance_ != VK_NULL_HANDLE) vkDestroyInstance(instance_, nullptr);
}

VKAPI_ATTR VkBool32 VKAPI_CALL Context::on_debug_message(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT /*types*/,
    const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
  const char* text = data && data->pMessage ? data->pMessage : "(no message)";
  if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
    static_cast<Context*>(user)->validation_errors_.fetch_add(1, std::memory_order_relaxed);
    LS_ERROR("Vulkan validation: {}", text);
  } else if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
    LS_WARN("Vulkan validation: {}", text);
  }
  return VK_FALSE;  // never abort the call
}

Status Context::create_instance(const ContextParams& params) {
  bool validation = params.validation || env_flag("LOCKSTEP_VK_VALIDATION");
  if (validation && !validation_layer_installed()) {
    LS_WARN(
        "Vulkan validation asked for, but {} is not installed (Debian package "
        "vulkan-validationlayers); running without it",
        kValidationLayer);
    validation = false;
  }
  if (validation && !instance_extension_available(VK_EXT_DEBUG_UTILS_EXTENSION_NAME)) {
    LS_WARN("Vulkan validation asked for, but {} is missing; running without it",
            VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    validation = false;
  }

  std::vector<const char*> extensions;
  for (const auto& e : params.instance_extensions) extensions.push_back(e.c_str());
  if (validation) extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
  std::vector<const char*> layers;
  if (validation) layers.push_back(kValidationLayer);

  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "lockstep";
  app.applicationVersion = VK_MAKE_API_VERSION(0, 0, 1, 0);
  app.pEngineName = "lockstep";
  app.apiVersion = VK_API_VERSION_1_1;

  // Also chained into the instance create info, so instance creation itself is checked.
  VkDebugUtilsMessengerCreateInfoEXT messenger_info{
      VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  messenger_info.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                                   VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  messenger_info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                               VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                               VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  messenger_info.pfnUserCallback = &Context::on_debug_message;
  messenger_info.pUserData = this;

  VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  info.pNext = validation ? &messenger_info : nullptr;
  info.pApplicationInfo = &app;
  info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  info.enabledLayerCount = static_cast<uint32_t>(layers.size());
  info.ppEnabledLayerNames = layers.data();
#ifdef LOCKSTEP_SANITIZE_BUILD
  // The loader unloads the driver at vkDestroyInstance; LeakSanitizer then cannot name the
  // module of the few bytes lavapipe keeps, and no suppression matches (PLATFORM.md).
  // Sanitizer builds keep it resident; harmless when another driver is used.
  [[maybe_unused]] static void* const resident =
      dlopen("libvulkan_lvp.so", RTLD_NOW | RTLD_NODELETE);
#endif
  if (const VkResult r = vkCreateInstance(&info, nullptr, &instance_); r != VK_SUCCESS) {
    std::string names;
    for (const char* e : extensions) names += std::string(names.empty() ? "" : ", ") + e;
    return vk_error("vkCreateInstance", r,
                    "Vulkan 1.1 with extensions [" + names +
                        "]; is a Vulkan driver installed (mesa-vulkan-drivers)?");
  }

  if (validation) {
    auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkCreateDebugUtilsMessengerEXT"));
    if (!create) return make_error("vkCreateDebugUtilsMessengerEXT is not exported by the loader");
    if (const VkResult r = create(instance_, &messenger_info, nullptr, &messenger_);
        r != VK_SUCCESS)
      return vk_error("vkCreateDebugUtilsMessengerEXT", r);
  }
  return {};
}

Status Context::pick_physical_device() {
  uint32_t count = 0;
  LS_VK_TRY(vkEnumeratePhysicalDevices(instance_, &count, nullptr));
  std::vector<VkPhysicalDevice> devices(count);
  LS_VK_TRY(vkEnumeratePhysicalDevices(instance_, &count, devices.data()));

  int best_rank = -1;
  for (VkPhysicalDevice device : devices) {
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(device, &props);
    if (props.apiVersion < VK_API_VERSION_1_1) continue;
    if (surface_ && !device_extension_available(device, VK_KHR_SWAPCHAIN_EXTENSION_NAME)) continue;
    const auto family = graphics_family(device, surface_.get());
    if (!family) continue;
    const int rank = type_rank(props.deviceType);
    if (rank > best_rank) {
      best_rank = rank;
      physical_device_ = device;
      properties_ = props;
      queue_family_ = *family;
    }
  }
  if (physical_device_ == VK_NULL_HANDLE)
    return make_error("no Vulkan 1.1 device with a graphics queue" +
                      std::string(surface_ ? " that can present to the window" : "") + " among " +
                      std::to_string(count) +
                      " device(s); install mesa-vulkan-drivers for the lavapipe CPU device");
  vkGetPhysicalDeviceMemoryProperties(physical_device_, &memory_properties_);
  return {};
}

Status Context::create_device() {
  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queue_info.queueFamilyIndex = queue_family_;
  queue_info.queueCount = 1;
  queue_info.pQueuePriorities = &priority;

  std::vector<const char*> extensions;
  if (surface_) extensions.push_back(VK_KHR_SWAPCHAIN_EXTENSION_NAME);

  // The compute conversion writes the target (RGBA8 offscreen, often BGRA8 in a window, which
  // GLSL has no format qualifier for) through an unformatted storage image.
  VkPhysicalDeviceFeatures supported{};
  vkGetPhysicalDeviceFeatures(physical_device_, &supported);
  VkPhysicalDeviceFeatures enabled{};
  enabled.shaderStorageImageWriteWithoutFormat = supported.shaderStorageImageWriteWithoutFormat;
  storage_write_without_format_ = supported.shaderStorageImageWriteWithoutFormat == VK_TRUE;

  VkDeviceCreateInfo info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  info.pEnabledFeatures = &enabled;
  info.queueCreateInfoCount = 1;
  info.pQueueCreateInfos = &queue_info;
  info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  if (const VkResult r = vkCreateDevice(physical_device_, &info, nullptr, &device_);
      r != VK_SUCCESS)
    return vk_error("vkCreateDevice", r, properties_.deviceName);
  vkGetDeviceQueue(device_, queue_family_, 0, &queue_);
  return {};
}

std::string Context::description() const {
  return std::string(properties_.deviceName) + " [" + type_name(properties_.deviceType) + "]";
}

bool Context::can_store_unformatted(VkFormat format) const {
  if (!storage_write_without_format_) return false;
  VkFormatProperties props{};
  vkGetPhysicalDeviceFormatProperties(physical_device_, format, &props);
  return props.optimalTilingFeatures & VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT;
}

void Context::wait_idle() const {
  if (device_ == VK_NULL_HANDLE) return;
  if (const VkResult r = vkDeviceWaitIdle(device_); r != VK_SUCCESS)
    LS_ERROR("vkDeviceWaitIdle failed: {}", result_name(r));
}

Result<uint32_t> Context::memory_type(uint32_t type_bits, VkMemoryPropertyFlags required,
                                      VkMemoryPropertyFlags preferred) const {
  int fallback = -1;
  for (uint32_t i = 0; i < memory_properties_.memoryTypeCount; ++i) {
    if (!(type_bits & (1u << i))) continue;
    const VkMemoryPropertyFlags flags = memory_properties_.memoryTypes[i].propertyFlags;
    if ((flags & required) != required) continue;
    if ((flags & preferred) == preferred) return i;
    if (fallback < 0) fallback = static_cast<int>(i);
  }
  if (fallback >= 0) return static_cast<uint32_t>(fallback);
  return make_error("no Vulkan memory type with property flags 0x" + std::to_string(required) +
                    " for type bits " + std::to_string(type_bits));
}

Result<Buffer> Context::create_buffer(VkDeviceSize size, VkBufferUsageFlags usage,
                                      MemoryUse use) const {
  Buffer out;
  out.size = size;
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = size;
  info.usage = usage;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkBuffer buffer = VK_NULL_HANDLE;
  LS_VK_TRY(vkCreateBuffer(device_, &info, nullptr, &buffer));
  out.buffer = BufferOwner(device_, buffer);

  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(device_, buffer, &req);
  VkMemoryPropertyFlags required = 0, preferred = 0;
  switch (use) {
    case MemoryUse::DeviceLocal:
      preferred = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
      break;
    case MemoryUse::Upload:
      required = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
      preferred = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
      break;
    case MemoryUse::Readback:
      required = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
      preferred = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
      break;
  }
  LS_TRY(const uint32_t type, memory_type(req.memoryTypeBits, required, preferred));
  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  alloc.allocationSize = req.size;
  alloc.memoryTypeIndex = type;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  if (const VkResult r = vkAllocateMemory(device_, &alloc, nullptr, &memory); r != VK_SUCCESS)
    return vk_error("vkAllocateMemory", r, std::to_string(req.size) + " bytes for a buffer");
  out.memory = MemoryOwner(device_, memory);
  LS_VK_TRY(vkBindBufferMemory(device_, buffer, memory, 0));
  out.coherent =
      memory_properties_.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  if (use != MemoryUse::DeviceLocal)
    LS_VK_TRY(vkMapMemory(device_, memory, 0, VK_WHOLE_SIZE, 0, &out.mapped));
  return out;
}

Result<Image> Context::create_image(VkExtent2D extent, VkFormat format,
                                    VkImageUsageFlags usage) const {
  Image out;
  out.extent = extent;
  out.format = format;
  VkImageCreateInfo info{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
  info.imageType = VK_IMAGE_TYPE_2D;
  info.format = format;
  info.extent = {extent.width, extent.height, 1};
  info.mipLevels = 1;
  info.arrayLayers = 1;
  info.samples = VK_SAMPLE_COUNT_1_BIT;
  info.tiling = VK_IMAGE_TILING_OPTIMAL;
  info.usage = usage;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  info.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  VkImage image = VK_NULL_HANDLE;
  if (const VkResult r = vkCreateImage(device_, &info, nullptr, &image); r != VK_SUCCESS)
    return vk_error("vkCreateImage", r,
                    std::to_string(extent.width) + "x" + std::to_string(extent.height) +
                        " format " + std::to_string(format));
  out.image = ImageOwner(device_, image);

  VkMemoryRequirements req;
  vkGetImageMemoryRequirements(device_, image, &req);
  LS_TRY(const uint32_t type,
         memory_type(req.memoryTypeBits, 0, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT));
  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  alloc.allocationSize = req.size;
  alloc.memoryTypeIndex = type;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  if (const VkResult r = vkAllocateMemory(device_, &alloc, nullptr, &memory); r != VK_SUCCESS)
    return vk_error("vkAllocateMemory", r, std::to_string(req.size) + " bytes for an image");
  out.memory = MemoryOwner(device_, memory);
  LS_VK_TRY(vkBindImageMemory(device_, image, memory, 0));

  VkImageViewCreateInfo view_info{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO};
  view_info.image = image;
  view_info.viewType = VK_IMAGE_VIEW_TYPE_2D;
  view_info.format = format;
  view_info.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
  VkImageView view = VK_NULL_HANDLE;
  LS_VK_TRY(vkCreateImageView(device_, &view_info, nullptr, &view));
  out.view = ImageViewOwner(device_, view);
  return out;
}

}  // namespace lockstep::vk
