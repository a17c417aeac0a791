#include "support/alsa_file_device.h"

#include <cstdlib>
#include <fstream>

#include "support/test_media.h"

namespace lockstep::test {

std::string alsa_file_device_config() { return source_dir() + "/assets/alsa/file-device.conf"; }
std::string alsa_pulse_config() { return source_dir() + "/assets/alsa/pulse.conf"; }

std::vector<std::string> alsa_file_device_env(const std::string& raw_path, int device_rate) {
  return {"ALSA_CONFIG_PATH=" + alsa_file_device_config(), "LOCKSTEP_ALSA_FILE=" + raw_path,
          "LOCKSTEP_ALSA_RATE=" + std::to_string(device_rate)};
}

void use_alsa_file_device(const std::string& raw_path, int device_rate) {
  for (const std::string& entry : alsa_file_device_env(raw_path, device_rate)) {
    const size_t eq = entry.find('=');
    setenv(entry.substr(0, eq).c_str(), entry.substr(eq + 1).c_str(), 1);
  }
}

std::vector<float> read_raw_floats(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  const std::streamsize bytes = in.tellg();
  std::vector<float> samples(static_cast<size_t>(bytes) / sizeof(float));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(samples.data()),
          static_cast<std::streamsize>(samples.size() * sizeof(float)));
  return samples;
}

std::vector<float> deinterleave(const std::vector<float>& interleaved, int channels, int channel) {
  std::vector<float> mono;
  mono.reserve(interleaved.size() / static_cast<size_t>(channels));
  for (size_t i = static_cast<size_t>(channel); i < interleaved.size();
       i += static_cast<size_t>(channels)) {
    mono.push_back(interleaved[i]);
  }
  return mono;
}

}  // namespace lockstep::test
