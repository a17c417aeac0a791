#include "present_log.h"

#include <fstream>

namespace lockstep::test {

std::vector<PresentLine> read_present_log(const std::string& path) {
  std::vector<PresentLine> lines;
  std::ifstream in(path);
  std::string text;
  while (std::getline(in, text)) {
    PresentLine l;
    if (!text.empty() && parse_present_line(text, l).empty()) lines.push_back(l);
  }
  return lines;
}

}  // namespace lockstep::test
