#include "net/session/session_client.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

#include <unistd.h>

#include "core/log.h"
#include "core/time.h"
#include "net/protocol/auth.h"
#include "net/protocol/identity.h"
#include "net/protocol/sealer.h"
#include "net/protocol_version.h"
#include "net/session/drift_memory.h"
#include "net/session/wire_checks.h"
#include "net/transport/cookie_gate.h"
#include "net/transport/enet_transport.h"

namespace lockstep::net {

const char* to_string(ClientPhase p) {
  switch (p) {
    case ClientPhase::Connecting: return "connecting";
    case ClientPhase::Authenticating: return "authenticating";
    case ClientPhase::Connected: return "connected";
    case ClientPhase::Reconnecting: return "reconnecting";
    case ClientPhase::Failed: return "failed";
  }
  return "?";
}

namespace {

/// No packet from the server for this long: it is gone.
constexpr int64_t kServerSilenceNs = 3 * kNsPerSec;

/// A clock estimate this sure (statistically) is in step for frame-accurate playback.
constexpr int64_t kTrustedClockNs = 500 * kNsPerUs;

/// A remembered drift is trusted to at least this (1 sigma): a room's temperature moves
/// quartz by a few ppm, NTP steering by a few more.
constexpr double kRememberedDriftSigmaFloor = 10e-6;

/// While a remembered drift is the prior, the fit is saved only once the samples alone know
/// the drift this well (half the remembered spread's floor): then they, not the memory, decide.
constexpr double kDriftSavedFromSamples = 5e-6;

/// The session clock for the render and audio threads: the estimator behind a mutex, and
/// the simulated offset of a test node applied to the monotonic clock first.
class SessionClock final : public ClockDomain {
 public:
  explicit SessionClock(std::optional<SimulatedClock> sim) : sim_(sim) {
    // Test aid beside the simulated clock: LOCKSTEP_CLOCK_TRACE=PREFIX writes every
    // accepted probe exchange to PREFIX.PID, with the true (monotonic) times of t1 and t4,
    // so a real run's samples can be replayed through the estimator offline
    // (tests/net/clocksync/clocksync_replay). Only with a simulated clock: only there is
    // the truth known.
    const char* prefix = std::getenv(kClockTraceEnv);
    if (sim_ && prefix && *prefix) {
      const std::string path = std::string(prefix) + "." + std::to_string(::getpid());
      trace_ = std::fopen(path.c_str(), "w");
      if (trace_) std::fprintf(trace_, "# t1 t2 t3 t4 true_t1 true_t4 (ns)\n");
    }
  }
  ~SessionClock() override {
    if (trace_) std::fclose(trace_);
  }
  SessionClock(const SessionClock&) = delete;
  SessionClock& operator=(const SessionClock&) = delete;

  int64_t local(int64_t mono_ns) const { return sim_ ? sim_->local_from_true(mono_ns) : mono_ns; }
  int64_t to_session(int64_t mono_ns) const override {
    std::lock_guard lock(mutex_);
    return estimator_.to_session(local(mono_ns));
  }
  int64_t to_monotonic(int64_t session_ns) const override {
    std::lock_guard lock(mutex_);
    const int64_t l = estimator_.to_local(session_ns);
    return sim_ ? sim_->true_from_local(l) : l;
  }
  /// Known only in tests on one machine, where the session clock is this machine's
  /// monotonic clock (the server runs without a simulated offset).
  std::optional<int64_t> error_ns(int64_t mono_ns) const override {
    if (!sim_) return std::nullopt;
    return to_session(mono_ns) - mono_ns;
  }

