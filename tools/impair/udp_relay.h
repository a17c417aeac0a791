// A userspace UDP relay that impairs traffic between clients and one server on loopback
// (the kernel here has no netem). Clients send to the listening address; for each client
// address the relay opens its own upstream socket towards the server, so the server sees one
// peer per client (as ENet needs) and its replies go back to the right client. Both
// directions are impaired independently. One thread: poll plus a release-time heap.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"
#include "impair/impair_args.h"
#include "impair/impairment.h"

namespace lockstep::impair {

struct RelayParams {
  LoopbackEndpoint listen;      // where clients send (port 0: an ephemeral port)
  LoopbackEndpoint server;      // where their packets go
  ImpairmentParams up;    // client → server
  ImpairmentParams down;  // server → client
  uint64_t seed = 1;
  int64_t duration_ns = 600 * 1'000'000'000LL;  // stops by itself after this long
  int stop_fd = -1;                     // optional: the relay stops when this fd becomes readable
  size_t max_clients = 256;             // packets from further client addresses are refused
  size_t max_queued_packets = 100'000;  // bounds memory: beyond, packets overflow
  size_t max_queued_bytes = 64u * 1024u * 1024u;
};

/// Counters of one direction (client→server is "up", server→client is "down").
struct DirectionCounters {
  uint64_t in = 0;           // datagrams received
  uint64_t out = 0;          // datagrams sent (duplicates count twice)
  uint64_t dropped = 0;      // lost on purpose (queue_full included)
  uint64_t queue_full = 0;   // of those, dropped by the rate-limited link's full buffer
  uint64_t duplicated = 0;   // extra copies sent
  uint64_t reordered = 0;    // held back on purpose
  uint64_t overflow = 0;     // dropped because the queue was full or too many clients
  uint64_t send_errors = 0;  // sendto failed (e.g. the server is not listening yet)
};

struct RelayReport {
  DirectionCounters up;
  DirectionCounters down;
  size_t clients = 0;    // client addresses seen
  uint64_t pending = 0;  // packets still queued when the relay stopped (not sent)
  double seconds = 0.0;
  bool stopped_by_request = false;  // stop_fd fired before the duration ran out
};

/// The relay's sockets. Move-only; closes them on destruction.
class UdpRelay {
 public:
  /// Binds the listening socket. Fails with a message naming the address, e.g. when it is in
  /// use.
  static Result<UdpRelay> open(const RelayParams& params);

  UdpRelay(UdpRelay&& other) noexcept;
  UdpRelay& operator=(UdpRelay&&) = delete;
  UdpRelay(const UdpRelay&) = delete;
  ~UdpRelay();

  /// The bound listening address (with the real port when 0 was asked for).
  const sockaddr_storage& listening_address() const { return bound_; }

  /// Relays until the duration runs out or stop_fd fires. Call once.
  Result<RelayReport> run();

 private:
  UdpRelay(const RelayParams& params, int listen_fd, const sockaddr_storage& bound);

  RelayParams params_;
  int listen_fd_ = -1;
  sockaddr_storage bound_{};
};

}  // namespace lockstep::impair
