#include "probe_simulation.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <queue>
#include <random>

namespace lockstep::net::test {
namespace {

class PathModel {
 public:
  PathModel(const SimPath& path, std::optional<Outage> outage, uint64_t seed)
      : path_(path), outage_(outage), rng_(seed) {}

  /// One-way delay of a packet leaving at true time `depart_ns`, or nullopt if it is lost.
  std::optional<int64_t> transit(bool to_server, int64_t depart_ns) {
    Lane& lane = to_server ? up_ : down_;
    // The other traffic on this lane since the last probe went through it.
    if (path_.fifo && path_.cross_traffic_hz > 0.0) {
      std::exponential_distribution<double> gap(path_.cross_traffic_hz / 1e9);
      if (lane.next_cross_ns < 0) lane.next_cross_ns = depart_ns + static_cast<int64_t>(gap(rng_));
      while (lane.next_cross_ns <= depart_ns) {
        if (!lose(lane.bad)) pass(to_server, lane, lane.next_cross_ns);
        lane.next_cross_ns += 1 + static_cast<int64_t>(gap(rng_));
      }
    }
    if (lose(lane.bad)) {
      jitter((to_server ? path_.to_server : path_.to_client).jitter);  // drawn anyway: each seed keeps its path
      return std::nullopt;
    }
    const int64_t delay = pass(to_server, lane, depart_ns);
    if (in_outage(depart_ns) || in_outage(depart_ns + delay)) return std::nullopt;
    return delay;
  }

 private:
  struct Lane {
    bool bad = false;              // Gilbert–Elliott state
    int64_t last_release_ns = 0;   // fifo: when the last packet in order left
    int64_t next_cross_ns = -1;    // the next packet of other traffic
  };

  /// Delay of a packet (not lost) entering `lane` at depart_ns; moves the lane.
  int64_t pass(bool to_server, Lane& lane, int64_t depart_ns) {
    const Leg& leg = to_server ? path_.to_server : path_.to_client;
    int64_t base = leg.base_ns;
    if (path_.step && depart_ns >= path_.step->at_ns && depart_ns < path_.step->until_ns)
      base += to_server ? path_.step->extra_to_server_ns : path_.step->extra_to_client_ns;
    int64_t release = depart_ns + std::max<int64_t>(0, base + jitter(leg.jitter));
    if (path_.reorder > 0.0 && std::uniform_real_distribution<double>(0, 1)(rng_) < path_.reorder) {
      const int64_t spread = leg.jitter.kind == Jitter::Kind::kUniform ? leg.jitter.amount_ns : 0;
      return release + std::max<int64_t>(2 * spread, 1'000'000) - depart_ns;
    }
    if (path_.fifo) {
      release = std::max(release, lane.last_release_ns);
      lane.last_release_ns = release;
    }
    return release - depart_ns;
  }

  int64_t jitter(const Jitter& j) {
    switch (j.kind) {
      case Jitter::Kind::kNone:
        return 0;
      case Jitter::Kind::kUniform:
        return std::uniform_int_distribution<int64_t>(-j.amount_ns, j.amount_ns)(rng_);
      case Jitter::Kind::kExponential:
        return static_cast<int64_t>(
            std::exponential_distribution<double>(1.0 / double(j.amount_ns))(rng_));
    }
    return 0;
  }
  /// Independent loss, or Gilbert–Elliott bursts with `bad` the direction's state.
  bool lose(bool& bad) {
    auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; };
    if (path_.burst_length <= 1.0 || path_.loss <= 0.0 || path_.loss >= 1.0) return chance(path_.loss);
    const double leave = 1.0 / path_.burst_length;
    const double enter = path_.loss * leave / (1.0 - path_.loss);
    bad = bad ? !chance(leave) : chance(enter);
    return bad;
  }
  bool in_outage(int64_t t) const {
    return outage_ && t >= outage_->start_ns && t < outage_->start_ns + outage_->length_ns;
  }

  SimPath path_;
  Lane up_, down_;
  std::optional<Outage> outage_;
  std::mt19937_64 rng_;
};

struct Event {
  enum class Kind { kSend, kAtServer, kAtClient };
  int64_t true_ns;
  Kind kind;
  ClockSample sample;  // filled in as the probe travels
  bool operator>(const Event& o) const { return true_ns > o.true_ns; }
};

}  // namespace

