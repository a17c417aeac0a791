// CPace on ristretto255/SHA-512: the draft's test vectors, agreement on the same password,
// disagreement on different ones, and refusal of invalid or identity shares.
//
// The vectors are those of draft-irtf-cfrg-cpace-21: appendix A.1 and A.3 (string
// utilities) and appendix B.3, "Test vector for CPace using group ristretto255 and hash
// SHA-512".
#include <gtest/gtest.h>
#include <net/protocol/cpace.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::net {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes from_hex(std::string_view hex) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

template <std::size_t N>
std::array<std::uint8_t, N> array_from_hex(std::string_view hex) {
  const Bytes bytes = from_hex(hex);
  EXPECT_EQ(bytes.size(), N);
  std::array<std::uint8_t, N> out{};
  std::copy_n(bytes.begin(), std::min(N, bytes.size()), out.begin());
  return out;
}

Bytes to_bytes(std::span<const std::uint8_t> s) { return Bytes(s.begin(), s.end()); }

// ---- Appendix B.3 inputs and outputs

const Bytes kPrs = text("Password");
const Bytes kCi = from_hex("0b415f696e69746961746f720b425f726573706f6e646572");
const Bytes kSid = from_hex("7e4b4791d6a8ef019b936c79fb7f2c57");
const Bytes kAda = text("ADa");
const Bytes kAdb = text("ADb");

constexpr std::string_view kGeneratorString =  // B.3.1, 170 bytes
    "11435061636552697374726574746f3235350850617373776f726464"
    "00000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000180b415f696e69746961746f"
    "720b425f726573706f6e646572107e4b4791d6a8ef019b936c79fb7f"
    "2c57";
constexpr std::string_view kGeneratorStringHash =  // B.3.1 "hash result"
    "da6d3ddc8802fca9058755ffd3ebde08a9c2c74945901a258482a288"
    "b6663af06bf645c93cd1c51512307199c80e84908916d983b34af772"
    "05f90851a657ee27";
constexpr std::string_view kGenerator =  // B.3.1 "encoded generator g"
    "222b6b195fe84b1652badb6f6a3ae3d24341e7306967f0b8115b40d5698c7e56";
constexpr std::string_view kYaScalar =  // B.3.2
    "da3d23700a9e5699258aef94dc060dfda5ebb61f02a5ea77fad53f4ff0976d08";
constexpr std::string_view kYa = "d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec482b9157";
constexpr std::string_view kYbScalar =  // B.3.3
    "d2316b454718c35362d83d69df6320f38578ed5984651435e2949762d900b80d";
constexpr std::string_view kYb = "3ea7e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f7258";
constexpr std::string_view kK =  // B.3.4
    "80b69a8a76457ab6a4d7f887a4bf6b55a2f80ac19c333f917a05fc9887c8b40f";
constexpr std::string_view kTranscriptIr =  // B.3.5, 74 bytes
    "20d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0e"
    "ec482b915703414461203ea7e0b19560d7c0b0f5734f63b955286dfa"
    "8232b5ebe63324e2d9e7433f725803414462";
constexpr std::string_view kIskInput =  // B.3.5 lv_cat(DSI,sid,K)||transcript_ir, 146 bytes
    "15435061636552697374726574746f3235355f49534b107e4b4791d6"
    "a8ef019b936c79fb7f2c572080b69a8a76457ab6a4d7f887a4bf6b55"
    "a2f80ac19c333f917a05fc9887c8b40f20d6bac480f2c386c394efc7"
    "c47adb9925dcd2630b64f240c50f8d0eec482b915703414461203ea7"
    "e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f"
    "725803414462";
constexpr std::string_view kIskIr =  // B.3.5 "ISK result"
    "b69effbf61b51d56401c0f65601abe428de8206feaaf0e32198896dc"
    "ae7b35cd2b38950a39dfd5d4a79164614c2984f7daa460b588c1e80c"
    "3fa2068af7900447";

Bytes sha512(std::span<const std::uint8_t> in) {
  Bytes out(crypto_hash_sha512_BYTES);
  crypto_hash_sha512(out.data(), in.data(), in.size());
  return out;
}

// ---- (A) string utilities

