// The password handshake: the right password verifies both ways, anything else fails.
#include <gtest/gtest.h>
#include <net/protocol/auth.h>
#include <net/protocol/messages.h>

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
};

/// Runs Hello → Challenge → Auth → Welcome through the codec.
HandshakeOutcome run_handshake(const ServerHandshake& server,
                               std::optional<std::string_view> client_password) {
  HandshakeOutcome outcome;
  const Hello hello = over_the_wire(Hello{.node_name = "node", .client_nonce = random_nonce()});
  const Nonce server_nonce = random_nonce();
  const Challenge challenge = over_the_wire(server.challenge(server_nonce));
  Result<ClientHandshake> client =
      ClientHandshake::answer(client_password, hello.client_nonce, challenge);
  if (!client) {
    outcome.client_answer = make_error(client.error());
    return outcome;
  }
  const Auth auth = over_the_wire(client->auth());
  outcome.server_verdict = server.verify(hello.client_nonce, server_nonce, auth);
  if (!outcome.server_verdict) return outcome;
  const Welcome welcome =
      over_the_wire(Welcome{.node_id = 1, .server_proof = *outcome.server_verdict});
  outcome.client_verdict = client->verify_server(welcome.server_proof);
  return outcome;
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
  // An impostor that asks for a password but cannot know it: it accepts any proof and
  // answers with a proof made from a key of its own.
  const Salt salt = random_salt();
  const PasswordKey impostor_key = PasswordKey::from_bytes(KeyBytes{42});
  const Nonce client_nonce = random_nonce();
  const Nonce server_nonce = random_nonce();
  Result<ClientHandshake> client = ClientHandshake::answer(
      "the real password", client_nonce,
      Challenge{.salt = salt, .server_nonce = server_nonce, .password_required = true});
  ASSERT_TRUE(client.ok()) << client.error();
  const Status verdict =
      client->verify_server(make_server_proof(impostor_key, client_nonce, server_nonce));
  ASSERT_FALSE(verdict.ok());
  EXPECT_NE(verdict.error().find("could not prove"), std::string::npos) << verdict.error();
  EXPECT_FALSE(client->verify_server(Proof{}).ok()) << "a zero proof is no proof";
}

TEST(ProtocolAuth, TamperedNoncesFailVerification) {
  const PasswordKey key = PasswordKey::from_bytes(KeyBytes{1, 2, 3});
  const ServerHandshake server =
      ServerHandshake::with_key(random_salt(), PasswordKey::from_bytes(KeyBytes{1, 2, 3}));
  const Nonce client_nonce = random_nonce();
  const Nonce server_nonce = random_nonce();
  const Auth auth{.proof = make_client_proof(key, server_nonce, client_nonce)};
  ASSERT_TRUE(server.verify(client_nonce, server_nonce, auth).ok());

  Nonce tampered_client = client_nonce;
  tampered_client[31] ^= 1;
  EXPECT_FALSE(server.verify(tampered_client, server_nonce, auth).ok());
  Nonce tampered_server = server_nonce;
  tampered_server[0] ^= 0x80;
  EXPECT_FALSE(server.verify(client_nonce, tampered_server, auth).ok());
  // The nonces are not interchangeable either.
  EXPECT_FALSE(server.verify(server_nonce, client_nonce, auth).ok());
  Auth tampered_proof = auth;
  tampered_proof.proof[5] ^= 4;
  EXPECT_FALSE(server.verify(client_nonce, server_nonce, tampered_proof).ok());
}

TEST(ProtocolAuth, ProofFromOneConnectionDoesNotOpenAnother) {
  const PasswordKey key = PasswordKey::from_bytes(KeyBytes{9});
  const ServerHandshake server =
      ServerHandshake::with_key(random_salt(), PasswordKey::from_bytes(KeyBytes{9}));
  const Nonce client_nonce = random_nonce();
  const Auth recorded{.proof = make_client_proof(key, random_nonce(), client_nonce)};
  EXPECT_FALSE(server.verify(client_nonce, random_nonce(), recorded).ok());
}

