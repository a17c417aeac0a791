#include "player/present_log.h"

#include <nlohmann/json.hpp>

namespace lockstep {

std::string format_present_line(const PresentLine& l) {
  nlohmann::json j = {
      {"frame", l.frame},     {"t_ns", l.t_ns},         {"sched_ns", l.sched_ns},
      {"dropped", l.dropped}, {"repeated", l.repeated}, {"paused", l.paused},
  };
  j["readback"] = l.readback ? nlohmann::json(*l.readback) : nlohmann::json(nullptr);
  if (l.due) j["due"] = *l.due;
  if (l.session_ns) j["session_ns"] = *l.session_ns;
  if (l.clock_err_ns) j["clock_err_ns"] = *l.clock_err_ns;
  return j.dump() + "\n";
}

namespace {
std::optional<int64_t> integer(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<int64_t>();
}
}  // namespace

std::string parse_present_line(std::string_view text, PresentLine& out) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return "not valid JSON";
  if (!j.is_object()) return "not a JSON object";
  const auto t = j.find("t_ns");
  if (t == j.end() || !t->is_number_integer()) return "no integer \"t_ns\"";
  out.t_ns = t->get<int64_t>();
  const auto readback = j.find("readback");
  const auto frame = j.find("frame");
  const bool has_readback = readback != j.end() && readback->is_number_integer();
  const bool has_frame = frame != j.end() && frame->is_number_integer();
  if (!has_readback && !has_frame) return "no integer \"frame\" or \"readback\"";
  out.frame = has_frame ? frame->get<int64_t>() : -1;
  out.readback = has_readback ? std::optional(readback->get<int64_t>()) : std::nullopt;
  out.shown = has_readback ? *out.readback : out.frame;
  const auto paused = j.find("paused");
  out.paused = paused != j.end() && paused->is_boolean() && paused->get<bool>();
  out.sched_ns = integer(j, "sched_ns").value_or(0);
  out.dropped = integer(j, "dropped").value_or(0);
  out.repeated = integer(j, "repeated").value_or(0);
  out.due = integer(j, "due");
  out.session_ns = integer(j, "session_ns");
  out.clock_err_ns = integer(j, "clock_err_ns");
  return {};
}

}  // namespace lockstep
