#include "tools/node/overlay/panels.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tools/node/overlay/panel_widgets.h"

namespace lockstep::ui {

using namespace detail;

// ---- Network -----------------------------------------------------------------------------

namespace {

void role_radio(PanelFrame& f, NetworkForm& form, NetRole shown, bool editable, float label_w) {
  field_label("Type", label_w);
  ImGui::BeginDisabled(!editable);
  const struct {
    const char* label;
    const char* id;
    NetRole role;
  } choices[] = {{"Server", "net.role.server", NetRole::Server},
                 {"Client", "net.role.client", NetRole::Client},
                 {"Dedicated", "net.role.dedicated", NetRole::Dedicated}};
  bool first = true;
  for (const auto& c : choices) {
    if (!first) ImGui::SameLine();
    first = false;
    if (ImGui::RadioButton(c.label, shown == c.role) && editable) form.role = c.role;
    record(f, c.id, editable);
  }
  ImGui::EndDisabled();
}

// A Copy button and `text`; the button copies `copied` (the whole invite link) when given.
void copy_row(PanelFrame& f, const std::string& text, int index, const std::string& copied = {}) {
  ImGui::PushID(index);
  if (button(f, "Copy", "net.copy." + std::to_string(index), true))
    ImGui::SetClipboardText((copied.empty() ? text : copied).c_str());
  ImGui::PopID();
  ImGui::SameLine();
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted(displayable(text).c_str());
}

}  // namespace

void draw_network_panel(PanelFrame& f, PanelState& st, const PanelLayout::Rect& where) {
  const LinkView& link = f.snapshot.link;
  const bool active = link_active(link.phase);
  NetworkForm& form = st.form;
  const FormChecks& checks = st.checks;
  // While a link is up the panel shows what this node is, whatever the form said before.
  const NetRole shown = active ? link.role : form.role;
  const bool editable = !active;
  const float label_w = 78.0f * f.scale;
  const std::string port_hint = std::to_string(f.default_port) + " (default)";

  if (begin_panel("Network", where)) {
    role_radio(f, form, shown, editable, label_w);
    if (shown == NetRole::Client) {
      text_field(f, "Host", "##host", "net.host",
                 "name, 192.168.1.20:7450 or a lockstep:// link", &form.host, &checks.host,
                 editable, label_w, 0, &form, "host");
    }
    text_field(f, "Port", "##port", "net.port", port_hint.c_str(), &form.port, &checks.port,
               editable, label_w, 0, &form, "port");
    text_field(f, "Password", "##password", "net.password", "none", &form.password, nullptr,
               editable, label_w, ImGuiInputTextFlags_Password);
    if (shown == NetRole::Client)
      text_field(f, "Name", "##name", "net.name", "this machine's name", &form.name, nullptr,
                 editable, label_w);

    const ImVec2 button_size(110.0f * f.scale, 0.0f);
    // Connect/Disconnect or Create/Stop: the first sends the checked form, the second ends the link.
    const auto start_stop = [&](const char* start, const char* start_id, NodeCommand::Kind start_kind,
                                const char* stop, const char* stop_id, NodeCommand::Kind stop_kind) {
      if (button(f, start, start_id, editable && checks.button_enabled, button_size)) {
        NodeCommand c;
        c.kind = start_kind;
        c.host = checks.endpoint_host;
        c.port = checks.endpoint_port;
        c.fingerprint = checks.endpoint_fingerprint;
        c.password = form.password;
        c.name = form.name;
        f.out.push_back(std::move(c));
      }
      ImGui::SameLine();
      if (button(f, stop, stop_id, active, button_size)) f.out.push_back(NodeCommand{stop_kind});
    };
    if (shown == NetRole::Client) {
      start_stop("Connect", "net.connect", NodeCommand::Kind::Connect, "Disconnect", "net.disconnect",
                 NodeCommand::Kind::Disconnect);
      // Sessions announced on this network: Join one without typing its address.
      if (!active) {
        const auto& lan = f.snapshot.lan;
        if (!lan.empty()) ImGui::TextUnformatted("Sessions on this network:");
        for (size_t i = 0; i < lan.size() && i < 4; ++i) {
          ImGui::PushID(static_cast<int>(i));
          if (button(f, "Join", "net.lan.join." + std::to_string(i), true)) {
            NodeCommand c;
            c.kind = NodeCommand::Kind::Connect;
            c.host = lan[i].address;
            c.port = lan[i].port;
            // Not pinned: anyone on the LAN can announce a key. The node checks the server's
            // key against the one it met at that address before (known servers), as for an
            // address typed by hand.
            c.password = form.password;
            c.name = form.name;
            f.out.push_back(std::move(c));
          }
          ImGui::PopID();
          ImGui::SameLine();
          ImGui::AlignTextToFramePadding();
          const std::string row = lan[i].name + " (" + lan[i].address + ")" +
                                  (lan[i].media.empty() ? "" : " \u00b7 " + lan[i].media) +
                                  (lan[i].password ? " \u00b7 password" : "");
          ImGui::TextUnformatted(displayable(row).c_str());
        }
        if (lan.empty() && !f.snapshot.lan_problem.empty()) wrapped(f.snapshot.lan_problem, &kGrey);
      }
    } else if (shown == NetRole::Server) {
      start_stop("Create", "net.create", NodeCommand::Kind::CreateServer, "Stop", "net.stop",
                 NodeCommand::Kind::StopServer);
      if (active && link.role == NetRole::Server && !link.addresses.empty()) {
        ImGui::TextUnformatted("Invite links to share (Copy adds the server key):");
        for (size_t i = 0; i < link.addresses.size(); ++i)
          copy_row(f, link.addresses[i], static_cast<int>(i),
                   i < link.invites.size() ? link.invites[i] : std::string());
        if (!link.reachability.empty()) wrapped(link.reachability, &kGrey);
      }
    } else {
      ImGui::TextUnformatted("Run this on the server machine:");
      if (checks.port.ok)
        copy_row(f,
                 link.server_command.empty()
                     ? server_command(checks.endpoint_port, !form.password.empty())
                     : link.server_command,
                 0);
      wrapped("Then connect to it as a Client (see docs/hosting.md).", &kGrey);
    }

    ImGui::Separator();
    wrapped(link.status_line.empty() ? default_status(link.phase) : link.status_line);
    // A tooltip, not another line: the panels must still fit (docs/overlay.md).
    if (!link.fingerprint.empty() && ImGui::IsItemHovered())
      ImGui::SetTooltip("Encrypted. Server key %s\n(compare it with the host's: docs/security.md)",
                        link.fingerprint.c_str());
    if (!link.error.empty()) wrapped(link.error, &kRed);
    record_panel(f, "network");
  }
  ImGui::End();
}

// ---- Peers and sync ----------------------------------------------------------------------

namespace {

std::string media_summary(const std::vector<std::string>& media) {
  std::string out;
  for (size_t i = 0; i < media.size(); ++i) {
    if (i) out += ' ';
    out += std::to_string(i + 1) + ':' + (media[i] == "found" ? std::string("ok") : media[i]);
  }
  return out.empty() ? "-" : out;
}

void latency_cell(PanelFrame& f, PanelState& st, const PeerRow& p) {
  double value = st.latency_edit.count(p.id) ? st.latency_edit[p.id] : p.latency_offset_ms;
  ImGui::SetNextItemWidth(64.0f * f.scale);
  ImGui::InputDouble("##latency", &value, 0.0, 0.0, "%.1f");
  record(f, "peers.latency." + std::to_string(p.id), true);
  // The edit is kept while the field has focus and sent once, on Enter or leaving the field.
  if (ImGui::IsItemActive()) {
    st.latency_edit[p.id] = value;
  } else {
    if (ImGui::IsItemDeactivatedAfterEdit()) {
      NodeCommand c;
      c.kind = NodeCommand::Kind::SetLatencyOffset;
      c.node_id = p.id;
      c.value_ms = value;
      f.out.push_back(std::move(c));
    }
    st.latency_edit.erase(p.id);
  }
}

void peers_table(PanelFrame& f, PanelState& st) {
  const UiSnapshot& s = f.snapshot;
  const int columns = s.is_server ? 11 : 9;
  const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg |
                                ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollX;
  const float row_h = ImGui::GetFrameHeightWithSpacing();
  // Room for every row and for the horizontal scrollbar (long names), which would
  // otherwise cover the last row.
  const float table_h = std::min(row_h * static_cast<float>(s.peers.size() + 1) + row_h * 0.5f +
                                     ImGui::GetStyle().ScrollbarSize,
                                 ImGui::GetContentRegionAvail().y * 0.55f);
  if (!ImGui::BeginTable("peers", columns, flags, ImVec2(0.0f, table_h))) return;
  // Fixed widths: columns that followed their changing numbers would move the Latency
  // field and the Kick button under the pointer from one refresh to the next.
  const auto width = [](const char* sample) { return ImGui::CalcTextSize(sample).x; };
  // On the server the actions (latency offset, Kick) come right after the name, so they
  // stay in view when the table scrolls sideways.
  ImGui::TableSetupColumn("Name", ImGuiTableColumnFlags_WidthFixed, width("node-name-00000 (you)"));
  if (s.is_server) {
    ImGui::TableSetupColumn("Latency", ImGuiTableColumnFlags_WidthFixed, 64.0f * f.scale);
    ImGui::TableSetupColumn("Kick", ImGuiTableColumnFlags_WidthFixed,
                            width("Kick") + 2 * ImGui::GetStyle().FramePadding.x);
  }
  const std::pair<const char*, float> cols[] = {
      {"Address", width("255.255.255.255:65535")}, {"State", width("missing media")},
      {"RTT", width("000.0")},                     {"Offset", width("-00000.000")},
      {"Clock \xC2\xB1", width("Clock \xC2\xB1")},   {"Sync err", width("-0000.00")},
      {"Drop/Rep", width("00000/00000")},
      {"Media", width("1:missing 2:ok")}};
  for (const auto& [h, w] : cols) ImGui::TableSetupColumn(h, ImGuiTableColumnFlags_WidthFixed, w);
  ImGui::TableSetupScrollFreeze(1, 1);
  ImGui::TableHeadersRow();
  for (const PeerRow& p : s.peers) {
    // Not the bare node id: the table's header row pushes column numbers, and node 2's
    // "Kick" would then share its ID with the "Kick" header in column 2.
    ImGui::PushID(("peer-" + std::to_string(p.id)).c_str());
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::AlignTextToFramePadding();
    ImGui::Text("%s%s", displayable(p.name).c_str(), p.self ? " (you)" : "");
    if (s.is_server) {
      ImGui::TableNextColumn();
      latency_cell(f, st, p);
      ImGui::TableNextColumn();
      if (!p.self && button(f, "Kick", "peers.kick." + std::to_string(p.id), true)) {
        NodeCommand c;
        c.kind = NodeCommand::Kind::Kick;
        c.node_id = p.id;
        f.out.push_back(std::move(c));
      }
    }
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(displayable(p.address).c_str());
    ImGui::TableNextColumn();
    ImGui::TextColored(state_color(p.state), "%s", displayable(p.state).c_str());
    ImGui::TableNextColumn();
    ImGui::Text("%.1f", p.rtt_ms);
    ImGui::TableNextColumn();
    ImGui::Text("%.3f", p.clock_offset_ms);
    ImGui::TableNextColumn();
    // The clock's own uncertainty: amber while it settles (tens of seconds on a path with
    // tens of ms of jitter), green once frame-switch accurate.
    ImGui::TextColored(p.clock_uncertainty_ms <= 0.5 ? kGreen : kAmber, "%.2f", p.clock_uncertainty_ms);
    ImGui::TableNextColumn();
    ImGui::Text("%.2f", p.sync_error_ms);
    ImGui::TableNextColumn();
    ImGui::Text("%lld/%lld", static_cast<long long>(p.dropped), static_cast<long long>(p.repeated));
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(displayable(media_summary(p.media)).c_str());
    ImGui::PopID();
  }
  ImGui::EndTable();
}

void sync_plots(PanelFrame& f) {
  const UiSnapshot& s = f.snapshot;
  ImGui::Text("Sync error, last minute (ms) - lead time %.0f ms", s.lead_ms);
  if (s.sync.empty()) {
    ImGui::TextDisabled("no samples yet");
    return;
  }
  const float plot_h = 38.0f * f.scale;
  for (const SyncSeries& series : s.sync) {
    float peak = 1.0f;  // ms: a quiet node still shows a readable scale
    for (float v : series.error_ms) peak = std::max(peak, std::fabs(v));
    const float last = series.error_ms.empty() ? 0.0f : series.error_ms.back();
    char caption[160];
    std::snprintf(caption, sizeof caption, "%s: %+.2f ms", displayable(series.name).c_str(), last);
    ImGui::PushID(static_cast<int>(series.id));
    ImGui::PlotLines("##sync", series.error_ms.data(), static_cast<int>(series.error_ms.size()), 0,
                     caption, -peak, peak, ImVec2(ImGui::GetContentRegionAvail().x, plot_h));
    ImGui::PopID();
  }
}

}  // namespace

void draw_peers_panel(PanelFrame& f, PanelState& st, const PanelLayout::Rect& where) {
  if (begin_panel("Peers and sync", where)) {
    if (!f.snapshot.peers.empty())
      ImGui::TextDisabled(
          "RTT, clock offset and its uncertainty (Clock \xC2\xB1), sync error and latency offset in ms; "
          "media per session file");
    if (f.snapshot.peers.empty())
      ImGui::TextDisabled("No session: connect or create one in the Network panel.");
    else
      peers_table(f, st);
    ImGui::Separator();
    sync_plots(f);
    record_panel(f, "peers");
  }
  ImGui::End();
}

// ---- Media -------------------------------------------------------------------------------

namespace {

void media_table(PanelFrame& f) {
  const UiSnapshot& s = f.snapshot;
  const bool can_load = s.transport.can_control;
  const ImGuiTableFlags flags =
      ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("media", 4, flags)) return;
  ImGui::TableSetupColumn("File", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableSetupColumn("Here");
  ImGui::TableSetupColumn("Detail");
  ImGui::TableSetupColumn("");
  ImGui::TableHeadersRow();
  for (size_t i = 0; i < s.media.size(); ++i) {
    const MediaRow& m = s.media[i];
    ImGui::PushID(static_cast<int>(i));
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::AlignTextToFramePadding();
    ImGui::Text("%s%s", m.current ? "> " : "  ", displayable(m.name).c_str());
    ImGui::TableNextColumn();
    ImGui::TextColored(state_color(m.status), "%s", displayable(m.status).c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(displayable(m.detail).c_str());
    ImGui::TableNextColumn();
    if (button(f, "Load", "media.load." + std::to_string(i), can_load)) {
      NodeCommand c;
      c.kind = NodeCommand::Kind::Load;
      c.index = static_cast<int>(i);
      f.out.push_back(std::move(c));
    }
    if (!can_load && ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled) &&
        !s.transport.control_reason.empty())
      ImGui::SetTooltip("%s", displayable(s.transport.control_reason).c_str());
    ImGui::PopID();
  }
  ImGui::EndTable();
}

void mapping_editor(PanelFrame& f, PanelState& st) {
  ImGui::TextUnformatted("Path mapping (remote prefix -> local prefix)");
  const auto& mappings = f.snapshot.mappings;
  for (size_t i = 0; i < mappings.size(); ++i) {
    ImGui::PushID(static_cast<int>(i));
    if (button(f, "Remove", "map.remove." + std::to_string(i), true)) {
      NodeCommand c;
      c.kind = NodeCommand::Kind::RemoveMapping;
      c.index = static_cast<int>(i);
      f.out.push_back(std::move(c));
    }
    ImGui::SameLine();
    ImGui::AlignTextToFramePadding();
    ImGui::Text("%s -> %s", displayable(mappings[i].remote).c_str(),
                displayable(mappings[i].local).c_str());
    ImGui::PopID();
  }
  // Remote, local and Add on one line, so that the panel fits a 960x540 window.
  const float add_w = ImGui::CalcTextSize("Add").x + 2 * ImGui::GetStyle().FramePadding.x;
  const float field_w =
      std::max(40.0f, (ImGui::GetContentRegionAvail().x - add_w - ImGui::CalcTextSize("->").x -
                       4 * ImGui::GetStyle().ItemSpacing.x) / 2);
  ImGui::SetNextItemWidth(field_w);
  ImGui::InputTextWithHint("##map_remote", "remote: /mnt/server/show", &st.map_remote);
  record(f, "map.remote", true);
  ImGui::SameLine();
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("->");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(field_w);
  ImGui::InputTextWithHint("##map_local", "local: /home/me/show", &st.map_local);
  record(f, "map.local", true);
  ImGui::SameLine();
  if (button(f, "Add", "map.add", !st.map_remote.empty() && !st.map_local.empty())) {
    NodeCommand c;
    c.kind = NodeCommand::Kind::AddMapping;
    c.remote = st.map_remote;
    c.local = st.map_local;
    f.out.push_back(std::move(c));
    st.map_remote.clear();
    st.map_local.clear();
  }
}

}  // namespace

void draw_media_panel(PanelFrame& f, PanelState& st, const PanelLayout::Rect& where) {
  if (begin_panel("Media", where)) {
    if (f.snapshot.media.empty())
      ImGui::TextDisabled("No session media.");
    else
      media_table(f);
    ImGui::Separator();
    mapping_editor(f, st);
    record_panel(f, "media");
  }
  ImGui::End();
}

// ---- Transport ---------------------------------------------------------------------------

namespace {

/// Shades the part of the seek bar (the last item) inside a loop range other than the whole
/// file, with a line at each end.
void mark_loop_range(const TransportView& t, int64_t last) {
  const bool partial = t.loop_out > t.loop_in && (t.loop_in > 0 || t.loop_out < t.frame_count);
  if (!partial || last <= 0) return;
  const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
  const auto x_of = [&](int64_t frame) {
    return a.x + (b.x - a.x) * float(std::clamp<int64_t>(frame, 0, last + 1)) / float(last + 1);
  };
  const float x0 = x_of(t.loop_in), x1 = x_of(t.loop_out);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImU32 fill = t.loop ? IM_COL32(90, 170, 255, 70) : IM_COL32(160, 160, 160, 50);
  const ImU32 edge = t.loop ? IM_COL32(90, 170, 255, 220) : IM_COL32(180, 180, 180, 160);
  dl->AddRectFilled(ImVec2(x0, a.y), ImVec2(x1, b.y), fill);
  dl->AddLine(ImVec2(x0, a.y), ImVec2(x0, b.y), edge, 2.0f);
  dl->AddLine(ImVec2(x1, a.y), ImVec2(x1, b.y), edge, 2.0f);
}

}  // namespace

namespace {

void ask(PanelFrame& f, NodeCommand c) { f.out.push_back(std::move(c)); }
void ask(PanelFrame& f, NodeCommand::Kind kind) { f.out.push_back(NodeCommand{kind}); }
void ask_loop_range(PanelFrame& f, int64_t in, int64_t out) {
  ask(f, {.kind = NodeCommand::Kind::SetLoopRange, .frame = in, .out_frame = out});
}

}  // namespace

void draw_transport_bar(PanelFrame& f, const PanelLayout::Rect& where, bool* panels_open) {
  const TransportView& t = f.snapshot.transport;
  const bool ctl = t.can_control;
  const std::string reason = displayable(
      t.control_reason.empty() ? std::string("Another node controls playback") : t.control_reason);
  // Disabled controls still say why when hovered.
  auto why_not = [&] {
    if (!ctl && ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
      ImGui::SetTooltip("%s", reason.c_str());
  };
  const float s = f.scale;

  if (begin_panel("transport", where, ImGuiWindowFlags_NoDecoration)) {
    if (panels_open) {
      if (button(f, "Hide", "overlay.panels", true, ImVec2(48 * s, 0))) *panels_open = false;
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("Back to the slim bar (key o; h hides everything)");
      ImGui::SameLine();
    }
    if (button(f, t.paused ? "Play" : "Pause", "transport.play", ctl, ImVec2(64 * s, 0)))
      ask(f, NodeCommand::Kind::TogglePause);
    why_not();
    ImGui::SameLine();
    if (button(f, "<|", "transport.step_back", ctl, ImVec2(32 * s, 0))) ask(f, {.kind = NodeCommand::Kind::Step, .frames = -1});
    why_not();
    ImGui::SameLine();
    if (button(f, "|>", "transport.step_forward", ctl, ImVec2(32 * s, 0))) ask(f, {.kind = NodeCommand::Kind::Step, .frames = 1});
    why_not();
    ImGui::SameLine();
    const int64_t shown = std::max<int64_t>(t.frame_index, 0);
    const int64_t last = std::max<int64_t>(0, t.frame_count - 1);
    ImGui::AlignTextToFramePadding();
    ImGui::Text("%s  frame %lld / %lld", format_timecode(shown, t.fps).c_str(),
                static_cast<long long>(shown), static_cast<long long>(last));
    ImGui::SameLine();
    bool loop = t.loop;
    ImGui::BeginDisabled(!ctl);
    if (ImGui::Checkbox("Loop", &loop) && ctl) ask(f, {.kind = NodeCommand::Kind::SetLoop, .on = loop});
    ImGui::EndDisabled();
    record(f, "transport.loop", ctl);
    why_not();
    // Loop in/out points: In makes the frame on screen the loop's first, Out its last (the
    // range is [in, out) in frames, so out is the frame after it); Clear loops the whole file.
    const int64_t range_out = t.loop_out > 0 ? t.loop_out : t.frame_count;
    ImGui::SameLine();
    if (button(f, "In", "transport.loop_in", ctl, ImVec2(32 * s, 0)))
      ask_loop_range(f, shown, range_out > shown ? range_out : t.frame_count);
    why_not();
    ImGui::SameLine();
    if (button(f, "Out", "transport.loop_out", ctl, ImVec2(36 * s, 0)))
      ask_loop_range(f, t.loop_in <= shown ? t.loop_in : 0, shown + 1);
    why_not();
    ImGui::SameLine();
    if (button(f, "Clear", "transport.loop_clear", ctl, ImVec2(48 * s, 0))) ask_loop_range(f, 0, 0);
    why_not();
    ImGui::SameLine();
    static constexpr double kRates[] = {0.25, 0.5, 1.0, 1.5, 2.0};
    char preview[32];
    std::snprintf(preview, sizeof preview, "%gx", t.rate);
    ImGui::SetNextItemWidth(72 * s);
    ImGui::BeginDisabled(!ctl);
    const bool open = ImGui::BeginCombo("##rate", preview);
    record(f, "transport.rate", ctl);
    if (open) {
      for (size_t i = 0; i < std::size(kRates); ++i) {
        char label[32];
        std::snprintf(label, sizeof label, "%gx", kRates[i]);
        if (ImGui::Selectable(label, std::fabs(kRates[i] - t.rate) < 1e-9) && ctl)
          ask(f, {.kind = NodeCommand::Kind::SetRate, .rate = kRates[i]});
        record(f, "transport.rate." + std::to_string(i), ctl);
      }
      ImGui::EndCombo();
    }
    ImGui::EndDisabled();
    why_not();
    ImGui::SameLine();
    ImGui::AlignTextToFramePadding();
    ImGui::TextDisabled("dropped %lld  repeated %lld  %s decode  audio: %s",
                        static_cast<long long>(t.dropped), static_cast<long long>(t.repeated),
                        displayable(t.decoder).c_str(), displayable(t.audio).c_str());

    // The seek bar runs over whole frames; its text is the timecode of the frame it points at.
    ImGui::SetNextItemWidth(-1.0f);
    int64_t target = shown;
    const int64_t lo = 0;
    const std::string format = format_timecode(target, t.fps) + "  (frame %lld)";
    ImGui::BeginDisabled(!ctl);
    const bool moved =
        ImGui::SliderScalar("##seek", ImGuiDataType_S64, &target, &lo, &last, format.c_str());
    ImGui::EndDisabled();
    record(f, "transport.seek", ctl);
    why_not();
    mark_loop_range(t, last);
    if (moved && ctl && target != shown) ask(f, {.kind = NodeCommand::Kind::SeekFrame, .frame = target});
    record_panel(f, "transport");
  }
  ImGui::End();
}

void draw_slim_bar(PanelFrame& f, const PanelLayout::Rect& where, bool* panels_open) {
  const TransportView& t = f.snapshot.transport;
  const LinkView& link = f.snapshot.link;
  const float s = f.scale;
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(8.0f * s, 6.0f * s));
  const bool open = begin_panel("slim", where, ImGuiWindowFlags_NoDecoration);
  ImGui::PopStyleVar();
  if (open) {
    if (button(f, "Panels", "overlay.panels", true, ImVec2(64 * s, 0))) *panels_open = true;
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Network, peers and sync, media, transport (key o; h hides everything)");
    ImGui::SameLine();
    if (button(f, t.paused ? "Play" : "Pause", "transport.play", t.can_control, ImVec2(64 * s, 0)))
      ask(f, NodeCommand::Kind::TogglePause);
    if (!t.can_control && ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled) && !t.control_reason.empty())
      ImGui::SetTooltip("%s", displayable(t.control_reason).c_str());
    ImGui::SameLine();
    const int64_t shown = std::max<int64_t>(t.frame_index, 0);
    ImGui::AlignTextToFramePadding();
    ImGui::Text("%s  frame %lld  %s", format_timecode(shown, t.fps).c_str(), static_cast<long long>(shown),
                t.paused ? "paused" : "playing");
    ImGui::SameLine();
    // The session in a few words; its error in red (the panels open by themselves for it).
    const bool bad = !link.error.empty() || !link.problem.empty();
    const std::string words = !link.error.empty()          ? link.error
                              : !link.status_line.empty()  ? link.status_line
                              : link.phase == LinkPhase::Idle ? std::string("on its own")
                                                              : default_status(link.phase);
    if (bad)
      ImGui::TextColored(kRed, "%s", displayable(words).c_str());
    else
      ImGui::TextDisabled("%s", displayable(words).c_str());
    record_panel(f, "slim");
  }
  ImGui::End();
}

std::string needs_attention(const UiSnapshot& s) {
  if (!s.link.error.empty()) return "link: " + s.link.error;
  // The first connect keeps failing (no answer, refused): the address may be wrong.
  if (s.link.phase == LinkPhase::Connecting && !s.link.problem.empty()) return "connect: " + s.link.problem;
  for (const MediaRow& m : s.media)
    if (m.status == "missing" || m.status == "mismatch") return "media: " + m.name + " " + m.status;
  return {};
}

}  // namespace lockstep::ui
