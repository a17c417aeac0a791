// The control-channel protocol version. Bumped on any change to a message's layout.
#pragma once

namespace lockstep::net {
inline constexpr int kProtocolVersion = 1;
/// The default UDP port of a session (see docs/hosting.md when it exists).
inline constexpr int kDefaultPort = 7450;
}  // namespace lockstep::net
