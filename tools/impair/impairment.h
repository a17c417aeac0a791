// What the relay does to each datagram: loss (independent, or in bursts), delay with jitter,
// a delay that steps during the run (a route change), a link rate with a bounded queue
// (bufferbloat), reordering, duplication.
// Separate from the sockets so that the statistics can be checked without a network.
// Not thread-safe: one ImpairmentModel per direction, used by the relay's single thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>

namespace lockstep::impair {

/// Settings of one direction. Probabilities are in [0, 1], times in ns.
struct ImpairmentParams {
  int64_t delay_ns = 0;    // fixed one-way delay added to every packet
  int64_t jitter_ns = 0;   // each packet's delay is delay ± uniform(jitter)
  double loss = 0.0;       // chance that a packet is dropped
  double reorder = 0.0;    // chance that a packet is held back so that later ones overtake it
  double duplicate = 0.0;  // chance that a packet is sent twice
  /// Burst loss (a two-state Gilbert–Elliott model): above 1, packets are lost in runs of
  /// this mean length (every packet of the bad state is lost, none of the good one), and
  /// `loss` is the long-run share lost. 0 or 1: each packet independently.
  double burst_length = 0.0;
  /// A route change: from `step_at_ns` after the start for `step_for_ns` (0: to the end),
  /// the fixed delay is `step_delay_ns` instead of `delay_ns`. Negative: no step.
  int64_t step_delay_ns = -1;
  int64_t step_at_ns = 0;
  int64_t step_for_ns = 0;
  /// A link of this rate, bits per second (0: unlimited): each packet takes its size's time
  /// on the wire after those before it, so delay grows with traffic (bufferbloat); a packet
  /// that would wait longer than `queue_ns` in the link's buffer is dropped (0: no limit).
  double rate_bps = 0.0;
  int64_t queue_ns = 0;
};

/// Order state of one flow in one direction (a client's packets towards the server, or the
/// server's replies to that client). Jitter alone never reorders packets of a flow, as on a
/// real path where queueing delay varies but packets leave in order; reordering comes only
/// from `reorder`.
struct FlowLane {
  int64_t last_release_ns = INT64_MIN;
};

/// The fate of one packet.
struct PacketFate {
  int copies = 1;          // 0: dropped; 2: duplicated (both copies leave at release_ns)
  int64_t release_ns = 0;  // when it leaves the relay (monotonic ns)
  bool reordered = false;  // held back on purpose
  bool queue_full = false;  // dropped: the rate-limited link's buffer was full
};

class ImpairmentModel {
 public:
  /// `start_ns`: when the run started (the route change counts from it).
  ImpairmentModel(const ImpairmentParams& params, uint64_t seed, int64_t start_ns = 0);

  /// Decides what happens to a packet of `size_bytes` that arrived at `arrival_ns` on `lane`.
  PacketFate next(int64_t arrival_ns, FlowLane& lane, size_t size_bytes = 0);

  /// The fixed delay in force at `t_ns` (the route change applied).
  int64_t delay_at(int64_t t_ns) const;

  /// Extra delay of a reordered packet: twice the jitter, at least 1 ms, so that packets
  /// sent within that time after it overtake it.
  int64_t hold_back_ns() const;

 private:
  bool chance(double p);

  /// Whether this packet is lost (independently, or by the burst model's state).
  bool lost();

  ImpairmentParams params_;
  std::mt19937_64 rng_;
  int64_t start_ns_ = 0;
  bool bad_ = false;             // Gilbert–Elliott: in a loss burst
  int64_t link_free_ns_ = 0;     // rate limit: when the link has sent all it holds
};

}  // namespace lockstep::impair
