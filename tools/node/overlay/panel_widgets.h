// Private to engine/ui: the building blocks the panels are drawn with. Each interactive
// item is recorded in the frame's WidgetMap (for tests and --ui-state) right after it is
// drawn. Thread-safety: main thread only, inside an ImGui frame.
#pragma once

#include <imgui.h>

#include <string>

#include "tools/node/overlay/panels.h"

namespace lockstep::ui::detail {

inline const ImVec4 kRed(1.0f, 0.38f, 0.33f, 1.0f);
inline const ImVec4 kAmber(1.0f, 0.78f, 0.3f, 1.0f);
inline const ImVec4 kGreen(0.45f, 0.9f, 0.45f, 1.0f);
inline const ImVec4 kGrey(0.7f, 0.7f, 0.7f, 1.0f);

/// Keeps where the item just drawn is, under `id`.
void record(PanelFrame& f, const std::string& id, bool enabled);
/// Records the current panel as "panel.ID": its place, and whether its content overflows
/// (it would need scrolling). Call inside the panel, after its content.
void record_panel(PanelFrame& f, const std::string& id);
/// Begin() at a fixed place, partly transparent; the caller always calls ImGui::End().
bool begin_panel(const char* title, const PanelLayout::Rect& r, ImGuiWindowFlags extra = 0);
/// Wrapped text (made displayable), in `color` when given.
void wrapped(const std::string& text, const ImVec4* color = nullptr);
/// A label in the left column; the next item goes after it on the same line, full width.
void field_label(const char* label, float label_w);
/// A labelled text field, framed in red when `check` failed, with the check's message on the
/// line below (a line is kept even when empty, so the fields below do not jump as you type).
/// `check` null: no message line. Drawn disabled unless `editable`.
/// `touched`: the form's set of touched fields, where `field` is added once the person
/// types in it or leaves it; a failed check shows only then or while the field holds text.
void text_field(PanelFrame& f, const char* label, const char* imgui_id,
                const std::string& widget_id, const char* hint, std::string* text,
                const FieldCheck* check, bool editable, float label_w,
                ImGuiInputTextFlags flags = 0, NetworkForm* touched_in = nullptr, const char* field = nullptr);
/// A button drawn disabled (returning false) unless `enabled`.
bool button(PanelFrame& f, const char* label, const std::string& widget_id, bool enabled,
            ImVec2 size = ImVec2(0, 0));
/// The status line for `phase` when the session gave none.
std::string default_status(LinkPhase phase);
/// Green for fine (ready, found), red for a problem (missing, mismatch), amber otherwise.
const ImVec4& state_color(const std::string& state);

}  // namespace lockstep::ui::detail
