// The session clock as seen from one client: an estimate of the server's monotonic clock
// built from NTP-style four-timestamp probes (DESIGN.md, "Time model").
//
// A probe leaves the client at local time t1, the server stamps its receive t2 and send t3
// on its own clock, and the reply reaches the client at local t4. Each such sample gives
//   offset θ = ((t2 - t1) + (t3 - t4)) / 2     (session - local, at the local midpoint)
//   delay  δ = (t4 - t1) - (t3 - t2)            (round trip spent on the network)
// and, whatever the path, causality pins the true offset: off(t1) <= t2 - t1 and
// off(t4) >= t3 - t4, so it lies within θ ± δ/2.
//
// Filter (net/clocksync/offset_fit.h): the window's forward points (t1, t2 - t1) bound the
// offset line from above and its backward points (t4, t3 - t4) from below. Delays are
// one-sided (never early, sometimes late), so the points nearest each envelope, the
// lowest-delay samples of each direction, carry the information (the envelope view of
// Moon, Skelly and Towsley's skew estimation). The drift is each direction's envelope
// slope, counted by how sharp the envelope is, combined with a Gaussian prior so that a
// short or noisy window does not invent one; the offset is the
// midpoint between the two envelopes at that drift, with far samples charged for the
// drift's uncertainty so that recent ones decide when it is large. The error bound is not a
// statistic: it is the range of lines that no sample contradicts. What callers see moves
// continuously: a new fit is slewed in at a bounded rate instead of jumping
// (ClockEstimatorParams::max_slew_rate).
//
// Probe scheduling follows Snapcast's time_provider: a burst at connect, a steady rate
// after (faster while the path is noisy, faster still and a longer first burst while it is
// very noisy), and a fresh start after a long silence.
//
// All times are int64 nanoseconds; local times are the node's monotonic clock
// (core/time.h), session times the server's.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace lockstep::net {

/// One four-timestamp exchange, ns. t1, t4: client's local clock; t2, t3: server's clock.
struct ClockSample {
  int64_t t1_ns = 0;  // client sent the probe
  int64_t t2_ns = 0;  // server received it
  int64_t t3_ns = 0;  // server sent the reply
  int64_t t4_ns = 0;  // client received the reply

  /// θ: session - local at the sample's local midpoint, ns.
  int64_t offset_ns() const { return ((t2_ns - t1_ns) + (t3_ns - t4_ns)) / 2; }
  /// δ: round-trip time on the network (server turnaround excluded), ns.
  int64_t delay_ns() const { return (t4_ns - t1_ns) - (t3_ns - t2_ns); }
  /// Local time the offset refers to: midway between send and receive, ns.
  int64_t local_mid_ns() const { return t1_ns + (t4_ns - t1_ns) / 2; }
};

/// Tuning of a ClockEstimator. The defaults suit a LAN and the internet alike.
struct ClockEstimatorParams {
  // --- probe schedule ---
  /// Samples to collect quickly at connect and after a gap reset.
  int burst_probes = 16;
  /// Interval between probes during a burst, ns.
  int64_t burst_interval_ns = 20'000'000;  // 20 ms
  /// Interval between probes once the burst is done, on a quiet path, ns.
  int64_t steady_interval_ns = 500'000'000;  // 500 ms
  /// Interval on a noisy path (jitter_ns above noisy_jitter_ns), ns. With 5 ms of jitter one
  /// sample pins the offset to a few ms at best; only many average that down. Simulated
  /// 20 ms ± 5 ms paths: at 2 Hz the error peaks at 2.7 ms and still exceeds 1 ms after
  /// 30 s; at 10 Hz it stays under 1 ms (tests/net/clocksync/sync_scenarios_test.cpp).
  /// A probe is ~100 bytes on the wire: 10 Hz costs 1 kB/s each way.
  int64_t noisy_interval_ns = 100'000'000;  // 100 ms
  /// Mean delay above the path's best (both directions summed) from which a path counts as
  /// noisy, ns. Loopback and wired LANs stay far below; Wi-Fi and the internet do not.
  int64_t noisy_jitter_ns = 1'000'000;  // 1 ms
  /// A very noisy path (intercontinental: ± 25 ms each way sums to ~50 ms here) from this
  /// jitter on: probes at very_noisy_interval_ns, and the first burst goes on to
  /// very_noisy_burst_probes before the estimate counts as settled. The envelope of N
  /// samples with jitter of width W sits about W / N above the path's floor, so only many
  /// samples pin it; 16 leave ~2 ms, which would take seconds to slew out.
  int64_t very_noisy_jitter_ns = 20'000'000;  // 20 ms
  /// 40 probes a second: ~4 kB/s each way.
  int64_t very_noisy_interval_ns = 25'000'000;  // 25 ms
  int very_noisy_burst_probes = 128;
  /// No accepted sample for this long → forget the window and burst again, ns.
  int64_t gap_reset_ns = 10'000'000'000;  // 10 s

