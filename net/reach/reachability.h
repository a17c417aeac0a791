// Whether people outside this network can reach a session, in plain words (docs/hosting.md).
//
// The PortMapper asks the router to forward the session's UDP port — UPnP-IGD (libminiupnpc)
// or NAT-PMP (libnatpmp), whichever it answers — renews the lease before it ends, and removes
// the mapping when it stops. It never replaces a mapping another device or program owns: when
// the port is taken on the router it maps the next free one and says so. Everything the
// router says is treated as untrusted input (names and addresses are checked and cut short).
//
// Threads: the mapper works on a thread of its own; now() may be called from any thread, the
// report callback runs on the mapper's thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace lockstep::net {

/// What kind of IPv4 address a router reported as its own internet address.
enum class AddressKind { Public, Private, SharedCgnat, Loopback, LinkLocal, Unspecified, Invalid };
AddressKind classify_ipv4(const std::string& dotted);

struct PortMapOptions {
  int port = 0;               ///< the session's UDP port on this machine
  bool upnp = true;
  bool natpmp = true;
  int lease_s = 3600;         ///< asked for; renewed at half (0: permanent where the router allows it)
  int discover_ms = 2000;     ///< how long each protocol waits for the router
  std::string description = "lockstep";
};

struct Reachability {
  enum class State {
    Off,              ///< port mapping turned off
    Trying,           ///< asking the router
    Mapped,           ///< reachable from the internet at external_ip:external_port
    NoRouter,         ///< no router answered UPnP or NAT-PMP
    Refused,          ///< the router answered and refused
    NoPublicAddress,  ///< the router says it has no public address of its own
    DoubleNat,        ///< the router's internet address is private: another NAT in front
    Cgnat,            ///< the router's internet address is the provider's shared space (100.64.0.0/10)
    Lost,             ///< a mapping that could not be renewed
  };
  State state = State::Off;
  int port = 0;               ///< the session's port here
  std::string method;         ///< "UPnP" or "NAT-PMP"
  std::string router;         ///< the router's name (UPnP) or address
  std::string lan_address;    ///< this machine's address toward the router
  std::string external_ip;
  int external_port = 0;
  int lease_s = 0;            ///< 0: permanent
  int renewals = 0;
  std::string detail;         ///< the router's own words for a refusal ("UPnP error 606: …")
  /// One sentence for the log and the overlay.
  std::string words() const;
  bool reachable() const { return state == State::Mapped; }
};

const char* to_string(Reachability::State state);

class PortMapper {
 public:
  using Report = std::function<void(const Reachability&)>;
  /// Starts asking the router on a thread of its own; `report` hears each change.
  static std::unique_ptr<PortMapper> start(const PortMapOptions& options, Report report = {});
  /// Removes the mapping and ends the thread; waits at most 4 s (a router that does not
  /// answer is left to the thread, which then ends on its own).
  ~PortMapper();
  PortMapper(const PortMapper&) = delete;
  PortMapper& operator=(const PortMapper&) = delete;

  Reachability now() const;

 private:
  struct Shared;
  PortMapper(const PortMapOptions& options, Report report);
  static void run(std::shared_ptr<Shared> shared);

  std::shared_ptr<Shared> shared_;
  std::thread thread_;
};

/// The environment variable that keeps port mapping and LAN announcements off in tests
/// (LOCKSTEP_NO_REACH=1): nothing is sent to the machine's real network.
inline constexpr const char* kNoReachEnv = "LOCKSTEP_NO_REACH";
bool reach_disabled_by_env();

/// An IPv4 address of this machine's that is public (a server that needs no router), or "".
std::string public_ipv4_here();

}  // namespace lockstep::net