TEST(ProtocolCpace, StringUtilitiesMatchDraftAppendixA) {
  // A.1.2 prepend_len
  EXPECT_EQ(cpace_lv_cat({Bytes{}}), from_hex("00"));
  EXPECT_EQ(cpace_lv_cat({text("1234")}), from_hex("0431323334"));
  Bytes range127(127), range128(128);
  for (std::size_t i = 0; i < range128.size(); ++i) {
    range128[i] = static_cast<std::uint8_t>(i);
    if (i < range127.size()) range127[i] = static_cast<std::uint8_t>(i);
  }
  Bytes expected127 = from_hex("7f");
  expected127.insert(expected127.end(), range127.begin(), range127.end());
  EXPECT_EQ(cpace_lv_cat({range127}), expected127);
  Bytes expected128 = from_hex("8001");  // two LEB128 bytes from 128 on
  expected128.insert(expected128.end(), range128.begin(), range128.end());
  EXPECT_EQ(cpace_lv_cat({range128}), expected128);
  // A.1.4 lv_cat
  EXPECT_EQ(cpace_lv_cat({text("1234"), text("5"), Bytes{}, text("678")}),
            from_hex("043132333401350003363738"));
  // A.3.5 transcript_ir
  EXPECT_EQ(cpace_transcript_ir(text("123"), text("PartyA"), text("234"), text("PartyB")),
            from_hex("03313233065061727479410332333406506172747942"));
  EXPECT_EQ(cpace_transcript_ir(text("3456"), text("PartyA"), text("2345"), text("PartyB")),
            from_hex("043334353606506172747941043233343506506172747942"));
}

// ---- (1) appendix B.3

TEST(ProtocolCpace, GeneratorMatchesDraftVectors) {
  const Bytes gen_str = cpace_generator_string(kPrs, kCi, kSid);
  EXPECT_EQ(gen_str.size(), 170u);
  EXPECT_EQ(gen_str, from_hex(kGeneratorString));
  EXPECT_EQ(sha512(gen_str), from_hex(kGeneratorStringHash));
  Result<CPacePoint> g = cpace_generator(kPrs, kCi, kSid);
  ASSERT_TRUE(g.ok()) << g.error();
  EXPECT_EQ(to_bytes(*g), from_hex(kGenerator));
}

TEST(ProtocolCpace, SharesSecretPointAndIskMatchDraftVectors) {
  const auto ya = array_from_hex<kCPaceScalarBytes>(kYaScalar);
  const auto yb = array_from_hex<kCPaceScalarBytes>(kYbScalar);
  Result<CPaceParty> a = CPaceParty::with_scalar(kPrs, kCi, kSid, kAda, ya);
  Result<CPaceParty> b = CPaceParty::with_scalar(kPrs, kCi, kSid, kAdb, yb);
  ASSERT_TRUE(a.ok()) << a.error();
  ASSERT_TRUE(b.ok()) << b.error();
  EXPECT_EQ(to_bytes(a->public_share()), from_hex(kYa));
  EXPECT_EQ(to_bytes(b->public_share()), from_hex(kYb));

  // K through G.scalar_mult_vfy (the parties never expose it, draft section 10.3).
  Result<CPacePoint> k_a = cpace_scalar_mult_vfy(ya, from_hex(kYb));
  Result<CPacePoint> k_b = cpace_scalar_mult_vfy(yb, from_hex(kYa));
  ASSERT_TRUE(k_a.ok()) << k_a.error();
  ASSERT_TRUE(k_b.ok()) << k_b.error();
  EXPECT_EQ(to_bytes(*k_a), from_hex(kK));
  EXPECT_EQ(to_bytes(*k_b), from_hex(kK));

  // The ISK's input, piece by piece, and its hash.
  const Bytes transcript = cpace_transcript_ir(from_hex(kYa), kAda, from_hex(kYb), kAdb);
  EXPECT_EQ(transcript, from_hex(kTranscriptIr));
  Bytes isk_input = cpace_lv_cat({text("CPaceRistretto255_ISK"), kSid, from_hex(kK)});
  isk_input.insert(isk_input.end(), transcript.begin(), transcript.end());
  EXPECT_EQ(isk_input, from_hex(kIskInput));
  EXPECT_EQ(sha512(isk_input), from_hex(kIskIr));

  // Both parties, each from the other's share and AD.
  Result<CPaceIsk> isk_a = a->finish_initiator(b->public_share(), b->associated_data());
  Result<CPaceIsk> isk_b = b->finish_responder(a->public_share(), a->associated_data());
  ASSERT_TRUE(isk_a.ok()) << isk_a.error();
  ASSERT_TRUE(isk_b.ok()) << isk_b.error();
  EXPECT_EQ(to_bytes(isk_a->bytes), from_hex(kIskIr));
  EXPECT_EQ(to_bytes(isk_b->bytes), from_hex(kIskIr));
}

