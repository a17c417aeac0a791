// Audio output through PortAudio, fed from a lock-free single-producer single-consumer
// ring of interleaved float samples. The PortAudio callback never blocks, allocates,
// locks or logs: it copies from the ring (silence on underrun) and publishes when its
// first sample will be heard (outputBufferDacTime mapped to the monotonic clock).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace lockstep {

struct AudioOutputParams {
  /// Device name (substring match, case-insensitive) or "" for the default output.
  std::string device;
  int sample_rate = 48000;
  int channels = 2;
  /// Suggested output latency, seconds.
  double latency_s = 0.05;
  /// Ring capacity in frames (one frame = one sample per channel).
  size_t ring_frames = 48000;
};

/// Where the stream of written frames is being heard. `frames_consumed` counts frames the
/// callback has taken from the ring since open() (flushed frames included, silence not);
/// the first of the frames taken by the latest callback is heard at monotonic `dac_ns`.
/// `device_frames` counts every frame the device took before that callback, silence of
/// underruns included, and `callback_ns` is when the callback ran: the device's position
/// against the monotonic clock, which (unlike `dac_ns`, whose delay some host APIs report
/// with milliseconds of wander) only moves by the device clock's drift and by the gaps the
/// host API reports (`gaps`: its output underflows, after which the stream restarts later
/// than the frame count says).
struct AudioClock {
  bool valid = false;
  int64_t frames_consumed = 0;
  int64_t dac_ns = 0;
  int64_t device_frames = 0;
  int64_t callback_ns = 0;
  int64_t gaps = 0;
};

class AudioOutput {
 public:
  /// Opens (but does not start) the stream. Fails with a message naming the device and
  /// listing the available ones when no such device exists or none exists at all.
  /// Thread-safe. PortAudio is initialised while any AudioOutput exists (or during
  /// list_devices()); initialising it redirects the process's stderr for ~0.1 s to keep the
  /// ALSA/JACK probing chatter off the terminal (it goes to the debug log instead).
  static Result<std::unique_ptr<AudioOutput>> open(const AudioOutputParams& params);
  /// Names of the output devices PortAudio sees ("name (host API)").
  static std::vector<std::string> list_devices();
  virtual ~AudioOutput() = default;

  virtual int sample_rate() const = 0;
  virtual int channels() const = 0;
  virtual std::string device_name() const = 0;

  /// Producer thread only. Copies up to `frames` interleaved frames; returns how many were
  /// taken (fewer when the ring is full). Never blocks.
  virtual size_t write(const float* interleaved, size_t frames) = 0;
  /// Producer thread only. Frames that write() would accept now.
  virtual size_t writable_frames() const = 0;
  /// Producer thread only. Total frames written since open().
  virtual int64_t frames_written() const = 0;
  /// Producer thread only. Drops everything queued (seek); the callback skips to the write
  /// position at its next run, so frames_consumed catches up with frames_written.
  /// (While the stream is stopped the space is given back at once.)
  virtual void flush() = 0;

  /// Producer thread only (or one synchronised with it). Starts the callback; frames already
  /// queued play first. Does nothing when already started.
  virtual Status start() = 0;
  /// Producer thread only (or one synchronised with it). Returns once PortAudio has played
  /// what it had buffered and the callback has stopped; frames still in the ring stay queued
  /// for the next start(). Does nothing when already stopped.
  virtual Status stop() = 0;

  /// Thread-safe. Latest timing published by the callback.
  virtual AudioClock clock() const = 0;
  /// Thread-safe. Callbacks that found the ring short of frames.
  virtual int64_t underruns() const = 0;
};

}  // namespace lockstep
