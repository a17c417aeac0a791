// Reading a node's --present-log in the tests (the line: player/present_log.h).
#pragma once

#include <string>
#include <vector>

#include "player/present_log.h"

namespace lockstep::test {

/// Every line of the log that parses (a line being written while it is read is left out).
std::vector<PresentLine> read_present_log(const std::string& path);

}  // namespace lockstep::test
