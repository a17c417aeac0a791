// A private PulseAudio daemon for real-time audio tests: a null sink whose monitor can be
// recorded. Started by the test, reached through a Unix socket in a scratch folder, stopped
// (by its pid) when the object goes. Tests GTEST_SKIP() with error() when pulseaudio is missing.
//
// The null sink is loaded with norewinds=1. A sink that rewinds re-renders audio its monitor
// has already handed to the recorder: each rewind (a client that ends an underrun, a stream
// that starts) then splices duplicated or dropped audio into the recording, which stops being
// one real-time timeline (seconds too long under load, marks shifted or missing).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace lockstep::test {

class PulseDaemon {
 public:
  /// Starts `pulseaudio` with a null sink named `sink` at 48 kHz stereo. ok() tells whether
  /// it came up with all its sinks (it waits until pactl lists them); error() says why not.
  /// With `split_channels`, two more sinks, "left_only" and "right_only" (module-remap-sink),
  /// play into the null sink's left and right channel: two nodes recorded on one timeline.
  explicit PulseDaemon(const std::string& scratch, const std::string& sink = "lockstep_sink",
                       bool split_channels = false);
  ~PulseDaemon();
  PulseDaemon(const PulseDaemon&) = delete;
  PulseDaemon& operator=(const PulseDaemon&) = delete;

  bool ok() const { return pid_ > 0; }
  const std::string& error() const { return error_; }
  /// Environment for a player process: PULSE_SERVER, ALSA_CONFIG_PATH (assets/alsa/pulse.conf).
  std::vector<std::string> env() const;
  const std::string& sink() const { return sink_; }
  /// Runs `pactl ARGS...` against this daemon; its output ("" when it failed).
  std::string pactl(const std::vector<std::string>& args) const;
  /// The daemon's log (for failure messages).
  std::string log_path() const { return dir_ + "/daemon.log"; }

 private:
  pid_t pid_ = -1;
  std::string dir_;
  std::string sink_;
  std::string error_;
};

/// Records the sink's monitor (float32 stereo 48 kHz) into `path` with parec until stop().
/// The constructor returns once parec's stream is connected and samples reach the file (at
/// most 10 s); ok() is false when that did not happen.
class MonitorRecorder {
 public:
  MonitorRecorder(const PulseDaemon& pulse, const std::string& path);
  ~MonitorRecorder();
  void stop();
  bool ok() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

}  // namespace lockstep::test
