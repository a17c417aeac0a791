// AudioOutput through PortAudio to the file-backed ALSA device of assets/alsa/file-device.conf
// (no sound card needed). That device is not real time: it consumes seconds of audio in
// milliseconds, so these tests never pace themselves on it.
#include "audio/audio_output.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "core/time.h"
#include "support/alsa_file_device.h"
#include "support/test_media.h"

namespace lockstep {
namespace {

class AudioOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    raw_path_ = test::scratch_dir("audio_output") + "/" + name + ".f32";
    std::remove(raw_path_.c_str());
    test::use_alsa_file_device(raw_path_);
  }

  void TearDown() override {
    if (!HasFailure()) std::remove(raw_path_.c_str());  // kept for a look after a failure
  }

  static AudioOutputParams params(int channels = 2, size_t ring_frames = 48000) {
    AudioOutputParams p;
    p.sample_rate = 48000;
    p.channels = channels;
    p.ring_frames = ring_frames;
    return p;
  }

  /// Waits until the callback has taken every written frame (the device drains fast).
  static bool wait_consumed(const AudioOutput& out, double timeout_s = 10) {
    const int64_t deadline = monotonic_ns() + static_cast<int64_t>(timeout_s * kNsPerSec);
    while (monotonic_ns() < deadline) {
      const AudioClock clock = out.clock();
      if (clock.valid && clock.frames_consumed == out.frames_written()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  }

  std::string raw_path_;
};

TEST_F(AudioOutputTest, UnknownDeviceNameFailsNamingItAndTheAvailableOnes) {
  AudioOutputParams p = params();
  p.device = "no-such-card-4711";
  auto out = AudioOutput::open(p);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().find("'no-such-card-4711'"), std::string::npos) << out.error();
  EXPECT_NE(out.error().find("--audio-device"), std::string::npos) << out.error();
  EXPECT_NE(out.error().find("lockstep_file (ALSA)"), std::string::npos)
      << "lists the available devices: " << out.error();
}

TEST_F(AudioOutputTest, ListsDevicesWithTheirHostApi) {
  const auto devices = AudioOutput::list_devices();
  EXPECT_NE(std::find(devices.begin(), devices.end(), "lockstep_file (ALSA)"), devices.end());
  EXPECT_NE(std::find(devices.begin(), devices.end(), "default (ALSA)"), devices.end());
}

TEST_F(AudioOutputTest, FindsDeviceByCaseInsensitiveSubstring) {
  AudioOutputParams p = params();
  p.device = "STEP_FI";
  auto out = AudioOutput::open(p);
  ASSERT_TRUE(out.ok()) << out.error();
  EXPECT_EQ((*out)->device_name(), "lockstep_file (ALSA)");
  EXPECT_EQ((*out)->sample_rate(), 48000);
  EXPECT_EQ((*out)->channels(), 2);
}

TEST_F(AudioOutputTest, EmptyNameOpensTheDefaultOutput) {
  auto out = AudioOutput::open(params());
  ASSERT_TRUE(out.ok()) << out.error();
  EXPECT_EQ((*out)->device_name(), "default (ALSA)");
}

TEST_F(AudioOutputTest, NoDeviceAtAllGivesAClearMessage) {
  // ALSA with a single PCM that cannot be opened (and no sound card, JACK or OSS here).
  setenv("ALSA_CONFIG_PATH", (test::source_dir() + "/assets/alsa/no-device.conf").c_str(), 1);
  if (!AudioOutput::list_devices().empty()) GTEST_SKIP() << "this machine has an audio device";
  auto out = AudioOutput::open(params());
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().find("no audio output device found"), std::string::npos) << out.error();
  EXPECT_NE(out.error().find("--audio-device none"), std::string::npos) << out.error();

  AudioOutputParams p = params();
  p.device = "speakers";
  out = AudioOutput::open(p);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().find("'speakers'"), std::string::npos) << out.error();
}

TEST_F(AudioOutputTest, InvalidParametersAreRejected) {
  AudioOutputParams p = params();
  p.channels = 0;
  auto out = AudioOutput::open(p);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().find("0 channels"), std::string::npos) << out.error();
}

TEST_F(AudioOutputTest, WriteTakesWhatFitsInTheRing) {
  auto out = AudioOutput::open(params(2, 1000));
  ASSERT_TRUE(out.ok()) << out.error();
  AudioOutput& audio = **out;
  std::vector<float> block(1500 * 2, 0.25f);
  EXPECT_EQ(audio.writable_frames(), 1000u);
  EXPECT_EQ(audio.write(block.data(), 1500), 1000u);
  EXPECT_EQ(audio.writable_frames(), 0u);
  EXPECT_EQ(audio.frames_written(), 1000);
  EXPECT_FALSE(audio.clock().valid) << "no callback before start()";
}

