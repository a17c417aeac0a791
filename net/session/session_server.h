// The session server: holds the session clock (its monotonic clock) and the transport
// state, answers clock probes, authenticates nodes, gives every command an effective time
// in the near future and broadcasts the new state, and keeps the table of nodes.
// Runs its own network thread; `lockstep host` runs one beside its playback node, and
// `lockstep serve` runs one alone.
//
// Thread-safety: the public methods are thread-safe.
#pragma once

#include "net/protocol/identity.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "net/protocol/messages.h"

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
  /// Number of authenticated nodes.
  int node_count() const;

  struct Impl;

 private:
  explicit SessionServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lockstep::net
