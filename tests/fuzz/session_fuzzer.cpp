// libFuzzer target for the session server's logic (net/session/session_core.h): each input
// is a script of connections, honest logins, raw packets and packets sealed with a logged-in
// node's keys (session_script.h), played against one SessionCore through a recording link
// that behaves as ENet does (handles reused once free, a DISCONNECT after a close). So the
// fuzzer reaches every message handler after login, not only the codec. Invariants (a broken
// one is a finding, __builtin_trap):
//   - the core never sends to, closes or drops a connection that is gone, and holds exactly
//     the connections the transport has;
//   - before Auth a connection gets only a Challenge or a Reject, in the clear; after an
//     honest Auth, only sealed packets that open with the node's keys: first its Welcome or
//     Reject (a wrong password never gets a Welcome; a right one's Welcome proves the server
//     knows it), then only what a server sends, each within what a node accepts
//     (transport_problem, node_name_problem, media_report_problem);
//   - the session's transport state is always one its nodes accept;
//   - a node that is not the host's changes nothing under host-only control and never closes
//     another connection;
//   - connections not logged in stay under ceilings (per address, in all) and within the
//     login deadline; the node table lists logged-in nodes only.
// Built and run by run-fuzz.sh --target session (clang++ only).
#include <arpa/inet.h>

#include <net/protocol/auth.h>
#include <net/protocol/identity.h>
#include <net/protocol/messages.h>
#include <net/protocol/sealer.h>
#include <net/session/session_core.h>
#include <net/session/wire_checks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "fuzz_keys.h"
#include "session_script.h"