  // --- filter ---
  /// Samples kept: the most recent ones, at most this many...
  int window = 512;
  /// ...and none that arrived more than this before the newest, ns. At the quiet rate the
  /// window holds 64 samples over 32 s; at the noisy rate, 320.
  int64_t window_span_ns = 32'000'000'000;  // 32 s
  /// On a very noisy path (very_noisy_jitter_ns) the window spans this much and holds this
  /// many (all of them at the very noisy rate): the envelope's slope sharpens with both the
  /// count and the span (its error falls like W / (N T)).
  /// 128 s rather than 64: when a sample that pinned one end of the envelope leaves the
  /// window, the slope follows the next-best end, and with only ~17 replies a second near
  /// the floor in each direction (lockstep-impair's ordered lanes) that moved the drift by
  /// 20 ppm and the clock by 0.75 ms in a real run at 75 s; replayed with 128 s, the worst
  /// node's error p99 from 30 s on fell from 0.83 to 0.63 ms over 21 real runs. The fit
  /// is refitted every very_noisy_refit_interval_ns.
  int64_t very_noisy_window_span_ns = 128'000'000'000;  // 128 s
  int very_noisy_window = 5120;
  /// ...and, once settled, is refitted at most this often (replaying a real 123 s trace,
  /// 4 321 fits of windows up to that size took 2.9 s here: every reply's would cost a few
  /// % of a core).
  int64_t very_noisy_refit_interval_ns = 100'000'000;  // 100 ms
  /// The estimate is `valid` from this many samples in the window.
  int min_valid_samples = 4;
  /// Prior on the drift: 1-sigma spread around 0 (around the previous estimate after a
  /// gap reset). The fit moves the drift only as far as the samples are sure of it: with
  /// loopback-grade samples the burst already pins it to a few ppm; with 5 ms of jitter
  /// it takes seconds to tens of seconds. This replaces a fixed "fit the drift after 1 s"
  /// rule, which would waste good samples and trust bad ones.
  double drift_prior_sigma = 300e-6;  // 300 ppm
  /// |drift| is assumed and clamped below this (quartz oscillators stay well inside
  /// 100 ppm each). A window that no drift within it explains loses its oldest samples.
  double max_drift = 500e-6;  // 500 ppm
  /// Floor of the per-direction noise scale that weights the samples, ns (keeps the
  /// weights finite on a jitter-free path).
  int64_t noise_floor_ns = 1'000;  // 1 µs
  /// Samples whose round trip exceeds this are rejected as stale, ns.
  int64_t max_delay_ns = 5'000'000'000;  // 5 s

