// The control-channel protocol version. Bumped on any change to a message's layout (a
// field added, removed, re-typed or re-ordered, a message type code or enum value changed).
// Rules: docs/protocol.md, "Versioning".
#pragma once

namespace lockstep::net {
/// The version this build speaks; carried in every packet header and in Hello.
inline constexpr int kProtocolVersion = 4;
/// The default UDP port of a session (see docs/hosting.md when it exists).
inline constexpr int kDefaultPort = 7450;
}  // namespace lockstep::net