TEST(ProtocolAuth, ClientAndServerProofsDiffer) {
  const PasswordKey key = PasswordKey::from_bytes(KeyBytes{5});
  const Nonce a = random_nonce();
  const Nonce b = random_nonce();
  // A server cannot echo the client's proof back as its own.
  EXPECT_NE(make_client_proof(key, a, b), make_server_proof(key, b, a));
}

TEST(ProtocolAuth, NoPasswordSessionUsesZeroProofs) {
  Result<ServerHandshake> server = ServerHandshake::without_password();
  ASSERT_TRUE(server.ok()) << server.error();
  EXPECT_FALSE(server->password_required());
  EXPECT_FALSE(server->challenge(random_nonce()).password_required);
  for (const std::optional<std::string_view> password :
       {std::optional<std::string_view>{}, std::optional<std::string_view>{"ignored"}}) {
    const HandshakeOutcome outcome = run_handshake(*server, password);
    ASSERT_TRUE(outcome.client_answer.ok()) << outcome.client_answer.error();
    ASSERT_TRUE(outcome.server_verdict.ok()) << outcome.server_verdict.error();
    EXPECT_EQ(*outcome.server_verdict, Proof{});
    EXPECT_TRUE(outcome.client_verdict.ok()) << outcome.client_verdict.error();
  }
  Result<ClientHandshake> client = ClientHandshake::answer(
      std::nullopt, random_nonce(),
      Challenge{.server_nonce = random_nonce(), .password_required = false});
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(client->auth().proof, Proof{});
  EXPECT_FALSE(client->server_authenticated());
  EXPECT_FALSE(client->session_keys().has_value());
  EXPECT_FALSE(server->session_keys(random_nonce(), random_nonce()).has_value());
}

TEST(ProtocolAuth, PasswordSessionRefusesAClientWithoutPassword) {
  Result<ClientHandshake> client = ClientHandshake::answer(
      std::nullopt, random_nonce(), Challenge{.salt = random_salt(), .password_required = true});
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.error().find("requires a password"), std::string::npos) << client.error();
  // And a client without a proof is refused by the server.
  EXPECT_FALSE(password_server().verify(random_nonce(), random_nonce(), Auth{}).ok());
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

TEST(ProtocolAuth, SessionKeysAgreeAreDirectionalAndPerConnection) {
  const Salt salt = random_salt();
  const KeyBytes secret{3, 1, 4, 1, 5};
  const ServerHandshake server = ServerHandshake::with_key(salt, PasswordKey::from_bytes(secret));
  const PasswordKey client_key = PasswordKey::from_bytes(secret);
  const Nonce client_nonce = random_nonce();
  const Nonce server_nonce = random_nonce();

  const std::optional<SessionKeys> at_server = server.session_keys(client_nonce, server_nonce);
  ASSERT_TRUE(at_server.has_value());
  const SessionKeys at_client = derive_session_keys(client_key, client_nonce, server_nonce);
  EXPECT_EQ(at_server->client_to_server, at_client.client_to_server);
  EXPECT_EQ(at_server->server_to_client, at_client.server_to_client);
  EXPECT_NE(at_client.client_to_server, at_client.server_to_client);
  EXPECT_NE(at_client.client_to_server, secret) << "the password key itself is never a session key";

  const SessionKeys next = derive_session_keys(client_key, random_nonce(), server_nonce);
  EXPECT_NE(next.client_to_server, at_client.client_to_server);
  EXPECT_NE(next.server_to_client, at_client.server_to_client);
}

TEST(ProtocolAuth, ClientHandshakeOffersSessionKeysMatchingTheServer) {
  const HandshakeOutcome unused = run_handshake(password_server(), "correct horse battery staple");
  ASSERT_TRUE(unused.client_verdict.ok());
  const Nonce client_nonce = random_nonce();
  const Nonce server_nonce = random_nonce();
  const Challenge challenge = password_server().challenge(server_nonce);
  Result<ClientHandshake> client =
      ClientHandshake::answer("correct horse battery staple", client_nonce, challenge);
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE(client->server_authenticated());
  const std::optional<SessionKeys> a = client->session_keys();
  const std::optional<SessionKeys> b = password_server().session_keys(client_nonce, server_nonce);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->client_to_server, b->client_to_server);
  EXPECT_EQ(a->server_to_client, b->server_to_client);
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
