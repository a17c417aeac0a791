// Packet sealing: the layer between the message codec and the transport.
//
//   Message --encode()--> packet --PacketSealer::seal()--> datagram --> ENet
//   ENet --> datagram --PacketSealer::open()--> packet --decode()--> Message
//
// The login (Hello, Challenge, Auth and an early Reject) travels plain; once the handshake
// (auth.h) has agreed the connection's keys, both ends seal every later packet, on every
// channel, with a ConnectionSealer (one AeadSealer per channel and direction; keys from
// crypto_kx, per-channel subkeys; docs/protocol.md, "Encryption"). An AeadSealer datagram is
//   [u64 counter, little-endian][XChaCha20-Poly1305 ciphertext of the packet][16-byte tag]
// with nonce = counter (8 bytes LE) followed by 16 zero bytes, and a separate key per
// direction so the two ends' counters never share a nonce. The receiver rejects anything
// that fails authentication, and replays, with a sliding window of 64 counters (ENet's
// unsequenced and unreliable channels may reorder, so counters need not arrive in order).
//
// Thread safety: seal() and open() touch separate state, so one sending thread and one
// receiving thread may use a sealer at once; neither may be called from two threads.
#pragma once

#include <core/result.h>
#include <net/protocol/auth.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace lockstep::net {

/// Turns encoded packets into transport datagrams and back.
class PacketSealer {
 public:
  virtual ~PacketSealer() = default;
  /// Wraps one encoded packet for sending.
  virtual std::vector<std::uint8_t> seal(std::span<const std::uint8_t> packet) = 0;
  /// Unwraps one received datagram; an error (with the reason) when it is not authentic,
  /// is a replay, or is malformed. Drop the datagram on error.
  virtual Result<std::vector<std::uint8_t>> open(std::span<const std::uint8_t> datagram) = 0;
  /// Bytes seal() adds to a packet.
  virtual std::size_t overhead() const = 0;
};

/// The identity: the session runs in the clear (today's default).
class PlainSealer final : public PacketSealer {
 public:
  std::vector<std::uint8_t> seal(std::span<const std::uint8_t> packet) override;
  Result<std::vector<std::uint8_t>> open(std::span<const std::uint8_t> datagram) override;
  std::size_t overhead() const override { return 0; }
};

/// Authenticated encryption with the connection's SessionKeys (see the file comment).
class AeadSealer final : public PacketSealer {
 public:
  enum class Side { Client, Server };

  /// `side` picks the sending direction's key: a client seals with client_to_server and
  /// opens with server_to_client; a server the other way round.
  AeadSealer(const SessionKeys& keys, Side side);
  ~AeadSealer() override;
  AeadSealer(const AeadSealer&) = delete;
  AeadSealer& operator=(const AeadSealer&) = delete;

  std::vector<std::uint8_t> seal(std::span<const std::uint8_t> packet) override;
  Result<std::vector<std::uint8_t>> open(std::span<const std::uint8_t> datagram) override;
  std::size_t overhead() const override;

 private:
  bool seen_before(std::uint64_t counter) const;
  void mark_seen(std::uint64_t counter);

  KeyBytes send_key_{};
  KeyBytes receive_key_{};
  std::uint64_t next_send_counter_ = 0;  // seal() only
  // open() only: the highest counter accepted and a bitmap of the 64 counters below it
  // (bit i = highest - i was accepted).
  bool received_any_ = false;
  std::uint64_t highest_received_ = 0;
  std::uint64_t received_bits_ = 0;
};

/// Every packet of one connection, on each of its channels, sealed with keys derived per
/// channel from the connection's keys: the reliable channel arrives in order, while the
/// unsequenced and unreliable ones may reorder among themselves, and a window shared by all
/// three could then refuse an honest retransmission as a replay.
class ConnectionSealer {
 public:
  ConnectionSealer(const SessionKeys& keys, AeadSealer::Side side, std::size_t channels);
  std::vector<std::uint8_t> seal(std::size_t channel, std::span<const std::uint8_t> packet);
  /// An error for a datagram that is not authentic, is a replay, or names no channel.
  Result<std::vector<std::uint8_t>> open(std::size_t channel, std::span<const std::uint8_t> datagram);
  /// Datagrams refused so far (forged, tampered, replayed).
  std::uint64_t refused() const { return refused_; }

 private:
  std::vector<std::unique_ptr<AeadSealer>> channels_;
  std::uint64_t refused_ = 0;
};

}  // namespace lockstep::net
