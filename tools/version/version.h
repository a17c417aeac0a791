// The project's version ("0.1.0") and, when built from a git checkout, the revision it was
// built from ("0.1.0 (git c80acf0)", "-dirty" with uncommitted changes). Every program's
// --version prints version_line(); man pages are generated from it (help2man).
#pragma once

#include <string>

namespace lockstep {

/// "0.1.0", or "0.1.0 (git c80acf0)" from a checkout.
std::string version();
/// "PROGRAM 0.1.0 (git c80acf0)".
std::string version_line(const std::string& program);

}  // namespace lockstep
