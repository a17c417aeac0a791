// Moving picture planes from CPU memory into sampled images (private to render/): a
// persistent, persistently-mapped staging ring with one slice per frame in flight, and one
// image per plane (R8/R16 for Y, U, V; R8G8/R16G16 for an interleaved UV plane) that is
// recreated only when the picture's size or format changes.
//
// Thread-safety: render thread only.
#pragma once

#include <array>

#include "core/result.h"
#include "media/picture.h"
#include "render/vk_context.h"

namespace lockstep::vk {

/// What the plane images must look like for a picture.
struct PlaneFormat {
  VkFormat format = VK_FORMAT_UNDEFINED;
  uint32_t width = 0;
  uint32_t height = 0;
  uint32_t texel_bytes = 0;
  friend bool operator==(const PlaneFormat&, const PlaneFormat&) = default;
};
struct PictureFormat {
  int plane_count = 0;
  std::array<PlaneFormat, 3> planes{};
  friend bool operator==(const PictureFormat&, const PictureFormat&) = default;
};

/// The plane images for `picture`, or an error naming what is not supported.
Result<PictureFormat> picture_format(const PictureView& picture);

class PlaneUploader {
 public:
  /// `slots`: frames in flight; slot i's staging slice is only rewritten after the caller
  /// waited for the frame that last used slot i.
  PlaneUploader(const Context& ctx, uint32_t slots) : ctx_(&ctx), slots_(slots) {}

  /// Copies the picture into the staging slice of `slot` and records into `cmd` the copies into
  /// the plane images and the barriers that make them readable by the fragment shader. When the
  /// picture's format differs from the previous one, first waits for the device to go idle and
  /// recreates the images (and grows the ring). Returns true when the images were recreated,
  /// so the caller re-binds its descriptors.
  Result<bool> upload(const PictureView& picture, uint32_t slot, VkCommandBuffer cmd);

  const PictureFormat& format() const { return format_; }
  /// Views of the plane images (VK_NULL_HANDLE beyond plane_count).
  std::array<VkImageView, 3> views() const;

 private:
  Status recreate(const PictureFormat& format);

  const Context* ctx_;
  uint32_t slots_;
  PictureFormat format_;
  std::array<Image, 3> planes_;
  Buffer staging_;
  VkDeviceSize slice_size_ = 0;
};

}  // namespace lockstep::vk
