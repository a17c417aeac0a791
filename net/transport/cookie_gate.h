// Stateless connection cookies, in front of ENet's own connect handshake (docs/security.md).
//
// ENet gives a connection slot, and sends a VERIFY_CONNECT reply, to every CONNECT datagram:
// spoofed sources fill the slots and turn the server into a reflector. So before connecting,
// a client asks for a cookie in one raw datagram (padded to be larger than the answer); the
// server answers with a MAC of the source address and port and the current half minute,
// keeps nothing, and lets a CONNECT through only when it carries a valid cookie in ENet's
// connect `data` field. A spoofed source never sees its cookie, and gets back fewer bytes
// than it sent.
//
//   client                                   server
//   CookieRequest (48 bytes) -------------->  cookie = MAC(secret, ip, port, window)
//                  <-----------------------   CookieReply (12 bytes)
//   enet_host_connect(..., data = cookie) ->  checked in ENet's intercept hook
//
// Thread-safety: a gate or jar is used by the thread that services its ENet host; install()
// and the destructor may run on any thread while that host is not being serviced.
#pragma once

#include <enet/enet.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>

namespace lockstep::net {

/// Size of a cookie request datagram: larger than the reply, so no amplification.
inline constexpr std::size_t kCookieRequestBytes = 48;
inline constexpr std::size_t kCookieReplyBytes = 12;
/// Connections in ENet's own handshake (CONNECT seen, not yet connected) at once: from one
/// address, and in all. A real node has one; the rest wait for a retransmission.
inline constexpr std::size_t kMaxHalfOpenPerAddress = 4;
inline constexpr std::size_t kMaxHalfOpenPerNetwork = 16;  // per /24: a wall's LAN joins 16 at a time
inline constexpr std::size_t kMaxHalfOpen = 64;

/// The server's side: answers cookie requests and drops CONNECTs without a valid cookie.
class CookieGate {
 public:
  CookieGate();  // a fresh random secret
  ~CookieGate();
  CookieGate(const CookieGate&) = delete;
  CookieGate& operator=(const CookieGate&) = delete;
  /// Hooks this gate into `host` (ENet's intercept callback) until destroyed.
  void install(ENetHost* host);

  /// The cookie of `address` in time window `window` (half minutes of the monotonic clock).
  uint32_t cookie(const ENetAddress& address, int64_t window) const;
  /// Counters, for tests and logs.
  uint64_t answered() const { return answered_; }
  uint64_t refused_connects() const { return refused_; }
  /// CONNECTs with a valid cookie refused because too many handshakes were open.
  uint64_t refused_half_open() const { return refused_half_open_; }

  /// ENet intercept: 1 when the datagram was a cookie request or a refused CONNECT.
  int intercept(ENetHost* host);

 private:
  ENetHost* host_ = nullptr;
  std::array<uint8_t, 32> secret_{};
  std::atomic<uint64_t> answered_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> refused_half_open_{0};
};

/// The client's side: asks for a cookie and catches the reply.
class CookieJar {
 public:
  CookieJar() = default;
  ~CookieJar();
  CookieJar(const CookieJar&) = delete;
  CookieJar& operator=(const CookieJar&) = delete;
  /// Hooks this jar into `host` until destroyed.
  void install(ENetHost* host);
  /// Sends a cookie request to `server` from the host's socket; forgets an older cookie.
  void request(const ENetAddress& server);
  /// The cookie, once the server answered.
  std::optional<uint32_t> cookie() const { return cookie_; }

  int intercept(ENetHost* host);

 private:
  ENetHost* host_ = nullptr;
  ENetAddress server_{};
  std::optional<uint32_t> cookie_;
};

}  // namespace lockstep::net
