// Malformed input: every kind is rejected, with a reason naming the message, the field
// and the byte offset; none crashes (the fuzz target in tests/fuzz goes further).
#include <gtest/gtest.h>
#include <net/protocol/messages.h>

#include <cstring>
#include <limits>
#include <random>
#include <set>

#include "sample_messages.h"

namespace lockstep::net {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes encoded(const Message& m) {
  Result<Bytes> bytes = encode(m);
  EXPECT_TRUE(bytes.ok()) << bytes.error();
  return bytes.ok() ? bytes.value() : Bytes{};
}

/// The error of decoding `bytes`; fails the test when it decodes.
std::string rejection(const Bytes& bytes) {
  Result<Message> r = decode(bytes);
  EXPECT_FALSE(r.ok()) << "decoded as " << describe(*r);
  return r.ok() ? std::string() : r.error();
}

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

void put_u16(Bytes& bytes, std::size_t at, std::uint16_t value) {
  bytes[at] = static_cast<std::uint8_t>(value);
  bytes[at + 1] = static_cast<std::uint8_t>(value >> 8);
}

TEST(ProtocolMalformed, TruncationAtEveryOffsetIsRejectedNamingTheMessage) {
  for (const auto& sample : test::all_sample_messages()) {
    SCOPED_TRACE(sample.label);
    const Bytes full = encoded(sample.message);
    // Every offset; in the middle of the largest samples every 97th, to keep this quick.
    for (std::size_t length = 0; length < full.size();
         length += (length < 4096 || length + 4096 > full.size()) ? 1 : 97) {
      const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(length));
      const std::string error = rejection(cut);
      if (length < kPacketHeaderBytes) {
        EXPECT_CONTAINS(error, "packet too short");
      } else {
        EXPECT_EQ(error.rfind(std::string(message_name(sample.message)) + ".", 0), 0u) << error;
        EXPECT_CONTAINS(error, "truncated at byte ");
      }
      if (::testing::Test::HasFailure()) return;  // one report per sample is enough
    }
  }
}

TEST(ProtocolMalformed, TruncationReasonGivesFieldOffsetAndShortfall) {
  Bytes bytes = encoded(ClockReply{.seq = 1, .t1_ns = 2, .t2_ns = 3, .t3_ns = 4});
  bytes.resize(18);  // header 3 + seq 4 + t1 8 = 15; t2 has 3 of its 8 bytes
  EXPECT_EQ(rejection(bytes), "ClockReply.t2_ns: truncated at byte 15 (need 8 more, 3 left)");
}

TEST(ProtocolMalformed, TrailingByteIsRejected) {
  for (const auto& sample : test::all_sample_messages()) {
    Bytes bytes = encoded(sample.message);
    if (bytes.size() >= kMaxPacketBytes) continue;
    bytes.push_back(0);
    const std::string error = rejection(bytes);
    EXPECT_CONTAINS(error, std::string(message_name(sample.message)) + ": 1 trailing byte(s)");
  }
}

TEST(ProtocolMalformed, UnknownMessageTypeIsRejected) {
  std::set<int> known;
  for (const auto& sample : test::typical_messages()) known.insert(message_type(sample.message));
  for (int type = 0; type < 256; ++type) {
    if (known.count(type) != 0) continue;
    const std::string error =
        rejection(Bytes{kPacketMagic, kProtocolVersion, static_cast<std::uint8_t>(type), 0, 0});
    EXPECT_EQ(error, "unknown message type " + std::to_string(type) + " at byte 2");
  }
}

TEST(ProtocolMalformed, BadMagicIsRejected) {
  Bytes bytes = encoded(Kick{.node_id = 1});
  bytes[0] = 0x47;
  EXPECT_EQ(rejection(bytes),
            "not a lockstep packet: bad magic 0x47 at byte 0 (expected 0x4C 'L')");
}

TEST(ProtocolMalformed, BadEnumValueIsRejectedNamingTheField) {
  struct Case {
    Message message;
    std::size_t offset;  // of the enum byte
    std::uint8_t bad;
    std::string expected;
  };
  PeerTable table;
  table.peers.resize(2);
  const std::size_t second_peer_state = 3 + 2 + (4 + 2 + 2 + 73 + 2) + 4 + 2 + 2;
  const std::vector<Case> cases = {
      {Reject{}, 3, 7, "Reject.reason: bad value 7 at byte 3 (valid 0..6)"},
      {Hello{}, 3 + 2 + 2 + 32, 2, "Hello.role: bad value 2 at byte 39 (valid 0..1)"},
      {Command{}, 3 + 4, 0xFF, "Command.type: bad value 255 at byte 7 (valid 0..7)"},
      {MediaReport{.matches = {MediaMatch{}}}, 3 + 2 + 4, 3,
       "MediaReport.matches[0].status: bad value 3 at byte 9 (valid 0..2)"},
      {NodeStatus{}, 3, 8, "NodeStatus.state: bad value 8 at byte 3 (valid 0..7)"},
      {Welcome{}, 3 + 4 + 32 + 50 + 2, 2,
       "Welcome.snapshot.control_policy: bad value 2 at byte 91 (valid 0..1)"},
      {table, second_peer_state, 9, "PeerTable.peers[1].status.state: bad value 9 at byte "},
  };
  for (const Case& c : cases) {
    Bytes bytes = encoded(c.message);
    ASSERT_LT(c.offset, bytes.size());
    bytes[c.offset] = c.bad;
    EXPECT_CONTAINS(rejection(bytes), c.expected);
  }
}

TEST(ProtocolMalformed, BoolOtherThanZeroOrOneIsRejected) {
  Bytes bytes = encoded(Ready{.serial = 1, .ready = true});
  bytes[7] = 2;
  EXPECT_EQ(rejection(bytes), "Ready.ready: bad bool value 2 at byte 7 (must be 0 or 1)");
}