TEST_F(AudioOutputTest, ClockBecomesValidAndFramesConsumedOnlyGrow) {
  auto out = AudioOutput::open(params());
  ASSERT_TRUE(out.ok()) << out.error();
  AudioOutput& audio = **out;
  const int64_t before_start_ns = monotonic_ns();
  ASSERT_TRUE(audio.start().ok());

  // Feed 5 s of audio in 10 ms blocks while sampling the clock.
  constexpr int64_t kTotal = 5 * 48000;
  std::vector<float> block(480 * 2, 0.0f);
  std::vector<AudioClock> seen;
  const int64_t deadline = monotonic_ns() + 20 * kNsPerSec;
  while (audio.frames_written() < kTotal && monotonic_ns() < deadline) {
    audio.write(block.data(),
                std::min<size_t>(480, static_cast<size_t>(kTotal - audio.frames_written())));
    seen.push_back(audio.clock());
    std::this_thread::yield();
  }
  ASSERT_TRUE(wait_consumed(audio));
  seen.push_back(audio.clock());
  const int64_t after_ns = monotonic_ns();
  ASSERT_TRUE(audio.stop().ok());

  int valid = 0;
  int64_t last_frames = 0;
  for (const AudioClock& clock : seen) {
    if (!clock.valid) {
      EXPECT_EQ(valid, 0) << "once valid, the clock stays valid";
      continue;
    }
    ++valid;
    EXPECT_GE(clock.frames_consumed, last_frames) << "frames_consumed never goes back";
    last_frames = clock.frames_consumed;
    // dac_ns = callback time + a non-negative delay, and the callback ran after start().
    EXPECT_GE(clock.dac_ns, before_start_ns);
    EXPECT_LT(clock.dac_ns, after_ns + kNsPerSec) << "delay of at most the device's latency";
  }
  EXPECT_GT(valid, 0);
  EXPECT_EQ(seen.back().frames_consumed, kTotal);
}

TEST_F(AudioOutputTest, UnderrunsAreCountedAndPlayedAsSilence) {
  auto out = AudioOutput::open(params());
  ASSERT_TRUE(out.ok()) << out.error();
  AudioOutput& audio = **out;
  ASSERT_TRUE(audio.start().ok());
  const int64_t deadline = monotonic_ns() + 10 * kNsPerSec;
  while (audio.underruns() < 10 && monotonic_ns() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(audio.stop().ok());
  EXPECT_GE(audio.underruns(), 10);
  EXPECT_EQ(audio.clock().frames_consumed, 0) << "silence is not counted as consumed";
  out = make_error("closed");  // closes the stream: the file is complete

  const std::vector<float> played = test::read_raw_floats(raw_path_);
  EXPECT_GT(played.size(), 0u);
  EXPECT_TRUE(std::all_of(played.begin(), played.end(), [](float s) { return s == 0.0f; }));
}

TEST_F(AudioOutputTest, FlushWhileStoppedDropsQueuedFramesAndFreesTheRing) {
  auto out = AudioOutput::open(params(2, 4800));
  ASSERT_TRUE(out.ok()) << out.error();
  AudioOutput& audio = **out;
  std::vector<float> loud(4800 * 2, 0.5f);
  ASSERT_EQ(audio.write(loud.data(), 4800), 4800u);
  audio.flush();
  EXPECT_EQ(audio.writable_frames(), 4800u) << "nothing to wait for while stopped";
  EXPECT_EQ(audio.frames_written(), 4800);

  ASSERT_TRUE(audio.start().ok());
  ASSERT_TRUE(wait_consumed(audio));
  ASSERT_TRUE(audio.stop().ok());
  EXPECT_EQ(audio.clock().frames_consumed, 4800) << "flushed frames count as consumed";
  out = make_error("closed");

  const std::vector<float> played = test::read_raw_floats(raw_path_);
  EXPECT_TRUE(std::all_of(played.begin(), played.end(), [](float s) { return s == 0.0f; }))
      << "flushed frames are never played";
}

TEST_F(AudioOutputTest, FlushWhileRunningCatchesUpWithTheWritePosition) {
  auto out = AudioOutput::open(params(2, 48000));
  ASSERT_TRUE(out.ok()) << out.error();
  AudioOutput& audio = **out;
  ASSERT_TRUE(audio.start().ok());
  std::vector<float> block(48000 * 2, 0.5f);
  for (int i = 0; i < 5; ++i) {
    audio.write(block.data(), audio.writable_frames());
    audio.flush();
  }
  ASSERT_TRUE(wait_consumed(audio))
      << "consumed " << audio.clock().frames_consumed << " of " << audio.frames_written();
  EXPECT_EQ(audio.writable_frames(), 48000u);
  ASSERT_TRUE(audio.stop().ok());
}

TEST_F(AudioOutputTest, RestartsAfterStop) {
  auto out = AudioOutput::open(params(1, 48000));
  ASSERT_TRUE(out.ok()) << out.error();
  AudioOutput& audio = **out;
  std::vector<float> block(4800, 0.0f);
  for (int round = 1; round <= 3; ++round) {
    audio.write(block.data(), block.size());
    ASSERT_TRUE(audio.start().ok());
    ASSERT_TRUE(wait_consumed(audio)) << "round " << round;
    ASSERT_TRUE(audio.stop().ok());
    EXPECT_EQ(audio.clock().frames_consumed, 4800 * round);
  }
}

}  // namespace
}  // namespace lockstep
