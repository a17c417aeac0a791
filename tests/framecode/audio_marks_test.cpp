// Audio marks: a tone burst starts exactly on each mark sample, and the onset finder gets
// those samples back (to a fraction of a sample), also through low-level pre-echo.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "framecode/framecode.h"

namespace lockstep::framecode {
namespace {

MarkSpec spec_for(double fps, int rate, int every) {
  MarkSpec spec;
  spec.fps = fps;
  spec.sample_rate = rate;
  spec.every_frames = every;
  return spec;
}

std::vector<float> synth(const MarkSpec& spec, double seconds) {
  std::vector<float> out(size_t(seconds * spec.sample_rate));
  synth_marks(spec, 0, out.data(), out.size());
  return out;
}

/// Marks that start inside `samples` samples.
std::vector<int64_t> marks_within(const MarkSpec& spec, size_t samples) {
  std::vector<int64_t> marks;
  for (int64_t k = 0; mark_sample(spec, k) < int64_t(samples); k += spec.every_frames)
    marks.push_back(mark_sample(spec, k));
  return marks;
}

TEST(AudioMarks, MarkSampleIsTheRoundedFrameStart) {
  EXPECT_EQ(mark_sample(spec_for(30, 48000, 30), 30), 48000);
  EXPECT_EQ(mark_sample(spec_for(30000.0 / 1001, 48000, 30), 30), 48048);
  EXPECT_EQ(mark_sample(spec_for(30000.0 / 1001, 48000, 30), 1), 1602);  // 1601.6
  EXPECT_EQ(mark_sample(spec_for(24000.0 / 1001, 48000, 24), 24), 48048);
  EXPECT_EQ(mark_sample(spec_for(25, 44100, 25), 1), 1764);
  EXPECT_EQ(mark_sample(spec_for(60, 44100, 60), 1), 735);
  EXPECT_EQ(mark_sample(spec_for(30, 48000, 30), 0), 0);
}

TEST(AudioMarks, EachBurstStartsOnItsMarkSampleAndSilenceSurroundsIt) {
  const MarkSpec spec = spec_for(30000.0 / 1001, 48000, 15);
  const std::vector<float> s = synth(spec, 3.0);
  const auto burst = size_t(std::lround(spec.duration_s * spec.sample_rate));
  const auto marks = marks_within(spec, s.size());
  ASSERT_EQ(marks.size(), 6u);
  size_t loud = 0;
  for (float v : s) loud += v != 0.0f ? 1 : 0;
  for (int64_t m : marks) {
    const auto at = size_t(m);
    if (at > 0) {
      EXPECT_EQ(s[at - 1], 0.0f);
    }
    EXPECT_EQ(s[at], 0.0f);  // phase 0
    EXPECT_GT(std::abs(s[at + 1]), 0.1f);
    EXPECT_EQ(s[at + burst], 0.0f);
    float peak = 0;
    for (size_t i = at; i < at + burst; ++i) peak = std::max(peak, std::abs(s[i]));
    EXPECT_NEAR(peak, spec.amplitude, 0.01);
  }
  // Only the bursts sound (a sine has a few exact zeros inside each burst).
  EXPECT_LE(loud, marks.size() * burst);
  EXPECT_GE(loud, marks.size() * burst * 9 / 10);
}

TEST(AudioMarks, SynthesisInChunksEqualsOneCall) {
  const MarkSpec spec = spec_for(24000.0 / 1001, 44100, 12);
  const std::vector<float> whole = synth(spec, 2.0);
  for (size_t chunk : {1u, 77u, 960u, 1024u, 4410u}) {
    std::vector<float> pieces(whole.size());
    for (size_t at = 0; at < pieces.size(); at += chunk)
      synth_marks(spec, int64_t(at), pieces.data() + at, std::min(chunk, pieces.size() - at));
    EXPECT_EQ(pieces, whole) << "chunk " << chunk;
  }
}

TEST(AudioMarks, OnsetsAreTheMarkSamples) {
  for (double fps : {30.0, 30000.0 / 1001, 24000.0 / 1001, 25.0, 50.0, 60.0}) {
    for (int rate : {48000, 44100}) {
      const MarkSpec spec = spec_for(fps, rate, int(std::lround(fps)) / 2);
      const std::vector<float> s = synth(spec, 4.0);
      const auto marks = marks_within(spec, s.size());
      const auto onsets = find_mark_onsets(s.data(), s.size(), rate);
      ASSERT_EQ(onsets.size(), marks.size()) << fps << " fps, " << rate << " Hz";
      for (size_t i = 0; i < marks.size(); ++i)
        EXPECT_NEAR(onsets[i], double(marks[i]), 0.5) << fps << " fps, " << rate << " Hz";
    }
  }
}

TEST(AudioMarks, OnsetsIgnoreLowLevelPreEchoAndNoise) {
  const MarkSpec spec = spec_for(25, 48000, 25);
  std::vector<float> s = synth(spec, 5.0);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> noise(-0.01f, 0.01f);
  const auto marks = marks_within(spec, s.size());
  for (int64_t m : marks) {
    // 10 ms of pre-echo before each burst, louder than the threshold (0.05).
    for (int64_t i = std::max<int64_t>(0, m - 480); i < m; ++i)
      s[size_t(i)] += 0.08f * float(std::sin(0.26 * double(i)));
  }
  for (float& v : s) v += noise(rng);
  const auto onsets = find_mark_onsets(s.data(), s.size(), 48000);
  ASSERT_EQ(onsets.size(), marks.size());
  for (size_t i = 0; i < marks.size(); ++i) EXPECT_NEAR(onsets[i], double(marks[i]), 3.0);
}

TEST(AudioMarks, DelayedSignalGivesDelayedOnsets) {
  const MarkSpec spec = spec_for(30, 48000, 30);
  const std::vector<float> s = synth(spec, 3.0);
  std::vector<float> delayed(1234, 0.0f);
  delayed.insert(delayed.end(), s.begin(), s.end());
  const auto onsets = find_mark_onsets(delayed.data(), delayed.size(), 48000);
  ASSERT_EQ(onsets.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(onsets[i], 1234.0 + 48000.0 * double(i), 0.5);
}

TEST(AudioMarks, SilenceAndClicksHaveNoOnsets) {
  std::vector<float> s(48000 * 2, 0.0f);
  EXPECT_TRUE(find_mark_onsets(s.data(), s.size(), 48000).empty());
  s[1000] = 0.9f;
  s[30000] = -0.5f;
  s[30001] = 0.5f;
  EXPECT_TRUE(find_mark_onsets(s.data(), s.size(), 48000).empty());
}

TEST(AudioMarks, BurstsCloserThanTheGapCountOnce) {
  // Marks every 2 frames at 30 fps are 67 ms apart, less than the 100 ms gap.
  const MarkSpec spec = spec_for(30, 48000, 2);
  const std::vector<float> s = synth(spec, 1.0);
  const auto onsets = find_mark_onsets(s.data(), s.size(), 48000);
  ASSERT_EQ(onsets.size(), 1u);
  EXPECT_NEAR(onsets[0], 0.0, 0.5);
  EXPECT_EQ(find_mark_onsets(s.data(), s.size(), 48000, 0.04).size(), 15u);
}

}  // namespace
}  // namespace lockstep::framecode
