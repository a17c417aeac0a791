// The channels of a session connection (ENet channel ids): what each carries and how.
#pragma once

#include <cstdint>

namespace lockstep::net {

/// The channels of a session connection.
enum Channel : uint8_t {
  kControlChannel = 0,  // reliable, ordered: handshake, commands, state, media
  kClockChannel = 1,    // unsequenced: clock probes (a late probe is worthless, never resent)
  kStatusChannel = 2,   // unreliable: node status and peer tables (the next one replaces it)
  kChannelCount = 3,
};

}  // namespace lockstep::net
