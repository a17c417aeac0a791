// A lock-free single-producer single-consumer ring of interleaved float frames: the hand-over
// between the thread that decodes audio and the PortAudio callback. Nothing here blocks,
// locks or allocates after construction, so the consumer side is safe to call from a
// real-time audio callback.
#pragma once

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

namespace lockstep {

/// Fixed-capacity SPSC ring of frames (one frame = `channels` floats). Positions are 64-bit
/// frame counters that only grow (they never wrap in practice: 2^63 frames at 192 kHz is
/// 1.5 million years), so "written - read" is always the fill level and the counters double
/// as statistics.
///
/// Thread-safety: exactly one producer thread calls the producer methods and exactly one
/// consumer thread calls the consumer methods; the "any thread" methods may be called from
/// anywhere. Hand-over of the producer or consumer role to another thread needs external
/// synchronisation (e.g. the consumer role while the audio stream is stopped).
class SpscFrameRing {
 public:
  /// Allocates `capacity_frames * channels` floats: the ring's only allocation.
  SpscFrameRing(size_t capacity_frames, int channels)
      : capacity_(capacity_frames),
        channels_(static_cast<size_t>(channels)),
        samples_(std::make_unique<float[]>(capacity_frames * static_cast<size_t>(channels))) {
    assert(capacity_frames > 0 && channels > 0);
  }

  SpscFrameRing(const SpscFrameRing&) = delete;
  SpscFrameRing& operator=(const SpscFrameRing&) = delete;

  size_t capacity_frames() const { return capacity_; }
  int channels() const { return static_cast<int>(channels_); }

  // ---- Producer thread only ----

  /// Copies up to `frames` frames from `src` (interleaved); returns how many fitted.
  size_t write(const float* src, size_t frames) {
    const int64_t w = write_pos_.load(std::memory_order_relaxed);
    const int64_t r = read_pos_.load(std::memory_order_acquire);
    const size_t n = std::min(frames, capacity_ - static_cast<size_t>(w - r));
    if (n == 0) return 0;
    const size_t at = static_cast<size_t>(w % static_cast<int64_t>(capacity_));
    const size_t first = std::min(n, capacity_ - at);
    std::memcpy(&samples_[at * channels_], src, first * channels_ * sizeof(float));
    std::memcpy(&samples_[0], src + first * channels_, (n - first) * channels_ * sizeof(float));
    // Release: the consumer that sees the new position also sees the samples.
    write_pos_.store(w + static_cast<int64_t>(n), std::memory_order_release);
    return n;
  }

  /// Frames write() would accept now (a lower bound: the consumer only frees space).
  size_t writable_frames() const {
    const int64_t w = write_pos_.load(std::memory_order_relaxed);
    const int64_t r = read_pos_.load(std::memory_order_acquire);
    return capacity_ - static_cast<size_t>(w - r);
  }

  /// Asks the consumer to drop every frame written so far: at its next read() it moves its
  /// position to the current write position. The space comes back only then.
  void request_flush() {
    flush_to_.store(write_pos_.load(std::memory_order_relaxed), std::memory_order_release);
  }

  // ---- Consumer thread only ----

  /// Applies a pending flush, then copies up to `frames` frames into `dst`; returns how many
  /// were available. `first_frame` (optional) receives the counter of the first frame
  /// copied, i.e. frames_read() before the copy and after the flush.
  size_t read(float* dst, size_t frames, int64_t* first_frame = nullptr) {
    const int64_t r = apply_flush();
    if (first_frame != nullptr) *first_frame = r;
    const int64_t w = write_pos_.load(std::memory_order_acquire);
    const size_t n = std::min(frames, static_cast<size_t>(w - r));
    if (n == 0) return 0;
    const size_t at = static_cast<size_t>(r % static_cast<int64_t>(capacity_));
    const size_t first = std::min(n, capacity_ - at);
    std::memcpy(dst, &samples_[at * channels_], first * channels_ * sizeof(float));
    std::memcpy(dst + first * channels_, &samples_[0], (n - first) * channels_ * sizeof(float));
    // Release: the producer that sees the new position may reuse the slots we just read.
    read_pos_.store(r + static_cast<int64_t>(n), std::memory_order_release);
    return n;
  }

  /// Frames read() would return now (after a pending flush), a lower bound.
  size_t readable_frames() const {
    const int64_t r = std::max(read_pos_.load(std::memory_order_relaxed),
                               flush_to_.load(std::memory_order_acquire));
    return static_cast<size_t>(write_pos_.load(std::memory_order_acquire) - r);
  }

  /// Moves the read position to the latest flush target, if it is ahead. Returns the read
  /// position. read() does this itself; call it directly to drop flushed frames without
  /// reading (e.g. by the thread that holds the consumer role while the stream is stopped).
  int64_t apply_flush() {
    int64_t r = read_pos_.load(std::memory_order_relaxed);
    // Acquire pairs with request_flush(); the target never exceeds the write position.
    const int64_t target = flush_to_.load(std::memory_order_acquire);
    if (target > r) {
      r = target;
      read_pos_.store(r, std::memory_order_release);
    }
    return r;
  }

  // ---- Any thread ----

  /// Frames written since construction.
  int64_t frames_written() const { return write_pos_.load(std::memory_order_acquire); }
  /// Frames taken by the consumer since construction, flushed frames included.
  int64_t frames_read() const { return read_pos_.load(std::memory_order_acquire); }

 private:
  static constexpr size_t kCacheLine = 64;

  // Immutable after construction; read by both threads.
  const size_t capacity_;
  const size_t channels_;
  // Slots [read_pos_, write_pos_) (mod capacity) belong to the consumer, the rest to the
  // producer; each side touches only its own slots.
  const std::unique_ptr<float[]> samples_;

  // Written by the producer only (the consumer and other threads load it).
  alignas(kCacheLine) std::atomic<int64_t> write_pos_{0};
  // Written by the producer only: the write position at the latest request_flush().
  std::atomic<int64_t> flush_to_{0};
  // Written by the consumer only (the producer and other threads load it). On its own cache
  // line so that the two sides do not invalidate each other's counters on every update.
  // (alignas also rounds sizeof up, so nothing after the ring shares that line.)
  alignas(kCacheLine) std::atomic<int64_t> read_pos_{0};
};

}  // namespace lockstep
