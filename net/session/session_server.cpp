#include "net/session/session_server.h"

#include <atomic>
#include <thread>

#include "core/log.h"
#include "core/time.h"
#include "net/transport/cookie_gate.h"
#include "net/transport/enet_transport.h"

namespace lockstep::net {

namespace {

/// The session core's connections are ENet peers: a handle is the peer's address in memory
/// (valid from CONNECT until DISCONNECT or a reset, which is what the core assumes).
ENetPeer* enet_peer(PeerHandle handle) { return reinterpret_cast<ENetPeer*>(static_cast<uintptr_t>(handle)); }
PeerHandle handle_of(ENetPeer* peer) { return static_cast<PeerHandle>(reinterpret_cast<uintptr_t>(peer)); }

class EnetPeerLink final : public PeerLink {
 public:
  explicit EnetPeerLink(ENetHost* host) : host_(host) {}
  void send(PeerHandle peer, Channel channel, std::span<const uint8_t> bytes) override {
    send_bytes(enet_peer(peer), channel, bytes);
  }
  void flush() override { enet_host_flush(host_); }
  void close(PeerHandle peer) override {
    // A closing connection gets ENet's short timeout back: one that never acknowledges its
    // disconnect is gone within 5 s, not the 60 s a joined node is allowed (joined()).
    enet_peer_timeout(enet_peer(peer), 0, 2000, 5000);
    enet_peer_disconnect_later(enet_peer(peer), 0);
  }
  void drop(PeerHandle peer) override { enet_peer_reset(enet_peer(peer)); }  // no DISCONNECT event follows
  // ENet's own timeout gives up when one reliable packet goes unacknowledged for a few
  // retries, which a path losing a third of its packets does now and then: once a node has
  // joined, the core's silence rule decides instead (session_core.cpp, kNodeSilenceNs).
  void joined(PeerHandle peer) override { enet_peer_timeout(enet_peer(peer), 0, 30'000, 60'000); }
  int64_t round_trip_ns(PeerHandle peer) const override {
    return int64_t(enet_peer(peer)->roundTripTime) * kNsPerMs;
  }

 private:
  ENetHost* host_;
};

}  // namespace

struct SessionServer::Impl {
  SessionServerParams params;
  std::shared_ptr<EnetLibrary> library;
  EnetHostPtr host;
  CookieGate gate;  // before any connection slot: a cookie round trip (cookie_gate.h)
  std::unique_ptr<EnetPeerLink> link;
  std::unique_ptr<SessionCore> core;  // used by the network thread only (but its thread-safe getters)
  std::atomic<bool> stopping{false};
  std::thread thread;

  void run();
};

Result<std::unique_ptr<SessionServer>> SessionServer::start(const SessionServerParams& params) {
  auto impl = std::make_unique<Impl>();
  impl->params = params;
  auto lib = EnetLibrary::acquire();
  if (!lib) return make_error(lib.error());
  impl->library = *lib;
  auto hs = params.password ? ServerHandshake::with_password(*params.password, params.identity)
                            : ServerHandshake::without_password(params.identity);
  if (!hs) return make_error(hs.error());
  auto host = listen_udp(params.port, params.max_nodes);
  if (!host) return make_error(host.error());
  impl->host = std::move(host.value());
  impl->gate.install(impl->host.get());
  impl->link = std::make_unique<EnetPeerLink>(impl->host.get());
  impl->core = std::make_unique<SessionCore>(params, std::move(hs.value()), *impl->link, [] { return monotonic_ns(); });
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->run(); });
  LS_INFO("session: listening on udp/{}{}, server key {}", params.port,
          params.password ? " (password required)" : "", impl->core->identity().fingerprint());
  return std::unique_ptr<SessionServer>(new SessionServer(std::move(impl)));
}

SessionServer::SessionServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SessionServer::~SessionServer() {
  impl_->stopping = true;
  if (impl_->thread.joinable()) impl_->thread.join();
}

int SessionServer::port() const { return impl_->params.port; }
std::string SessionServer::fingerprint() const { return impl_->core->identity().fingerprint(); }
uint64_t SessionServer::refused_packets() const { return impl_->core->refused_packets(); }
void SessionServer::set_host_client_port(int port) { impl_->core->set_host_client_port(port); }
std::vector<PeerInfo> SessionServer::peers() const { return impl_->core->peers(); }
SessionStatus SessionServer::status() const { return impl_->core->status(); }
int SessionServer::node_count() const { return int(peers().size()); }

std::string SessionServer::status_line() const {
  const int n = node_count();
  return "Listening on udp/" + std::to_string(port()) + " · " + std::to_string(n) +
         (n == 1 ? " node" : " nodes");
}

void SessionServer::Impl::run() {
  // The thread sleeps in enet_host_service until a packet arrives (a probe is stamped and
  // answered as it returns) or the core's next own task is due: the node table, a held
  // play's timeout, login deadlines. The wait is capped so that ENet's resends and pings and
  // a stop request wait at most that long.
  constexpr int64_t kMaxWaitNs = 10 * kNsPerMs;
  int64_t next_due = 0;
  while (!stopping) {
    const int64_t wait_ns = std::min(kMaxWaitNs, next_due - monotonic_ns());
    // Whole milliseconds (ENet's unit), rounded up: waking early would only wait again.
    const auto wait_ms = enet_uint32(std::max<int64_t>(0, (wait_ns + kNsPerMs - 1) / kNsPerMs));
    ENetEvent ev;
    int got = enet_host_service(host.get(), &ev, wait_ms);
    while (got > 0) {
      const int64_t received_ns = monotonic_ns();
      switch (ev.type) {
        case ENET_EVENT_TYPE_CONNECT:
          // A connection that stops answering before it has joined is dropped after 5 s
          // (ENet's default is ~30 s); a joined node by the core's silence rule.
          enet_peer_timeout(ev.peer, 0, 2000, 5000);
          core->on_connect(handle_of(ev.peer), PeerAddress{ev.peer->address.host, ev.peer->address.port});
          break;
        case ENET_EVENT_TYPE_DISCONNECT: core->on_disconnect(handle_of(ev.peer)); break;
        case ENET_EVENT_TYPE_RECEIVE:
          core->on_packet(handle_of(ev.peer), {ev.packet->data, ev.packet->dataLength}, ev.channelID, received_ns);
          enet_packet_destroy(ev.packet);
          break;
        default: break;
      }
      got = enet_host_check_events(host.get(), &ev);
    }
    next_due = core->tick();
  }
  core->close_all();
}

}  // namespace lockstep::net