  // Network thread:
  void add(const ClockSample& s) {
    std::lock_guard lock(mutex_);
    estimator_.add(s);
    if (trace_)
      std::fprintf(trace_, "%lld %lld %lld %lld %lld %lld\n", static_cast<long long>(s.t1_ns),
                   static_cast<long long>(s.t2_ns), static_cast<long long>(s.t3_ns), static_cast<long long>(s.t4_ns),
                   static_cast<long long>(sim_->true_from_local(s.t1_ns)),
                   static_cast<long long>(sim_->true_from_local(s.t4_ns)));
  }
  int64_t next_probe_delay(int64_t local_now) const {
    std::lock_guard lock(mutex_);
    return estimator_.next_probe_delay_ns(local_now);
  }
  void check_gap(int64_t local_now) {
    std::lock_guard lock(mutex_);
    estimator_.check_gap(local_now);
  }
  ClockEstimate estimate() const {
    std::lock_guard lock(mutex_);
    return estimator_.estimate();
  }
  /// Starts the estimate from a remembered drift, if it has no samples yet (the first
  /// server of this run). Returns whether it did.
  bool start_from_drift(double drift, double sigma) {
    std::lock_guard lock(mutex_);
    if (estimator_.mapping().known()) return false;
    estimator_.set_drift_prior(drift, sigma);
    return true;
  }
  std::optional<double> simulated_drift() const {
    return sim_ ? std::optional<double>(sim_->drift) : std::nullopt;
  }

 private:
  std::optional<SimulatedClock> sim_;
  mutable std::mutex mutex_;
  ClockEstimator estimator_;  // protected by mutex_
  std::FILE* trace_ = nullptr;  // protected by mutex_
};

}  // namespace

struct SessionClient::Impl {
  SessionClientParams params;
  SessionEvents events;
  std::shared_ptr<EnetLibrary> library;
  EnetHostPtr host;
  std::unique_ptr<SessionClock> clock;
  std::atomic<bool> stopping{false};
  std::thread thread;

  // Network thread only:
  CookieJar jar;  // the server's connection cookie (cookie_gate.h)
  ENetAddress server_address{};
  bool awaiting_cookie = false;
  int64_t cookie_deadline_ns = 0;
  int64_t next_cookie_request_ns = 0;
  ENetPeer* peer = nullptr;
  Nonce client_nonce{};
  std::optional<ClientHandshake> handshake;
  std::unique_ptr<ConnectionSealer> sealer;  // every packet after Auth, both ways
  int64_t next_refused_log_ns = 0;
  int attempt = 0;
  int64_t next_attempt_ns = 0;
  std::string retry_reason;  // under `mutex`
  int64_t backoff_ns = 500 * kNsPerMs;
  int64_t next_probe_ns = 0;
  int64_t next_status_ns = 0;
  uint32_t probe_seq = 0;
  int64_t route_changes_seen = 0;
  int64_t welcomed_ns = 0;          // monotonic time of the last Welcome
  int64_t last_heard_ns = 0;        // monotonic time of the last packet from the server
  bool clock_trusted_said = false;  // the "clock in step" line, once per connection
  std::string drift_key;            // this server's key in the drift memory (empty: none)
  int64_t next_drift_save_ns = 0;   // once in step: when to save the drift again
  std::optional<std::pair<double, double>> drift_to_save;  // drift and its sd, while worth saving
  int64_t remembered_dropped_said = 0;
  // The clock's uncertainty at the last 10 status reports (5 s): the largest is reported.
  std::array<int64_t, 10> recent_uncertainty{};
  size_t recent_uncertainty_next = 0;
  // The probes in flight (seq, t1): a reply counts only for one of them, once.
  std::array<std::pair<uint32_t, int64_t>, 16> probes_out{};
  bool ever_connected = false;
  std::optional<TransportWire> last_state;  // restores a restarted server

  // Shared, protected by mutex:
  mutable std::mutex mutex;
  std::deque<Message> outbox;
  std::optional<MatchRules> new_rules;   // set by set_match_rules(), taken by tick()
  std::vector<MediaEntry> session_media;  // network thread: the last welcome's media list
  NodeStatus status;
  std::optional<bool> ready_to_send;
  ClientPhase phase = ClientPhase::Connecting;
  std::string line;
  std::string final_error;
  std::vector<PeerInfo> peers;
  std::string server_name;
  std::string server_fingerprint;
  uint32_t node_id = 0;
  std::atomic<int> local_port{0};
  std::atomic<int64_t> rtt_ns{0};

  SentPacket offline_sent;  // set: an offline client (no ENet), packets go here
  bool offline_closed = false;  // its connection was dropped (lost or failed): nothing more arrives

