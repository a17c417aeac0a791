#include "audio/portaudio_library.h"

#include <unistd.h>

#include <cstdio>
#include <mutex>

#include "core/log.h"

namespace lockstep::audio_detail {
namespace {

// Guards Pa_Initialize/Pa_Terminate (not thread-safe in PortAudio) and the weak handle.
std::mutex g_library_mutex;
std::weak_ptr<PortAudioLibrary> g_library;  // guarded by g_library_mutex

/// Sends the process's stderr (fd 2) to a temporary file for its lifetime and hands back
/// what was written. PortAudio's host APIs print straight to fd 2 while probing (ALSA
/// "Unknown PCM cards.pcm.front", JACK "Cannot connect to server socket", ...) and have no
/// switch for it; libasound's snd_lib_error_set_handler would cover only ALSA and would
/// mean linking libasound. Other threads' stderr output during the capture (PortAudio
/// initialisation, ~0.1 s) ends up in the debug log too.
class StderrCapture {
 public:
  StderrCapture() {
    std::fflush(stderr);
    file_ = std::tmpfile();
    saved_fd_ = file_ != nullptr ? dup(STDERR_FILENO) : -1;
    if (saved_fd_ >= 0 && dup2(fileno(file_), STDERR_FILENO) < 0) {
      close(saved_fd_);
      saved_fd_ = -1;
    }
  }

  ~StderrCapture() { finish(); }

  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  /// Restores stderr; returns what was captured (at most 16 KiB).
  std::string finish() {
    std::string text;
    if (saved_fd_ >= 0) {
      std::fflush(stderr);
      dup2(saved_fd_, STDERR_FILENO);
      close(saved_fd_);
      saved_fd_ = -1;
      std::rewind(file_);
      char buffer[16 * 1024];
      text.assign(buffer, std::fread(buffer, 1, sizeof buffer, file_));
    }
    if (file_ != nullptr) {
      std::fclose(file_);
      file_ = nullptr;
    }
    return text;
  }

 private:
  std::FILE* file_ = nullptr;
  int saved_fd_ = -1;
};

void log_captured(const char* what, const std::string& text) {
  if (!text.empty()) LS_DEBUG("audio: {} printed:\n{}", what, text);
}

}  // namespace

Result<std::shared_ptr<PortAudioLibrary>> PortAudioLibrary::acquire() {
  std::lock_guard lock(g_library_mutex);
  if (auto library = g_library.lock()) return library;
  PaError err;
  {
    StderrCapture capture;
    err = Pa_Initialize();
    log_captured("Pa_Initialize", capture.finish());
  }
  if (err != paNoError) {
    return make_error(std::string("cannot initialise PortAudio: ") + Pa_GetErrorText(err) +
                      "; use --audio-device none to run without audio");
  }
  std::shared_ptr<PortAudioLibrary> library(new PortAudioLibrary());
  g_library = library;
  return library;
}

PortAudioLibrary::~PortAudioLibrary() {
  std::lock_guard lock(g_library_mutex);
  StderrCapture capture;
  Pa_Terminate();
  log_captured("Pa_Terminate", capture.finish());
}

std::vector<OutputDevice> output_devices() {
  std::vector<OutputDevice> devices;
  const PaDeviceIndex count = Pa_GetDeviceCount();
  for (PaDeviceIndex i = 0; i < count; ++i) {
    const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
    if (info == nullptr || info->maxOutputChannels <= 0) continue;
    const PaHostApiInfo* api = Pa_GetHostApiInfo(info->hostApi);
    OutputDevice device;
    device.index = i;
    device.name = info->name;
    device.label = device.name + " (" + (api != nullptr ? api->name : "?") + ")";
    device.max_channels = info->maxOutputChannels;
    devices.push_back(std::move(device));
  }
  return devices;
}

PaDeviceIndex default_output_device() { return Pa_GetDefaultOutputDevice(); }

}  // namespace lockstep::audio_detail
