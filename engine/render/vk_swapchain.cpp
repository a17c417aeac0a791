// Swapchain target: a window's images, recreated on resize and when out of date.
#include <algorithm>
#include <vector>

#include "core/log.h"
#include "core/time.h"
#include "render/vk_check.h"
#include "render/vk_target.h"

namespace lockstep::vk {
namespace {

const char* present_mode_name(VkPresentModeKHR mode) {
  switch (mode) {
    case VK_PRESENT_MODE_IMMEDIATE_KHR:
      return "immediate";
    case VK_PRESENT_MODE_MAILBOX_KHR:
      return "mailbox";
    case VK_PRESENT_MODE_FIFO_KHR:
      return "fifo";
    case VK_PRESENT_MODE_FIFO_RELAXED_KHR:
      return "fifo-relaxed";
    default:
      return "other";
  }
}

/// One swapchain image and what is created for it.
struct SwapchainImage {
  VkImage image = VK_NULL_HANDLE;  // owned by the swapchain
  ImageViewOwner view;
  FramebufferOwner framebuffer;
  SemaphoreOwner render_finished;  // per image: reused only once the image is acquired again
};

class SwapchainTarget final : public RenderTarget {
 public:
  SwapchainTarget(const Context& ctx, VkRenderPass render_pass, VkSurfaceFormatKHR format,
                  SwapchainParams params)
      : ctx_(ctx), render_pass_(render_pass), format_(format), params_(std::move(params)) {}
  ~SwapchainTarget() override {
    ctx_.wait_idle();
    images_.clear();
  }

  VkFormat format() const override { return format_.format; }
  bool can_read_back() const override { return transfer_src_; }
  bool can_store() const override { return storage_; }
  std::optional<VkImageLayout> final_layout() const override {
    return VK_IMAGE_LAYOUT_PRESENT_SRC_KHR;
  }
  uint32_t image_count() const override { return uint32_t(images_.size()); }
  uint32_t min_image_count() const override { return min_image_count_; }
  uint64_t generation() const override { return generation_; }

  Status init() {
    VkSurfaceCapabilitiesKHR caps;
    LS_VK_TRY(
        vkGetPhysicalDeviceSurfaceCapabilitiesKHR(ctx_.physical_device(), ctx_.surface(), &caps));
    transfer_src_ = caps.supportedUsageFlags & VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
    storage_ = (caps.supportedUsageFlags & VK_IMAGE_USAGE_STORAGE_BIT) &&
               ctx_.can_store_unformatted(format_.format);
    for (uint32_t i = 0; i < params_.slots; ++i) {
      LS_TRY(SemaphoreOwner s, make_semaphore());
      image_available_.push_back(std::move(s));
    }
    return {};
  }

  Result<std::optional<TargetFrame>> acquire(uint32_t slot) override;
  Result<int64_t> present(const TargetFrame& frame) override;

 private:
  Result<SemaphoreOwner> make_semaphore() const {
    VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    VkSemaphore s = VK_NULL_HANDLE;
    LS_VK_TRY(vkCreateSemaphore(ctx_.device(), &info, nullptr, &s));
    return SemaphoreOwner(ctx_.device(), s);
  }
  VkExtent2D window_extent() const {
    int w = 0, h = 0;
    if (params_.framebuffer_size) params_.framebuffer_size(&w, &h);
    return {uint32_t(std::max(w, 0)), uint32_t(std::max(h, 0))};
  }
  Status recreate(VkExtent2D wanted);
  VkPresentModeKHR choose_present_mode() const;

  const Context& ctx_;
  VkRenderPass render_pass_;
  VkSurfaceFormatKHR format_;
  SwapchainParams params_;