  int64_t local_now() const { return clock->local(monotonic_ns()); }
  void run();
  void connect();
  /// While a cookie is awaited: connects once it came, asks again, or gives up.
  void await_cookie();
  void lost(const std::string& why);
  void fail(const std::string& why);
  void save_drift() {
    if (!drift_to_save) return;
    if (auto saved = DriftMemory(params.clock_drift_file).remember(drift_key, drift_to_save->first, drift_to_save->second);
        !saved)
      LS_WARN("session: {}", saved.error());
  }
  /// The server's key is accepted: starts the clock from the drift remembered for it.
  void recall_drift(const std::string& fingerprint) {
    if (params.clock_drift_file.empty()) return;
    drift_key = DriftMemory::key(fingerprint, clock->simulated_drift());
    const auto e = DriftMemory(params.clock_drift_file).recall(drift_key);
    // The spread: twice what it was known to, at least kRememberedDriftSigmaFloor.
    if (e && clock->start_from_drift(e->drift, std::max(2.0 * e->sd, kRememberedDriftSigmaFloor)))
      LS_INFO("session: starting from this machine's clock drift against this server, {:+.1f} ppm, remembered "
              "from an earlier run",
              e->drift * 1e6);
  }
  void set_phase(ClientPhase p, std::string text) {
    std::lock_guard lock(mutex);
    phase = p;
    line = std::move(text);
  }
  void send(Channel channel, const Message& m) {
    if (!peer && !offline_sent) return;
    auto bytes = encode(m);
    if (!bytes) return;
    if (offline_sent) {
      if (phase == ClientPhase::Failed) return;  // a client that gave up sends nothing more
      offline_sent(uint8_t(channel), sealer ? sealer->seal(channel, *bytes) : *bytes);
      return;
    }
    if (sealer) send_bytes(peer, channel, sealer->seal(channel, *bytes));
    else send_bytes(peer, channel, *bytes);
  }
  void on_datagram(std::span<const uint8_t> data, uint8_t channel, int64_t received_local);
  void on_message(const Message& m, int64_t received_local);
  void tick(int64_t now_local);
};

Result<std::unique_ptr<SessionClient>> SessionClient::start(const SessionClientParams& params,
                                                            SessionEvents events) {
  auto impl = std::make_unique<Impl>();
  impl->params = params;
  impl->events = std::move(events);
  impl->clock = std::make_unique<SessionClock>(params.simulated_clock);
  auto lib = EnetLibrary::acquire();
  if (!lib) return make_error(lib.error());
  impl->library = *lib;
  if (auto s = init_crypto(); !s) return make_error(s.error());
  // Resolve once up front: a name that does not exist is an error the user must fix now.
  if (auto a = resolve(params.server); !a) return make_error(a.error());
  auto host = client_host();
  if (!host) return make_error(host.error());
  impl->host = std::move(host.value());
  impl->jar.install(impl->host.get());
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->run(); });
  return std::unique_ptr<SessionClient>(new SessionClient(std::move(impl)));
}

Result<std::unique_ptr<SessionClient>> SessionClient::offline(const SessionClientParams& params, SessionEvents events,
                                                              SentPacket sent) {
  auto impl = std::make_unique<Impl>();
  impl->params = params;
  impl->events = std::move(events);
  impl->clock = std::make_unique<SessionClock>(params.simulated_clock);
  impl->offline_sent = std::move(sent);
  if (auto s = init_crypto(); !s) return make_error(s.error());
  // As the network thread does on ENet's CONNECT.
  impl->client_nonce = random_nonce();
  impl->set_phase(ClientPhase::Authenticating, "Authenticating with " + to_string(params.server));
  impl->send(kControlChannel, Hello{uint16_t(kProtocolVersion), params.name, impl->client_nonce, NodeRole::Playback});
  return std::unique_ptr<SessionClient>(new SessionClient(std::move(impl)));
}

void SessionClient::poll() {
  if (!impl_->offline_sent || impl_->offline_closed || impl_->phase != ClientPhase::Connected) return;
  impl_->tick(impl_->local_now());
}

void SessionClient::receive(std::span<const uint8_t> datagram, uint8_t channel) {
  if (!impl_->offline_sent || impl_->offline_closed) return;
  impl_->on_datagram(datagram, channel, impl_->local_now());
}

SessionClient::SessionClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SessionClient::~SessionClient() {
  impl_->stopping = true;
  if (impl_->thread.joinable()) impl_->thread.join();
}

