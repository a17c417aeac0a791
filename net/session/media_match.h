// Finding the session's media on this node. Each file of the session is described by the
// server (name, size, duration, frame rate, a quick content hash); a node resolves it:
// path mapping (remote prefix → local prefix) → same name in one of its media folders →
// the server's own path (only where the node opted in) → missing. A file found but
// different in content is a mismatch, shown, never ignored.
//
// The server may be hostile: its names and paths are never opened as given. A name must be
// a plain file name (no separators, no "..", no control characters), a mapped path may not
// climb out of the mapping's folder, and only a match status goes back to the server
// (report_for_server) unless the node chose to share details.
//
// Thread-safety: pure functions (file reads only).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/path_mapping.h"
#include "net/protocol/messages.h"

namespace lockstep::net {

/// "--map /mnt/show=/Volumes/show" (core/path_mapping.h).
using lockstep::PathMapping;

/// Parses "REMOTE=LOCAL" (both non-empty).
Result<PathMapping> parse_path_mapping(const std::string& text);

/// 16 bytes identifying a file's content cheaply: BLAKE2b of its size and its first and last
/// 64 KiB. Errors name the file.
Result<QuickHash> quick_hash(const std::string& path);

/// Size and hash of a file, plus what the caller probed (duration, rate, frames).
/// `probe` fills the media fields (it opens the file with FFmpeg in the engine).
using MediaProbe = std::function<Result<MediaEntry>(const std::string& path)>;

/// Describes a local file for the session's media list.
Result<MediaEntry> describe_media(const std::string& path, const MediaProbe& probe);

/// "--stand-in NAME=FILE": this node plays its own FILE whenever the session plays a file
/// named NAME (a separate sound file for the picture, a proxy). FILE is this node's choice,
/// never the server's; it must last as long as NAME (within a frame, or 0.1 s).
struct StandIn {
  std::string name;
  std::string file;
  bool operator==(const StandIn&) const = default;
};
/// Parses "NAME=FILE" (NAME a plain file name, FILE non-empty).
Result<StandIn> parse_stand_in(const std::string& text);

struct MatchRules {
  std::vector<PathMapping> mappings;
  std::vector<StandIn> stand_ins;  // tried first, by the session file's name
  std::vector<std::string> media_dirs;
  /// Open the server's own absolute path as well (the host's node, or a node that shares
  /// the server's disk and chose --trust-server-paths).
  bool trust_server_paths = false;
  /// Send where each file was found and why not to the server (--share-media-details).
  bool share_details = false;
};

/// Why `name` is not a plain file name a server may ask for, or empty when it is.
std::string bad_media_name(const std::string& name);

/// What goes back to the server: the statuses only, unless `rules.share_details`.
std::vector<MediaMatch> report_for_server(std::vector<MediaMatch> matches, const MatchRules& rules);

/// Resolves the server's `entry` (index `index` in its list) on this node.
MediaMatch resolve_media(uint32_t index, const MediaEntry& entry, const MatchRules& rules,
                         const MediaProbe& probe);

}  // namespace lockstep::net
