// A local playback node: one media file, its transport, the audio output and the choice of
// the frame to show at each refresh. The window, the overlay and (later) the network drive
// it through PlayerCommands and read it through PlayerSnapshot.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "audio/audio_output.h"
#include "clock/clock_domain.h"
#include "clock/transport.h"
#include "clock/transport_command.h"
#include "core/result.h"
#include "media/media_reader.h"

namespace lockstep {

struct PlayerParams {
  std::string path;
  HwDecode hwdec = HwDecode::Auto;
  Deinterlace deinterlace = Deinterlace::Auto;
  int decoder_threads = 0;
  /// Audio output device name, "" for the default device, "none" for no audio.
  std::string audio_device;
  double audio_latency_s = 0.05;
  bool loop = false;
  int64_t loop_in = 0;   // loop range [loop_in, loop_out), frames; 0/0 = the whole file
  int64_t loop_out = 0;
  double rate = 1.0;
  int64_t start_frame = 0;
};

/// What the overlay and reports show. A copy: reading it never blocks playback.
struct PlayerSnapshot {
  std::string path;
  int width = 0;
  int height = 0;
  double fps = 0.0;
  int64_t frame_count = 0;
  int64_t position_ns = 0;    // media position within the file
  int64_t frame_index = -1;   // the frame on screen
  bool paused = true;
  bool loop = false;
  int64_t loop_in = 0;        // loop range in force, frames [loop_in, loop_out): the whole
  int64_t loop_out = 0;       // file (0, frame_count) when none is set
  bool ended = false;
  double rate = 1.0;
  int64_t presented = 0;
  int64_t dropped = 0;        // decoded frames that were due but never shown (late)
  int64_t repeated = 0;       // refreshes that showed an older frame than the one due
  std::string decoder;        // "software", "cuda"
  std::string audio;          // device name or "none"
  int64_t audio_underruns = 0;
};

/// Commands a person or a peer can give. Thread-safe; each takes effect at once locally.
class PlayerCommands {
 public:
  virtual ~PlayerCommands() = default;
  virtual void play() = 0;
  virtual void pause() = 0;
  virtual void toggle_pause() = 0;
  virtual void seek_frame(int64_t index) = 0;
  virtual void seek_relative(double seconds) = 0;
  virtual void step(int frames) = 0;  // pauses, then moves by `frames` (±)
  virtual void set_rate(double rate) = 0;
  virtual void set_loop(bool loop) = 0;
  /// Loops within frames [in_frame, out_frame) (0/0: the whole file). Out-of-file values are
  /// clamped; an empty range is ignored.
  virtual void set_loop_range(int64_t in_frame, int64_t out_frame) = 0;
};

/// The frame chosen for one refresh.
struct FramePick {
  const VideoFrame* frame = nullptr;  // null before the first frame arrives
  int64_t due_index = 0;              // the frame the transport asks for (within the file)
};

class AudioFeeder;

class Player final : public PlayerCommands {
 public:
  /// Opens the file and the audio device (a missing device is logged, video plays on).
  static Result<std::unique_ptr<Player>> open(const PlayerParams& params);
  ~Player() override;

  const MediaInfo& info() const { return reader_->info(); }
  Transport& transport() { return transport_; }
  /// The clock the transport runs on (default: this machine's monotonic clock). Set before
  /// start(); the domain must outlive the player.
  void set_clock_domain(const ClockDomain* domain) { domain_ = domain ? domain : &monotonic_; }
  const ClockDomain& clock_domain() const { return *domain_; }
  /// Session mode: the transport follows a state decided elsewhere, in force from its
  /// anchor (session time). A new serial restarts decoding at once at the new position; the
  /// frame on screen stays until the state takes effect.
  /// Render thread only (it touches the frames in hand).
  void follow(const TransportState& state);
  /// Session mode: audio follows the session clock (no audio-master slewing).
  void set_audio_master(bool on);

  /// Waits (up to `timeout_ms`) until the first frame is decoded, then starts playing
  /// `lead_ms` from now so the first frame is shown on time.
  void start(bool paused, int lead_ms = 60, int timeout_ms = 5000);
  /// Session mode, instead of start(): starts decoding straight at the running position of
  /// `state` (see follow()), with no pre-roll of a local start frame.
  void start_following(const TransportState& state);