void SessionClient::Impl::connect() {
  auto address = resolve(params.server);
  ++attempt;
  if (!address) {
    lost(address.error());
    return;
  }
  server_address = *address;
  jar.request(server_address);
  awaiting_cookie = true;
  const int64_t now = monotonic_ns();
  cookie_deadline_ns = now + 1500 * kNsPerMs;  // then a plain connect, 1.5 s more
  next_cookie_request_ns = now + 300 * kNsPerMs;
  set_phase(ever_connected ? ClientPhase::Reconnecting : ClientPhase::Connecting,
            std::string(ever_connected ? "Reconnecting to " : "Connecting to ") +
                to_string(params.server) + " (attempt " + std::to_string(attempt) + ")");
}

void SessionClient::Impl::await_cookie() {
  const int64_t now = monotonic_ns();
  if (auto cookie = jar.cookie()) {
    awaiting_cookie = false;
    peer = enet_host_connect(host.get(), &server_address, kChannelCount, *cookie);
    if (!peer) {
      lost("cannot start a connection");
      return;
    }
    // Give up on a silent address after 3 s (ENet's default is much longer).
    enet_peer_timeout(peer, 0, 1500, 3000);
  } else if (now >= cookie_deadline_ns) {
    // No cookie: perhaps a server of an older version, which answers a plain connect (and
    // then says which version it speaks); a current one ignores it, and ENet gives up.
    awaiting_cookie = false;
    peer = enet_host_connect(host.get(), &server_address, kChannelCount, 0);
    if (!peer) {
      lost("cannot start a connection");
      return;
    }
    enet_peer_timeout(peer, 0, 1000, 1500);
  } else if (now >= next_cookie_request_ns) {
    jar.request(server_address);  // the request or its answer was lost
    next_cookie_request_ns = now + 300 * kNsPerMs;
  }
}

void SessionClient::Impl::lost(const std::string& why) {
  if (offline_sent) offline_closed = true;
  // Free the connection slot at once (the client host has one), or the next connect fails.
  if (peer) enet_peer_reset(peer);
  peer = nullptr;
  handshake.reset();
  sealer.reset();
  const int64_t wait = backoff_ns;
  backoff_ns = std::min<int64_t>(backoff_ns * 2, 5 * kNsPerSec);
  next_attempt_ns = monotonic_ns() + wait;
  char next[32];
  std::snprintf(next, sizeof next, "%.1f", double(wait) / 1e9);
  set_phase(ever_connected ? ClientPhase::Reconnecting : ClientPhase::Connecting,
            (ever_connected ? "Reconnecting to " : "Connecting to ") + to_string(params.server) +
                " (attempt " + std::to_string(attempt + 1) + ", next in " + next + " s): " + why);
  {
    std::lock_guard lock(mutex);
    retry_reason = why;
  }
  LS_WARN("session: {}", why);
}

void SessionClient::Impl::fail(const std::string& why) {
  if (offline_sent) offline_closed = true;
  {
    std::lock_guard lock(mutex);
    final_error = why;
    phase = ClientPhase::Failed;
    line = why;
  }
  LS_ERROR("session: {}", why);
  if (peer) {
    enet_peer_disconnect_now(peer, 0);
    peer = nullptr;
  }
}

