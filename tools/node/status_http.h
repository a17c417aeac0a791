// The dedicated server's status page (`lockstep serve --status-http ADDR:PORT`): what a wall
// operator watches — the nodes, their state, round trip, clock offset, sync error and which
// media each found — as an HTML page that updates itself, as JSON (/status.json) and as
// Prometheus metrics (/metrics). Read-only: GET and HEAD only, no control over HTTP.
// Served by cpp-httplib on its own threads; node names and file names come from the network
// and are escaped for each format (the page builds its table with textContent only).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/endpoint.h"
#include "core/result.h"
#include "net/session/session_core.h"

namespace lockstep {

/// What the page shows besides the session itself.
struct ServerFacts {
  int port = 0;
  std::string fingerprint;
  std::string version;
  double uptime_s = 0.0;
  uint64_t refused_packets = 0;
};

/// "PORT" (loopback), "ADDR:PORT" or "[v6]:PORT"; errors say what to type.
Result<Endpoint> parse_status_address(const std::string& text);

nlohmann::json status_json(const net::SessionStatus& s, const ServerFacts& facts);
/// Prometheus text exposition format 0.0.4.
std::string status_metrics(const net::SessionStatus& s, const ServerFacts& facts);
/// The page: static HTML and script that polls /status.json every second.
const std::string& status_page_html();

class StatusHttp {
 public:
  using Source = std::function<std::pair<net::SessionStatus, ServerFacts>()>;
  /// Binds `where` and serves on a thread of its own. Errors name the address.
  static Result<std::unique_ptr<StatusHttp>> start(const Endpoint& where, Source source);
  ~StatusHttp();
  /// The port bound (where's port, or the one chosen for port 0).
  int port() const;

  struct Impl;

 private:
  explicit StatusHttp(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lockstep