TEST(ProtocolMalformed, NonFiniteNumberIsRejected) {
  for (const double bad :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    Bytes bytes = encoded(Command{.type = CommandType::Rate, .rate = 1.0});
    const std::size_t at = 3 + 4 + 1 + 8 + 4;
    std::uint64_t bits = 0;
    std::memcpy(&bits, &bad, 8);
    for (int i = 0; i < 8; ++i) bytes[at + i] = static_cast<std::uint8_t>(bits >> (8 * i));
    EXPECT_EQ(rejection(bytes), "Command.rate: non-finite number at byte 20");
  }
}

TEST(ProtocolMalformed, StringOverTheBoundIsRejectedBeforeReadingIt) {
  Bytes bytes{kPacketMagic, kProtocolVersion, Bye::kType, 0, 0};
  put_u16(bytes, 3, static_cast<std::uint16_t>(kMaxStringBytes + 1));
  bytes.resize(bytes.size() + kMaxStringBytes + 1, 'x');
  EXPECT_EQ(rejection(bytes),
            "Bye.reason: string of 1025 bytes at byte 3 is over the limit of 1024");
}

TEST(ProtocolMalformed, ListOverTheBoundIsRejected) {
  Bytes bytes{kPacketMagic, kProtocolVersion, MediaReport::kType, 0, 0};
  put_u16(bytes, 3, 0xFFFF);
  EXPECT_EQ(rejection(bytes),
            "MediaReport.matches: list of 65535 items at byte 3 is over the limit of 1024");
}

TEST(ProtocolMalformed, ListCountBeyondTheDataIsATruncation) {
  Bytes bytes{kPacketMagic, kProtocolVersion, PeerTable::kType, 0, 0};
  put_u16(bytes, 3, 1000);
  EXPECT_EQ(rejection(bytes),
            "PeerTable.peers[0].node_id: truncated at byte 5 (need 4 more, 0 left)");
}

TEST(ProtocolMalformed, OversizePacketIsRejected) {
  Bytes bytes = encoded(Bye{});
  bytes.resize(kMaxPacketBytes + 1);
  EXPECT_EQ(rejection(bytes), "packet of 65537 bytes is over the limit of 65536");
}

TEST(ProtocolMalformed, OtherProtocolVersionIsRejectedWithBothVersions) {
  Bytes bytes = encoded(ClockProbe{.seq = 1});
  bytes[1] = kProtocolVersion + 1;
  EXPECT_EQ(rejection(bytes), "protocol version mismatch: the packet is version " +
                                  std::to_string(kProtocolVersion + 1) +
                                  ", this node speaks version " + std::to_string(kProtocolVersion) +
                                  " (message type 16)");
  // An unknown type in another version is a version problem first.
  EXPECT_CONTAINS(rejection(Bytes{kPacketMagic, kProtocolVersion + 1, 200}),
                  "protocol version mismatch");
}

TEST(ProtocolMalformed, HelloAndRejectDecodeAcrossVersionsIgnoringAppendedFields) {
  const Hello hello{
      .protocol_version = kProtocolVersion + 1, .node_name = "future", .role = NodeRole::Observer};
  Bytes bytes = encoded(hello);
  bytes[1] = kProtocolVersion + 1;
  bytes.insert(bytes.end(), {1, 2, 3, 4});  // fields a newer version appended
  Result<Message> decoded = decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(std::get<Hello>(*decoded), hello);

  const Reject reject{
      .reason = RejectReason::VersionMismatch, .server_version = 0, .detail = "old"};
  bytes = encoded(reject);
  bytes[1] = 0;
  decoded = decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(std::get<Reject>(*decoded), reject);

  // Still bounds-checked.
  bytes.resize(7);  // reason 1 + server_version 2, then half of detail's length
  EXPECT_CONTAINS(rejection(bytes), "Reject.detail: truncated at byte 6");
}

TEST(ProtocolMalformed, ShortPacketsAreRejected) {
  EXPECT_EQ(rejection(Bytes{}), "packet too short: 0 byte(s), the header alone is 3");
  EXPECT_EQ(rejection(Bytes{kPacketMagic, kProtocolVersion}),
            "packet too short: 2 byte(s), the header alone is 3");
}

// A deterministic mini-fuzz so that the plain test run (and the ASan build) covers random
// corruption too; tests/fuzz does the real thing with coverage guidance.
TEST(ProtocolMalformed, RandomCorruptionNeverCrashesAndValidResultsAreCanonical) {
  std::mt19937 rng(12345);
  const auto samples = test::all_sample_messages();
  int decoded_ok = 0;
  for (int round = 0; round < 20000; ++round) {
    Bytes bytes = encoded(samples[rng() % samples.size()].message);
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      switch (rng() % 3) {
        case 0:
          bytes[rng() % bytes.size()] = static_cast<std::uint8_t>(rng());
          break;
        case 1:
          bytes.resize(rng() % (bytes.size() + 1));
          break;
        default:
          bytes.push_back(static_cast<std::uint8_t>(rng()));
          break;
      }
      if (bytes.empty()) break;
    }
    Result<Message> r = decode(bytes);
    if (!r.ok()) {
      EXPECT_FALSE(r.error().empty());
      continue;
    }
    ++decoded_ok;
    if (bytes[1] == kProtocolVersion) {
      Result<Bytes> again = encode(*r);
      ASSERT_TRUE(again.ok()) << again.error();
      EXPECT_EQ(*again, bytes) << describe(*r);
    }
  }
  EXPECT_GT(decoded_ok, 0);
}

}  // namespace
}  // namespace lockstep::net