void SessionClient::Impl::run() {
  // The thread sleeps in enet_host_service until a packet arrives (a probe's answer is
  // stamped as it returns) or its next own task is due: a probe, the status, a reconnect.
  // The wait is capped: commands queued by other threads, ENet's resends and pings, and a
  // stop request wait at most that long (far below the server's lead on a command).
  constexpr int64_t kMaxWaitNs = 10 * kNsPerMs;
  while (!stopping) {
    if (awaiting_cookie) await_cookie();
    else if (!peer && phase != ClientPhase::Failed && monotonic_ns() >= next_attempt_ns) connect();
    int64_t wait_ns = kMaxWaitNs;
    if (!peer && phase != ClientPhase::Failed && !awaiting_cookie)
      wait_ns = std::min(wait_ns, next_attempt_ns - monotonic_ns());
    if (peer && phase == ClientPhase::Connected)
      wait_ns = std::min({wait_ns, next_probe_ns - local_now(), next_status_ns - monotonic_ns()});
    // The cookie's answer is taken by ENet's intercept hook, which does not end the wait:
    // look for it every millisecond (a join took 11 ms, most of it this wait; now ~1-2 ms).
    if (awaiting_cookie) wait_ns = std::min(wait_ns, kNsPerMs);
    // Whole milliseconds (ENet's unit), rounded up: waking early would only wait again.
    const auto wait_ms = enet_uint32(std::max<int64_t>(0, (wait_ns + kNsPerMs - 1) / kNsPerMs));
    ENetEvent ev;
    int got = enet_host_service(host.get(), &ev, wait_ms);
    while (got > 0) {
      const int64_t received_local = local_now();
      switch (ev.type) {
        case ENET_EVENT_TYPE_CONNECT: {
          ENetAddress self{};
          if (enet_socket_get_address(host->socket, &self) == 0) local_port = self.port;
          client_nonce = random_nonce();
          set_phase(ClientPhase::Authenticating, "Authenticating with " + to_string(params.server));
          send(kControlChannel, Hello{uint16_t(kProtocolVersion), params.name, client_nonce, NodeRole::Playback});
          break;
        }
        case ENET_EVENT_TYPE_DISCONNECT:
          if (phase != ClientPhase::Failed)
            lost(ever_connected && phase == ClientPhase::Connected
                     ? "lost the server " + to_string(params.server) + "; playing on, reconnecting"
                     : "no answer from " + to_string(params.server) +
                           " (is the server running? firewall, or UDP port not forwarded?)");
          break;
        case ENET_EVENT_TYPE_RECEIVE:
          last_heard_ns = monotonic_ns();
          on_datagram({ev.packet->data, ev.packet->dataLength}, ev.channelID, received_local);
          enet_packet_destroy(ev.packet);
          break;
        default: break;
      }
      if (!peer) break;
      got = enet_host_check_events(host.get(), &ev);
    }
    // A server that has said nothing for kServerSilenceNs is gone (it answers probes at 2 a
    // second at least, and sends the peer table every second): reconnect. ENet's own
    // timeout, which gives up when one reliable packet goes unacknowledged for a few
    // retries, is kept for the handshake only: through 35 % loss each way it had dropped
    // working connections (SessionSync.AConnectionLosingAThirdOfItsPacketsEachWayStaysUp).
    if (peer && phase == ClientPhase::Connected && monotonic_ns() - last_heard_ns > kServerSilenceNs)
      lost("lost the server " + to_string(params.server) + "; playing on, reconnecting");
    if (peer && phase == ClientPhase::Connected) tick(local_now());
  }
  save_drift();  // what the whole run learnt (if the clock is in step now)
  if (peer) {
    send(kControlChannel, Bye{"node closed"});
    enet_host_flush(host.get());
    enet_peer_disconnect_now(peer, 0);
  }
}

void SessionClient::Impl::on_datagram(std::span<const uint8_t> data, uint8_t channel, int64_t received_local) {
  std::vector<uint8_t> opened;
  if (sealer) {  // after Auth, nothing is read that was not sealed by this connection's key
    auto o = sealer->open(channel, data);
    if (!o) {
      const int64_t now = monotonic_ns();
      if (now >= next_refused_log_ns) {
        next_refused_log_ns = now + 2 * kNsPerSec;
        LS_WARN("session: dropped a packet that failed authentication ({} so far): {}", sealer->refused(), o.error());
      }
      return;
    }
    opened = std::move(o).value();
    data = opened;
  }
  auto m = decode(data);
  if (m) on_message(*m, received_local);
  else LS_WARN("session: dropped a malformed packet from the server: {}", m.error());
}

