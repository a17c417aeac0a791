#include "net/session/session_core.h"

#include <arpa/inet.h>

#include <algorithm>
#include <limits>
#include <cmath>
#include <map>
#include <set>
#include <mutex>
#include <atomic>

#include "core/log.h"
#include "clock/transport_command.h"
#include "core/time.h"
#include "net/protocol/auth.h"
#include "net/protocol/sealer.h"
#include "net/protocol_version.h"
#include "net/session/transport_wire.h"
#include "net/session/wire_checks.h"

namespace lockstep::net {

namespace {

/// Where a connection is in the login: each step is taken once, in this order, and nothing
/// but the next step's message is accepted before Welcome. Answered: its Auth got a Welcome
/// or a Reject; a refused Auth is not tried again on the same connection.
enum class Stage { Connected, Greeted, Answered };

struct Peer {
  uint32_t id = 0;
  PeerHandle handle = 0;
  PeerAddress from;
  std::string name;
  std::string address;
  int64_t connected_ns = 0;
  int64_t last_heard_ns = 0;  // the last packet that opened (sealed by this connection's key)
  Nonce client_nonce{};
  Nonce server_nonce{};
  Stage stage = Stage::Connected;
  ConnectionKx kx;                           // this connection's key exchange (until Auth)
  std::shared_ptr<ConnectionSealer> sealer;  // every packet after Auth, both ways
  bool authed = false;   // Welcome sent (stage == Answered)
  bool replaced = false;  // logged in, then replaced by a newer login under its name: closing
  bool closing = false;   // refused, kicked or said Bye: what it sends now is not read
  bool ready = false;
  NodeStatus status;
  std::vector<MediaMatch> media;
};

/// A connection that has not logged in by then is dropped (it holds a slot).
constexpr int64_t kLoginDeadlineNs = 5'000'000'000;
/// A joined node that has sent nothing for this long is gone: it probes the clock at 2 a
/// second at least (40 on a very noisy path), so this is ten probes or more lost in a row.
/// Until then its place in the table, its readiness and its name are kept (a node behind a
/// lossy path is not dropped because a few resends went unanswered: that is ENet's rule,
/// kept for the login and for connections being closed). A node gone silent notices the
/// same silence from its side (3 s) and rejoins.
constexpr int64_t kNodeSilenceNs = 5'000'000'000;
/// Connections not yet logged in: at most this many in all, and from one network (an IPv4
/// /24: a flood from many addresses of one network is one source; a video wall of 12 nodes
/// on one LAN logging in at once still fits).
constexpr size_t kMaxPendingPeers = 64;
constexpr size_t kMaxPendingPerNetwork = 16;
/// Complaints about peers: at most one line per network per kLogEveryNs, and in all a burst
/// of kLogBurst lines refilled at one per kLogRefillNs, so junk from many networks cannot
/// fill a disk or a journal.
constexpr int kLogBurst = 20;
constexpr int64_t kLogRefillNs = 500'000'000;
/// Wrong passwords from one address before it must wait, and how long (doubling).
constexpr int kFreeGuesses = 3;
constexpr int64_t kGuessPenaltyNs = 1'000'000'000;
constexpr int64_t kLogEveryNs = 2'000'000'000;

/// The IPv4 /24 an address belongs to (`host` is in network order).
uint32_t network_of(const PeerAddress& a) { return ntohl(a.host) >> 8; }

std::string address_text(PeerAddress a) {
  char ip[INET_ADDRSTRLEN] = "?";
  in_addr in{};
  in.s_addr = a.host;
  inet_ntop(AF_INET, &in, ip, sizeof ip);
  return std::string(ip) + ":" + std::to_string(a.port);
}

}  // namespace

struct SessionCore::Impl {
  SessionServerParams params;
  ServerHandshake handshake;
  PeerLink& link;
  std::function<int64_t()> clock;
  std::atomic<int> host_client_port{0};
  std::atomic<uint64_t> refused_packets{0};