namespace {

using namespace lockstep::net;
namespace fz = lockstep::net::fuzz;

void check(bool invariant) {
  if (!invariant) __builtin_trap();
}

bool trace = false;  // LOCKSTEP_FUZZ_LOG=1

const char* op_name(fz::Op op) {
  switch (op) {
    case fz::Op::Connect: return "Connect";
    case fz::Op::Disconnect: return "Disconnect";
    case fz::Op::Raw: return "Raw";
    case fz::Op::Login: return "Login";
    case fz::Op::Sealed: return "Sealed";
    case fz::Op::Wait: return "Wait";
    case fz::Op::kCount: break;
  }
  return "?";
}

/// A wire check's verdict: empty, else the reason is printed and it is a finding.
void check_empty(const std::string& problem, const char* what) {
  if (problem.empty()) return;
  std::fprintf(stderr, "session fuzzer: %s: %s\n", what, problem.c_str());
  __builtin_trap();
}

constexpr uint16_t kHostPort = 40000;
constexpr std::size_t kMaxPacket = 4096;
constexpr int kMaxSteps = 200;
/// Connections the script keeps open at once (above the core's cap on those not logged in).
constexpr std::size_t kMaxConnections = 80;
// The core's limits (session_core.cpp), checked from outside.
// Connections not logged in: ceilings on what the core's caps allow in all and from one
// address (session_core.cpp's caps are tighter; they are tuned there, and a flood must stay
// under these whatever they are).
constexpr std::size_t kMaxPendingPeers = 64;
constexpr std::size_t kMaxPendingPerAddress = 16;
constexpr int64_t kLoginDeadlineNs = 5'000'000'000;
constexpr int64_t kSweepEveryNs = 250'000'000;
constexpr int64_t kNsPerSec = 1'000'000'000;

const KeyBytes kWrongPasswordKey{0x77, 0x72, 0x6F, 0x6E, 0x67};

struct Sent {
  PeerHandle to;
  Channel channel;
  std::vector<uint8_t> bytes;
};

/// The transport as the core sees it; `live` is what ENet holds.
class RecordingLink final : public PeerLink {
 public:
  std::set<PeerHandle> live;
  std::map<PeerHandle, int64_t> rtt_ns;  // as ENet measures it
  std::set<PeerHandle> closing;     // closed by the core: a DISCONNECT follows
  std::vector<PeerHandle> closed;   // every close, in order
  std::vector<Sent> sent;
  void send(PeerHandle peer, Channel channel, std::span<const uint8_t> bytes) override {
    check(live.count(peer) == 1);
    check(channel < kChannelCount);
    check(bytes.size() <= kMaxPacketBytes + 64);
    sent.push_back({peer, channel, {bytes.begin(), bytes.end()}});
  }
  void flush() override {}
  void close(PeerHandle peer) override {
    check(live.count(peer) == 1);
    closing.insert(peer);
    closed.push_back(peer);
  }
  void drop(PeerHandle peer) override {
    check(live.erase(peer) == 1);
    closing.erase(peer);
  }
  void joined(PeerHandle peer) override { check(live.count(peer) == 1); }
  int64_t round_trip_ns(PeerHandle peer) const override {
    check(live.count(peer) == 1);
    return rtt_ns.at(peer);
  }
};

/// What the script knows about one connection.
struct Conn {
  PeerAddress from;
  int64_t connected_ns = 0;
  bool challenged = false;             // a Challenge went out in the clear
  std::optional<Challenge> challenge;  // the latest one (Login answers it)
  bool raw_auth = false;               // a raw Auth after a Challenge: the core may seal with keys we lack
  std::unique_ptr<ConnectionSealer> sealer;  // Login's client keys, from its Auth on
  std::optional<ClientHandshake> client;
  bool wrong_password = false;
  bool awaiting_answer = false;  // Login's Auth sent, no Welcome/Reject yet
  bool welcomed = false;
  bool rejected = false;
};

std::vector<MediaEntry> session_media() {
  MediaEntry a;
  a.name = "a.mkv";
  a.frame_count = 250;
  a.fps_num = 25;
  a.fps_den = 1;
  MediaEntry b = a;
  b.name = "b.mkv";
  b.frame_count = 90;
  b.fps_num = 30000;
  b.fps_den = 1001;
  b.duration_ns = 3'003'000'000;
  return {a, b};
}

const std::shared_ptr<const ServerIdentity>& identity() {
  static const std::shared_ptr<const ServerIdentity> id = [] {
    auto generated = ServerIdentity::generate();
    check(generated.ok());
    return std::make_shared<const ServerIdentity>(std::move(generated.value()));
  }();
  return id;
}

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }
  uint8_t byte() { return pos_ < data_.size() ? data_[pos_++] : 0; }
  std::span<const uint8_t> bytes(std::size_t n) {
    n = std::min(n, data_.size() - std::min(pos_, data_.size()));
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  std::span<const uint8_t> data_;
  std::size_t pos_ = 0;
};

PeerAddress address_of(uint8_t arg) {
  const uint8_t slot = arg & 3, from = arg >> 2;
  PeerAddress a;
  if (slot < 2) {
    a.host = htonl(INADDR_LOOPBACK);
    a.port = slot == 0 ? kHostPort : uint16_t(kHostPort + 1 + from);
  } else {
    a.host = htonl((10u << 24) | (uint32_t(from) << 8) | slot);
    a.port = uint16_t(50000 + slot);
  }
  return a;
}

bool is_host_address(const PeerAddress& a) {
  return a.host == htonl(INADDR_LOOPBACK) && a.port == kHostPort;
}

class Session {
 public:
  explicit Session(uint8_t config) {
    params_.media = (config & fz::kWithMedia) ? session_media() : std::vector<MediaEntry>{};
    params_.control = (config & fz::kWithHostOnly) ? ControlPolicy::HostOnly : ControlPolicy::Anyone;
    params_.loop = (config & fz::kWithLoop) != 0;
    params_.identity = identity();
    password_ = (config & fz::kWithPassword) != 0;
    auto hs = password_ ? lockstep::Result<ServerHandshake>(ServerHandshake::with_key(
                              fz::kSalt, PasswordKey::from_bytes(fz::kPasswordKey), params_.identity))
                        : ServerHandshake::without_password(params_.identity);
    check(hs.ok());
    core_ = std::make_unique<SessionCore>(params_, std::move(hs.value()), link_, [this] { return now_; });
    core_->set_host_client_port(kHostPort);
  }

