// PlainSealer and AeadSealer (sealer.h).
#include <net/protocol/sealer.h>
#include <sodium.h>

#include <algorithm>
#include <cassert>
#include <string>

namespace lockstep::net {
namespace {

constexpr std::size_t kCounterBytes = 8;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr std::uint64_t kReplayWindow = 64;
static_assert(kKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

using AeadNonce = std::array<std::uint8_t, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES>;

AeadNonce nonce_for(std::uint64_t counter) {
  AeadNonce nonce{};
  for (std::size_t i = 0; i < kCounterBytes; ++i)
    nonce[i] = static_cast<std::uint8_t>(counter >> (8 * i));
  return nonce;
}

}  // namespace

std::vector<std::uint8_t> PlainSealer::seal(std::span<const std::uint8_t> packet) {
  return {packet.begin(), packet.end()};
}

Result<std::vector<std::uint8_t>> PlainSealer::open(std::span<const std::uint8_t> datagram) {
  return std::vector<std::uint8_t>(datagram.begin(), datagram.end());
}

AeadSealer::AeadSealer(const SessionKeys& keys, Side side)
    : send_key_(side == Side::Client ? keys.client_to_server : keys.server_to_client),
      receive_key_(side == Side::Client ? keys.server_to_client : keys.client_to_server) {
  [[maybe_unused]] const Status ready = init_crypto();
  assert(ready.ok());
}

AeadSealer::~AeadSealer() {
  sodium_memzero(send_key_.data(), send_key_.size());
  sodium_memzero(receive_key_.data(), receive_key_.size());
}

std::size_t AeadSealer::overhead() const { return kCounterBytes + kTagBytes; }

std::vector<std::uint8_t> AeadSealer::seal(std::span<const std::uint8_t> packet) {
  // 2^64 packets are never sent; wrapping would reuse a nonce, so stop there instead.
  assert(next_send_counter_ != UINT64_MAX);
  const std::uint64_t counter = next_send_counter_++;
  const AeadNonce nonce = nonce_for(counter);
  std::vector<std::uint8_t> datagram(kCounterBytes + packet.size() + kTagBytes);
  std::copy_n(nonce.begin(), kCounterBytes, datagram.begin());
  unsigned long long sealed_bytes = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(datagram.data() + kCounterBytes, &sealed_bytes,
                                             packet.data(), packet.size(), nullptr, 0, nullptr,
                                             nonce.data(), send_key_.data());
  assert(sealed_bytes == packet.size() + kTagBytes);
  return datagram;
}

Result<std::vector<std::uint8_t>> AeadSealer::open(std::span<const std::uint8_t> datagram) {
  if (datagram.size() < kCounterBytes + kTagBytes) {
    return make_error("sealed datagram of " + std::to_string(datagram.size()) +
                      " bytes is shorter than its " + std::to_string(overhead()) +
                      "-byte envelope");
  }
  std::uint64_t counter = 0;
  for (std::size_t i = 0; i < kCounterBytes; ++i)
    counter |= static_cast<std::uint64_t>(datagram[i]) << (8 * i);
  if (seen_before(counter)) {
    return make_error("sealed datagram " + std::to_string(counter) +
                      " is a replay or too old (outside the 64-packet window)");
  }
  const AeadNonce nonce = nonce_for(counter);
  std::vector<std::uint8_t> packet(datagram.size() - kCounterBytes - kTagBytes);
  unsigned long long opened_bytes = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          packet.data(), &opened_bytes, nullptr, datagram.data() + kCounterBytes,
          datagram.size() - kCounterBytes, nullptr, 0, nonce.data(), receive_key_.data()) != 0) {
    return make_error("sealed datagram " + std::to_string(counter) +
                      " failed authentication (wrong key or tampered)");
  }
  mark_seen(counter);
  return packet;
}

bool AeadSealer::seen_before(std::uint64_t counter) const {
  if (!received_any_ || counter > highest_received_) return false;
  const std::uint64_t age = highest_received_ - counter;
  if (age >= kReplayWindow) return true;
  return (received_bits_ >> age) & 1U;
}

void AeadSealer::mark_seen(std::uint64_t counter) {
  if (!received_any_) {
    received_any_ = true;
    highest_received_ = counter;
    received_bits_ = 1;
    return;
  }
  if (counter > highest_received_) {
    const std::uint64_t shift = counter - highest_received_;
    received_bits_ = shift >= kReplayWindow ? 0 : received_bits_ << shift;
    received_bits_ |= 1;
    highest_received_ = counter;
  } else {
    received_bits_ |= std::uint64_t{1} << (highest_received_ - counter);
  }
}

ConnectionSealer::ConnectionSealer(const SessionKeys& keys, AeadSealer::Side side, std::size_t channels) {
  static constexpr char kContext[crypto_kdf_CONTEXTBYTES + 1] = "lschanel";
  for (std::size_t ch = 0; ch < channels; ++ch) {
    SessionKeys sub;
    crypto_kdf_derive_from_key(sub.client_to_server.data(), sub.client_to_server.size(), 16 + ch, kContext,
                               keys.client_to_server.data());
    crypto_kdf_derive_from_key(sub.server_to_client.data(), sub.server_to_client.size(), 16 + ch, kContext,
                               keys.server_to_client.data());
    channels_.push_back(std::make_unique<AeadSealer>(sub, side));
  }
}

std::vector<std::uint8_t> ConnectionSealer::seal(std::size_t channel, std::span<const std::uint8_t> packet) {
  return channels_.at(channel)->seal(packet);
}

Result<std::vector<std::uint8_t>> ConnectionSealer::open(std::size_t channel, std::span<const std::uint8_t> datagram) {
  if (channel >= channels_.size()) {
    ++refused_;
    return make_error("a packet on channel " + std::to_string(channel) + ", which the session does not use");
  }
  auto opened = channels_[channel]->open(datagram);
  if (!opened) ++refused_;
  return opened;
}

}  // namespace lockstep::net
