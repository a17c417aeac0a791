// Test helpers for audio without a sound card: an ALSA default device that records what is
// played into a raw file (assets/alsa/file-device.conf), and reading that file back.
#pragma once

#include <string>
#include <vector>

namespace lockstep::test {

/// Path of assets/alsa/file-device.conf and assets/alsa/pulse.conf in the source tree.
std::string alsa_file_device_config();
std::string alsa_pulse_config();

/// Environment ("NAME=value" entries, e.g. for run_process) that makes ALSA's default output
/// write raw FLOAT_LE interleaved samples to `raw_path`, resampled to `device_rate` Hz.
/// The device is not real time: it consumes seconds of audio in milliseconds.
std::vector<std::string> alsa_file_device_env(const std::string& raw_path, int device_rate = 48000);

/// Sets that environment in this process. Call before PortAudio is initialised (ALSA reads
/// its configuration then); the file path and rate are read again at each device open.
/// Not thread-safe (setenv): call while no other thread reads the environment.
void use_alsa_file_device(const std::string& raw_path, int device_rate = 48000);

/// Reads a raw FLOAT_LE file (what the file device wrote). Empty when it cannot be read.
std::vector<float> read_raw_floats(const std::string& path);

/// One channel of interleaved samples.
std::vector<float> deinterleave(const std::vector<float>& interleaved, int channels, int channel);

}  // namespace lockstep::test
