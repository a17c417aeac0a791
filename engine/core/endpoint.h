// What people type or paste as a session address (used by the overlay's form and by net/), checked before anything is sent:
// "host", "host:port", "192.168.1.20:7450", "[2001:db8::1]:7450", "udp://host:port", and
// invite links, "lockstep://host:port?fp=SHA256:…" (the server key's fingerprint, percent-
// encoded), which a host shows and copies (docs/hosting.md).
// A "tcp://" address is refused with the reason (the session runs over UDP, so a TCP-only
// tunnel cannot carry it). Thread-safe (pure functions), except resolve() which may block
// on DNS.
#pragma once

#include <string>

#include "core/result.h"


namespace lockstep {

struct Endpoint {
  std::string host;  // name or IPv4 literal
  int port = 0;
  std::string fingerprint;  // "SHA256:…" when an invite link carried one
};

/// Parses a port given on its own ("7450"): a whole number in 1–65535.
Result<int> parse_port(const std::string& text);

/// Parses HOST[:PORT] in the forms above; a missing port is `default_port`.
Result<Endpoint> parse_endpoint(const std::string& text, int default_port);

/// An invite link: "lockstep://HOST:PORT", plus "?fp=" and the fingerprint (percent-encoded)
/// when one is given.
std::string invite_link(const std::string& host, int port, const std::string& fingerprint);

/// "host:port" for messages.
std::string to_string(const Endpoint& endpoint);

}  // namespace lockstep