  SwapchainOwner swapchain_;
  std::vector<SwapchainImage> images_;           // destroyed before the swapchain (declared after)
  std::vector<SemaphoreOwner> image_available_;  // per frame-in-flight slot
  VkExtent2D extent_{};
  VkExtent2D requested_{};  // window framebuffer size at the last recreate
  uint32_t min_image_count_ = 2;
  uint64_t generation_ = 0;
  bool transfer_src_ = false;
  bool storage_ = false;     // images are written by the compute conversion too
  bool out_of_date_ = true;  // no swapchain yet
};

VkPresentModeKHR SwapchainTarget::choose_present_mode() const {
  if (params_.vsync) return VK_PRESENT_MODE_FIFO_KHR;  // always supported
  uint32_t count = 0;
  vkGetPhysicalDeviceSurfacePresentModesKHR(ctx_.physical_device(), ctx_.surface(), &count,
                                            nullptr);
  std::vector<VkPresentModeKHR> modes(count);
  vkGetPhysicalDeviceSurfacePresentModesKHR(ctx_.physical_device(), ctx_.surface(), &count,
                                            modes.data());
  for (VkPresentModeKHR wanted : {VK_PRESENT_MODE_MAILBOX_KHR, VK_PRESENT_MODE_IMMEDIATE_KHR})
    if (std::find(modes.begin(), modes.end(), wanted) != modes.end()) return wanted;
  return VK_PRESENT_MODE_FIFO_KHR;
}

Status SwapchainTarget::recreate(VkExtent2D wanted) {
  const VkDevice device = ctx_.device();
  ctx_.wait_idle();  // the old images may still be drawn into or read

  VkSurfaceCapabilitiesKHR caps;
  LS_VK_TRY(
      vkGetPhysicalDeviceSurfaceCapabilitiesKHR(ctx_.physical_device(), ctx_.surface(), &caps));
  VkExtent2D extent = caps.currentExtent;
  if (extent.width == 0xFFFFFFFFu) {  // the window takes the swapchain's size
    extent.width = std::clamp(wanted.width, caps.minImageExtent.width, caps.maxImageExtent.width);
    extent.height =
        std::clamp(wanted.height, caps.minImageExtent.height, caps.maxImageExtent.height);
  }
  if (extent.width == 0 || extent.height == 0) return {};  // minimised: try again later

  uint32_t image_count = std::max(caps.minImageCount + 1, params_.slots);
  if (caps.maxImageCount > 0) image_count = std::min(image_count, caps.maxImageCount);
  VkCompositeAlphaFlagBitsKHR alpha = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR;
  if (!(caps.supportedCompositeAlpha & alpha))
    alpha =
        VkCompositeAlphaFlagBitsKHR(caps.supportedCompositeAlpha & -caps.supportedCompositeAlpha);
  const VkPresentModeKHR present_mode = choose_present_mode();

  VkSwapchainCreateInfoKHR info{VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR};
  info.surface = ctx_.surface();
  info.minImageCount = image_count;
  info.imageFormat = format_.format;
  info.imageColorSpace = format_.colorSpace;
  info.imageExtent = extent;
  info.imageArrayLayers = 1;
  info.imageUsage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT |
                    (transfer_src_ ? VK_IMAGE_USAGE_TRANSFER_SRC_BIT : 0) |
                    (storage_ ? VK_IMAGE_USAGE_STORAGE_BIT : 0);
  info.imageSharingMode = VK_SHARING_MODE_EXCLUSIVE;
  info.preTransform = caps.currentTransform;
  info.compositeAlpha = alpha;
  info.presentMode = present_mode;
  info.clipped = VK_TRUE;
  info.oldSwapchain = swapchain_.get();
  VkSwapchainKHR swapchain = VK_NULL_HANDLE;
  if (const VkResult r = vkCreateSwapchainKHR(device, &info, nullptr, &swapchain); r != VK_SUCCESS)
    return vk_error("vkCreateSwapchainKHR", r,
                    std::to_string(extent.width) + "x" + std::to_string(extent.height));
  images_.clear();
  swapchain_ = SwapchainOwner(device, swapchain);  // destroys the old one (retired above)

  uint32_t count = 0;
  LS_VK_TRY(vkGetSwapchainImagesKHR(device, swapchain, &count, nullptr));
  std::vector<VkImage> images(count);
  LS_VK_TRY(vkGetSwapchainImagesKHR(device, swapchain, &count, images.data()));
  for (VkImage image : images) {
    SwapchainImage si;
    si.image = image;
    VkImageViewCreateInfo view_info{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO};
    view_info.image = image;
    view_info.viewType = VK_IMAGE_VIEW_TYPE_2D;
    view_info.format = format_.format;
    view_info.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    VkImageView view = VK_NULL_HANDLE;
    LS_VK_TRY(vkCreateImageView(device, &view_info, nullptr, &view));
    si.view = ImageViewOwner(device, view);
    VkFramebufferCreateInfo fb_info{VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO};
    fb_info.renderPass = render_pass_;
    fb_info.attachmentCount = 1;
    fb_info.pAttachments = &view;
    fb_info.width = extent.width;
    fb_info.height = extent.height;
    fb_info.layers = 1;
    VkFramebuffer fb = VK_NULL_HANDLE;
    LS_VK_TRY(vkCreateFramebuffer(device, &fb_info, nullptr, &fb));
    si.framebuffer = FramebufferOwner(device, fb);
    LS_TRY(si.render_finished, make_semaphore());
    images_.push_back(std::move(si));
  }
  extent_ = extent;
  min_image_count_ = std::max(2u, caps.minImageCount);
  out_of_date_ = false;
  ++generation_;
  LS_INFO("render: swapchain {}x{}, {} images, present mode {}{}", extent.width, extent.height,
          count, present_mode_name(present_mode), transfer_src_ ? "" : ", no read-back");
  return {};
}

Result<std::optional<TargetFrame>> SwapchainTarget::acquire(uint32_t slot) {
  const VkExtent2D window = window_extent();
  if (window.width == 0 || window.height == 0) return std::optional<TargetFrame>();  // minimised
  // Compared with the size last asked for, not the swapchain's: a surface may keep reporting
  // another extent, and recreating every frame would not help.
  const bool resized = window.width != requested_.width || window.height != requested_.height;

  // Two tries: the second after recreating a swapchain that went out of date on acquire.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (out_of_date_ || (resized && attempt == 0)) {
      requested_ = window;
      if (auto s = recreate(window); !s) return forward_error(s, "recreating the swapchain");
      if (out_of_date_) return std::optional<TargetFrame>();  // surface reports 0x0
    }
    const VkSemaphore available = image_available_[slot % image_available_.size()].get();
    uint32_t index = 0;
    const VkResult r = vkAcquireNextImageKHR(ctx_.device(), swapchain_.get(), UINT64_MAX, available,
                                             VK_NULL_HANDLE, &index);
    if (r == VK_ERROR_OUT_OF_DATE_KHR) {
      out_of_date_ = true;
      continue;
    }
    if (r == VK_SUBOPTIMAL_KHR)
      out_of_date_ = true;  // draw this one, recreate next frame
    else if (r != VK_SUCCESS)
      return vk_error("vkAcquireNextImageKHR", r);
    TargetFrame frame;
    frame.image_index = index;
    frame.image = images_[index].image;
    frame.view = images_[index].view.get();
    frame.framebuffer = images_[index].framebuffer.get();
    frame.extent = extent_;
    frame.wait = available;
    frame.signal = images_[index].render_finished.get();
    return std::optional<TargetFrame>(frame);
  }
  return std::optional<TargetFrame>();  // still out of date: skip this frame
}

