// libFuzzer target for the session client's logic (net/session/session_client.h, an offline
// client: no network, no thread): each input is a hostile server's side of one connection.
// The fuzzer answers the client's Hello with a real signed Challenge when the input asks for
// an honest login, agrees the keys from its Auth, and then plays the input's records against
// the client: messages sealed with the server's keys (so that every handler after login is
// reached), raw datagrams, replays, and Welcomes with the right proof around fuzzed contents.
// Invariants (a broken one is a finding, __builtin_trap):
//   - the client takes a state only after a Welcome, and only one its transport accepts
//     (transport_problem); the Welcome's state too;
//   - after the client gave up (Failed) it sends nothing more;
//   - everything it sends after its Auth opens with the connection's keys, in order;
//   - the node table it shows holds printable names of bounded length and media lists no
//     longer than the session's;
//   - a latency offset from the server is within ±1 s;
//   - the only files it looks at are in its media folder (no absolute, no "..", no server
//     path): a hostile server learns nothing of the node's disk.
// Built and run by run-fuzz.sh --target client (clang++ only).
#include <net/protocol/auth.h>
#include <net/protocol/identity.h>
#include <net/protocol/messages.h>
#include <net/protocol/sealer.h>
#include <net/session/session_client.h>
#include <net/session/wire_checks.h>
#include <net/transport/channels.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace lockstep;
using namespace lockstep::net;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

const std::shared_ptr<const ServerIdentity>& identity() {
  static const std::shared_ptr<const ServerIdentity> id = [] {
    auto generated = ServerIdentity::generate();
    check(generated.ok());
    return std::make_shared<const ServerIdentity>(std::move(generated.value()));
  }();
  return id;
}

/// The node's media folder: one real (empty) file, found by name.
const std::string& media_dir() {
  static const std::string dir = [] {
    const std::string d = std::filesystem::temp_directory_path().string() + "/lockstep-client-fuzz-" + std::to_string(getpid());
    std::filesystem::create_directories(d);
    std::ofstream(d + "/clip.mp4") << "x";
    return d;
  }();
  return dir;
}

/// Reads the input as records.
struct Reader {
  const uint8_t* p;
  size_t n;
  bool empty() const { return n == 0; }
  uint8_t byte() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  std::vector<uint8_t> bytes(size_t want) {
    want = std::min(want, n);
    std::vector<uint8_t> out(p, p + want);
    p += want;
    n -= want;
    return out;
  }
};