  // --- route changes ---
  /// This many samples in a row whose round trip exceeds the window's best by more than
  /// the margin below mean the path changed (a new route): the samples of the old route
  /// leave the window, so that the fit follows the new one at once instead of extrapolating
  /// the old one's line until its samples age out (which made a 5 ms step in simulation).
  int route_change_samples = 8;
  /// The margin: route_change_jitters × the path's jitter, at least route_change_min_ns.
  double route_change_jitters = 4.0;
  int64_t route_change_min_ns = 5'000'000;  // 5 ms
  /// After a route change the new fit is slewed in however far it moved (up to this; a
  /// larger move is stepped): the picture never jumps for a route change.
  int64_t route_change_max_slew_ns = 50'000'000;  // 50 ms

  // --- continuity of to_session() ---
  /// A new fit is slewed in: the published mapping runs at most this much faster or
  /// slower than the fit until it has caught up (500 ppm: 1 ms in 2 s; far below what a
  /// viewer or listener notices, and within what the audio feeder resamples away).
  double max_slew_rate = 500e-6;
  /// A correction larger than this is applied at once (a step) instead: the server
  /// restarted, or the old estimate was wrong by more than is worth slewing, ns.
  int64_t step_threshold_ns = 5'000'000;  // 5 ms
};

/// A snapshot of the estimator's best fit. Offsets and bounds in ns.
struct ClockEstimate {
  bool valid = false;        // at least min_valid_samples samples in the window
  bool settled = false;      // the first burst is done: to_session() is slewed, not stepped
  int64_t offset_ns = 0;     // session - local at ref_local_ns (best fit, before slewing)
  double drift = 0.0;        // d(session - local)/d(local), e.g. 200e-6
  int64_t ref_local_ns = 0;  // local time of the newest sample's arrival (t4)
  int64_t min_delay_ns = 0;  // lowest round-trip delay in the window
  /// Bound on |fit - truth| at ref_local_ns: the fit's distance to the farthest offset
  /// that some line through the window's causality constraints allows (drift within
  /// ±max_drift). About half the lowest round trip on a good path, never less than the
  /// unknowable part: a constant asymmetry of the path looks exactly like an offset.
  int64_t error_bound_ns = 0;
  double drift_error = 0.0;  // same kind of bound on |drift - truth|
  int64_t jitter_ns = 0;     // mean delay above the path's best, both directions summed
  /// How far off the fit probably is (a statistical scale, not a bound): the drift's
  /// uncertainty over the distance to the samples that pin the offset, plus how sharply
  /// they do. On loopback microseconds; on a path with ± 25 ms of jitter about 1 ms
  /// after a join, falling under 0.5 ms as the drift becomes known (tens of seconds).
  int64_t uncertainty_ns = 0;
  int64_t slew_ns = 0;       // to_session(ref) - (ref + offset): correction still slewing
  int samples = 0;           // samples in the window
  int64_t rejected = 0;      // nonsense samples refused       } since construction
  int64_t dropped = 0;       // old samples no drift explains  } or reset()
  int64_t gap_resets = 0;    // gap resets
  int64_t steps = 0;         // corrections stepped instead of slewed (after settling)
  int64_t route_changes = 0;  // paths seen to change (old samples dropped)
  double drift_sd = 0.0;      // statistical 1-sigma of `drift` (not a bound)
  /// A remembered drift (set_drift_prior) is still the prior; false once the samples
  /// contradicted it (counted in remembered_drift_dropped).
  bool remembered_drift = false;
  int64_t remembered_drift_dropped = 0;
  /// What the samples alone say of the drift: its 1-sigma (infinite while they say nothing).
  /// Below a remembered drift's spread, the samples decide and the fit can be remembered.
  double data_drift_sd = 0.0;
};

