// A simulated probe exchange between one client and the server, in simulated time: the
// server's clock is true time, the client's is a SimulatedClock, and the path between them
// has a base delay, jitter, loss and outages per direction. Probes are scheduled by the
// estimator's own next_probe_delay_ns(). Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/clocksync/clock_estimator.h"
#include "net/clocksync/sim_clock.h"

namespace lockstep::net::test {

/// Extra one-way delay drawn per packet, ns.
struct Jitter {
  enum class Kind { kNone, kUniform, kExponential };
  Kind kind = Kind::kNone;
  int64_t amount_ns = 0;  // uniform: ± amount; exponential: mean (always added)

  static Jitter none() { return {}; }
  static Jitter uniform(int64_t pm_ns) { return {Kind::kUniform, pm_ns}; }
  static Jitter exponential(int64_t mean_ns) { return {Kind::kExponential, mean_ns}; }
};

/// One direction of the path.
struct Leg {
  int64_t base_ns = 0;
  Jitter jitter;
};

/// A route change: during [at_ns, until_ns) of true time each leg's base delay grows by
/// its extra (negative: shrinks).
struct RouteStep {
  int64_t at_ns = 0;
  int64_t until_ns = 0;
  int64_t extra_to_server_ns = 0;
  int64_t extra_to_client_ns = 0;
};

struct SimPath {
  Leg to_server;
  Leg to_client;
  double loss = 0.0;                      // per packet, each direction
  /// Above 1: losses come in bursts of this mean length (Gilbert–Elliott, as lockstep-impair
  /// --burst), `loss` being the long-run share.
  double burst_length = 0.0;
  std::optional<RouteStep> step;
  int64_t server_turnaround_ns = 20'000;  // t3 - t2
  /// As lockstep-impair's lanes: each direction keeps its packets in order, so a packet
  /// drawn faster than the one before it waits for it (the delay is no longer independent
  /// per packet, and the fastest draws are often spent waiting).
  bool fifo = false;
  /// Other packets sharing each direction's lane (acks, status, state), per second,
  /// Poisson: with `fifo`, the probes wait behind them too.
  double cross_traffic_hz = 0.0;
  /// Share of packets held back by max(2 x jitter, 1 ms) without holding the lane up (they
  /// are overtaken), as lockstep-impair --reorder.
  double reorder = 0.0;
};

/// Every packet in flight during [start, start + length) of true time is lost.
struct Outage {
  int64_t start_ns = 0;
  int64_t length_ns = 0;
};

struct Scenario {
  std::string name;
  SimulatedClock client;  // t0 = 0: the offset holds at the start
  SimPath path;
  int64_t duration_ns = 60'000'000'000;
  std::optional<Outage> outage;
  uint64_t seed = 1;
  int64_t measure_step_ns = 1'000'000;  // how often the error is sampled (true time)
  ClockEstimatorParams params;
  /// A node that remembers its drift against this server (ClockEstimator::set_drift_prior):
  /// the true drift plus this error, with remembered_sigma; none: a first meeting.
  std::optional<double> remembered_drift_error;
  double remembered_sigma = 10e-6;  // as a node gives a memory (session_client.cpp)
};

/// One measurement of the client's view of the session clock, at true time true_ns.
struct Measurement {
  int64_t true_ns = 0;
  int64_t error_ns = 0;  // to_session(local) - true
  int64_t bound_ns = 0;  // error_bound_at(local)
  int64_t uncertainty_ns = 0;  // statistical error scale, the slew still to come included
  bool valid = false;
  bool settled = false;
  double drift = 0.0;  // estimated
  int64_t gap_resets = 0;
};

struct SimResult {
  std::vector<Measurement> measurements;  // every measure_step_ns
  int64_t probes_sent = 0;
  int64_t samples_added = 0;
  int64_t settled_at_ns = -1;  // true time at which the first burst was done
  /// Largest change of to_session(t4) caused by an add() once settled (continuity), ns.
  int64_t max_jump_ns = 0;
  /// Local times of probes sent (to check the schedule).
  std::vector<int64_t> send_true_ns;
  ClockEstimate final_estimate;
  /// True time at which a remembered drift was dropped (-1: never).
  int64_t remembered_dropped_at_ns = -1;
  double true_drift = 0.0;  // session - local drift: -drift/(1+drift) of the client clock
};

SimResult run_scenario(const Scenario& scenario);

/// Error statistics over the measurements with from_ns <= true_ns < to_ns.
struct ErrorStats {
  int64_t count = 0;
  int64_t max_abs_ns = 0;
  int64_t p99_abs_ns = 0;
  int64_t p50_abs_ns = 0;
  int64_t max_bound_ns = 0;
  int64_t bound_violations = 0;  // |error| > bound
  int64_t invalid = 0;           // measurements while the estimate was not valid
};
ErrorStats error_stats(const SimResult& result, int64_t from_ns, int64_t to_ns);

/// Estimated drift minus the true one at the last measurement before `at_ns`.
double drift_error_at(const SimResult& result, int64_t at_ns);

/// Appends one line to the report printed at the end of the scenario tests.
void report(const std::string& scenario, const std::string& phase, const ErrorStats& stats,
            const std::string& extra = {});

}  // namespace lockstep::net::test
