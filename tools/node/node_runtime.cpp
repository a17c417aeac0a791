#include "tools/node/node_runtime.h"

#include "net/protocol_version.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "core/log.h"
#include "core/size_arg.h"
#include "player/playback_loop.h"

namespace lockstep {

NodeRuntime::~NodeRuntime() {
  renderer.reset();
  panels.reset();
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
      auto ov = Overlay::create(*rt->window);
      if (!ov) {
        LS_WARN("{}", ov.error());
      } else {
        rt->overlay = std::move(ov.value());
        rt->panels = std::make_unique<NodeOverlay>(net::kDefaultPort);
      }
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
  // Keys and the overlay's controls are carried out at the start of the next tick, in the
  // order they were given.
  std::vector<NodeCommand>& pending = rt.pending;
  auto carry_out = [&](const NodeCommand& c) {
    switch (c.scope()) {
      case NodeCommand::Scope::Window:
        if (c.kind == NodeCommand::Kind::ToggleOverlay && ov) ov->toggle();
        if (c.kind == NodeCommand::Kind::TogglePanels && ov) {
          if (rt.panels) {
            rt.panels->toggle_panels();
            ov->set_visible(true);
          } else {
            ov->toggle();
          }
        }
        if (c.kind == NodeCommand::Kind::ToggleFullscreen && win) win->toggle_fullscreen();
        if (c.kind == NodeCommand::Kind::Quit && win) win->request_close();
        break;
      default:
        if (node_loop.handle) node_loop.handle(c);
        else if (!give(commands, c)) LS_WARN("'{}' needs a session", to_string(c.kind));
    }
  };
  if (win) {
    win->set_key_handler([&rt](int key, int mods) {
      if (auto c = key_command(key, mods)) rt.pending.push_back(*c);
    });
    win->set_keyboard_captured([ov] { return ov && ov->wants_keyboard(); });
  }
  hooks.poll = [&] {
    if (win && !win->poll()) return false;
    std::vector<NodeCommand> now;
    now.swap(pending);
    for (const NodeCommand& c : now) carry_out(c);
    return !node_loop.each_tick || node_loop.each_tick();
  };
  if (ov && rt.panels) {
    hooks.overlay = [&] {
      if (!node_loop.ui_snapshot) {
        ui::UiSnapshot s;
        s.transport = transport_view(player.snapshot());
        return rt.panels->build(*ov, s, pending, true);
      }
      static const ui::UiSnapshot hidden;  // nothing is drawn: no need to gather the state
      return rt.panels->build(*ov, ov->visible() ? node_loop.ui_snapshot() : hidden, pending);
    };
  }
  PlaybackLoopParams lp;
  lp.verify_frames = o.verify_frames;
  lp.present_log = o.present_log;
  lp.append_present_log = o.append_present_log;
  lp.refresh_hz = o.refresh_hz >= 0 ? o.refresh_hz : (win ? win->refresh_hz() : 0.0);
  lp.max_seconds = o.duration;
  lp.max_frames = o.frames;
  lp.untimed = o.untimed;
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
