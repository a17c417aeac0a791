#include "player/playback_loop.h"
#include "player/present_log.h"
#include "core/stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/time.h"
#include "framecode/framecode.h"

namespace lockstep {

namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

/// How long a draw takes, so that it starts early enough to present at the tick.
class DrawCostEstimate {
 public:
  int64_t lead_ns() const { return int64_t(mean_ + 3.0 * dev_) + 200 * kNsPerUs; }
  void add(int64_t cost_ns) {
    const double c = double(cost_ns);
    dev_ += 0.1 * (std::abs(c - mean_) - dev_);
    mean_ += 0.1 * (c - mean_);
  }

 private:
  double mean_ = 2e6;
  double dev_ = 0.5e6;
};


/// A refresh tick: when it is in the transport's (session) clock, exactly, and in
/// monotonic time. The frame is chosen from the session time itself, so a tick on a frame
/// boundary picks the same frame on every node whatever the clock mapping did since.
struct Tick {
  int64_t session_ns = 0;
  int64_t mono_ns = 0;
};

/// Next refresh tick after monotonic `now_ns`.
Tick next_tick(const Player& player, const TransportState& st, double refresh_hz, int64_t now_ns) {
  const ClockDomain& clock = player.clock_domain();
  const int64_t s = clock.to_session(now_ns);
  int64_t session = 0;
  if (refresh_hz > 0.0) {
    // Ticks on one grid of session time, so that all nodes refresh together.
    const int64_t period = int64_t(1e9 / refresh_hz);
    session = (s / period + 1) * period;
  } else if (st.paused) {
    session = s + 33 * kNsPerMs;  // redraws for the overlay only
  } else {
    // One tick per frame, at its presentation time.
    const MediaInfo& mi = player.info();
    const int64_t due = mi.frame_at_ns(std::max<int64_t>(st.position_at(s), 0));
    int64_t k = st.position_at(s) < 0 ? 0 : due + 1;
    session = st.time_of(mi.frame_time_ns(k));
    if (session <= s) session = st.time_of(mi.frame_time_ns(++k));
  }
  return Tick{session, clock.to_monotonic(session)};
}

}  // namespace

