// The renderer presenting into a real window (GLFW on X11; Xvfb in CI): swapchain creation,
// recreation on resize, and read-back of swapchain images against the headless render.
#include <gtest/gtest.h>

#define GLFW_INCLUDE_VULKAN
#include <GLFW/glfw3.h>

#include <cstdlib>

#include "core/time.h"
#include "render_fixture.h"
#include "support/image_io.h"
#include "test_pictures.h"

namespace lockstep::test {
namespace {

struct GlfwWindow {
  GLFWwindow* window = nullptr;
  ~GlfwWindow() {
    if (window) glfwDestroyWindow(window);
    glfwTerminate();
  }
};

SurfaceSource surface_of(GLFWwindow* window) {
  SurfaceSource s;
  uint32_t count = 0;
  const char** names = glfwGetRequiredInstanceExtensions(&count);
  for (uint32_t i = 0; i < count; ++i) s.instance_extensions.emplace_back(names[i]);
  s.create_surface = [window](VkInstance instance, VkSurfaceKHR* surface) {
    return glfwCreateWindowSurface(instance, window, nullptr, surface);
  };
  s.framebuffer_size = [window](int* w, int* h) { glfwGetFramebufferSize(window, w, h); };
  return s;
}

/// The same picture drawn headless at width x height, for comparison.
std::vector<uint8_t> headless_render(const PictureView& view, int width, int height) {
  auto renderer = make_headless_renderer(width, height);
  return renderer ? draw_and_read(*renderer, &view).rgba : std::vector<uint8_t>{};
}

/// Skips the test unless a window can be opened; otherwise opens a 640x360 GLFW window.
#define OPEN_TEST_WINDOW(glfw)                                                              \
  if (!std::getenv("DISPLAY"))                                                              \
    GTEST_SKIP() << "DISPLAY is not set: no X server to open a window on (run under "       \
                    "`Xvfb :57 -screen 0 1280x720x24 -nolisten tcp` with DISPLAY=:57)";     \
  if (!glfwInit()) GTEST_SKIP() << "glfwInit failed on DISPLAY=" << std::getenv("DISPLAY"); \
  if (!glfwVulkanSupported()) GTEST_SKIP() << "GLFW finds no Vulkan loader";                \
  glfwWindowHint(GLFW_CLIENT_API, GLFW_NO_API);                                             \
  (glfw).window = glfwCreateWindow(640, 360, "lockstep renderer test", nullptr, nullptr);   \
  ASSERT_NE((glfw).window, nullptr)

TEST(RendererWindow, PresentsResizesAndReadsBackLikeHeadless) {
  GlfwWindow glfw;
  OPEN_TEST_WINDOW(glfw);

  const auto card = make_test_card(640, 360);
  const AVFramePtr frame =
      make_yuv_frame(card, 640, 360, AV_PIX_FMT_YUV420P, ColorMatrix::BT709, ColorRange::Limited);
  const PictureView view = picture_view(*frame);

  RendererParams params;
  params.surface = surface_of(glfw.window);
  params.validation = vulkan_validation_available();
  auto created = Renderer::create(params);
  ASSERT_TRUE(created.ok()) << created.error();
  auto& renderer = *created.value();

  DrawRequest request;
  request.picture = &view;
  for (int i = 0; i < 5; ++i) {
    glfwPollEvents();
    const int64_t before = monotonic_ns();
    auto r = renderer.draw(request);
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_FALSE(r->skipped);
    EXPECT_GE(r->present_ns, before);
  }
  request.read_back = true;
  auto first = renderer.draw(request);
  ASSERT_TRUE(first.ok()) << first.error();
  ASSERT_EQ(first->width, 640);
  ASSERT_EQ(first->height, 360);
  const double psnr_first = psnr_rgb(first->rgba, headless_render(view, 640, 360));
  std::printf("[ WINDOW   ] 640x360 swapchain read-back vs headless: %.2f dB\n", psnr_first);
  EXPECT_GE(psnr_first, 40.0);

  // Resize: the next draw recreates the swapchain at the new framebuffer size.
  glfwSetWindowSize(glfw.window, 800, 600);
  int w = 0, h = 0;
  for (int i = 0; i < 200 && (w != 800 || h != 600); ++i) {
    glfwPollEvents();
    glfwGetFramebufferSize(glfw.window, &w, &h);
    sleep_until_ns(monotonic_ns() + 5 * kNsPerMs);
  }
  ASSERT_EQ(w, 800);
  ASSERT_EQ(h, 600);
  DrawResult resized;
  for (int i = 0; i < 3; ++i) {
    glfwPollEvents();
    auto r = renderer.draw(request);
    ASSERT_TRUE(r.ok()) << r.error();
    resized = std::move(r).value();
  }
  ASSERT_EQ(resized.width, 800);
  ASSERT_EQ(resized.height, 600);
  const double psnr_resized = psnr_rgb(resized.rgba, headless_render(view, 800, 600));
  std::printf("[ WINDOW   ] 800x600 (letterboxed) after resize vs headless: %.2f dB\n",
              psnr_resized);
  EXPECT_GE(psnr_resized, 40.0);
  // Letterbox bars of the 16:9 picture in the 4:3 window: 800x450 at y = 75.
  EXPECT_EQ(pixel_at(resized.rgba, 800, 400, 10).r, 0);
  EXPECT_EQ(pixel_at(resized.rgba, 800, 400, 590).g, 0);

  renderer.wait_idle();
  EXPECT_EQ(renderer.validation_errors(), 0);
}

TEST(RendererWindow, MinimisedWindowSkipsDrawingAndRecovers) {
  GlfwWindow glfw;
  OPEN_TEST_WINDOW(glfw);
  // A minimised window reports a 0x0 framebuffer; simulated here, since Xvfb has no window
  // manager to iconify with.
  bool minimised = false;
  SurfaceSource surface = surface_of(glfw.window);
  surface.framebuffer_size = [&](int* w, int* h) {
    glfwGetFramebufferSize(glfw.window, w, h);
    if (minimised) *w = *h = 0;
  };
  RendererParams params;
  params.surface = surface;
  params.validation = vulkan_validation_available();
  auto created = Renderer::create(params);
  ASSERT_TRUE(created.ok()) << created.error();
  auto& renderer = *created.value();

  DrawRequest request;
  request.read_back = true;
  auto before = renderer.draw(request);
  ASSERT_TRUE(before.ok()) << before.error();
  EXPECT_FALSE(before->skipped);
  minimised = true;
  for (int i = 0; i < 3; ++i) {
    auto r = renderer.draw(request);
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_TRUE(r->skipped);
    EXPECT_TRUE(r->rgba.empty());
  }
  minimised = false;
  auto after = renderer.draw(request);
  ASSERT_TRUE(after.ok()) << after.error();
  EXPECT_FALSE(after->skipped);
  EXPECT_EQ(after->width, 640);
  renderer.wait_idle();
  EXPECT_EQ(renderer.validation_errors(), 0);
}

}  // namespace
}  // namespace lockstep::test
