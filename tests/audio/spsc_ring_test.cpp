// SpscFrameRing: wrap-around, counters, flush, and a two-thread stress run.
#include "audio/spsc_ring.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <thread>
#include <vector>

namespace lockstep {
namespace {

// Frame i of a test stream: channel c holds i * 10 + c (exact in float below 2^24).
std::vector<float> frames_from(int64_t first, size_t count, int channels) {
  std::vector<float> out;
  for (size_t i = 0; i < count; ++i) {
    for (int c = 0; c < channels; ++c) {
      out.push_back(static_cast<float>((first + static_cast<int64_t>(i)) * 10 + c));
    }
  }
  return out;
}

TEST(SpscFrameRing, WrapsAroundKeepingFramesInOrderAndCounting) {
  SpscFrameRing ring(5, 2);
  EXPECT_EQ(ring.capacity_frames(), 5u);
  EXPECT_EQ(ring.writable_frames(), 5u);
  EXPECT_EQ(ring.readable_frames(), 0u);

  auto a = frames_from(0, 3, 2);
  EXPECT_EQ(ring.write(a.data(), 3), 3u);
  std::vector<float> out(10, -1.0f);
  int64_t first = -1;
  EXPECT_EQ(ring.read(out.data(), 2, &first), 2u);
  EXPECT_EQ(first, 0);
  EXPECT_EQ(std::vector<float>(out.begin(), out.begin() + 4), frames_from(0, 2, 2));

  // 1 frame queued at slot 2; 4 more wrap past the end of the storage.
  auto b = frames_from(3, 6, 2);
  EXPECT_EQ(ring.write(b.data(), 6), 4u) << "only the free space is taken";
  EXPECT_EQ(ring.writable_frames(), 0u);
  EXPECT_EQ(ring.readable_frames(), 5u);
  EXPECT_EQ(ring.frames_written(), 7);

  EXPECT_EQ(ring.read(out.data(), 10, &first), 5u);
  EXPECT_EQ(first, 2);
  EXPECT_EQ(out, frames_from(2, 5, 2));
  EXPECT_EQ(ring.frames_read(), 7);
  EXPECT_EQ(ring.read(out.data(), 1, &first), 0u) << "empty";
  EXPECT_EQ(first, 7);
  EXPECT_EQ(ring.writable_frames(), 5u);
}

TEST(SpscFrameRing, CountersKeepGrowingOverManyLaps) {
  SpscFrameRing ring(7, 1);
  std::vector<float> out(7);
  int64_t next = 0;
  for (int lap = 0; lap < 100; ++lap) {
    const size_t n = 1 + static_cast<size_t>(lap % 7);
    auto in = frames_from(next, n, 1);
    ASSERT_EQ(ring.write(in.data(), n), n);
    ASSERT_EQ(ring.read(out.data(), n), n);
    ASSERT_EQ(std::vector<float>(out.begin(), out.begin() + static_cast<long>(n)), in);
    next += static_cast<int64_t>(n);
  }
  EXPECT_EQ(ring.frames_written(), next);
  EXPECT_EQ(ring.frames_read(), next);
}

TEST(SpscFrameRing, FlushDropsQueuedFramesAtTheConsumersNextRead) {
  SpscFrameRing ring(8, 2);
  auto old_frames = frames_from(0, 6, 2);
  ASSERT_EQ(ring.write(old_frames.data(), 6), 6u);
  ring.request_flush();
  // The space comes back only when the consumer acts on the flush.
  EXPECT_EQ(ring.writable_frames(), 2u);
  EXPECT_EQ(ring.frames_read(), 0);
  EXPECT_EQ(ring.readable_frames(), 0u) << "flushed frames are not readable";

  // Frames written after the flush survive it.
  auto new_frames = frames_from(100, 2, 2);
  ASSERT_EQ(ring.write(new_frames.data(), 2), 2u);
  std::vector<float> out(16, -1.0f);
  int64_t first = -1;
  EXPECT_EQ(ring.read(out.data(), 8, &first), 2u);
  EXPECT_EQ(first, 6) << "the first frame after the flush target";
  EXPECT_EQ(std::vector<float>(out.begin(), out.begin() + 4), new_frames);
  EXPECT_EQ(ring.frames_read(), 8) << "flushed frames count as consumed";
  EXPECT_EQ(ring.frames_written(), 8);
  EXPECT_EQ(ring.writable_frames(), 8u);
}

TEST(SpscFrameRing, ApplyFlushReleasesSpaceWithoutReading) {
  SpscFrameRing ring(4, 1);
  auto in = frames_from(0, 4, 1);
  ASSERT_EQ(ring.write(in.data(), 4), 4u);
  ring.request_flush();
  EXPECT_EQ(ring.writable_frames(), 0u);
  EXPECT_EQ(ring.apply_flush(), 4);
  EXPECT_EQ(ring.writable_frames(), 4u);
  EXPECT_EQ(ring.apply_flush(), 4) << "an applied flush is not applied again";
  // A flush with nothing new queued changes nothing.
  ring.request_flush();
  EXPECT_EQ(ring.apply_flush(), 4);
  EXPECT_EQ(ring.frames_read(), 4);
}

TEST(SpscFrameRing, IndicesLiveOnSeparateCacheLines) {
  EXPECT_GE(alignof(SpscFrameRing), 64u);
  EXPECT_EQ(sizeof(SpscFrameRing) % 64, 0u);
}

TEST(SpscFrameRing, TwoThreadsPassAMillionFramesInOrder) {
  constexpr int64_t kFrames = 1'000'000;
  constexpr int kChannels = 2;
  SpscFrameRing ring(1000, kChannels);  // not a power of two: exercises the modulo wrap

  std::thread producer([&] {
    std::vector<float> chunk;
    int64_t next = 0;
    uint32_t rng = 12345;
    while (next < kFrames) {
      rng = rng * 1664525u + 1013904223u;
      const size_t want =
          std::min<size_t>(1 + (rng >> 24) % 300, static_cast<size_t>(kFrames - next));
      chunk = frames_from(next, want, kChannels);
      size_t done = 0;
      while (done < want) {
        const size_t n = ring.write(chunk.data() + done * kChannels, want - done);
        if (n == 0) std::this_thread::yield();
        done += n;
      }
      next += static_cast<int64_t>(want);
    }
  });

  std::vector<float> out(500 * kChannels);
  int64_t expected = 0;
  int64_t mismatches = 0;
  uint32_t rng = 777;
  while (expected < kFrames) {
    rng = rng * 1664525u + 1013904223u;
    const size_t want = 1 + (rng >> 24) % 500;
    int64_t first = -1;
    const size_t n = ring.read(out.data(), want, &first);
    if (n == 0) {
      std::this_thread::yield();
      continue;
    }
    if (first != expected) ++mismatches;
    for (size_t i = 0; i < n; ++i) {
      for (int c = 0; c < kChannels; ++c) {
        if (out[i * kChannels + c] !=
            static_cast<float>((expected + static_cast<int64_t>(i)) * 10 + c)) {
          ++mismatches;
        }
      }
    }
    expected += static_cast<int64_t>(n);
  }
  producer.join();
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(ring.frames_written(), kFrames);
  EXPECT_EQ(ring.frames_read(), kFrames);
}

}  // namespace
}  // namespace lockstep
