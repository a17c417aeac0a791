// The panels' building blocks: fields with their check, buttons that record where they
// were drawn, fixed-place panels, text for the overlay's font, and the layout.
#include "tools/node/overlay/panel_widgets.h"

#include <imgui_stdlib.h>

#include <algorithm>
#include <cmath>

namespace lockstep::ui {

namespace detail {

namespace {
constexpr float kPanelAlpha = 0.78f;
constexpr ImGuiWindowFlags kPanelFlags =
    ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
    ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoFocusOnAppearing;
}  // namespace

/// Keeps where the item just drawn is, for tests and --ui-state.
void record(PanelFrame& f, const std::string& id, bool enabled) {
  // The part of the item that can be seen (and clicked): a table cell or a panel that
  // scrolls clips its items.
  const ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 clip_a = dl->GetClipRectMin(), clip_b = dl->GetClipRectMax();
  const ImVec2 a(std::max(ImGui::GetItemRectMin().x, clip_a.x), std::max(ImGui::GetItemRectMin().y, clip_a.y));
  const ImVec2 b(std::min(ImGui::GetItemRectMax().x, clip_b.x), std::min(ImGui::GetItemRectMax().y, clip_b.y));
  WidgetRect r;
  r.x = a.x;
  r.y = a.y;
  r.w = std::max(0.0f, b.x - a.x);
  r.h = std::max(0.0f, b.y - a.y);
  r.enabled = enabled;
  r.visible = ImGui::IsItemVisible() && r.w > 0 && r.h > 0;
  f.widgets[id] = r;
}

void record_panel(PanelFrame& f, const std::string& id) {
  WidgetRect r;
  r.x = ImGui::GetWindowPos().x;
  r.y = ImGui::GetWindowPos().y;
  r.w = ImGui::GetWindowSize().x;
  r.h = ImGui::GetWindowSize().y;
  r.overflows = ImGui::GetScrollMaxY() > 0.5f;
  f.widgets["panel." + id] = r;
}

/// Begin() at a fixed place; the caller always calls ImGui::End().
bool begin_panel(const char* title, const PanelLayout::Rect& r, ImGuiWindowFlags extra) {
  ImGui::SetNextWindowPos(ImVec2(r.x, r.y), ImGuiCond_Always);
  ImGui::SetNextWindowSize(ImVec2(r.w, r.h), ImGuiCond_Always);
  ImGui::SetNextWindowBgAlpha(kPanelAlpha);
  return ImGui::Begin(title, nullptr, kPanelFlags | extra);
}

void wrapped(const std::string& text, const ImVec4* color) {
  if (color) ImGui::PushStyleColor(ImGuiCol_Text, *color);
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextUnformatted(displayable(text).c_str());
  ImGui::PopTextWrapPos();
  if (color) ImGui::PopStyleColor();
}

/// A label in the left column, the field after it on the same line.
void field_label(const char* label, float label_w) {
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted(label);
  ImGui::SameLine(label_w);
  ImGui::SetNextItemWidth(-1.0f);
}

/// A text field, framed in red when its check failed; its message goes on the line below
/// (a line is kept for it even when empty, so that the fields below do not jump as you type).
void text_field(PanelFrame& f, const char* label, const char* imgui_id,
                const std::string& widget_id, const char* hint, std::string* text,
                const FieldCheck* check, bool editable, float label_w, ImGuiInputTextFlags flags,
                NetworkForm* touched_in, const char* field) {
  field_label(label, label_w);
  const bool shown = !touched_in || !field || touched_in->shows_check(field, *text);
  const bool bad = check && !check->ok && shown;
  if (bad) {
    ImGui::PushStyleColor(ImGuiCol_Border, kRed);
    ImGui::PushStyleVar(ImGuiStyleVar_FrameBorderSize, std::max(1.0f, 2.0f * f.scale));
  }
  ImGui::BeginDisabled(!editable);
  ImGui::InputTextWithHint(imgui_id, hint, text, flags);
  ImGui::EndDisabled();
  if (touched_in && field && (ImGui::IsItemEdited() || ImGui::IsItemDeactivated())) touched_in->touched.insert(field);
  record(f, widget_id, editable);
  if (bad) {
    ImGui::PopStyleVar();
    ImGui::PopStyleColor();
  }
  if (!check) return;
  ImGui::Indent(label_w);
  if (check->message.empty() || (!check->ok && !shown))
    ImGui::TextUnformatted(" ");
  else
    wrapped(check->message, check->ok ? &kGrey : &kRed);
  ImGui::Unindent(label_w);
}

/// A button that is drawn disabled (and does nothing) unless `enabled`.
bool button(PanelFrame& f, const char* label, const std::string& widget_id, bool enabled,
            ImVec2 size) {
  ImGui::BeginDisabled(!enabled);
  const bool pressed = ImGui::Button(label, size);
  ImGui::EndDisabled();
  record(f, widget_id, enabled);
  return pressed && enabled;
}

std::string default_status(LinkPhase phase) {
  switch (phase) {
    case LinkPhase::Idle:
      return "Not connected";
    case LinkPhase::Listening:
      return "Listening";
    case LinkPhase::Connecting:
      return "Connecting...";
    case LinkPhase::Connected:
      return "Connected";
    case LinkPhase::Reconnecting:
      return "Reconnecting...";
    case LinkPhase::Failed:
      return "Not connected (failed)";
  }
  return "";
}

const ImVec4& state_color(const std::string& state) {
  if (state == "ready" || state == "playing" || state == "found") return kGreen;
  if (state == "missing media" || state == "missing" || state == "mismatch") return kRed;
  if (state.empty()) return kGrey;
  return kAmber;  // loading, behind, reconnecting, …
}

}  // namespace detail

// ---- Text --------------------------------------------------------------------------------

std::string displayable(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xe  ? 3
                 : (c >> 3) == 0x1e ? 4
                                    : 1;
    if (i + len > s.size()) len = 1;
    uint32_t cp = c;
    if (len > 1) {
      cp = c & (0xff >> (len + 1));
      for (size_t k = 1; k < len; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    }
    if (len == 1 && c >= 0x80) {
      out += '?';  // a stray byte: not UTF-8
    } else if (cp <= 0xff) {
      out.append(s, i, len);  // the default font covers Latin-1
    } else {
      switch (cp) {
        case 0x2026:
          out += "...";
          break;
        case 0x2010:
        case 0x2011:
        case 0x2012:
        case 0x2013:
        case 0x2014:
        case 0x2212:
          out += '-';
          break;
        case 0x2018:
        case 0x2019:
          out += '\'';
          break;
        case 0x201c:
        case 0x201d:
          out += '"';
          break;
        case 0x2192:
          out += "->";
          break;
        case 0x2260:
          out += "!=";
          break;
        case 0x2248:
          out += "~";
          break;
        case 0x2264:
          out += "<=";
          break;
        case 0x2265:
          out += ">=";
          break;
        case 0x2022:
          out += "\xc2\xb7";
          break;  // bullet → middle dot
        default:
          out += '?';
          break;
      }
    }
    i += len;
  }
  return out;
}

// ---- Layout ------------------------------------------------------------------------------

PanelLayout layout_panels(float width, float height, float scale) {
  const float margin = 6.0f * scale;
  // The top 15 % carries the test clips' frame tag: the panels start below it.
  const float top = std::ceil(height * 0.15f) + margin;
  const float bar_h = std::min(66.0f * scale, height * 0.3f);
  const float slim_h = std::min(34.0f * scale, height * 0.2f);
  const float avail = std::max(0.0f, height - bar_h - margin - top);
  const float right_w =
      std::clamp(width * 0.36f, std::min(300.0f * scale, width * 0.5f), 520.0f * scale);
  // The peers table is wide (ten columns on the server): the left side takes what is left,
  // up to a readable limit; the table scrolls sideways below that.
  const float left_w = std::min(width - right_w - 3 * margin, 820.0f * scale);
  // Network has the right side to itself (its form is the tallest); Media goes under Peers,
  // with room for a few files and the mapping line. Measured to fit at 960x540 (docs/overlay.md).
  const float media_h = std::floor(std::clamp(avail * 0.4f, std::min(140.0f * scale, avail * 0.5f), 240.0f * scale));

  PanelLayout l;
  l.transport = {0.0f, height - bar_h, width, bar_h};
  l.slim = {0.0f, height - slim_h, width, slim_h};
  l.peers = {margin, top, std::max(0.0f, left_w), std::max(0.0f, avail - media_h - margin)};
  l.media = {margin, top + avail - media_h, std::max(0.0f, left_w), media_h};
  l.network = {width - right_w - margin, top, right_w, avail};
  return l;
}

}  // namespace lockstep::ui
