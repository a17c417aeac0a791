#include "audio/audio_output.h"

#include <portaudio.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>

#include "audio/audio_clock_seqlock.h"
#include "audio/portaudio_library.h"
#include "audio/spsc_ring.h"
#include "core/log.h"
#include "core/time.h"

namespace lockstep {
namespace {

using audio_detail::AudioClockSeqlock;
using audio_detail::OutputDevice;
using audio_detail::PortAudioLibrary;

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string quoted_list(const std::vector<OutputDevice>& devices) {
  std::string list;
  for (const OutputDevice& device : devices) {
    if (!list.empty()) list += ", ";
    list += "'" + device.label + "'";
  }
  return list;
}

/// `wanted` "" picks PortAudio's default output; otherwise an exact (case-insensitive) match
/// of the device name wins over the first label that contains `wanted`.
Result<OutputDevice> choose_device(const std::string& wanted,
                                   const std::vector<OutputDevice>& devices) {
  if (devices.empty()) {
    const std::string what = wanted.empty() ? std::string("no audio output device found")
                                            : "no audio output device named '" + wanted + "'";
    return make_error(what +
                      ": PortAudio sees no output device at all (no sound card, and no ALSA "
                      "or PulseAudio device configured); use --audio-device none to run "
                      "without audio");
  }
  if (wanted.empty()) {
    const PaDeviceIndex index = audio_detail::default_output_device();
    for (const OutputDevice& device : devices) {
      if (device.index == index) return device;
    }
    return devices.front();  // no default declared: the first output will do
  }
  const std::string needle = lowercase(wanted);
  for (const OutputDevice& device : devices) {
    if (lowercase(device.name) == needle) return device;
  }
  for (const OutputDevice& device : devices) {
    if (lowercase(device.label).find(needle) != std::string::npos) return device;
  }
  return make_error("no audio output device named '" + wanted + "'; available: " +
                    quoted_list(devices) + "; use --audio-device NAME or --audio-device none");
}

std::string pa_error_text(PaError err) {
  std::string text = Pa_GetErrorText(err);
  if (err == paUnanticipatedHostError) {
    const PaHostErrorInfo* host = Pa_GetLastHostErrorInfo();
    if (host != nullptr && host->errorText != nullptr)
      text += std::string(" (") + host->errorText + ")";
  }
  return text;
}

struct StreamCloser {
  void operator()(PaStream* stream) const { Pa_CloseStream(stream); }
};
using StreamPtr = std::unique_ptr<PaStream, StreamCloser>;

class PortAudioOutput final : public AudioOutput {
 public:
  PortAudioOutput(std::shared_ptr<PortAudioLibrary> library, const AudioOutputParams& params,
                  OutputDevice device)
      : library_(std::move(library)),
        sample_rate_(params.sample_rate),
        channels_(params.channels),
        device_(std::move(device)),
        ring_(params.ring_frames, params.channels) {}

  ~PortAudioOutput() override {
    // Pa_CloseStream aborts a running stream: no callback runs after this, so the ring and
    // the clock (destroyed next) are no longer referenced.
    stream_.reset();
  }

  Status open_stream(double latency_s) {
    PaStreamParameters out{};
    out.device = device_.index;
    out.channelCount = channels_;
    out.sampleFormat = paFloat32;  // interleaved
    out.suggestedLatency = latency_s;
    PaStream* stream = nullptr;
    const PaError err = Pa_OpenStream(&stream, nullptr, &out, sample_rate_,
                                      paFramesPerBufferUnspecified, paNoFlag, &callback, this);
    if (err != paNoError) {
      return make_error("cannot open audio device '" + device_.label + "' at " +
                        std::to_string(sample_rate_) + " Hz, " + std::to_string(channels_) +
                        " channels: " + pa_error_text(err) +
                        "; try another --audio-device NAME (available: " +
                        quoted_list(audio_detail::output_devices()) + ") or --audio-device none");
    }
    stream_.reset(stream);
    const PaStreamInfo* info = Pa_GetStreamInfo(stream);
    output_latency_ns_ = static_cast<int64_t>((info != nullptr ? info->outputLatency : latency_s) *
                                              static_cast<double>(kNsPerSec));
    LS_INFO("audio: opened '{}' at {} Hz, {} channels, output latency {:.1f} ms, ring {} frames",
            device_.label, sample_rate_, channels_,
            static_cast<double>(output_latency_ns_) / static_cast<double>(kNsPerMs),
            ring_.capacity_frames());
    return {};
  }

  int sample_rate() const override { return sample_rate_; }
  int channels() const override { return channels_; }
  std::string device_name() const override { return device_.label; }

  size_t write(const float* interleaved, size_t frames) override {
    return ring_.write(interleaved, frames);
  }
  size_t writable_frames() const override { return ring_.writable_frames(); }
  int64_t frames_written() const override { return ring_.frames_written(); }

  void flush() override {
    ring_.request_flush();
    // While the stream is stopped no callback runs (Pa_StopStream has returned, and
    // Pa_StartStream happens before the next one), so this thread may play the consumer and
    // give the space back now instead of at the next callback.
    if (!running_) ring_.apply_flush();
  }

