#include "net/clocksync/offset_fit.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <limits>
#include <vector>

namespace lockstep::net::detail {
namespace {

/// Slack for the integer rounding of the timestamps themselves, ns.
constexpr double kRoundingNs = 2.0;

/// The envelope drift's standard deviation, in units of (envelope sharpness / lever). The
/// sharpness estimate (the k-th closest point's distance / k) is itself noisy and the two
/// envelope points that decide the slope are extremes, so the plain ratio overstates the
/// precision; 4 is what the simulated matrix (uniform, exponential and bursty jitter, 16 to
/// 1024 samples) needs for the estimate to stay within about 1 sigma of the truth.
constexpr double kEnvelopeSdFactor = 4.0;
/// Below this many samples the envelope's closeness (from the few closest points of each
/// half) is too rough a guide to its precision, and the least-squares slope is used.
constexpr size_t kEnvelopeMinSamples = 64;
/// How far (in the least-squares slope's sigmas) the envelope slope may lie from it.
constexpr double kEnvelopeAgreement = 3.0;
/// A quarter of the window whose points sit this many times farther from the envelope line
/// than the second-closest quarter's: the points do not follow one line. (On one line the
/// quarters' closeness differs by a factor of a few; a level shift of a few milliseconds
/// tilts the line, which touches one point before the shift and one at the end, tens to
/// hundreds of times the closeness away from the other quarters.)
constexpr double kEnvelopeMisfit = 16.0;

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

/// The indices of x, in increasing x. The window is in arrival order, so x (send or
/// arrival times) is already sorted or nearly (a reordered reply moves a few places):
/// insertion sort, which is linear then, falling back to std::sort if it is not.
std::vector<size_t> sorted_by_x(const std::vector<double>& x) {
  std::vector<size_t> order(x.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto less = [&](size_t a, size_t c) { return x[a] < x[c]; };
  size_t moves = 0;
  const size_t budget = 8 * order.size() + 64;
  for (size_t i = 1; i < order.size(); ++i) {
    const size_t v = order[i];
    size_t j = i;
    for (; j > 0 && less(v, order[j - 1]) && moves < budget; --j, ++moves) order[j] = order[j - 1];
    order[j] = v;
    if (moves >= budget) {
      std::sort(order.begin(), order.end(), less);
      break;
    }
  }
  return order;
}

/// The vertices of the lower (or upper) convex hull of the points (x[i], y[i]), by Andrew's
/// monotone chain over `order` (sorted_by_x). min(y - b x) (max for the upper hull) over all
/// points is attained at one of them for every b, and there are a few dozen where a window
/// has a thousand points.
std::vector<size_t> convex_chain(const std::vector<double>& x, const std::vector<double>& y,
                                 const std::vector<size_t>& order, bool lower) {
  std::vector<size_t> hull;
  for (size_t i : order) {
    while (hull.size() >= 2) {
      const size_t a = hull[hull.size() - 2], c = hull.back();
      const double cross = (x[c] - x[a]) * (y[i] - y[a]) - (y[c] - y[a]) * (x[i] - x[a]);
      if (lower ? cross > 0 : cross < 0) break;
      hull.pop_back();
    }
    hull.push_back(i);
  }
  return hull;
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
    fwd_hull_ = convex_chain(u_, p_, sorted_by_x(u_), true);
    back_hull_ = convex_chain(v_, q_, sorted_by_x(v_), false);
  }

  double n() const { return double(u_.size()); }
  /// Highest offset at now that drift `b` allows: under every forward point.
  double upper(double b) const {
    double m = std::numeric_limits<double>::infinity();
    for (size_t i : fwd_hull_) m = std::min(m, p_[i] - b * u_[i]);
    return m;
  }
  /// Lowest offset at now that drift `b` allows: over every backward point.
  double lower(double b) const {
    double m = -std::numeric_limits<double>::infinity();
    for (size_t i : back_hull_) m = std::max(m, q_[i] - b * v_[i]);
    return m;
  }
  /// Room between the two envelopes at drift b; concave in b. Negative: b is impossible.
  double gap(double b) const { return upper(b) - lower(b); }
  /// Sum of the forward (backward) delays above the envelope at drift b; convex in b.
  double excess_fwd(double b) const { return (sum_p_ - b * sum_u_) - n() * upper(b); }
  double excess_back(double b) const { return n() * lower(b) - (sum_q_ - b * sum_v_); }

 private:
  std::vector<double> u_, p_, v_, q_;
  std::vector<size_t> fwd_hull_, back_hull_;  // the vertices that upper() / lower() can touch
  double sum_u_ = 0, sum_p_ = 0, sum_v_ = 0, sum_q_ = 0;
};

struct DriftEstimate {
  double drift = 0.0;
  double sd = 0.0;  // posterior 1-sigma
  double data_drift = 0.0;  // what the samples say without the prior...
  double data_sd = std::numeric_limits<double>::infinity();  // ...and its 1-sigma
};

/// One direction's slope estimate: the slope and its precision (1 / variance).
struct Slope {
  double slope = 0.0;
  double precision = 0.0;
  bool misfit = false;  // the points do not follow one line
};

/// Each direction's points: x = its local send (forward) or receive (backward) time from
/// now, y = its one-way offset observation from the base.
void direction_points(const std::deque<ClockSample>& samples, bool forward, int64_t now_ns,
                      int64_t base_ns, std::vector<double>& x, std::vector<double>& y) {
  for (size_t i = 0; i < samples.size(); ++i) {
    const ClockSample& s = samples[i];
    x[i] = double((forward ? s.t1_ns : s.t4_ns) - now_ns);
    y[i] = double((forward ? s.t2_ns - s.t1_ns : s.t3_ns - s.t4_ns) - base_ns);
  }
}

/// The drift by weighted least squares, per direction. The points lie above (forward) or
/// below (backward) the line by their queueing delay; weights 1/(s² + g²), with g a point's
/// distance from the envelope and s the median distance, favour the points near the
/// envelope. Each direction's precision is scaled down when its residuals scatter more than
/// the weights assume, so a direction whose delays do not follow one line (a level shift)
/// counts for little. Iterated with the combined drift, as the weights depend on it.
std::array<Slope, 2> least_squares_slopes(const std::deque<ClockSample>& samples,
                                          int64_t now_ns, int64_t base_ns,
                                          const OffsetFitParams& params) {
  const size_t m = samples.size();
  std::array<Slope, 2> out{};
  if (m < 3) return out;
  std::vector<double> x(m), y(m), gap(m), w(m);
  const double prior_precision = 1.0 / (params.drift_prior_sigma * params.drift_prior_sigma);
  double b = params.drift_prior;
  for (int iteration = 0; iteration < 3; ++iteration) {
    double weighted_sum = prior_precision * params.drift_prior;
    double precision = prior_precision;
    for (int direction = 0; direction < 2; ++direction) {
      const bool forward = direction == 0;
      out[direction] = Slope{};
      direction_points(samples, forward, now_ns, base_ns, x, y);
      double envelope = forward ? std::numeric_limits<double>::infinity()
                                : -std::numeric_limits<double>::infinity();
      for (size_t i = 0; i < m; ++i) {
        const double r = y[i] - b * x[i];
        envelope = forward ? std::min(envelope, r) : std::max(envelope, r);
      }
      for (size_t i = 0; i < m; ++i) gap[i] = std::abs(y[i] - b * x[i] - envelope);
      std::vector<double> sorted = gap;
      std::nth_element(sorted.begin(), sorted.begin() + long(m / 2), sorted.end());
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
      out[direction] = Slope{slope, sxx / std::max(1.0, chi2 / double(m - 2))};
      weighted_sum += out[direction].precision * slope;
      precision += out[direction].precision;
    }
    b = std::clamp(weighted_sum / precision, -params.max_drift, params.max_drift);
  }
  return out;
}

/// The drift from one direction's lower (upper) envelope, by linear programming (Moon,
/// Skelly and Towsley): the slope that minimises the direction's total delay above its
/// envelope. Delays have a floor (the path's propagation time) that the points crowd
/// against, so the envelope pins the slope far better than a least-squares line through the
/// scatter: with N points over a span T and jitter of width W its error falls like
/// W / (N T), a least-squares line's like W / (sqrt(N) T). Its precision comes from how
/// sharp the envelope is in each half of the window (the k-th closest point's distance / k,
/// about the expected distance of the closest one) over the lever between the halves.
Slope envelope_slope(const std::vector<double>& x, const std::vector<double>& y, bool forward,
                     const OffsetFitParams& params) {
  const size_t m = x.size();
  double sum_x = 0, sum_y = 0;
  for (size_t i = 0; i < m; ++i) sum_x += x[i], sum_y += y[i];
  const std::vector<size_t> order = sorted_by_x(x);
  const std::vector<size_t> hull = convex_chain(x, y, order, forward);
  auto envelope = [&](double b) {
    double e = forward ? std::numeric_limits<double>::infinity()
                       : -std::numeric_limits<double>::infinity();
    for (size_t i : hull) e = forward ? std::min(e, y[i] - b * x[i]) : std::max(e, y[i] - b * x[i]);
    return e;
  };
  auto excess = [&](double b) {
    const double total = (sum_y - b * sum_x) - double(m) * envelope(b);
    return forward ? total : -total;
  };
  // Searched beyond the limit so that a clock drifting past it gives a slope past it
  // (clamped by the caller) instead of one pinned at the edge and pulled in by the prior.
  const double b = argmin_convex(excess, -2 * params.max_drift, 2 * params.max_drift);
  const double e = envelope(b);
  // Closeness of the envelope in each half of the window (by count) gives the precision; a
  // quarter far less close than the others says the points do not follow one line (a
  // level shift tilts the envelope line, which must pass under both levels, far from the
  // points at one end).
  auto closeness = [&](size_t from, size_t to) {
    std::vector<double> gaps;
    for (size_t j = from; j < to; ++j) gaps.push_back(std::abs(y[order[j]] - b * x[order[j]] - e));
    const size_t k = std::min<size_t>(3, gaps.size());
    std::nth_element(gaps.begin(), gaps.begin() + long(k - 1), gaps.end());
    return std::max(params.noise_floor_ns, gaps[k - 1] / double(k));
  };
  auto mean_x = [&](size_t from, size_t to) {
    double sum = 0;
    for (size_t j = from; j < to; ++j) sum += x[order[j]];
    return sum / double(to - from);
  };
  const size_t half = m / 2;
  const double d1 = closeness(0, half), d2 = closeness(half, m);
  const double lever = mean_x(half, m) - mean_x(0, half);
  const double resolution2 = d1 * d1 + d2 * d2;
  // Quarters by time (the probe rate changes: a burst puts many points in a few seconds).
  std::vector<double> quarters;
  const double x0 = x[order[0]], span = x[order[m - 1]] - x0;
  size_t from = 0;
  for (int q = 1; q <= 4 && span > 0; ++q) {
    size_t to = from;
    while (to < m && (q == 4 || x[order[to]] < x0 + span * q / 4)) ++to;
    if (to > from) quarters.push_back(closeness(from, to));
    from = to;
  }
  if (quarters.size() == 4) {
    std::sort(quarters.begin(), quarters.end());
    if (quarters[3] > kEnvelopeMisfit * quarters[1]) return Slope{b, 0.0, true};
  }
  if (lever <= 0) return Slope{};
  const double sd = kEnvelopeSdFactor * std::sqrt(resolution2) / lever;
  return Slope{b, 1.0 / (sd * sd), false};
}

/// The drift: per direction the envelope slope, combined by precision with the other and
/// the prior, so a jitter-free direction pins the drift and a short window leans on the
/// prior. A direction whose delays do not follow one line — a level shift in that direction
/// only (an asymmetric route change too small to be taken as one) tilts the envelope line,
/// which must pass under both levels — is left out; if both are, or if the envelope slope
/// disagrees with the least-squares slope by more than kEnvelopeAgreement of the latter's
/// sigmas, the least-squares slope stands in: its precision already counts the misfit.
DriftEstimate estimate_drift(const std::deque<ClockSample>& samples, int64_t now_ns,
                             int64_t base_ns, const OffsetFitParams& params) {
  const size_t m = samples.size();
  const double prior_precision = 1.0 / (params.drift_prior_sigma * params.drift_prior_sigma);
  double weighted_sum = prior_precision * params.drift_prior;
  double precision = prior_precision;
  if (m >= 4) {
    const std::array<Slope, 2> ls = least_squares_slopes(samples, now_ns, base_ns, params);
    std::vector<double> x(m), y(m);
    std::array<Slope, 2> env{};
    for (int direction = 0; direction < 2; ++direction) {
      direction_points(samples, direction == 0, now_ns, base_ns, x, y);
      env[size_t(direction)] = envelope_slope(x, y, direction == 0, params);
    }
    const bool both_misfit = env[0].misfit && env[1].misfit;
    for (size_t direction = 0; direction < 2; ++direction) {
      Slope use = env[direction];
      const Slope& check = ls[direction];
      if (use.misfit && !both_misfit) continue;  // the other direction decides
      if (m < kEnvelopeMinSamples || use.misfit ||
          (check.precision > 0 &&
           std::abs(use.slope - check.slope) * std::sqrt(check.precision) > kEnvelopeAgreement))
        use = check;
      weighted_sum += use.precision * use.slope;
      precision += use.precision;
    }
  }
  const double b = std::clamp(weighted_sum / precision, -params.max_drift, params.max_drift);
  DriftEstimate out{b, 1.0 / std::sqrt(precision)};
  const double data_precision = precision - prior_precision;
  if (data_precision > 0) {
    out.data_drift = (weighted_sum - prior_precision * params.drift_prior) / data_precision;
    out.data_sd = 1.0 / std::sqrt(data_precision);
  }
  return out;
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
  //
  // How sure that is (statistically, not a bound): each side's anchor is off by what its
  // charge stands for (the drift's uncertainty over its distance from now), plus how far
  // it sits above the path's floor, which the gap to the next-best point measures (for
  // points spread evenly above a floor, the lowest sits about one spacing above it).
  const double inf = std::numeric_limits<double>::infinity();
  double up = inf, up2 = inf, up_charge = 0;
  double lo = -inf, lo2 = -inf, lo_charge = 0;
  for (const ClockSample& s : samples) {
    const double u = double(s.t1_ns - now_ns), v = double(s.t4_ns - now_ns);
    const double charge = drift.sd * std::abs(double(s.local_mid_ns() - now_ns));
    const double f = double((s.t2_ns - s.t1_ns) - base) - b * u + charge;
    const double k = double((s.t3_ns - s.t4_ns) - base) - b * v - charge;
    if (f < up) up2 = up, up = f, up_charge = charge;
    else up2 = std::min(up2, f);
    if (k > lo) lo2 = lo, lo = k, lo_charge = charge;
    else lo2 = std::max(lo2, k);
  }
  const double a = 0.5 * (up + lo);
  const double spacing_up = std::isfinite(up2) ? up2 - up : 0.0;
  const double spacing_lo = std::isfinite(lo2) ? lo - lo2 : 0.0;
  const double uncertainty = 0.5 * std::hypot(up_charge, lo_charge) + 0.5 * std::hypot(spacing_up, spacing_lo);

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
  fit.data_drift = drift.data_drift;
  fit.data_drift_sd = drift.data_sd;
  fit.uncertainty_ns = uncertainty;
  fit.jitter_fwd_ns = env.excess_fwd(b) / n;
  fit.jitter_back_ns = env.excess_back(b) / n;
  fit.min_delay_ns = std::numeric_limits<int64_t>::max();
  for (const ClockSample& s : samples) fit.min_delay_ns = std::min(fit.min_delay_ns, s.delay_ns());
  return fit;
}

}  // namespace lockstep::net::detail