/// The local → session mapping a ClockEstimator publishes: its fit line plus a correction
/// still being slewed in. A plain value: copy it to the threads that need session time (the
/// render loop, the audio feeder) through a mutex or a seqlock; a copy is then safe to use
/// from any thread. Before the first sample it is the identity.
class ClockMapping {
 public:
  /// False before the estimator's first sample (to_session is then the identity).
  bool known() const { return known_; }
  /// Session time at local time `local_ns`. Never decreases: it advances at 1 ± (drift +
  /// max_slew_rate) of local time, within 0.1 %.
  int64_t to_session(int64_t local_ns) const;
  /// Inverse of to_session(): to_local(to_session(x)) is x within 1 ns.
  int64_t to_local(int64_t session_ns) const;
  /// Bound on |to_session(local_ns) - truth|: the fit's bound, grown by its drift bound
  /// with the distance from the fit's reference time, plus the correction still pending.
  /// INT64_MAX while not known().
  int64_t error_bound_at(int64_t local_ns) const;
  /// The correction still being slewed in at local_ns (0 once caught up).
  int64_t slew_at(int64_t local_ns) const;

 private:
  friend class ClockEstimator;
  int64_t offset_at(int64_t local_ns) const;  // of the fit line

  bool known_ = false;
  int64_t ref_ns_ = 0;  // fit line: offset_ns_ + drift_ * (l - ref_ns_)
  int64_t offset_ns_ = 0;
  double drift_ = 0.0;
  int64_t bound_ns_ = 0;  // at ref_ns_
  double drift_error_ = 0.0;
  int64_t slew0_ns_ = 0;  // correction at slew_start_ns_, linear down to 0 at slew_end_ns_
  int64_t slew_start_ns_ = 0;
  int64_t slew_end_ns_ = 0;
};

/// Estimates the session clock from four-timestamp samples and schedules the probes.
///
/// to_session() follows the published mapping(): fit line plus a slew correction that
/// decays linearly at max_slew_rate, so it is continuous and never runs backwards from the
/// end of the first burst on (callers need no slewing of their own), except for steps
/// larger than step_threshold_ns (counted in ClockEstimate::steps). During the first burst after
/// construction or reset() each new fit replaces the mapping outright: start playback once
/// `settled` is true. After a gap reset the old mapping stays in force (extrapolated with
/// its drift) until the new window is valid, and is then slewed onto the new fit.
///
/// Thread-safety: none; one owner (the network thread). Share results with other threads
/// by copying mapping() or estimate(), not by calling into this object.
class ClockEstimator {
 public:
  explicit ClockEstimator(ClockEstimatorParams p = {});

  /// Adds a sample; returns false (and counts it) when it is nonsense: t4 < t1, t3 < t2,
  /// negative delay, delay > max_delay_ns, or t4 older than the window's span. A sample
  /// arriving gap_reset_ns or more after the previous one first triggers a gap reset.
  /// Samples may arrive out of order.
  bool add(const ClockSample& s);

  /// The current best fit (not including the slew still in progress; see slew_ns).
  ClockEstimate estimate() const;
  /// Shorthand for estimate().valid.
  bool valid() const;

  /// The published mapping, to copy to other threads.
  const ClockMapping& mapping() const { return mapping_; }
  /// mapping().to_session(): meaningful once valid(); before the first sample it returns
  /// `local_ns`, and while not valid local plus the last known offset (and drift).
  int64_t to_session(int64_t local_ns) const { return mapping_.to_session(local_ns); }
  /// mapping().to_local(): to_local(to_session(x)) is x within 1 ns.
  int64_t to_local(int64_t session_ns) const { return mapping_.to_local(session_ns); }
  /// mapping().error_bound_at(): bound on |to_session(local_ns) - truth|, INT64_MAX before
  /// the first sample.
  int64_t error_bound_at(int64_t local_ns) const { return mapping_.error_bound_at(local_ns); }

  /// How long after a probe sent at `now_local_ns` to send the next one, ns:
  /// burst_interval_ns until burst_probes samples arrived since construction, reset() or a
  /// gap reset, then steady_interval_ns, or noisy_interval_ns while the path's jitter_ns
  /// exceeds noisy_jitter_ns. Once the window has gone silent for gap_reset_ns
  /// (a gap reset is due or done) and until the server answers again, the steady interval:
  /// a dead link is not flooded, and the first answer after the gap restarts the burst.
  int64_t next_probe_delay_ns(int64_t now_local_ns) const;

