// lockstep — the playback node. `lockstep play FILE` plays one file locally, in a window when
// a display is available or headless (--headless) with a printed report.
#include <CLI/CLI.hpp>
#include <GLFW/glfw3.h>

#include <cstdio>
#include <iostream>

#include "core/log.h"
#include "core/time.h"
#include "player/playback_loop.h"
#include "player/player.h"
#include "render/renderer.h"
#include "ui/overlay.h"
#include "ui/window.h"

namespace {

using namespace lockstep;

struct PlayOptions {
  std::string file;
  bool headless = false;
  std::string size;  // WxH of the headless target / initial window
  std::string hwdec = "auto";
  std::string audio_device;
  double audio_latency_ms = 50;
  bool loop = false;
  double rate = 1.0;
  int64_t start_frame = 0;
  bool paused = false;
  double duration = 0.0;
  std::string present_log;
  bool verify_frames = false;
  double refresh_hz = -1.0;
  bool validation = false;
  bool fullscreen = false;
  bool no_overlay = false;
  bool vsync = false;
  int threads = 0;
};

Result<std::pair<int, int>> parse_size(const std::string& text) {
  int w = 0, h = 0;
  char x = 0;
  if (std::sscanf(text.c_str(), "%d%c%d", &w, &x, &h) != 3 || (x != 'x' && x != 'X') || w < 16 ||
      h < 16 || w > 16384 || h > 16384)
    return make_error("invalid --size '" + text + "': use WIDTHxHEIGHT, e.g. 1280x720");
  return std::pair{w, h};
}

void handle_key(int key, int mods, Player& player, Window& window, Overlay* overlay) {
  const bool shift = (mods & GLFW_MOD_SHIFT) != 0;
  switch (key) {
    case GLFW_KEY_SPACE: player.toggle_pause(); break;
    case GLFW_KEY_RIGHT: shift ? player.seek_relative(5.0) : player.step(1); break;
    case GLFW_KEY_LEFT: shift ? player.seek_relative(-5.0) : player.step(-1); break;
    case GLFW_KEY_F: window.toggle_fullscreen(); break;
    case GLFW_KEY_O: if (overlay) overlay->toggle(); break;
    case GLFW_KEY_Q:
    case GLFW_KEY_ESCAPE: window.request_close(); break;
    default: break;
  }
}

int run_play(const PlayOptions& o) {
  auto hw = parse_hwdec(o.hwdec);
  if (!hw) {
    LS_ERROR("{}", hw.error());
    return 2;
  }
  PlayerParams pp;
  pp.path = o.file;
  pp.hwdec = *hw;
  pp.decoder_threads = o.threads;
  pp.audio_device = o.audio_device;
  pp.audio_latency_s = o.audio_latency_ms / 1000.0;
  pp.loop = o.loop;
  pp.rate = o.rate;
  pp.start_frame = o.start_frame;
  auto player = Player::open(pp);
  if (!player) {
    LS_ERROR("{}", player.error());
    return 1;
  }
  const MediaInfo& mi = (*player)->info();
  LS_INFO("'{}': {}x{} {} {:.3f} fps, {} frames{}", mi.path, mi.width, mi.height, mi.video_codec,
          mi.fps(), mi.frame_count, mi.has_audio ? ", " + mi.audio_codec + " audio" : "");

  int width = mi.width, height = mi.height;
  if (!o.size.empty()) {
    auto sz = parse_size(o.size);
    if (!sz) {
      LS_ERROR("{}", sz.error());
      return 2;
    }
    std::tie(width, height) = *sz;
  }

  std::unique_ptr<Window> window;
  std::unique_ptr<Overlay> overlay;
  bool headless = o.headless;
  if (!headless) {
    WindowParams wp;
    wp.width = std::min(width, 1920);
    wp.height = std::min(height, 1080);
    wp.title = "lockstep — " + mi.path;
    wp.fullscreen = o.fullscreen;
    auto w = Window::create(wp);
    if (!w) {
      LS_ERROR("{}", w.error());
      return 1;
    }
    window = std::move(w.value());
    if (!o.no_overlay) {
      auto ov = Overlay::create(*window);
      if (!ov) LS_WARN("{}", ov.error());
      else overlay = std::move(ov.value());
    }
  }
  RendererParams rp;
  rp.width = width;
  rp.height = height;
  rp.validation = o.validation;
  rp.overlay = overlay != nullptr;
  rp.vsync = o.vsync;
  if (window) rp.surface = window->surface_source();
  auto renderer = Renderer::create(rp);
  if (!renderer) {
    LS_ERROR("{}", renderer.error());
    return 1;
  }
  LS_INFO("rendering on {}; {} decode", (*renderer)->device_description(),
          (*player)->snapshot().decoder);

  Player& pl = **player;
  LoopHooks hooks;
  if (window) {
    Overlay* ov = overlay.get();
    Window& win = *window;
    window->set_key_handler([&pl, &win, ov](int key, int mods) { handle_key(key, mods, pl, win, ov); });
    window->set_keyboard_captured([ov] { return ov && ov->wants_keyboard(); });
    hooks.poll = [&win] { return win.poll(); };
    if (ov) hooks.overlay = [ov, &pl] { return ov->build(pl.snapshot(), pl); };
  }
  PlaybackLoopParams lp;
  lp.verify_frames = o.verify_frames;
  lp.present_log = o.present_log;
  lp.refresh_hz = o.refresh_hz >= 0 ? o.refresh_hz : (window ? window->refresh_hz() : 0.0);
  lp.max_seconds = o.duration;
  lp.exit_at_end = headless || o.duration > 0;
  lp.start_playing = !o.paused;
  lp.visible_at_tick = headless;

  pl.start(/*paused=*/true);
  auto report = run_playback(pl, **renderer, lp, hooks);
  if (!report) {
    LS_ERROR("{}", report.error());
    return 1;
  }
  const PlayerSnapshot snap = pl.snapshot();
  std::fputs(format_report(*report, snap).c_str(), stdout);
  std::fflush(stdout);
  if ((*renderer)->validation_errors() > 0)
    LS_WARN("{} Vulkan validation errors", (*renderer)->validation_errors());
  renderer->reset();  // before the overlay's ImGui context goes
  overlay.reset();
  if (!report->stream_error.empty()) {
    LS_ERROR("{}", report->stream_error);
    return 3;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lockstep — frame-accurate synchronized media playback node"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
  app.set_version_flag("--version", std::string("lockstep ") + LOCKSTEP_VERSION);

  PlayOptions o;
  CLI::App* play = app.add_subcommand("play", "Play one media file on this node");
  play->add_option("file", o.file, "Media file")->required();
  play->add_flag("--headless", o.headless, "Render offscreen (no window), print a report");
  play->add_option("--size", o.size, "WxH of the headless target (default: the video size)");
  play->add_option("--hwdec", o.hwdec, "Hardware decode: auto, none, vaapi, cuda, vulkan")->capture_default_str();
  play->add_option("--audio-device", o.audio_device, "Audio output device name, or none");
  play->add_option("--audio-latency", o.audio_latency_ms, "Suggested audio latency, ms")->capture_default_str();
  play->add_flag("--loop", o.loop, "Loop the file forever");
  play->add_option("--rate", o.rate, "Playback rate (audio plays at 1.0 only)")->check(CLI::Range(1.0 / 16, 16.0));
  play->add_option("--start", o.start_frame, "First frame")->check(CLI::NonNegativeNumber);
  play->add_flag("--paused", o.paused, "Start paused on the first frame");
  play->add_option("--duration", o.duration, "Stop after this many seconds")->check(CLI::NonNegativeNumber);
  play->add_option("--present-log", o.present_log, "Write one JSON line per presented refresh to FILE");
  play->add_flag("--verify-frames", o.verify_frames, "Read each frame's index back from the rendered image (test clips)");
  play->add_option("--refresh", o.refresh_hz, "Refresh ticks per second (0: one per frame; default: the display's, or 0 headless)");
  play->add_flag("--validation", o.validation, "Enable the Vulkan validation layers");
  play->add_flag("--fullscreen", o.fullscreen, "Start fullscreen");
  play->add_flag("--no-overlay", o.no_overlay, "Do not draw the overlay");
  play->add_flag("--vsync", o.vsync, "Present with FIFO (vsync) when the display paces");
  play->add_option("--threads", o.threads, "Decoder threads (0: one per core)")->check(CLI::NonNegativeNumber);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  init_logging(log_level);
  if (play->parsed()) return run_play(o);
  return 2;
}
