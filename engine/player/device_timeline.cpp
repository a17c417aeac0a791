#include "player/device_timeline.h"

#include <algorithm>
#include <cmath>

#include "core/time.h"

namespace lockstep {

DeviceTimeline::DeviceTimeline(int sample_rate, DeviceTimelineParams p) : rate_(sample_rate), p_(p) {}

void DeviceTimeline::reset() {
  have_phase_ = false;
  drift_ = 0.0;
  learning_ = true;
  learn_from_ = 0;
  learnt_.clear();
  off_since_ = 0;
  bins_.clear();
  last_device_frames_ = -1;
  last_gaps_ = -1;
  next_drift_update_ = 0;
  drift_measured_ = false;
}

void DeviceTimeline::relearn() {
  ++path_changes_;
  learning_ = true;
  learnt_.clear();
  off_since_ = 0;
  bins_.clear();  // the callbacks' timing jumped too; the drift measured so far is kept
}

int64_t DeviceTimeline::frames_ns(int64_t frames) const {
  // Split so that long streams do not overflow (frames * 1e9 would after 53 h at 48 kHz).
  return frames / rate_ * kNsPerSec + frames % rate_ * kNsPerSec / rate_;
}

int64_t DeviceTimeline::model_phase(int64_t at_ns) const {
  return phase0_ + int64_t(std::llround(drift_ * double(at_ns - t0_)));
}

int64_t DeviceTimeline::heard_ns(int64_t device_frame) const {
  const int64_t base = frames_ns(device_frame);
  // The phase at about the time the frame is heard (drift moves it by ns per second).
  return base + model_phase(base + phase0_);
}

void DeviceTimeline::add(const AudioClock& clk, int64_t now_ns) {
  if (!clk.valid) return;
  const int64_t reported = clk.dac_ns - frames_ns(clk.device_frames);
  if (last_gaps_ >= 0 && clk.gaps != last_gaps_) relearn();
  last_gaps_ = clk.gaps;
  if (learning_) {
    if (learnt_.empty()) learn_from_ = now_ns;
    learnt_.push_back(reported);
    std::vector<int64_t> sorted = learnt_;
    std::nth_element(sorted.begin(), sorted.begin() + long(sorted.size() / 2), sorted.end());
    phase0_ = sorted[sorted.size() / 2];
    t0_ = now_ns;
    have_phase_ = true;
    if (now_ns - learn_from_ >= p_.learn_ns) {
      learning_ = false;
      learnt_.clear();
    }
    learnt_at_ = now_ns;
  } else {
    // Only a lasting disagreement is a new path; wander of the reports is not.
    last_error_ns_ = reported - model_phase(now_ns);
    if (std::llabs(last_error_ns_) > p_.path_change_ns) {
      if (off_since_ == 0) off_since_ = now_ns;
      if (now_ns - off_since_ >= p_.path_change_hold_ns) relearn();
    } else {
      off_since_ = 0;
    }
  }
  // Callback timing, one entry per callback (readings repeat until the next one).
  if (clk.device_frames != last_device_frames_) {
    last_device_frames_ = clk.device_frames;
    const int64_t cb_phase = clk.callback_ns - frames_ns(clk.device_frames);
    if (bins_.empty() || clk.callback_ns - bins_.back().t >= kNsPerSec) {
      bins_.push_back({clk.callback_ns, cb_phase});
    } else {
      bins_.back().min_phase = std::min(bins_.back().min_phase, cb_phase);
    }
    while (bins_.size() > 2 && bins_.back().t - bins_.front().t > p_.drift_max_span_ns) bins_.pop_front();
  }
  if (now_ns >= next_drift_update_) {
    next_drift_update_ = now_ns + kNsPerSec;
    update_drift(now_ns);
  }
}

void DeviceTimeline::update_drift(int64_t now_ns) {
  // Complete bins only (the newest is still filling).
  if (bins_.size() < 5 || bins_[bins_.size() - 2].t - bins_.front().t < p_.drift_min_span_ns) return;
  const size_t n = bins_.size() - 1;
  double mt = 0, mp = 0;
  for (size_t i = 0; i < n; ++i) {
    mt += double(bins_[i].t - bins_.front().t) / double(n);
    mp += double(bins_[i].min_phase - bins_.front().min_phase) / double(n);
  }
  double stt = 0, stp = 0;
  for (size_t i = 0; i < n; ++i) {
    const double dt = double(bins_[i].t - bins_.front().t) - mt;
    stt += dt * dt;
    stp += dt * (double(bins_[i].min_phase - bins_.front().min_phase) - mp);
  }
  if (stt <= 0) return;
  const double drift = std::clamp(stp / stt, -p_.max_drift, p_.max_drift);
  if (!learning_) {
    if (!drift_measured_) {
      // The first measurement: the device has drifted since the phase was learnt, by this
      // drift (200 ppm over the 8 s it takes: 1.6 ms).
      phase0_ = phase0_ + int64_t(std::llround(drift * double(now_ns - learnt_at_)));
    } else {
      // Later ones refine the slope from here on: re-anchored, so the model does not jump.
      phase0_ = model_phase(now_ns);
    }
    t0_ = now_ns;
    drift_measured_ = true;
  }
  drift_ = drift;
}

}  // namespace lockstep
