#include "synthetic_logs.h"

#include <nlohmann/json.hpp>

namespace lockstep::test {

std::vector<ScriptTick> reference_script() {
  std::vector<ScriptTick> s;
  for (int64_t f = 0; f <= 60; ++f) s.insert(s.end(), 2, ScriptTick{f, false});
  s.insert(s.end(), 10, ScriptTick{60, true});
  for (int64_t f = 61; f <= 99; ++f) s.insert(s.end(), 2, ScriptTick{f, false});
  return s;
}

std::vector<ScriptTick> without_frame(std::vector<ScriptTick> script, int64_t frame) {
  for (ScriptTick& t : script)
    if (t.shown == frame) t.shown = frame - 1;
  return script;
}

std::vector<ScriptTick> looping_script(int frames, int loops) {
  std::vector<ScriptTick> s;
  for (int l = 0; l < loops; ++l)
    for (int64_t f = 0; f < frames; ++f) s.insert(s.end(), 2, ScriptTick{f, false});
  return s;
}

int64_t lag_ns(int64_t frame) {
  if (frame == 50) return 2 * kNsPerMs;
  return frame % 2 == 0 ? 750 * kNsPerUs : 650 * kNsPerUs;
}

std::string make_log(const std::vector<ScriptTick>& script, const LogStyle& style) {
  std::string out;
  for (size_t k = 0; k < script.size(); ++k) {
    const ScriptTick& t = script[k];
    const int64_t at = kT0 + int64_t(k) * kTick + style.offset_ns(t.shown);
    nlohmann::json line = {{"frame", style.readback ? t.shown + 1 : t.shown},
                           {"due", t.shown},
                           {"t_ns", at},
                           {"sched_ns", kT0 + int64_t(k) * kTick},
                           {"dropped", 0},
                           {"repeated", 0},
                           {"paused", t.paused}};
    line["readback"] = style.readback ? nlohmann::json(t.shown) : nlohmann::json(nullptr);
    if (style.clock_err_ns) line["clock_err_ns"] = style.clock_err_ns(int64_t(k));
    if (style.extra_fields) {
      line["session_ns"] = at + 123456789;
      line["future_field"] = {{"nested", true}};
    }
    out += line.dump() + "\n";
  }
  return out;
}

}  // namespace lockstep::test