Result<int64_t> SwapchainTarget::present(const TargetFrame& frame) {
  const VkSwapchainKHR swapchain = swapchain_.get();
  VkPresentInfoKHR info{VK_STRUCTURE_TYPE_PRESENT_INFO_KHR};
  info.waitSemaphoreCount = 1;
  info.pWaitSemaphores = &frame.signal;
  info.swapchainCount = 1;
  info.pSwapchains = &swapchain;
  info.pImageIndices = &frame.image_index;
  const VkResult r = vkQueuePresentKHR(ctx_.queue(), &info);
  const int64_t now = monotonic_ns();
  if (r == VK_ERROR_OUT_OF_DATE_KHR || r == VK_SUBOPTIMAL_KHR)
    out_of_date_ = true;
  else if (r != VK_SUCCESS)
    return vk_error("vkQueuePresentKHR", r);
  return now;
}

}  // namespace

Result<VkSurfaceFormatKHR> choose_surface_format(const Context& ctx) {
  uint32_t count = 0;
  LS_VK_TRY(
      vkGetPhysicalDeviceSurfaceFormatsKHR(ctx.physical_device(), ctx.surface(), &count, nullptr));
  std::vector<VkSurfaceFormatKHR> formats(count);
  LS_VK_TRY(vkGetPhysicalDeviceSurfaceFormatsKHR(ctx.physical_device(), ctx.surface(), &count,
                                                 formats.data()));
  if (formats.empty()) return make_error("the window surface offers no formats");
  for (VkFormat wanted : {VK_FORMAT_B8G8R8A8_UNORM, VK_FORMAT_R8G8B8A8_UNORM})
    for (const auto& f : formats)
      if (f.format == wanted && f.colorSpace == VK_COLOR_SPACE_SRGB_NONLINEAR_KHR) return f;
  LS_WARN("render: the surface offers neither B8G8R8A8_UNORM nor R8G8B8A8_UNORM; using format {}",
          int(formats[0].format));
  return formats[0];
}

Result<std::unique_ptr<RenderTarget>> create_swapchain_target(const Context& ctx,
                                                              VkRenderPass render_pass,
                                                              VkSurfaceFormatKHR format,
                                                              SwapchainParams params) {
  auto target = std::make_unique<SwapchainTarget>(ctx, render_pass, format, std::move(params));
  if (auto s = target->init(); !s) return forward_error(s, "creating the swapchain target");
  return std::unique_ptr<RenderTarget>(std::move(target));
}

}  // namespace lockstep::vk
