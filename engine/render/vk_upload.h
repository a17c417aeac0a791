// Moving picture planes from CPU memory to where the GPU converts them (private to render/): a
// persistent, persistently-mapped staging ring with one slice per frame in flight, used in one
// of two ways per frame:
// - for the fragment shader (pictures drawn scaled): copied on into two sampled images per
//   picture, recreated only when the picture's size or format changes:
//     luma:   R8_UNORM or R16_UNORM;
//     chroma: R8G8_UNORM or R16G16_UNORM holding Cb in R and Cr in G.
//   NV12/P010 chroma is already interleaved. For 3-plane pictures the CPU interleaves U and V
//   while it copies them into the staging ring (a copy it makes anyway): the shader then
//   fetches two textures per pixel instead of three, and on lavapipe texture fetches are most
//   of the cost of a frame;
// - for the compute shader (4:2:0 pictures drawn 1:1): the planes stay in the ring, as rows of
//   32-bit words with edge padding (stage_planes(), shaders/yuv_compute.comp), and the shader
//   reads them there: no image copies at all.
//
// Thread-safety: render thread only.
#pragma once

#include <array>

#include "core/result.h"
#include "media/picture.h"
#include "render/vk_context.h"

namespace lockstep::vk {

/// What one texture must look like for a picture.
struct PlaneFormat {
  VkFormat format = VK_FORMAT_UNDEFINED;
  uint32_t width = 0;
  uint32_t height = 0;
  uint32_t texel_bytes = 0;
  friend bool operator==(const PlaneFormat&, const PlaneFormat&) = default;
};
/// The two textures of a picture (luma, interleaved chroma) and how the source is laid out.
struct PictureFormat {
  std::array<PlaneFormat, 2> textures{};
  int source_planes = 0;  // 3: U and V are interleaved on upload; 2: copied as they are
  friend bool operator==(const PictureFormat&, const PictureFormat&) = default;
};

/// The textures for `picture`, or an error naming what is not supported.
Result<PictureFormat> picture_format(const PictureView& picture);

/// Pixels per compute-shader invocation along a row (shaders/yuv_compute.comp: 8a .. 8a+7):
/// staged rows are padded to whole blocks.
inline constexpr uint32_t kStagedBlockWidth = 8;

/// Where stage_planes() put a picture: a range of the staging buffer (bind it as the storage
/// buffer) and, in 32-bit words from the start of that range, the planes in the layout
/// shaders/yuv_compute.comp reads.
struct StagedPlanes {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceSize offset = 0;  // bytes
  VkDeviceSize range = 0;   // bytes
  uint32_t luma_offset = 0;
  uint32_t luma_stride = 0;  // words per row
  uint32_t cb_offset = 0;    // the CbCr plane when the chroma is interleaved
  uint32_t cr_offset = 0;    // equal to cb_offset when interleaved
  uint32_t chroma_stride = 0;
};

class PlaneUploader {
 public:
  /// `slots`: frames in flight; slot i's staging slice is only rewritten after the caller
  /// waited for the frame that last used slot i.
  PlaneUploader(const Context& ctx, uint32_t slots) : ctx_(&ctx), slots_(slots) {}

  /// Copies the picture into the staging slice of `slot` and records into `cmd` the copies into
  /// the textures and the barriers that make them readable by the fragment shader. When the
  /// picture's format differs from the previous one, first waits for the device to go idle and
  /// recreates the textures (and grows the ring). Returns true when the textures were
  /// recreated, so the caller re-binds its descriptors.
  Result<bool> upload(const PictureView& picture, uint32_t slot, VkCommandBuffer cmd);

  /// True when stage_planes() takes `picture`: 4:2:0 (chroma exactly half the even width and
  /// height), 3 planes or NV12/P010-style interleaved chroma, samples of 8 to 16 bits, and a
  /// staged size the device can bind as one storage buffer.
  bool can_stage(const PictureView& picture) const;

  /// Copies a picture that can_stage() accepts into the staging slice of `slot` in the
  /// compute shader's layout; the GPU reads it from there (the host writes are visible to the
  /// next submit without a barrier). Grows the ring first, waiting for the device, when a
  /// slice is too small.
  Result<StagedPlanes> stage_planes(const PictureView& picture, uint32_t slot);

  const PictureFormat& format() const { return format_; }
  /// Views of the luma and chroma textures (VK_NULL_HANDLE before the first upload).
  std::array<VkImageView, 2> views() const;

 private:
  Status recreate(const PictureFormat& format);
  Status ensure_slice(VkDeviceSize bytes);

  const Context* ctx_;
  uint32_t slots_;
  PictureFormat format_;
  std::array<Image, 2> textures_;
  Buffer staging_;
  VkDeviceSize slice_size_ = 0;
};

}  // namespace lockstep::vk
