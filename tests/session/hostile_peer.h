// A hostile party for the attack tests: raw ENet from a chosen loopback source address
// (127.0.0.2, ... route to this machine like 127.0.0.1, so an attacker and a real node have
// different addresses as they would on the internet), speaking the wire format directly.
// Loopback only; every loop in the tests using it is bounded.
#pragma once

#include <arpa/inet.h>

#include <map>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/time.h"
#include "net/protocol/auth.h"
#include "net/protocol/messages.h"
#include "net/protocol/sealer.h"
#include "net/transport/cookie_gate.h"
#include "net/transport/enet_transport.h"

namespace lockstep::test {

class HostilePeers {
 public:
  /// Up to `count` ENet connections from `source_ip` (a 127.x.y.z address).
  HostilePeers(const std::string& source_ip, size_t count) {
    lib_ = *net::EnetLibrary::acquire();
    ENetAddress self{};
    enet_address_set_host_ip(&self, source_ip.c_str());
    self.port = 0;
    host_.reset(enet_host_create(&self, count, net::kChannelCount, 0, 0));
    if (host_) jar_.install(host_.get());
  }
  bool ok() const { return host_ != nullptr; }

  /// Starts `n` connections to 127.0.0.1:`port`, with the cookie a real address gets.
  void connect(int port, size_t n) {
    ENetAddress to{};
    enet_address_set_host_ip(&to, "127.0.0.1");
    to.port = uint16_t(port);
    jar_.request(to);
    for (int i = 0; i < 100 && !jar_.cookie(); ++i) pump(0.01);
    const uint32_t cookie = jar_.cookie().value_or(0);
    for (size_t i = 0; i < n; ++i)
      if (ENetPeer* p = enet_host_connect(host_.get(), &to, net::kChannelCount, cookie)) peers_.push_back(p);
  }
  /// Services the host for `seconds`, decoding what arrives (opened with the peer's keys
  /// once it logged in); counts connects and disconnects.
  std::vector<std::pair<ENetPeer*, net::Message>> pump(double seconds) {
    std::vector<std::pair<ENetPeer*, net::Message>> got;
    const int64_t end = monotonic_ns() + int64_t(seconds * 1e9);
    do {
      ENetEvent ev;
      while (enet_host_service(host_.get(), &ev, 5) > 0) {
        if (ev.type == ENET_EVENT_TYPE_CONNECT) ++connected;
        if (ev.type == ENET_EVENT_TYPE_DISCONNECT) ++disconnected;
        if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
          std::span<const uint8_t> data{ev.packet->data, ev.packet->dataLength};
          std::vector<uint8_t> opened;
          auto sealer = sealers_.find(ev.peer);
          if (sealer != sealers_.end()) {
            auto o = sealer->second->open(ev.channelID, data);
            if (o) opened = std::move(*o);
            data = opened;
          }
          auto m = net::decode(data);
          if (m) got.emplace_back(ev.peer, *m);
          enet_packet_destroy(ev.packet);
        }
      }
    } while (monotonic_ns() < end);
    return got;
  }
  /// Sends `m` (sealed with the peer's keys once it logged in).
  void send(ENetPeer* p, const net::Message& m, net::Channel ch = net::kControlChannel) {
    auto bytes = net::encode(m);
    if (!bytes) return;
    auto sealer = sealers_.find(p);
    if (sealer != sealers_.end()) net::send_bytes(p, ch, sealer->second->seal(ch, *bytes));
    else net::send_bytes(p, ch, *bytes);
  }
  void send_raw(ENetPeer* p, std::span<const uint8_t> bytes) { net::send_bytes(p, net::kControlChannel, bytes); }
  void flush() { enet_host_flush(host_.get()); }
  const std::vector<ENetPeer*>& peers() const { return peers_; }

  /// Logs in peer `p` as a real node would (no password session): Hello, the signed
  /// Challenge, Auth with a key exchange; from then on its packets are sealed.
  std::optional<net::Welcome> login(ENetPeer* p, const std::string& name) {
    const net::Nonce nonce = net::random_nonce();
    send(p, net::Hello{uint16_t(net::kProtocolVersion), name, nonce, net::NodeRole::Playback});
    flush();
    for (int i = 0; i < 100; ++i) {
      for (auto& [from, m] : pump(0.02)) {
        if (from != p) continue;
        if (auto* c = std::get_if<net::Challenge>(&m)) {
          auto answer = net::ClientHandshake::answer(std::nullopt, nonce, *c);
          if (!answer) return std::nullopt;
          send(p, answer->auth());
          flush();
          sealers_[p] = std::make_unique<net::ConnectionSealer>(answer->session_keys(), net::AeadSealer::Side::Client,
                                                                net::kChannelCount);
        }
        if (auto* w = std::get_if<net::Welcome>(&m)) return *w;
        if (std::get_if<net::Reject>(&m)) return std::nullopt;
      }
    }
    return std::nullopt;
  }

  int connected = 0;
  int disconnected = 0;

 private:
  std::shared_ptr<net::EnetLibrary> lib_;
  net::EnetHostPtr host_;
  net::CookieJar jar_;  // destroyed before the host (declared after it)
  std::map<ENetPeer*, std::unique_ptr<net::ConnectionSealer>> sealers_;
  std::vector<ENetPeer*> peers_;
};

}  // namespace lockstep::test
