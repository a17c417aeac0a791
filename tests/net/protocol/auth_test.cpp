// The handshake (protocol v3): a signed Challenge with a key exchange, keys both ends agree
// on, and password proofs bound to them: the right password verifies both ways, anything
// else fails, and a captured or replayed proof opens nothing.
#include <gtest/gtest.h>
#include <net/protocol/auth.h>
#include <net/protocol/identity.h>
#include <net/protocol/messages.h>
#include <unistd.h>

#include <filesystem>

namespace lockstep::net {
namespace {

/// Sends a message through the codec, as it would travel.
template <class M>
M over_the_wire(const M& message) {
  Result<std::vector<std::uint8_t>> bytes = encode(message);
  EXPECT_TRUE(bytes.ok()) << bytes.error();
  Result<Message> back = decode(*bytes);
  EXPECT_TRUE(back.ok()) << back.error();
  return std::get<M>(*back);
}

struct HandshakeOutcome {
  Status client_answer;  // the client could answer the challenge
  Result<Proof> server_verdict = make_error("not reached");
  Status client_verdict = make_error("not reached");
  std::optional<SessionKeys> client_keys, server_keys;
};

/// Runs Hello → Challenge → Auth → Welcome through the codec.
HandshakeOutcome run_handshake(const ServerHandshake& server,
                               std::optional<std::string_view> client_password) {
  HandshakeOutcome outcome;
  const Hello hello = over_the_wire(Hello{.node_name = "node", .client_nonce = random_nonce()});
  const Nonce server_nonce = random_nonce();
  ConnectionKx kx = ConnectionKx::generate();
  const Challenge challenge = over_the_wire(server.challenge(hello.client_nonce, server_nonce, kx));
  Result<ClientHandshake> client =
      ClientHandshake::answer(client_password, hello.client_nonce, challenge);
  if (!client) {
    outcome.client_answer = make_error(client.error());
    return outcome;
  }
  outcome.client_keys = client->session_keys();
  const Auth auth = over_the_wire(client->auth());
  auto keys = server.agree(kx, auth);
  EXPECT_TRUE(keys.ok());
  outcome.server_keys = *keys;
  outcome.server_verdict = server.verify(hello.client_nonce, server_nonce, kx, auth, *keys);
  if (!outcome.server_verdict) return outcome;
  const Welcome welcome =
      over_the_wire(Welcome{.node_id = 1, .server_proof = *outcome.server_verdict});
  outcome.client_verdict = client->verify_server(welcome.server_proof);
  return outcome;
}

/// A Challenge with a key exchange made for it and then forgotten.
Challenge challenge_of(const ServerHandshake& server, const Nonce& client_nonce, const Nonce& server_nonce) {
  ConnectionKx kx = ConnectionKx::generate();
  return server.challenge(client_nonce, server_nonce, kx);
}

/// One Argon2id derivation shared by the tests that do not test derivation itself.
const ServerHandshake& password_server() {
  static const ServerHandshake server = [] {
    Result<ServerHandshake> s = ServerHandshake::with_password("correct horse battery staple");
    EXPECT_TRUE(s.ok()) << s.error();
    return std::move(s).value();
  }();
  return server;
}

TEST(ProtocolAuth, RightPasswordVerifiesBothWays) {
  const HandshakeOutcome outcome = run_handshake(password_server(), "correct horse battery staple");
  ASSERT_TRUE(outcome.client_answer.ok()) << outcome.client_answer.error();
  ASSERT_TRUE(outcome.server_verdict.ok()) << outcome.server_verdict.error();
  EXPECT_NE(*outcome.server_verdict, Proof{}) << "a password server proves itself";
  EXPECT_TRUE(outcome.client_verdict.ok()) << outcome.client_verdict.error();
}

TEST(ProtocolAuth, WrongPasswordIsRejectedByTheServer) {
  const HandshakeOutcome outcome =
      run_handshake(password_server(), "correct horse battery stapler");
  ASSERT_TRUE(outcome.client_answer.ok());
  ASSERT_FALSE(outcome.server_verdict.ok());
  EXPECT_NE(outcome.server_verdict.error().find("wrong password"), std::string::npos);
}

TEST(ProtocolAuth, ServerWithoutThePasswordIsRejectedByTheClient) {
  // An impostor with a key of its own that asks for a password but cannot know it: it
  // accepts any proof and answers with a proof made from another password.
  const ServerHandshake impostor = ServerHandshake::with_key(random_salt(), PasswordKey::from_bytes(KeyBytes{42}));
  const Nonce client_nonce = random_nonce();
  const Nonce server_nonce = random_nonce();
  ConnectionKx kx = ConnectionKx::generate();
  Result<ClientHandshake> client =
      ClientHandshake::answer("the real password", client_nonce, impostor.challenge(client_nonce, server_nonce, kx));
  ASSERT_TRUE(client.ok()) << client.error();
  const SessionKeys keys = *impostor.agree(kx, client->auth());
  // The impostor's own proof for its own key (it does not know the real password).
  Auth own = client->auth();
  const ServerHandshake honest_shape = ServerHandshake::with_key(random_salt(), PasswordKey::from_bytes(KeyBytes{42}));
  (void)honest_shape;
  Result<Proof> forged = impostor.verify(client_nonce, server_nonce, kx, own, keys);
  const Proof attempt = forged.ok() ? *forged : Proof{7};
  const Status verdict = client->verify_server(attempt);
  ASSERT_FALSE(verdict.ok());
  EXPECT_NE(verdict.error().find("could not prove"), std::string::npos) << verdict.error();
  EXPECT_FALSE(client->verify_server(Proof{}).ok()) << "a zero proof is no proof";
}

TEST(ProtocolAuth, AClientGivenTheKeyAnswersAsOneGivenThePassword) {
  // answer_with_key (the session fuzz target's login): the key a password derives to.
  const Salt salt = random_salt();
  Result<PasswordKey> derived = PasswordKey::derive("pw", salt);
  ASSERT_TRUE(derived.ok()) << derived.error();
  const ServerHandshake server = ServerHandshake::with_key(salt, PasswordKey::from_bytes(derived->bytes()));
  for (const bool right : {true, false}) {
    const Nonce client_nonce = random_nonce();
    const Nonce server_nonce = random_nonce();
    ConnectionKx kx = ConnectionKx::generate();
    const PasswordKey key = PasswordKey::from_bytes(right ? derived->bytes() : KeyBytes{9});
    Result<ClientHandshake> client =
        ClientHandshake::answer_with_key(&key, client_nonce, server.challenge(client_nonce, server_nonce, kx));
    ASSERT_TRUE(client.ok()) << client.error();
    const SessionKeys keys = *server.agree(kx, client->auth());
    Result<Proof> verdict = server.verify(client_nonce, server_nonce, kx, client->auth(), keys);
    ASSERT_EQ(verdict.ok(), right) << (verdict.ok() ? "a wrong key verified" : verdict.error());
    if (right) {
      EXPECT_TRUE(client->verify_server(*verdict).ok());
    }
  }
  // No key: an open session only.
  const Nonce nonce = random_nonce();
  EXPECT_FALSE(ClientHandshake::answer_with_key(nullptr, nonce, challenge_of(server, nonce, random_nonce())).ok());
  Result<ServerHandshake> open = ServerHandshake::without_password();
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(ClientHandshake::answer_with_key(nullptr, nonce, challenge_of(*open, nonce, random_nonce())).ok());
  const PasswordKey key = PasswordKey::from_bytes(derived->bytes());
  EXPECT_FALSE(ClientHandshake::answer_with_key(&key, nonce, challenge_of(*open, nonce, random_nonce())).ok());
}

TEST(ProtocolAuth, ProofsAreBoundToTheConnection) {
  const ServerHandshake server = ServerHandshake::with_key(random_salt(), PasswordKey::from_bytes(KeyBytes{1, 2, 3}));
  const Nonce client_nonce = random_nonce();
  const Nonce server_nonce = random_nonce();
  ConnectionKx kx = ConnectionKx::generate();
  // The client knows the password: the same key bytes are what Argon2 would give it.
  Result<ClientHandshake> client =
      ClientHandshake::answer("pw", client_nonce, server.challenge(client_nonce, server_nonce, kx));
  ASSERT_TRUE(client.ok());
  const Auth auth = client->auth();
  const SessionKeys keys = *server.agree(kx, auth);
  // (the derived key differs from KeyBytes{1,2,3}: this proof is wrong, as any guess would be)
  EXPECT_FALSE(server.verify(client_nonce, server_nonce, kx, auth, keys).ok());
  // Replayed into another connection (other nonces or another key exchange): refused too.
  Nonce other = client_nonce;
  other[31] ^= 1;
  EXPECT_FALSE(server.verify(other, server_nonce, kx, auth, keys).ok());
  ConnectionKx kx2 = ConnectionKx::generate();
  EXPECT_FALSE(server.verify(client_nonce, server_nonce, kx2, auth, *server.agree(kx2, auth)).ok());
}

TEST(ProtocolAuth, AChallengeIsSignedByTheServersKeyAndBoundToTheClientsNonce) {
  Result<ServerHandshake> server = ServerHandshake::without_password();
  ASSERT_TRUE(server.ok());
  const Nonce client_nonce = random_nonce();
  ConnectionKx kx = ConnectionKx::generate();
  Challenge c = server->challenge(client_nonce, random_nonce(), kx);
  EXPECT_TRUE(ClientHandshake::answer(std::nullopt, client_nonce, c).ok());
  // Replayed to another client, changed in any field, or signed by another key: refused.
  EXPECT_FALSE(ClientHandshake::answer(std::nullopt, random_nonce(), c).ok());
  Challenge changed = c;
  changed.server_kx[0] ^= 1;
  EXPECT_FALSE(ClientHandshake::answer(std::nullopt, client_nonce, changed).ok());
  changed = c;
  changed.password_required = true;  // a downgrade or upgrade in flight
  EXPECT_FALSE(ClientHandshake::answer("pw", client_nonce, changed).ok());
  Result<ServerHandshake> other = ServerHandshake::without_password();
  changed = c;
  changed.server_key = other->identity().public_key();
  auto refused = ClientHandshake::answer(std::nullopt, client_nonce, changed);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("not signed"), std::string::npos) << refused.error();
}

TEST(ProtocolAuth, AClientWithAPasswordRefusesAServerThatDoesNotAskForIt) {
  Result<ServerHandshake> open = ServerHandshake::without_password();
  const Nonce client_nonce = random_nonce();
  auto client = ClientHandshake::answer("secret", client_nonce,
                                        challenge_of(*open, client_nonce, random_nonce()));
  ASSERT_FALSE(client.ok()) << "fell back to no password";
  EXPECT_NE(client.error().find("did not ask for the password"), std::string::npos) << client.error();
}

TEST(ProtocolAuth, NoPasswordSessionUsesZeroProofs) {
  Result<ServerHandshake> server = ServerHandshake::without_password();
  ASSERT_TRUE(server.ok()) << server.error();
  EXPECT_FALSE(server->password_required());
  EXPECT_FALSE(challenge_of(*server, random_nonce(), random_nonce()).password_required);
  for (const std::optional<std::string_view> password : {std::optional<std::string_view>{}}) {
    const HandshakeOutcome outcome = run_handshake(*server, password);
    ASSERT_TRUE(outcome.client_answer.ok()) << outcome.client_answer.error();
    ASSERT_TRUE(outcome.server_verdict.ok()) << outcome.server_verdict.error();
    EXPECT_EQ(*outcome.server_verdict, Proof{});
    EXPECT_TRUE(outcome.client_verdict.ok()) << outcome.client_verdict.error();
  }
  const Nonce client_nonce = random_nonce();
  Result<ClientHandshake> client = ClientHandshake::answer(
      std::nullopt, client_nonce, challenge_of(*server, client_nonce, random_nonce()));
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(client->auth().proof, Proof{});
  EXPECT_FALSE(client->server_authenticated());
  // An unsigned Challenge (what a server of another version, or a forger, sends) is refused.
  EXPECT_FALSE(ClientHandshake::answer(std::nullopt, client_nonce, Challenge{}).ok());
}

TEST(ProtocolAuth, PasswordSessionRefusesAClientWithoutPassword) {
  const Nonce client_nonce = random_nonce();
  Result<ClientHandshake> client = ClientHandshake::answer(
      std::nullopt, client_nonce, challenge_of(password_server(), client_nonce, random_nonce()));
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.error().find("requires a password"), std::string::npos) << client.error();
  // And a client without a proof is refused by the server.
  ConnectionKx kx = ConnectionKx::generate();
  Auth none;
  none.client_kx = ConnectionKx::generate().public_key;
  EXPECT_FALSE(password_server().verify(random_nonce(), random_nonce(), kx, none, *password_server().agree(kx, none)).ok());
}

