#include "net/protocol/identity.h"

#include <sodium.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "net/protocol/auth.h"

namespace lockstep::net {

namespace fs = std::filesystem;

static_assert(std::tuple_size_v<SignPublicKey> == crypto_sign_PUBLICKEYBYTES);
static_assert(std::tuple_size_v<Signature> == crypto_sign_BYTES);

Result<ServerIdentity> ServerIdentity::generate() {
  if (auto s = init_crypto(); !s) return make_error(s.error());
  ServerIdentity id;
  crypto_sign_keypair(id.public_.data(), id.secret_.data());
  return id;
}

Result<ServerIdentity> ServerIdentity::load_or_create(const fs::path& path) {
  if (auto s = init_crypto(); !s) return make_error(s.error());
  std::error_code ec;
  if (fs::exists(path, ec)) {
    std::ifstream in(path, std::ios::binary);
    ServerIdentity id;
    in.read(reinterpret_cast<char*>(id.secret_.data()), std::streamsize(id.secret_.size()));
    if (!in || in.gcount() != std::streamsize(id.secret_.size()))
      return make_error("server key '" + path.string() + "' is unreadable or damaged: remove it to make a new " +
                        "one (nodes that remembered the old key will then refuse this server until told)");
    crypto_sign_ed25519_sk_to_pk(id.public_.data(), id.secret_.data());
    return id;
  }
  auto id = generate();
  if (!id) return id;
  fs::create_directories(path.parent_path(), ec);
  const std::string tmp = path.string() + ".new";
  {
    const mode_t old = umask(077);
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    umask(old);
    out.write(reinterpret_cast<const char*>(id->secret_.data()), std::streamsize(id->secret_.size()));
    if (!out) return make_error("cannot write the server key '" + path.string() + "': check the folder's permissions");
  }
  fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, ec);
  fs::rename(tmp, path, ec);
  if (ec) return make_error("cannot write the server key '" + path.string() + "': " + ec.message());
  return id;
}

ServerIdentity::ServerIdentity(ServerIdentity&& o) noexcept : public_(o.public_), secret_(o.secret_) {
  sodium_memzero(o.secret_.data(), o.secret_.size());
}

ServerIdentity& ServerIdentity::operator=(ServerIdentity&& o) noexcept {
  if (this != &o) {
    public_ = o.public_;
    secret_ = o.secret_;
    sodium_memzero(o.secret_.data(), o.secret_.size());
  }
  return *this;
}

ServerIdentity::~ServerIdentity() { sodium_memzero(secret_.data(), secret_.size()); }

std::string ServerIdentity::fingerprint() const { return fingerprint_of(public_); }

Signature ServerIdentity::sign(std::span<const std::uint8_t> message) const {
  Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_.data());
  return sig;
}

std::string fingerprint_of(const SignPublicKey& key) {
  std::array<std::uint8_t, crypto_hash_sha256_BYTES> h{};
  crypto_hash_sha256(h.data(), key.data(), key.size());
  char b64[64];
  sodium_bin2base64(b64, sizeof b64, h.data(), h.size(), sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  return std::string("SHA256:") + b64;
}

bool signature_valid(const SignPublicKey& key, std::span<const std::uint8_t> message, const Signature& sig) {
  return crypto_sign_verify_detached(sig.data(), message.data(), message.size(), key.data()) == 0;
}

std::optional<std::string> KnownServers::fingerprint_of(const std::string& server) const {
  std::ifstream in(file_);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string who, fp;
    if (words >> who >> fp && who == server) return fp;
  }
  return std::nullopt;
}

Status KnownServers::remember(const std::string& server, const std::string& fingerprint) const {
  std::error_code ec;
  fs::create_directories(file_.parent_path(), ec);
  std::ofstream out(file_, std::ios::app);
  out << server << ' ' << fingerprint << '\n';
  if (!out) return make_error("cannot write '" + file_.string() + "' (the servers this node has met)");
  return {};
}

std::string check_server_key(const SignPublicKey& key, const std::string& server,
                             const std::optional<std::string>& expected, const KnownServers* known,
                             std::string* note) {
  const std::string fp = fingerprint_of(key);
  if (expected) {
    if (*expected == fp) return "";
    return "the server at " + server + " has the key " + fp + ", not the " + *expected +
           " you gave: check the fingerprint with the host (it is in the host's log and overlay); " +
           "if it is right, someone may be between you and the server";
  }
  if (!known) return "";
  if (auto remembered = known->fingerprint_of(server)) {
    if (*remembered == fp) return "";
    return "the server at " + server + " has a different key than the last time (was " + *remembered +
           ", now " + fp + "): ask the host whether they re-installed lockstep or reset its key; if so, " +
           "delete the line for " + server + " in " + known->file().string() +
           ". Otherwise someone may be impersonating the server: do not join";
  }
  if (auto s = known->remember(server, fp); !s) {
    if (note) *note = s.error();
    return "";
  }
  if (note)
    *note = "first connection to " + server + ": its key " + fp +
            " is remembered (compare it with the one the host sees, to be sure)";
  return "";
}

}  // namespace lockstep::net
