#include "net/clocksync/clock_estimator.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <vector>

#include "net/clocksync/offset_fit.h"

namespace lockstep::net {
namespace {

constexpr int64_t kMaxNs = std::numeric_limits<int64_t>::max();
/// Floor of the drift prior's spread after a gap reset (temperature moves quartz by ppm).
constexpr double kMinGapPriorSigma = 2e-6;
/// A remembered drift that the samples' own drift misses by more than this many sigmas
/// (of both spreads together)...
constexpr double kRememberedDisagreement = 4.0;
/// ...for this long without a break is dropped. Early on a very noisy path the samples'
/// own drift is sometimes sure of a wrong value for a moment: without the wait, and with
/// 2.5 sigmas, memories only 20 ppm off were dropped at 12-17 s in 4 of 15 simulated runs,
/// which then took tens of seconds to come in step. With these, none of 15 simulated and 30
/// replayed real intercontinental runs drops a memory 20 ppm off, and one 300 ppm off goes
/// after 15-34 s (tests/net/clocksync: the scenarios and clocksync_replay).
constexpr int64_t kRememberedDisagreementNs = 5'000'000'000;
/// A route change lasts at least this long before the old route's samples are dropped.
constexpr int64_t kRouteChangeMinNs = 3'000'000'000;

int64_t round_ns(double v) { return static_cast<int64_t>(std::llround(v)); }

int64_t saturating_add(int64_t a, int64_t b) {
  int64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? kMaxNs : r;
}

}  // namespace

// --- ClockMapping ---

int64_t ClockMapping::offset_at(int64_t local_ns) const {
  return offset_ns_ + round_ns(drift_ * static_cast<double>(local_ns - ref_ns_));
}

int64_t ClockMapping::slew_at(int64_t local_ns) const {
  if (slew0_ns_ == 0 || local_ns >= slew_end_ns_) return 0;
  if (local_ns <= slew_start_ns_) return slew0_ns_;
  const double left = static_cast<double>(slew_end_ns_ - local_ns) /
                      static_cast<double>(slew_end_ns_ - slew_start_ns_);
  return round_ns(static_cast<double>(slew0_ns_) * left);
}

int64_t ClockMapping::to_session(int64_t local_ns) const {
  if (!known_) return local_ns;
  return local_ns + offset_at(local_ns) + slew_at(local_ns);
}

int64_t ClockMapping::to_local(int64_t session_ns) const {
  if (!known_) return session_ns;
  // to_session(l) - l changes by at most ~1e-3 per ns of l (drift plus slew), so this
  // fixed-point iteration gains three digits a round; rounding leaves it within 1 ns.
  int64_t local = session_ns;
  for (int i = 0; i < 4; ++i) {
    const int64_t next = session_ns - (to_session(local) - local);
    if (next == local) break;
    local = next;
  }
  return local;
}

int64_t ClockMapping::error_bound_at(int64_t local_ns) const {
  if (!known_) return kMaxNs;
  const double age = std::abs(static_cast<double>(local_ns - ref_ns_));
  const double grown = static_cast<double>(bound_ns_) + drift_error_ * age;
  if (grown >= static_cast<double>(kMaxNs)) return kMaxNs;
  return saturating_add(round_ns(std::ceil(grown)), std::abs(slew_at(local_ns)));
}

// --- ClockEstimator ---

ClockEstimator::ClockEstimator(ClockEstimatorParams p)
    : params_(p), drift_prior_sigma_(p.drift_prior_sigma) {
  assert(params_.window >= 1 && params_.burst_probes >= 0);
  assert(params_.burst_interval_ns > 0 && params_.steady_interval_ns > 0 &&
         params_.noisy_interval_ns > 0);
  assert(params_.max_slew_rate > 0.0 && params_.drift_prior_sigma > 0.0);
}

bool ClockEstimator::add(const ClockSample& s) {
  const int64_t delay = s.delay_ns();
  const int window_count = very_noisy() ? params_.very_noisy_window : params_.window;
  const int64_t window_span_ns =
      very_noisy() ? params_.very_noisy_window_span_ns : params_.window_span_ns;
  const bool stale = !window_.empty() && s.t4_ns < last_arrival_ns_ - window_span_ns;
  if (s.t4_ns < s.t1_ns || s.t3_ns < s.t2_ns || delay < 0 || delay > params_.max_delay_ns ||
      stale) {
    ++rejected_;
    return false;
  }
  if (!window_.empty() && s.t4_ns - last_arrival_ns_ >= params_.gap_reset_ns) {
    restart_after_gap();
  }

  // A new route: samples far above, or far below, the window's best round trip, for a while
  // (8 samples and 3 s at least) and at one level (most within the margin of their median:
  // a queue that builds up during an upload spreads them out and is not a new route). The
  // old route's samples go, and so do those that crossed the change; the drift carries over
  // as the prior (as after a gap). Below is the dangerous way: a sample that went out on
  // the slow route and came back on the fast one looks better than anything in the window
  // but is off by half the change, so samples far below are not published (for 3 s at
  // most) until the run is confirmed or broken.
  bool hold = false;
  bool new_route = false;
  if (fit_ && settled_) {
    // The best delay and the margin are those from before the run began, frozen for the
    // run: the run's own samples raise the window's jitter (more so the faster the probes),
    // which must not talk the estimator out of the change it is watching.
    const int64_t margin = high_run_ != 0 ? run_margin_ns_
                                          : std::max<int64_t>(params_.route_change_min_ns,
                                                              round_ns(params_.route_change_jitters * double(fit_->jitter_ns)));
    const int64_t ref = high_run_ == 0 ? fit_->min_delay_ns : run_ref_ns_;
    const int dir = delay > ref + margin ? 1 : delay < ref - margin ? -1 : 0;
    // A reply to a probe sent before the run's first one neither breaks nor extends it:
    // when the route gets faster, probes still on the old route arrive after the first one
    // on the new route, and must not end the hold on the crossing sample.
    const bool straggler = high_run_ != 0 && s.t1_ns < run_first_t1_ns_;
    if (!straggler && (dir == 0 || (high_run_ != 0 && (dir > 0) != (high_run_ > 0)))) {
      high_run_ = 0;
      run_delays_.clear();
    }
    if (!straggler && dir != 0) {
      if (high_run_ == 0) {
        run_ref_ns_ = ref;
        run_margin_ns_ = margin;
        run_start_ns_ = s.t4_ns;
        run_first_t1_ns_ = s.t1_ns;
      }
      high_run_ += dir;
      if (run_delays_.size() < 256) run_delays_.push_back(delay);
    }
    const int run = std::abs(high_run_);
    const bool long_enough = run >= params_.route_change_samples && s.t4_ns - run_start_ns_ >= kRouteChangeMinNs;
    hold = high_run_ < 0 && s.t4_ns - run_start_ns_ < kRouteChangeMinNs;
    int64_t level = 0;
    bool one_level = false;
    if (long_enough) {
      std::vector<int64_t> d = run_delays_;
      std::nth_element(d.begin(), d.begin() + long(d.size() / 2), d.end());
      level = d[d.size() / 2];
      const auto near = std::count_if(run_delays_.begin(), run_delays_.end(),
                                      [&](int64_t x) { return std::abs(x - level) <= margin; });
      one_level = 4 * size_t(near) >= 3 * run_delays_.size();
    }
    if (long_enough && one_level && static_cast<int>(window_.size()) >= run) {
      const size_t keep = size_t(run - 1);  // the run so far; this sample joins below
      while (window_.size() > keep) window_.pop_front();
      // Only samples at the new route's level stay (not those that crossed the change).
      std::erase_if(window_, [&](const ClockSample& w) { return std::abs(w.delay_ns() - level) > margin; });
      // The drift carries over as the prior, unless a remembered one is still on trial
      // (the fit leans on it: it would become a narrower prior no longer checked).
      if (!remembered_prior_) {
        drift_prior_ = fit_->drift;
        drift_prior_sigma_ = std::clamp(2.0 * fit_->drift_sd, kMinGapPriorSigma, params_.drift_prior_sigma);
      }
      high_run_ = 0;
      run_delays_.clear();
      slew_route_change_ = true;
      hold = false;
      ++route_changes_;
      new_route = true;
    }
  }

  window_.push_back(s);
  last_arrival_ns_ = window_.size() == 1 ? s.t4_ns : std::max(last_arrival_ns_, s.t4_ns);
  while (window_.size() > 1 &&
         (static_cast<int>(window_.size()) > window_count ||
          last_arrival_ns_ - window_.front().t4_ns > window_span_ns)) {
    window_.pop_front();
  }
  ++samples_since_reset_;
  after_gap_ = false;
  // On a very noisy path, once settled, the window is refitted every
  // very_noisy_refit_interval_ns rather than for every reply (40 a second, thousands of
  // samples each): the samples in between wait in the window for the next fit.
  if (fit_ && settled_ && !new_route && very_noisy() && s.t4_ns >= fit_->ref_ns &&
      s.t4_ns - fit_->ref_ns < params_.very_noisy_refit_interval_ns)
    return true;
  // Samples that no single drift explains together with the new one belong to another
  // regime (the clock's rate moved, or exceeds max_drift): the oldest go first.
  while (window_.size() > 1 && !detail::samples_consistent(window_, params_.max_drift)) {
    window_.pop_front();
    ++dropped_;
  }

  fit_ = fit_window(last_arrival_ns_);
  const bool disagrees = remembered_prior_ && std::isfinite(fit_->data_drift_sd) &&
                         std::abs(fit_->data_drift - drift_prior_) >
                             kRememberedDisagreement * std::hypot(fit_->data_drift_sd, drift_prior_sigma_);
  if (!disagrees) remembered_disagree_since_ns_.reset();
  else if (!remembered_disagree_since_ns_) remembered_disagree_since_ns_ = last_arrival_ns_;
  if (disagrees && last_arrival_ns_ - *remembered_disagree_since_ns_ >= kRememberedDisagreementNs) {
    remembered_prior_ = false;
    remembered_disagree_since_ns_.reset();
    ++remembered_dropped_;
    drift_prior_ = 0.0;
    drift_prior_sigma_ = params_.drift_prior_sigma;
    fit_ = fit_window(last_arrival_ns_);
  }
  // After a gap reset the old mapping, extrapolated, beats a fit of one or two samples.
  const bool publishable = !hold && (!mapping_.known() || !settled_ ||
                                     static_cast<int>(window_.size()) >= params_.min_valid_samples);
  if (publishable) publish(*fit_, last_arrival_ns_);
  if (samples_since_reset_ >= burst_length()) settled_ = true;
  // Once the new route has samples enough for a steady fit, corrections are as usual again.
  if (slew_route_change_ && static_cast<int>(window_.size()) >= 4 * params_.route_change_samples)
    slew_route_change_ = false;
  return true;
}

ClockEstimator::Fit ClockEstimator::fit_window(int64_t now_ns) const {
  detail::OffsetFitParams fp;
  fp.drift_prior = drift_prior_;
  fp.drift_prior_sigma = drift_prior_sigma_;
  fp.max_drift = params_.max_drift;
  fp.noise_floor_ns = static_cast<double>(params_.noise_floor_ns);
  const detail::OffsetFit f = detail::fit_offset(window_, now_ns, fp);

  Fit fit;
  fit.ref_ns = now_ns;
  fit.offset_ns = f.offset_ns;
  fit.drift = f.drift;
  fit.bound_ns = std::max(f.offset_high_ns - f.offset_ns, f.offset_ns - f.offset_low_ns);
  fit.drift_error = std::max(f.drift_high - f.drift, f.drift - f.drift_low);
  fit.drift_sd = f.drift_sd;
  fit.data_drift = f.data_drift;
  fit.data_drift_sd = f.data_drift_sd;
  fit.uncertainty_ns = round_ns(f.uncertainty_ns);
  fit.min_delay_ns = f.min_delay_ns;
  fit.jitter_ns = round_ns(f.jitter_fwd_ns + f.jitter_back_ns);
  return fit;
}

void ClockEstimator::publish(const Fit& fit, int64_t now_ns) {
  ClockMapping next;
  next.known_ = true;
  next.ref_ns_ = fit.ref_ns;
  next.offset_ns_ = fit.offset_ns;
  next.drift_ = fit.drift;
  next.bound_ns_ = fit.bound_ns;
  next.drift_error_ = fit.drift_error;
  // During the first burst there is nothing to be continuous with: replace outright.
  if (mapping_.known() && settled_) {
    const int64_t slew = mapping_.to_session(now_ns) - next.to_session(now_ns);
    const int64_t step_at = slew_route_change_ ? params_.route_change_max_slew_ns : params_.step_threshold_ns;
    if (std::abs(slew) > step_at) {
      ++steps_;
    } else if (slew != 0) {
      next.slew0_ns_ = slew;
      next.slew_start_ns_ = now_ns;
      next.slew_end_ns_ =
          now_ns +
          std::max<int64_t>(1, round_ns(std::ceil(std::abs(double(slew)) / params_.max_slew_rate)));
    }
  }
  mapping_ = next;
}

void ClockEstimator::restart_after_gap() {
  if (fit_ && !remembered_prior_) {
    // The drift outlives a network outage: it becomes the prior, with twice its spread
    // (a remembered drift still on trial stays the prior, and on trial).
    drift_prior_ = fit_->drift;
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

void ClockEstimator::set_drift_prior(double drift, double sigma) {
  if (!std::isfinite(drift) || !std::isfinite(sigma)) return;
  drift_prior_ = std::clamp(drift, -params_.max_drift, params_.max_drift);
  drift_prior_sigma_ = std::clamp(sigma, kMinGapPriorSigma, params_.drift_prior_sigma);
  remembered_prior_ = true;
}

ClockEstimate ClockEstimator::estimate() const {
  ClockEstimate e;
  e.samples = static_cast<int>(window_.size());
  e.valid = e.samples >= params_.min_valid_samples;
  e.settled = settled_;
  e.rejected = rejected_;
  e.dropped = dropped_;
  e.gap_resets = gap_resets_;
  e.steps = steps_;
  e.route_changes = route_changes_;
  e.remembered_drift = remembered_prior_;
  e.remembered_drift_dropped = remembered_dropped_;
  if (fit_) {
    e.drift_sd = fit_->drift_sd;
    e.data_drift_sd = fit_->data_drift_sd;
    e.offset_ns = fit_->offset_ns;
    e.drift = fit_->drift;
    e.ref_local_ns = fit_->ref_ns;
    e.min_delay_ns = fit_->min_delay_ns;
    e.error_bound_ns = fit_->bound_ns;
    e.drift_error = fit_->drift_error;
    e.jitter_ns = fit_->jitter_ns;
    e.uncertainty_ns = fit_->uncertainty_ns;
  } else if (mapping_.known()) {  // after a gap reset: what is still in force
    e.offset_ns = mapping_.offset_ns_;
    e.drift = mapping_.drift_;
    e.ref_local_ns = mapping_.ref_ns_;
    e.error_bound_ns = mapping_.bound_ns_;
    e.drift_error = mapping_.drift_error_;
  }
  if (mapping_.known()) {
    e.slew_ns = mapping_.to_session(e.ref_local_ns) - (e.ref_local_ns + e.offset_ns);
  }
  return e;
}

bool ClockEstimator::very_noisy() const {
  return fit_ && fit_->jitter_ns > params_.very_noisy_jitter_ns;
}

int ClockEstimator::burst_length() const {
  // Decided once the ordinary burst is in: a very noisy path needs many more samples.
  if (samples_since_reset_ >= params_.burst_probes && very_noisy())
    return std::max(params_.burst_probes, params_.very_noisy_burst_probes);
  return params_.burst_probes;
}

bool ClockEstimator::valid() const {
  return static_cast<int>(window_.size()) >= params_.min_valid_samples;
}

int64_t ClockEstimator::next_probe_delay_ns(int64_t now_local_ns) const {
  const bool gap_due = !window_.empty() && now_local_ns - last_arrival_ns_ >= params_.gap_reset_ns;
  if (after_gap_ || gap_due) return params_.steady_interval_ns;  // until the server answers
  if (samples_since_reset_ < burst_length()) return params_.burst_interval_ns;
  if (very_noisy()) return params_.very_noisy_interval_ns;
  if (fit_ && fit_->jitter_ns > params_.noisy_jitter_ns) return params_.noisy_interval_ns;
  return params_.steady_interval_ns;
}

}  // namespace lockstep::net