  std::map<PeerHandle, Peer> peers;
  uint32_t next_id = 1;
  TransportWire transport;
  bool fresh = true;  // no command applied yet: a reconnecting node may restore its state
  std::optional<Command> held_play;  // waiting for every node to be ready
  int64_t held_since_ns = 0;
  int64_t next_table_ns = 0;  // the next node-table publication
  int64_t next_sweep_ns = 0;  // the next check of login deadlines
  // Kicked nodes stay out: by address and name, and by address and port (a reconnect).
  std::set<std::pair<uint32_t, std::string>> banned_names;
  std::set<std::pair<uint32_t, uint16_t>> banned_ports;
  struct Guesses {
    int wrong = 0;
    int64_t blocked_until_ns = 0;
  };
  std::map<uint32_t, Guesses> guesses;  // wrong passwords per source address
  // Log lines about bad input from one address: one per kLogEveryNs at most, the rest counted.
  struct LogBudget {
    int64_t next_ns = 0;
    int64_t unlogged = 0;
  };
  std::map<uint32_t, LogBudget> log_budget;  // by network (network_of)
  int64_t log_tokens = kLogBurst;
  int64_t log_tokens_at = 0;
  uint64_t unlogged_elsewhere = 0;

  // Published for other threads, protected by mutex:
  mutable std::mutex mutex;
  std::vector<PeerInfo> published;
  TransportWire published_transport;

  Impl(const SessionServerParams& p, ServerHandshake hs, PeerLink& l, std::function<int64_t()> now)
      : params(p), handshake(std::move(hs)), link(l), clock(std::move(now)) {
    transport.paused = true;
    transport.loop = params.loop;
    transport.position_ns = std::max<int64_t>(0, params.start_position_ns);
    transport.anchor_session_ns = clock();
    published_transport = transport;
  }

  void on_connect(PeerHandle handle, PeerAddress from);
  void on_disconnect(PeerHandle handle);
  void on_packet(Peer& peer, std::span<const uint8_t> bytes, uint8_t channel, int64_t received_ns);
  void on_message(Peer& peer, const Message& message, int64_t received_ns);
  int64_t tick();
  void send(Peer& peer, Channel channel, const Message& message);
  void reject(Peer& peer, RejectReason reason, const std::string& detail);
  /// Logs bad input from `peer`, rate-limited per address.
  void complain(Peer& peer, const std::string& what);
  void on_hello(Peer& peer, const Hello& hello);
  void on_auth(Peer& peer, const Auth& auth);
  void on_restore(Peer& peer, const TransportWire& restore);
  void kick(uint32_t node_id);
  void sweep(int64_t now);
  void handle_command(Peer& peer, const Command& command);
  void apply(const Command& command, int64_t effective_ns);
  void broadcast_state(uint32_t command_id, uint32_t issuer);
  void publish_table(int64_t now);
  /// The host's own node: the client in this process (over loopback, from its port).
  bool is_host(const Peer& peer) const {
    return peer.from.host == htonl(INADDR_LOOPBACK) && int(peer.from.port) == host_client_port.load();
  }
  void table_soon(int64_t now);
  bool all_ready() const;
  int64_t lead_ns() const;
  SessionSnapshot snapshot() const;
};

SessionCore::SessionCore(const SessionServerParams& params, ServerHandshake handshake, PeerLink& link,
                         std::function<int64_t()> now)
    : impl_(std::make_unique<Impl>(params, std::move(handshake), link, std::move(now))) {}

SessionCore::~SessionCore() = default;

void SessionCore::on_connect(PeerHandle peer, PeerAddress address) { impl_->on_connect(peer, address); }
void SessionCore::on_disconnect(PeerHandle peer) { impl_->on_disconnect(peer); }
void SessionCore::on_packet(PeerHandle peer, std::span<const uint8_t> bytes, uint8_t channel, int64_t received_ns) {
  auto it = impl_->peers.find(peer);
  if (it != impl_->peers.end()) impl_->on_packet(it->second, bytes, channel, received_ns);
}
int64_t SessionCore::tick() { return impl_->tick(); }
void SessionCore::close_all() {
  for (auto& [handle, peer] : impl_->peers) {
    // A node in the session gets a Bye (sealed); one still logging in gets a Reject it can
    // read before its keys exist, saying why, and tries again later like after any loss.
    if (peer.authed)
      impl_->send(peer, kControlChannel, Bye{"the server closed the session"});
    else
      impl_->send(peer, kControlChannel,
                  Reject{RejectReason::ShuttingDown, uint16_t(kProtocolVersion),
                         "the server is shutting down: this node tries again until it is back"});
    impl_->link.close(handle);
  }
  impl_->link.flush();
}
void SessionCore::set_host_client_port(int port) { impl_->host_client_port = port; }
const ServerIdentity& SessionCore::identity() const { return impl_->handshake.identity(); }
uint64_t SessionCore::refused_packets() const { return impl_->refused_packets; }
std::vector<PeerInfo> SessionCore::peers() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->published;
}
size_t SessionCore::connection_count() const { return impl_->peers.size(); }
TransportWire SessionCore::transport() const { return impl_->transport; }
SessionStatus SessionCore::status() const {
  SessionStatus s;
  s.media = impl_->params.media;  // fixed for the server's life
  s.control = impl_->params.control;
  std::lock_guard lock(impl_->mutex);
  s.peers = impl_->published;
  s.transport = impl_->published_transport;
  s.session_now_ns = impl_->clock();  // the server's monotonic clock: safe from any thread
  return s;
}

