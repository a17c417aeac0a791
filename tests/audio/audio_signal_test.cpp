// What AudioOutput plays, checked sample by sample: a framecode mark signal goes through
// the ring, the PortAudio callback and ALSA's plug into the file-backed device of
// assets/alsa/file-device.conf, and the marks are found again in the recorded file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

#include "audio/audio_output.h"
#include "core/time.h"
#include "framecode/framecode.h"
#include "support/alsa_file_device.h"
#include "support/test_media.h"

namespace lockstep {
namespace {

struct Playback {
  Playback() = default;
  Playback(const Playback&) = delete;
  Playback& operator=(const Playback&) = delete;
  // The recording is kept for a look when the test failed.
  ~Playback() {
    if (!raw_path.empty() && !::testing::Test::HasFailure()) std::remove(raw_path.c_str());
  }

  std::string raw_path;  // what the device recorded
  int device_rate = 48000;
  int channels = 2;
  std::vector<float> signal;  // mono, at the stream's rate, leading silence included
  std::vector<float> played;  // interleaved, at device_rate, as recorded by the device
};

/// Writes `seconds` of marks (after `lead_s` of silence) to an AudioOutput on the file
/// device, plays it to the end and returns what the device recorded. Channel c carries the
/// signal times (c % 2 ? -1 : 1), so that swapped or mixed channels show.
void play_marks(Playback& result, const framecode::MarkSpec& spec, int channels, int device_rate,
                double seconds, double lead_s = 0.2) {
  result.device_rate = device_rate;
  result.channels = channels;
  const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  result.raw_path = test::scratch_dir("audio_signal") + "/" + name + ".f32";
  std::remove(result.raw_path.c_str());
  test::use_alsa_file_device(result.raw_path, device_rate);

  const auto lead = static_cast<size_t>(lead_s * spec.sample_rate);
  const auto body = static_cast<size_t>(seconds * spec.sample_rate);
  result.signal.assign(lead + body, 0.0f);
  framecode::synth_marks(spec, 0, result.signal.data() + lead, body);
  std::vector<float> interleaved(result.signal.size() * static_cast<size_t>(channels));
  for (size_t i = 0; i < result.signal.size(); ++i) {
    for (int c = 0; c < channels; ++c) {
      interleaved[i * static_cast<size_t>(channels) + static_cast<size_t>(c)] =
          (c % 2 != 0 ? -1.0f : 1.0f) * result.signal[i];
    }
  }

  {
    AudioOutputParams params;
    params.sample_rate = spec.sample_rate;
    params.channels = channels;
    // The device is not real time: a producer racing it would underrun and insert silence,
    // so the whole signal is queued before start().
    params.ring_frames = result.signal.size();
    auto out = AudioOutput::open(params);
    if (!out.ok()) {
      ADD_FAILURE() << out.error();
      return;
    }
    AudioOutput& audio = **out;
    EXPECT_EQ(audio.write(interleaved.data(), result.signal.size()), result.signal.size());
    EXPECT_TRUE(audio.start().ok());
    const int64_t deadline = monotonic_ns() + 20 * kNsPerSec;
    while (audio.clock().frames_consumed < audio.frames_written() && monotonic_ns() < deadline) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    EXPECT_EQ(audio.clock().frames_consumed, audio.frames_written()) << "timed out";
    EXPECT_TRUE(audio.stop().ok());
  }  // closing the stream flushes the device's file

  result.played = test::read_raw_floats(result.raw_path);
  EXPECT_GE(result.played.size() / static_cast<size_t>(channels),
            static_cast<size_t>(static_cast<double>(result.signal.size()) * device_rate /
                                spec.sample_rate) -
                1)
      << "the device recorded less than was written";
}

/// Expected mark positions at `rate`, in samples from the first mark, for marks that fit
/// completely in `seconds`.
std::vector<double> expected_marks(const framecode::MarkSpec& spec, double seconds, int rate) {
  std::vector<double> marks;
  const double end = seconds * spec.sample_rate - spec.duration_s * spec.sample_rate;
  for (int64_t index = 0;; index += spec.every_frames) {
    const auto at = static_cast<double>(framecode::mark_sample(spec, index));
    if (at > end) break;
    marks.push_back(at * rate / spec.sample_rate);
  }
  return marks;
}

/// Every channel carries the marks, in order, each interval within ±1 ms of the expected
/// one (and within `max_error_samples` of its place relative to the first mark).
void expect_marks(const Playback& playback, const framecode::MarkSpec& spec, double seconds,
                  double max_error_samples) {
  const std::vector<double> expected = expected_marks(spec, seconds, playback.device_rate);
  const double one_ms = playback.device_rate / 1000.0;
  for (int c = 0; c < playback.channels; ++c) {
    std::vector<float> mono = test::deinterleave(playback.played, playback.channels, c);
    if (c % 2 != 0) {
      for (float& s : mono) s = -s;
    }
    const std::vector<double> onsets =
        framecode::find_mark_onsets(mono.data(), mono.size(), playback.device_rate);
    ASSERT_EQ(onsets.size(), expected.size()) << "channel " << c;
    double worst = 0;
    for (size_t i = 1; i < onsets.size(); ++i) {
      const double interval = onsets[i] - onsets[i - 1];
      const double want = expected[i] - expected[i - 1];
      EXPECT_NEAR(interval, want, one_ms) << "channel " << c << ", interval " << i;
      worst = std::max(worst, std::abs((onsets[i] - onsets[0]) - expected[i]));
    }
    EXPECT_LE(worst, max_error_samples) << "channel " << c;
  }
}

framecode::MarkSpec marks_every_15_frames(double fps) {
  framecode::MarkSpec spec;
  spec.fps = fps;
  spec.sample_rate = 48000;
  spec.every_frames = 15;
  return spec;
}

TEST(AudioSignal, StereoMarksArriveInOrderWithExactSpacing) {
  const framecode::MarkSpec spec = marks_every_15_frames(30.0);
  Playback playback;
  play_marks(playback, spec, 2, 48000, 4.0);
  ASSERT_FALSE(::testing::Test::HasFailure());
  ASSERT_EQ(expected_marks(spec, 4.0, 48000).size(), 8u);
  expect_marks(playback, spec, 4.0, 1.0);
}

TEST(AudioSignal, SamplesArriveBitExactAfterTheDevicesLeadingSilence) {
  const framecode::MarkSpec spec = marks_every_15_frames(30.0);
  Playback playback;
  play_marks(playback, spec, 2, 48000, 2.0, 0.0);
  ASSERT_FALSE(::testing::Test::HasFailure());
  const std::vector<float> left = test::deinterleave(playback.played, 2, 0);
  const std::vector<float> right = test::deinterleave(playback.played, 2, 1);
  // The signal starts with the first mark (sine phase 0, so its first sample is 0 too).
  const auto first_in_signal = static_cast<size_t>(
      std::find_if(playback.signal.begin(), playback.signal.end(), [](float s) { return s != 0; }) -
      playback.signal.begin());
  const auto first_played = static_cast<size_t>(
      std::find_if(left.begin(), left.end(), [](float s) { return s != 0; }) - left.begin());
  ASSERT_GE(first_played, first_in_signal);
  const size_t offset = first_played - first_in_signal;  // the silence PortAudio sent first
  ASSERT_GE(left.size(), offset + playback.signal.size());
  size_t mismatches = 0;
  for (size_t i = 0; i < playback.signal.size(); ++i) {
    if (left[offset + i] != playback.signal[i] || right[offset + i] != -playback.signal[i]) {
      ++mismatches;
    }
  }
  EXPECT_EQ(mismatches, 0u) << "leading silence " << offset << " frames";
  EXPECT_TRUE(std::all_of(left.begin(), left.begin() + static_cast<long>(offset),
                          [](float s) { return s == 0; }));
}

TEST(AudioSignal, MonoMarksAtNtscRateKeepTheirSpacing) {
  const framecode::MarkSpec spec = marks_every_15_frames(30000.0 / 1001.0);
  Playback playback;
  play_marks(playback, spec, 1, 48000, 4.0);
  ASSERT_FALSE(::testing::Test::HasFailure());
  expect_marks(playback, spec, 4.0, 1.0);
}

TEST(AudioSignal, MarksKeepTheirSpacingWhenTheDeviceResamplesTo44100) {
  const framecode::MarkSpec spec = marks_every_15_frames(30.0);
  Playback playback;
  play_marks(playback, spec, 2, 44100, 4.0);
  ASSERT_FALSE(::testing::Test::HasFailure());
  // ALSA's rate plugin converts period by period with a whole number of frames each: the
  // 600-frame periods PortAudio picks here become 551 frames instead of 551.25, so the
  // recording runs 0.045% short (22040 instead of 22050 samples per 0.5 s, 70 samples over
  // the 3.5 s from first to last mark). Each interval stays well within ±1 ms; allow 2 ms
  // overall.
  expect_marks(playback, spec, 4.0, 2 * 44.1);
}

}  // namespace
}  // namespace lockstep
