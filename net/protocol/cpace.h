// CPace, a balanced PAKE, on ristretto255 with SHA-512 (the cipher suite
// CPACE-RISTR255-SHA512 of draft-irtf-cfrg-cpace-21). Two parties that share a password
// (PRS) each send one public share and derive the same 64-byte intermediate session key
// (ISK); an eavesdropper or an active attacker learns nothing that lets them test
// password guesses offline: each online run lets them test one guess at most.
//
//   A (initiator)                                B (responder)
//   g = generator(PRS, CI, sid)                  g = generator(PRS, CI, sid)
//   Ya = ya*g                 -- Ya, ADa -->     Yb = yb*g
//                             <-- Yb, ADb --
//   K = ya*Yb                                    K = yb*Ya          (abort on identity)
//   ISK = SHA-512(lv_cat("CPaceRistretto255_ISK", sid, K) || lv_cat(Ya,ADa) || lv_cat(Yb,ADb))
//
// Inputs: PRS is the password-related string (a password, or better a key stretched from
// it); CI names the channel (e.g. both parties' identities) and sid the session (the draft
// recommends at least 8 random bytes contributed by both sides); ADa/ADb are each side's
// public associated data. All but PRS may be empty. Both sides must use the same PRS, CI
// and sid, and must agree on who is the initiator: the ISKs match only then.
//
// The ISK is not yet a traffic key and is not confirmed: derive keys from it with a KDF and
// confirm it (e.g. each side MACs the transcript) before trusting the peer (draft sections
// 10.3 "Key derivation" and 10.4 "Key confirmation").
//
// Thread safety: the free functions may be called from any thread. A CPaceParty belongs to
// one protocol run; it is not synchronised.
#pragma once

#include <core/result.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

namespace lockstep::net {

inline constexpr std::size_t kCPacePointBytes = 32;   // an encoded ristretto255 element
inline constexpr std::size_t kCPaceScalarBytes = 32;  // a little-endian scalar
inline constexpr std::size_t kCPaceIskBytes = 64;     // SHA-512 output
/// The suite's domain-separation identifier, G.DSI.
inline constexpr char kCPaceDsi[] = "CPaceRistretto255";
/// SHA-512's input block size in bytes, H.s_in_bytes: the generator string is zero-padded so
/// that DSI and PRS fill the first block.
inline constexpr std::size_t kCPaceHashBlockBytes = 128;

using CPacePoint = std::array<std::uint8_t, kCPacePointBytes>;
using CPaceScalar = std::array<std::uint8_t, kCPaceScalarBytes>;

/// The intermediate session key. Copyable so it can be handed on; every copy is wiped when
/// destroyed.
struct CPaceIsk {
  std::array<std::uint8_t, kCPaceIskBytes> bytes{};

