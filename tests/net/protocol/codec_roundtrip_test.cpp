// Encoding and decoding of well-formed messages: every message survives a round trip
// with typical and extreme values, bit for bit, and the layout is the documented one.
#include <gtest/gtest.h>
#include <net/protocol/messages.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "sample_messages.h"

namespace lockstep::net {
namespace {

std::vector<std::uint8_t> encoded(const Message& m) {
  Result<std::vector<std::uint8_t>> bytes = encode(m);
  EXPECT_TRUE(bytes.ok()) << bytes.error();
  return bytes.ok() ? bytes.value() : std::vector<std::uint8_t>{};
}

void expect_round_trip(const test::SampleMessage& sample) {
  SCOPED_TRACE(sample.label);
  const std::vector<std::uint8_t> bytes = encoded(sample.message);
  ASSERT_FALSE(bytes.empty());
  EXPECT_LE(bytes.size(), kMaxPacketBytes);
  Result<Message> decoded = decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->index(), sample.message.index());
  EXPECT_TRUE(*decoded == sample.message) << describe(*decoded) << "\n vs \n"
                                          << describe(sample.message);
  EXPECT_EQ(encoded(*decoded), bytes) << "re-encoding is not canonical";
}

TEST(ProtocolCodec, SamplesCoverEveryMessageType) {
  std::set<std::size_t> typical, extreme;
  for (const auto& s : test::typical_messages()) typical.insert(s.message.index());
  for (const auto& s : test::extreme_messages()) extreme.insert(s.message.index());
  EXPECT_EQ(typical.size(), std::variant_size_v<Message>);
  EXPECT_EQ(extreme.size(), std::variant_size_v<Message>);
}

TEST(ProtocolCodec, TypicalMessagesRoundTripExactly) {
  for (const auto& sample : test::typical_messages()) expect_round_trip(sample);
}

TEST(ProtocolCodec, ExtremeMessagesRoundTripExactly) {
  for (const auto& sample : test::extreme_messages()) expect_round_trip(sample);
}

TEST(ProtocolCodec, HeaderIsMagicVersionType) {
  for (const auto& sample : test::typical_messages()) {
    const std::vector<std::uint8_t> bytes = encoded(sample.message);
    ASSERT_GE(bytes.size(), kPacketHeaderBytes);
    EXPECT_EQ(bytes[0], 0x4C);
    EXPECT_EQ(bytes[1], kProtocolVersion);
    EXPECT_EQ(bytes[2], message_type(sample.message)) << sample.label;
  }
}

TEST(ProtocolCodec, ClockProbeLayoutIsLittleEndian) {
  const std::vector<std::uint8_t> bytes =
      encoded(ClockProbe{.seq = 0x04030201, .t1_ns = -2});  // -2 = FE FF .. FF
  const std::vector<std::uint8_t> expected{
      0x4C, kProtocolVersion, 16, 0x01, 0x02, 0x03, 0x04, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0xFF};
  EXPECT_EQ(bytes, expected);
}

TEST(ProtocolCodec, StringIsLengthPrefixedBytes) {
  const std::vector<std::uint8_t> bytes = encoded(Bye{.reason = "ab"});
  const std::vector<std::uint8_t> expected{0x4C, kProtocolVersion, 65, 2, 0, 'a', 'b'};
  EXPECT_EQ(bytes, expected);
}

TEST(ProtocolCodec, DoubleTravelsAsItsIeeeBits) {
  for (const double rate : {-0.0, std::numeric_limits<double>::denorm_min(), 0.1, -2.5,
                            std::numeric_limits<double>::max()}) {
    const std::vector<std::uint8_t> bytes =
        encoded(Command{.type = CommandType::Rate, .rate = rate});
    Result<Message> back = decode(bytes);
    ASSERT_TRUE(back.ok()) << back.error();
    const double got = std::get<Command>(*back).rate;
    std::uint64_t a = 0, b = 0;
    std::memcpy(&a, &rate, 8);
    std::memcpy(&b, &got, 8);
    EXPECT_EQ(a, b) << rate;
  }
}

// The sizes docs/protocol.md gives for each message with empty strings and lists.
TEST(ProtocolCodec, PayloadSizesAreTheDocumentedOnes) {
  const std::vector<std::pair<Message, std::size_t>> cases = {
      {Hello{}, 37},       {Challenge{}, 209}, {Auth{}, 96},       {Welcome{}, 97},
      {Reject{}, 5},       {ClockProbe{}, 12}, {ClockReply{}, 28}, {Command{}, 38},
      {StateUpdate{}, 58}, {MediaReport{}, 2}, {Ready{}, 5},       {NodeStatus{}, 73},
      {PeerTable{}, 2},    {Kick{}, 4},        {Bye{}, 2},         {LatencyOffset{}, 12},
  };
  ASSERT_EQ(cases.size(), std::variant_size_v<Message>);
  for (const auto& [message, payload] : cases) {
    EXPECT_EQ(encoded(message).size(), kPacketHeaderBytes + payload) << message_name(message);
  }
  EXPECT_EQ(encoded(MediaReport{.matches = {MediaMatch{}}}).size(), kPacketHeaderBytes + 2 + 9);
  EXPECT_EQ(encoded(PeerTable{.peers = {PeerInfo{}}}).size(), kPacketHeaderBytes + 2 + 83);
  Welcome one_media;
  one_media.snapshot.media.resize(1);
  EXPECT_EQ(encoded(one_media).size(), kPacketHeaderBytes + 97 + 52);
}

TEST(ProtocolCodec, PeekVersionReadsTheHeader) {
  std::vector<std::uint8_t> bytes = encoded(Kick{.node_id = 1});
  EXPECT_EQ(peek_version(bytes), kProtocolVersion);
  bytes[1] = 9;
  EXPECT_EQ(peek_version(bytes), 9);
  EXPECT_EQ(peek_version(std::vector<std::uint8_t>{0x4C, 3}), 3);
  EXPECT_EQ(peek_version(std::vector<std::uint8_t>{0x4C}), std::nullopt);
  EXPECT_EQ(peek_version(std::vector<std::uint8_t>{}), std::nullopt);
  EXPECT_EQ(peek_version(std::vector<std::uint8_t>{0x4D, 1, 1}), std::nullopt);
}

TEST(ProtocolCodec, EncodeRefusesStringOverTheBound) {
  Result<std::vector<std::uint8_t>> r =
      encode(Hello{.node_name = std::string(kMaxStringBytes + 1, 'x')});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("Hello.node_name"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("1025 bytes"), std::string::npos) << r.error();
}

TEST(ProtocolCodec, EncodeRefusesListOverTheBound) {
  MediaReport report;
  report.matches.resize(kMaxListItems + 1);
  Result<std::vector<std::uint8_t>> r = encode(report);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("MediaReport.matches: list of 1025 items"), std::string::npos)
      << r.error();
}

