#include "net/session/media_match.h"

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <vector>

namespace lockstep::net {

namespace fs = std::filesystem;

Result<PathMapping> parse_path_mapping(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    return make_error("invalid path mapping '" + text +
                      "': use REMOTE=LOCAL, e.g. --map /mnt/show=/Volumes/show");
  return PathMapping{text.substr(0, eq), text.substr(eq + 1)};
}

Result<StandIn> parse_stand_in(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    return make_error("invalid --stand-in '" + text +
                      "': use NAME=FILE, e.g. --stand-in reel1.mov=/media/reel1-sound.wav");
  StandIn s{text.substr(0, eq), text.substr(eq + 1)};
  if (const std::string why = bad_media_name(s.name); !why.empty())
    return make_error("invalid --stand-in '" + text + "': the session's file is named without a folder (" +
                      why + ")");
  return s;
}

Result<QuickHash> quick_hash(const std::string& path) {
  constexpr size_t kChunk = 64 * 1024;
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return make_error("cannot read '" + path + "': " + ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot open '" + path + "'");
  std::vector<char> head(std::min<uintmax_t>(size, kChunk));
  in.read(head.data(), std::streamsize(head.size()));
  std::vector<char> tail(std::min<uintmax_t>(size, kChunk));
  in.seekg(std::streamoff(size - tail.size()));
  in.read(tail.data(), std::streamsize(tail.size()));
  if (!in) return make_error("cannot read '" + path + "' (is it being written?)");
  if (sodium_init() < 0) return make_error("libsodium failed to initialise");
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, 16);
  const uint64_t size64 = size;
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(&size64), sizeof size64);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(head.data()), head.size());
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(tail.data()), tail.size());
  QuickHash hash{};
  crypto_generichash_final(&state, hash.data(), hash.size());
  return hash;
}

Result<MediaEntry> describe_media(const std::string& path, const MediaProbe& probe) {
  auto entry = probe(path);
  if (!entry) return entry;
  std::error_code ec;
  entry->size_bytes = fs::file_size(path, ec);
  if (ec) return make_error("cannot read '" + path + "': " + ec.message());
  auto hash = quick_hash(path);
  if (!hash) return make_error(hash.error());
  entry->quick_hash = *hash;
  entry->path = fs::absolute(path, ec).string();
  entry->name = fs::path(path).filename().string();
  return entry;
}

namespace {

/// Compares what the server described with the local file; empty when they agree.
std::string difference(const MediaEntry& remote, const MediaEntry& local) {
  if (remote.size_bytes != local.size_bytes)
    return "size differs (" + std::to_string(local.size_bytes) + " bytes here, " +
           std::to_string(remote.size_bytes) + " on the server)";
  if (remote.frame_count != local.frame_count)
    return "frame count differs (" + std::to_string(local.frame_count) + " here, " +
           std::to_string(remote.frame_count) + " on the server)";
  if (remote.fps_num * int64_t(local.fps_den) != local.fps_num * int64_t(remote.fps_den))
    return "frame rate differs";
  if (remote.quick_hash != local.quick_hash) return "content differs (same size, different bytes)";
  return "";
}

}  // namespace

std::string bad_media_name(const std::string& name) {
  if (name.empty()) return "it is empty";
  if (name.size() > 255) return "it is longer than 255 bytes";
  if (name == "." || name == "..") return "it names a folder";
  for (const unsigned char c : name) {
    if (c == '/' || c == '\\') return "it contains a path separator";
    if (c < 0x20 || c == 0x7f) return "it contains control characters";
  }
  return "";
}

