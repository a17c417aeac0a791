// The password handshake (docs/protocol.md, "Handshake"). The password never travels:
// both sides derive a key from it with Argon2id and prove knowledge of that key with
// HMAC-SHA256 over both sides' fresh nonces.
//
//   client                                   server (key derived once at start)
//   Hello{client_nonce} ------------------->
//                       <------------------- Challenge{salt, server_nonce, password_required}
//   key = Argon2id(password, salt)
//   Auth{HMAC(key, "lockstep-client" || server_nonce || client_nonce)} -->
//                                            verify (constant time)
//                       <------------------- Welcome{HMAC(key, "lockstep-server" ||
//                                                          client_nonce || server_nonce), ...}
//   verify (constant time)
//
// Without a password: password_required = false, every proof is 32 zero bytes, no key.
//
// Thread safety: the free functions may be called from any thread. ServerHandshake is
// immutable after creation (share it freely); a ClientHandshake belongs to one connection.
#pragma once

#include <core/result.h>
#include <net/protocol/messages.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::net {

class ServerIdentity;  // identity.h
class CPaceParty;      // cpace.h

inline constexpr std::size_t kKeyBytes = 32;
using KeyBytes = std::array<std::uint8_t, kKeyBytes>;

/// Initialises libsodium once per process (thread-safe, idempotent). The handshake
/// factories call it; call it yourself before using the free functions below directly.
Status init_crypto();

/// Fresh random values from the OS generator.
Nonce random_nonce();
Salt random_salt();

/// The key derived from the session password and salt. Move-only; wiped when destroyed.
class PasswordKey {
 public:
  /// Argon2id13 with the libsodium "interactive" limits (64 MiB, ~0.1–0.5 s): call it once
  /// per server start or per connection attempt, never per packet. Fails on an empty
  /// password or when the memory cannot be had.
  static Result<PasswordKey> derive(std::string_view password, const Salt& salt);
  /// A key given directly (tests and the fuzz target, which cannot afford Argon2 per input).
  static PasswordKey from_bytes(const KeyBytes& bytes);

  PasswordKey(PasswordKey&& other) noexcept;
  PasswordKey& operator=(PasswordKey&& other) noexcept;
  PasswordKey(const PasswordKey&) = delete;
  PasswordKey& operator=(const PasswordKey&) = delete;
  ~PasswordKey();

  const KeyBytes& bytes() const { return key_; }

 private:
  PasswordKey() = default;
  KeyBytes key_{};
};

/// Constant-time comparison (sodium_memcmp).
bool proofs_equal(const Proof& a, const Proof& b);

/// Two directional 32-byte keys for packet encryption (sealer.h). Wiped when destroyed.
struct SessionKeys {
  KeyBytes client_to_server{};
  KeyBytes server_to_client{};

  SessionKeys() = default;
  SessionKeys(const SessionKeys&) = default;
  SessionKeys& operator=(const SessionKeys&) = default;
  ~SessionKeys();
};

/// A connection's ephemeral X25519 key pair (one per connection, each side). Wiped when
/// destroyed.
struct ConnectionKx {
  KxPublicKey public_key{};
  std::array<std::uint8_t, 32> secret_key{};
  /// Password sessions, server side: this connection's CPace party (made with the Challenge).
  std::shared_ptr<CPaceParty> cpace;
  /// A fresh pair.
  static ConnectionKx generate();
  ConnectionKx() = default;
  ConnectionKx(const ConnectionKx&) = default;
  ConnectionKx& operator=(const ConnectionKx&) = default;
  ~ConnectionKx();
};

/// The bytes a server signs for one connection's Challenge (everything in it and the
/// client's nonce): a signature cannot be replayed into another connection.
std::vector<std::uint8_t> challenge_transcript(const Nonce& client_nonce, const Challenge& challenge);

/// The server's side, one per session: its identity, the salt and (when a password is set)
/// the key, derived once at start. Per connection it issues a signed Challenge with a fresh
/// key exchange, and checks the Auth.
class ServerHandshake {
 public:
  /// A session anyone may join. `identity` null: a fresh key for this run only.
  static Result<ServerHandshake> without_password(std::shared_ptr<const ServerIdentity> identity = nullptr);
  /// A password session: random salt, Argon2id key derived now (slow; see PasswordKey).
  static Result<ServerHandshake> with_password(std::string_view password,
                                               std::shared_ptr<const ServerIdentity> identity = nullptr);
  /// A password session with a known salt and key (tests, fuzzing).
  static ServerHandshake with_key(const Salt& salt, PasswordKey key,
                                  std::shared_ptr<const ServerIdentity> identity = nullptr);