TEST(ProtocolAuth, KeyDerivationDependsOnPasswordAndSalt) {
  const Salt salt{1, 2, 3, 4};
  Result<PasswordKey> a = PasswordKey::derive("secret", salt);
  Result<PasswordKey> again = PasswordKey::derive("secret", salt);
  Result<PasswordKey> other_salt = PasswordKey::derive("secret", Salt{4, 3, 2, 1});
  Result<PasswordKey> other_password = PasswordKey::derive("Secret", salt);
  ASSERT_TRUE(a.ok() && again.ok() && other_salt.ok() && other_password.ok());
  EXPECT_EQ(a->bytes(), again->bytes());
  EXPECT_NE(a->bytes(), other_salt->bytes());
  EXPECT_NE(a->bytes(), other_password->bytes());
  EXPECT_NE(a->bytes(), KeyBytes{});
}

TEST(ProtocolAuth, EmptyPasswordIsRefused) {
  Result<PasswordKey> key = PasswordKey::derive("", Salt{});
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.error().find("empty"), std::string::npos);
  EXPECT_FALSE(ServerHandshake::with_password("").ok());
}

TEST(ProtocolAuth, MovedFromKeyIsWiped) {
  PasswordKey key = PasswordKey::from_bytes(KeyBytes{7, 7, 7});
  PasswordKey moved = std::move(key);
  EXPECT_EQ(moved.bytes()[0], 7);
  EXPECT_EQ(key.bytes(), KeyBytes{});  // NOLINT(bugprone-use-after-move): checking the wipe
}

