// What the relay does to each datagram: loss, delay with jitter, reordering, duplication.
// Separate from the sockets so that the statistics can be checked without a network.
// Not thread-safe: one ImpairmentModel per direction, used by the relay's single thread.
#pragma once

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
};

class ImpairmentModel {
 public:
  ImpairmentModel(const ImpairmentParams& params, uint64_t seed);

  /// Decides what happens to a packet that arrived at `arrival_ns` on `lane`.
  PacketFate next(int64_t arrival_ns, FlowLane& lane);

  /// Extra delay of a reordered packet: twice the jitter, at least 1 ms, so that packets
  /// sent within that time after it overtake it.
  int64_t hold_back_ns() const;

 private:
  bool chance(double p);

  ImpairmentParams params_;
  std::mt19937_64 rng_;
};

}  // namespace lockstep::impair
