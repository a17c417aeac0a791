#include "render/vk_upload.h"

#include <cassert>
#include <cstring>

#include "core/log.h"
#include "render/vk_check.h"

namespace lockstep::vk {
namespace {

// Keeps every copy offset texel- and atom-aligned, and every slice a valid storage-buffer
// offset (minStorageBufferOffsetAlignment is at most 256).
constexpr VkDeviceSize kTextureAlignment = 256;

VkDeviceSize align_up(VkDeviceSize v, VkDeviceSize a) { return (v + a - 1) / a * a; }

VkDeviceSize texture_bytes(const PlaneFormat& p) {
  return VkDeviceSize(p.width) * p.height * p.texel_bytes;
}

VkDeviceSize slice_bytes(const PictureFormat& f) {
  return align_up(texture_bytes(f.textures[0]), kTextureAlignment) +
         align_up(texture_bytes(f.textures[1]), kTextureAlignment);
}

/// Copies rows of `bytes` each from a strided plane into tightly packed rows.
void copy_rows(uint8_t* dst, const PlaneView& src, size_t bytes, uint32_t rows) {
  if (size_t(src.stride_bytes) == bytes) {
    std::memcpy(dst, src.data, bytes * rows);
    return;
  }
  for (uint32_t y = 0; y < rows; ++y)
    std::memcpy(dst + y * bytes, src.data + size_t(y) * size_t(src.stride_bytes), bytes);
}

/// Interleaves U and V rows into tightly packed CbCr pairs (T: uint8_t or uint16_t samples;
/// memcpy per sample because plane rows need not be aligned for T).
template <class T>
void interleave_rows(uint8_t* dst, const PlaneView& u, const PlaneView& v, uint32_t width,
                     uint32_t rows) {
  for (uint32_t y = 0; y < rows; ++y) {
    T* out = reinterpret_cast<T*>(dst) + size_t(y) * width * 2;
    const uint8_t* pu = u.data + size_t(y) * size_t(u.stride_bytes);
    const uint8_t* pv = v.data + size_t(y) * size_t(v.stride_bytes);
    for (uint32_t x = 0; x < width; ++x) {
      std::memcpy(&out[2 * x], pu + x * sizeof(T), sizeof(T));
      std::memcpy(&out[2 * x + 1], pv + x * sizeof(T), sizeof(T));
    }
  }
}

/// Copies `rows` rows of `bytes` each into rows of `stride` bytes, starting `lead` bytes into
/// each, and fills the bytes before and after with copies of the row's first and last `texel`
/// bytes (`texel` divides `lead` and the rest), so word windows clamp at the edges by themselves.
void copy_rows_edge_padded(uint8_t* dst, const PlaneView& src, size_t bytes, uint32_t rows,
                           size_t stride, size_t lead, size_t texel) {
  for (uint32_t y = 0; y < rows; ++y) {
    uint8_t* out = dst + y * stride;
    const uint8_t* in = src.data + size_t(y) * size_t(src.stride_bytes);
    for (size_t i = 0; i < lead; i += texel) std::memcpy(out + i, in, texel);
    std::memcpy(out + lead, in, bytes);
    for (size_t i = lead + bytes; i < stride; i += texel)
      std::memcpy(out + i, in + bytes - texel, texel);
  }
}

/// The compute shader's staging layout for one picture (shaders/yuv_compute.comp): strides in
/// words, rows padded to whole blocks of kStagedBlockWidth pixels, and chroma rows long enough
/// for the last block's window of words.
struct PackedLayout {
  uint32_t sample_bytes = 1;  // per sample: 1 or 2
  uint32_t texel_bytes = 1;   // per chroma column in its plane (2x sample_bytes interleaved)
  uint32_t chroma_planes = 2;
  uint32_t luma_stride = 0;    // words
  uint32_t chroma_stride = 0;  // words, including the lead word
  uint32_t chroma_rows = 0;
  uint32_t height = 0;

