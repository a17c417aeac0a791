#include "net/transport/enet_transport.h"

#include <arpa/inet.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "core/log.h"
#include "core/time.h"
#include "net/protocol/messages.h"

namespace lockstep::net {

namespace {
std::mutex g_library_mutex;
int g_library_users = 0;  // protected by g_library_mutex
}  // namespace

Result<std::shared_ptr<EnetLibrary>> EnetLibrary::acquire() {
  std::lock_guard lock(g_library_mutex);
  if (g_library_users == 0 && enet_initialize() != 0)
    return make_error("cannot initialise ENet (the UDP networking library)");
  ++g_library_users;
  return std::shared_ptr<EnetLibrary>(new EnetLibrary());
}

EnetLibrary::~EnetLibrary() {
  std::lock_guard lock(g_library_mutex);
  if (--g_library_users == 0) enet_deinitialize();
}

namespace {

/// No packet larger than the protocol's own bound is reassembled, and a peer may not make
/// ENet hold more than a few of them (ENet's defaults: 32 MiB each, 32 MiB waiting).
void limit_host(ENetHost* host) {
  host->maximumPacketSize = kMaxPacketBytes;
  host->maximumWaitingData = 4 * kMaxPacketBytes;
}

}  // namespace

Result<EnetHostPtr> listen_udp(int port, size_t max_peers) {
  ENetAddress address{};
  address.host = ENET_HOST_ANY;
  address.port = static_cast<enet_uint16>(port);
  errno = 0;
  ENetHost* host = enet_host_create(&address, max_peers, kChannelCount, 0, 0);
  if (!host) {
    const int err = errno;
    const std::string where = "cannot listen on udp/" + std::to_string(port) + ": ";
    if (err == EADDRINUSE)
      return make_error(where + "the port is in use by another program (another lockstep "
                        "server?): stop it or choose another port with --port");
    if (err == EACCES)
      return make_error(where + "permission denied (ports below 1024 need root): use a "
                        "port above 1024");
    return make_error(where + (err ? std::strerror(err) : "ENet could not create the host"));
  }
  limit_host(host);
  return EnetHostPtr(host);
}

Result<EnetHostPtr> client_host() {
  ENetHost* host = enet_host_create(nullptr, 1, kChannelCount, 0, 0);
  if (!host) return make_error(std::string("cannot open a UDP socket: ") + std::strerror(errno));
  limit_host(host);
  return EnetHostPtr(host);
}

Result<ENetAddress> resolve(const Endpoint& endpoint) {
  ENetAddress address{};
  if (enet_address_set_host(&address, endpoint.host.c_str()) != 0)
    return make_error("host '" + endpoint.host + "' not found: check the name, or use its "
                      "IP address");
  address.port = static_cast<enet_uint16>(endpoint.port);
  return address;
}

std::string to_string(const ENetAddress& address) {
  char text[INET_ADDRSTRLEN] = {};
  in_addr in{};
  in.s_addr = address.host;
  inet_ntop(AF_INET, &in, text, sizeof text);
  return std::string(text) + ":" + std::to_string(address.port);
}

bool send_bytes(ENetPeer* peer, Channel channel, std::span<const uint8_t> bytes) {
  enet_uint32 flags = 0;
  switch (channel) {
    case kControlChannel: flags = ENET_PACKET_FLAG_RELIABLE; break;
    case kClockChannel: flags = ENET_PACKET_FLAG_UNSEQUENCED; break;
    // Unreliable and sequenced; a status larger than one datagram (a big node table) is
    // fragmented unreliably too, instead of ENet's default of reliable fragments.
    default: flags = ENET_PACKET_FLAG_UNRELIABLE_FRAGMENT; break;
  }
  ENetPacket* packet = enet_packet_create(bytes.data(), bytes.size(), flags);
  if (!packet) return false;
  if (enet_peer_send(peer, channel, packet) != 0) {
    enet_packet_destroy(packet);  // not queued: still ours
    // Said, not silently lost (at most once a second): a message too large once sealed, or
    // a connection that is closing.
    static std::atomic<int64_t> next_log_ns{0};
    const int64_t now = monotonic_ns();
    if (int64_t due = next_log_ns.load(); now >= due && next_log_ns.compare_exchange_strong(due, now + kNsPerSec))
      LS_WARN("network: a message of {} bytes on channel {} was not sent ({})", bytes.size(), int(channel),
              bytes.size() > 65536 ? "larger than a packet may be: 64 KiB" : "the connection is closing");
    return false;
  }
  return true;
}

}  // namespace lockstep::net