  void step(fz::Op op, uint8_t arg, Reader& in) {
    now_ += 1'000'000;
    const uint8_t slot = arg % fz::kSlots;
    if (trace) std::fprintf(stderr, "session fuzzer: step %s %u\n", op_name(op), arg);
    switch (op) {
      case fz::Op::Connect: connect(arg); break;
      case fz::Op::Disconnect:
        if (latest_[slot]) disconnect(*latest_[slot]);
        break;
      case fz::Op::Raw:
      case fz::Op::Sealed: {
        const uint8_t channel = in.byte();
        const std::size_t hi = in.byte();
        const std::size_t len = std::min<std::size_t>(hi << 8 | in.byte(), kMaxPacket);
        packet(op, slot, channel, in.bytes(len));
        break;
      }
      case fz::Op::Login: login(arg); break;
      case fz::Op::Wait: {
        now_ += int64_t(arg) * 50'000'000;
        // ENet has sent what the core queued before its closes: their DISCONNECTs arrive.
        const std::set<PeerHandle> closing = link_.closing;
        for (PeerHandle h : closing) disconnect(h);
        break;
      }
      case fz::Op::kCount: break;
    }
    core_->tick();
    settle();
    check_state();
  }

 private:
  void connect(uint8_t arg) {
    if (link_.live.size() >= kMaxConnections) return;
    PeerHandle h = 1;  // ENet reuses a peer slot as soon as it is free
    while (link_.live.count(h)) ++h;
    Conn c;
    c.from = address_of(arg);
    c.connected_ns = now_;
    link_.live.insert(h);
    link_.rtt_ns[h] = int64_t(arg >> 2) * 5'000'000;  // 0..315 ms: the command lead follows the worst
    conns_[h] = std::move(c);
    latest_[arg % fz::kSlots] = h;
    core_->on_connect(h, conns_[h].from);
    settle();
  }

  void disconnect(PeerHandle h) {
    if (!link_.live.erase(h)) return;
    link_.closing.erase(h);
    core_->on_disconnect(h);
    settle();
  }

  void packet(fz::Op op, uint8_t slot, uint8_t channel, std::span<const uint8_t> payload) {
    if (!latest_[slot]) return;
    const PeerHandle h = *latest_[slot];
    Conn& c = conns_.at(h);
    const TransportWire before = core_->transport();
    const std::size_t closes_before = link_.closed.size();
    if (op == fz::Op::Sealed && c.sealer) {
      channel %= kChannelCount;
      const std::vector<uint8_t> sealed = c.sealer->seal(channel, payload);
      if (trace) {
        auto m = decode(payload);
        std::fprintf(stderr, "session fuzzer:   sealed on %u: %s\n", channel, m.ok() ? describe(*m).c_str() : m.error().c_str());
      }
      core_->on_packet(h, sealed, channel, now_);
    } else {
      if (trace) {
        auto m = decode(payload);
        std::fprintf(stderr, "session fuzzer:   raw on %u: %s\n", channel, m.ok() ? describe(*m).c_str() : m.error().c_str());
      }
      if (c.challenged && !c.sealer) {
        auto m = decode(payload);
        if (m.ok() && std::holds_alternative<Auth>(*m)) {
          c.raw_auth = true;
          ++raw_auths_;
        }
      }
      core_->on_packet(h, payload, channel, now_);
    }
    if (!is_host_address(c.from)) {
      // Only the host's node may control a host-only session, or remove others.
      if (params_.control == ControlPolicy::HostOnly) check(core_->transport() == before);
      // ...except its own older connection: a login under a name that a connection from the
      // same address holds replaces it (a node back after a hiccup), never the host's.
      for (std::size_t i = closes_before; i < link_.closed.size(); ++i) {
        const PeerHandle closed = link_.closed[i];
        const auto other = conns_.find(closed);
        check(closed == h || (other != conns_.end() && other->second.from.host == c.from.host &&
                              !is_host_address(other->second.from)));
      }
    }
    settle();
  }