void SessionClient::Impl::on_message(const Message& m, int64_t received_local) {
  // Before Welcome only the login's own messages count (probes start after it).
  const bool welcomed = phase == ClientPhase::Connected;
  if (const auto* reply = std::get_if<ClockReply>(&m)) {
    if (!welcomed) return;
    // Only the answer to a probe this client sent and has not had answered, with the
    // server's times in order, within a second of each other and in range: the estimator's
    // arithmetic stays exact for any reply that passes (a hostile server's extremes do not).
    auto& slot = probes_out[reply->seq % probes_out.size()];
    constexpr int64_t kMaxServerTimeNs = int64_t(1) << 61;  // 73 years of uptime
    if (reply->seq == 0 || slot.first != reply->seq || slot.second != reply->t1_ns || reply->t2_ns < 0 ||
        reply->t3_ns < reply->t2_ns || reply->t3_ns - reply->t2_ns > kNsPerSec || reply->t3_ns > kMaxServerTimeNs ||
        received_local < reply->t1_ns)
      return;
    slot = {};
    const ClockSample s{reply->t1_ns, reply->t2_ns, reply->t3_ns, received_local};
    clock->add(s);
    rtt_ns = s.delay_ns();
    if (const ClockEstimate e = clock->estimate(); e.route_changes != route_changes_seen) {
      route_changes_seen = e.route_changes;
      LS_INFO("session: the path to the server changed (round trip now {:.1f} ms); the clock follows it, slewed",
              double(s.delay_ns()) / 1e6);
    }
    return;
  }
  // A Challenge once per connection.
  if (const auto* challenge = std::get_if<Challenge>(&m)) {
    if (handshake || welcomed) {
      LS_WARN("session: the server sent a second Challenge: ignored");
      return;
    }
    std::optional<std::string_view> pw;
    if (params.password) pw = *params.password;
    auto answer = ClientHandshake::answer(pw, client_nonce, *challenge);
    if (!answer) {
      fail(answer.error());
      return;
    }
    std::string note;
    const KnownServers known(params.known_servers_file);
    const std::string refused = check_server_key(challenge->server_key, to_string(params.server), params.fingerprint,
                                                 params.known_servers_file.empty() ? nullptr : &known, &note);
    if (!refused.empty()) {
      fail(refused);
      return;
    }
    if (!note.empty()) LS_INFO("session: {}", note);
    {
      std::lock_guard lock(mutex);
      server_fingerprint = fingerprint_of(challenge->server_key);
    }
    recall_drift(fingerprint_of(challenge->server_key));
    handshake.emplace(std::move(answer.value()));
    send(kControlChannel, handshake->auth());  // the last packet in the clear
    sealer = std::make_unique<ConnectionSealer>(handshake->session_keys(), AeadSealer::Side::Client, kChannelCount);
    return;
  }
  if (const auto* welcome = std::get_if<Welcome>(&m)) {
    if (!handshake || welcomed) return;
    if (const std::string why = transport_problem(welcome->snapshot.transport, welcome->snapshot.media);
        !why.empty()) {
      lost("the server sent a state this node cannot use (" + why + ")");
      return;
    }
    if (auto ok = handshake->verify_server(welcome->server_proof); !ok) {
      fail(ok.error());
      return;
    }
    std::vector<MediaMatch> matches;
    const auto& media = welcome->snapshot.media;
    session_media = media;
    for (uint32_t i = 0; i < media.size(); ++i)
      matches.push_back(resolve_media(i, media[i], params.rules, params.probe));
    send(kControlChannel, MediaReport{report_for_server(matches, params.rules)});
    const bool restarted_server = welcome->snapshot.transport.serial == 0 &&
                                  welcome->snapshot.transport.paused && last_state &&
                                  (last_state->serial > 0 || !last_state->paused);
    {
      std::lock_guard lock(mutex);
      node_id = welcome->node_id;
    }
    ever_connected = true;
    attempt = 0;
    backoff_ns = 500 * kNsPerMs;
    next_probe_ns = 0;
    welcomed_ns = monotonic_ns();
    last_heard_ns = welcomed_ns;
    // From here on silence decides that the server is gone (run()), not ENet's retries.
    if (peer) enet_peer_timeout(peer, 0, 30'000, 60'000);
    clock_trusted_said = false;
    recent_uncertainty_next = 0;
    set_phase(ClientPhase::Connected, "Connected to " + to_string(params.server));
    {
      std::lock_guard lock(mutex);
      retry_reason.clear();
    }
    LS_INFO("session: joined {} as node {}", to_string(params.server), welcome->node_id);
    if (restarted_server) {
      // The server lost its state (restarted): give it ours, so everybody carries on.
      send(kControlChannel, StateUpdate{0, welcome->node_id, *last_state});
    } else if (events.on_welcome) {
      last_state = welcome->snapshot.transport;
      events.on_welcome(welcome->snapshot, matches);
    }
    return;
  }
  if (const auto* reject = std::get_if<Reject>(&m)) {
    const std::string detail = printable(reject->detail, 400);
    switch (reject->reason) {
      case RejectReason::WrongPassword:
      case RejectReason::VersionMismatch:
      case RejectReason::Kicked:
      case RejectReason::NameInUse:
      case RejectReason::Malformed:
        fail(detail);  // the server's words name the problem and what to do
        return;
      default:
        lost(detail);
        return;
    }
  }
  if (std::get_if<Bye>(&m)) {
    lost("the server closed the session");
    return;
  }
  if (!welcomed) return;  // nothing of the session before its Welcome
  if (const auto* update = std::get_if<StateUpdate>(&m)) {
    if (const std::string why = transport_problem(update->transport, session_media); !why.empty()) {
      LS_WARN("session: ignored a state from the server: {}", why);
      return;
    }
    last_state = update->transport;
    if (events.on_state) events.on_state(update->transport);
    return;
  }
  if (const auto* table = std::get_if<PeerTable>(&m)) {
    std::vector<PeerInfo> rows = table->peers;
    for (auto& row : rows) {  // shown in the overlay: no control characters, no oversized lists
      row.name = printable(row.name, kMaxNodeNameBytes);
      if (!media_report_problem(row.media, session_media.size()).empty()) row.media.clear();
      for (auto& match : row.media) match.detail = printable(match.detail), match.local_path = printable(match.local_path);
    }
    std::lock_guard lock(mutex);
    peers = std::move(rows);
    return;
  }
  if (const auto* offset = std::get_if<LatencyOffset>(&m)) {
    if (offset->node_id == node_id && events.on_latency_offset)
      events.on_latency_offset(std::clamp<int64_t>(offset->offset_ns, -kNsPerSec, kNsPerSec));
    return;
  }
}

