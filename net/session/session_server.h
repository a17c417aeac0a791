// The session server: holds the session clock (its monotonic clock) and the transport
// state, answers clock probes, authenticates nodes, gives every command an effective time
// in the near future and broadcasts the new state, and keeps the table of nodes.
// Runs its own network thread; `lockstep host` runs one beside its playback node, and
// `lockstep serve` runs one alone.
//
// Thread-safety: the public methods are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "net/protocol/messages.h"
#include "net/session/session_core.h"

namespace lockstep::net {

class SessionServer {
 public:
  /// Binds the port and starts the network thread. Errors name the port.
  static Result<std::unique_ptr<SessionServer>> start(const SessionServerParams& params);
  ~SessionServer();

  int port() const;
  /// The fingerprint of the server's key ("SHA256:…"): what nodes check (--fingerprint).
  std::string fingerprint() const;
  /// Sealed packets refused so far (forged, tampered, replayed): thread-safe.
  uint64_t refused_packets() const;
  /// The ENet port of a client in this process allowed to control under ControlPolicy::HostOnly.
  void set_host_client_port(int port);
  /// Human-readable one-liner ("Listening on udp/7450 · 3 nodes").
  std::string status_line() const;
  /// The latest node table (what PeerTable carries).
  std::vector<PeerInfo> peers() const;
  /// The node table, transport and media (for the status page): at most a second old.
  SessionStatus status() const;
  /// Number of authenticated nodes.
  int node_count() const;

  struct Impl;

 private:
  explicit SessionServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lockstep::net