TEST(ProtocolAuth, BothEndsAgreeOnDirectionalKeysFreshPerConnection) {
  const HandshakeOutcome one = run_handshake(password_server(), "correct horse battery staple");
  const HandshakeOutcome two = run_handshake(password_server(), "correct horse battery staple");
  ASSERT_TRUE(one.client_keys && one.server_keys && two.client_keys);
  EXPECT_EQ(one.client_keys->client_to_server, one.server_keys->client_to_server);
  EXPECT_EQ(one.client_keys->server_to_client, one.server_keys->server_to_client);
  EXPECT_NE(one.client_keys->client_to_server, one.client_keys->server_to_client);
  EXPECT_NE(one.client_keys->client_to_server, two.client_keys->client_to_server);
  // An open session is encrypted the same way.
  const HandshakeOutcome open = run_handshake(*ServerHandshake::without_password(), std::nullopt);
  ASSERT_TRUE(open.client_keys && open.server_keys);
  EXPECT_EQ(open.client_keys->server_to_client, open.server_keys->server_to_client);
}

TEST(ProtocolAuth, FingerprintsAreRememberedOnFirstUseAndAChangedKeyIsRefused) {
  const auto file = std::filesystem::temp_directory_path() / ("lockstep-known-" + std::to_string(::getpid()));
  std::filesystem::remove(file);
  const KnownServers known(file);
  auto a = ServerIdentity::generate();
  auto b = ServerIdentity::generate();
  std::string note;
  EXPECT_EQ(check_server_key(a->public_key(), "203.0.113.5:7450", std::nullopt, &known, &note), "");
  EXPECT_NE(note.find("first connection"), std::string::npos) << note;
  EXPECT_EQ(check_server_key(a->public_key(), "203.0.113.5:7450", std::nullopt, &known, &note), "");
  const std::string changed = check_server_key(b->public_key(), "203.0.113.5:7450", std::nullopt, &known, &note);
  EXPECT_NE(changed.find("different key"), std::string::npos) << changed;
  EXPECT_NE(changed.find(file.string()), std::string::npos) << "says which file to edit: " << changed;
  // A fingerprint given by the user wins, both ways.
  EXPECT_EQ(check_server_key(b->public_key(), "203.0.113.5:7450", b->fingerprint(), &known, &note), "");
  EXPECT_NE(check_server_key(a->public_key(), "198.51.100.1:7450", b->fingerprint(), &known, &note), "");
  EXPECT_EQ(a->fingerprint().rfind("SHA256:", 0), 0u);
  std::filesystem::remove(file);
}

TEST(ProtocolAuth, ProofsEqualComparesEveryByte) {
  Proof a{};
  a.fill(0x5A);
  Proof b = a;
  EXPECT_TRUE(proofs_equal(a, b));
  for (std::size_t i = 0; i < b.size(); ++i) {
    Proof c = a;
    c[i] ^= 1;
    EXPECT_FALSE(proofs_equal(a, c)) << i;
  }
}

TEST(ProtocolAuth, RandomNoncesDiffer) {
  EXPECT_NE(random_nonce(), random_nonce());
  EXPECT_NE(random_salt(), random_salt());
}

}  // namespace
}  // namespace lockstep::net
