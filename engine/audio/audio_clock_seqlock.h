// Private to engine/audio. Publishes the AudioClock from the audio callback to any number of
// readers without locks: a sequence lock with one writer. The writer never waits; readers
// retry in the rare case that they overlap a publish (a few ns window, once per callback).
#pragma once

#include <atomic>
#include <cstdint>

#include "audio/audio_output.h"

namespace lockstep::audio_detail {

class AudioClockSeqlock {
 public:
  /// Audio callback thread only (single writer). Wait-free.
  void publish(int64_t frames_consumed, int64_t dac_ns, int64_t device_frames, int64_t callback_ns,
               int64_t gaps) {
    const uint64_t seq = seq_.load(std::memory_order_relaxed);
    seq_.store(seq + 1, std::memory_order_relaxed);  // odd: publish in progress
    // Orders the odd sequence before the field stores (a reader that sees a new field value
    // also sees the odd sequence when it re-checks).
    std::atomic_thread_fence(std::memory_order_release);
    frames_consumed_.store(frames_consumed, std::memory_order_relaxed);
    dac_ns_.store(dac_ns, std::memory_order_relaxed);
    device_frames_.store(device_frames, std::memory_order_relaxed);
    callback_ns_.store(callback_ns, std::memory_order_relaxed);
    gaps_.store(gaps, std::memory_order_relaxed);
    seq_.store(seq + 2, std::memory_order_release);  // even: consistent again
  }

  /// Any thread. Lock-free: retries while a publish is in progress.
  AudioClock read() const {
    for (;;) {
      const uint64_t before = seq_.load(std::memory_order_acquire);
      if (before & 1U) continue;
      AudioClock clock;
      clock.frames_consumed = frames_consumed_.load(std::memory_order_relaxed);
      clock.dac_ns = dac_ns_.load(std::memory_order_relaxed);
      clock.device_frames = device_frames_.load(std::memory_order_relaxed);
      clock.callback_ns = callback_ns_.load(std::memory_order_relaxed);
      clock.gaps = gaps_.load(std::memory_order_relaxed);
      // Orders the field loads before the re-check of the sequence.
      std::atomic_thread_fence(std::memory_order_acquire);
      if (seq_.load(std::memory_order_relaxed) == before) {
        clock.valid = before != 0;  // nothing published yet
        return clock;
      }
    }
  }

 private:
  // Written by the audio callback only; the fields are atomics so that a torn read is a
  // retry, never a data race.
  std::atomic<uint64_t> seq_{0};
  std::atomic<int64_t> frames_consumed_{0};
  std::atomic<int64_t> dac_ns_{0};
  std::atomic<int64_t> device_frames_{0};
  std::atomic<int64_t> callback_ns_{0};
  std::atomic<int64_t> gaps_{0};
};

}  // namespace lockstep::audio_detail
