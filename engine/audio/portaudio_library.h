// Private to engine/audio. PortAudio's process-wide initialisation as a shared RAII handle,
// and the list of output devices it sees.
#pragma once

#include <portaudio.h>

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace lockstep::audio_detail {

/// Holding one keeps PortAudio initialised. The first acquire() calls Pa_Initialize, the
/// last holder's release calls Pa_Terminate (a later acquire() initialises again, which also
/// refreshes the device list). Pa_Initialize's chatter on stderr (ALSA, JACK, OSS probing) is
/// captured and logged at debug level instead of reaching the terminal.
///
/// Thread-safety: acquire() and the destructor are thread-safe (one process-wide mutex);
/// other PortAudio calls are the holder's business.
class PortAudioLibrary {
 public:
  static Result<std::shared_ptr<PortAudioLibrary>> acquire();
  ~PortAudioLibrary();

  PortAudioLibrary(const PortAudioLibrary&) = delete;
  PortAudioLibrary& operator=(const PortAudioLibrary&) = delete;

 private:
  PortAudioLibrary() = default;
};

struct OutputDevice {
  PaDeviceIndex index = paNoDevice;
  std::string name;   // PortAudio's device name
  std::string label;  // "name (host API)"
  int max_channels = 0;
};

/// Output devices, in PortAudio's order. Needs a held PortAudioLibrary.
std::vector<OutputDevice> output_devices();

/// The default output device, if PortAudio has one. Needs a held PortAudioLibrary.
PaDeviceIndex default_output_device();

}  // namespace lockstep::audio_detail
