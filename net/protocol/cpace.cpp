// CPace on ristretto255 with SHA-512 (cpace.h), from libsodium primitives.
#include <net/protocol/auth.h>
#include <net/protocol/cpace.h>
#include <sodium.h>

#include <algorithm>
#include <string>
#include <string_view>

namespace lockstep::net {
namespace {

static_assert(kCPacePointBytes == crypto_core_ristretto255_BYTES);
static_assert(kCPaceScalarBytes == crypto_core_ristretto255_SCALARBYTES);
static_assert(kCPaceScalarBytes == crypto_scalarmult_ristretto255_SCALARBYTES);
static_assert(kCPaceIskBytes == crypto_hash_sha512_BYTES);
static_assert(crypto_core_ristretto255_HASHBYTES == crypto_hash_sha512_BYTES);

constexpr std::string_view kDsi = kCPaceDsi;
constexpr std::string_view kDsiIsk = "CPaceRistretto255_ISK";  // G.DSI || b"_ISK"
// 64-bit lengths, 7 bits per LEB128 byte.
constexpr std::size_t kMaxLeb128Bytes = 10;

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

/// The LEB128 encoding of `length` into `out`; returns how many bytes it took.
std::size_t leb128(std::size_t length, std::array<std::uint8_t, kMaxLeb128Bytes>& out) {
  std::size_t n = 0;
  do {
    const auto low7 = static_cast<std::uint8_t>(length & 0x7f);
    length >>= 7;
    out[n++] = length != 0 ? static_cast<std::uint8_t>(low7 | 0x80) : low7;
  } while (length != 0);
  return n;
}

/// len(prepend_len(bytes)).
std::size_t lv_size(std::size_t length) {
  std::array<std::uint8_t, kMaxLeb128Bytes> prefix{};
  return leb128(length, prefix) + length;
}

void append_lv(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bytes) {
  std::array<std::uint8_t, kMaxLeb128Bytes> prefix{};
  const std::size_t n = leb128(bytes.size(), prefix);
  out.insert(out.end(), prefix.begin(), prefix.begin() + static_cast<std::ptrdiff_t>(n));
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void hash_lv(crypto_hash_sha512_state& state, std::span<const std::uint8_t> bytes) {
  std::array<std::uint8_t, kMaxLeb128Bytes> prefix{};
  crypto_hash_sha512_update(&state, prefix.data(), leb128(bytes.size(), prefix));
  crypto_hash_sha512_update(&state, bytes.data(), bytes.size());
}

/// y reduced mod the group order into `out`, so any 32-byte integer acts as the scalar it
/// denotes (libsodium's scalar multiplication would otherwise drop bit 255). An out
/// parameter, so no temporary copy of the secret is left behind.
void reduce_scalar(const CPaceScalar& y, CPaceScalar& out) {
  std::array<std::uint8_t, crypto_core_ristretto255_NONREDUCEDSCALARBYTES> wide{};
  std::copy(y.begin(), y.end(), wide.begin());
  crypto_core_ristretto255_scalar_reduce(out.data(), wide.data());
  sodium_memzero(wide.data(), wide.size());
}

/// Moves a secret point into a Result and wipes the local copy.
Result<CPacePoint> take_point(CPacePoint& point) {
  Result<CPacePoint> result = point;
  sodium_memzero(point.data(), point.size());
  return result;
}

/// ISK = SHA-512(lv_cat(DSI_ISK, sid, K) || transcript).
CPaceIsk hash_isk(std::span<const std::uint8_t> sid, const CPacePoint& k,
                  std::span<const std::uint8_t> transcript) {
  crypto_hash_sha512_state state;
  crypto_hash_sha512_init(&state);
  hash_lv(state, as_bytes(kDsiIsk));
  hash_lv(state, sid);
  hash_lv(state, k);
  crypto_hash_sha512_update(&state, transcript.data(), transcript.size());
  CPaceIsk isk;
  crypto_hash_sha512_final(&state, isk.bytes.data());
  sodium_memzero(&state, sizeof state);
  return isk;
}

}  // namespace

CPaceIsk::~CPaceIsk() { sodium_memzero(bytes.data(), bytes.size()); }

// ---- Building blocks

std::vector<std::uint8_t> cpace_lv_cat(std::initializer_list<std::span<const std::uint8_t>> parts) {
  std::size_t total = 0;
  for (const auto& part : parts) total += lv_size(part.size());
  std::vector<std::uint8_t> out;
  out.reserve(total);  // exact: no reallocation leaves copies of secret inputs behind
  for (const auto& part : parts) append_lv(out, part);
  return out;
}

std::vector<std::uint8_t> cpace_transcript_ir(std::span<const std::uint8_t> ya,
                                              std::span<const std::uint8_t> ada,
                                              std::span<const std::uint8_t> yb,
                                              std::span<const std::uint8_t> adb) {
  return cpace_lv_cat({ya, ada, yb, adb});  // lv_cat(Ya,ADa) || lv_cat(Yb,ADb) is the same
}

std::vector<std::uint8_t> cpace_generator_string(std::span<const std::uint8_t> prs,
                                                 std::span<const std::uint8_t> ci,
                                                 std::span<const std::uint8_t> sid) {
  const std::size_t used = 1 + lv_size(prs.size()) + lv_size(kDsi.size());
  const std::size_t zpad = used < kCPaceHashBlockBytes ? kCPaceHashBlockBytes - used : 0;
  const std::vector<std::uint8_t> zeros(zpad, 0);
  return cpace_lv_cat({as_bytes(kDsi), prs, zeros, ci, sid});
}

Result<CPacePoint> cpace_generator(std::span<const std::uint8_t> prs,
                                   std::span<const std::uint8_t> ci,
                                   std::span<const std::uint8_t> sid) {
  if (Status ready = init_crypto(); !ready) return make_error(ready.error());
  std::vector<std::uint8_t> gen_str = cpace_generator_string(prs, ci, sid);
  std::array<std::uint8_t, crypto_hash_sha512_BYTES> gen_str_hash{};
  crypto_hash_sha512(gen_str_hash.data(), gen_str.data(), gen_str.size());
  CPacePoint g{};
  crypto_core_ristretto255_from_hash(g.data(), gen_str_hash.data());
  sodium_memzero(gen_str.data(), gen_str.size());
  sodium_memzero(gen_str_hash.data(), gen_str_hash.size());
  return take_point(g);
}

Result<CPacePoint> cpace_scalar_mult_vfy(const CPaceScalar& y, std::span<const std::uint8_t> x) {
  if (Status ready = init_crypto(); !ready) return make_error(ready.error());
  if (x.size() != kCPacePointBytes) {
    return make_error("the CPace share is " + std::to_string(x.size()) + " bytes, expected " +
                      std::to_string(kCPacePointBytes));
  }
  if (crypto_core_ristretto255_is_valid_point(x.data()) != 1) {
    return make_error("the CPace share is not a valid ristretto255 encoding");
  }
  CPaceScalar reduced{};
  reduce_scalar(y, reduced);
  CPacePoint product{};
  const int rc = crypto_scalarmult_ristretto255(product.data(), reduced.data(), x.data());
  sodium_memzero(reduced.data(), reduced.size());
  if (rc != 0) {
    // x decoded, so the product is the identity: x is the identity (the all-zero
    // encoding), or y is 0 mod the group order.
    sodium_memzero(product.data(), product.size());
    return make_error("the CPace share gives the identity element (G.I): abort the run");
  }
  return take_point(product);
}

// ---- CPaceParty

Result<CPaceParty> CPaceParty::start(std::span<const std::uint8_t> prs,
                                     std::span<const std::uint8_t> ci,
                                     std::span<const std::uint8_t> sid,
                                     std::span<const std::uint8_t> ad) {
  if (Status ready = init_crypto(); !ready) return make_error(ready.error());
  CPaceScalar y{};
  crypto_core_ristretto255_scalar_random(y.data());  // uniform in [1, order-1]
  Result<CPaceParty> party = with_scalar(prs, ci, sid, ad, y);
  sodium_memzero(y.data(), y.size());
  return party;
}

Result<CPaceParty> CPaceParty::with_scalar(std::span<const std::uint8_t> prs,
                                           std::span<const std::uint8_t> ci,
                                           std::span<const std::uint8_t> sid,
                                           std::span<const std::uint8_t> ad,
                                           const CPaceScalar& scalar) {
  if (prs.empty()) return make_error("CPace needs a password (the PRS is empty)");
  Result<CPacePoint> g = cpace_generator(prs, ci, sid);
  if (!g) return make_error(g.error());

  CPaceParty party;
  reduce_scalar(scalar, party.scalar_);
  if (sodium_is_zero(party.scalar_.data(), party.scalar_.size())) {
    sodium_memzero(g->data(), g->size());
    return make_error("the CPace scalar is 0 mod the group order; use a random one");
  }
  Result<CPacePoint> share = cpace_scalar_mult_vfy(party.scalar_, *g);
  sodium_memzero(g->data(), g->size());
  // g comes out of element derivation and the scalar is non-zero, so this cannot fail.
  if (!share) return make_error("computing the CPace share failed: " + share.error());
  party.share_ = *share;
  party.sid_.assign(sid.begin(), sid.end());
  party.ad_.assign(ad.begin(), ad.end());
  party.finished_ = false;
  return party;
}

CPaceParty::CPaceParty(CPaceParty&& other) noexcept
    : scalar_(other.scalar_),
      share_(other.share_),
      sid_(std::move(other.sid_)),
      ad_(std::move(other.ad_)),
      finished_(other.finished_) {
  other.wipe_scalar();
  other.finished_ = true;
}

CPaceParty& CPaceParty::operator=(CPaceParty&& other) noexcept {
  if (this != &other) {
    scalar_ = other.scalar_;
    share_ = other.share_;
    sid_ = std::move(other.sid_);
    ad_ = std::move(other.ad_);
    finished_ = other.finished_;
    other.wipe_scalar();
    other.finished_ = true;
  }
  return *this;
}

CPaceParty::~CPaceParty() { wipe_scalar(); }

void CPaceParty::wipe_scalar() { sodium_memzero(scalar_.data(), scalar_.size()); }

Result<CPaceIsk> CPaceParty::finish_initiator(std::span<const std::uint8_t> peer_share,
                                              std::span<const std::uint8_t> peer_ad) {
  return finish(peer_share, peer_ad, /*initiator=*/true);
}

Result<CPaceIsk> CPaceParty::finish_responder(std::span<const std::uint8_t> peer_share,
                                              std::span<const std::uint8_t> peer_ad) {
  return finish(peer_share, peer_ad, /*initiator=*/false);
}

Result<CPaceIsk> CPaceParty::finish(std::span<const std::uint8_t> peer_share,
                                    std::span<const std::uint8_t> peer_ad, bool initiator) {
  if (finished_) {
    return make_error("this CPace run has already finished; start a new CPaceParty per run");
  }
  finished_ = true;  // one attempt only, whatever its outcome: the draft says abort
  Result<CPacePoint> k = cpace_scalar_mult_vfy(scalar_, peer_share);
  wipe_scalar();
  if (!k) return make_error("refused the peer's CPace share: " + k.error());

  const std::vector<std::uint8_t> transcript =
      initiator ? cpace_transcript_ir(share_, ad_, peer_share, peer_ad)
                : cpace_transcript_ir(peer_share, peer_ad, share_, ad_);
  CPaceIsk isk = hash_isk(sid_, *k, transcript);
  sodium_memzero(k->data(), k->size());
  return isk;
}

}  // namespace lockstep::net