int64_t SessionCore::Impl::tick() {
  const int64_t now = clock();
  if (held_play && (all_ready() || now - held_since_ns >= params.ready_timeout_ns)) {
    if (!all_ready()) LS_WARN("session: not every node is ready after {:.1f} s; starting anyway", double(params.ready_timeout_ns) / 1e9);
    const Command play = *held_play;
    held_play.reset();
    apply(play, clock() + lead_ns());
    broadcast_state(play.command_id, 0);
  }
  if (now >= next_table_ns) publish_table(now);
  if (now >= next_sweep_ns) sweep(now);
  int64_t next = std::min(next_table_ns, next_sweep_ns);
  if (held_play) next = std::min(next, held_since_ns + params.ready_timeout_ns);
  return next;
}

void SessionCore::Impl::on_connect(PeerHandle handle, PeerAddress from) {
  // Connections that have not logged in are capped, per network and in all. A new one is
  // always let in: it pushes out the oldest of its own network when that network is at its
  // cap, else the oldest of the network holding the most, so a flood from one network evicts
  // itself and a node from elsewhere still gets its turn (docs/security.md).
  std::map<uint32_t, std::vector<PeerHandle>> pending;  // by network, oldest first
  size_t total = 0;
  for (const auto& [h, p] : peers)
    if (!p.authed) pending[network_of(p.from)].push_back(h), ++total;
  for (auto& [net, list] : pending)
    std::sort(list.begin(), list.end(), [&](PeerHandle a, PeerHandle b) { return peers[a].connected_ns < peers[b].connected_ns; });
  std::optional<PeerHandle> evict;
  if (auto own = pending.find(network_of(from)); own != pending.end() && own->second.size() >= kMaxPendingPerNetwork) {
    evict = own->second.front();
  } else if (total >= kMaxPendingPeers) {
    auto most = std::max_element(pending.begin(), pending.end(),
                                 [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
    evict = most->second.front();
  }
  if (evict) {
    // Told why (a connected peer: its address answered the cookie, so this reflects nothing),
    // then dropped at once so that its slot is free now.
    Peer& gone = peers[*evict];
    complain(gone, "pushed out by newer connections before it logged in");
    send(gone, kControlChannel,
         Reject{RejectReason::ServerFull, uint16_t(kProtocolVersion),
                "the server is busy: more connections are logging in at once than it holds (a flood from "
                "your network?); trying again"});
    link.flush();
    link.drop(*evict);
    peers.erase(*evict);
  }
  Peer peer;
  peer.handle = handle;
  peer.from = from;
  peer.address = address_text(from);
  peer.connected_ns = clock();
  peer.last_heard_ns = peer.connected_ns;
  peers[handle] = std::move(peer);
}

void SessionCore::Impl::sweep(int64_t now) {
  next_sweep_ns = now + 250 * kNsPerMs;
  for (auto it = peers.begin(); it != peers.end();) {
    Peer& p = it->second;
    if (!p.authed && now - p.connected_ns > kLoginDeadlineNs) {
      complain(p, "did not log in within " + std::to_string(kLoginDeadlineNs / kNsPerSec) + " s: dropped");
      link.drop(it->first);
      it = peers.erase(it);
    } else if (p.authed && now - p.last_heard_ns > kNodeSilenceNs) {
      // A connection already closing goes the same way (a replaced one quietly).
      if (p.closing && !p.replaced)
        LS_INFO("session: '{}' ({}) left", printable(p.name), p.address);
      else if (!p.replaced)
        LS_WARN("session: '{}' ({}) sent nothing for {} s: dropped from the session (it rejoins when its "
                "network lets it; check that node and the path to it if this repeats)",
                printable(p.name), p.address, kNodeSilenceNs / kNsPerSec);
      link.drop(it->first);
      it = peers.erase(it);
      table_soon(now);
    } else {
      ++it;
    }
  }
}

void SessionCore::Impl::complain(Peer& peer, const std::string& what) {
  const int64_t now = clock();
  if (log_budget.size() > 4096) std::erase_if(log_budget, [&](const auto& kv) { return kv.second.next_ns < now; });
  LogBudget& b = log_budget[network_of(peer.from)];
  // The budget of all networks together: kLogBurst lines, refilled at one per kLogRefillNs.
  log_tokens = std::min<int64_t>(kLogBurst, log_tokens + (now - log_tokens_at) / kLogRefillNs);
  log_tokens_at = now - (now - log_tokens_at) % kLogRefillNs;
  if (now < b.next_ns || log_tokens <= 0) {
    ++b.unlogged;
    if (now >= b.next_ns) ++unlogged_elsewhere;
    return;
  }
  --log_tokens;
  b.next_ns = now + kLogEveryNs;
  const std::string who = peer.authed ? "'" + printable(peer.name) + "' (" + peer.address + ")" : peer.address;
  std::string more;
  if (b.unlogged) more += " (and " + std::to_string(b.unlogged) + " more from this network not logged)";
  if (unlogged_elsewhere)
    more += " (" + std::to_string(unlogged_elsewhere) + " complaints about other networks not logged: too many)";
  LS_WARN("session: {}: {}{}", who, what, more);
  b.unlogged = 0;
  unlogged_elsewhere = 0;
}

void SessionCore::Impl::on_disconnect(PeerHandle handle) {
  auto it = peers.find(handle);
  if (it == peers.end()) return;
  if (it->second.authed) LS_INFO("session: '{}' ({}) left", it->second.name, it->second.address);
  peers.erase(it);
  table_soon(clock());
}

void SessionCore::Impl::send(Peer& peer, Channel channel, const Message& message) {
  auto bytes = encode(message);
  if (!bytes) {
    LS_ERROR("session: cannot encode {}: {}", message_name(message), bytes.error());
    return;
  }
  if (peer.sealer) link.send(peer.handle, channel, peer.sealer->seal(channel, *bytes));
  else link.send(peer.handle, channel, *bytes);
}

void SessionCore::Impl::reject(Peer& peer, RejectReason reason, const std::string& detail) {
  complain(peer, "refused: " + detail);
  send(peer, kControlChannel, Reject{reason, uint16_t(kProtocolVersion), detail});
  link.flush();
  link.close(peer.handle);
  peer.closing = true;
}

void SessionCore::Impl::on_packet(Peer& peer, std::span<const uint8_t> bytes, uint8_t channel,
                                    int64_t received_ns) {
  std::vector<uint8_t> opened;
  if (peer.sealer) {  // after Auth, nothing is read that was not sealed by this connection's key
    auto o = peer.sealer->open(channel, bytes);
    if (!o) {
      ++refused_packets;
      complain(peer, "dropped a packet that failed authentication (forged, changed or replayed): " + o.error());
      return;
    }
    opened = std::move(o).value();
    bytes = opened;
  }
  if (!peer.closing && !peer.replaced) peer.last_heard_ns = clock();
  const auto version = peek_version(bytes);
  if (version && *version != kProtocolVersion) {
    reject(peer, RejectReason::VersionMismatch,
           "version mismatch: this server speaks lockstep protocol " + std::to_string(kProtocolVersion) +
               " and the node " + std::to_string(*version) + ": update the older one");
    return;
  }
  auto message = decode(bytes);
  if (!message) {
    complain(peer, "dropped a malformed packet: " + message.error());
    return;
  }
  on_message(peer, *message, received_ns);
}

void SessionCore::Impl::on_message(Peer& peer, const Message& message, int64_t received_ns) {
  // The login: Hello, then Auth, each once; nothing else before it is done.
  if (const auto* hello = std::get_if<Hello>(&message)) {
    if (peer.stage != Stage::Connected) {
      reject(peer, RejectReason::Malformed, "protocol violation: a second Hello on one connection");
      return;
    }
    on_hello(peer, *hello);
    return;
  }
  if (const auto* auth = std::get_if<Auth>(&message)) {
    if (peer.stage != Stage::Greeted) {
      reject(peer, RejectReason::Malformed, "protocol violation: Auth out of turn");
      return;
    }
    on_auth(peer, *auth);
    return;
  }
  if (!peer.authed) {
    complain(peer, std::string("sent ") + message_name(message) + " before logging in: ignored");
    return;
  }
  if (peer.replaced || peer.closing) return;  // closing: a newer login has its name, or it was refused
  if (const auto* probe = std::get_if<ClockProbe>(&message)) {
    // Answered at once: the reply's times are what clock sync measures.
    ClockReply reply{probe->seq, probe->t1_ns, received_ns, 0};
    reply.t3_ns = clock();
    send(peer, kClockChannel, reply);
    link.flush();
  } else if (const auto* command = std::get_if<Command>(&message)) {
    handle_command(peer, *command);
  } else if (const auto* report = std::get_if<MediaReport>(&message)) {
    if (const std::string why = media_report_problem(report->matches, params.media.size()); !why.empty())
      complain(peer, "media report refused: " + why);
    else
      peer.media = report->matches;
  } else if (const auto* ready = std::get_if<Ready>(&message)) {
    peer.ready = ready->ready;
  } else if (const auto* status = std::get_if<NodeStatus>(&message)) {
    peer.status = *status;
    // Shown to everybody: keep it to what a real node can report.
    peer.status.latency_offset_ns = std::clamp<int64_t>(status->latency_offset_ns, -kNsPerSec, kNsPerSec);
    // No real clock is negatively uncertain: such a report says nothing (it would show as
    // in step).
    if (status->clock_uncertainty_ns < 0) peer.status.clock_uncertainty_ns = std::numeric_limits<int64_t>::max();
  } else if (const auto* restore = std::get_if<StateUpdate>(&message)) {
    on_restore(peer, restore->transport);
  } else if (const auto* kick_msg = std::get_if<Kick>(&message)) {
    if (!is_host(peer)) {
      complain(peer, "only the host may remove a node: Kick ignored");
      return;
    }
    kick(kick_msg->node_id);
  } else if (const auto* offset = std::get_if<LatencyOffset>(&message)) {
    if (!is_host(peer)) {
      complain(peer, "only the host may set a node's latency offset: ignored");
      return;
    }
    LatencyOffset clamped = *offset;
    clamped.offset_ns = std::clamp<int64_t>(offset->offset_ns, -kNsPerSec, kNsPerSec);
    for (auto& [h, other] : peers)
      if (other.authed && other.id == offset->node_id) send(other, kControlChannel, clamped);
  } else if (std::get_if<Bye>(&message)) {
    link.close(peer.handle);
    peer.closing = true;
  } else {
    complain(peer, std::string("sent ") + message_name(message) + ", which only a server sends: ignored");
  }
}

void SessionCore::Impl::on_hello(Peer& peer, const Hello& hello) {
  if (hello.protocol_version != kProtocolVersion) {
    reject(peer, RejectReason::VersionMismatch,
           "version mismatch: this server speaks lockstep protocol " + std::to_string(kProtocolVersion) +
               " and the node " + std::to_string(hello.protocol_version) + ": update the older one");
    return;
  }
  const std::string name = hello.node_name.empty() ? peer.address : hello.node_name;
  if (const std::string why = node_name_problem(name); !why.empty()) {
    reject(peer, RejectReason::Malformed, "node name refused: " + why + ": choose another with --name");
    return;
  }
  const uint32_t ip = peer.from.host;
  if (banned_names.count({ip, name}) || banned_ports.count({ip, peer.from.port})) {
    reject(peer, RejectReason::Kicked, "removed from the session by the host");
    return;
  }
  peer.name = name;
  peer.client_nonce = hello.client_nonce;
  peer.server_nonce = random_nonce();
  peer.kx = ConnectionKx::generate();
  peer.stage = Stage::Greeted;
  send(peer, kControlChannel, handshake.challenge(peer.client_nonce, peer.server_nonce, peer.kx));
}

void SessionCore::Impl::on_auth(Peer& peer, const Auth& auth) {
  // Once per connection, whatever comes of it: a second Auth after a Reject would re-key
  // (and could log in) a connection the server has closed.
  peer.stage = Stage::Answered;
  auto keys = handshake.agree(peer.kx, auth);
  if (!keys) {
    reject(peer, RejectReason::Malformed, "protocol violation: " + keys.error());
    return;
  }
  // From here on, both ways, every packet of this connection is sealed (the answer too).
  peer.sealer = std::make_shared<ConnectionSealer>(*keys, AeadSealer::Side::Server, kChannelCount);
  const uint32_t ip = peer.from.host;
  const int64_t now = clock();
  if (guesses.size() > 4096) std::erase_if(guesses, [&](const auto& kv) { return kv.second.blocked_until_ns < now; });
  Guesses& g = guesses[ip];
  if (now < g.blocked_until_ns) {
    reject(peer, RejectReason::WrongPassword,
           "too many wrong passwords from this address: wait a few seconds, then try the right one");
    return;
  }
  auto proof = handshake.verify(peer.client_nonce, peer.server_nonce, peer.kx, auth, *keys);
  if (!proof) {
    // The third wrong one already makes the address wait (1 s, then 2, 4 ... 32 s).
    if (++g.wrong >= kFreeGuesses) {
      const int over = std::min(g.wrong - kFreeGuesses + 1, 6);
      g.blocked_until_ns = now + (kGuessPenaltyNs << (over - 1));
    }
    reject(peer, RejectReason::WrongPassword,
           "wrong password: ask the host for the session's password (Password field, or --password-file)");
    return;
  }
  guesses.erase(ip);
  std::vector<PeerHandle> replaced;
  for (auto& [h, other] : peers) {
    if (!other.authed || other.replaced || other.name != peer.name) continue;
    // The host's own node is never replaced (a login from the host's machine under its name
    // would otherwise end the session), nor one from another address.
    if (other.from.host != ip || (is_host(other) && !is_host(peer))) {
      reject(peer, RejectReason::NameInUse,
             "the name '" + peer.name + "' is taken in this session: choose another with --name");
      return;
    }
    replaced.push_back(h);  // the same node back before its old connection timed out
  }
  for (PeerHandle old : replaced) {
    // Most often the same node back after a network hiccup (its old connection is dead and
    // hears nothing). But two machines behind one address with one name (two wall players
    // both called "raspberrypi") would take the name from each other forever: the old
    // connection is told why and gives up, instead of reconnecting and taking it back.
    LS_INFO("session: '{}' joined again from {}; its previous connection is closed", printable(peer.name), peer.address);
    Peer& o = peers.at(old);
    o.replaced = true;  // out of the table, the name check and readiness now; on_disconnect removes it
    reject(o, RejectReason::NameInUse,
           "another node joined this session as '" + peer.name +
               "' from this node's address: if that was not this node restarting, two machines share "
               "the name: give each its own with --name");
  }
  peer.id = next_id++;
  peer.authed = true;
  send(peer, kControlChannel, Welcome{peer.id, *proof, snapshot()});
  link.joined(peer.handle);
  LS_INFO("session: '{}' joined from {} (node {})", printable(peer.name), peer.address, peer.id);
  table_soon(clock());
}

void SessionCore::Impl::on_restore(Peer& peer, const TransportWire& restore) {
  // A node that played on while this server was down (it restarted and lost its state):
  // only before any command, only from a node that may drive playback, only a valid state.
  if (!fresh) {
    complain(peer, "state restore refused: the session already has its state");
    return;
  }
  if (params.control == ControlPolicy::HostOnly && !is_host(peer)) {
    complain(peer, "state restore refused: only the host controls playback");
    return;
  }
  if (const std::string why = transport_problem(restore, params.media); !why.empty()) {
    complain(peer, "state restore refused: " + why);
    return;
  }
  fresh = false;
  transport = restore;
  LS_INFO("session: state restored from '{}' (serial {})", printable(peer.name), transport.serial);
  broadcast_state(0, peer.id);
}

void SessionCore::Impl::kick(uint32_t node_id) {
  for (auto& [h, other] : peers) {
    if (!other.authed || other.id != node_id) continue;
    banned_names.insert({other.from.host, other.name});
    banned_ports.insert({other.from.host, other.from.port});
    LS_INFO("session: the host removed '{}' ({}); it cannot rejoin this session", printable(other.name), other.address);
    reject(other, RejectReason::Kicked, "removed from the session by the host");
  }
}

void SessionCore::Impl::handle_command(Peer& peer, const Command& command) {
  if (params.control == ControlPolicy::HostOnly &&
      !is_host(peer)) {
    complain(peer, std::string("ignored ") + to_string(command.type) + ": only the host controls playback");
    return;
  }
  LS_DEBUG("session: {} from '{}'", to_string(command.type), peer.name);
  if (command.type == CommandType::Play && !all_ready()) {
    held_play = command;
    held_since_ns = clock();
    return;
  }
  apply(command, clock() + lead_ns());
  broadcast_state(command.command_id, peer.id);
}

void SessionCore::Impl::apply(const Command& c, int64_t eff) {
  fresh = false;
  TransportWire& t = transport;
  if (c.type == CommandType::Load) {
    if (c.media_index >= params.media.size()) return;
    t.media_index = c.media_index;
    t.position_ns = 0;
    t.paused = true;
    t.loop_in_ns = t.loop_out_ns = 0;  // a range belongs to the file it was set on
    ++t.serial;
    t.anchor_session_ns = eff;
    return;
  }
  // The transport commands mean here what they mean on a local node: one rule for both
  // (clock/transport_command.h). Without a known length (no files yet) positions and loop
  // ranges go as far as a node accepts (kMaxTimeNs, wire_checks.h).
  const MediaEntry media = t.media_index < params.media.size() ? params.media[t.media_index] : MediaEntry{};
  TransportState s = transport_state(t);
  s.serial = 0;  // counted here, added to the wire's serial below (which may be any uint32)
  const CommandOutcome o = apply_transport_command(s, transport_command(c), eff, frame_grid(media), kMaxTimeNs);
  if (!o.refused.empty()) LS_INFO("session: {} ignored: {}", to_string(c.type), o.refused);
  if (!o.changed) return;
  t.anchor_session_ns = s.anchor_ns;
  t.position_ns = s.position_ns;
  t.rate = s.rate;
  t.paused = s.paused;
  t.loop = s.loop;
  t.loop_in_ns = s.loop_in_ns;
  t.loop_out_ns = s.loop_out_ns;
  t.serial += uint32_t(s.serial);
}

void SessionCore::Impl::broadcast_state(uint32_t command_id, uint32_t issuer) {
  LS_DEBUG("session: state serial {} {} at {:.3f} ms from now, position {:.3f} s", transport.serial,
           transport.paused ? "paused" : "playing",
           double(transport.anchor_session_ns - clock()) / 1e6, double(transport.position_ns) / 1e9);
  {
    std::lock_guard lock(mutex);
    published_transport = transport;
  }
  StateUpdate update{command_id, issuer, transport};
  for (auto& [h, peer] : peers)
    if (peer.authed) send(peer, kControlChannel, update);
  link.flush();
}

bool SessionCore::Impl::all_ready() const {
  for (const auto& [h, peer] : peers) {
    if (!peer.authed || peer.ready || peer.replaced) continue;
    // A node without the media will never be ready: it does not hold the others back.
    const bool cannot_play = std::any_of(peer.media.begin(), peer.media.end(), [&](const MediaMatch& m) {
      return m.media_index == transport.media_index && m.status != MatchStatus::Found;
    });
    if (!cannot_play) return false;
  }
  return true;
}

int64_t SessionCore::Impl::lead_ns() const {
  // Long enough for the state to reach every node (a reliable packet may need one resend).
  int64_t worst = 0;
  for (const auto& [h, peer] : peers)
    if (peer.authed) worst = std::max<int64_t>(worst, link.round_trip_ns(h));
  return std::max(params.min_lead_ns, 3 * worst + 30 * kNsPerMs);
}

SessionSnapshot SessionCore::Impl::snapshot() const {
  SessionSnapshot s;
  s.transport = transport;
  s.media = params.media;
  s.control_policy = params.control;
  s.lead_ns = lead_ns();
  return s;
}

// The node table goes to every node: N rows to N nodes is O(N²) bytes. Small sessions get
// it every second; large ones less often (every N/32 s: 8 s at 256 nodes), which keeps a
// 256-node session's server at a few per cent of a core. Joins and leaves bring the next
// publication forward, coalesced over 200 ms so that a wave of joins sends a few tables,
// not one per join.
void SessionCore::Impl::table_soon(int64_t now) {
  next_table_ns = std::min(next_table_ns, now + 200 * kNsPerMs);
}

void SessionCore::Impl::publish_table(int64_t now) {
  const int64_t n = int64_t(peers.size());
  next_table_ns = now + kNsPerSec * std::max<int64_t>(1, n / 32);
  PeerTable table;
  for (auto& [h, peer] : peers) {
    if (!peer.authed || peer.replaced) continue;
    PeerInfo info;
    info.node_id = peer.id;
    info.name = peer.name;
    info.address = peer.address;
    info.status = peer.status;
    info.media = peer.media;
    table.peers.push_back(std::move(info));
  }
  // Encoded once for everybody (sealed per node): with N nodes the table is O(N) bytes
  // sent to N nodes. Where the nodes' shared details (--share-media-details) would make it
  // too large for one packet, the table carries the statuses only.
  // (Sealing adds a counter and a tag: leave room for them under the packet bound.)
  auto bytes = encode(table);
  if (!bytes || bytes->size() + 64 > kMaxPacketBytes) {
    for (auto& row : table.peers)
      for (auto& m : row.media) m.detail.clear(), m.local_path.clear();
    bytes = encode(table);
  }
  if (bytes) {
    for (auto& [h, peer] : peers)
      if (peer.authed && peer.sealer) link.send(h, kStatusChannel, peer.sealer->seal(kStatusChannel, *bytes));
  } else {
    LS_WARN("session: node table not sent: {}", bytes.error());
  }
  std::lock_guard lock(mutex);
  published = std::move(table.peers);
  published_transport = transport;
}

}  // namespace lockstep::net