  Status start() override {
    if (running_) return {};
    const PaError err = Pa_StartStream(stream_.get());
    if (err != paNoError) {
      return make_error("cannot start audio on '" + device_.label + "': " + pa_error_text(err));
    }
    running_ = true;
    return {};
  }

  Status stop() override {
    if (!running_) return {};
    const PaError err = Pa_StopStream(stream_.get());
    running_ = false;
    if (err != paNoError) {
      return make_error("cannot stop audio on '" + device_.label + "': " + pa_error_text(err));
    }
    return {};
  }

  AudioClock clock() const override { return clock_.read(); }
  int64_t underruns() const override { return underruns_.load(std::memory_order_relaxed); }

 private:
  static int callback(const void* /*input*/, void* output, unsigned long frames,
                      const PaStreamCallbackTimeInfo* time, PaStreamCallbackFlags flags,
                      void* self) {
    static_cast<PortAudioOutput*>(self)->fill(static_cast<float*>(output),
                                              static_cast<size_t>(frames), time, flags);
    return paContinue;
  }

  // Audio callback thread. No locks, allocation, logging or system calls beyond reading the
  // monotonic clock (vDSO).
  void fill(float* out, size_t frames, const PaStreamCallbackTimeInfo* time, PaStreamCallbackFlags flags) {
    // The host API lost time (an xrun it recovered from): the device restarted later than
    // the frame count says.
    if ((flags & paOutputUnderflow) != 0) ++gaps_;
    const int64_t now_ns = monotonic_ns();
    int64_t first_frame = 0;
    const size_t got = ring_.read(out, frames, &first_frame);
    if (got < frames) {
      std::memset(out + got * static_cast<size_t>(channels_), 0,
                  (frames - got) * static_cast<size_t>(channels_) * sizeof(float));
      underruns_.fetch_add(1, std::memory_order_relaxed);
    }
    clock_.publish(first_frame, now_ns + dac_delay_ns(time), device_frames_, now_ns, gaps_);
    device_frames_ += static_cast<int64_t>(frames);
  }

  // Audio callback thread. How long until the buffer's first frame reaches the DAC.
  int64_t dac_delay_ns(const PaStreamCallbackTimeInfo* time) const {
    if (time != nullptr && time->currentTime != 0 && time->outputBufferDacTime != 0) {
      const double delay_s = time->outputBufferDacTime - time->currentTime;
      // A host API that fills these in badly (negative, absurd) falls back to the latency.
      if (delay_s >= 0 && delay_s < 10.0) {
        return static_cast<int64_t>(delay_s * static_cast<double>(kNsPerSec));
      }
    }
    return output_latency_ns_;
  }

  // Immutable after open().
  const std::shared_ptr<PortAudioLibrary> library_;  // keeps PortAudio initialised
  const int sample_rate_;
  const int channels_;
  const OutputDevice device_;
  int64_t output_latency_ns_ = 0;  // Pa_GetStreamInfo's, the fallback DAC delay

  // Producer side: write()/flush() thread. Consumer side: the audio callback.
  SpscFrameRing ring_;
  // Written by the audio callback; read by any thread.
  AudioClockSeqlock clock_;
  std::atomic<int64_t> underruns_{0};
  int64_t device_frames_ = 0;  // audio callback only: frames handed to the device so far
  int64_t gaps_ = 0;           // audio callback only: output underflows the host reported

  // Control thread (the one calling start/stop/flush).
  bool running_ = false;
  // Declared last: closed first, before the state the callback uses goes away.
  StreamPtr stream_;
};

Status validate(const AudioOutputParams& params) {
  if (params.sample_rate <= 0 || params.channels <= 0 || params.ring_frames == 0 ||
      params.latency_s < 0) {
    return make_error("invalid audio output parameters: " + std::to_string(params.sample_rate) +
                      " Hz, " + std::to_string(params.channels) + " channels, ring of " +
                      std::to_string(params.ring_frames) + " frames, latency " +
                      std::to_string(params.latency_s) + " s");
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<AudioOutput>> AudioOutput::open(const AudioOutputParams& params) {
  if (Status valid = validate(params); !valid) return make_error(valid.error());
  auto library = PortAudioLibrary::acquire();
  if (!library) return make_error(library.error());
  const auto devices = audio_detail::output_devices();
  auto device = choose_device(params.device, devices);
  if (!device) return make_error(device.error());
  if (device->max_channels < params.channels) {
    return make_error(
        "audio device '" + device->label + "' has " + std::to_string(device->max_channels) +
        " output channels, " + std::to_string(params.channels) +
        " are needed; choose another with --audio-device NAME (available: " + quoted_list(devices) +
        ") or --audio-device none");
  }
  auto output = std::make_unique<PortAudioOutput>(std::move(library.value()), params,
                                                  std::move(device.value()));
  if (Status opened = output->open_stream(params.latency_s); !opened) {
    return make_error(opened.error());
  }
  return std::unique_ptr<AudioOutput>(std::move(output));
}

std::vector<std::string> AudioOutput::list_devices() {
  auto library = PortAudioLibrary::acquire();
  if (!library) return {};
  std::vector<std::string> labels;
  for (const OutputDevice& device : audio_detail::output_devices()) labels.push_back(device.label);
  return labels;
}

}  // namespace lockstep
