#include "tools/node/ui_presenter.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace lockstep {

using namespace lockstep::net;

const char* state_words(NodeState s) {
  switch (s) {
    case NodeState::Connecting: return "connecting";
    case NodeState::Loading: return "loading";
    case NodeState::Ready: return "ready";
    case NodeState::Playing: return "playing";
    case NodeState::Buffering: return "buffering";
    case NodeState::Behind: return "behind";
    case NodeState::MissingMedia: return "missing media";
    case NodeState::Reconnecting: return "reconnecting";
  }
  return "?";
}

const char* match_words(MatchStatus s) {
  switch (s) {
    case MatchStatus::Found: return "found";
    case MatchStatus::Missing: return "missing";
    case MatchStatus::Mismatch: return "mismatch";
  }
  return "?";
}

// The listening addresses as invite links, with what the router said (when it was asked).
ui::ListenAddresses with_reachability(ui::ListenAddresses a, const PortMapper* mapper, int port,
                                      const std::string& fingerprint) {
  if (mapper) {
    const Reachability r = mapper->now();
    std::string words = r.words();
    if (!words.empty()) words[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(words[0])));
    a.reachability = words;
    if (r.reachable()) a.addresses.insert(a.addresses.begin(), r.external_ip + ":" + std::to_string(r.external_port));
  }
  a.invites.clear();
  for (std::string& address : a.addresses) {
    const auto colon = address.rfind(':');
    const std::string host = address.substr(0, colon);
    const int p = colon == std::string::npos ? port : std::atoi(address.c_str() + colon + 1);
    a.invites.push_back(invite_link(host, p, fingerprint));
    address = "lockstep://" + host + ":" + std::to_string(p);
  }
  return a;
}

LinkFacts link_facts(const Link& L) {
  LinkFacts f;
  const SessionClient& c = *L.client;
  f.hosting = L.server != nullptr;
  f.fingerprint = L.server ? L.server->fingerprint() : c.server_fingerprint();
  if (L.server) {
    f.server_status = L.server->status_line();
    f.server_port = L.server->port();
    f.addresses = with_reachability(L.addresses, L.mapper.get(), f.server_port, f.fingerprint);
  }
  f.phase = c.phase();
  f.client_status = c.status_line();
  f.client_retry_reason = c.retry_reason();
  f.self_id = c.node_id();
  f.snapshot = L.snapshot;
  f.have_state = L.have_state;
  f.media_index = L.state.media_index;
  f.matches = L.matches;
  f.peers = L.server ? L.server->peers() : c.peers();
  return f;
}

void SyncHistory::sample(const std::vector<PeerInfo>& peers) {
  // Only the nodes in the table: those that left (or a flood of made-up ids) are forgotten.
  std::erase_if(series_, [&](const auto& kv) {
    return std::none_of(peers.begin(), peers.end(), [&](const auto& p) { return p.node_id == kv.first; });
  });
  for (const auto& peer : peers) {
    Series& s = series_[peer.node_id];
    s.name = peer.name;
    s.ms.push_back(float(double(peer.status.sync_error_ns) / 1e6));
    if (s.ms.size() > kSamples) s.ms.erase(s.ms.begin());
  }
}

std::vector<ui::SyncSeries> SyncHistory::series() const {
  std::vector<ui::SyncSeries> out;
  for (const auto& [id, s] : series_) out.push_back({id, s.name, s.ms});
  return out;
}

ui::UiSnapshot present(const NodeFacts& n, const std::optional<LinkFacts>& link, const SyncHistory& sync) {
  ui::UiSnapshot u;
  u.lan = n.lan;
  u.lan_problem = n.lan_problem;
  if (n.player) {
    const PlayerSnapshot& ps = *n.player;
    ui::TransportView& t = u.transport;
    t.paused = ps.paused;
    t.frame_index = std::max<int64_t>(0, ps.frame_index);
    t.frame_count = ps.frame_count;
    t.fps = ps.fps;
    t.rate = ps.rate;
    t.loop = ps.loop;
    t.loop_in = ps.loop_in;
    t.loop_out = ps.loop_out;
    t.dropped = ps.dropped;
    t.repeated = ps.repeated;
    t.decoder = ps.decoder;
    t.audio = ps.audio;
    t.file = ps.path;
    t.can_control = n.can_control;
    t.control_reason = n.control_reason;
  }
  u.mappings = n.mappings;
  ui::LinkView& lv = u.link;
  lv.role = n.role;
  lv.error = n.link_error;
  lv.server_command = "lockstep serve --port " + std::to_string(n.default_port) + " [--password-file FILE] [MEDIA...]";
  if (!link) {
    lv.phase = n.link_error.empty() ? ui::LinkPhase::Idle : ui::LinkPhase::Failed;
    lv.status_line = n.link_error.empty() ? "Not in a session: playing on its own" : n.link_error;
    return u;
  }
  const LinkFacts& L = *link;
  u.is_server = L.hosting;
  lv.fingerprint = L.fingerprint;
  if (L.hosting) {
    lv.phase = ui::LinkPhase::Listening;
    lv.status_line = L.server_status;
    lv.port = L.server_port;
    lv.addresses = L.addresses.addresses;
    lv.reachability = L.addresses.reachability;
    lv.invites = L.addresses.invites;
  } else {
    switch (L.phase) {
      case ClientPhase::Connecting:
      case ClientPhase::Authenticating: lv.phase = ui::LinkPhase::Connecting; break;
      case ClientPhase::Connected: lv.phase = ui::LinkPhase::Connected; break;
      case ClientPhase::Reconnecting: lv.phase = ui::LinkPhase::Reconnecting; break;
      case ClientPhase::Failed: lv.phase = ui::LinkPhase::Failed; break;
    }
    lv.status_line = L.client_status;
    if (lv.phase == ui::LinkPhase::Connecting) lv.problem = L.client_retry_reason;
  }
  if (L.snapshot) {
    u.lead_ms = double(L.snapshot->lead_ns) / 1e6;
    for (size_t i = 0; i < L.snapshot->media.size(); ++i) {
      ui::MediaRow row;
      row.name = L.snapshot->media[i].name;
      row.current = L.have_state && L.media_index == i;
      if (i < L.matches.size()) {
        row.status = match_words(L.matches[i].status);
        row.detail = L.matches[i].status == MatchStatus::Found ? L.matches[i].local_path : L.matches[i].detail;
      }
      u.media.push_back(row);
    }
  }
  for (const auto& peer : L.peers) {
    ui::PeerRow r;
    r.id = peer.node_id;
    r.name = peer.name;
    r.address = peer.address;
    r.state = state_words(peer.status.state);
    r.rtt_ms = double(peer.status.rtt_ns) / 1e6;
    r.clock_offset_ms = double(peer.status.clock_offset_ns) / 1e6;
    r.clock_uncertainty_ms = double(peer.status.clock_uncertainty_ns) / 1e6;
    r.sync_error_ms = double(peer.status.sync_error_ns) / 1e6;
    r.dropped = peer.status.dropped;
    r.repeated = peer.status.repeated;
    for (const auto& m : peer.media) r.media.push_back(match_words(m.status));
    r.self = peer.node_id == L.self_id;
    r.latency_offset_ms = double(peer.status.latency_offset_ns) / 1e6;
    u.peers.push_back(r);
  }
  u.sync = sync.series();
  return u;
}

}  // namespace lockstep
