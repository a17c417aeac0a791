#include "player/player.h"

#include <algorithm>
#include <cmath>

#include "core/log.h"
#include "core/time.h"
#include "player/audio_feeder.h"

namespace lockstep {

Result<std::unique_ptr<Player>> Player::open(const PlayerParams& params) {
  auto player = std::unique_ptr<Player>(new Player());
  player->params_ = params;
  const bool want_audio = params.audio_device != "none";

  if (want_audio) {
    AudioOutputParams ap;
    ap.device = params.audio_device;
    ap.latency_s = params.audio_latency_s;
    auto out = AudioOutput::open(ap);
    if (out) {
      player->audio_ = std::move(out.value());
    } else {
      LS_WARN("{}; video plays on without sound", out.error());
    }
  }

  MediaReaderParams rp;
  rp.path = params.path;
  rp.hwdec = params.hwdec;
  rp.deinterlace = params.deinterlace;
  rp.threads = params.decoder_threads;
  rp.decode_audio = player->audio_ != nullptr;
  if (player->audio_) {
    rp.audio_rate = player->audio_->sample_rate();
    rp.audio_channels = player->audio_->channels();
  }
  auto reader = MediaReader::open(rp);
  if (!reader) return make_error(reader.error());
  player->reader_ = std::move(reader.value());

  if (params.loop_in != 0 || params.loop_out != 0) player->set_loop_range(params.loop_in, params.loop_out);
  player->set_loop(params.loop);
  if (params.rate != 1.0) player->transport_.set_rate(params.rate, monotonic_ns());  // local clock until a session
  return player;
}

Player::~Player() {
  feeder_.reset();  // stops its thread before the reader and the device go
  if (audio_) (void)audio_->stop();
  reader_.reset();
}

void Player::set_audio_master(bool on) {
  audio_master_ = on;
  if (feeder_) feeder_->set_audio_master(on);
}

int64_t Player::now() const { return domain_->to_session(monotonic_ns()); }

void Player::make_feeder() {
  if (audio_ && info().has_audio) {
    AudioSyncSettings sync;
    sync.audio_master = audio_master_;
    feeder_ = std::make_unique<AudioFeeder>(*reader_, *audio_, transport_, *domain_, sync);
  }
}

void Player::start_output() {
  if (audio_) warm_up_audio();
  if (feeder_) feeder_->start();
}

void Player::start(bool paused, int lead_ms, int timeout_ms) {
  const MediaInfo& mi = info();
  make_feeder();
  // While looping, a start past the loop range's out lands inside the range.
  const int64_t first = mi.frame_at_ns(
      clamp_position(mi.frame_time_ns(std::clamp<int64_t>(params_.start_frame, 0, mi.frame_count - 1))));
  const int serial = transport_.seek(mi.frame_time_ns(first), now());
  restart_reader(first, serial);
  // Pre-roll: the first frame decoded, so that playback starts on time.
  const int64_t deadline = monotonic_ns() + int64_t(timeout_ms) * kNsPerMs;
  while (!next_ && monotonic_ns() < deadline) {
    auto f = reader_->video().pop(std::chrono::milliseconds(10));
    if (f && f->serial == serial) next_ = std::move(f);
    else if (!f && reader_->video_ended(serial)) break;  // nothing decodable: no wait
  }
  start_output();
  if (!paused) transport_.play(now() + int64_t(lead_ms) * kNsPerMs);
}

void Player::start_following(const TransportState& state) {
  make_feeder();
  follow(state);
  start_output();
}

void Player::warm_up_audio() {
  // Some devices (PortAudio over PulseAudio) take a while to start consuming after the
  // stream starts. Play silence until the device has consumed 200 ms of it at its pace, so
  // that the first real sample lands where the feeder aligns it.
  const int rate = audio_->sample_rate();
  const std::vector<float> silence(size_t(rate / 10) * size_t(audio_->channels()), 0.0f);
  audio_->write(silence.data(), size_t(rate / 10));
  if (auto s = audio_->start(); !s) {
    LS_WARN("audio output: {}", s.error());
    return;
  }
  const int64_t deadline = monotonic_ns() + 3 * kNsPerSec;
  const int64_t target = audio_->frames_written() + rate / 5;
  while (monotonic_ns() < deadline && audio_->clock().frames_consumed < target) {
    if (audio_->writable_frames() >= size_t(rate / 100)) audio_->write(silence.data(), size_t(rate / 100));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (audio_->clock().frames_consumed < target)
    LS_WARN("audio device '{}' is slow to start; sound may begin late", audio_->device_name());
  audio_->flush();
}

int64_t Player::clamp_position(int64_t p_ns) const {
  const MediaInfo& mi = info();
  const TransportState st = transport_.state();
  if (st.loop) return st.file_position(p_ns, duration_ns());
  return std::clamp<int64_t>(p_ns, 0, mi.frame_time_ns(mi.frame_count - 1));
}

void Player::jump_to(int64_t p_ns) {
  p_ns = clamp_position(p_ns);
  // Playing, the target frame is shown once it is decoded: the picture on screen stays
  // until then, as in a session, instead of catching up through the frames on the way.
  const int64_t at = transport_.state().paused ? now() : now() + jump_cost_ns_.load();
  const int serial = transport_.seek(p_ns, at);
  restart_reader(info().frame_at_ns(p_ns), serial);
}

void Player::follow(const TransportState& next) {
  if (next.serial != followed_serial_) {
    // Until the new state takes effect the old one plays on: its frames due before then stay
    // queued (the decoder restarts at once for the new one); any others will never be shown.
    const int64_t t_now = now();
    const TransportState before = transport_.state_at(t_now);
    KeepFrames keep;
    int64_t last_before = -1;  // the last frame of the old state shown, player numbering
    if (!before.paused && next.anchor_ns > t_now) {
      last_before = info().frame_at_ns(std::max<int64_t>(before.position_at(next.anchor_ns), 0));
      keep.serial = before.serial;
      keep.below_unwrapped = last_before + 1 - (before.serial == followed_serial_ ? follow_base_ : 0);
    }
    if (next_ && !(next_->serial == before.serial && next_->unwrapped <= last_before)) next_.reset();
    followed_serial_ = next.serial;
    reader_->set_loop(next.loop);
    const LoopSpan span = next.loop_span(duration_ns());
    reader_->set_loop_range(info().frame_at_ns(span.in_ns), info().frame_at_ns(span.out_ns));
    // A state already running (a late join, a restore) is joined where it will be once the
    // decoder gets there, not where it was at its anchor: decoding from the anchor would
    // reach the running frame only by showing every frame on the way.
    const int64_t at = next.paused ? next.anchor_ns : std::max(next.anchor_ns, t_now + jump_cost_ns_.load());
    const int64_t unwrapped = std::max<int64_t>(next.position_at(at), 0);
    const int64_t in_file = next.file_position(unwrapped, duration_ns());
    follow_base_ = next.loop ? info().frame_at_ns(unwrapped) - info().frame_at_ns(in_file) : 0;
    if (feeder_) feeder_->set_position_base(next.serial, next.loop ? unwrapped - in_file : 0);
    restart_reader(info().frame_at_ns(in_file), next.serial, keep);
  } else {
    // Only a change that keeps the decoder's wrap (see change_loop()) comes without a jump.
    reader_->set_loop(next.loop);
  }
  transport_.schedule(next);
}

void Player::restart_reader(int64_t index, int serial, KeepFrames keep) {
  jump_serial_ = serial;
  jump_started_ns_ = monotonic_ns();
  if (!reader_started_) {
    reader_started_ = true;
    reader_->start(index, serial);
  } else {
    reader_->seek(index, serial, keep);
  }
  ended_ = false;
}

void Player::learn_jump_cost(const VideoFrame& f) {
  if (f.serial != jump_serial_.load()) return;
  jump_serial_ = -1;  // the first frame of that jump only
  const int64_t took = monotonic_ns() - jump_started_ns_.load();
  // Upwards at once, downwards slowly: a jump that lands late shows the old picture longer.
  const int64_t before = jump_cost_ns_.load();
  const int64_t next = std::max(took + took / 4 + 20 * kNsPerMs, before - (before - took) / 4);
  jump_cost_ns_ = std::clamp<int64_t>(next, kMinJumpCostNs, kMaxJumpCostNs);
}

void Player::apply(const TransportCommand& c) {
  // Playing, a seek's frame is shown once it is decoded: the picture on screen stays until
  // then, as in a session, instead of catching up through the frames on the way.
  const bool playing = !transport_.state().paused;
  const int64_t at = c.kind == TransportCommand::Kind::Seek && playing ? now() + jump_cost_ns_.load() : now();
  const CommandOutcome o = transport_.apply(c, at, info().grid());
  if (!o.refused.empty()) LS_WARN("{} ignored: {}", to_string(c.kind), o.refused);
  if (!o.changed) return;
  if (c.kind == TransportCommand::Kind::Loop || c.kind == TransportCommand::Kind::LoopRange) {
    loop_changed(o.jumped);
  } else if (o.jumped) {
    const TransportState st = transport_.state();
    restart_reader(info().frame_at_ns(st.file_position(st.position_ns, duration_ns())), st.serial);
  }
}

void Player::play() {
  // A file that ended early (fewer frames than it said) starts again too.
  if (ended_ && !transport_.state().loop) apply({.kind = TransportCommand::Kind::Seek, .position_ns = 0});
  apply({.kind = TransportCommand::Kind::Play});
}

void Player::play_at(int64_t at_ns) { transport_.play(at_ns); }

void Player::pause() { apply({.kind = TransportCommand::Kind::Pause}); }

void Player::toggle_pause() {
  if (transport_.state().paused) play(); else pause();
}

void Player::seek_frame(int64_t index) {
  apply({.kind = TransportCommand::Kind::Seek, .position_ns = info().frame_time_ns(std::max<int64_t>(index, 0))});
}

void Player::seek_relative(double seconds) {
  const int64_t in_file = clamp_position(transport_.state().position_at(now()));
  apply({.kind = TransportCommand::Kind::Seek, .position_ns = in_file + int64_t(seconds * 1e9)});
}

void Player::step(int frames) {
  apply({.kind = TransportCommand::Kind::Step, .frames = frames, .from_frame = shown_index_.load()});
}

void Player::set_rate(double rate) { apply({.kind = TransportCommand::Kind::Rate, .rate = rate}); }

void Player::loop_changed(bool restart) {
  const TransportState st = transport_.state();
  const LoopSpan span = st.loop_span(duration_ns());
  reader_->set_loop(st.loop);
  reader_->set_loop_range(info().frame_at_ns(span.in_ns), info().frame_at_ns(span.out_ns));
  if (restart) restart_reader(info().frame_at_ns(st.position_ns), st.serial);
}

void Player::set_loop(bool loop) { apply({.kind = TransportCommand::Kind::Loop, .loop = loop}); }

void Player::set_loop_range(int64_t in_frame, int64_t out_frame) {
  const MediaInfo& mi = info();  // 0/0: the whole file
  apply({.kind = TransportCommand::Kind::LoopRange,
         .position_ns = mi.frame_time_ns(in_frame),
         .loop_out_ns = mi.frame_time_ns(out_frame)});
}

FramePick Player::pick_frame(int64_t display_ns, int wait_ms) {
  return pick_frame_at(domain_->to_session(display_ns), wait_ms);
}

FramePick Player::pick_frame_at(int64_t session_ns, int wait_ms, bool wait_for_due) {
  const MediaInfo& mi = info();
  const TransportState st = transport_.state_at(session_ns);
  int64_t pos = std::max<int64_t>(st.position_at(session_ns), 0);
  if (!st.loop) pos = std::min(pos, mi.frame_time_ns(mi.frame_count) - 1);
  const int64_t due = mi.frame_at_ns(pos);  // unwrapped

  const bool current_stale = !current_ || current_->serial != st.serial;
  if (!current_stale) {
    stale_serial_ = -1;
  } else if (stale_serial_ != st.serial) {
    stale_serial_ = st.serial;
    stale_since_ns_ = session_ns;
  }
  // After a jump, frames that are already late were decoded on the way to the running
  // position: never shown (the previous picture stays), unless the decoder has been unable
  // to catch up for a long time (slower than real time): then late is better than nothing.
  const bool skip_late = current_stale && !st.paused && session_ns - stale_since_ns_ < kCatchUpLimitNs;
  for (;;) {
    if (!next_) {
      const bool must_wait = !current_ || current_->serial != st.serial || (wait_for_due && current_->unwrapped < due);
      auto f = reader_->video().pop(std::chrono::milliseconds(must_wait ? wait_ms : 0));
      if (!f) break;
      if (f->serial < st.serial && f->serial != followed_serial_) continue;  // before the latest seek
      if (f->serial == followed_serial_) f->unwrapped += follow_base_;
      learn_jump_cost(*f);
      next_ = std::move(f);
    }
    // A frame of a jump that has not taken effect yet waits (session: at its anchor).
    if (next_->serial > st.serial && next_->serial == followed_serial_) break;
    if (next_->serial != st.serial) {
      next_.reset();  // of a generation that will never be shown
      continue;
    }
    const bool stale = !current_ || current_->serial != st.serial;
    // Not due yet: what is on screen stays (paused after a jump, the jump's frame is due).
    if (next_->unwrapped > due && !(stale && st.paused)) break;
    if (stale && skip_late && next_->unwrapped < due) {
      next_.reset();
      continue;
    }
    // A frame of this generation that was due but is replaced before any refresh showed it.
    if (!stale && !current_shown_) ++dropped_;
    current_ = std::move(next_);
    next_.reset();
    current_shown_ = false;
  }
  // The end: the decoder has given every frame of this jump and the last one has had its
  // time on screen. The file may end before its announced frame count (truncated, or a
  // container that guessed the length) or hold frames past it (never shown), and a file
  // with no decodable frame ends at once: a node never waits for frames that cannot come.
  const bool rest_beyond = next_ && next_->serial == st.serial && next_->index >= mi.frame_count;
  if (!st.loop && (!next_ || rest_beyond) && reader_->video_ended(st.serial)) {
    const int64_t last_end =
        current_ && current_->serial == st.serial
            ? std::min(mi.frame_time_ns(current_->index + 1), mi.frame_time_ns(mi.frame_count))
            : 0;
    if (pos >= last_end - 1) ended_ = true;
  }
  FramePick pick;
  pick.frame = current_ ? &*current_ : nullptr;
  pick.due_index = st.loop ? mi.frame_at_ns(st.file_position(pos, duration_ns()))
                           : std::min(due, mi.frame_count - 1);
  if (current_ && current_->unwrapped < due && !st.paused) ++repeated_;
  return pick;
}

void Player::mark_presented() {
  if (!current_) return;
  current_shown_ = true;
  shown_index_ = current_->index;
  ++presented_;
}

PlayerSnapshot Player::snapshot() const {
  const MediaInfo& mi = info();
  const TransportState st = transport_.state();
  PlayerSnapshot s;
  s.path = mi.path;
  s.width = mi.width;
  s.height = mi.height;
  s.fps = mi.fps();
  s.frame_count = mi.frame_count;
  s.position_ns = clamp_position(st.position_at(now()));
  s.frame_index = shown_index_.load();
  s.paused = st.paused;
  s.loop = st.loop;
  const LoopSpan span = st.loop_span(duration_ns());
  s.loop_in = mi.frame_at_ns(span.in_ns);
  s.loop_out = mi.frame_at_ns(span.out_ns);
  s.rate = st.rate;
  s.ended = ended_.load();
  s.presented = presented_.load();
  s.dropped = dropped_.load();
  s.repeated = repeated_.load();
  s.decoder = reader_->decoder_description();
  s.audio = audio_ ? audio_->device_name() : "none";
  s.audio_underruns = audio_ ? audio_->underruns() : 0;
  return s;
}

}  // namespace lockstep