  /// Gap reset when no sample arrived for gap_reset_ns: the window is dropped and the
  /// burst restarts; the published mapping and the drift (as the new prior) are kept, so
  /// to_session() stays continuous. Returns true when it reset.
  bool check_gap(int64_t now_local_ns);

  /// Forgets everything (a new server): window, mapping, drift, counters.
  void reset();

  /// A drift known before the first sample, as ntpd's drift file keeps one: this node's
  /// drift against this server, remembered from an earlier session. The fit starts from
  /// `drift` ± `sigma` instead of 0 ± drift_prior_sigma (both clamped to the params'
  /// limits), and moves away from it as far as the samples are sure. Once the samples'
  /// own drift has contradicted it for a while (the server moved to another machine, or
  /// this one's clock changed) it is dropped for the usual prior; until then a wrong memory
  /// costs more than none (clock_estimator.cpp, kRememberedDisagreement). A gap or a route
  /// change keeps it on trial. reset() forgets it.
  void set_drift_prior(double drift, double sigma);

  const ClockEstimatorParams& params() const { return params_; }

 private:
  struct Fit {
    int64_t ref_ns = 0;  // the fit: offset_ns + drift * (l - ref_ns)
    int64_t offset_ns = 0;
    double drift = 0.0;
    int64_t bound_ns = 0;  // at ref_ns
    double drift_error = 0.0;
    double drift_sd = 0.0;  // statistical 1-sigma (drift_error is a hard bound)
    double data_drift = 0.0;  // the samples' own drift, without the prior, and its 1-sigma
    double data_drift_sd = 0.0;
    int64_t uncertainty_ns = 0;  // statistical error scale of offset_ns
    int64_t min_delay_ns = 0;
    int64_t jitter_ns = 0;
  };

  void restart_after_gap();
  /// Samples in the current burst: burst_probes, or very_noisy_burst_probes on a very noisy
  /// path.
  int burst_length() const;
  /// The path's jitter is above very_noisy_jitter_ns: probes, burst and window as for one.
  bool very_noisy() const;
  Fit fit_window(int64_t now_ns) const;
  void publish(const Fit& fit, int64_t now_ns);

  ClockEstimatorParams params_;
  std::deque<ClockSample> window_;  // oldest first, at most params_.window
  int samples_since_reset_ = 0;     // accepted since construction / last reset
  int64_t last_arrival_ns_ = 0;     // newest t4 in the window (meaningful if non-empty)
  bool after_gap_ = false;          // reset by a gap; waiting for the server's answer
  bool settled_ = false;            // first burst done since construction / reset()
  double drift_prior_ = 0.0;        // centre of the drift prior
  double drift_prior_sigma_;        // its spread (narrowed after a gap reset)
  bool remembered_prior_ = false;   // the prior is a remembered drift (set_drift_prior)
  std::optional<int64_t> remembered_disagree_since_ns_;  // the samples contradict it since
  int64_t remembered_dropped_ = 0;
  std::optional<Fit> fit_;          // fit of the current window
  ClockMapping mapping_;            // what to_session() follows
  int high_run_ = 0;                // samples in a row far above (+) or below (-) the best delay
  int64_t run_ref_ns_ = 0;          // the best delay when the run began (compared with, frozen)
  int64_t run_margin_ns_ = 0;       // the margin when the run began (frozen with it)
  int64_t run_start_ns_ = 0;        // t4 of the run's first sample
  int64_t run_first_t1_ns_ = 0;     // t1 of the run's first sample
  std::vector<int64_t> run_delays_;  // the run's round trips (at most 256)
  bool slew_route_change_ = false;  // the next corrections are slewed, however large
  int64_t route_changes_ = 0;
  int64_t rejected_ = 0;
  int64_t dropped_ = 0;
  int64_t gap_resets_ = 0;
  int64_t steps_ = 0;
};

}  // namespace lockstep::net
