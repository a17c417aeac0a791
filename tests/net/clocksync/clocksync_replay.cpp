// Replays a node's probe exchanges, recorded in a real run with LOCKSTEP_CLOCK_TRACE beside
// LOCKSTEP_SIM_CLOCK (net/clocksync/sim_clock.h), through the clock estimator, and prints
// what the path did to each direction and how far the estimate was from the truth:
//
//   clocksync_replay TRACE [--from SECONDS] [--series] [--remembered-drift SIGMA_PPM [--drift-off PPM]]
//
// --remembered-drift starts the estimator from the trace's true drift (plus --drift-off) with
// that spread, as a node that remembers its drift against this server from an earlier
// session does.
//
// The trace holds, per accepted reply, t1 t2 t3 t4 and the true (monotonic) times of t1 and
// t4; the server's clock is the machine's monotonic clock, so each direction's true delay
// is known: forward t2 - true_t1, back true_t4 - t3. A difference between the two
// directions' lowest delays is a bias that no four-timestamp estimate can see (half of it).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <deque>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "net/clocksync/clock_estimator.h"

namespace {

using lockstep::net::ClockEstimator;
using lockstep::net::ClockSample;

struct Row {
  ClockSample s;
  int64_t true_t1 = 0;
  int64_t true_t4 = 0;
  int64_t fwd() const { return s.t2_ns - true_t1; }
  int64_t back() const { return true_t4 - s.t3_ns; }
};

double ms(double ns) { return ns / 1e6; }

double quantile(std::vector<int64_t> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return double(v[std::min(v.size() - 1, size_t(q * double(v.size())))]);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: clocksync_replay TRACE [--from SECONDS] [--series] [--remembered-drift SIGMA_PPM [--drift-off PPM]]\n");
    return 2;
  }
  double from_s = 10.0;
  bool series = false;  // --series: one line per reply, "t_s error_ms uncertainty_ms"
  double remembered_sigma_ppm = 0, drift_off_ppm = 0;
  for (int i = 2; i < argc; ++i) {
    if (std::string(argv[i]) == "--from" && i + 1 < argc) from_s = std::atof(argv[++i]);
    else if (std::string(argv[i]) == "--series") series = true;
    else if (std::string(argv[i]) == "--remembered-drift" && i + 1 < argc) remembered_sigma_ppm = std::atof(argv[++i]);
    else if (std::string(argv[i]) == "--drift-off" && i + 1 < argc) drift_off_ppm = std::atof(argv[++i]);
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::fprintf(stderr, "clocksync_replay: cannot open %s\n", argv[1]);
    return 1;
  }
  std::vector<Row> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    Row r;
    int64_t t1, t2, t3, t4, a, b;
    if (!(ls >> t1 >> t2 >> t3 >> t4 >> a >> b)) continue;
    r.s = {t1, t2, t3, t4};
    r.true_t1 = a;
    r.true_t4 = b;
    rows.push_back(r);
  }
  if (rows.empty()) {
    std::fprintf(stderr, "clocksync_replay: no samples in %s\n", argv[1]);
    return 1;
  }
  const int64_t start = rows.front().true_t1;
  std::printf("%zu samples over %.1f s\n", rows.size(), double(rows.back().true_t4 - start) / 1e9);

  // The path, per 10 s: each direction's lowest delays.
  std::printf("%8s %10s %10s %10s %10s %12s\n", "from s", "fwd min", "fwd p1", "back min", "back p1",
              "(f-b)/2 min");
  for (int64_t w = 0;; ++w) {
    std::vector<int64_t> f, b;
    for (const Row& r : rows) {
      const int64_t t = r.true_t1 - start;
      if (t >= w * 10'000'000'000 && t < (w + 1) * 10'000'000'000) f.push_back(r.fwd()), b.push_back(r.back());
    }
    if (f.empty()) break;
    const double fmin = quantile(f, 0), bmin = quantile(b, 0);
    std::printf("%8lld %10.3f %10.3f %10.3f %10.3f %12.3f\n", static_cast<long long>(w * 10), ms(fmin),
                ms(quantile(f, 0.01)), ms(bmin), ms(quantile(b, 0.01)), ms((fmin - bmin) / 2));
  }

  // A reference: the offset error with the drift known exactly, taking each direction's
  // lowest true delay over the last 128 s (the estimator's window on such a path): what the
  // samples allow once the drift is no longer in doubt.
  {
    std::vector<int64_t> exact;
    std::deque<const Row*> win;
    for (const Row& r : rows) {
      win.push_back(&r);
      while (win.front()->true_t4 < r.true_t4 - 128'000'000'000) win.pop_front();
      if (double(r.true_t4 - start) < from_s * 1e9) continue;
      int64_t f = INT64_MAX, b = INT64_MAX;
      for (const Row* w : win) f = std::min(f, w->fwd()), b = std::min(b, w->back());
      exact.push_back(std::abs(f - b) / 2);
    }
    if (!exact.empty())
      std::printf("from %.0f s with the drift known exactly: |error| p50 %.3f p99 %.3f max %.3f ms\n", from_s,
                  ms(quantile(exact, 0.5)), ms(quantile(exact, 0.99)), ms(quantile(exact, 1.0)));
  }

  // The truth's drift over the trace: d(true - local) / d local.
  const Row& first = rows.front();
  const Row& last = rows.back();
  const double true_drift = double((last.true_t4 - last.s.t4_ns) - (first.true_t1 - first.s.t1_ns)) /
                            double(last.s.t4_ns - first.s.t1_ns);

  // The estimate, replayed: its error at each reply's t4 (as published, slew included), the
  // fit's own error there and the drift's.
  ClockEstimator est;
  if (remembered_sigma_ppm > 0) est.set_drift_prior(true_drift + drift_off_ppm * 1e-6, remembered_sigma_ppm * 1e-6);
  std::vector<int64_t> errs;
  double sum = 0;
  std::printf("%8s %10s %10s %10s %10s %10s %10s\n", "from s", "err mean", "err min", "err max", "fit err", "drift ppm", "uncert");
  int64_t window = -1;
  double wsum = 0, wmin = 1e18, wmax = -1e18, wfit = 0, wdrift = 0, wunc = 0;
  int64_t wn = 0;
  auto flush = [&] {
    if (wn > 0)
      std::printf("%8lld %10.3f %10.3f %10.3f %10.3f %10.1f %10.3f\n", static_cast<long long>(window * 5),
                  ms(wsum / double(wn)), ms(wmin), ms(wmax), ms(wfit / double(wn)), wdrift / double(wn) * 1e6,
                  ms(wunc / double(wn)));
    wsum = 0, wmin = 1e18, wmax = -1e18, wfit = 0, wdrift = 0, wunc = 0, wn = 0;
  };
  bool remembered = remembered_sigma_ppm > 0;
  for (const Row& r : rows) {
    est.add(r.s);
    const int64_t t = r.true_t4 - start;
    if (remembered && !est.estimate().remembered_drift) {
      remembered = false;
      std::printf("remembered drift dropped at %.1f s\n", double(t) / 1e9);
    }
    const int64_t err = est.to_session(r.s.t4_ns) - r.true_t4;
    if (t / 5'000'000'000 != window) {
      flush();
      window = t / 5'000'000'000;
    }
    const auto e = est.estimate();
    const double fit = double(r.s.t4_ns + e.offset_ns) + e.drift * double(r.s.t4_ns - e.ref_local_ns);
    wsum += double(err), wmin = std::min(wmin, double(err)), wmax = std::max(wmax, double(err)), ++wn;
    wfit += fit - double(r.true_t4), wdrift += e.drift - true_drift, wunc += double(e.uncertainty_ns);
    if (series)
      std::fprintf(stderr, "%.3f %.4f %.4f\n", double(t) / 1e9, ms(double(err)),
                   ms(double(e.uncertainty_ns + std::abs(e.slew_ns))));
    if (double(t) >= from_s * 1e9) {
      errs.push_back(std::abs(err));
      sum += double(err);
    }
  }
  flush();
  if (!errs.empty()) {
    std::printf("from %.0f s: error mean %.3f ms, |error| p50 %.3f p99 %.3f max %.3f ms (%zu replies)\n", from_s,
                ms(sum / double(errs.size())), ms(quantile(errs, 0.5)), ms(quantile(errs, 0.99)),
                ms(quantile(errs, 1.0)), errs.size());
  }
  return 0;
}