  void login(uint8_t arg) {
    const uint8_t slot = arg % fz::kSlots;
    if (!latest_[slot]) return;
    const PeerHandle h = *latest_[slot];
    if (conns_.at(h).sealer) return;
    const Nonce nonce = random_nonce();
    Hello hello;
    hello.node_name = "node" + std::to_string((arg >> 2) & 3);
    hello.client_nonce = nonce;
    hello.role = (arg & fz::kLoginObserver) ? NodeRole::Observer : NodeRole::Playback;
    const auto hello_bytes = encode(hello);
    check(hello_bytes.ok());
    conns_.at(h).challenge.reset();
    core_->on_packet(h, *hello_bytes, kControlChannel, now_);
    settle();
    if (!conns_.count(h)) return;
    Conn& c = conns_.at(h);
    if (!c.challenge) return;  // refused (kicked, a second Hello, a bad name)
    const bool wrong = password_ && (arg & fz::kLoginWrongPassword);
    const PasswordKey right_key = PasswordKey::from_bytes(fz::kPasswordKey);
    const PasswordKey wrong_key = PasswordKey::from_bytes(kWrongPasswordKey);
    const PasswordKey* key = password_ ? (wrong ? &wrong_key : &right_key) : nullptr;
    auto client = ClientHandshake::answer_with_key(key, nonce, *c.challenge);
    check(client.ok());  // the server's Challenge is signed and asks for what the session needs
    const auto auth = encode(client->auth());
    check(auth.ok());
    c.sealer = std::make_unique<ConnectionSealer>(client->session_keys(), AeadSealer::Side::Client, kChannelCount);
    c.client.emplace(std::move(client).value());
    c.wrong_password = wrong;
    c.awaiting_answer = true;
    core_->on_packet(h, *auth, kControlChannel, now_);
    settle();
    if (conns_.count(h)) check(!conns_.at(h).awaiting_answer);  // an honest Auth is always answered
  }

  /// Checks what the core sent since the last call, then forgets connections it dropped.
  void settle() {
    for (const Sent& s : link_.sent) check_sent(s);
    link_.sent.clear();
    for (auto it = conns_.begin(); it != conns_.end();) {
      if (link_.live.count(it->first)) {
        ++it;
        continue;
      }
      for (auto& l : latest_)
        if (l == it->first) l.reset();
      it = conns_.erase(it);
    }
  }

