#include "net/clocksync/offset_fit.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <vector>

namespace lockstep::net::detail {
namespace {

/// Slack for the integer rounding of the timestamps themselves, ns.
constexpr double kRoundingNs = 2.0;

/// Minimum of a convex function on [lo, hi] by golden-section search (the functions here
/// are piecewise linear plus at most a quadratic, so no derivatives).
template <class F>
double argmin_convex(F f, double lo, double hi) {
  constexpr double kInvPhi = 0.6180339887498949;
  constexpr double kTolerance = 1e-14;  // drift units: 1e-14 * 1e11 ns = 1e-3 ns
  double a = lo, b = hi;
  double c = b - kInvPhi * (b - a), d = a + kInvPhi * (b - a);
  double fc = f(c), fd = f(d);
  for (int i = 0; i < 100 && b - a > kTolerance; ++i) {
    if (fc <= fd) {
      b = d, d = c, fd = fc;
      c = b - kInvPhi * (b - a), fc = f(c);
    } else {
      a = c, c = d, fc = fd;
      d = a + kInvPhi * (b - a), fd = f(d);
    }
  }
  const double mid = 0.5 * (a + b);
  // The minimum may sit on an end of the interval (golden section only approaches it).
  double best = mid, fbest = f(mid);
  for (double x : {lo, hi}) {
    const double fx = f(x);
    if (fx < fbest) best = x, fbest = fx;
  }
  return best;
}

/// Where an increasing (decreasing) function crosses `level` between `inside` (f >= level)
/// and `outside` (f < level), by bisection; returns the last point known inside.
template <class F>
double crossing(F f, double inside, double outside, double level) {
  for (int i = 0; i < 100 && std::abs(outside - inside) > 1e-15; ++i) {
    const double mid = 0.5 * (inside + outside);
    (f(mid) >= level ? inside : outside) = mid;
  }
  return inside;
}

/// The samples as points relative to (now, base): forward points (t1, t2 - t1) bound the
/// offset line from above, backward points (t4, t3 - t4) from below.
class Envelope {
 public:
  Envelope(const std::deque<ClockSample>& samples, int64_t now_ns, int64_t base_ns) {
    const size_t n = samples.size();
    u_.reserve(n), p_.reserve(n), v_.reserve(n), q_.reserve(n);
    for (const ClockSample& s : samples) {
      u_.push_back(double(s.t1_ns - now_ns));
      p_.push_back(double((s.t2_ns - s.t1_ns) - base_ns));
      v_.push_back(double(s.t4_ns - now_ns));
      q_.push_back(double((s.t3_ns - s.t4_ns) - base_ns));
      sum_u_ += u_.back(), sum_p_ += p_.back(), sum_v_ += v_.back(), sum_q_ += q_.back();
    }
  }

  double n() const { return double(u_.size()); }
  /// Highest offset at now that drift `b` allows: under every forward point.
  double upper(double b) const {
    double m = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < u_.size(); ++i) m = std::min(m, p_[i] - b * u_[i]);
    return m;
  }
  /// Lowest offset at now that drift `b` allows: over every backward point.
  double lower(double b) const {
    double m = -std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < v_.size(); ++i) m = std::max(m, q_[i] - b * v_[i]);
    return m;
  }
  /// Room between the two envelopes at drift b; concave in b. Negative: b is impossible.
  double gap(double b) const { return upper(b) - lower(b); }
  /// Sum of the forward (backward) delays above the envelope at drift b; convex in b.
  double excess_fwd(double b) const { return (sum_p_ - b * sum_u_) - n() * upper(b); }
  double excess_back(double b) const { return n() * lower(b) - (sum_q_ - b * sum_v_); }

 private:
  std::vector<double> u_, p_, v_, q_;
  double sum_u_ = 0, sum_p_ = 0, sum_v_ = 0, sum_q_ = 0;
};

struct DriftEstimate {
  double drift = 0.0;
  double sd = 0.0;  // posterior 1-sigma
};

