#include "render/vk_check.h"

#include <string_view>

namespace lockstep::vk {

std::string result_name(VkResult result) {
  switch (result) {
#define LS_VK_CASE(name) \
  case name:             \
    return #name;
    LS_VK_CASE(VK_SUCCESS)
    LS_VK_CASE(VK_NOT_READY)
    LS_VK_CASE(VK_TIMEOUT)
    LS_VK_CASE(VK_EVENT_SET)
    LS_VK_CASE(VK_EVENT_RESET)
    LS_VK_CASE(VK_INCOMPLETE)
    LS_VK_CASE(VK_SUBOPTIMAL_KHR)
    LS_VK_CASE(VK_ERROR_OUT_OF_HOST_MEMORY)
    LS_VK_CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    LS_VK_CASE(VK_ERROR_INITIALIZATION_FAILED)
    LS_VK_CASE(VK_ERROR_DEVICE_LOST)
    LS_VK_CASE(VK_ERROR_MEMORY_MAP_FAILED)
    LS_VK_CASE(VK_ERROR_LAYER_NOT_PRESENT)
    LS_VK_CASE(VK_ERROR_EXTENSION_NOT_PRESENT)
    LS_VK_CASE(VK_ERROR_FEATURE_NOT_PRESENT)
    LS_VK_CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
    LS_VK_CASE(VK_ERROR_TOO_MANY_OBJECTS)
    LS_VK_CASE(VK_ERROR_FORMAT_NOT_SUPPORTED)
    LS_VK_CASE(VK_ERROR_FRAGMENTED_POOL)
    LS_VK_CASE(VK_ERROR_UNKNOWN)
    LS_VK_CASE(VK_ERROR_OUT_OF_POOL_MEMORY)
    LS_VK_CASE(VK_ERROR_SURFACE_LOST_KHR)
    LS_VK_CASE(VK_ERROR_NATIVE_WINDOW_IN_USE_KHR)
    LS_VK_CASE(VK_ERROR_OUT_OF_DATE_KHR)
    LS_VK_CASE(VK_ERROR_INCOMPATIBLE_DISPLAY_KHR)
    LS_VK_CASE(VK_ERROR_VALIDATION_FAILED_EXT)
#undef LS_VK_CASE
    default:
      return "VkResult " + std::to_string(static_cast<int>(result));
  }
}

Error vk_error(const char* call, VkResult result, const std::string& what) {
  std::string_view name(call);
  if (const auto paren = name.find('('); paren != std::string_view::npos)
    name = name.substr(0, paren);
  std::string message = std::string(name) + " failed: " + result_name(result) + " (" +
                        std::to_string(static_cast<int>(result)) + ")";
  if (!what.empty()) message += " (" + what + ")";
  return make_error(std::move(message));
}

}  // namespace lockstep::vk