TEST(ProtocolCodec, EncodeRefusesNonFiniteNumbers) {
  for (const double bad : {std::nan(""), std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity()}) {
    StateUpdate update;
    update.transport.rate = bad;
    Result<std::vector<std::uint8_t>> r = encode(update);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().find("StateUpdate.transport.rate"), std::string::npos) << r.error();
  }
}

TEST(ProtocolCodec, EncodeRefusesEnumOutOfRange) {
  Result<std::vector<std::uint8_t>> r = encode(Reject{.reason = static_cast<RejectReason>(7)});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("Reject.reason"), std::string::npos) << r.error();
}

TEST(ProtocolCodec, EncodeRefusesPacketOverTheLimit) {
  PeerTable table;
  for (int i = 0; i < 40; ++i) {
    table.peers.push_back(
        PeerInfo{.name = std::string(1000, 'n'), .address = std::string(1000, 'a')});
  }
  Result<std::vector<std::uint8_t>> r = encode(table);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("PeerTable.peers["), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("65536"), std::string::npos) << r.error();
}

TEST(ProtocolCodec, DescribeNamesTheMessageAndItsFields) {
  EXPECT_EQ(describe(ClockProbe{.seq = 3, .t1_ns = 1200}), "ClockProbe{seq=3 t1_ns=1200}");
  EXPECT_EQ(
      describe(Reject{.reason = RejectReason::NameInUse, .server_version = 1, .detail = "a\"b\n"}),
      "Reject{reason=NameInUse server_version=1 detail=\"a\\\"b\\x0A\"}");
  const std::string hello = describe(Hello{.node_name = "n", .client_nonce = {1, 2, 3}});
  EXPECT_NE(hello.find("client_nonce=<32 bytes>"), std::string::npos) << hello;
  const std::string challenge = describe(Challenge{.salt = {0xAB}});
  EXPECT_NE(challenge.find("salt=ab000000000000000000000000000000"), std::string::npos)
      << challenge;
  MediaReport report;
  report.matches.resize(10);
  const std::string listed = describe(report);
  EXPECT_NE(listed.find("(10 in all)"), std::string::npos) << listed;
  const std::string nested = describe(StateUpdate{});
  EXPECT_NE(nested.find("transport={anchor_session_ns=0"), std::string::npos) << nested;
}

template <class E>
void expect_every_enum_value_named() {
  for (unsigned v = 0; v <= static_cast<unsigned>(kWireEnumLast<E>); ++v) {
    const std::string name = to_string(static_cast<E>(v));
    EXPECT_EQ(name.find('?'), std::string::npos) << "value " << v << " has no name";
  }
  const std::string beyond = to_string(static_cast<E>(static_cast<unsigned>(kWireEnumLast<E>) + 1));
  EXPECT_NE(beyond.find('?'), std::string::npos)
      << "kWireEnumLast is not the last value: " << beyond;
}

TEST(ProtocolCodec, EveryEnumValueHasANameAndLastIsLast) {
  expect_every_enum_value_named<NodeRole>();
  expect_every_enum_value_named<RejectReason>();
  expect_every_enum_value_named<CommandType>();
  expect_every_enum_value_named<MatchStatus>();
  expect_every_enum_value_named<ControlPolicy>();
  expect_every_enum_value_named<NodeState>();
}

TEST(ProtocolCodec, MessageNameAndTypeComeFromTheTable) {
  EXPECT_STREQ(message_name(Message{Welcome{}}), "Welcome");
  EXPECT_EQ(message_type(Message{Welcome{}}), 4);
  EXPECT_EQ(message_type(Message{Hello{}}), 1);
  EXPECT_EQ(message_type(Message{Reject{}}), 5);
}

}  // namespace
}  // namespace lockstep::net
