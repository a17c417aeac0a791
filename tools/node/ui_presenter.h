// What the overlay shows, as a pure function of what the node knows: the player's
// snapshot, the link (gathered by link_facts() from the server and client, or written by a
// test), the path mappings and the sync history. NodeApp builds it every refresh for the
// panels and the `--ui-state` file; tests build it from made-up facts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "net/protocol/messages.h"
#include "net/session/media_match.h"
#include "player/player.h"
#include "tools/node/session_link.h"
#include "tools/node/overlay/ui_model.h"

namespace lockstep {

/// The link as the overlay shows it (plain data).
struct LinkFacts {
  bool hosting = false;
  std::string fingerprint;
  // Hosting: the server's own line, port and addresses.
  std::string server_status;
  int server_port = 0;
  ui::ListenAddresses addresses;
  // A client (the host's own node too).
  net::ClientPhase phase = net::ClientPhase::Connecting;
  std::string client_status;
  std::string client_retry_reason;  // why the last connect attempt failed (it tries again)
  uint32_t self_id = 0;
  std::optional<net::SessionSnapshot> snapshot;
  bool have_state = false;
  uint32_t media_index = 0;
  std::vector<net::MediaMatch> matches;
  std::vector<net::PeerInfo> peers;
};
/// Gathers the facts from a live link (main thread).
LinkFacts link_facts(const Link& link);

/// What the node knows beside the link.
struct NodeFacts {
  std::optional<PlayerSnapshot> player;
  bool can_control = true;
  std::string control_reason;
  std::vector<net::PathMapping> mappings;
  ui::NetRole role = ui::NetRole::Client;
  std::string link_error;  // the last link's error, shown until the next one
  int default_port = 0;
  std::vector<ui::LanRow> lan;  // sessions announced on this network
  std::string lan_problem;
};

/// Each node's sync error over the last minute (two samples a second), by node id.
class SyncHistory {
 public:
  static constexpr size_t kSamples = 120;
  /// Adds one sample per node of `peers`; nodes no longer listed are forgotten.
  void sample(const std::vector<net::PeerInfo>& peers);
  void clear() { series_.clear(); }
  std::vector<ui::SyncSeries> series() const;

 private:
  struct Series {
    std::string name;
    std::vector<float> ms;
  };
  std::map<uint32_t, Series> series_;
};

ui::UiSnapshot present(const NodeFacts& node, const std::optional<LinkFacts>& link, const SyncHistory& sync);

const char* state_words(net::NodeState s);
const char* match_words(net::MatchStatus s);

}  // namespace lockstep