  VkDeviceSize luma_words() const { return VkDeviceSize(luma_stride) * height; }
  VkDeviceSize chroma_words() const { return VkDeviceSize(chroma_stride) * chroma_rows; }
  VkDeviceSize bytes() const { return 4 * (luma_words() + chroma_planes * chroma_words()); }
};

PackedLayout packed_layout(const PictureView& p) {
  PackedLayout l;
  l.sample_bytes = p.bit_depth > 8 ? 2 : 1;
  const bool interleaved = p.plane_count == 2;
  l.texel_bytes = interleaved ? 2 * l.sample_bytes : l.sample_bytes;
  l.chroma_planes = interleaved ? 1 : 2;
  const uint32_t blocks = (uint32_t(p.width) + kStagedBlockWidth - 1) / kStagedBlockWidth;
  l.luma_stride = kStagedBlockWidth * l.sample_bytes / 4 * blocks;
  // The last block's window of chroma words: as kWindowWords in the shader.
  const uint32_t window = (4 * l.texel_bytes + 4 + l.sample_bytes * (interleaved ? 2 : 1) + 3) / 4;
  l.chroma_stride = l.texel_bytes * blocks + window;
  l.chroma_rows = uint32_t(p.height) / 2;
  l.height = uint32_t(p.height);
  return l;
}

}  // namespace

Result<PictureFormat> picture_format(const PictureView& p) {
  if (p.plane_count != 2 && p.plane_count != 3)
    return make_error("picture has " + std::to_string(p.plane_count) +
                      " planes; the renderer "
                      "draws 3-plane YUV or 2-plane Y + interleaved UV");
  if (p.bit_depth != 8 && (p.bit_depth < 9 || p.bit_depth > 16))
    return make_error("picture bit depth " + std::to_string(p.bit_depth) + " is not supported");
  if (p.width <= 0 || p.height <= 0) return make_error("picture has no pixels");
  const uint32_t sample_bytes = p.bit_depth > 8 ? 2 : 1;
  for (int i = 0; i < p.plane_count; ++i) {
    const PlaneView& plane = p.planes[i];
    const int samples_per_texel = (p.plane_count == 2 && i == 1) ? 2 : 1;
    if (!plane.data || plane.width <= 0 || plane.height <= 0 ||
        plane.stride_bytes < plane.width * samples_per_texel * int(sample_bytes))
      return make_error("picture plane " + std::to_string(i) + " is empty or its stride (" +
                        std::to_string(plane.stride_bytes) + " bytes) is shorter than a row");
  }
  if (p.plane_count == 3 &&
      (p.planes[1].width != p.planes[2].width || p.planes[1].height != p.planes[2].height))
    return make_error("picture U and V planes differ in size");

  PictureFormat f;
  f.source_planes = p.plane_count;
  f.textures[0] = {sample_bytes == 2 ? VK_FORMAT_R16_UNORM : VK_FORMAT_R8_UNORM,
                   uint32_t(p.planes[0].width), uint32_t(p.planes[0].height), sample_bytes};
  f.textures[1] = {sample_bytes == 2 ? VK_FORMAT_R16G16_UNORM : VK_FORMAT_R8G8_UNORM,
                   uint32_t(p.planes[1].width), uint32_t(p.planes[1].height), 2 * sample_bytes};
  return f;
}

std::array<VkImageView, 2> PlaneUploader::views() const {
  return {textures_[0].view.get(), textures_[1].view.get()};
}

Status PlaneUploader::recreate(const PictureFormat& format) {
  // The previous textures and the staging ring may still be read by frames in flight.
  ctx_->wait_idle();
  format_ = PictureFormat{};
  for (size_t i = 0; i < textures_.size(); ++i) {
    textures_[i] = Image{};
    const PlaneFormat& p = format.textures[i];
    LS_TRY(textures_[i],
           ctx_->create_image({p.width, p.height}, p.format,
                              VK_IMAGE_USAGE_TRANSFER_DST_BIT | VK_IMAGE_USAGE_SAMPLED_BIT));
  }
  if (auto s = ensure_slice(slice_bytes(format)); !s) return s;
  format_ = format;
  LS_DEBUG("render: picture textures recreated (luma {}x{}, chroma {}x{}, {}-bit samples)",
           format.textures[0].width, format.textures[0].height, format.textures[1].width,
           format.textures[1].height, format.textures[0].texel_bytes * 8);
  return {};
}

bool PlaneUploader::can_stage(const PictureView& p) const {
  if (!picture_format(p)) return false;
  if (p.width % 2 != 0 || p.height % 2 != 0) return false;
  for (int i = 1; i < p.plane_count; ++i)
    if (p.planes[i].width != p.width / 2 || p.planes[i].height != p.height / 2) return false;
  return packed_layout(p).bytes() <= ctx_->properties().limits.maxStorageBufferRange;
}

Status PlaneUploader::ensure_slice(VkDeviceSize bytes) {
  bytes = align_up(bytes, kTextureAlignment);
  if (bytes <= slice_size_) return {};
  ctx_->wait_idle();  // frames in flight may still read the old ring
  staging_ = Buffer{};
  slice_size_ = 0;
  LS_TRY(staging_,
         ctx_->create_buffer(bytes * slots_,
                             VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
                             MemoryUse::Upload));
  slice_size_ = bytes;
  return {};
}

Result<StagedPlanes> PlaneUploader::stage_planes(const PictureView& picture, uint32_t slot) {
  assert(can_stage(picture));
  const PackedLayout l = packed_layout(picture);
  if (auto s = ensure_slice(l.bytes()); !s) return forward_error(s, "staging a picture");

  StagedPlanes staged;
  staged.buffer = staging_.buffer.get();
  staged.offset = VkDeviceSize(slot) * slice_size_;  // a multiple of 256: any offset alignment
  staged.range = l.bytes();
  staged.luma_offset = 0;
  staged.luma_stride = l.luma_stride;
  staged.cb_offset = uint32_t(l.luma_words());
  staged.cr_offset =
      l.chroma_planes == 2 ? uint32_t(staged.cb_offset + l.chroma_words()) : staged.cb_offset;
  staged.chroma_stride = l.chroma_stride;

  auto* words = static_cast<uint8_t*>(staging_.mapped) + staged.offset;
  const size_t luma_bytes = size_t(picture.width) * l.sample_bytes;
  copy_rows_edge_padded(words + 4 * size_t(staged.luma_offset), picture.planes[0], luma_bytes,
                        l.height, 4 * size_t(l.luma_stride), 0, l.sample_bytes);
  const size_t chroma_bytes = size_t(picture.width / 2) * l.texel_bytes;
  const uint32_t chroma_offsets[2] = {staged.cb_offset, staged.cr_offset};
  for (uint32_t i = 0; i < l.chroma_planes; ++i)
    copy_rows_edge_padded(words + 4 * size_t(chroma_offsets[i]), picture.planes[1 + i],
                          chroma_bytes, l.chroma_rows, 4 * size_t(l.chroma_stride), 4,
                          l.texel_bytes);
  if (!staging_.coherent) {
    const VkMappedMemoryRange range{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, nullptr,
                                    staging_.memory.get(), 0, VK_WHOLE_SIZE};
    LS_VK_TRY(vkFlushMappedMemoryRanges(ctx_->device(), 1, &range));
  }
  return staged;
}

Result<bool> PlaneUploader::upload(const PictureView& picture, uint32_t slot, VkCommandBuffer cmd) {
  LS_TRY(const PictureFormat format, picture_format(picture));
  const bool recreated = !(format == format_);
  if (recreated) {
    if (auto s = recreate(format); !s) return forward_error(s, "uploading a picture");
  }

  // CPU copy into this slot's slice, rows packed tightly (bufferRowLength 0).
  const PlaneFormat& luma = format.textures[0];
  const PlaneFormat& chroma = format.textures[1];
  const VkDeviceSize luma_offset = VkDeviceSize(slot) * slice_size_;
  const VkDeviceSize chroma_offset = luma_offset + align_up(texture_bytes(luma), kTextureAlignment);
  auto* base = static_cast<uint8_t*>(staging_.mapped);
  copy_rows(base + luma_offset, picture.planes[0], size_t(luma.width) * luma.texel_bytes,
            luma.height);
  if (format.source_planes == 2) {
    copy_rows(base + chroma_offset, picture.planes[1], size_t(chroma.width) * chroma.texel_bytes,
              chroma.height);
  } else if (chroma.texel_bytes == 2) {
    interleave_rows<uint8_t>(base + chroma_offset, picture.planes[1], picture.planes[2],
                             chroma.width, chroma.height);
  } else {
    interleave_rows<uint16_t>(base + chroma_offset, picture.planes[1], picture.planes[2],
                              chroma.width, chroma.height);
  }
  if (!staging_.coherent) {
    const VkMappedMemoryRange range{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, nullptr,
                                    staging_.memory.get(), 0, VK_WHOLE_SIZE};
    LS_VK_TRY(vkFlushMappedMemoryRanges(ctx_->device(), 1, &range));
  }

  // Earlier frames may still sample the textures: wait for their fragment shaders (write
  // after read), then discard the old contents (UNDEFINED) since every texel is overwritten.
  std::array<VkImageMemoryBarrier, 2> to_transfer{};
  std::array<VkImageMemoryBarrier, 2> to_shader{};
  for (size_t i = 0; i < 2; ++i) {
    VkImageMemoryBarrier b{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
    b.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    b.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    b.image = textures_[i].image.get();
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
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                       0, 0, nullptr, 0, nullptr, 2, to_transfer.data());
  const VkDeviceSize offsets[2] = {luma_offset, chroma_offset};
  for (size_t i = 0; i < 2; ++i) {
    VkBufferImageCopy region{};
    region.bufferOffset = offsets[i];
    region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
    region.imageExtent = {format.textures[i].width, format.textures[i].height, 1};
    vkCmdCopyBufferToImage(cmd, staging_.buffer.get(), textures_[i].image.get(),
                           VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &region);
  }
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT,
                       0, 0, nullptr, 0, nullptr, 2, to_shader.data());
  return recreated;
}

}  // namespace lockstep::vk
