// A path mapping: where a file the session names under another machine's folder is found
// here ("--map /mnt/show=/Volumes/show"). One type for the session's media matching (net/)
// and the overlay's table and remembered settings (engine/ui).
#pragma once

#include <string>

namespace lockstep {

/// A path starting with `remote` is looked for under `local`.
struct PathMapping {
  std::string remote;
  std::string local;
  bool operator==(const PathMapping&) const = default;
};

}  // namespace lockstep