/// The drift, by weighted least squares per direction, combined with the prior. In each
/// direction the points lie above (forward) or below (backward) the line by their queueing
/// delay; weights 1/(s² + g²), with g a point's distance from the envelope and s the median
/// distance, favour the points near the envelope without letting two of them decide alone
/// (a pure envelope fit swings with every new extreme point). Each direction counts by its
/// own scatter, so a jitter-free direction pins the drift even when the other is noisy. The
/// precision is scaled down when the residuals scatter more than the weights assume, so a
/// short or noisy window leans on the prior instead of inventing a drift.
DriftEstimate estimate_drift(const std::deque<ClockSample>& samples, int64_t now_ns,
                             int64_t base_ns, const OffsetFitParams& params) {
  const size_t m = samples.size();
  std::vector<double> x(m), y(m), gap(m), w(m);
  const double prior_precision = 1.0 / (params.drift_prior_sigma * params.drift_prior_sigma);
  double b = params.drift_prior;
  double precision = prior_precision;
  for (int iteration = 0; iteration < 3; ++iteration) {
    double weighted_sum = prior_precision * params.drift_prior;
    precision = prior_precision;
    for (int direction = 0; direction < 2; ++direction) {
      const bool forward = direction == 0;
      double envelope = forward ? std::numeric_limits<double>::infinity()
                                : -std::numeric_limits<double>::infinity();
      for (size_t i = 0; i < m; ++i) {
        const ClockSample& s = samples[i];
        x[i] = double((forward ? s.t1_ns : s.t4_ns) - now_ns);
        y[i] = double((forward ? s.t2_ns - s.t1_ns : s.t3_ns - s.t4_ns) - base_ns);
        const double r = y[i] - b * x[i];
        envelope = forward ? std::min(envelope, r) : std::max(envelope, r);
      }
      for (size_t i = 0; i < m; ++i) gap[i] = std::abs(y[i] - b * x[i] - envelope);
      if (m < 3) continue;
      std::vector<double> sorted = gap;
      std::nth_element(sorted.begin(), sorted.begin() + m / 2, sorted.end());
      const double s = std::max(params.noise_floor_ns, sorted[m / 2]);
      double sw = 0, sx = 0, sy = 0;
      for (size_t i = 0; i < m; ++i) {
        w[i] = 1.0 / (s * s + gap[i] * gap[i]);
        sw += w[i], sx += w[i] * x[i], sy += w[i] * y[i];
      }
      const double xm = sx / sw, ym = sy / sw;
      double sxx = 0, sxy = 0;
      for (size_t i = 0; i < m; ++i) {
        sxx += w[i] * (x[i] - xm) * (x[i] - xm);
        sxy += w[i] * (x[i] - xm) * (y[i] - ym);
      }
      if (sxx <= 0) continue;
      const double slope = sxy / sxx;
      double chi2 = 0;
      for (size_t i = 0; i < m; ++i) {
        const double r = y[i] - ym - slope * (x[i] - xm);
        chi2 += w[i] * r * r;
      }
      const double direction_precision = sxx / std::max(1.0, chi2 / double(m - 2));
      weighted_sum += direction_precision * slope;
      precision += direction_precision;
    }
    b = std::clamp(weighted_sum / precision, -params.max_drift, params.max_drift);
  }
  return DriftEstimate{b, 1.0 / std::sqrt(precision)};
}

int64_t base_of(const std::deque<ClockSample>& samples) { return samples.back().offset_ns(); }

double widest_drift(const Envelope& env, double max_drift) {
  return argmin_convex([&](double b) { return -env.gap(b); }, -max_drift, max_drift);
}

}  // namespace

bool samples_consistent(const std::deque<ClockSample>& samples, double max_drift) {
  if (samples.empty()) return true;
  const Envelope env(samples, samples.back().t4_ns, base_of(samples));
  return env.gap(widest_drift(env, max_drift)) >= -kRoundingNs;
}

OffsetFit fit_offset(const std::deque<ClockSample>& samples, int64_t now_ns,
                     const OffsetFitParams& params) {
  assert(!samples.empty());
  const int64_t base = base_of(samples);
  const Envelope env(samples, now_ns, base);
  const double max_drift = params.max_drift;
  const double n = env.n();

  // The drifts the samples allow: where the envelopes do not cross.
  auto gap = [&](double b) { return env.gap(b); };
  const double widest = widest_drift(env, max_drift);
  const double level = std::min(-kRoundingNs, gap(widest));  // tolerate rounding
  const double drift_low =
      gap(-max_drift) >= level ? -max_drift : crossing(gap, widest, -max_drift, level);
  const double drift_high =
      gap(max_drift) >= level ? max_drift : crossing(gap, widest, max_drift, level);

  const DriftEstimate drift = estimate_drift(samples, now_ns, base, params);
  const double b = std::clamp(drift.drift, drift_low, drift_high);

  // Offset: midway between the two envelopes at that drift. A sample far from now is
  // worth less for the offset now by what the drift's uncertainty adds over the distance,
  // so both its points are charged that (from the sample's midpoint, so one sample alone
  // stays centred) before taking the envelopes. With an exact drift these are the plain
  // envelopes; with an uncertain one the recent samples take over.
  double up = std::numeric_limits<double>::infinity();
  double lo = -up;
  for (const ClockSample& s : samples) {
    const double u = double(s.t1_ns - now_ns), v = double(s.t4_ns - now_ns);
    const double charge = drift.sd * std::abs(double(s.local_mid_ns() - now_ns));
    up = std::min(up, double((s.t2_ns - s.t1_ns) - base) - b * u + charge);
    lo = std::max(lo, double((s.t3_ns - s.t4_ns) - base) - b * v - charge);
  }
  const double a = 0.5 * (up + lo);

  // Every line the samples allow: its value at now is between the lowest lower envelope
  // and the highest upper envelope over the allowed drifts.
  const double a_high =
      env.upper(argmin_convex([&](double x) { return -env.upper(x); }, drift_low, drift_high));
  const double a_low =
      env.lower(argmin_convex([&](double x) { return env.lower(x); }, drift_low, drift_high));

  OffsetFit fit;
  fit.offset_ns = base + std::llround(a);
  fit.drift = b;
  fit.offset_low_ns = base + static_cast<int64_t>(std::floor(std::min(a_low, a) - kRoundingNs));
  fit.offset_high_ns = base + static_cast<int64_t>(std::ceil(std::max(a_high, a) + kRoundingNs));
  fit.drift_low = drift_low;
  fit.drift_high = drift_high;
  fit.drift_sd = drift.sd;
  fit.jitter_fwd_ns = env.excess_fwd(b) / n;
  fit.jitter_back_ns = env.excess_back(b) / n;
  fit.min_delay_ns = std::numeric_limits<int64_t>::max();
  for (const ClockSample& s : samples) fit.min_delay_ns = std::min(fit.min_delay_ns, s.delay_ns());
  return fit;
}

}  // namespace lockstep::net::detail
