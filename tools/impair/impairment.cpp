#include "impair/impairment.h"

#include <algorithm>

#include "core/time.h"

namespace lockstep::impair {

ImpairmentModel::ImpairmentModel(const ImpairmentParams& params, uint64_t seed)
    : params_(params), rng_(seed) {}

bool ImpairmentModel::chance(double p) {
  if (p <= 0.0) return false;
  if (p >= 1.0) return true;
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < p;
}

int64_t ImpairmentModel::hold_back_ns() const {
  return std::max<int64_t>(2 * params_.jitter_ns, kNsPerMs);
}

PacketFate ImpairmentModel::next(int64_t arrival_ns, FlowLane& lane) {
  PacketFate fate;
  if (chance(params_.loss)) {
    fate.copies = 0;
    return fate;
  }
  int64_t delay = params_.delay_ns;
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
