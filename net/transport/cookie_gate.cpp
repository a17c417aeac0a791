#include "net/transport/cookie_gate.h"

#include <arpa/inet.h>

#include <enet/protocol.h>
#include <sodium.h>

#include <cstddef>
#include <cstring>
#include <map>
#include <mutex>

#include "core/time.h"

namespace lockstep::net {

namespace {

constexpr uint8_t kRequestMagic[4] = {'L', 'S', 'C', 'Q'};
constexpr uint8_t kReplyMagic[4] = {'L', 'S', 'C', 'R'};
constexpr int64_t kWindowNs = 30'000'000'000;

// ENet's intercept callback gets only the host: the gate or jar behind each host.
std::mutex g_mutex;
std::map<ENetHost*, CookieGate*> g_gates;  // protected by g_mutex
std::map<ENetHost*, CookieJar*> g_jars;    // protected by g_mutex

int ENET_CALLBACK gate_hook(ENetHost* host, ENetEvent*) {
  CookieGate* gate = nullptr;
  {
    std::lock_guard lock(g_mutex);
    auto it = g_gates.find(host);
    if (it != g_gates.end()) gate = it->second;
  }
  return gate ? gate->intercept(host) : 0;
}

int ENET_CALLBACK jar_hook(ENetHost* host, ENetEvent*) {
  CookieJar* jar = nullptr;
  {
    std::lock_guard lock(g_mutex);
    auto it = g_jars.find(host);
    if (it != g_jars.end()) jar = it->second;
  }
  return jar ? jar->intercept(host) : 0;
}

/// The `data` of a CONNECT datagram (what enet_host_connect was given), or nullopt when the
/// datagram is not a connect.
std::optional<uint32_t> connect_data(const uint8_t* d, size_t n) {
  if (n < sizeof(enet_uint16)) return std::nullopt;
  uint16_t peer_id = 0;
  std::memcpy(&peer_id, d, sizeof peer_id);
  peer_id = ENET_NET_TO_HOST_16(peer_id);
  if ((peer_id & ENET_PROTOCOL_MAXIMUM_PEER_ID) != ENET_PROTOCOL_MAXIMUM_PEER_ID) return std::nullopt;
  size_t at = (peer_id & ENET_PROTOCOL_HEADER_FLAG_SENT_TIME) ? sizeof(ENetProtocolHeader)
                                                              : offsetof(ENetProtocolHeader, sentTime);
  if (n < at + sizeof(ENetProtocolConnect)) return std::nullopt;
  ENetProtocolConnect c;
  std::memcpy(&c, d + at, sizeof c);
  if ((c.header.command & ENET_PROTOCOL_COMMAND_MASK) != ENET_PROTOCOL_COMMAND_CONNECT) return std::nullopt;
  return ENET_NET_TO_HOST_32(c.data);
}

}  // namespace

CookieGate::CookieGate() {
  if (sodium_init() < 0) return;
  randombytes_buf(secret_.data(), secret_.size());
}

CookieGate::~CookieGate() {
  std::lock_guard lock(g_mutex);
  if (host_) {
    g_gates.erase(host_);
    host_->intercept = nullptr;
  }
}

void CookieGate::install(ENetHost* host) {
  std::lock_guard lock(g_mutex);
  host_ = host;
  g_gates[host] = this;
  host->intercept = gate_hook;
}

uint32_t CookieGate::cookie(const ENetAddress& a, int64_t window) const {
  uint8_t msg[14];
  std::memcpy(msg, &a.host, 4);
  std::memcpy(msg + 4, &a.port, 2);
  std::memcpy(msg + 6, &window, 8);
  uint8_t mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, msg, sizeof msg, secret_.data());
  uint32_t c = 0;
  std::memcpy(&c, mac, sizeof c);
  return c;
}

int CookieGate::intercept(ENetHost* host) {
  const uint8_t* d = host->receivedData;
  const size_t n = host->receivedDataLength;
  const int64_t window = monotonic_ns() / kWindowNs;
  if (n >= 4 && std::memcmp(d, kRequestMagic, 4) == 0) {
    if (n < kCookieRequestBytes) return 1;  // too small to be answered
    uint8_t reply[kCookieReplyBytes];
    std::memcpy(reply, kReplyMagic, 4);
    const uint32_t c = cookie(host->receivedAddress, window);
    std::memcpy(reply + 4, &c, 4);
    std::memset(reply + 8, 0, 4);
    ENetBuffer buf{reply, sizeof reply};
    enet_socket_send(host->socket, &host->receivedAddress, &buf, 1);
    ++answered_;
    return 1;
  }
  if (auto data = connect_data(d, n)) {
    // This half minute's cookie, or the last one's (a request just before the turn).
    if (*data == cookie(host->receivedAddress, window) || *data == cookie(host->receivedAddress, window - 1)) {
      // A valid cookie proves the address, not the intent: each CONNECT with a new
      // connection id would take a slot that ENet holds until its handshake times out.
      // Connections still in ENet's handshake are capped per address and in all.
      // (ENet keeps addresses in network byte order: the /24 is the first three bytes.)
      const auto network = [](uint32_t a) { return ntohl(a) >> 8; };
      size_t from_address = 0, from_network = 0, all = 0;
      for (ENetPeer* p = host->peers; p < host->peers + host->peerCount; ++p) {
        if (p->state != ENET_PEER_STATE_ACKNOWLEDGING_CONNECT && p->state != ENET_PEER_STATE_CONNECTION_PENDING &&
            p->state != ENET_PEER_STATE_CONNECTION_SUCCEEDED)
          continue;
        ++all;
        if (p->address.host == host->receivedAddress.host) ++from_address;
        if (network(p->address.host) == network(host->receivedAddress.host)) ++from_network;
      }
      if (from_address < kMaxHalfOpenPerAddress && from_network < kMaxHalfOpenPerNetwork && all < kMaxHalfOpen) return 0;
      ++refused_half_open_;
      return 1;
    }
    ++refused_;
    return 1;
  }
  return 0;
}

CookieJar::~CookieJar() {
  std::lock_guard lock(g_mutex);
  if (host_) {
    g_jars.erase(host_);
    host_->intercept = nullptr;
  }
}

void CookieJar::install(ENetHost* host) {
  std::lock_guard lock(g_mutex);
  host_ = host;
  g_jars[host] = this;
  host->intercept = jar_hook;
}

void CookieJar::request(const ENetAddress& server) {
  server_ = server;
  cookie_.reset();
  uint8_t req[kCookieRequestBytes] = {};
  std::memcpy(req, kRequestMagic, 4);
  ENetBuffer buf{req, sizeof req};
  enet_socket_send(host_->socket, &server, &buf, 1);
}

int CookieJar::intercept(ENetHost* host) {
  const uint8_t* d = host->receivedData;
  if (host->receivedDataLength != kCookieReplyBytes || std::memcmp(d, kReplyMagic, 4) != 0) return 0;
  if (host->receivedAddress.host != server_.host || host->receivedAddress.port != server_.port) return 1;
  uint32_t c = 0;
  std::memcpy(&c, d + 4, 4);
  cookie_ = c;
  return 1;
}

}  // namespace lockstep::net
