// Writes the session fuzz target's seed corpus (tests/fuzz/corpus/session/): scripts
// (session_script.h) that log nodes in and send every message a node can send, sealed, in
// sessions with and without files, password and host-only control; and the ways a login
// goes wrong: a wrong password, garbage and out-of-turn messages before login, a
// disconnect in the middle of the handshake, a raw handshake, many connections at once.
//   lockstep-session-seeds <output folder>
#include <net/protocol/auth.h>
#include <net/protocol/messages.h>
#include <net/transport/channels.h>

#include <climits>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "session_script.h"

namespace {

using namespace lockstep::net;
using fuzz::Script;
namespace fs = std::filesystem;

constexpr std::int64_t kSec = 1'000'000'000;

std::vector<std::uint8_t> encoded(const Message& m) {
  lockstep::Result<std::vector<std::uint8_t>> bytes = encode(m);
  if (!bytes) {
    std::cerr << "cannot encode " << message_name(m) << ": " << bytes.error() << "\n";
    std::exit(1);
  }
  return *bytes;
}

// Sealed messages from a slot's node (after its Login).
Script& send(Script& s, std::uint8_t slot, const Message& m, std::uint8_t channel = kControlChannel) {
  return s.sealed(slot, channel, encoded(m));
}

Command command(std::uint32_t id, CommandType type) { return Command{.command_id = id, .type = type}; }

Script& every_command(Script& s, std::uint8_t slot) {
  std::uint32_t id = 1;
  send(s, slot, command(id++, CommandType::Play));
  s.wait(4);
  send(s, slot, command(id++, CommandType::Pause));
  send(s, slot, Command{.command_id = id++, .type = CommandType::Seek, .position_ns = 4 * kSec});
  send(s, slot, Command{.command_id = id++, .type = CommandType::Step, .frames = 3});
  send(s, slot, Command{.command_id = id++, .type = CommandType::Step, .frames = -10});
  send(s, slot, Command{.command_id = id++, .type = CommandType::Rate, .rate = 2.0});
  send(s, slot, Command{.command_id = id++, .type = CommandType::Loop, .loop = true});
  send(s, slot,
       Command{.command_id = id++, .type = CommandType::LoopRange, .position_ns = 1 * kSec, .loop_out_ns = 3 * kSec});
  send(s, slot, Command{.command_id = id++, .type = CommandType::Load, .media_index = 1});
  send(s, slot, command(id++, CommandType::Play));
  return s.wait(20);
}

MediaReport report(MatchStatus first, MatchStatus second) {
  return MediaReport{{MediaMatch{0, first, "/media/a.mkv", ""}, MediaMatch{1, second, "", "size 1200 != 1300"}}};
}

NodeStatus status() {
  return NodeStatus{.state = NodeState::Playing, .rtt_ns = 2'000'000, .clock_offset_ns = -40'000,
                    .clock_error_bound_ns = 100'000, .sync_error_ns = 300'000, .frame_index = 120,
                    .latency_offset_ns = 20'000'000};
}

struct Seed {
  std::string name;
  Script script;
};

std::vector<Seed> seeds() {
  using namespace fuzz;
  std::vector<Seed> out;
  const std::uint8_t media = kWithMedia;

  {  // One node logs in and sends every command, then every other message a node sends.
    Script s(media);
    s.connect(1).login(1);
    every_command(s, 1);
    send(s, 1, report(MatchStatus::Found, MatchStatus::Missing));
    send(s, 1, Ready{.serial = 3, .ready = true});
    send(s, 1, status(), kStatusChannel);
    send(s, 1, ClockProbe{.seq = 1, .t1_ns = 5 * kSec}, kClockChannel);
    send(s, 1, Bye{"leaving"});
    s.wait(2);
    out.push_back({"login-every-command", s});
  }
  {  // Host-only control: the host's node and another; the other's commands are ignored,
     // the host kicks it and sets a latency offset; it cannot come back.
    Script s(media | kWithHostOnly);
    s.connect(0).login(0, 0).connect(2).login(2, 1);
    every_command(s, 2);
    send(s, 2, Kick{.node_id = 1});
    send(s, 2, LatencyOffset{.node_id = 1, .offset_ns = kSec / 2});
    send(s, 0, LatencyOffset{.node_id = 2, .offset_ns = 5 * kSec});
    send(s, 0, command(7, CommandType::Play));
    send(s, 0, Kick{.node_id = 2});
    s.wait(2).connect(2).login(2, 1).wait(1);
    out.push_back({"host-only-kick", s});
  }
  {  // A node that played on while the server was down restores its state; a second cannot.
    Script s(media);
    s.connect(1).login(1, 0).connect(3).login(3, 1);
    TransportWire t{.anchor_session_ns = 1'000'000 * kSec, .position_ns = 2 * kSec, .rate = 1.0,
                    .paused = false, .serial = 9, .media_index = 1};
    send(s, 1, StateUpdate{0, 0, t});
    t.position_ns = 99 * kSec;
    send(s, 3, StateUpdate{0, 0, t});
    s.wait(30);
    out.push_back({"restore-state", s});
  }
  {  // Ready gating: Play waits for the node that has not pre-rolled, then starts anyway.
    Script s(media);
    s.connect(1).login(1, 0).connect(2).login(2, 1);
    send(s, 1, report(MatchStatus::Found, MatchStatus::Found));
    send(s, 2, report(MatchStatus::Found, MatchStatus::Mismatch));
    send(s, 1, Ready{.serial = 0, .ready = true});
    send(s, 2, command(1, CommandType::Play));
    s.wait(10).wait(60);
    send(s, 2, Ready{.serial = 1, .ready = true});
    send(s, 1, command(2, CommandType::Pause));
    out.push_back({"ready-gating", s});
  }
  {  // Reports a server must refuse: more entries than files, an index repeated, long text.
    Script s(media);
    s.connect(1).login(1);
    send(s, 1, MediaReport{{MediaMatch{0}, MediaMatch{1}, MediaMatch{2}}});
    send(s, 1, MediaReport{{MediaMatch{1}, MediaMatch{1}}});
    send(s, 1, MediaReport{{MediaMatch{0, MatchStatus::Found, std::string(600, 'x'), ""}}});
    send(s, 1, NodeStatus{.latency_offset_ns = -50 * kSec}, kStatusChannel);
    s.wait(30);
    out.push_back({"bad-reports", s});
  }
  {  // A dedicated server (no files yet): commands on an empty list.
    Script s(0);
    s.connect(2).login(2);
    every_command(s, 2);
    send(s, 2, report(MatchStatus::Found, MatchStatus::Found));
    out.push_back({"no-media-commands", s});
  }
  {  // No files: positions and loop ranges as far as they go (a node accepts up to kMaxTimeNs).
    Script s(0);
    s.connect(1).login(1);
    send(s, 1, Command{.command_id = 1, .type = CommandType::LoopRange, .position_ns = 0, .loop_out_ns = INT64_MAX});
    send(s, 1, Command{.command_id = 2, .type = CommandType::Seek, .position_ns = INT64_MAX});
    send(s, 1, Command{.command_id = 3, .type = CommandType::Step, .frames = INT32_MAX});
    send(s, 1, command(4, CommandType::Play));
    s.wait(5);
    send(s, 1, command(5, CommandType::Pause));
    out.push_back({"no-media-extremes", s});
  }
  {  // A second Auth on a connection whose first was refused (its name was taken), after the
     // name's holder left: refused too, never a login with fresh keys.
    Script s(media);
    s.connect(1).login(1, 1).connect(2).login(2, 1).disconnect(1);
    Auth auth;
    auth.client_kx = ConnectionKx::generate().public_key;
    send(s, 2, auth);
    s.wait(2);
    out.push_back({"second-auth-after-reject", s});
  }
  {  // Looping session: loop ranges, in >= out, past the end, a seek far away.
    Script s(media | kWithLoop);
    s.connect(1).login(1);
    send(s, 1, command(1, CommandType::Play));
    send(s, 1, Command{.command_id = 2, .type = CommandType::LoopRange, .position_ns = 8 * kSec, .loop_out_ns = 2 * kSec});
    send(s, 1, Command{.command_id = 3, .type = CommandType::LoopRange, .position_ns = 2 * kSec, .loop_out_ns = 60 * kSec});
    send(s, 1, Command{.command_id = 4, .type = CommandType::Seek, .position_ns = INT64_MAX});
    send(s, 1, Command{.command_id = 5, .type = CommandType::Rate, .rate = 16.0});
    s.wait(200);
    send(s, 1, Command{.command_id = 6, .type = CommandType::Loop, .loop = false});
    send(s, 1, command(7, CommandType::Pause));
    out.push_back({"loop-ranges", s});
  }
  {  // Plays past the end of the file, then turns looping off (it was off), changes the
     // rate and pauses there: every state holds at the last frame.
    Script s(media);
    s.connect(1).login(1);
    send(s, 1, Ready{.serial = 0, .ready = true});
    send(s, 1, command(1, CommandType::Play));
    s.wait(250);
    send(s, 1, Command{.command_id = 2, .type = CommandType::Loop, .loop = false});
    send(s, 1, Command{.command_id = 3, .type = CommandType::Rate, .rate = 0.5});
    send(s, 1, command(4, CommandType::Pause));
    out.push_back({"play-past-end", s});
  }
  {  // The command lead shrinks: a node with a long round trip plays (the lead follows it),
     // leaves, and another pauses at once with the short lead, effective before the play.
    Script s(media);
    s.connect(0, 60).login(0, 0).connect(1).login(1, 1);
    send(s, 0, Ready{.serial = 0, .ready = true});
    send(s, 1, Ready{.serial = 0, .ready = true});
    send(s, 1, command(1, CommandType::Play));
    s.disconnect(0);
    send(s, 1, command(2, CommandType::Pause));
    s.wait(5);
    out.push_back({"lead-shrinks", s});
  }
  {  // Password session: the right password.
    Script s(media | kWithPassword);
    s.connect(1).login(1);
    send(s, 1, command(1, CommandType::Play));
    s.wait(25);
    out.push_back({"password-right", s});
  }
  {  // Password session: wrong passwords until the address must wait, then the right one.
    Script s(media | kWithPassword);
    for (int i = 0; i < 5; ++i) s.connect(2).login(2, 0, kLoginWrongPassword).wait(1);
    s.connect(2).login(2).wait(30).connect(2).login(2, 1).connect(3).login(3, 2, kLoginWrongPassword);
    out.push_back({"password-wrong", s});
  }
  {  // Garbage before login: bytes that are no packet, a Command in the clear, Auth out of
     // turn, a Hello of another version, a Hello with a bad name, then a real login.
    Script s(media);
    s.connect(2);
    const std::vector<std::uint8_t> junk{0x4C, 0x03, 0xFF, 0x00, 0x01, 0x02, 0xDE, 0xAD, 0xBE, 0xEF};
    s.raw(2, 0, junk).raw(2, 7, junk);
    s.raw(2, 0, encoded(command(1, CommandType::Play)));
    s.raw(2, 0, encoded(Auth{}));
    std::vector<std::uint8_t> future = encoded(Hello{.node_name = "from-the-future"});
    future[1] = 9;
    s.raw(2, 0, future);
    s.connect(3).raw(3, 0, encoded(Hello{.node_name = std::string("bad\nname")}));
    s.connect(3).raw(3, 0, encoded(Hello{.node_name = std::string(80, 'n')}));
    s.connect(2).login(2);
    s.raw(2, 0, encoded(command(2, CommandType::Play)));  // unsealed after login: refused
    out.push_back({"garbage-before-login", s});
  }
  {  // Disconnects in the middle of the handshake and right after it; a login that misses
     // its deadline.
    Script s(media);
    s.connect(1).raw(1, 0, encoded(Hello{.node_name = "half"})).disconnect(1);
    s.connect(1).login(1).disconnect(1);
    s.connect(2).raw(2, 0, encoded(Hello{.node_name = "slow"})).wait(110).raw(2, 0, encoded(Auth{}));
    s.connect(2).login(2).wait(2);
    out.push_back({"disconnect-mid-handshake", s});
  }
  {  // A raw handshake: Hello and an Auth with a valid key of its own (no password): logged
     // in with keys the script does not know.
    Script s(media);
    s.connect(3).raw(3, 0, encoded(Hello{.node_name = "raw"}));
    Auth auth;
    auth.client_kx = ConnectionKx::generate().public_key;
    s.raw(3, 0, encoded(auth)).wait(25).connect(1).login(1);
    send(s, 1, command(1, CommandType::Play));
    s.wait(25);
    out.push_back({"raw-handshake", s});
  }
  {  // Many connections from one address, one network and many networks: the caps push the
     // oldest out.
    Script s(media);
    for (std::uint8_t i = 0; i < 40; ++i) s.connect(static_cast<std::uint8_t>(2 + (i / 20)), 1);
    for (std::uint8_t i = 0; i < 70; ++i) s.connect(static_cast<std::uint8_t>(2 + (i & 1)), static_cast<std::uint8_t>(2 + i / 2));
    s.connect(1).login(1).wait(60).wait(60);
    out.push_back({"many-connects", s});
  }
  {  // One name twice: from the same address (the node back, its old connection dropped)
     // and from another (refused: the name is taken).
    Script s(media);
    s.connect(0).login(0, 2).connect(1).login(1, 2).connect(2).login(2, 2).wait(25);
    send(s, 1, command(1, CommandType::Seek));
    out.push_back({"name-in-use", s});
  }
  {  // After login: a second Hello, an Auth, a packet of another version, a server's message.
    Script s(media);
    s.connect(1).login(1);
    send(s, 1, Hello{.node_name = "again"});
    s.connect(2).login(2, 1);
    send(s, 2, Auth{});
    std::vector<std::uint8_t> future = encoded(command(1, CommandType::Play));
    future[1] = 9;
    s.sealed(2, 0, future);
    s.connect(3).login(3, 2);
    send(s, 3, Welcome{});
    send(s, 3, PeerTable{});
    send(s, 3, ClockReply{}, kClockChannel);
    out.push_back({"out-of-turn-after-login", s});
  }
  {  // Observers and many logged-in nodes; the node table; clock probes on every channel.
    Script s(media);
    for (std::uint8_t i = 0; i < 4; ++i) s.connect(i, i).login(i, i, i % 2 ? kLoginObserver : 0);
    for (std::uint8_t i = 0; i < 4; ++i) send(s, i, status(), kStatusChannel);
    send(s, 2, ClockProbe{.seq = 7, .t1_ns = 1}, kClockChannel);
    send(s, 2, ClockProbe{.seq = 8, .t1_ns = 2}, kStatusChannel);
    s.wait(25).disconnect(3).wait(5);
    out.push_back({"table-and-probes", s});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: lockstep-session-seeds <output folder>\n";
    return 2;
  }
  const fs::path dir = argv[1];
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    std::cerr << "cannot create " << dir << ": " << ec.message() << "\n";
    return 1;
  }
  int written = 0;
  for (const Seed& seed : seeds()) {
    const fs::path path = dir / (seed.name + ".script");
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(seed.script.bytes.data()),
              static_cast<std::streamsize>(seed.script.bytes.size()));
    if (!out) {
      std::cerr << "cannot write " << path << "\n";
      return 1;
    }
    ++written;
  }
  std::cout << "wrote " << written << " seeds to " << dir.string() << "\n";
  return 0;
}
