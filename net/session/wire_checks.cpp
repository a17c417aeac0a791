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

/// Reads one UTF-8 code point at `i` (advancing it); -1 for bytes that are not UTF-8
/// (a bad lead or continuation byte, an overlong form, a surrogate, past U+10FFFF).
int32_t next_code_point(const std::string& s, size_t& i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + size_t(len) > s.size()) {
    ++i;
    return -1;
  }
  int32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (int k = 1; k < len; ++k) {
    if ((b(i + size_t(k)) & 0xC0) != 0x80) {
      ++i;
      return -1;
    }
    cp = (cp << 6) | (b(i + size_t(k)) & 0x3F);
  }
  i += size_t(len);
  static constexpr int32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  return cp;
}

/// Characters that change how a terminal or a log shows the text around them: C0 and C1
/// controls, DEL, and the bidirectional overrides and isolates (U+202E turns text around).
bool is_control(int32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x200E || cp == 0x200F ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

bool has_control(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const int32_t cp = next_code_point(s, i);
    if (cp < 0 || is_control(cp)) return true;
  }
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
  if (has_control(name)) return "the name contains control characters or is not UTF-8";
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
  // Whole code points only; controls and bytes that are not UTF-8 become '?'.
  std::string out;
  for (size_t i = 0; i < text.size() && i < max_bytes;) {
    const size_t at = i;
    const int32_t cp = next_code_point(text, i);
    if (cp < 0 || is_control(cp) || i > max_bytes) {
      if (i > max_bytes && cp >= 0 && !is_control(cp)) break;
      out += '?';
      continue;
    }
    out.append(text, at, i - at);
  }
  if (text.size() > max_bytes) out += "…";
  return out;
}

}  // namespace lockstep::net