  void play() override;
  /// Starts playing at clock time `at_ns` (the first frame is shown then).
  void play_at(int64_t at_ns);
  void pause() override;
  void toggle_pause() override;
  void seek_frame(int64_t index) override;
  void seek_relative(double seconds) override;
  void step(int frames) override;
  void set_rate(double rate) override;
  void set_loop(bool loop) override;
  void set_loop_range(int64_t in_frame, int64_t out_frame) override;

  /// Render thread only. The frame to show for a refresh visible at monotonic `display_ns`.
  /// Drops frames that are already late and counts them. With `wait_ms` > 0 it waits that
  /// long for a frame of the current seek generation (used while paused and by tests).
  FramePick pick_frame(int64_t display_ns, int wait_ms = 0);
  /// Render thread only. The same, for a refresh at transport (session) time `session_ns`.
  /// With `wait_for_due` it also waits (up to `wait_ms`) for the due frame when the one on
  /// screen is older: every frame in turn, as fast as the decoder goes (play --untimed).
  FramePick pick_frame_at(int64_t session_ns, int wait_ms = 0, bool wait_for_due = false);
  /// Render thread only. Records that the picked frame was presented.
  void mark_presented();
  /// True when a non-looping file has been shown to its end.
  bool ended() const { return ended_.load(); }
  /// A problem found while playing (a truncated file), empty when none.
  std::string stream_error() const { return reader_->stream_error(); }

  /// Thread-safe.
  PlayerSnapshot snapshot() const;

 private:
  Player() = default;
  int64_t clamp_position(int64_t p_ns) const;
  int64_t now() const;  // in the transport's clock
  void warm_up_audio();
  void make_feeder();
  void start_output();  // audio warm-up, then the feeder
  void jump_to(int64_t p_ns);
  /// Applies a command to the local transport (clock/transport_command.h) at now, or for a
  /// seek while playing at now plus the time a jump takes, and restarts decoding if it jumped.
  void apply(const TransportCommand& c);
  /// Restarts decoding at frame `index` for `serial`, timing how long the jump takes.
  void restart_reader(int64_t index, int serial, KeepFrames keep = KeepFrames());
  /// Render thread: learns the cost of a jump from the first frame it brings.
  void learn_jump_cost(const VideoFrame& f);
  int64_t duration_ns() const { return info().frame_time_ns(info().frame_count); }
  /// Tells the reader the loop settings of `st`; restarts it at st's position when `restart`.
  void loop_changed(bool restart);

  PlayerParams params_;
  std::unique_ptr<MediaReader> reader_;
  std::unique_ptr<AudioOutput> audio_;
  std::unique_ptr<AudioFeeder> feeder_;
  Transport transport_;
  MonotonicDomain monotonic_;
  const ClockDomain* domain_ = &monotonic_;
  bool audio_master_ = true;
  int followed_serial_ = -1;
  bool reader_started_ = false;
  // Frames to add to the reader's unwrapped indices of the followed serial: a followed state
  // may start at an unwrapped position past a loop, while the reader counts from the file
  // position it seeked to.
  int64_t follow_base_ = 0;

  // How long a jump takes until its first frame is decoded (ns), learned from the last ones:
  // a running state is joined this far ahead of now. Any thread (commands jump too).
  static constexpr int64_t kMinJumpCostNs = 60'000'000;
  static constexpr int64_t kMaxJumpCostNs = 3'000'000'000;
  std::atomic<int64_t> jump_cost_ns_{250'000'000};
  std::atomic<int64_t> jump_started_ns_{0};  // monotonic
  std::atomic<int> jump_serial_{-1};          // the jump being timed, -1 when none
  // A jump whose frames stay late this long (session ns) shows them anyway.
  static constexpr int64_t kCatchUpLimitNs = 1'000'000'000;

  // Render thread only:
  int stale_serial_ = -1;        // the serial whose first frame is awaited, -1 when none
  int64_t stale_since_ns_ = 0;   // session time it was first awaited
  std::optional<VideoFrame> current_;
  std::optional<VideoFrame> next_;
  bool current_shown_ = false;
  // Written by the render thread, read by snapshot():
  std::atomic<int64_t> shown_index_{-1};
  std::atomic<int64_t> presented_{0};
  std::atomic<int64_t> dropped_{0};
  std::atomic<int64_t> repeated_{0};
  std::atomic<bool> ended_{false};
};

}  // namespace lockstep
