// Packet sealing: the identity today, AEAD with the session keys when encryption is on.
#include <gtest/gtest.h>
#include <net/protocol/auth.h>
#include <net/protocol/messages.h>
#include <net/protocol/sealer.h>

namespace lockstep::net {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes packet_of(const Message& m) {
  Result<Bytes> bytes = encode(m);
  EXPECT_TRUE(bytes.ok()) << bytes.error();
  return *bytes;
}

/// Two directional keys made from `seed` (a real connection gets them from its key exchange).
SessionKeys keys_for(std::uint8_t seed) {
  SessionKeys keys;
  keys.client_to_server.fill(seed);
  keys.server_to_client.fill(std::uint8_t(seed ^ 0xA5));
  return keys;
}

TEST(ProtocolSealer, PlainSealerIsTheIdentity) {
  PlainSealer sealer;
  const Bytes packet = packet_of(ClockProbe{.seq = 9, .t1_ns = 99});
  const Bytes sealed = sealer.seal(packet);
  EXPECT_EQ(sealed, packet);
  Result<Bytes> opened = sealer.open(sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, packet);
  EXPECT_EQ(sealer.overhead(), 0u);
}

TEST(ProtocolSealer, AeadRoundTripsBothDirectionsThroughTheCodec) {
  const SessionKeys keys = keys_for(1);
  AeadSealer client(keys, AeadSealer::Side::Client);
  AeadSealer server(keys, AeadSealer::Side::Server);
  for (int i = 0; i < 5; ++i) {
    const Bytes packet = packet_of(
        Command{.command_id = static_cast<std::uint32_t>(i + 1), .type = CommandType::Play});
    const Bytes datagram = client.seal(packet);
    EXPECT_EQ(datagram.size(), packet.size() + client.overhead());
    EXPECT_EQ(std::search(datagram.begin(), datagram.end(), packet.begin() + 3, packet.end()),
              datagram.end())
        << "the payload must not travel in the clear";
    Result<Bytes> opened = server.open(datagram);
    ASSERT_TRUE(opened.ok()) << opened.error();
    Result<Message> message = decode(*opened);
    ASSERT_TRUE(message.ok()) << message.error();
    EXPECT_EQ(std::get<Command>(*message).command_id, static_cast<std::uint32_t>(i + 1));

    const Bytes reply = packet_of(StateUpdate{.command_id = static_cast<std::uint32_t>(i + 1)});
    Result<Bytes> back = client.open(server.seal(reply));
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_EQ(*back, reply);
  }
}

TEST(ProtocolSealer, AeadRejectsATamperedByteAnywhere) {
  const SessionKeys keys = keys_for(2);
  AeadSealer client(keys, AeadSealer::Side::Client);
  const Bytes datagram = client.seal(packet_of(Bye{.reason = "done"}));
  for (std::size_t i = 0; i < datagram.size(); ++i) {
    AeadSealer server(keys, AeadSealer::Side::Server);
    Bytes tampered = datagram;
    tampered[i] ^= 0x01;
    Result<Bytes> opened = server.open(tampered);
    EXPECT_FALSE(opened.ok()) << "byte " << i;
  }
}

TEST(ProtocolSealer, AeadRejectsReplaysAndAcceptsReorderingWithinTheWindow) {
  const SessionKeys keys = keys_for(3);
  AeadSealer client(keys, AeadSealer::Side::Client);
  AeadSealer server(keys, AeadSealer::Side::Server);
  std::vector<Bytes> sent;
  for (std::uint32_t i = 0; i < 100; ++i)
    sent.push_back(client.seal(packet_of(ClockProbe{.seq = i})));

  ASSERT_TRUE(server.open(sent[10]).ok());
  ASSERT_TRUE(server.open(sent[5]).ok()) << "late but within the window";
  Result<Bytes> replay = server.open(sent[10]);
  ASSERT_FALSE(replay.ok());
  EXPECT_NE(replay.error().find("replay"), std::string::npos) << replay.error();
  EXPECT_FALSE(server.open(sent[5]).ok());
  ASSERT_TRUE(server.open(sent[99]).ok());
  EXPECT_FALSE(server.open(sent[20]).ok()) << "79 behind: outside the 64-packet window";
  EXPECT_TRUE(server.open(sent[40]).ok()) << "59 behind: inside";
}

TEST(ProtocolSealer, AeadRejectsOtherKeysAndOwnDirection) {
  AeadSealer client(keys_for(4), AeadSealer::Side::Client);
  AeadSealer stranger(keys_for(5), AeadSealer::Side::Server);
  AeadSealer other_client(keys_for(4), AeadSealer::Side::Client);
  const Bytes datagram = client.seal(packet_of(Kick{.node_id = 2}));
  EXPECT_FALSE(stranger.open(datagram).ok());
  EXPECT_FALSE(other_client.open(datagram).ok()) << "a reflected packet must not open";
}

TEST(ProtocolSealer, AeadRejectsShortDatagrams) {
  AeadSealer server(keys_for(6), AeadSealer::Side::Server);
  for (std::size_t n = 0; n < server.overhead(); ++n) {
    Result<Bytes> opened = server.open(Bytes(n, 0));
    ASSERT_FALSE(opened.ok());
    EXPECT_NE(opened.error().find("shorter than"), std::string::npos) << opened.error();
  }
  // An empty packet is sealable, and only the genuine envelope opens.
  AeadSealer client(keys_for(6), AeadSealer::Side::Client);
  Result<Bytes> empty = server.open(client.seal({}));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_FALSE(server.open(Bytes(server.overhead(), 0)).ok());
}

}  // namespace
}  // namespace lockstep::net
