// Offscreen target: the headless mode's images.
#include <vector>

#include "render/vk_check.h"
#include "render/vk_target.h"

namespace lockstep::vk {
namespace {

constexpr VkFormat kOffscreenFormat = VK_FORMAT_R8G8B8A8_UNORM;

class OffscreenTarget final : public RenderTarget {
 public:
  VkFormat format() const override { return kOffscreenFormat; }
  bool can_read_back() const override { return true; }
  bool can_store() const override { return storage_; }
  std::optional<VkImageLayout> final_layout() const override { return std::nullopt; }
  uint32_t image_count() const override { return uint32_t(images_.size()); }
  uint32_t min_image_count() const override { return uint32_t(images_.size()); }
  uint64_t generation() const override { return 0; }

  Result<std::optional<TargetFrame>> acquire(uint32_t slot) override {
    TargetFrame frame;
    frame.image_index = slot % uint32_t(images_.size());
    frame.image = images_[frame.image_index].image.get();
    frame.view = images_[frame.image_index].view.get();
    frame.framebuffer = framebuffers_[frame.image_index].get();
    frame.extent = extent_;
    return std::optional<TargetFrame>(frame);
  }
  Result<int64_t> present(const TargetFrame&) override { return int64_t{0}; }

  Status init(const Context& ctx, VkRenderPass render_pass, VkExtent2D extent, uint32_t slots) {
    extent_ = extent;
    storage_ = ctx.can_store_unformatted(kOffscreenFormat);
    for (uint32_t i = 0; i < slots; ++i) {
      LS_TRY(Image image, ctx.create_image(extent, kOffscreenFormat,
                                           VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT |
                                               VK_IMAGE_USAGE_TRANSFER_SRC_BIT |
                                               (storage_ ? VK_IMAGE_USAGE_STORAGE_BIT : 0)));
      const VkImageView view = image.view.get();
      VkFramebufferCreateInfo info{VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO};
      info.renderPass = render_pass;
      info.attachmentCount = 1;
      info.pAttachments = &view;
      info.width = extent.width;
      info.height = extent.height;
      info.layers = 1;
      VkFramebuffer fb = VK_NULL_HANDLE;
      LS_VK_TRY(vkCreateFramebuffer(ctx.device(), &info, nullptr, &fb));
      images_.push_back(std::move(image));
      framebuffers_.emplace_back(ctx.device(), fb);
    }
    return {};
  }

 private:
  VkExtent2D extent_{};
  bool storage_ = false;
  std::vector<Image> images_;
  std::vector<FramebufferOwner> framebuffers_;  // destroyed before the images
};

}  // namespace

Result<std::unique_ptr<RenderTarget>> create_offscreen_target(const Context& ctx,
                                                              VkRenderPass render_pass,
                                                              VkExtent2D extent, uint32_t slots) {
  if (extent.width == 0 || extent.height == 0)
    return make_error("offscreen target size " + std::to_string(extent.width) + "x" +
                      std::to_string(extent.height) + " is empty");
  auto target = std::make_unique<OffscreenTarget>();
  if (auto s = target->init(ctx, render_pass, extent, slots); !s)
    return forward_error(s, "creating the offscreen target");
  return std::unique_ptr<RenderTarget>(std::move(target));
}

}  // namespace lockstep::vk