TEST(ProtocolCpace, ScalarMultVfyMatchesDraftValidInputVector) {
  // B.3.10 "Test case for scalar_mult with valid inputs".
  const auto s = array_from_hex<kCPaceScalarBytes>(
      "7cd0e075fa7955ba52c02759a6c90dbbfc10e6d40aea8d283e407d88cf538a05");
  Result<CPacePoint> product = cpace_scalar_mult_vfy(
      s, from_hex("2c3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c"));
  ASSERT_TRUE(product.ok()) << product.error();
  EXPECT_EQ(to_bytes(*product),
            from_hex("7c13645fe790a468f62c39beb7388e541d8405d1ade69d1778c5fe3e7f6b600e"));
}

// ---- (2) and (3) agreement

struct RunOutcome {
  Result<CPaceIsk> initiator = make_error("not reached");
  Result<CPaceIsk> responder = make_error("not reached");
};

RunOutcome run_cpace(const Bytes& prs_a, const Bytes& prs_b, const Bytes& sid_a,
                     const Bytes& sid_b) {
  RunOutcome r;
  Result<CPaceParty> a = CPaceParty::start(prs_a, kCi, sid_a, text("node-a"));
  Result<CPaceParty> b = CPaceParty::start(prs_b, kCi, sid_b, text("node-b"));
  EXPECT_TRUE(a.ok()) << a.error();
  EXPECT_TRUE(b.ok()) << b.error();
  if (!a || !b) return r;
  r.initiator = a->finish_initiator(b->public_share(), b->associated_data());
  r.responder = b->finish_responder(a->public_share(), a->associated_data());
  return r;
}

TEST(ProtocolCpace, SamePasswordGivesTheSameIsk) {
  const Bytes prs = text("correct horse battery staple");
  const RunOutcome r = run_cpace(prs, prs, kSid, kSid);
  ASSERT_TRUE(r.initiator.ok()) << r.initiator.error();
  ASSERT_TRUE(r.responder.ok()) << r.responder.error();
  EXPECT_EQ(r.initiator->bytes, r.responder->bytes);
  // Fresh scalars per run: a second run gives another key.
  const RunOutcome again = run_cpace(prs, prs, kSid, kSid);
  ASSERT_TRUE(again.initiator.ok()) << again.initiator.error();
  EXPECT_NE(again.initiator->bytes, r.initiator->bytes);
}

TEST(ProtocolCpace, DifferentPasswordsGiveDifferentIsks) {
  const RunOutcome r = run_cpace(text("correct horse battery staple"),
                                 text("correct horse battery stapler"), kSid, kSid);
  ASSERT_TRUE(r.initiator.ok()) << r.initiator.error();
  ASSERT_TRUE(r.responder.ok()) << r.responder.error();
  EXPECT_NE(r.initiator->bytes, r.responder->bytes);
}

TEST(ProtocolCpace, DifferentSessionIdsGiveDifferentIsks) {
  const Bytes prs = text("correct horse battery staple");
  const RunOutcome r = run_cpace(prs, prs, kSid, from_hex("00112233445566778899aabbccddeeff"));
  ASSERT_TRUE(r.initiator.ok()) << r.initiator.error();
  ASSERT_TRUE(r.responder.ok()) << r.responder.error();
  EXPECT_NE(r.initiator->bytes, r.responder->bytes);
}

TEST(ProtocolCpace, BothSidesAsInitiatorGiveDifferentIsks) {
  const Bytes prs = text("correct horse battery staple");
  Result<CPaceParty> a = CPaceParty::start(prs, kCi, kSid, text("node-a"));
  Result<CPaceParty> b = CPaceParty::start(prs, kCi, kSid, text("node-b"));
  ASSERT_TRUE(a.ok() && b.ok());
  Result<CPaceIsk> isk_a = a->finish_initiator(b->public_share(), b->associated_data());
  Result<CPaceIsk> isk_b = b->finish_initiator(a->public_share(), a->associated_data());
  ASSERT_TRUE(isk_a.ok() && isk_b.ok());
  EXPECT_NE(isk_a->bytes, isk_b->bytes);  // the transcript order is part of the key
}

