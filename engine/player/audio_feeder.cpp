#include "player/audio_feeder.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "core/log.h"
#include "core/time.h"

namespace lockstep {

AudioFeeder::AudioFeeder(MediaReader& reader, AudioOutput& output, Transport& transport,
                         const ClockDomain& domain, AudioSyncSettings settings)
    : reader_(reader), output_(output), transport_(transport), domain_(domain), settings_(settings),
      audio_master_(settings.audio_master), timeline_(output.sample_rate()) {}

AudioFeeder::~AudioFeeder() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void AudioFeeder::start() { thread_ = std::thread([this] { run(); }); }

int64_t AudioFeeder::next_write_heard_ns() {
  const AudioClock clk = output_.clock();
  timeline_.add(clk, monotonic_ns());
  // Until the callback applies a flush, its count still includes the flushed frames.
  const int64_t consumed = std::max(clk.valid ? clk.frames_consumed : 0, flushed_to_);
  const int64_t queued = std::max<int64_t>(0, output_.frames_written() - consumed);
  if (!clk.valid) return monotonic_ns() + 50 * kNsPerMs + queued * kNsPerSec / output_.sample_rate();
  return timeline_.heard_ns(clk.device_frames + queued);
}

void AudioFeeder::run() {
  const int rate = output_.sample_rate();
  const int channels = output_.channels();
  const std::vector<float> silence(size_t(rate / 100) * size_t(channels), 0.0f);  // 10 ms
  std::optional<AudioChunk> pending;
  size_t offset = 0;  // frames of `pending` already written
  int serial = -1;
  bool was_playing = false;
  int64_t last_check_ns = 0;
  int64_t last_resync_ns = 0;
  // Once a second at debug level: what the session correction did (for failure messages).
  int64_t report_at_ns = 0, dropped = 0, repeated = 0, err_sum_ns = 0, err_checks = 0;

  auto realign = [&] {
    output_.flush();
    flushed_to_ = output_.frames_written();
    aligned_ = false;
  };
  // With nothing queued the device's callbacks play silence of their own, and the clock
  // tells when such a callback is heard: a frame written now is heard a whole callback later
  // (12.5 ms through PulseAudio), a length the clock does not give. So before aligning on an
  // empty ring, queue silence and wait (at most 200 ms) until a callback has taken from it:
  // then the clock times frames of ours, and next_write_heard_ns() is exact.
  auto make_clock_live = [&] {
    const int64_t from = output_.frames_written();
    const AudioClock clk = output_.clock();
    if (!clk.valid || from > std::max(clk.frames_consumed, flushed_to_)) return;
    const int64_t keep = rate * 60 / 1000;  // queued: more than one callback takes
    const int64_t deadline = monotonic_ns() + 200 * kNsPerMs;
    while (!stopping_ && monotonic_ns() < deadline && output_.clock().frames_consumed <= from) {
      if (output_.frames_written() - from < keep)
        output_.write(silence.data(), silence.size() / size_t(channels));
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };

  while (!stopping_) {
    const TransportState st = transport_.state_at(domain_.to_session(monotonic_ns()));
    const bool playing = !st.paused && std::abs(st.rate - 1.0) < 1e-9;
    if (st.serial != serial) {
      serial = st.serial;
      pending.reset();
      realign();
    }
    if (!playing) {
      if (was_playing) realign();  // pause: silence at once
      was_playing = false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    was_playing = true;
    if (!pending) {
      auto chunk = reader_.audio().pop(std::chrono::milliseconds(10));
      if (!chunk || chunk->serial != serial) continue;
      // A followed state that has gone round the loop: the reader numbers from the file
      // position it was sent to, the transport counts unwrapped (as for video frames).
      if (chunk->serial == base_serial_.load())
        chunk->first_sample += int64_t(std::llround(double(base_ns_.load()) * rate / 1e9));
      pending = std::move(chunk);
      offset = 0;
    }
    const int64_t frames = int64_t(pending->samples.size()) / channels;
    if (aligned_) {
      // A gap in the decoded stream (damaged packets): realign rather than drift.
      const int64_t expected = base_sample_ + (output_.frames_written() - base_written_);
      if (std::llabs(pending->first_sample + int64_t(offset) - expected) > rate / 1000) aligned_ = false;
    }
    if (!aligned_) {
      make_clock_live();
      const int64_t heard_ns = next_write_heard_ns();
      const int64_t want =
          int64_t(std::llround(double(st.position_at(domain_.to_session(heard_ns))) * rate / 1e9));
      const int64_t first = pending->first_sample + int64_t(offset);
      if (pending->first_sample + frames <= want) {
        pending.reset();  // entirely in the past
        continue;
      }
      if (first < want) offset += size_t(want - first);
      int64_t gap = std::max<int64_t>(0, first - want);
      while (gap > 0 && !stopping_) {
        const size_t n = output_.write(silence.data(),
                                       size_t(std::min<int64_t>(gap, int64_t(silence.size()) / channels)));
        gap -= int64_t(n);
        if (n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      LS_DEBUG("audio aligned at sample {} (chunk {}, {} frames of silence first)", want,
               pending->first_sample, std::max<int64_t>(0, first - want));
      base_written_ = output_.frames_written();
      base_sample_ = pending->first_sample + int64_t(offset);
      aligned_ = true;
    }
    const size_t n = output_.write(pending->samples.data() + offset * size_t(channels),
                                   size_t(frames) - offset);
    offset += n;
    if (offset >= size_t(frames)) pending.reset();

    const int64_t now = monotonic_ns();
    if (now - last_check_ns >= 5 * kNsPerMs) {
      last_check_ns = now;
      const AudioClock clk = output_.clock();
      timeline_.add(clk, now);
      if (clk.valid && clk.frames_consumed > base_written_) {
        const int64_t heard = base_sample_ + (clk.frames_consumed - base_written_);
        const int64_t heard_at = timeline_.heard_ns(clk.device_frames);
        const int64_t err_ns =
            heard * kNsPerSec / rate - st.position_at(domain_.to_session(heard_at));
        err_sum_ns += err_ns;
        ++err_checks;
        if (now >= report_at_ns) {
          if (report_at_ns != 0 && !audio_master_.load())
            LS_DEBUG("audio sync: mean error {:+.3f} ms over {} checks, {} frames dropped, {} repeated, "
                     "{} underruns; device drift {:+.0f} ppm, reported delay {:.1f} ms ({:+.3f} ms off the "
                     "model, {} path changes)",
                     double(err_sum_ns) / double(err_checks) / 1e6, err_checks, dropped, repeated,
                     output_.underruns(), timeline_.drift() * 1e6, double(clk.dac_ns - clk.callback_ns) / 1e6,
                     double(timeline_.last_report_error_ns()) / 1e6, timeline_.path_changes());
          report_at_ns = now + kNsPerSec;
          dropped = repeated = err_sum_ns = err_checks = 0;
        }
        if (std::llabs(err_ns) > settings_.hard_resync_ns) {
          if (now - last_resync_ns > 500 * kNsPerMs) {
            LS_DEBUG("audio re-sync: heard {:.1f} ms from the transport", double(err_ns) / 1e6);
            last_resync_ns = now;
            realign();
          }
        } else if (std::llabs(err_ns) > settings_.deadband_ns && audio_master_.load()) {
          const int64_t step = std::clamp<int64_t>(int64_t(double(err_ns) * settings_.slew_gain),
                                                   -settings_.max_slew_ns, settings_.max_slew_ns);
          transport_.slew(step);
        } else if (std::llabs(err_ns) > settings_.session_deadband_ns && !audio_master_.load() && pending) {
          // Ahead (err_ns > 0: later media is heard than the session is at): play one frame
          // twice; behind: skip one frame of input.
          if (err_ns > 0 && offset > 0) {
            --offset;
            --base_sample_;
            ++repeated;
          } else if (err_ns < 0 && offset + 1 < size_t(frames)) {
            ++offset;
            ++base_sample_;
            ++dropped;
          }
        }
      }
    }
    if (n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace lockstep
