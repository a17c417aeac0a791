// Helpers shared by the renderer tests that need a Vulkan device (lavapipe here).
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "render/renderer.h"

namespace lockstep::test {

/// Headless renderer of width x height; validation on whenever the layer is installed, so
/// every device test also checks that it is clean.
inline std::unique_ptr<Renderer> make_headless_renderer(int width, int height,
                                                        bool overlay = false) {
  RendererParams params;
  params.width = width;
  params.height = height;
  params.validation = vulkan_validation_available();
  params.overlay = overlay;
  auto renderer = Renderer::create(params);
  EXPECT_TRUE(renderer.ok()) << renderer.error();
  return renderer.ok() ? std::move(renderer).value() : nullptr;
}

/// Draws `picture` (may be null) with read-back; fails the test on an error.
inline DrawResult draw_and_read(Renderer& renderer, const PictureView* picture,
                                ImDrawData* overlay = nullptr) {
  DrawRequest request;
  request.picture = picture;
  request.overlay = overlay;
  request.read_back = true;
  auto result = renderer.draw(request);
  EXPECT_TRUE(result.ok()) << result.error();
  return result.ok() ? std::move(result).value() : DrawResult{};
}

}  // namespace lockstep::test
