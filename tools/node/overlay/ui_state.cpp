// The remembered settings (config file) and the --ui-state JSON. Both shapes are
// documented in docs/overlay.md; keep the two in step.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "tools/node/overlay/ui_model.h"

namespace lockstep::ui {

namespace fs = std::filesystem;
using nlohmann::json;

// ---- Files -----------------------------------------------------------------------------

std::string write_json_file(const std::string& path, const json& value) {
  std::error_code ec;
  const fs::path target(path);
  if (target.has_parent_path()) {
    fs::create_directories(target.parent_path(), ec);
    if (ec)
      return "cannot create the folder '" + target.parent_path().string() + "': " + ec.message();
  }
  // The temporary file sits beside the target so that rename() replaces it atomically.
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    if (!out) return "cannot write '" + temp + "': " + std::strerror(errno);
    out << value.dump(2) << '\n';
    out.flush();
    if (!out) {
      fs::remove(temp, ec);
      return "cannot write '" + temp + "': " + std::strerror(errno) + " (disk full?)";
    }
  }
  fs::rename(temp, target, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    return "cannot replace '" + path + "': " + ec.message();
  }
  return "";
}

// ---- Config ----------------------------------------------------------------------------

std::string config_path() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and is to be ignored.
  if (xdg && xdg[0] == '/') return std::string(xdg) + "/lockstep/config.json";
  const char* home = std::getenv("HOME");
  if (home && home[0] != '\0') return std::string(home) + "/.config/lockstep/config.json";
  return ".config/lockstep/config.json";  // no home: next to the working folder
}

namespace {

json config_to_json(const UiConfig& c) {
  json mappings = json::array();
  for (const auto& m : c.mappings) mappings.push_back({{"remote", m.remote}, {"local", m.local}});
  // The password is deliberately absent: it would sit in clear text in the user's folder.
  return {{"version", 1},
          {"network",
           {{"role", to_string(c.form.role)},
            {"host", c.form.host},
            {"port", c.form.port},
            {"name", c.form.name}}},
          {"mappings", mappings},
          {"overlay_visible", c.overlay_visible}};
}

/// Throws json::exception (type errors) or std::runtime_error with the reason.
UiConfig config_from_json(const json& j) {
  if (!j.is_object()) throw std::runtime_error("the top level is not a JSON object");
  UiConfig c;
  if (j.contains("network")) {
    const json& n = j.at("network");
    if (n.contains("role")) {
      const auto role = net_role_from_string(n.at("role").get<std::string>());
      if (!role)
        throw std::runtime_error("network.role is '" + n.at("role").get<std::string>() +
                                 "' (expected server, client or dedicated)");
      c.form.role = *role;
    }
    if (n.contains("host")) c.form.host = n.at("host").get<std::string>();
    if (n.contains("port")) {
      // Accept a number as well as the text the form keeps.
      const json& p = n.at("port");
      c.form.port = p.is_number_integer() ? std::to_string(p.get<int>()) : p.get<std::string>();
    }
    if (n.contains("name")) c.form.name = n.at("name").get<std::string>();
  }
  if (j.contains("mappings"))
    for (const json& m : j.at("mappings"))
      c.mappings.push_back({m.at("remote").get<std::string>(), m.at("local").get<std::string>()});
  if (j.contains("overlay_visible")) c.overlay_visible = j.at("overlay_visible").get<bool>();
  return c;
}

}  // namespace

UiConfig load_config(const std::string& path, std::string* warning) {
  if (warning) warning->clear();
  std::ifstream in(path);
  if (!in) {
    std::error_code ec;
    if (fs::exists(path, ec) && warning)
      *warning = "cannot read the config file '" + path + "': " + std::strerror(errno) +
                 "; using the defaults";
    return {};
  }
  std::stringstream text;
  text << in.rdbuf();
  try {
    return config_from_json(json::parse(text.str()));
  } catch (const std::exception& e) {
    if (warning)
      *warning = "the config file '" + path + "' is not valid (" + e.what() +
                 "); using the defaults: fix the file or delete it";
    return {};
  }
}

std::string save_config(const std::string& path, const UiConfig& config) {
  const std::string error = write_json_file(path, config_to_json(config));
  return error.empty() ? "" : "cannot save the settings: " + error;
}

// ---- --ui-state ------------------------------------------------------------------------