void SessionClient::Impl::tick(int64_t now_local) {
  std::optional<MatchRules> rules;
  {
    std::lock_guard lock(mutex);
    rules.swap(new_rules);
  }
  if (rules) {  // the node's path mappings changed: resolve the session's media again
    params.rules = *rules;
    std::vector<MediaMatch> matches;
    for (uint32_t i = 0; i < session_media.size(); ++i)
      matches.push_back(resolve_media(i, session_media[i], params.rules, params.probe));
    if (peer && phase == ClientPhase::Connected)
      send(kControlChannel, MediaReport{report_for_server(matches, params.rules)});
    if (!session_media.empty() && events.on_media) events.on_media(matches);
  }
  clock->check_gap(now_local);
  if (now_local >= next_probe_ns) {
    if (++probe_seq == 0) ++probe_seq;  // 0 is never a probe's
    const int64_t t1 = local_now();
    probes_out[probe_seq % probes_out.size()] = {probe_seq, t1};
    send(kClockChannel, ClockProbe{probe_seq, t1});
    if (host) enet_host_flush(host.get());
    next_probe_ns = now_local + clock->next_probe_delay(now_local);
  }
  std::deque<Message> out;
  NodeStatus st;
  std::optional<bool> ready;
  {
    std::lock_guard lock(mutex);
    out.swap(outbox);
    st = status;
    ready.swap(ready_to_send);
  }
  for (const auto& m : out) send(kControlChannel, m);
  if (ready) send(kControlChannel, Ready{last_state ? last_state->serial : 0, *ready});
  const int64_t now = monotonic_ns();
  if (now >= next_status_ns) {
    next_status_ns = now + 500 * kNsPerMs;
    const ClockEstimate e = clock->estimate();
    st.rtt_ns = rtt_ns;
    st.clock_offset_ns = e.offset_ns;
    st.clock_error_bound_ns = e.error_bound_ns;
    // The largest of the last 5 s: early on a very noisy path the estimate's uncertainty
    // dips below 0.5 ms now and then while the drift is still unknown (over 30 real
    // intercontinental node traces the error after the first dip reached 1.7 ms; after 5 s
    // below 0.5 ms, 0.85 ms at most: tests/net/clocksync/clocksync_replay).
    const int64_t now_uncertainty = e.settled ? e.uncertainty_ns + std::abs(e.slew_ns) : e.error_bound_ns;
    recent_uncertainty[recent_uncertainty_next++ % recent_uncertainty.size()] = now_uncertainty;
    const size_t known = std::min(recent_uncertainty_next, recent_uncertainty.size());
    st.clock_uncertainty_ns = *std::max_element(recent_uncertainty.begin(), recent_uncertainty.begin() + known);
    // Said once per connection, when the clock can be trusted to a frame-switch's worth:
    // on a LAN 5 s after joining, on a very noisy path some tens of seconds in.
    if (!clock_trusted_said && e.settled && known == recent_uncertainty.size() &&
        st.clock_uncertainty_ns <= kTrustedClockNs) {
      clock_trusted_said = true;
      LS_INFO("session: clock in step with the server's to about ±{:.2f} ms, {:.1f} s after joining",
              double(st.clock_uncertainty_ns) / 1e6, double(now - welcomed_ns) / 1e9);
    }
    if (e.remembered_drift_dropped > remembered_dropped_said) {
      remembered_dropped_said = e.remembered_drift_dropped;
      next_drift_save_ns = now;  // the right one, as soon as it is known
      LS_INFO("session: the clock drift remembered for this server does not fit this run ({:+.1f} ppm measured); "
              "learning it afresh",
              e.drift * 1e6);
    }
    // The drift is kept for the next run once the clock is in step, again every minute
    // while it is and when the node closes (the longer it ran, the better it knows it),
    // and only as the samples say it: while a remembered one is still the prior, not before
    // the samples alone pin it closer than it does.
    const bool in_step_now = e.settled && known == recent_uncertainty.size() && st.clock_uncertainty_ns <= kTrustedClockNs;
    const bool samples_decide = !e.remembered_drift || e.data_drift_sd <= kDriftSavedFromSamples;
    drift_to_save.reset();
    if (in_step_now && samples_decide && !drift_key.empty() && e.drift_sd > 0) {
      drift_to_save = std::pair{e.drift, e.drift_sd};
      if (now >= next_drift_save_ns) {
        next_drift_save_ns = now + 60 * kNsPerSec;
        save_drift();
      }
    }
    send(kStatusChannel, st);
  }
  if ((!out.empty() || ready) && host) enet_host_flush(host.get());
}

