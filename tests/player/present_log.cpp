#include "present_log.h"

#include <fstream>
#include <nlohmann/json.hpp>

namespace lockstep::test {

std::vector<PresentLine> read_present_log(const std::string& path) {
  std::vector<PresentLine> lines;
  std::ifstream in(path);
  std::string text;
  while (std::getline(in, text)) {
    if (text.empty()) continue;
    const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) continue;  // a line being written while we read
    PresentLine l;
    l.frame = j.value("frame", int64_t(-1));
    l.due = j.value("due", int64_t(-1));
    if (j.contains("readback") && !j["readback"].is_null()) l.readback = j["readback"].get<int64_t>();
    l.t_ns = j.value("t_ns", int64_t(0));
    l.sched_ns = j.value("sched_ns", int64_t(0));
    l.dropped = j.value("dropped", int64_t(0));
    l.repeated = j.value("repeated", int64_t(0));
    l.paused = j.value("paused", false);
    lines.push_back(l);
  }
  return lines;
}

}  // namespace lockstep::test