  bool password_required() const { return key_.has_value(); }
  const ServerIdentity& identity() const { return *identity_; }

  /// The answer to a Hello: a signed Challenge carrying `kx`'s public key and, in a password
  /// session, a CPace share (the party is kept in `kx`). `kx` is fresh per connection and
  /// kept until the Auth arrives; `server_nonce` too.
  Challenge challenge(const Nonce& client_nonce, const Nonce& server_nonce, ConnectionKx& kx) const;

  /// The connection's keys, from the server's `kx` and the client's key in `auth`. Fails on
  /// a key that is not a valid curve point.
  Result<SessionKeys> agree(const ConnectionKx& kx, const Auth& auth) const;

  /// Checks the client's Auth. In a password session the proof is keyed by the CPace result
  /// (a PAKE: neither a captured handshake nor a fake server gets anything to test password
  /// guesses against offline) and covers this connection's keys. Returns the proof to put
  /// into Welcome::server_proof (zeros without a password), or an error for a wrong password.
  Result<Proof> verify(const Nonce& client_nonce, const Nonce& server_nonce, const ConnectionKx& kx,
                       const Auth& auth, const SessionKeys& keys) const;

 private:
  ServerHandshake(const Salt& salt, std::optional<PasswordKey> key, std::shared_ptr<const ServerIdentity> id)
      : salt_(salt), key_(std::move(key)), identity_(std::move(id)) {}

  Salt salt_{};
  std::optional<PasswordKey> key_;
  std::shared_ptr<const ServerIdentity> identity_;
};

/// The client's side, one per connection attempt.
class ClientHandshake {
 public:
  /// Answers the server's Challenge. `password` is the node's configured password, or
  /// nullopt. Fails when the Challenge's signature does not verify, when the session needs
  /// a password and none is configured, when a password is configured and the server does
  /// not ask for it (fail closed: a server that skips the password is not the session the
  /// user meant), or when the key cannot be derived. Whether the server's key is the one the
  /// node expects is the caller's check (identity.h, check_server_key).
  static Result<ClientHandshake> answer(std::optional<std::string_view> password,
                                        const Nonce& client_nonce, const Challenge& challenge);
  /// As answer(), with the password's key given directly (null: no password): tests and the
  /// session fuzz target, which cannot afford Argon2 per login.
  static Result<ClientHandshake> answer_with_key(const PasswordKey* key, const Nonce& client_nonce,
                                                 const Challenge& challenge);

  /// The Auth message to send.
  const Auth& auth() const { return auth_; }

  /// Checks Welcome::server_proof: a server that asked for a password must prove that it
  /// knows it too, otherwise it is not the session the user meant.
  Status verify_server(const Proof& server_proof) const;

  /// True when the server is authenticated by the password (a password session).
  bool server_authenticated() const { return proof_key_.has_value(); }

  /// The connection's directional keys.
  const SessionKeys& session_keys() const { return keys_; }

  ClientHandshake(ClientHandshake&&) = default;
  ClientHandshake& operator=(ClientHandshake&&) = default;
  ~ClientHandshake();

 private:
  ClientHandshake() = default;
  /// answer() and answer_with_key(): `key` when given, else derived from `password`.
  static Result<ClientHandshake> answer_impl(std::optional<std::string_view> password, const PasswordKey* key,
                                             const Nonce& client_nonce, const Challenge& challenge);

  Nonce client_nonce_{};
  Nonce server_nonce_{};
  KxPublicKey server_kx_{};
  SessionKeys keys_;
  std::optional<KeyBytes> proof_key_;  // password sessions: from the CPace result
  Auth auth_;
};

/// Reads a password file: its first line, without the line ending. Errors name the file
/// (missing, unreadable, not a regular file, empty first line, first line over 1024 bytes).
/// When the file is readable by other users, `warning` (if given) receives a message
/// suggesting `chmod 600`; the password is still returned.
Result<std::string> read_password_file(const std::filesystem::path& path,
                                       std::string* warning = nullptr);

}  // namespace lockstep::net
