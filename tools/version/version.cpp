#include "tools/version/version.h"

#include "lockstep_version_generated.h"

namespace lockstep {

std::string version() {
  std::string v = LOCKSTEP_VERSION;
  const std::string rev = LOCKSTEP_GIT_REVISION;
  if (!rev.empty()) v += " (git " + rev + ")";
  return v;
}

std::string version_line(const std::string& program) {
  return program + " " + version();
}

}  // namespace lockstep
