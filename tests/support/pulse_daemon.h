// A private PulseAudio daemon for real-time audio tests: a null sink whose monitor can be
// recorded. Started by the test, reached through a Unix socket in a scratch folder, stopped
// (by its pid) when the object goes. GTEST_SKIP()s with the reason when pulseaudio is missing.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace lockstep::test {

class PulseDaemon {
 public:
  /// Starts `pulseaudio` with a null sink named `sink` at 48 kHz stereo. ok() tells whether
  /// it came up; error() says why not.
  /// With `split_channels`, two more sinks, "left_only" and "right_only", play into the
  /// null sink's left and right channel: two nodes recorded on one timeline.
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

 private:
  pid_t pid_ = -1;
  std::string dir_;
  std::string sink_;
  std::string error_;
};

/// Records the sink's monitor (float32 stereo 48 kHz) into `path` with parec until stop().
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