Result<PlaybackReport> run_playback(Player& player, Renderer& renderer,
                                    const PlaybackLoopParams& params, const LoopHooks& hooks) {
  std::unique_ptr<FILE, FileCloser> log;
  if (!params.present_log.empty()) {
    log.reset(std::fopen(params.present_log.c_str(), params.append_present_log ? "a" : "w"));
    if (!log)
      return make_error("cannot write the present log '" + params.present_log +
                        "': " + std::strerror(errno));
  }
  PlaybackReport report;
  std::vector<double> errors_ms;
  DrawCostEstimate cost;
  int64_t last_index = -1;
  int64_t last_tick = 0;
  int64_t untimed_next = -1;  // untimed: the (unwrapped) frame to present next
  bool reported_problem = false;  // a stream error, logged when the end is reached

  // Warm-up: the first draws create textures and pipelines; time them out of the schedule,
  // and learn how long a draw takes so that later ones start early enough.
  for (int i = 0; i < 4; ++i) {
    const FramePick pick = player.pick_frame(monotonic_ns(), 2000);
    DrawRequest req;
    PictureView view;
    if (pick.frame) {
      view = pick.frame->view();
      req.picture = &view;
    }
    req.read_back = params.verify_frames && pick.frame;
    req.wait_rendered = params.visible_at_tick;
    const int64_t t0 = monotonic_ns();
    auto drawn = renderer.draw(req);
    if (!drawn) return make_error(drawn.error());
    if (i > 0) cost.add(drawn->present_ns - t0);
  }
  // Far enough ahead for the audio device's latency, so the first sample is not trimmed.
  if (params.start_playing)
    player.play_at(player.clock_domain().to_session(monotonic_ns() + 150 * kNsPerMs));
  const int64_t start_ns = monotonic_ns();

  for (;;) {
    if (hooks.poll && !hooks.poll()) break;
    const int64_t now = monotonic_ns();
    if (params.max_seconds > 0 && now - start_ns >= int64_t(params.max_seconds * 1e9)) break;
    if (player.ended()) {
      const std::string problem = player.stream_error();
      const bool hold = hooks.hold_at_end && hooks.hold_at_end();
      if (!hold && (params.exit_at_end || !problem.empty())) break;
      if (hold && !problem.empty() && !reported_problem) {  // said at exit otherwise
        LS_ERROR("{}; holding on the last frame (in a session)", problem);
        reported_problem = true;
      }
    }

    const TransportState st =
        player.transport().state_at(player.clock_domain().to_session(now));
    Tick next = next_tick(player, st, params.refresh_hz, std::max(now, last_tick));
    const bool untimed = params.untimed && !st.paused;
    if (untimed) {
      // The next frame in turn, at its own transport time (which runs ahead of the clock).
      const MediaInfo& mi = player.info();
      if (untimed_next < 0) untimed_next = mi.frame_at_ns(std::max<int64_t>(st.position_at(player.clock_domain().to_session(now)), 0));
      if (!st.loop && untimed_next >= mi.frame_count) break;  // every frame was presented
      const int64_t session = st.time_of(mi.frame_time_ns(untimed_next));
      next = Tick{session, now};
    } else if (auto at = player.transport().scheduled_anchor()) {
      // A state that takes effect before that tick (a session command) gets a tick of its own.
      const int64_t at_mono = player.clock_domain().to_monotonic(*at);
      if (at_mono > std::max(now, last_tick) && at_mono < next.mono_ns) next = Tick{*at, at_mono};
    }
    const int64_t tick = next.mono_ns;
    last_tick = tick;
    // Headless, the frame due at the next tick is known now: render it at once and make it
    // visible at the tick. With a display, draw just early enough before presenting.
    if (!params.visible_at_tick && !untimed) sleep_until_ns(tick - cost.lead_ns());
    const int64_t draw_start = monotonic_ns();

    const FramePick pick = player.pick_frame_at(next.session_ns, st.paused ? 50 : untimed ? 2000 : 0, untimed);
    if (untimed) {
      if (!pick.frame || pick.frame->unwrapped < untimed_next) {
        // Two seconds without the next frame: the file ended early (truncated) or broke.
        if (report.stream_error.empty())
          LS_WARN("untimed: frame {} never came from the decoder; stopping", untimed_next);
        break;
      }
      untimed_next = pick.frame->unwrapped + 1;
    }
    DrawRequest req;
    PictureView view;
    if (pick.frame) {
      view = pick.frame->view();
      req.picture = &view;
    }
    req.overlay = hooks.overlay ? hooks.overlay() : nullptr;
    req.read_back = params.verify_frames && pick.frame;
    req.wait_rendered = params.visible_at_tick;
    auto drawn = renderer.draw(req);
    if (!drawn) return make_error(drawn.error());
    if (drawn->skipped) continue;  // minimised window: nothing was shown
    cost.add(drawn->present_ns - draw_start);
    int64_t present_ns = drawn->present_ns;
    if (params.visible_at_tick && present_ns < tick && !untimed) {
      sleep_until_ns(tick);
      present_ns = monotonic_ns();
      // Other nodes on this machine present at this same instant: let them have the cores
      // before this one renders ahead (lavapipe takes every core while it draws), when the
      // draw still fits before the next tick. Measured: 3 nodes on 2 cores, skew p99
      // 0.42-0.54 ms -> 0.03-0.12 ms (docs/performance.md).
      const int64_t period = params.refresh_hz > 0 ? int64_t(1e9 / params.refresh_hz)
                                                   : player.info().frame_time_ns(1);
      if (cost.lead_ns() + 3 * kNsPerMs < period)
        std::this_thread::sleep_for(std::chrono::microseconds(1500));
    }
    player.mark_presented();

    std::optional<int64_t> readback;
    if (req.read_back && !drawn->rgba.empty()) {
      readback = framecode::read_frame_index(drawn->rgba.data(), drawn->width, drawn->height,
                                             drawn->width * 4);
      ++report.verified;
      if (!readback) ++report.verify_unreadable;
      else if (*readback != pick.frame->index) ++report.verify_mismatches;
    }
    const PlayerSnapshot snap = player.snapshot();
    if (!st.paused && pick.frame) {
      ++report.ticks;
      if (pick.frame->index != last_index) ++report.frames_shown;
      if (!untimed) errors_ms.push_back(std::abs(double(present_ns - tick)) / 1e6);
    }
    if (pick.frame) last_index = pick.frame->index;
    if (log && pick.frame) {
      PresentLine line;
      line.t_ns = present_ns;
      line.sched_ns = untimed ? present_ns : tick;
      line.frame = pick.frame->index;
      line.readback = readback;
      line.shown = readback ? *readback : line.frame;
      line.due = pick.due_index;
      line.paused = st.paused;
      line.dropped = snap.dropped;
      line.repeated = snap.repeated;
      line.session_ns = next.session_ns;
      line.clock_err_ns = player.clock_domain().error_ns(present_ns);
      const std::string text = format_present_line(line);
      std::fwrite(text.data(), 1, text.size(), log.get());
      std::fflush(log.get());
    }
    if (params.max_frames > 0 && report.frames_shown >= params.max_frames) break;
  }
  renderer.wait_idle();
  const PlayerSnapshot snap = player.snapshot();
  report.seconds = double(monotonic_ns() - start_ns) / 1e9;
  report.dropped = snap.dropped;
  report.repeated = snap.repeated;
  report.present_error_p50_ms = percentile(errors_ms, 0.50);
  report.present_error_p99_ms = percentile(errors_ms, 0.99);
  report.present_error_max_ms = errors_ms.empty() ? 0.0 : *std::max_element(errors_ms.begin(), errors_ms.end());
  report.stream_error = player.stream_error();
  report.untimed = params.untimed;
  return report;
}

std::string format_report(const PlaybackReport& r, const PlayerSnapshot& s) {
  std::string out = fmt::format(
      "played {:.2f} s of '{}' ({}x{} @ {:.3f} fps, {} decode, audio: {})\n"
      "  refreshes {}  distinct frames {}  dropped {}  repeated {}\n",
      r.seconds, s.path, s.width, s.height, s.fps, s.decoder, s.audio, r.ticks, r.frames_shown, r.dropped, r.repeated);
  if (r.untimed && r.seconds > 0)
    out += fmt::format("  untimed: {} frames in {:.3f} s = {:.1f} frames/s (no pacing)\n", r.frames_shown, r.seconds,
                       double(r.frames_shown) / r.seconds);
  else
    out += fmt::format("  present vs schedule: p50 {:.3f} ms  p99 {:.3f} ms  max {:.3f} ms\n", r.present_error_p50_ms,
                       r.present_error_p99_ms, r.present_error_max_ms);
  if (r.verified > 0)
    out += fmt::format("  frames verified from pixels: {}  wrong {}  unreadable {}\n", r.verified,
                       r.verify_mismatches, r.verify_unreadable);
  if (!r.stream_error.empty()) out += "  problem: " + r.stream_error + "\n";
  return out;
}

}  // namespace lockstep