  CPaceIsk() = default;
  CPaceIsk(const CPaceIsk&) = default;
  CPaceIsk& operator=(const CPaceIsk&) = default;
  ~CPaceIsk();
};

// ---- The draft's building blocks (appendix A), public so tests can check them

/// lv_cat(a0, a1, ...): each string with its length (LEB128) in front.
std::vector<std::uint8_t> cpace_lv_cat(std::initializer_list<std::span<const std::uint8_t>> parts);

/// transcript_ir(Ya, ADa, Yb, ADb) = lv_cat(Ya, ADa) || lv_cat(Yb, ADb): the transcript of
/// the initiator-responder setting, initiator (A) first.
std::vector<std::uint8_t> cpace_transcript_ir(std::span<const std::uint8_t> ya,
                                              std::span<const std::uint8_t> ada,
                                              std::span<const std::uint8_t> yb,
                                              std::span<const std::uint8_t> adb);

/// generator_string(DSI, PRS, CI, sid, 128) = lv_cat(DSI, PRS, zero_bytes(len_zpad), CI, sid)
/// with len_zpad = max(0, 128 - 1 - len(prepend_len(PRS)) - len(prepend_len(DSI))).
/// The result contains the PRS: wipe it (sodium_memzero) when done.
std::vector<std::uint8_t> cpace_generator_string(std::span<const std::uint8_t> prs,
                                                 std::span<const std::uint8_t> ci,
                                                 std::span<const std::uint8_t> sid);

/// G.calculate_generator: ristretto255 element derivation (crypto_core_ristretto255_from_hash)
/// of SHA-512(generator_string). The generator is as secret as the password (knowing it
/// lets one test password guesses offline): never send or log it. Fails only when libsodium
/// cannot initialise.
Result<CPacePoint> cpace_generator(std::span<const std::uint8_t> prs,
                                   std::span<const std::uint8_t> ci,
                                   std::span<const std::uint8_t> sid);

/// G.scalar_mult_vfy(y, X): y*X for an encoded point X. Instead of returning the identity
/// the draft's way, fails when X is not a valid ristretto255 encoding or when the result
/// is the identity (X is the identity, or y is 0 mod the group order). y is any 32-byte
/// little-endian integer; it is reduced mod the group order first.
Result<CPacePoint> cpace_scalar_mult_vfy(const CPaceScalar& y, std::span<const std::uint8_t> x);

// ---- A protocol run

/// One party of one CPace run: holds the secret scalar and its public share. Move-only;
/// the scalar is wiped when the run finishes (successfully or not), when moved from, and
/// when destroyed. A party computes one ISK only: start a new party for every run.
class CPaceParty {
 public:
  /// A party with a fresh random scalar (uniform in [1, order-1], the draft's alternative
  /// to its bit-masked sampling). `ad` is this party's associated data (ADa or ADb), sent
  /// to the peer along with public_share(). Fails on an empty PRS (it would authenticate
  /// nothing) or when libsodium cannot initialise.
  static Result<CPaceParty> start(std::span<const std::uint8_t> prs,
                                  std::span<const std::uint8_t> ci,
                                  std::span<const std::uint8_t> sid,
                                  std::span<const std::uint8_t> ad);

  /// The same with a given scalar (the draft's test vectors). Never use a scalar twice.
  /// Fails also when the scalar is 0 mod the group order.
  static Result<CPaceParty> with_scalar(std::span<const std::uint8_t> prs,
                                        std::span<const std::uint8_t> ci,
                                        std::span<const std::uint8_t> sid,
                                        std::span<const std::uint8_t> ad,
                                        const CPaceScalar& scalar);

  CPaceParty(CPaceParty&& other) noexcept;
  CPaceParty& operator=(CPaceParty&& other) noexcept;
  CPaceParty(const CPaceParty&) = delete;
  CPaceParty& operator=(const CPaceParty&) = delete;
  ~CPaceParty();

  /// This party's public share Y = y*g (Ya or Yb), to send to the peer.
  const CPacePoint& public_share() const { return share_; }
  /// This party's associated data, as given at start.
  std::span<const std::uint8_t> associated_data() const { return ad_; }

  /// The ISK for the initiator (A): the transcript is lv_cat(own Y, own AD) ||
  /// lv_cat(peer Y, peer AD). `peer_share` is the peer's share as received (any length is
  /// accepted here and checked). Fails, and ends the run, when the share is not 32 bytes,
  /// not a valid ristretto255 encoding, or the identity; fails when the run already
  /// finished (including after a failure).
  Result<CPaceIsk> finish_initiator(std::span<const std::uint8_t> peer_share,
                                    std::span<const std::uint8_t> peer_ad);
  /// The ISK for the responder (B): the transcript is lv_cat(peer Y, peer AD) ||
  /// lv_cat(own Y, own AD). Fails as finish_initiator does.
  Result<CPaceIsk> finish_responder(std::span<const std::uint8_t> peer_share,
                                    std::span<const std::uint8_t> peer_ad);

  /// True once finish_initiator or finish_responder has been called (the scalar is gone).
  bool finished() const { return finished_; }

 private:
  CPaceParty() = default;
  Result<CPaceIsk> finish(std::span<const std::uint8_t> peer_share,
                          std::span<const std::uint8_t> peer_ad, bool initiator);
  void wipe_scalar();

  CPaceScalar scalar_{};  // secret; zero once finished
  CPacePoint share_{};
  std::vector<std::uint8_t> sid_;
  std::vector<std::uint8_t> ad_;
  bool finished_ = true;  // a party that never got a scalar cannot finish
};

}  // namespace lockstep::net
