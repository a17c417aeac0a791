// The session server's logic without its sockets: one login state machine per connection
// (Hello once, then Auth once, nothing else before Welcome), the session's transport state
// and who may change it, the node table, and every limit on what a connection may cost
// (login deadline, caps on connections not logged in, password throttling, log budgets).
//
// It reads bytes and writes bytes through a PeerLink: SessionServer gives it ENet (its
// network thread), the session fuzzer (tests/fuzz) a recorder, so the same code that
// faces the network is the code under attack in the fuzzer.
//
// Thread-safety: one thread calls everything but peers() and refused_packets(), which are
// thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "net/protocol/auth.h"
#include "net/protocol/identity.h"
#include "net/protocol/messages.h"
#include "net/transport/channels.h"

namespace lockstep::net {

struct SessionServerParams {
  int port = 0;
  std::optional<std::string> password;  // none: anyone may join
  std::vector<MediaEntry> media;        // empty for a dedicated server until a node loads
  ControlPolicy control = ControlPolicy::Anyone;
  size_t max_nodes = 300;
  /// Commands take effect this far ahead at least; more when peers' round trips need it.
  int64_t min_lead_ns = 120'000'000;
  /// Play waits this long for every node to be ready; then ready ones start, late ones catch up.
  int64_t ready_timeout_ns = 3'000'000'000;
  bool start_playing = false;  // play as soon as the first node is ready (host convenience)
  bool loop = false;
  /// Where the session starts (paused): a node that hosts what it was playing keeps its place.
  int64_t start_position_ns = 0;
  /// The server's long-term key (identity.h); null: a fresh one for this run only.
  std::shared_ptr<const ServerIdentity> identity;
};

/// One connection, as the transport underneath names it (ENet: the peer's address in memory).
/// Valid from on_connect until on_disconnect or until the core drops it.
using PeerHandle = uint64_t;

/// Where a connection comes from: IPv4, `host` in network byte order (as ENetAddress).
struct PeerAddress {
  uint32_t host = 0;
  uint16_t port = 0;
};

/// What the core asks of the transport underneath.
class PeerLink {
 public:
  virtual ~PeerLink() = default;
  /// Queues bytes (already sealed where the connection is) on the channel.
  virtual void send(PeerHandle peer, Channel channel, std::span<const uint8_t> bytes) = 0;
  /// Sends what is queued now (answers that measure time, state that must arrive early).
  virtual void flush() = 0;
  /// Closes after what is queued has gone; on_disconnect follows.
  virtual void close(PeerHandle peer) = 0;
  /// Drops at once, sending nothing; no on_disconnect follows.
  virtual void drop(PeerHandle peer) = 0;
  /// The peer has joined: from now on the core decides when it is gone (by its silence),
  /// and the transport stops giving up on it over unacknowledged resends.
  virtual void joined(PeerHandle peer) = 0;
  /// The connection's smoothed round trip (0 when not known).
  virtual int64_t round_trip_ns(PeerHandle peer) const = 0;
};

/// The session as the server sees it, for its status page: the node table as last
/// published (every second or sooner), the transport state as last broadcast.
struct SessionStatus {
  std::vector<PeerInfo> peers;
  TransportWire transport;
  std::vector<MediaEntry> media;
  int64_t session_now_ns = 0;  // the session clock now
  ControlPolicy control = ControlPolicy::Anyone;
};

class SessionCore {
 public:
  /// `now` is the session clock (monotonic_ns in the server; a test's own clock elsewhere).
  SessionCore(const SessionServerParams& params, ServerHandshake handshake, PeerLink& link,
              std::function<int64_t()> now);
  ~SessionCore();
  SessionCore(const SessionCore&) = delete;
  SessionCore& operator=(const SessionCore&) = delete;

  void on_connect(PeerHandle peer, PeerAddress address);
  void on_disconnect(PeerHandle peer);
  /// A packet as it arrived on `channel`; `received_ns` is when (session clock).
  void on_packet(PeerHandle peer, std::span<const uint8_t> bytes, uint8_t channel, int64_t received_ns);
  /// The timed work: a held play, the node table, login deadlines. Returns when it is next due.
  int64_t tick();
  /// Says Bye to every connection and closes it (the server is stopping).
  void close_all();

  /// The ENet port of a client in this process allowed to control under ControlPolicy::HostOnly.
  void set_host_client_port(int port);
  const ServerIdentity& identity() const;
  /// Sealed packets refused so far (forged, tampered, replayed). Thread-safe.
  uint64_t refused_packets() const;
  /// The latest node table (what PeerTable carries). Thread-safe.
  std::vector<PeerInfo> peers() const;
  /// Connections the core holds (logged in or not).
  size_t connection_count() const;
  /// The session's transport state now.
  TransportWire transport() const;
  /// The node table, transport state and media, as last published. Thread-safe.
  SessionStatus status() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lockstep::net
