#include "ui/window.h"

#define GLFW_INCLUDE_NONE
#define GLFW_INCLUDE_VULKAN
#include <GLFW/glfw3.h>

#include <cstdlib>

#include "core/log.h"

namespace lockstep {

namespace {

std::string last_glfw_error() {
  const char* text = nullptr;
  glfwGetError(&text);
  return text ? text : "unknown error";
}

}  // namespace

Result<std::unique_ptr<Window>> Window::create(const WindowParams& params) {
  const char* display = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  if ((!display || !*display) && (!wayland || !*wayland))
    return make_error("no display (DISPLAY is not set): run with --headless, or start an X "
                      "server (e.g. Xvfb :1 & DISPLAY=:1)");
  if (!glfwInit())
    return make_error("cannot open a window on display '" + std::string(display ? display : "") +
                      "': " + last_glfw_error() + "; run with --headless");
  if (!glfwVulkanSupported()) {
    glfwTerminate();
    return make_error("the Vulkan loader was not found: install libvulkan1 and a driver "
                      "(mesa-vulkan-drivers)");
  }
  glfwWindowHint(GLFW_CLIENT_API, GLFW_NO_API);
  glfwWindowHint(GLFW_RESIZABLE, GLFW_TRUE);
  auto win = std::unique_ptr<Window>(new Window());
  win->window_ = glfwCreateWindow(params.width, params.height, params.title.c_str(), nullptr, nullptr);
  if (!win->window_) {
    const std::string why = last_glfw_error();
    glfwTerminate();
    return make_error("cannot create a window: " + why);
  }
  glfwSetWindowUserPointer(win->window_, win.get());
  glfwSetKeyCallback(win->window_, key_callback);
  if (params.fullscreen) win->toggle_fullscreen();
  return win;
}

Window::~Window() {
  if (window_) glfwDestroyWindow(window_);
  glfwTerminate();
}

SurfaceSource Window::surface_source() {
  SurfaceSource s;
  uint32_t count = 0;
  const char** exts = glfwGetRequiredInstanceExtensions(&count);
  for (uint32_t i = 0; i < count; ++i) s.instance_extensions.emplace_back(exts[i]);
  GLFWwindow* w = window_;
  s.create_surface = [w](VkInstance instance, VkSurfaceKHR* surface) {
    return glfwCreateWindowSurface(instance, w, nullptr, surface);
  };
  s.framebuffer_size = [w](int* width, int* height) { glfwGetFramebufferSize(w, width, height); };
  return s;
}

bool Window::poll() {
  glfwPollEvents();
  return !glfwWindowShouldClose(window_);
}

void Window::request_close() { glfwSetWindowShouldClose(window_, GLFW_TRUE); }

void Window::toggle_fullscreen() {
  if (glfwGetWindowMonitor(window_)) {
    glfwSetWindowMonitor(window_, nullptr, windowed_x_, windowed_y_, windowed_w_, windowed_h_, 0);
    return;
  }
  GLFWmonitor* monitor = glfwGetPrimaryMonitor();
  if (!monitor) return;
  glfwGetWindowPos(window_, &windowed_x_, &windowed_y_);
  glfwGetWindowSize(window_, &windowed_w_, &windowed_h_);
  const GLFWvidmode* mode = glfwGetVideoMode(monitor);
  glfwSetWindowMonitor(window_, monitor, 0, 0, mode->width, mode->height, mode->refreshRate);
}

double Window::refresh_hz() const {
  GLFWmonitor* monitor = glfwGetWindowMonitor(window_);
  if (!monitor) monitor = glfwGetPrimaryMonitor();
  const GLFWvidmode* mode = monitor ? glfwGetVideoMode(monitor) : nullptr;
  return mode && mode->refreshRate > 0 ? mode->refreshRate : 60.0;
}

void Window::key_callback(GLFWwindow* w, int key, int /*scancode*/, int action, int mods) {
  auto* self = static_cast<Window*>(glfwGetWindowUserPointer(w));
  if (!self || action == GLFW_RELEASE) return;
  if (self->captured_ && self->captured_()) return;
  if (self->on_key_) self->on_key_(key, mods);
}

}  // namespace lockstep
