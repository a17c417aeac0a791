// Reading a node's --present-log (one JSON object per presented refresh).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lockstep::test {

struct PresentLine {
  int64_t frame = -1;
  int64_t due = -1;
  std::optional<int64_t> readback;
  int64_t t_ns = 0;
  int64_t sched_ns = 0;
  int64_t dropped = 0;
  int64_t repeated = 0;
  bool paused = false;
};

std::vector<PresentLine> read_present_log(const std::string& path);

}  // namespace lockstep::test