struct Run {
  std::vector<std::pair<uint8_t, std::vector<uint8_t>>> sent;
  bool welcomed = false;
  std::vector<MediaEntry> media;  // the session's, from the Welcome the client accepted
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)quiet;
  Reader in{data, size};
  const uint8_t flags = in.byte();
  Run run;

  SessionClientParams params;
  params.server = Endpoint{"127.0.0.1", 7450};
  params.name = "fuzz-node";
  params.rules.media_dirs = {media_dir()};
  if (flags & 2) params.rules.mappings.push_back(PathMapping{"/srv/show", media_dir()});
  params.rules.share_details = (flags & 4) != 0;
  params.probe = [](const std::string& path) -> Result<MediaEntry> {
    // Only its own folder, only plain names in it.
    check(path.rfind(media_dir() + "/", 0) == 0);
    check(path.find("/..") == std::string::npos && path.find("../") == std::string::npos);
    MediaEntry e;
    e.name = std::filesystem::path(path).filename().string();
    e.path = path;
    e.size_bytes = 1;
    return e;
  };
  SessionEvents events;
  events.on_welcome = [&run](const SessionSnapshot& snapshot, const std::vector<MediaMatch>& matches) {
    check(transport_problem(snapshot.transport, snapshot.media).empty());
    check(matches.size() == snapshot.media.size());
    run.welcomed = true;
    run.media = snapshot.media;
  };
  events.on_state = [&run](const TransportWire& t) {
    check(run.welcomed);
    check(transport_problem(t, run.media).empty());
  };
  events.on_latency_offset = [](int64_t ns) { check(ns >= -1'000'000'000 && ns <= 1'000'000'000); };
  bool failed = false;
  std::unique_ptr<SessionClient> client;
  auto made = SessionClient::offline(params, events, [&](uint8_t channel, std::vector<uint8_t> bytes) {
    check(!failed);
    run.sent.emplace_back(channel, std::move(bytes));
  });
  check(made.ok());
  client = std::move(made.value());
  check(run.sent.size() == 1);
  auto hello = decode(run.sent[0].second);
  check(hello.ok() && std::holds_alternative<Hello>(*hello));
  const Nonce client_nonce = std::get<Hello>(*hello).client_nonce;

  // An honest server's answer, when asked: a signed Challenge, the Auth, the keys.
  std::unique_ptr<ConnectionSealer> server;  // the server's side of the connection
  std::optional<ServerHandshake> hs;
  ConnectionKx kx;
  const Nonce server_nonce{0x5E, 0x4F, 0xE4};
  std::optional<Proof> proof;
  size_t read_sent = 1;  // what the client sent that the fuzzer has looked at
  if (flags & 1) {
    auto h = ServerHandshake::without_password(identity());
    check(h.ok());
    hs.emplace(std::move(h.value()));
    kx = ConnectionKx::generate();
    const auto challenge = encode(hs->challenge(client_nonce, server_nonce, kx));
    check(challenge.ok());
    client->receive(*challenge, kControlChannel);
    check(run.sent.size() == 2);  // its Auth, in the clear
    auto auth = decode(run.sent[1].second);
    check(auth.ok() && std::holds_alternative<Auth>(*auth));
    auto keys = hs->agree(kx, std::get<Auth>(*auth));
    check(keys.ok());
    auto p = hs->verify(client_nonce, server_nonce, kx, std::get<Auth>(*auth), *keys);
    check(p.ok());
    proof = *p;
    server = std::make_unique<ConnectionSealer>(*keys, AeadSealer::Side::Server, kChannelCount);
    read_sent = 2;
  }

  // What it sent since it was last looked at: after its Auth, everything opens with the
  // connection's keys, in order, and decodes.
  std::vector<Message> from_client;
  auto drain = [&] {
    for (; read_sent < run.sent.size(); ++read_sent) {
      if (!server) continue;
      auto opened = server->open(run.sent[read_sent].first, run.sent[read_sent].second);
      check(opened.ok());
      auto m = decode(*opened);
      check(m.ok());
      from_client.push_back(std::move(m.value()));
    }
  };
  std::vector<uint8_t> last_sealed;
  uint8_t last_channel = 0;
  while (!in.empty()) {
    const uint8_t op = in.byte();
    const uint8_t channel = uint8_t((op >> 2) % kChannelCount);
    const size_t len = size_t(in.byte()) | (size_t(in.byte()) << 8);
    std::vector<uint8_t> body = in.bytes(len);
    switch (op & 3) {
      case 0:  // a message sealed with the connection's keys (raw datagram when there are none)
        if (server) {
          last_sealed = server->seal(channel, body);
          last_channel = channel;
          client->receive(last_sealed, channel);
        } else {
          client->receive(body, channel);
        }
        break;
      case 1:  // a datagram as it comes, never sealed
        client->receive(body, channel);
        break;
      case 2:  // the client's timed work, and an answer to its probe; or a replay
        if (op & 0x80) {
          client->poll();
          drain();
          // Answer the newest probe it sent, with the server's times from the input.
          for (size_t k = from_client.size(); server && k-- > 0;) {
            const auto* probe = std::get_if<ClockProbe>(&from_client[k]);
            if (!probe) continue;
            const ClockProbe pr = *probe;
            int64_t t2 = 0, t3 = 0;
            if (!body.empty()) std::memcpy(&t2, body.data(), std::min<size_t>(8, body.size()));
            if (body.size() > 8) std::memcpy(&t3, body.data() + 8, std::min<size_t>(8, body.size() - 8));
            auto reply = encode(ClockReply{pr.seq, (op & 0x40) ? t2 : pr.t1_ns, t2, t3});
            if (reply.ok()) client->receive(server->seal(kClockChannel, *reply), kClockChannel);
            break;
          }
          break;
        }
        if (!last_sealed.empty()) {  // the last sealed datagram again (a replay), or with one byte changed
          std::vector<uint8_t> again = last_sealed;
          if (!body.empty()) again[body[0] % again.size()] ^= uint8_t(body.size() | 1);
          client->receive(again, last_channel);
        }
        break;
      case 3: {  // a Welcome with the right proof around fuzzed contents
        if (!server || !proof) break;
        Welcome w;
        auto decoded = decode(body);
        if (decoded.ok()) {
          if (auto* fw = std::get_if<Welcome>(&*decoded)) w = *fw;
          else if (auto* su = std::get_if<StateUpdate>(&*decoded)) w.snapshot.transport = su->transport;
        }
        if (op & 0x80) {  // a hostile media list: names that try to leave the media folder
          MediaEntry e;
          e.name = (op & 0x40) ? "../../etc/passwd" : "clip.mp4";
          e.path = (op & 0x20) ? "/srv/show/../../etc/shadow" : "/srv/show/clip.mp4";
          w.snapshot.media.push_back(e);
        }
        w.server_proof = *proof;
        auto bytes = encode(w);
        if (!bytes.ok()) break;
        last_sealed = server->seal(kControlChannel, *bytes);
        last_channel = kControlChannel;
        client->receive(last_sealed, kControlChannel);
        break;
      }
    }
    if (client->phase() == ClientPhase::Failed) failed = true;
    drain();
    // The node table it would show.
    for (const auto& row : client->peers()) {
      check(row.name.size() <= kMaxNodeNameBytes * 4 + 8);
      check(row.name.find('\n') == std::string::npos && row.name.find('\x1b') == std::string::npos);
      check(row.media.size() <= run.media.size());
    }
  }
  return 0;
}