SimResult run_scenario(const Scenario& sc) {
  SimResult out;
  ClockEstimator est(sc.params);
  PathModel path(sc.path, sc.outage, sc.seed);
  const SimulatedClock& clock = sc.client;
  // session - local = true - local(true); its derivative w.r.t. local time:
  out.true_drift = -clock.drift / (1.0 + clock.drift);
  if (sc.remembered_drift_error) est.set_drift_prior(out.true_drift + *sc.remembered_drift_error, sc.remembered_sigma);

  std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
  events.push(Event{0, Event::Kind::kSend, {}});

  auto handle = [&](Event ev) {
    switch (ev.kind) {
      case Event::Kind::kSend: {
        const int64_t local = clock.local_from_true(ev.true_ns);
        est.check_gap(local);
        const int64_t next_local = local + est.next_probe_delay_ns(local);
        events.push(Event{clock.true_from_local(next_local), Event::Kind::kSend, {}});
        ++out.probes_sent;
        out.send_true_ns.push_back(ev.true_ns);
        ClockSample s;
        s.t1_ns = local;
        if (auto d = path.transit(true, ev.true_ns)) {
          events.push(Event{ev.true_ns + *d, Event::Kind::kAtServer, s});
        }
        break;
      }
      case Event::Kind::kAtServer: {
        ClockSample s = ev.sample;
        s.t2_ns = ev.true_ns;  // the server's clock is true time
        s.t3_ns = ev.true_ns + sc.path.server_turnaround_ns;
        if (auto d = path.transit(false, s.t3_ns)) {
          events.push(Event{s.t3_ns + *d, Event::Kind::kAtClient, s});
        }
        break;
      }
      case Event::Kind::kAtClient: {
        ClockSample s = ev.sample;
        s.t4_ns = clock.local_from_true(ev.true_ns);
        const bool was_settled = est.estimate().settled;
        const int64_t before = est.to_session(s.t4_ns);
        est.add(s);
        ++out.samples_added;
        if (was_settled) {
          out.max_jump_ns = std::max(out.max_jump_ns, std::abs(est.to_session(s.t4_ns) - before));
        }
        if (out.settled_at_ns < 0 && est.estimate().settled) out.settled_at_ns = ev.true_ns;
        if (out.remembered_dropped_at_ns < 0 && est.estimate().remembered_drift_dropped > 0)
          out.remembered_dropped_at_ns = ev.true_ns;
        break;
      }
    }
  };

  for (int64_t t = 0; t < sc.duration_ns; t += sc.measure_step_ns) {
    while (!events.empty() && events.top().true_ns <= t) {
      Event ev = events.top();
      events.pop();
      handle(ev);
    }
    const int64_t local = clock.local_from_true(t);
    const ClockEstimate e = est.estimate();
    Measurement m;
    m.true_ns = t;
    m.error_ns = est.to_session(local) - t;
    m.bound_ns = est.error_bound_at(local);
    m.uncertainty_ns = e.uncertainty_ns + std::abs(est.mapping().slew_at(local));
    m.valid = e.valid;
    m.settled = e.settled;
    m.drift = e.drift;
    m.gap_resets = e.gap_resets;
    out.measurements.push_back(m);
  }
  out.final_estimate = est.estimate();
  return out;
}

ErrorStats error_stats(const SimResult& result, int64_t from_ns, int64_t to_ns) {
  ErrorStats st;
  std::vector<int64_t> errs;
  for (const Measurement& m : result.measurements) {
    if (m.true_ns < from_ns || m.true_ns >= to_ns) continue;
    const int64_t e = std::abs(m.error_ns);
    errs.push_back(e);
    st.max_bound_ns = std::max(st.max_bound_ns, m.bound_ns);
    if (e > m.bound_ns) ++st.bound_violations;
    if (!m.valid) ++st.invalid;
  }
  st.count = static_cast<int64_t>(errs.size());
  if (errs.empty()) return st;
  std::sort(errs.begin(), errs.end());
  st.max_abs_ns = errs.back();
  st.p99_abs_ns = errs[std::min(errs.size() - 1, errs.size() * 99 / 100)];
  st.p50_abs_ns = errs[errs.size() / 2];
  return st;
}

double drift_error_at(const SimResult& result, int64_t at_ns) {
  double drift = 0;
  for (const Measurement& m : result.measurements) {
    if (m.true_ns > at_ns) break;
    drift = m.drift;
  }
  return drift - result.true_drift;
}

void report(const std::string& scenario, const std::string& phase, const ErrorStats& st,
            const std::string& extra) {
  std::printf(
      "[ clocksync ] %-44s %-16s max %9.1f us  p99 %9.1f us  p50 %8.1f us  "
      "bound<= %9.1f us  viol %lld %s\n",
      scenario.c_str(), phase.c_str(), double(st.max_abs_ns) / 1e3, double(st.p99_abs_ns) / 1e3,
      double(st.p50_abs_ns) / 1e3, double(st.max_bound_ns) / 1e3,
      static_cast<long long>(st.bound_violations), extra.c_str());
  std::fflush(stdout);
}

}  // namespace lockstep::net::test
