// The session fuzz target's input: a script of connection events for a SessionCore, shared
// with the seed generator so that seeds can log in and send sealed messages.
//
// The first byte configures the session (kWith* bits below). Then come steps, each one op
// byte and its argument byte, then, for Raw and Sealed, the packet:
//   Connect    arg   a new connection in slot arg&3 (the slot's earlier connection, if any,
//                    stays open, forgotten by the script); where it comes from: slot 0 is
//                    the host's own node (127.0.0.1, the host client port), slot 1 another
//                    port of 127.0.0.1 (arg>>2 picks which), slots 2 and 3 addresses
//                    10.0.(arg>>2).slot (two addresses per /24 network): many connects from
//                    one address, one network and many networks reach the caps;
//                    its round trip is (arg>>2) × 5 ms (the command lead follows the worst)
//   Disconnect slot  the slot's connection goes (ENet DISCONNECT)
//   Raw        slot channel len16 bytes   bytes as they arrive, unsealed (before or after login)
//   Login      arg   an honest Hello/Challenge/Auth from slot arg&3, node name "node<(arg>>2)&3>",
//                    the wrong password when arg&kLoginWrongPassword (password sessions),
//                    as an observer when arg&kLoginObserver
//   Sealed     slot channel len16 bytes   bytes sealed by the slot's client keys (after Login;
//                    before, they go as Raw)
//   Wait       n     the clock moves on n × 50 ms; connections the core closed get their
//                    DISCONNECT (ENet delivers it once the close has gone out)
// Every step then runs the core's timed work (tick). Ops are taken modulo kOpCount, so every
// input is a valid script; a truncated step reads zeros.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace lockstep::net::fuzz {

enum class Op : std::uint8_t { Connect, Disconnect, Raw, Login, Sealed, Wait, kCount };
inline constexpr std::uint8_t kOpCount = static_cast<std::uint8_t>(Op::kCount);
inline constexpr std::uint8_t kSlots = 4;

/// The configuration byte.
inline constexpr std::uint8_t kWithMedia = 1;     // two files (else none: a dedicated server)
inline constexpr std::uint8_t kWithHostOnly = 2;  // ControlPolicy::HostOnly
inline constexpr std::uint8_t kWithPassword = 4;  // a password session (fuzz_keys.h's key)
inline constexpr std::uint8_t kWithLoop = 8;      // the session starts looping

/// Login argument bits (beside the slot and the name).
inline constexpr std::uint8_t kLoginWrongPassword = 0x10;
inline constexpr std::uint8_t kLoginObserver = 0x20;

/// Builds scripts (seeds).
struct Script {
  std::vector<std::uint8_t> bytes;
  explicit Script(std::uint8_t config = 0) : bytes{config} {}
  /// `from` picks the address (slots 1..3), see the file comment.
  Script& connect(std::uint8_t slot, std::uint8_t from = 0) {
    return op(Op::Connect, static_cast<std::uint8_t>((slot & 3) | (from << 2)));
  }
  Script& disconnect(std::uint8_t slot) { return op(Op::Disconnect, slot); }
  Script& login(std::uint8_t slot, std::uint8_t name = 0, std::uint8_t flags = 0) {
    return op(Op::Login, static_cast<std::uint8_t>((slot & 3) | ((name & 3) << 2) | flags));
  }
  Script& wait(std::uint8_t times_50ms) { return op(Op::Wait, times_50ms); }
  Script& raw(std::uint8_t slot, std::uint8_t channel, std::span<const std::uint8_t> data) {
    return packet(Op::Raw, slot, channel, data);
  }
  Script& sealed(std::uint8_t slot, std::uint8_t channel, std::span<const std::uint8_t> data) {
    return packet(Op::Sealed, slot, channel, data);
  }

 private:
  Script& op(Op o, std::uint8_t arg) {
    bytes.push_back(static_cast<std::uint8_t>(o));
    bytes.push_back(arg);
    return *this;
  }
  Script& packet(Op o, std::uint8_t slot, std::uint8_t channel, std::span<const std::uint8_t> data) {
    op(o, slot);
    bytes.push_back(channel);
    bytes.push_back(static_cast<std::uint8_t>(data.size() >> 8));
    bytes.push_back(static_cast<std::uint8_t>(data.size()));
    bytes.insert(bytes.end(), data.begin(), data.end());
    return *this;
  }
};

}  // namespace lockstep::net::fuzz
