// Turning VkResult codes into Result errors that name the failing call (private to render/).
#pragma once

#include <vulkan/vulkan.h>

#include <string>

#include "core/result.h"

namespace lockstep::vk {

/// "VK_ERROR_OUT_OF_DATE_KHR" for a result code, or the number when unknown.
std::string result_name(VkResult result);

/// An error "vkCreateImage failed: VK_ERROR_OUT_OF_DEVICE_MEMORY (-2) (<what>)". `call` may be
/// the whole call expression; only the function name is kept.
Error vk_error(const char* call, VkResult result, const std::string& what = {});

/// Passes an error of an inner Result on unchanged, with `context` in front.
template <class T>
Error forward_error(const Result<T>& failed, const std::string& context = {}) {
  return make_error(context.empty() ? failed.error() : context + ": " + failed.error());
}

}  // namespace lockstep::vk

/// Returns a Result error from the enclosing function when a Vulkan call does not succeed.
#define LS_VK_TRY(expr)                                                                     \
  do {                                                                                      \
    const VkResult ls_vk_result_ = (expr);                                                  \
    if (ls_vk_result_ != VK_SUCCESS) return ::lockstep::vk::vk_error(#expr, ls_vk_result_); \
  } while (0)

/// Same, for Result-returning calls: `LS_TRY(auto x, make_x());` declares (or assigns) x from
/// the value. Expands to several statements: use braces around it after if/else.
#define LS_TRY_CONCAT2(a, b) a##b
#define LS_TRY_CONCAT(a, b) LS_TRY_CONCAT2(a, b)
#define LS_TRY(decl, expr) LS_TRY_IMPL(decl, expr, LS_TRY_CONCAT(ls_try_result_, __LINE__))
#define LS_TRY_IMPL(decl, expr, tmp)                   \
  auto tmp = (expr);                                   \
  if (!tmp) return ::lockstep::vk::forward_error(tmp); \
  decl = std::move(tmp).value()
