#include "impair/impairment.h"

#include <algorithm>

#include "core/time.h"

namespace lockstep::impair {

ImpairmentModel::ImpairmentModel(const ImpairmentParams& params, uint64_t seed, int64_t start_ns)
    : params_(params), rng_(seed), start_ns_(start_ns) {}

bool ImpairmentModel::chance(double p) {
  if (p <= 0.0) return false;
  if (p >= 1.0) return true;
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < p;
}

int64_t ImpairmentModel::hold_back_ns() const {
  return std::max<int64_t>(2 * params_.jitter_ns, kNsPerMs);
}

int64_t ImpairmentModel::delay_at(int64_t t_ns) const {
  if (params_.step_delay_ns < 0) return params_.delay_ns;
  const int64_t since = t_ns - start_ns_;
  const bool stepped = since >= params_.step_at_ns && (params_.step_for_ns <= 0 || since < params_.step_at_ns + params_.step_for_ns);
  return stepped ? params_.step_delay_ns : params_.delay_ns;
}

bool ImpairmentModel::lost() {
  if (params_.burst_length <= 1.0 || params_.loss <= 0.0 || params_.loss >= 1.0) return chance(params_.loss);
  // Gilbert–Elliott with a lossless good state and a lossy bad one: a burst ends with
  // chance 1/L per packet (mean length L); it starts with chance p so that the share of
  // packets in the bad state, p / (p + 1/L), is `loss`.
  const double leave_bad = 1.0 / params_.burst_length;
  const double enter_bad = params_.loss * leave_bad / (1.0 - params_.loss);
  bad_ = bad_ ? !chance(leave_bad) : chance(enter_bad);
  return bad_;
}

PacketFate ImpairmentModel::next(int64_t arrival_ns, FlowLane& lane, size_t size_bytes) {
  PacketFate fate;
  if (lost()) {
    fate.copies = 0;
    return fate;
  }
  // A rate-limited link: the packet goes on the wire once those before it have, and takes
  // its size's time there; what would wait longer than the buffer holds is dropped.
  int64_t on_link = arrival_ns;
  if (params_.rate_bps > 0.0) {
    const int64_t start = std::max(arrival_ns, link_free_ns_);
    if (params_.queue_ns > 0 && start - arrival_ns > params_.queue_ns) {
      fate.copies = 0;
      fate.queue_full = true;
      return fate;
    }
    const auto wire_ns = int64_t(double(size_bytes) * 8.0 * 1e9 / params_.rate_bps);
    link_free_ns_ = start + wire_ns;
    on_link = link_free_ns_;
  }
  int64_t delay = delay_at(arrival_ns) + (on_link - arrival_ns);
  if (params_.jitter_ns > 0)
    delay += std::uniform_int_distribution<int64_t>(-params_.jitter_ns, params_.jitter_ns)(rng_);
  fate.release_ns = arrival_ns + std::max<int64_t>(delay, 0);
  fate.reordered = chance(params_.reorder);
  if (fate.reordered) {
    // Held back without moving the lane: the packets behind it leave on time and overtake.
    fate.release_ns += hold_back_ns();
  } else {
    fate.release_ns = std::max(fate.release_ns, lane.last_release_ns);
    lane.last_release_ns = fate.release_ns;
  }
  fate.copies = chance(params_.duplicate) ? 2 : 1;
  return fate;
}

}  // namespace lockstep::impair
