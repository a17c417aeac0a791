// "WIDTHxHEIGHT" as given on a command line (--size), checked with a message that says what
// is expected. Shared by `lockstep` and `lockstep-mkclip`.
#pragma once

#include <cstdio>
#include <string>
#include <utility>

#include "core/result.h"

namespace lockstep {

/// Parses "1280x720" (sides 16 to `max_side`); the error names the value and the form.
inline Result<std::pair<int, int>> parse_size(const std::string& text, int max_side) {
  int w = 0, h = 0;
  char x = 0, extra = 0;
  if (std::sscanf(text.c_str(), "%d%c%d%c", &w, &x, &h, &extra) != 3 || (x != 'x' && x != 'X') || w < 16 ||
      h < 16 || w > max_side || h > max_side)
    return make_error("invalid --size '" + text + "': use WIDTHxHEIGHT, each side 16 to " +
                      std::to_string(max_side) + ", e.g. 1280x720");
  return std::pair{w, h};
}

}  // namespace lockstep
