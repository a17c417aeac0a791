#include "tools/node/node_runtime.h"

#include "net/protocol_version.h"

#include <GLFW/glfw3.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/log.h"
#include "core/size_arg.h"
#include "player/playback_loop.h"

namespace lockstep {

namespace {


void handle_key(int key, int mods, PlayerCommands& commands, Window& window, Overlay* overlay) {
  const bool shift = (mods & GLFW_MOD_SHIFT) != 0;
  switch (key) {
    case GLFW_KEY_SPACE: commands.toggle_pause(); break;
    case GLFW_KEY_RIGHT: shift ? commands.seek_relative(5.0) : commands.step(1); break;
    case GLFW_KEY_LEFT: shift ? commands.seek_relative(-5.0) : commands.step(-1); break;
    case GLFW_KEY_F: window.toggle_fullscreen(); break;
    case GLFW_KEY_O: if (overlay) overlay->toggle(); break;
    case GLFW_KEY_Q:
    case GLFW_KEY_ESCAPE: window.request_close(); break;
    default: break;
  }
}

}  // namespace

NodeRuntime::~NodeRuntime() {
  renderer.reset();
  overlay.reset();
  window.reset();
}

Result<std::unique_ptr<NodeRuntime>> make_runtime(const NodeOptions& o, const MediaInfo& mi) {
  // The picture as it is shown: sample aspect ratio applied, turned by its display matrix.
  int width = mi.display_width > 0 ? mi.display_width : mi.width;
  int height = mi.display_height > 0 ? mi.display_height : mi.height;
  if (!o.size.empty()) {
    auto sz = parse_size(o.size, 16384);
    if (!sz) return make_error(sz.error());
    std::tie(width, height) = *sz;
  }
  auto rt = std::make_unique<NodeRuntime>();
  if (!o.headless) {
    WindowParams wp;
    // At most 1920x1080, the same shape: a larger picture is shown scaled down.
    const double fit = std::min({1.0, 1920.0 / width, 1080.0 / height});
    wp.width = std::max(16, int(std::lround(width * fit)));
    wp.height = std::max(16, int(std::lround(height * fit)));
    wp.title = "lockstep — " + mi.path;
    wp.fullscreen = o.fullscreen;
    auto w = Window::create(wp);
    if (!w) return make_error(w.error());
    rt->window = std::move(w.value());
    if (!o.no_overlay) {
      auto ov = Overlay::create(*rt->window, net::kDefaultPort);
      if (!ov) LS_WARN("{}", ov.error());
      else rt->overlay = std::move(ov.value());
    }
  }
  RendererParams rp;
  rp.width = width;
  rp.height = height;
  rp.validation = o.validation;
  rp.overlay = rt->overlay != nullptr;
  if (rt->window) rp.surface = rt->window->surface_source();
  auto renderer = Renderer::create(rp);
  if (!renderer) return make_error(renderer.error());
  rt->renderer = std::move(renderer.value());
  return rt;
}

int run_node(Player& player, NodeRuntime& rt, const NodeOptions& o, PlayerCommands& commands,
             const NodeLoop& node_loop) {
  LS_INFO("rendering on {}; {} decode", rt.renderer->device_description(), player.snapshot().decoder);
  LoopHooks hooks;
  Window* win = rt.window.get();
  Overlay* ov = rt.overlay.get();
  if (win) {
    win->set_key_handler([&commands, win, ov](int key, int mods) { handle_key(key, mods, commands, *win, ov); });
    win->set_keyboard_captured([ov] { return ov && ov->wants_keyboard(); });
  }
  hooks.poll = [win, &node_loop] {
    if (win && !win->poll()) return false;
    return !node_loop.each_tick || node_loop.each_tick();
  };
  if (ov && node_loop.build_overlay) hooks.overlay = [ov, &node_loop] { return node_loop.build_overlay(*ov); };
  else if (ov) hooks.overlay = [ov, &player, &commands] { return ov->build(player.snapshot(), commands); };
  PlaybackLoopParams lp;
  lp.verify_frames = o.verify_frames;
  lp.present_log = o.present_log;
  lp.append_present_log = o.append_present_log;
  lp.refresh_hz = o.refresh_hz >= 0 ? o.refresh_hz : (win ? win->refresh_hz() : 0.0);
  lp.max_seconds = o.duration;
  // A window stays open at the end with --keep-open only (as mpv); in a session it holds.
  lp.exit_at_end = o.headless || o.duration > 0 || !o.keep_open;
  if (win && node_loop.in_session) hooks.hold_at_end = node_loop.in_session;
  lp.start_playing = node_loop.start_playing;
  lp.visible_at_tick = o.headless;
  auto report = run_playback(player, *rt.renderer, lp, hooks);
  if (!report) {
    LS_ERROR("{}", report.error());
    return 1;
  }
  std::fputs(format_report(*report, player.snapshot()).c_str(), stdout);
  std::fflush(stdout);
  if (rt.renderer->validation_errors() > 0)
    LS_WARN("{} Vulkan validation errors", rt.renderer->validation_errors());
  if (!report->stream_error.empty()) {
    LS_ERROR("{}", report->stream_error);
    return 3;
  }
  return 0;
}

}  // namespace lockstep