  void check_sent(const Sent& s) {
    auto found = conns_.find(s.to);
    check(found != conns_.end());
    Conn& c = found->second;
    if (!c.sealer) {
      auto m = decode(s.bytes);
      if (!m.ok()) {
        check(c.raw_auth);  // sealed: only after an Auth
        return;
      }
      if (const auto* challenge = std::get_if<Challenge>(&*m)) {
        check(s.channel == kControlChannel);
        check(challenge->password_required == password_);
        c.challenged = true;
        c.challenge = *challenge;
        return;
      }
      check(std::holds_alternative<Reject>(*m));
      return;
    }
    auto opened = c.sealer->open(s.channel, s.bytes);
    check(opened.ok());  // sealed with the keys both ends agreed
    auto m = decode(*opened);
    check(m.ok());
    if (c.awaiting_answer) {
      c.awaiting_answer = false;
      check(s.channel == kControlChannel);
      if (const auto* welcome = std::get_if<Welcome>(&*m)) {
        check(!c.wrong_password);
        check(c.client->verify_server(welcome->server_proof).ok());
        check(welcome->node_id != 0 && !welcomed_ids_.count(welcome->node_id));
        check_empty(transport_problem(welcome->snapshot.transport, welcome->snapshot.media), "Welcome's state");
        check(welcome->snapshot.media == params_.media);
        check(welcome->snapshot.control_policy == params_.control);
        c.welcomed = true;
        welcomed_ids_.insert(welcome->node_id);
      } else {
        const auto* reject = std::get_if<Reject>(&*m);
        check(reject != nullptr);
        if (c.wrong_password) check(reject->reason == RejectReason::WrongPassword);
        c.rejected = true;
      }
      return;
    }
    if (!c.welcomed) {  // a refused login, closing: a Reject for what it still sends, nothing else
      check(c.rejected && std::holds_alternative<Reject>(*m));
      return;
    }
    if (const auto* update = std::get_if<StateUpdate>(&*m)) {
      check(s.channel == kControlChannel);
      check_empty(transport_problem(update->transport, params_.media), "StateUpdate");
    } else if (const auto* table = std::get_if<PeerTable>(&*m)) {
      check(s.channel == kStatusChannel);
      check_table(table->peers);
    } else if (const auto* offset = std::get_if<LatencyOffset>(&*m)) {
      check(offset->offset_ns >= -kNsPerSec && offset->offset_ns <= kNsPerSec);
    } else {
      check(std::holds_alternative<ClockReply>(*m) || std::holds_alternative<Reject>(*m) ||
            std::holds_alternative<Bye>(*m));
    }
  }

  void check_table(const std::vector<PeerInfo>& rows) {
    check(rows.size() <= welcomed_ids_.size() + raw_auths_);
    std::set<uint32_t> ids;
    for (const PeerInfo& row : rows) {
      check(ids.insert(row.node_id).second);
      if (raw_auths_ == 0) check(welcomed_ids_.count(row.node_id) == 1);
      check_empty(node_name_problem(row.name), "node table name");
      check_empty(media_report_problem(row.media, params_.media.size()), "node table media");
      check(row.status.latency_offset_ns >= -kNsPerSec && row.status.latency_offset_ns <= kNsPerSec);
    }
  }

  void check_state() {
    check(core_->connection_count() == link_.live.size());
    // Connections that surely have not logged in: within the caps and the deadline.
    std::map<uint32_t, std::size_t> pending;
    std::size_t total = 0;
    for (const auto& [h, c] : conns_) {
      if (c.welcomed || c.raw_auth) continue;
      ++pending[c.from.host];
      ++total;
      check(now_ - c.connected_ns <= kLoginDeadlineNs + kSweepEveryNs);
    }
    check(total <= kMaxPendingPeers);
    for (const auto& [address, n] : pending) check(n <= kMaxPendingPerAddress);
    check_empty(transport_problem(core_->transport(), params_.media), "the session's state");
    check_table(core_->peers());
  }

  SessionServerParams params_;
  bool password_ = false;
  int64_t now_ = 1'000'000'000'000;
  RecordingLink link_;
  std::unique_ptr<SessionCore> core_;
  std::map<PeerHandle, Conn> conns_;  // the connections ENet holds (link_.live)
  std::array<std::optional<PeerHandle>, fz::kSlots> latest_;
  std::set<uint32_t> welcomed_ids_;  // every node id a Login saw welcomed
  std::size_t raw_auths_ = 0;        // raw Auths the script sent after a Challenge
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // LOCKSTEP_FUZZ_LOG=1: the core's log (debug level), to follow one input.
  const char* log = std::getenv("LOCKSTEP_FUZZ_LOG");
  trace = log && *log == '1';
  spdlog::set_level(trace ? spdlog::level::debug : spdlog::level::off);
  check(init_crypto().ok());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  Reader in({data, size});
  Session session(in.byte());
  for (int steps = 0; !in.done() && steps < kMaxSteps; ++steps) {
    const auto op = fz::Op(in.byte() % fz::kOpCount);
    const uint8_t arg = in.byte();
    session.step(op, arg, in);
  }
  return 0;
}
