// Sessions on this LAN without typing an address: a host announces `_lockstep._udp` with
// DNS-SD through the Avahi daemon (libavahi-client, over D-Bus), and nodes list what they
// see (docs/hosting.md). Where no Avahi daemon runs, each says so once and carries on.
//
// What another machine announces is untrusted: names and TXT values are cut to printable
// text of bounded length, a fingerprint must have its shape, and the list is bounded.
//
// Threads: each object runs an Avahi threaded poll of its own; the accessors may be called
// from any thread.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace lockstep::net {

inline constexpr const char* kLanServiceType = "_lockstep._udp";

/// One session another host announces.
struct LanSession {
  std::string name;         ///< the service name ("lockstep on HOST")
  std::string host;         ///< the announcing machine's mDNS name
  std::string address;      ///< its IPv4 address
  int port = 0;
  std::string media;        ///< the first file's name
  bool password = false;    ///< the session needs a password
  std::string fingerprint;  ///< the server key's, "SHA256:…" (may be empty)
  std::string invite() const;  ///< lockstep://ADDRESS:PORT?fp=…
};

struct LanAnnouncement {
  std::string name;  ///< service name; "lockstep on HOST" when empty
  int port = 0;
  std::string media;
  bool password = false;
  std::string fingerprint;
};

class LanAnnouncer {
 public:
  /// Announces until destroyed. Never fails: problems (no daemon) are in problem().
  static std::unique_ptr<LanAnnouncer> start(const LanAnnouncement& what);
  ~LanAnnouncer();
  LanAnnouncer(const LanAnnouncer&) = delete;
  LanAnnouncer& operator=(const LanAnnouncer&) = delete;
  /// "" while announced (or still starting); otherwise why not, in words.
  std::string problem() const;
  /// The name it is announced under (another host may have had the first choice); "" until then.
  std::string announced_name() const;

  struct Impl;

 private:
  explicit LanAnnouncer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class LanBrowser {
 public:
  /// Looks for sessions until destroyed. Never fails: problems are in problem().
  static std::unique_ptr<LanBrowser> start();
  ~LanBrowser();
  LanBrowser(const LanBrowser&) = delete;
  LanBrowser& operator=(const LanBrowser&) = delete;
  /// The sessions seen and resolved so far (at most 64), in name order.
  std::vector<LanSession> sessions() const;
  std::string problem() const;

  struct Impl;

 private:
  explicit LanBrowser(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The words for "no Avahi daemon here" (and how to get one), shared by the log and the overlay.
std::string no_avahi_words(const std::string& avahi_error);

}  // namespace lockstep::net
