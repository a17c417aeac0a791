// libFuzzer target for net/protocol: every input goes through
//   1. decode() and, when it decodes, describe() and a re-encode that must reproduce the
//      input exactly (the encoding is canonical);
//   2. the server side of the handshake with a fixed password key: a Hello gets a
//      Challenge, an Auth is verified (a seed carries the right proof), and on success the
//      session keys are derived; a Challenge / Welcome go through the client side;
//   3. AeadSealer::open() with the fixed session keys, and decode() of what opens.
// Any crash, sanitizer report or broken invariant (__builtin_trap) is a finding.
// Built and run by run-fuzz.sh (clang++ only).
#include <net/protocol/auth.h>
#include <net/protocol/messages.h>
#include <net/protocol/sealer.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "fuzz_keys.h"

namespace {

using namespace lockstep::net;

void check(bool invariant) {
  if (!invariant) __builtin_trap();
}

const ServerHandshake& server() {
  static const ServerHandshake handshake =
      ServerHandshake::with_key(fuzz::kSalt, PasswordKey::from_bytes(fuzz::kPasswordKey));
  return handshake;
}

ConnectionKx server_kx() {
  static const ConnectionKx kx = ConnectionKx::generate();
  ConnectionKx copy;
  copy.public_key = kx.public_key;
  copy.secret_key = kx.secret_key;
  return copy;
}

void server_step(const Message& message) {
  if (const auto* hello = std::get_if<Hello>(&message)) {
    ConnectionKx kx = server_kx();
    const Challenge challenge = server().challenge(hello->client_nonce, fuzz::kServerNonce, kx);
    check(challenge.password_required);
    check(encode(challenge).ok());
  } else if (const auto* auth = std::get_if<Auth>(&message)) {
    // Any 32 bytes as the client's key: agreed keys or a clean error, never a crash.
    ConnectionKx kx = server_kx();
    (void)server().challenge(fuzz::kClientNonce, fuzz::kServerNonce, kx);  // its CPace party
    lockstep::Result<SessionKeys> keys = server().agree(kx, *auth);
    if (!keys.ok()) return;
    lockstep::Result<Proof> verdict = server().verify(fuzz::kClientNonce, fuzz::kServerNonce, kx, *auth, *keys);
    if (verdict.ok()) check(encode(Welcome{.node_id = 1, .server_proof = *verdict}).ok());
  }
}

void client_step(const Message& message) {
  if (const auto* challenge = std::get_if<Challenge>(&message)) {
    // No password configured: never runs Argon2 (far too slow per input). A fuzzed
    // Challenge is unsigned: refused with a message, never accepted.
    lockstep::Result<ClientHandshake> client =
        ClientHandshake::answer(std::nullopt, fuzz::kClientNonce, *challenge);
    check(!client.ok() && !client.error().empty());
  }
}

void decode_and_check(std::span<const std::uint8_t> packet) {
  const std::optional<int> version = peek_version(packet);
  lockstep::Result<Message> message = decode(packet);
  if (!message.ok()) {
    check(!message.error().empty());
    return;
  }
  check(version.has_value());
  check(!describe(*message).empty());
  lockstep::Result<std::vector<std::uint8_t>> again = encode(*message);
  check(again.ok());
  if (*version == kProtocolVersion) {
    check(again->size() == packet.size() &&
          std::equal(again->begin(), again->end(), packet.begin()));
  }
  server_step(*message);
  client_step(*message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  decode_and_check(input);

  // A fresh sealer per input keeps runs reproducible (its replay window is state).
  AeadSealer sealer(fuzz::session_keys(), AeadSealer::Side::Server);
  lockstep::Result<std::vector<std::uint8_t>> opened = sealer.open(input);
  if (opened.ok()) {
    decode_and_check(*opened);
    check(!sealer.open(input).ok());  // a replay never opens twice
  }
  return 0;
}
