#include "render/vk_upload.h"

#include <cstring>

#include "core/log.h"
#include "render/vk_check.h"

namespace lockstep::vk {
namespace {

constexpr VkDeviceSize kPlaneAlignment = 256;  // keeps every copy offset texel- and atom-aligned

VkDeviceSize align_up(VkDeviceSize v, VkDeviceSize a) { return (v + a - 1) / a * a; }

VkDeviceSize plane_bytes(const PlaneFormat& p) {
  return VkDeviceSize(p.width) * p.height * p.texel_bytes;
}

VkDeviceSize slice_bytes(const PictureFormat& f) {
  VkDeviceSize size = 0;
  for (int i = 0; i < f.plane_count; ++i) size += align_up(plane_bytes(f.planes[i]), kPlaneAlignment);
  return size;
}

}  // namespace

Result<PictureFormat> picture_format(const PictureView& p) {
  if (p.plane_count != 2 && p.plane_count != 3)
    return make_error("picture has " + std::to_string(p.plane_count) + " planes; the renderer "
                      "draws 3-plane YUV or 2-plane Y + interleaved UV");
  if (p.bit_depth != 8 && (p.bit_depth < 9 || p.bit_depth > 16))
    return make_error("picture bit depth " + std::to_string(p.bit_depth) + " is not supported");
  if (p.width <= 0 || p.height <= 0) return make_error("picture has no pixels");
  const bool wide = p.bit_depth > 8;
  PictureFormat f;
  f.plane_count = p.plane_count;
  for (int i = 0; i < p.plane_count; ++i) {
    const PlaneView& plane = p.planes[i];
    const bool interleaved = p.plane_count == 2 && i == 1;
    PlaneFormat& out = f.planes[i];
    out.texel_bytes = (wide ? 2 : 1) * (interleaved ? 2 : 1);
    out.format = interleaved ? (wide ? VK_FORMAT_R16G16_UNORM : VK_FORMAT_R8G8_UNORM)
                             : (wide ? VK_FORMAT_R16_UNORM : VK_FORMAT_R8_UNORM);
    if (!plane.data || plane.width <= 0 || plane.height <= 0 ||
        plane.stride_bytes < plane.width * int(out.texel_bytes))
      return make_error("picture plane " + std::to_string(i) + " is empty or its stride (" +
                        std::to_string(plane.stride_bytes) + " bytes) is shorter than a row");
    out.width = uint32_t(plane.width);
    out.height = uint32_t(plane.height);
  }
  return f;
}

std::array<VkImageView, 3> PlaneUploader::views() const {
  std::array<VkImageView, 3> v{};
  for (int i = 0; i < format_.plane_count; ++i) v[i] = planes_[i].view.get();
  return v;
}

Status PlaneUploader::recreate(const PictureFormat& format) {
  // The previous images and the staging ring may still be read by frames in flight.
  ctx_->wait_idle();
  for (auto& plane : planes_) plane = Image{};
  format_ = PictureFormat{};
  for (int i = 0; i < format.plane_count; ++i) {
    const PlaneFormat& p = format.planes[i];
    LS_TRY(planes_[i], ctx_->create_image({p.width, p.height}, p.format,
                                          VK_IMAGE_USAGE_TRANSFER_DST_BIT |
                                              VK_IMAGE_USAGE_SAMPLED_BIT));
  }
  const VkDeviceSize needed = slice_bytes(format);
  if (needed > slice_size_) {
    staging_ = Buffer{};
    slice_size_ = 0;
    LS_TRY(staging_, ctx_->create_buffer(needed * slots_, VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                                         MemoryUse::Upload));
    slice_size_ = needed;
  }
  format_ = format;
  LS_DEBUG("render: plane images recreated ({} planes, luma {}x{}, format {})", format.plane_count,
           format.planes[0].width, format.planes[0].height, int(format.planes[0].format));
  return {};
}

Result<bool> PlaneUploader::upload(const PictureView& picture, uint32_t slot,
                                   VkCommandBuffer cmd) {
  LS_TRY(const PictureFormat format, picture_format(picture));
  const bool recreated = !(format == format_);
  if (recreated) {
    if (auto s = recreate(format); !s) return forward_error(s, "uploading a picture");
  }

  // CPU copy into this slot's slice, rows packed tightly (bufferRowLength 0).
  std::array<VkDeviceSize, 3> offsets{};
  VkDeviceSize offset = VkDeviceSize(slot) * slice_size_;
  for (int i = 0; i < format.plane_count; ++i) {
    const PlaneView& src = picture.planes[i];
    const size_t row = size_t(format.planes[i].width) * format.planes[i].texel_bytes;
    uint8_t* dst = static_cast<uint8_t*>(staging_.mapped) + offset;
    if (size_t(src.stride_bytes) == row) {
      std::memcpy(dst, src.data, row * format.planes[i].height);
    } else {
      for (uint32_t y = 0; y < format.planes[i].height; ++y)
        std::memcpy(dst + y * row, src.data + size_t(y) * size_t(src.stride_bytes), row);
    }
    offsets[i] = offset;
    offset += align_up(plane_bytes(format.planes[i]), kPlaneAlignment);
  }
  if (!staging_.coherent) {
    const VkMappedMemoryRange range{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, nullptr,
                                    staging_.memory.get(), 0, VK_WHOLE_SIZE};
    LS_VK_TRY(vkFlushMappedMemoryRanges(ctx_->device(), 1, &range));
  }

  // Earlier frames may still sample the images: wait for their fragment shaders (write after
  // read), then discard the old contents (UNDEFINED) since every texel is overwritten.
  std::array<VkImageMemoryBarrier, 3> to_transfer{};
  std::array<VkImageMemoryBarrier, 3> to_shader{};
  for (int i = 0; i < format.plane_count; ++i) {
    VkImageMemoryBarrier b{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
    b.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    b.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    b.image = planes_[i].image.get();
    b.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    to_transfer[i] = b;
    to_transfer[i].srcAccessMask = 0;
    to_transfer[i].dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    to_transfer[i].oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    to_transfer[i].newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
    to_shader[i] = b;
    to_shader[i].srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    to_shader[i].dstAccessMask = VK_ACCESS_SHADER_READ_BIT;
    to_shader[i].oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
    to_shader[i].newLayout = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL;
  }
  const auto count = uint32_t(format.plane_count);
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                       0, 0, nullptr, 0, nullptr, count, to_transfer.data());
  for (int i = 0; i < format.plane_count; ++i) {
    VkBufferImageCopy region{};
    region.bufferOffset = offsets[i];
    region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
    region.imageExtent = {format.planes[i].width, format.planes[i].height, 1};
    vkCmdCopyBufferToImage(cmd, staging_.buffer.get(), planes_[i].image.get(),
                           VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &region);
  }
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT,
                       0, 0, nullptr, 0, nullptr, count, to_shader.data());
  return recreated;
}

}  // namespace lockstep::vk
