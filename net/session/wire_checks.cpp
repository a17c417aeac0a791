#include "net/session/wire_checks.h"

#include <cmath>
#include <set>

namespace lockstep::net {

namespace {

int64_t duration_ns(const MediaEntry& m) {
  if (m.duration_ns > 0) return m.duration_ns;
  if (m.fps_num <= 0 || m.fps_den <= 0 || m.frame_count <= 0) return 0;
  // In double and clamped before the conversion: a hostile media entry's frame count and
  // rate may be anything (a double past int64's range converts to undefined behaviour).
  const double ns = double(m.frame_count) * double(m.fps_den) * 1e9 / double(m.fps_num);
  return ns >= double(kMaxTimeNs) ? kMaxTimeNs : int64_t(ns);
}

bool has_control(const std::string& s) {
  for (const unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

}  // namespace

std::string transport_problem(const TransportWire& t, const std::vector<MediaEntry>& media) {
  if (!std::isfinite(t.rate) || t.rate < kMinRate || t.rate > kMaxRate)
    return "rate " + std::to_string(t.rate) + " is outside 1/16..16";
  if (t.position_ns < 0 || t.position_ns > kMaxTimeNs) return "position out of range";
  if (t.anchor_session_ns < -kMaxTimeNs || t.anchor_session_ns > kMaxTimeNs) return "anchor time out of range";
  if (media.empty() ? t.media_index != 0 : t.media_index >= media.size())
    return "file index " + std::to_string(t.media_index) + " is not one of the session's " +
           std::to_string(media.size()) + " files";
  if (t.loop_in_ns != 0 || t.loop_out_ns != 0) {
    const int64_t d = media.empty() ? kMaxTimeNs : duration_ns(media[t.media_index]);
    if (t.loop_in_ns < 0 || t.loop_in_ns >= t.loop_out_ns || t.loop_out_ns > std::max<int64_t>(d, 1))
      return "loop range out of the file";
  }
  if (!t.loop && !media.empty()) {
    const int64_t d = duration_ns(media[t.media_index]);
    if (d > 0 && t.position_ns > d) return "position past the end of the file";
  }
  return "";
}

std::string node_name_problem(const std::string& name) {
  if (name.empty()) return "the name is empty";
  if (name.size() > kMaxNodeNameBytes)
    return "the name is longer than " + std::to_string(kMaxNodeNameBytes) + " bytes";
  if (has_control(name)) return "the name contains control characters";
  return "";
}

std::string media_report_problem(const std::vector<MediaMatch>& report, std::size_t media_count) {
  if (report.size() > media_count)
    return std::to_string(report.size()) + " entries for a session of " + std::to_string(media_count) + " files";
  std::set<uint32_t> seen;
  for (const auto& m : report) {
    if (m.media_index >= media_count) return "file index " + std::to_string(m.media_index) + " out of range";
    if (!seen.insert(m.media_index).second) return "file index " + std::to_string(m.media_index) + " repeated";
    if (m.local_path.size() > kMaxDetailBytes || m.detail.size() > kMaxDetailBytes) return "text too long";
  }
  return "";
}

std::string printable(const std::string& text, std::size_t max_bytes) {
  std::string out = text.substr(0, max_bytes);
  for (char& c : out)
    if ((unsigned char)c < 0x20 || c == 0x7f) c = '?';
  if (text.size() > max_bytes) out += "…";
  return out;
}

}  // namespace lockstep::net
