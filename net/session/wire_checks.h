// What a session accepts from the other side beyond what the codec checks: every value
// range-checked against the session (its media list), names that cannot forge a log line,
// lists bounded by the session's size. The server and the client both run every received
// state and report through these before using it (docs/security.md).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "clock/transport_command.h"
#include "net/protocol/messages.h"

namespace lockstep::net {

/// Playback rates a session accepts, both ends: the transport's own (clock/transport_command.h).
inline constexpr double kMinRate = kMinTransportRate;
inline constexpr double kMaxRate = kMaxTransportRate;
/// Longest node name, bytes.
inline constexpr std::size_t kMaxNodeNameBytes = 64;
/// Largest media position or anchor a state may carry, ns (about three years: a wall that
/// loops for months counts unwrapped positions past the file's length).
inline constexpr std::int64_t kMaxTimeNs = 100'000'000'000'000'000;
/// Longest detail text a node may report about one file, bytes.
inline constexpr std::size_t kMaxDetailBytes = 512;

/// Why `t` is not a state of a session with `media`, or empty when it is one. With no media
/// (a dedicated server waiting for files) only media_index 0 is allowed.
std::string transport_problem(const TransportWire& t, const std::vector<MediaEntry>& media);

/// Why `name` cannot be a node's name (empty, too long, control characters), or empty.
std::string node_name_problem(const std::string& name);

/// Why `report` does not fit a session of `media_count` files (more entries than files,
/// an index out of range or repeated, over-long text), or empty.
std::string media_report_problem(const std::vector<MediaMatch>& report, std::size_t media_count);

/// `text` with control characters (C0, DEL) replaced by '?' and cut at `max_bytes`: for
/// logging or showing a string that came from the network.
std::string printable(const std::string& text, std::size_t max_bytes = 200);

}  // namespace lockstep::net
