// ENet, wrapped: library initialisation, hosts and packets in RAII owners, the three
// channels of a session, and sending bytes with the ownership rules written down.
//
// Thread-safety: ENet is not thread-safe. An EnetHost and its peers are used by one thread
// (the session's network thread).
#pragma once

#include <enet/enet.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/result.h"
#include "net/transport/channels.h"
#include "net/transport/endpoint.h"

namespace lockstep::net {

/// enet_initialize()/enet_deinitialize(), reference counted. Hold one while using ENet.
class EnetLibrary {
 public:
  static Result<std::shared_ptr<EnetLibrary>> acquire();
  ~EnetLibrary();

 private:
  EnetLibrary() = default;
};

struct EnetHostDeleter {
  void operator()(ENetHost* host) const { enet_host_destroy(host); }
};
using EnetHostPtr = std::unique_ptr<ENetHost, EnetHostDeleter>;

/// A host listening on UDP `port` of every interface, for up to `max_peers`. Errors name the
/// port and what to do (address in use, permission).
Result<EnetHostPtr> listen_udp(int port, size_t max_peers);
/// A host for one outgoing connection (ephemeral port).
Result<EnetHostPtr> client_host();
/// Resolves `endpoint` (DNS for names). Errors name the host.
Result<ENetAddress> resolve(const Endpoint& endpoint);
/// "192.168.1.20:7450"
std::string to_string(const ENetAddress& address);

/// Copies `bytes` into a packet with the channel's delivery flags and queues it on `peer`.
/// ENet owns the packet once queued; when queueing fails the packet is destroyed here.
/// Returns false when the peer cannot take it (disconnected).
bool send_bytes(ENetPeer* peer, Channel channel, std::span<const uint8_t> bytes);

}  // namespace lockstep::net
