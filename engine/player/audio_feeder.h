// Private to player/: the thread that moves decoded audio into the output ring on schedule.
// It aligns the first sample after every start, seek and resume to the transport (silence
// or trimming), and then keeps audio the master clock: the small difference between what
// the device is heard playing and what the transport says is slewed into the transport;
// a large one (a device hiccup) triggers a hard re-sync. In a session the session clock is
// the master: small differences are corrected in the audio by dropping or repeating single
// sample frames (at most one per check, i.e. ≤ 0.4 % rate change), large ones re-sync.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "audio/audio_output.h"
#include "clock/clock_domain.h"
#include "clock/transport.h"
#include "media/media_reader.h"
#include "player/device_timeline.h"

namespace lockstep {

struct AudioSyncSettings {
  int64_t hard_resync_ns = 40 * 1'000'000;  // above this error: flush and realign
  int64_t deadband_ns = 500'000;            // below this error: no correction
  /// In a session, below this error no frame is dropped or repeated: small, since the audio
  /// of two nodes is to line up within 1 ms (one frame is 21 µs at 48 kHz).
  int64_t session_deadband_ns = 100'000;
  double slew_gain = 0.05;                  // share of the error corrected per check
  int64_t max_slew_ns = 200'000;            // per check (checks every ~5 ms)
  /// Local playback: the transport follows the audio device. Off when a session clock
  /// is the master (then only hard re-syncs keep audio on schedule).
  bool audio_master = true;
};

class AudioFeeder {
 public:
  AudioFeeder(MediaReader& reader, AudioOutput& output, Transport& transport,
              const ClockDomain& domain, AudioSyncSettings settings = {});
  ~AudioFeeder();
  void start();
  /// Switches between local playback (audio is the master) and a session; thread-safe.
  void set_audio_master(bool on) { audio_master_ = on; }
  /// Chunks of `serial` start `base_ns` later in unwrapped media time than the reader
  /// numbers them (a followed state past a loop wrap: the reader restarts inside the file).
  void set_position_base(int serial, int64_t base_ns) {
    base_ns_ = base_ns;
    base_serial_ = serial;
  }

 private:
  void run();
  int64_t next_write_heard_ns();

  MediaReader& reader_;
  AudioOutput& output_;
  Transport& transport_;
  const ClockDomain& domain_;
  AudioSyncSettings settings_;
  std::atomic<bool> audio_master_;
  std::atomic<int64_t> base_ns_{0};
  std::atomic<int> base_serial_{-1};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  // Feeder thread only:
  bool aligned_ = false;
  int64_t base_written_ = 0;   // output frame count at which `base_sample_` was written
  int64_t base_sample_ = 0;    // unwrapped media sample position written there
  int64_t flushed_to_ = 0;     // write position at the latest flush
  DeviceTimeline timeline_;    // when each device frame is heard
};

}  // namespace lockstep
