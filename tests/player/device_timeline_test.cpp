// The audio device's timeline (engine/player/device_timeline.h), fed simulated callbacks:
// wandering delay reports must not move it, a host-reported gap and a lasting path change
// must, and a device clock that runs slow is measured from the callbacks' timing.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/time.h"
#include "player/device_timeline.h"

namespace lockstep {
namespace {

constexpr int kRate = 48000;
constexpr int kPeriod = 480;  // frames per callback: 10 ms

/// A device that takes kPeriod frames every period of its own clock (`drift`: how much
/// slower it runs than the monotonic clock), heard `delay_ns` after each callback, whose
/// host API reports that delay plus `report_error(t)`.
struct SimDevice {
  double drift = 0.0;
  int64_t delay_ns = 40 * kNsPerMs;
  int64_t gap_frames_lost_ns = 0;  // time lost at gaps so far
  int64_t gaps = 0;
  int64_t frames = 0;
  std::mt19937 rng{7};

  /// The reading of the callback that takes device frame `frames`, and when it is read.
  AudioClock callback(int64_t report_error_ns) {
    const int64_t ideal = int64_t(double(frames) * 1e9 / kRate * (1.0 + drift)) + gap_frames_lost_ns;
    // Callbacks run late by 0..3 ms (scheduling), never early.
    const int64_t late = std::uniform_int_distribution<int64_t>(0, 3 * kNsPerMs)(rng);
    AudioClock c;
    c.valid = true;
    c.device_frames = frames;
    c.frames_consumed = frames;
    c.callback_ns = kNsPerSec + ideal + late;
    c.dac_ns = kNsPerSec + ideal + delay_ns + report_error_ns;
    c.gaps = gaps;
    frames += kPeriod;
    return c;
  }
  /// When device frame `f` is truly heard.
  int64_t truth(int64_t f) const {
    return kNsPerSec + int64_t(double(f) * 1e9 / kRate * (1.0 + drift)) + gap_frames_lost_ns + delay_ns;
  }
};

TEST(DeviceTimeline, WanderingDelayReportsDoNotMoveWhatIsHeard) {
  SimDevice dev;
  DeviceTimeline tl(kRate);
  // Reports wander by up to ±8 ms over seconds (as PulseAudio's did on a busy machine),
  // averaging right over the first second.
  double worst_ms = 0;
  for (int i = 0; i < 3000; ++i) {  // 30 s
    const double t = i * 0.01;
    const int64_t err = t < 1.0 ? int64_t(std::sin(t * 40) * 2e6) : int64_t(8e6 * std::sin(t / 3.0));
    const AudioClock c = dev.callback(err);
    tl.add(c, c.callback_ns);
    if (t > 1.0) worst_ms = std::max(worst_ms, std::abs(double(tl.heard_ns(c.device_frames) - dev.truth(c.device_frames))) / 1e6);
  }
  std::printf("reports wandering ±8 ms: heard time off by at most %.3f ms\n", worst_ms);
  EXPECT_LT(worst_ms, 0.5);
  EXPECT_EQ(tl.path_changes(), 0);
}

TEST(DeviceTimeline, ADeviceClockThatRunsSlowIsMeasuredFromTheCallbacks) {
  SimDevice dev;
  dev.drift = 200e-6;  // 200 ppm slow
  DeviceTimeline tl(kRate);
  double off_at_end_ms = 0;
  for (int i = 0; i < 6000; ++i) {  // 60 s
    const AudioClock c = dev.callback(0);
    tl.add(c, c.callback_ns);
    off_at_end_ms = double(tl.heard_ns(c.device_frames) - dev.truth(c.device_frames)) / 1e6;
  }
  std::printf("200 ppm slow device: drift measured %.0f ppm, heard time off by %.3f ms after 60 s\n",
              tl.drift() * 1e6, off_at_end_ms);
  EXPECT_NEAR(tl.drift(), 200e-6, 30e-6);
  EXPECT_LT(std::abs(off_at_end_ms), 1.0);  // uncorrected it would be 12 ms
}

TEST(DeviceTimeline, AGapTheHostReportsAndALastingPathChangeAreFollowed) {
  SimDevice dev;
  DeviceTimeline tl(kRate);
  auto run = [&](int callbacks) {
    AudioClock c;
    for (int i = 0; i < callbacks; ++i) {
      c = dev.callback(0);
      tl.add(c, c.callback_ns);
    }
    return double(tl.heard_ns(c.device_frames) - dev.truth(c.device_frames)) / 1e6;
  };
  EXPECT_LT(std::abs(run(300)), 0.2);
  // An xrun: the device resumes 47 ms later than its frame count says, and the host says so.
  dev.gap_frames_lost_ns += 47 * kNsPerMs;
  ++dev.gaps;
  const double after_gap = run(20);  // 0.2 s
  EXPECT_LT(std::abs(after_gap), 0.5) << "a reported gap is followed at once";
  EXPECT_EQ(tl.path_changes(), 1);
  run(200);
  // The path changes (another device): 60 ms more delay, not announced.
  dev.delay_ns += 60 * kNsPerMs;
  const double soon = run(50);  // 0.5 s: not believed yet
  EXPECT_GT(soon, -61.0);
  const double later = run(400);  // 4 s: a lasting change is a new path
  std::printf("gap: off by %.3f ms 0.2 s after; path change: %.3f ms after 0.5 s, %.3f ms after 4.5 s\n",
              after_gap, soon, later);
  EXPECT_LT(std::abs(later), 0.5);
  EXPECT_EQ(tl.path_changes(), 2);
}

}  // namespace
}  // namespace lockstep
