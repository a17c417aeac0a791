#include "net/clocksync/clock_estimator.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "net/clocksync/offset_fit.h"

namespace lockstep::net {
namespace {

constexpr int64_t kMaxNs = std::numeric_limits<int64_t>::max();
/// Floor of the drift prior's spread after a gap reset (temperature moves quartz by ppm).
constexpr double kMinGapPriorSigma = 2e-6;

int64_t round_ns(double v) { return static_cast<int64_t>(std::llround(v)); }

int64_t saturating_add(int64_t a, int64_t b) {
  int64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? kMaxNs : r;
}

}  // namespace

int64_t ClockEstimator::Line::offset_at(int64_t local_ns) const {
  return offset_ns + round_ns(drift * static_cast<double>(local_ns - ref_ns));
}

int64_t ClockEstimator::Mapping::slew_at(int64_t local_ns) const {
  if (slew0_ns == 0 || local_ns >= slew_end_ns) return 0;
  if (local_ns <= slew_start_ns) return slew0_ns;
  const double left = static_cast<double>(slew_end_ns - local_ns) /
                      static_cast<double>(slew_end_ns - slew_start_ns);
  return round_ns(static_cast<double>(slew0_ns) * left);
}

int64_t ClockEstimator::Mapping::to_session(int64_t local_ns) const {
  return local_ns + fit.line.offset_at(local_ns) + slew_at(local_ns);
}

ClockEstimator::ClockEstimator(ClockEstimatorParams p)
    : params_(p), drift_prior_sigma_(p.drift_prior_sigma) {
  assert(params_.window >= 1 && params_.burst_probes >= 0);
  assert(params_.burst_interval_ns > 0 && params_.steady_interval_ns > 0 &&
         params_.noisy_interval_ns > 0);
  assert(params_.max_slew_rate > 0.0 && params_.drift_prior_sigma > 0.0);
}

bool ClockEstimator::add(const ClockSample& s) {
  const int64_t delay = s.delay_ns();
  const bool stale = !window_.empty() && s.t4_ns < last_arrival_ns_ - params_.window_span_ns;
  if (s.t4_ns < s.t1_ns || s.t3_ns < s.t2_ns || delay < 0 || delay > params_.max_delay_ns ||
      stale) {
    ++rejected_;
    return false;
  }
  if (!window_.empty() && s.t4_ns - last_arrival_ns_ >= params_.gap_reset_ns) {
    restart_after_gap();
  }

  window_.push_back(s);
  last_arrival_ns_ = window_.size() == 1 ? s.t4_ns : std::max(last_arrival_ns_, s.t4_ns);
  while (window_.size() > 1 &&
         (static_cast<int>(window_.size()) > params_.window ||
          last_arrival_ns_ - window_.front().t4_ns > params_.window_span_ns)) {
    window_.pop_front();
  }
  // Samples that no single drift explains together with the new one belong to another
  // regime (the clock's rate moved, or exceeds max_drift): the oldest go first.
  while (window_.size() > 1 && !detail::samples_consistent(window_, params_.max_drift)) {
    window_.pop_front();
    ++dropped_;
  }
  ++samples_since_reset_;
  after_gap_ = false;

  fit_ = fit_window(last_arrival_ns_);
  // After a gap reset the old mapping, extrapolated, beats a fit of one or two samples.
  const bool publishable = !mapping_ || !settled_ ||
                           static_cast<int>(window_.size()) >= params_.min_valid_samples;
  if (publishable) publish(*fit_, last_arrival_ns_);
  if (samples_since_reset_ >= params_.burst_probes) settled_ = true;
  return true;
}

ClockEstimator::Fit ClockEstimator::fit_window(int64_t now_ns) const {
  detail::OffsetFitParams fp;
  fp.drift_prior = drift_prior_;
  fp.drift_prior_sigma = drift_prior_sigma_;
  fp.max_drift = params_.max_drift;
  fp.noise_floor_ns = double(params_.noise_floor_ns);
  const detail::OffsetFit f = detail::fit_offset(window_, now_ns, fp);

  Fit fit;
  fit.line = Line{now_ns, f.offset_ns, f.drift};
  fit.bound_ns = std::max(f.offset_high_ns - f.offset_ns, f.offset_ns - f.offset_low_ns);
  fit.drift_error = std::max(f.drift_high - f.drift, f.drift - f.drift_low);
  fit.drift_sd = f.drift_sd;
  fit.min_delay_ns = f.min_delay_ns;
  fit.jitter_ns = round_ns(f.jitter_fwd_ns + f.jitter_back_ns);
  return fit;
}

void ClockEstimator::publish(const Fit& fit, int64_t now_ns) {
  if (!mapping_ || !settled_) {
    mapping_ = Mapping{fit};
    return;
  }
  const int64_t slew =
      mapping_->to_session(now_ns) - (now_ns + fit.line.offset_at(now_ns));
  Mapping next{fit};
  if (std::abs(slew) > params_.step_threshold_ns) {
    ++steps_;
  } else if (slew != 0) {
    next.slew0_ns = slew;
    next.slew_start_ns = now_ns;
    next.slew_end_ns =
        now_ns + std::max<int64_t>(1, round_ns(std::ceil(std::abs(double(slew)) /
                                                         params_.max_slew_rate)));
  }
  mapping_ = next;
}

void ClockEstimator::restart_after_gap() {
  if (fit_) {
    // The drift outlives a network outage: it becomes the prior, with twice its spread.
    drift_prior_ = fit_->line.drift;
    drift_prior_sigma_ =
        std::clamp(2.0 * fit_->drift_sd, kMinGapPriorSigma, params_.drift_prior_sigma);
  }
  window_.clear();
  fit_.reset();
  samples_since_reset_ = 0;
  after_gap_ = true;
  ++gap_resets_;
}

bool ClockEstimator::check_gap(int64_t now_local_ns) {
  if (window_.empty() || now_local_ns - last_arrival_ns_ < params_.gap_reset_ns) return false;
  restart_after_gap();
  return true;
}

void ClockEstimator::reset() { *this = ClockEstimator(params_); }

ClockEstimate ClockEstimator::estimate() const {
  ClockEstimate e;
  e.samples = static_cast<int>(window_.size());
  e.valid = e.samples >= params_.min_valid_samples;
  e.settled = settled_;
  e.rejected = rejected_;
  e.dropped = dropped_;
  e.gap_resets = gap_resets_;
  e.steps = steps_;
  const Fit* f = fit_ ? &*fit_ : mapping_ ? &mapping_->fit : nullptr;
  if (f == nullptr) return e;
  e.offset_ns = f->line.offset_ns;
  e.drift = f->line.drift;
  e.ref_local_ns = f->line.ref_ns;
  e.min_delay_ns = f->min_delay_ns;
  e.error_bound_ns = f->bound_ns;
  e.drift_error = f->drift_error;
  e.jitter_ns = f->jitter_ns;
  if (mapping_) e.slew_ns = mapping_->to_session(e.ref_local_ns) - (e.ref_local_ns + e.offset_ns);
  return e;
}

bool ClockEstimator::valid() const {
  return static_cast<int>(window_.size()) >= params_.min_valid_samples;
}

int64_t ClockEstimator::to_session(int64_t local_ns) const {
  return mapping_ ? mapping_->to_session(local_ns) : local_ns;
}

int64_t ClockEstimator::to_local(int64_t session_ns) const {
  if (!mapping_) return session_ns;
  // to_session(l) - l changes by at most ~1e-3 per ns of l, so this fixed-point iteration
  // gains three digits a round; rounding leaves it within a nanosecond.
  int64_t local = session_ns;
  for (int i = 0; i < 4; ++i) {
    const int64_t next = session_ns - (mapping_->to_session(local) - local);
    if (next == local) break;
    local = next;
  }
  return local;
}

int64_t ClockEstimator::error_bound_at(int64_t local_ns) const {
  if (!mapping_) return kMaxNs;
  const Fit& f = mapping_->fit;
  const double age = std::abs(double(local_ns - f.line.ref_ns));
  const double grown = double(f.bound_ns) + f.drift_error * age;
  if (grown >= double(kMaxNs)) return kMaxNs;
  return saturating_add(round_ns(std::ceil(grown)), std::abs(mapping_->slew_at(local_ns)));
}

int64_t ClockEstimator::next_probe_delay_ns(int64_t now_local_ns) const {
  const bool gap_due =
      !window_.empty() && now_local_ns - last_arrival_ns_ >= params_.gap_reset_ns;
  if (after_gap_ || gap_due) return params_.steady_interval_ns;  // until the server answers
  if (samples_since_reset_ < params_.burst_probes) return params_.burst_interval_ns;
  if (fit_ && fit_->jitter_ns > params_.noisy_jitter_ns) return params_.noisy_interval_ns;
  return params_.steady_interval_ns;
}

}  // namespace lockstep::net