namespace {

/// `rest` (what follows a mapping's remote prefix) as a relative path that stays inside the
/// mapping's folder, or nullopt.
std::optional<fs::path> contained_relative(const std::string& rest) {
  fs::path rel = fs::path(rest).relative_path();  // "/a/b" → "a/b"
  if (rel.empty()) return std::nullopt;
  for (const auto& part : rel) {
    const std::string p = part.string();
    if (p == ".." || bad_media_name(p) != "") return std::nullopt;
  }
  return rel;
}

/// Where the server's `entry` may be on this node, in the order they are tried.
std::vector<std::string> candidates_for(const MediaEntry& entry, const MatchRules& rules) {
  std::vector<std::string> out;
  for (const auto& m : rules.mappings) {
    if (entry.path.rfind(m.remote, 0) != 0) continue;
    const std::string rest = entry.path.substr(m.remote.size());
    // The prefix must end at a folder boundary: /mnt/show does not map /mnt/showreel.
    if (!rest.empty() && rest.front() != '/' && m.remote.back() != '/') continue;
    if (auto rel = contained_relative(rest)) out.push_back((fs::path(m.local) / *rel).string());
  }
  for (const auto& dir : rules.media_dirs) out.push_back((fs::path(dir) / entry.name).string());
  if (rules.trust_server_paths && fs::path(entry.path).is_absolute()) out.push_back(entry.path);
  return out;
}

/// The node's own file for the server's `entry`: found when it lasts as long.
MediaMatch stand_in_match(MediaMatch match, const MediaEntry& entry, const StandIn& stand_in,
                          const MediaProbe& probe) {
  auto local = describe_media(stand_in.file, probe);
  if (!local) {
    match.status = MatchStatus::Mismatch;
    match.detail = "--stand-in for '" + entry.name + "': " + local.error();
    return match;
  }
  const int64_t frame_ns =
      entry.fps_num > 0 ? int64_t(1e9 * entry.fps_den / entry.fps_num) : int64_t(40'000'000);
  const int64_t tolerance = std::max<int64_t>(frame_ns, 100'000'000);
  match.local_path = stand_in.file;
  if (std::llabs(local->duration_ns - entry.duration_ns) > tolerance) {
    char text[200];
    std::snprintf(text, sizeof text, "lasts %.3f s, '%s' %.3f s", local->duration_ns / 1e9,
                  entry.name.c_str(), entry.duration_ns / 1e9);
    match.status = MatchStatus::Mismatch;
    match.detail = "--stand-in '" + stand_in.file + "' " + text +
                   ": a stand-in must be as long as the file it stands in for";
    return match;
  }
  match.status = MatchStatus::Found;
  match.detail = "'" + stand_in.file + "' stands in for '" + entry.name + "' (--stand-in)";
  return match;
}

}  // namespace

MediaMatch resolve_media(uint32_t index, const MediaEntry& entry, const MatchRules& rules,
                         const MediaProbe& probe) {
  MediaMatch match;
  match.media_index = index;
  if (const std::string why = bad_media_name(entry.name); !why.empty()) {
    match.status = MatchStatus::Missing;
    match.detail = "the server asked for a file whose name is not a plain file name (" + why +
                   "): refused, nothing was opened";
    return match;
  }
  for (const StandIn& stand_in : rules.stand_ins) {
    if (stand_in.name != entry.name) continue;
    return stand_in_match(match, entry, stand_in, probe);
  }
  std::string mismatch;
  for (const auto& path : candidates_for(entry, rules)) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) continue;
    auto local = describe_media(path, probe);
    if (!local) {
      mismatch = local.error();
      continue;
    }
    const std::string diff = difference(entry, *local);
    if (diff.empty()) {
      match.status = MatchStatus::Found;
      match.local_path = path;
      return match;
    }
    if (mismatch.empty()) {
      mismatch = "'" + path + "' is not the server's '" + entry.name + "': " + diff;
      match.local_path = path;
    }
  }
  if (!mismatch.empty()) {
    match.status = MatchStatus::Mismatch;
    match.detail = mismatch;
    return match;
  }
  match.status = MatchStatus::Missing;
  std::string where;
  for (const auto& dir : rules.media_dirs) where += (where.empty() ? "'" : ", '") + dir + "'";
  if (!rules.mappings.empty()) where += where.empty() ? "the path mappings" : ", the path mappings";
  if (rules.trust_server_paths) where += (where.empty() ? "'" : ", '") + entry.path + "'";
  match.detail = "'" + entry.name + "' not found" + (where.empty() ? "" : " (looked in " + where + ")") +
                 ": copy it into a media folder, or use --media-dir DIR or --map REMOTE=LOCAL";
  return match;
}

std::vector<MediaMatch> report_for_server(std::vector<MediaMatch> matches, const MatchRules& rules) {
  if (rules.share_details) return matches;
  for (auto& m : matches) {
    m.local_path.clear();
    m.detail.clear();
  }
  return matches;
}

}  // namespace lockstep::net