void SessionClient::send_command(Command command) {
  static std::atomic<uint32_t> next_id{1};
  command.command_id = next_id++;
  std::lock_guard lock(impl_->mutex);
  impl_->outbox.push_back(command);
}

void SessionClient::set_match_rules(const MatchRules& rules) {
  std::lock_guard lock(impl_->mutex);
  impl_->new_rules = rules;
}

void SessionClient::kick(uint32_t node_id) {
  std::lock_guard lock(impl_->mutex);
  impl_->outbox.push_back(Kick{node_id});
}

void SessionClient::set_latency_offset(uint32_t node_id, int64_t offset_ns) {
  std::lock_guard lock(impl_->mutex);
  impl_->outbox.push_back(LatencyOffset{node_id, offset_ns});
}

void SessionClient::set_status(const NodeStatus& status) {
  std::lock_guard lock(impl_->mutex);
  impl_->status = status;
}

void SessionClient::set_ready(bool ready) {
  std::lock_guard lock(impl_->mutex);
  impl_->ready_to_send = ready;
}

const ClockDomain& SessionClient::clock() const { return *impl_->clock; }
bool SessionClient::clock_settled() const { return impl_->clock->estimate().settled; }
ClockEstimate SessionClient::clock_estimate() const { return impl_->clock->estimate(); }
int64_t SessionClient::rtt_ns() const { return impl_->rtt_ns; }

ClientPhase SessionClient::phase() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->phase;
}

std::string SessionClient::status_line() const {
  std::lock_guard lock(impl_->mutex);
  if (impl_->phase != ClientPhase::Connected) return impl_->line;
  const ClockEstimate e = impl_->clock->estimate();
  char text[160];
  std::snprintf(text, sizeof text, " (RTT %.2f ms, clock offset %.3f ms ± %.3f ms)",
                double(impl_->rtt_ns) / 1e6, double(e.offset_ns) / 1e6, double(e.error_bound_ns) / 1e6);
  return impl_->line + text;
}

std::string SessionClient::final_error() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->final_error;
}

std::string SessionClient::retry_reason() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->retry_reason;
}

std::vector<PeerInfo> SessionClient::peers() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->peers;
}

uint32_t SessionClient::node_id() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->node_id;
}

int SessionClient::local_port() const { return impl_->local_port; }

std::string SessionClient::server_fingerprint() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->server_fingerprint;
}

}  // namespace lockstep::net