// ---- (4) invalid shares

CPaceParty started_party() {
  Result<CPaceParty> party = CPaceParty::start(kPrs, kCi, kSid, kAda);
  EXPECT_TRUE(party.ok()) << party.error();
  return std::move(party).value();
}

TEST(ProtocolCpace, IdentityShareIsRefused) {
  const Bytes identity(kCPacePointBytes, 0);  // B.3.11 Y_i2 == G.I
  CPaceParty party = started_party();
  Result<CPaceIsk> isk = party.finish_initiator(identity, kAdb);
  ASSERT_FALSE(isk.ok());
  EXPECT_NE(isk.error().find("identity"), std::string::npos) << isk.error();
  CPaceParty responder = started_party();
  EXPECT_FALSE(responder.finish_responder(identity, kAdb).ok());

  const auto s = array_from_hex<kCPaceScalarBytes>(
      "7cd0e075fa7955ba52c02759a6c90dbbfc10e6d40aea8d283e407d88cf538a05");
  EXPECT_FALSE(cpace_scalar_mult_vfy(s, identity).ok());
}

TEST(ProtocolCpace, InvalidEncodingIsRefused) {
  // B.3.11 Y_i1: not a valid ristretto255 encoding.
  const Bytes y_i1 = from_hex("2b3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c");
  CPaceParty party = started_party();
  Result<CPaceIsk> isk = party.finish_responder(y_i1, kAdb);
  ASSERT_FALSE(isk.ok());
  EXPECT_NE(isk.error().find("not a valid ristretto255 encoding"), std::string::npos)
      << isk.error();

  const Bytes all_ones(kCPacePointBytes, 0xff);  // non-canonical field element
  CPaceParty other = started_party();
  EXPECT_FALSE(other.finish_initiator(all_ones, kAdb).ok());
}

TEST(ProtocolCpace, ShareOfWrongLengthIsRefused) {
  const Bytes share = [] {
    CPaceParty peer = started_party();
    return to_bytes(peer.public_share());
  }();
  CPaceParty shorter = started_party();
  Result<CPaceIsk> isk = shorter.finish_initiator(std::span(share).first(31), kAdb);
  ASSERT_FALSE(isk.ok());
  EXPECT_NE(isk.error().find("31 bytes"), std::string::npos) << isk.error();
  Bytes longer_share = share;
  longer_share.push_back(0);
  CPaceParty longer = started_party();
  EXPECT_FALSE(longer.finish_initiator(longer_share, kAdb).ok());
}

TEST(ProtocolCpace, ARunFinishesOnce) {
  CPaceParty a = started_party();
  CPaceParty b = started_party();
  // After a refused share the run is over: no second try with another share.
  EXPECT_FALSE(a.finish_initiator(Bytes(kCPacePointBytes, 0), kAdb).ok());
  EXPECT_TRUE(a.finished());
  EXPECT_FALSE(a.finish_initiator(b.public_share(), kAdb).ok());
  // After a success too.
  EXPECT_TRUE(b.finish_responder(a.public_share(), kAda).ok());
  EXPECT_FALSE(b.finish_responder(a.public_share(), kAda).ok());
  // A moved-from party cannot finish.
  CPaceParty c = started_party();
  CPaceParty d = std::move(c);
  EXPECT_TRUE(c.finished());  // NOLINT(bugprone-use-after-move): checked on purpose
  EXPECT_FALSE(d.finished());
}

TEST(ProtocolCpace, EmptyPasswordAndZeroScalarAreRefused) {
  EXPECT_FALSE(CPaceParty::start(Bytes{}, kCi, kSid, kAda).ok());
  EXPECT_FALSE(CPaceParty::with_scalar(kPrs, kCi, kSid, kAda, CPaceScalar{}).ok());
  // The group order itself is 0 mod the order: little-endian 2^252 + 2774...8493.
  const auto order = array_from_hex<kCPaceScalarBytes>(
      "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  EXPECT_FALSE(CPaceParty::with_scalar(kPrs, kCi, kSid, kAda, order).ok());
}

}  // namespace
}  // namespace lockstep::net
