// A bounded multi-producer multi-consumer queue (mutex + condition variables) between the
// demux, decode and render threads. push() blocks while full, pop() while empty; abort()
// wakes everybody and makes both fail until reset(). Not for the audio callback.
//
// Thread-safety: every method is thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace lockstep {

template <class T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}

  /// Blocks while full. Returns false (and drops `item`) when aborted.
  bool push(T item) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return aborted_ || items_.size() < capacity_; });
    if (aborted_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }

  /// Waits up to `timeout` for an item. std::nullopt on timeout or abort.
  std::optional<T> pop(std::chrono::nanoseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!not_empty_.wait_for(lock, timeout, [&] { return aborted_ || !items_.empty(); }))
      return std::nullopt;
    if (aborted_ || items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }

  std::optional<T> try_pop() { return pop(std::chrono::nanoseconds(0)); }

  /// Drops every queued item (a seek).
  void clear() {
    std::lock_guard lock(mutex_);
    items_.clear();
    not_full_.notify_all();
  }

  /// Drops every queued item for which `keep` returns false (a seek that lets the items
  /// still to be shown before it takes effect stay).
  template <class Keep>
  void clear_except(Keep keep) {
    std::lock_guard lock(mutex_);
    std::erase_if(items_, [&](const T& item) { return !keep(item); });
    not_full_.notify_all();
  }

  void abort() {
    std::lock_guard lock(mutex_);
    aborted_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  size_t size() const {
    std::lock_guard lock(mutex_);
    return items_.size();
  }
  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  // Protected by mutex_:
  std::deque<T> items_;
  bool aborted_ = false;
};

}  // namespace lockstep
