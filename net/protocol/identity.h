// Who a server is, and how a node remembers it (docs/security.md).
//
// A server has a long-term Ed25519 key, kept in its config folder; it signs every
// connection's Challenge (its ephemeral key exchange and both nonces) with it. A node shows
// the key's fingerprint ("SHA256:" + base64 of SHA-256(public key), as ssh shows keys),
// checks it against one given with --fingerprint, and otherwise remembers it on first use
// in its known-servers file, like ssh's known_hosts: a server whose key changed is refused.
//
// Thread-safety: ServerIdentity is immutable after creation (share it); KnownServers reads
// and writes its file on each call and is not meant for concurrent writers.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "core/result.h"
#include "net/protocol/messages.h"

namespace lockstep::net {

/// A server's long-term signing key. Move-only; the secret is wiped when destroyed.
class ServerIdentity {
 public:
  /// A fresh key (tests, and servers told not to keep one).
  static Result<ServerIdentity> generate();
  /// The key in `path`, or a new one written there (mode 0600, folders created) when the
  /// file does not exist. Errors name the file and what to do.
  static Result<ServerIdentity> load_or_create(const std::filesystem::path& path);

  ServerIdentity(ServerIdentity&& other) noexcept;
  ServerIdentity& operator=(ServerIdentity&& other) noexcept;
  ServerIdentity(const ServerIdentity&) = delete;
  ServerIdentity& operator=(const ServerIdentity&) = delete;
  ~ServerIdentity();

  const SignPublicKey& public_key() const { return public_; }
  std::string fingerprint() const;
  Signature sign(std::span<const std::uint8_t> message) const;

 private:
  ServerIdentity() = default;
  SignPublicKey public_{};
  std::array<std::uint8_t, 64> secret_{};
};

/// "SHA256:…" for a server's public key.
std::string fingerprint_of(const SignPublicKey& key);
/// True when `signature` is `key`'s over `message`.
bool signature_valid(const SignPublicKey& key, std::span<const std::uint8_t> message, const Signature& signature);

/// The servers a node has met: "HOST:PORT FINGERPRINT" lines in a file.
class KnownServers {
 public:
  explicit KnownServers(std::filesystem::path file) : file_(std::move(file)) {}
  /// The fingerprint remembered for `server` ("host:port"), if any.
  std::optional<std::string> fingerprint_of(const std::string& server) const;
  /// Remembers `fingerprint` for `server` (appends a line). Errors name the file.
  Status remember(const std::string& server, const std::string& fingerprint) const;
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
};

/// How a node decides whether it talks to the server it meant: the fingerprint the user
/// gave, else the one remembered for that address, else (first use) remember this one.
/// Returns the message to fail with, or empty when the key is accepted; `note` gets a line
/// to log when a key was remembered for the first time.
std::string check_server_key(const SignPublicKey& key, const std::string& server,
                             const std::optional<std::string>& expected, const KnownServers* known,
                             std::string* note);

}  // namespace lockstep::net
