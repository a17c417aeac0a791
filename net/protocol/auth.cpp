// libsodium behind the password handshake (auth.h).
#include <net/protocol/auth.h>
#include <net/protocol/cpace.h>
#include <net/protocol/identity.h>
#include <sodium.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace lockstep::net {
namespace {

static_assert(std::tuple_size_v<Salt> == crypto_pwhash_SALTBYTES);
static_assert(std::tuple_size_v<Proof> == crypto_auth_hmacsha256_BYTES);
static_assert(kKeyBytes == crypto_auth_hmacsha256_KEYBYTES);
static_assert(kKeyBytes == crypto_kdf_KEYBYTES);
static_assert(crypto_generichash_KEYBYTES_MIN <= kKeyBytes &&
              kKeyBytes <= crypto_generichash_KEYBYTES_MAX);

constexpr std::string_view kClientLabel = "lockstep-client";
constexpr std::string_view kServerLabel = "lockstep-server";
constexpr std::string_view kChallengeLabel = "lockstep-challenge-v3";
constexpr std::size_t kMaxPasswordBytes = 1024;

void hmac_update(crypto_auth_hmacsha256_state& state, std::span<const std::uint8_t> bytes) {
  crypto_auth_hmacsha256_update(&state, bytes.data(), bytes.size());
}

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

Status init_crypto() {
  // A function-local static: initialised exactly once, thread-safe.
  static const int result = sodium_init();  // 0 = done now, 1 = already done, -1 = failed
  if (result < 0) return make_error("libsodium failed to initialise (no usable random source?)");
  return {};
}

Nonce random_nonce() {
  [[maybe_unused]] const Status ready = init_crypto();
  assert(ready.ok());
  Nonce nonce{};
  randombytes_buf(nonce.data(), nonce.size());
  return nonce;
}

Salt random_salt() {
  [[maybe_unused]] const Status ready = init_crypto();
  assert(ready.ok());
  Salt salt{};
  randombytes_buf(salt.data(), salt.size());
  return salt;
}

// ---- PasswordKey

Result<PasswordKey> PasswordKey::derive(std::string_view password, const Salt& salt) {
  if (Status ready = init_crypto(); !ready) return make_error(ready.error());
  if (password.empty()) return make_error("the session password is empty");
  PasswordKey key;
  if (crypto_pwhash(key.key_.data(), key.key_.size(), password.data(), password.size(), salt.data(),
                    crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return make_error("deriving the password key failed: Argon2id needs " +
                      std::to_string(crypto_pwhash_MEMLIMIT_INTERACTIVE >> 20) +
                      " MiB of memory, which could not be had");
  }
  return key;
}

PasswordKey PasswordKey::from_bytes(const KeyBytes& bytes) {
  PasswordKey key;
  key.key_ = bytes;
  return key;
}

PasswordKey::PasswordKey(PasswordKey&& other) noexcept : key_(other.key_) {
  sodium_memzero(other.key_.data(), other.key_.size());
}

PasswordKey& PasswordKey::operator=(PasswordKey&& other) noexcept {
  if (this != &other) {
    key_ = other.key_;
    sodium_memzero(other.key_.data(), other.key_.size());
  }
  return *this;
}

PasswordKey::~PasswordKey() { sodium_memzero(key_.data(), key_.size()); }

// ---- Proofs and session keys

bool proofs_equal(const Proof& a, const Proof& b) {
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

SessionKeys::~SessionKeys() {
  sodium_memzero(client_to_server.data(), client_to_server.size());
  sodium_memzero(server_to_client.data(), server_to_client.size());
}

// ---- The connection's key exchange

ConnectionKx ConnectionKx::generate() {
  [[maybe_unused]] const Status ready = init_crypto();
  ConnectionKx kx;
  crypto_kx_keypair(kx.public_key.data(), kx.secret_key.data());
  return kx;
}

ConnectionKx::~ConnectionKx() { sodium_memzero(secret_key.data(), secret_key.size()); }

std::vector<std::uint8_t> challenge_transcript(const Nonce& client_nonce, const Challenge& c) {
  std::vector<std::uint8_t> t(kChallengeLabel.begin(), kChallengeLabel.end());
  auto add = [&t](std::span<const std::uint8_t> b) { t.insert(t.end(), b.begin(), b.end()); };
  add(client_nonce);
  add(c.server_nonce);
  add(c.salt);
  t.push_back(c.password_required ? 1 : 0);
  add(c.server_kx);
  add(c.server_key);
  add(c.cpace_share);
  return t;
}

namespace {

/// What both proofs cover: the connection's keys (known only to its two ends), both nonces
/// and both ephemeral keys.
KeyBytes binding(const SessionKeys& keys, const Nonce& client_nonce, const Nonce& server_nonce,
                 const KxPublicKey& server_kx, const KxPublicKey& client_kx) {
  KeyBytes out{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, keys.client_to_server.data(), keys.client_to_server.size(), out.size());
  crypto_generichash_update(&state, keys.server_to_client.data(), keys.server_to_client.size());
  crypto_generichash_update(&state, client_nonce.data(), client_nonce.size());
  crypto_generichash_update(&state, server_nonce.data(), server_nonce.size());
  crypto_generichash_update(&state, server_kx.data(), server_kx.size());
  crypto_generichash_update(&state, client_kx.data(), client_kx.size());
  crypto_generichash_final(&state, out.data(), out.size());
  sodium_memzero(&state, sizeof state);
  return out;
}

/// HMAC-SHA256(key, label || binding).
Proof bound_proof(const KeyBytes& key, std::string_view label, const KeyBytes& bound) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.data(), key.size());
  hmac_update(state, as_bytes(label));
  hmac_update(state, bound);
  Proof proof{};
  crypto_auth_hmacsha256_final(&state, proof.data());
  sodium_memzero(&state, sizeof state);
  return proof;
}

constexpr std::string_view kCpaceLabel = "lockstep-cpace-v3";
constexpr std::string_view kClientAd = "client";
constexpr std::string_view kServerAd = "server";

/// CPace's inputs for one connection: CI names the protocol and the server's key, sid is
/// both nonces.
std::vector<std::uint8_t> cpace_ci(const SignPublicKey& server_key) {
  std::vector<std::uint8_t> ci(kCpaceLabel.begin(), kCpaceLabel.end());
  ci.insert(ci.end(), server_key.begin(), server_key.end());
  return ci;
}

std::vector<std::uint8_t> cpace_sid(const Nonce& client_nonce, const Nonce& server_nonce) {
  std::vector<std::uint8_t> sid(client_nonce.begin(), client_nonce.end());
  sid.insert(sid.end(), server_nonce.begin(), server_nonce.end());
  return sid;
}

/// The proofs' key: BLAKE2b-256 of the CPace ISK.
KeyBytes proof_key_from(const CPaceIsk& isk) {
  KeyBytes k{};
  crypto_generichash(k.data(), k.size(), isk.bytes.data(), isk.bytes.size(), nullptr, 0);
  return k;
}

}  // namespace

// ---- ServerHandshake

namespace {

Result<std::shared_ptr<const ServerIdentity>> identity_or_new(std::shared_ptr<const ServerIdentity> id) {
  if (id) return id;
  auto fresh = ServerIdentity::generate();
  if (!fresh) return make_error(fresh.error());
  return std::shared_ptr<const ServerIdentity>(std::make_shared<ServerIdentity>(std::move(fresh).value()));
}

}  // namespace

Result<ServerHandshake> ServerHandshake::without_password(std::shared_ptr<const ServerIdentity> identity) {
  if (Status ready = init_crypto(); !ready) return make_error(ready.error());
  auto id = identity_or_new(std::move(identity));
  if (!id) return make_error(id.error());
  return ServerHandshake(random_salt(), std::nullopt, *id);
}

Result<ServerHandshake> ServerHandshake::with_password(std::string_view password,
                                                       std::shared_ptr<const ServerIdentity> identity) {
  if (Status ready = init_crypto(); !ready) return make_error(ready.error());
  auto id = identity_or_new(std::move(identity));
  if (!id) return make_error(id.error());
  const Salt salt = random_salt();
  Result<PasswordKey> key = PasswordKey::derive(password, salt);
  if (!key) return make_error(key.error());
  return ServerHandshake(salt, std::move(key).value(), *id);
}

ServerHandshake ServerHandshake::with_key(const Salt& salt, PasswordKey key,
                                          std::shared_ptr<const ServerIdentity> identity) {
  auto id = identity_or_new(std::move(identity));
  assert(id.ok());
  return ServerHandshake(salt, std::move(key), *id);
}

Challenge ServerHandshake::challenge(const Nonce& client_nonce, const Nonce& server_nonce,
                                     ConnectionKx& kx) const {
  Challenge c{.salt = salt_, .server_nonce = server_nonce, .password_required = password_required()};
  c.server_kx = kx.public_key;
  c.server_key = identity_->public_key();
  kx.cpace.reset();
  if (key_) {
    // The PRS is the Argon2id key of the password (the draft allows a hashed password).
    auto party = CPaceParty::start(key_->bytes(), cpace_ci(c.server_key), cpace_sid(client_nonce, server_nonce),
                                   as_bytes(kServerAd));
    if (party) {
      c.cpace_share = party->public_share();
      kx.cpace = std::make_shared<CPaceParty>(std::move(party).value());
    }
  }
  c.signature = identity_->sign(challenge_transcript(client_nonce, c));
  return c;
}

Result<SessionKeys> ServerHandshake::agree(const ConnectionKx& kx, const Auth& auth) const {
  SessionKeys keys;
  // rx: what the server receives (client → server), tx: what it sends.
  if (crypto_kx_server_session_keys(keys.client_to_server.data(), keys.server_to_client.data(),
                                    kx.public_key.data(), kx.secret_key.data(), auth.client_kx.data()) != 0)
    return make_error("the node's key exchange value is not a valid key");
  return keys;
}

Result<Proof> ServerHandshake::verify(const Nonce& client_nonce, const Nonce& server_nonce, const ConnectionKx& kx,
                                      const Auth& auth, const SessionKeys& keys) const {
  if (!key_) return Proof{};  // an open session: the proof is not looked at
  if (!kx.cpace || kx.cpace->finished()) return make_error("wrong password (no password exchange on this connection)");
  auto isk = kx.cpace->finish_responder(auth.cpace_share, as_bytes(kClientAd));
  if (!isk) return make_error("wrong password (the client's password exchange value is not valid)");
  KeyBytes pk = proof_key_from(*isk);
  const KeyBytes bound = binding(keys, client_nonce, server_nonce, kx.public_key, auth.client_kx);
  const bool right = proofs_equal(auth.proof, bound_proof(pk, kClientLabel, bound));
  const Proof server_proof = bound_proof(pk, kServerLabel, bound);
  sodium_memzero(pk.data(), pk.size());
  if (!right) return make_error("wrong password (the client's proof does not match)");
  return server_proof;
}

// ---- ClientHandshake

Result<ClientHandshake> ClientHandshake::answer(std::optional<std::string_view> password,
                                                const Nonce& client_nonce, const Challenge& challenge) {
  return answer_impl(password, nullptr, client_nonce, challenge);
}

Result<ClientHandshake> ClientHandshake::answer_with_key(const PasswordKey* key, const Nonce& client_nonce,
                                                         const Challenge& challenge) {
  return answer_impl(std::nullopt, key, client_nonce, challenge);
}

Result<ClientHandshake> ClientHandshake::answer_impl(std::optional<std::string_view> password, const PasswordKey* key,
                                                     const Nonce& client_nonce, const Challenge& challenge) {
  if (Status ready = init_crypto(); !ready) return make_error(ready.error());
  if (!signature_valid(challenge.server_key, challenge_transcript(client_nonce, challenge), challenge.signature))
    return make_error("the server's answer is not signed by its key: it is not a lockstep server of this "
                      "version, or something between you and it changed its answer");
  const bool have_password = key || (password && !password->empty());
  if (have_password && !challenge.password_required)
    return make_error("the server did not ask for the password this node was given: it is not the session you "
                      "meant (or someone in between tried to skip the password); not joining");
  if (challenge.password_required && !have_password)
    return make_error("the session requires a password and none is configured "
                      "(give the session's password file)");
  ClientHandshake h;
  h.client_nonce_ = client_nonce;
  h.server_nonce_ = challenge.server_nonce;
  h.server_kx_ = challenge.server_kx;
  ConnectionKx kx = ConnectionKx::generate();
  // rx: what the client receives (server → client), tx: what it sends.
  if (crypto_kx_client_session_keys(h.keys_.server_to_client.data(), h.keys_.client_to_server.data(),
                                    kx.public_key.data(), kx.secret_key.data(), challenge.server_kx.data()) != 0)
    return make_error("the server's key exchange value is not a valid key: not a lockstep server of this version?");
  h.auth_.client_kx = kx.public_key;
  if (challenge.password_required) {
    std::optional<PasswordKey> derived;
    if (!key) {
      Result<PasswordKey> d = PasswordKey::derive(*password, challenge.salt);
      if (!d) return make_error(d.error());
      derived.emplace(std::move(d).value());
      key = &*derived;
    }
    auto party = CPaceParty::start(key->bytes(), cpace_ci(challenge.server_key),
                                   cpace_sid(client_nonce, challenge.server_nonce), as_bytes(kClientAd));
    if (!party) return make_error(party.error());
    h.auth_.cpace_share = party->public_share();
    auto isk = party->finish_initiator(challenge.cpace_share, as_bytes(kServerAd));
    if (!isk) return make_error("the server's password exchange value is not valid: not a lockstep server of this version?");
    h.proof_key_ = proof_key_from(*isk);
    const KeyBytes bound = binding(h.keys_, client_nonce, h.server_nonce_, h.server_kx_, h.auth_.client_kx);
    h.auth_.proof = bound_proof(*h.proof_key_, kClientLabel, bound);
  }
  return h;
}

ClientHandshake::~ClientHandshake() {
  if (proof_key_) sodium_memzero(proof_key_->data(), proof_key_->size());
}

Status ClientHandshake::verify_server(const Proof& server_proof) const {
  if (!proof_key_) return {};
  const KeyBytes bound = binding(keys_, client_nonce_, server_nonce_, server_kx_, auth_.client_kx);
  if (!proofs_equal(server_proof, bound_proof(*proof_key_, kServerLabel, bound))) {
    return make_error(
        "the server could not prove that it knows the session password: "
        "it is not the session you meant to join (check the address)");
  }
  return {};
}

// ---- Password files

Result<std::string> read_password_file(const std::filesystem::path& path, std::string* warning) {
  const std::string name = "password file '" + path.string() + "'";
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    return make_error("cannot read " + name + ": " +
                      (ec ? ec.message() : std::string("no such file")));
  }
  if (!std::filesystem::is_regular_file(status)) {
    return make_error("cannot read " + name + ": not a regular file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read " + name + ": " + std::strerror(errno));

  // Read a bounded prefix: the first line is all we need and the file may be anything.
  std::string head(kMaxPasswordBytes + 2, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  if (in.bad()) return make_error("cannot read " + name + ": read error");
  head.resize(static_cast<std::size_t>(in.gcount()));

  const std::size_t newline = head.find('\n');
  std::string password = head.substr(0, newline);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (newline == std::string::npos && head.size() > kMaxPasswordBytes) {
    return make_error(name + ": the first line is longer than " +
                      std::to_string(kMaxPasswordBytes) + " bytes");
  }
  if (password.size() > kMaxPasswordBytes) {
    return make_error(name + ": the first line is longer than " +
                      std::to_string(kMaxPasswordBytes) + " bytes");
  }
  if (password.empty()) {
    return make_error(name + " is empty (its first line must be the password)");
  }
  if (warning != nullptr) {
    using std::filesystem::perms;
    if ((status.permissions() & (perms::others_read | perms::group_read)) != perms::none) {
      *warning =
          name + " can be read by other users; restrict it with: chmod 600 '" + path.string() + "'";
    } else {
      warning->clear();
    }
  }
  return password;
}

}  // namespace lockstep::net
