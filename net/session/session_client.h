// A node's side of a session: connects (with backoff, and again after losing the server),
// authenticates, keeps the session clock estimate fed with probes, resolves the session's
// media, follows the state the server broadcasts and sends this node's commands and status.
// Runs its own network thread.
//
// Thread-safety: the public methods are thread-safe. Callbacks run on the network thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "clock/clock_domain.h"
#include "core/result.h"
#include "net/clocksync/clock_estimator.h"
#include "net/clocksync/sim_clock.h"
#include "net/protocol/messages.h"
#include "net/session/media_match.h"
#include "net/transport/endpoint.h"

namespace lockstep::net {

struct SessionClientParams {
  Endpoint server;
  std::optional<std::string> password;
  std::string name;
  MatchRules rules;
  MediaProbe probe;
  /// Test aid: this node's clock runs off by a simulated offset and drift (LOCKSTEP_SIM_CLOCK).
  std::optional<SimulatedClock> simulated_clock;
  /// The server key's fingerprint the user expects (--fingerprint); none: see known_servers.
  std::optional<std::string> fingerprint;
  /// The file of servers met before (identity.h, KnownServers); empty: no memory.
  std::string known_servers_file;
  /// This machine's clock drift against the servers it met (drift_memory.h); empty: none.
  std::string clock_drift_file;
};

struct SessionEvents {
  /// Joined (or joined again): the session's media as resolved here, and its state.
  std::function<void(const SessionSnapshot&, const std::vector<MediaMatch>&)> on_welcome;
  /// A new transport state, in force from its anchor (session time).
  std::function<void(const TransportWire&)> on_state;
  /// The session's media resolved again (the node's path mappings changed).
  std::function<void(const std::vector<MediaMatch>&)> on_media;
  /// The host set this node's display/audio delay (LatencyOffset), ns.
  std::function<void(int64_t)> on_latency_offset;
};

enum class ClientPhase { Connecting, Authenticating, Connected, Reconnecting, Failed };
const char* to_string(ClientPhase phase);

class SessionClient {
 public:
  /// The fingerprint of the server's key, once its Challenge was accepted (else empty).
  std::string server_fingerprint() const;
  static Result<std::unique_ptr<SessionClient>> start(const SessionClientParams& params,
                                                      SessionEvents events);
  /// A client without a network or a thread, for the client fuzzer (tests/fuzz/client_fuzzer.cpp)
  /// and tests: it behaves as just connected (its Hello goes out at once), every packet it
  /// sends goes to `sent` (channel, bytes as on the wire), and receive() hands it a datagram
  /// from the server. Its methods are called from one thread.
  using SentPacket = std::function<void(uint8_t channel, std::vector<uint8_t> bytes)>;
  static Result<std::unique_ptr<SessionClient>> offline(const SessionClientParams& params, SessionEvents events,
                                                        SentPacket sent);
  /// Offline clients only: a datagram from the server on `channel`.
  void receive(std::span<const uint8_t> datagram, uint8_t channel);
  /// Offline clients only, once connected: the network thread's timed work now (a clock
  /// probe when one is due, queued commands, the status).
  void poll();
  ~SessionClient();

  /// Queues a command for the server (which decides when it takes effect).
  void send_command(Command command);
  /// New path-mapping rules: the session's media is resolved again at once, reported to the
  /// server, and given to on_media.
  void set_match_rules(const MatchRules& rules);
  /// Asks the server to remove a node (honoured only from the host's own node).
  void kick(uint32_t node_id);
  /// Asks the server to set a node's display/audio delay (honoured only from the host's node).
  void set_latency_offset(uint32_t node_id, int64_t offset_ns);
  /// This node's status, sent to the server twice a second.
  void set_status(const NodeStatus& status);
  /// Tells the server whether this node has pre-rolled the current state.
  void set_ready(bool ready);

  /// The session clock as estimated here; valid for the client's lifetime.
  const ClockDomain& clock() const;
  /// True once the first burst of clock probes has settled the estimate.
  bool clock_settled() const;
  /// Current clock estimate (offset, drift, bounds).
  ClockEstimate clock_estimate() const;
  int64_t rtt_ns() const;

  ClientPhase phase() const;
  /// "Connected to NAME (RTT 0.4 ms, clock offset -5000.012 ms)", "Reconnecting…", or the error.
  std::string status_line() const;
  /// The reason the client gave up (wrong password, version mismatch, kicked); empty otherwise.
  std::string final_error() const;
  /// Why the last attempt to connect failed while the client tries again ("no answer from
  /// …"); empty once connected.
  std::string retry_reason() const;
  std::vector<PeerInfo> peers() const;
  uint32_t node_id() const;
  /// The local UDP port of this client's connection (0 before the first connect).
  int local_port() const;

  struct Impl;

 private:
  explicit SessionClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lockstep::net
