// Private to net/clocksync: the fit of offset and drift to a window of four-timestamp
// samples, and the region of (offset, drift) that the samples allow.
//
// Causality alone says, for every sample, with off(l) = session - local at local time l:
//   off(t1) <= t2 - t1    (the probe took d_fwd >= 0 to arrive)
//   off(t4) >= t3 - t4    (the reply took d_back >= 0 to arrive)
// With off(l) = a + b * l (constant drift over the window), the forward points bound the
// line from above and the backward points from below. Network delays are one-sided: a
// packet is never early, only late by a random amount above the path's minimum. So the
// points closest to the line, the envelope of each direction, carry the information; the
// rest mostly tell how large the jitter is (Moon, Skelly and Towsley, "Estimation and
// removal of clock skew from network delay measurements", 1999, fit the envelope by linear
// programming). Here:
//  - the drift is that envelope slope per direction (the slope that minimises the
//    direction's total delay above its envelope), each direction counted by how sharp its
//    envelope is at both ends of the window, combined with a Gaussian prior by precision:
//    its error falls like 1/N with N samples where a least-squares line's falls like
//    1/sqrt(N), and the prior keeps a short window from following two extreme points. A
//    direction whose envelope is far from one line in a quarter of the window (a level
//    shift in that direction only) is left to the other; a weighted least-squares slope
//    stands in below 64 samples, when both directions shift, or when it disagrees;
//  - the offset is midway between the two envelopes at that drift, each sample charged for
//    the drift's uncertainty over its distance from now;
//  - the bounds are exact: every (offset, drift) no sample's causality rules out.
#pragma once

#include <cstdint>
#include <deque>

#include "net/clocksync/clock_estimator.h"

namespace lockstep::net::detail {

struct OffsetFitParams {
  double drift_prior = 0.0;        // centre of the prior on the drift
  double drift_prior_sigma = 1.0;  // its 1-sigma spread
  double max_drift = 500e-6;       // |drift| assumed below this
  double noise_floor_ns = 1000.0;  // smallest mean jitter assumed per direction
};

struct OffsetFit {
  int64_t offset_ns = 0;      // estimate of off(now)
  double drift = 0.0;         // estimate of d off / d local
  int64_t offset_low_ns = 0;  // the samples allow off(now) in [low, high]
  int64_t offset_high_ns = 0;
  double drift_low = 0.0;  // ... and the drift in [low, high] (within ±max_drift)
  double drift_high = 0.0;
  double drift_sd = 0.0;       // statistical 1-sigma of the drift estimate
  double data_drift = 0.0;     // the samples' drift without the prior, and its 1-sigma
  double data_drift_sd = 0.0;  // (infinite when the samples say nothing about it)
  double uncertainty_ns = 0.0;  // statistical error scale of offset_ns (not a bound)
  double jitter_fwd_ns = 0.0;  // mean delay above the envelope, per direction
  double jitter_back_ns = 0.0;
  int64_t min_delay_ns = 0;  // lowest round trip in the window
};

/// True when some line with |drift| <= max_drift satisfies every sample's causality
/// constraints: the samples agree with one constant-drift clock.
bool samples_consistent(const std::deque<ClockSample>& samples, double max_drift);

/// Fits off(l) around local time `now_ns` (normally the newest t4). Requires a non-empty,
/// consistent window.
OffsetFit fit_offset(const std::deque<ClockSample>& samples, int64_t now_ns,
                     const OffsetFitParams& params);

}  // namespace lockstep::net::detail