namespace {

/// `shown`: whether the panel shows the check now (a failed one only on a touched field).
json check_json(const FieldCheck& c, bool shown) { return {{"ok", c.ok}, {"message", c.message}, {"shown", shown}}; }

json lan_json(const UiSnapshot& s) {
  json rows = json::array();
  for (const auto& r : s.lan)
    rows.push_back({{"name", r.name},
                    {"address", r.address},
                    {"port", r.port},
                    {"media", r.media},
                    {"password", r.password},
                    {"fingerprint", r.fingerprint}});
  return {{"sessions", rows}, {"problem", s.lan_problem}};
}

json network_json(const UiSnapshot& s, const NetworkForm& form, const FormChecks& checks) {
  const LinkView& l = s.link;
  return {{"role", to_string(form.role)},
          {"host", form.host},
          {"port", form.port},
          {"name", form.name},
          {"password_set", !form.password.empty()},
          {"checks",
           {{"host", check_json(checks.host, checks.host.ok || form.shows_check("host", form.host))},
            {"port", check_json(checks.port, checks.port.ok || form.shows_check("port", form.port))}}},
          {"button_enabled", checks.button_enabled},
          {"resolving", checks.resolving},
          {"endpoint", {{"host", checks.endpoint_host}, {"port", checks.endpoint_port}}},
          {"editable", !link_active(l.phase)},
          {"link",
           {{"role", to_string(l.role)},
            {"phase", to_string(l.phase)},
            {"status_line", l.status_line},
            {"error", l.error},
            {"problem", l.problem},
            {"port", l.port},
            {"addresses", l.addresses},
            {"reachability", l.reachability},
            {"invites", l.invites},
            {"fingerprint", l.fingerprint},
            {"server_command", l.server_command.empty()
                                   ? server_command(checks.endpoint_port, !form.password.empty())
                                   : l.server_command}}},
          {"lan", lan_json(s)}};
}

json peers_json(const std::vector<PeerRow>& peers) {
  json out = json::array();
  for (const auto& p : peers)
    out.push_back({{"id", p.id},
                   {"name", p.name},
                   {"address", p.address},
                   {"state", p.state},
                   {"rtt_ms", p.rtt_ms},
                   {"clock_offset_ms", p.clock_offset_ms},
                   {"sync_error_ms", p.sync_error_ms},
                   {"latency_offset_ms", p.latency_offset_ms},
                   {"dropped", p.dropped},
                   {"repeated", p.repeated},
                   {"media", p.media},
                   {"self", p.self}});
  return out;
}

json transport_json(const TransportView& t) {
  const int64_t shown = std::max<int64_t>(t.frame_index, 0);
  return {{"paused", t.paused},
          {"frame_index", t.frame_index},
          {"frame_count", t.frame_count},
          {"fps", t.fps},
          {"timecode", format_timecode(shown, t.fps)},
          {"rate", t.rate},
          {"loop", t.loop},
          {"loop_in", t.loop_in},
          {"loop_out", t.loop_out},
          {"dropped", t.dropped},
          {"repeated", t.repeated},
          {"decoder", t.decoder},
          {"audio", t.audio},
          {"file", t.file},
          {"can_control", t.can_control},
          {"control_reason", t.control_reason}};
}

}  // namespace

json ui_state_json(const UiSnapshot& s, const NetworkForm& form, const FormChecks& checks,
                   bool overlay_visible, const WidgetMap& widgets, bool panels_open) {
  json media = json::array();
  for (const auto& m : s.media)
    media.push_back(
        {{"name", m.name}, {"status", m.status}, {"detail", m.detail}, {"current", m.current}});
  json series = json::array();
  for (const auto& sy : s.sync)
    series.push_back(
        {{"id", sy.id},
         {"name", sy.name},
         {"last_ms", sy.error_ms.empty() ? 0.0 : static_cast<double>(sy.error_ms.back())},
         {"samples", sy.error_ms.size()}});
  json mappings = json::array();
  for (const auto& m : s.mappings) mappings.push_back({{"remote", m.remote}, {"local", m.local}});
  json widget_map = json::object();
  for (const auto& [id, r] : widgets)
    widget_map[id] = {{"x", r.x},
                      {"y", r.y},
                      {"w", r.w},
                      {"h", r.h},
                      {"enabled", r.enabled},
                      {"visible", r.visible},
                      {"overflows", r.overflows}};

  return {{"version", 1},
          {"overlay_visible", overlay_visible},
          {"panels_open", panels_open},
          {"is_server", s.is_server},
          {"network", network_json(s, form, checks)},
          {"peers", peers_json(s.peers)},
          {"media", media},
          {"sync", {{"lead_ms", s.lead_ms}, {"series", series}}},
          {"transport", transport_json(s.transport)},
          {"mappings", mappings},
          {"widgets", widget_map}};
}

}  // namespace lockstep::ui
