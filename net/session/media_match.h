// Finding the session's media on this node. Each file of the session is described by the
// server (name, size, duration, frame rate, a quick content hash); a node resolves it:
// exact path → path mapping (remote prefix → local prefix) → same basename in one of its
// media folders → missing. A file found by path but different in content is a mismatch,
// shown, never ignored.
//
// Thread-safety: pure functions (file reads only).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/result.h"
#include "net/protocol/messages.h"

namespace lockstep::net {

/// "--map /mnt/show=/Volumes/show": a path starting with `remote` is looked for under `local`.
struct PathMapping {
  std::string remote;
  std::string local;
};

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

struct MatchRules {
  std::vector<PathMapping> mappings;
  std::vector<std::string> media_dirs;
};

/// Resolves the server's `entry` (index `index` in its list) on this node.
MediaMatch resolve_media(uint32_t index, const MediaEntry& entry, const MatchRules& rules,
                         const MediaProbe& probe);

}  // namespace lockstep::net
