#include "sample_messages.h"

#include <limits>

namespace lockstep::net::test {
namespace {

constexpr std::int64_t kI64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kI64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int32_t kI32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t kI32Max = std::numeric_limits<std::int32_t>::max();
constexpr std::uint32_t kU32Max = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();

template <std::size_t N>
std::array<std::uint8_t, N> counting_bytes(std::uint8_t start) {
  std::array<std::uint8_t, N> bytes{};
  for (std::size_t i = 0; i < N; ++i) bytes[i] = static_cast<std::uint8_t>(start + i);
  return bytes;
}

template <std::size_t N>
std::array<std::uint8_t, N> filled(std::uint8_t value) {
  std::array<std::uint8_t, N> bytes{};
  bytes.fill(value);
  return bytes;
}

TransportWire typical_transport() {
  return TransportWire{.anchor_session_ns = 1'234'567'890'123,
                       .position_ns = 41'708'333,
                       .rate = 1.0,
                       .paused = false,
                       .loop = true,
                       .serial = 17,
                       .media_index = 2,
                       .loop_in_ns = 1'000'000'000,
                       .loop_out_ns = 2'002'000'000};
}

TransportWire extreme_transport() {
  return TransportWire{.anchor_session_ns = kI64Min,
                       .position_ns = kI64Max,
                       .rate = std::numeric_limits<double>::lowest(),
                       .paused = true,
                       .loop = true,
                       .serial = kU32Max,
                       .media_index = kU32Max,
                       .loop_in_ns = kI64Min,
                       .loop_out_ns = kI64Max};
}

MediaEntry typical_media_entry(int i) {
  return MediaEntry{.name = "shot_" + std::to_string(i) + ".mov",
                    .path = "/mnt/projects/review/shot_" + std::to_string(i) + ".mov",
                    .size_bytes = 734'003'200,
                    .duration_ns = 10'010'000'000,
                    .fps_num = 24000,
                    .fps_den = 1001,
                    .frame_count = 240,
                    .quick_hash = counting_bytes<16>(static_cast<std::uint8_t>(i))};
}

NodeStatus typical_status() {
  return NodeStatus{.state = NodeState::Playing,
                    .rtt_ns = 812'000,
                    .clock_offset_ns = -3'512'000'123,
                    .clock_error_bound_ns = 406'000,
                    .sync_error_ns = -150'000,
                    .frame_index = 1234,
                    .dropped = 1,
                    .repeated = 0};
}

NodeStatus extreme_status() {
  return NodeStatus{.state = NodeState::Reconnecting,
                    .rtt_ns = kI64Max,
                    .clock_offset_ns = kI64Min,
                    .clock_error_bound_ns = kI64Max,
                    .sync_error_ns = kI64Min,
                    .frame_index = kI64Max,
                    .dropped = kI64Max,
                    .repeated = kI64Min};
}

MediaMatch typical_match(std::uint32_t index) {
  return MediaMatch{.media_index = index,
                    .status = MatchStatus::Found,
                    .local_path = "/home/artist/review/shot_" + std::to_string(index) + ".mov",
                    .detail = "path mapping /mnt/projects -> /home/artist"};
}

std::vector<SampleMessage> typical_list() {
  std::vector<SampleMessage> out;
  auto add = [&out](Message m) {
    out.push_back({std::string("typical-") + message_name(m), std::move(m)});
  };
  add(Hello{.node_name = "projector-left",
            .client_nonce = counting_bytes<32>(1),
            .role = NodeRole::Playback});
  add(Challenge{.salt = counting_bytes<16>(100),
                .server_nonce = counting_bytes<32>(40),
                .password_required = true});
  add(Auth{.proof = counting_bytes<32>(7)});
  Welcome welcome{.node_id = 3, .server_proof = counting_bytes<32>(9)};
  welcome.snapshot.transport = typical_transport();
  welcome.snapshot.media = {typical_media_entry(0), typical_media_entry(1), typical_media_entry(2)};
  welcome.snapshot.control_policy = ControlPolicy::HostOnly;
  welcome.snapshot.lead_ns = 120'000'000;
  add(welcome);
  add(Reject{.reason = RejectReason::WrongPassword, .detail = "wrong password"});
  add(ClockProbe{.seq = 42, .t1_ns = 987'654'321'000});
  add(ClockReply{
      .seq = 42, .t1_ns = 987'654'321'000, .t2_ns = 5'000'000'100, .t3_ns = 5'000'012'300});
  add(Command{.command_id = 7, .type = CommandType::Seek, .position_ns = 2'002'000'000});
  add(StateUpdate{.command_id = 7, .issuer_node_id = 3, .transport = typical_transport()});
  add(MediaReport{.matches = {typical_match(0), typical_match(1),
                              MediaMatch{.media_index = 2,
                                         .status = MatchStatus::Missing,
                                         .detail = "not found in /home/artist/review"}}});
  add(Ready{.serial = 17, .ready = true});
  add(typical_status());
  PeerTable table;
  table.peers.push_back(PeerInfo{.node_id = 1,
                                 .name = "host",
                                 .address = "10.0.0.1:7450",
                                 .status = typical_status(),
                                 .media = {typical_match(0)}});
  table.peers.push_back(PeerInfo{.node_id = 3,
                                 .name = "projector-left",
                                 .address = "10.0.0.7:53012",
                                 .status = typical_status(),
                                 .media = {typical_match(0), typical_match(1)}});
  add(table);
  add(Kick{.node_id = 3});
  add(LatencyOffset{.node_id = 3, .offset_ns = 33'000'000});
  add(Bye{.reason = "user quit"});
  return out;
}

std::vector<SampleMessage> extreme_list() {
  std::vector<SampleMessage> out;
  auto add = [&out](const std::string& what, Message m) {
    out.push_back({std::string("extreme-") + message_name(m) + (what.empty() ? "" : "-" + what),
                   std::move(m)});
  };
  const std::string longest = every_byte_string(kMaxStringBytes);

  add("", Hello{.protocol_version = 0xFFFF,
                .node_name = longest,
                .client_nonce = filled<32>(0xFF),
                .role = NodeRole::Observer});
  add("empty", Hello{.protocol_version = 0, .node_name = "", .client_nonce = filled<32>(0)});
  add("", Challenge{
              .salt = filled<16>(0xFF), .server_nonce = filled<32>(0), .password_required = false});
  add("", Auth{.proof = filled<32>(0xFF)});

  // Welcome with the longest names and paths, as many as fit in one packet.
  Welcome wide{.node_id = kU32Max, .server_proof = filled<32>(0xFF)};
  wide.snapshot.transport = extreme_transport();
  for (int i = 0; i < 20; ++i) {
    wide.snapshot.media.push_back(MediaEntry{.name = longest,
                                             .path = longest,
                                             .size_bytes = kU64Max,
                                             .duration_ns = kI64Max,
                                             .fps_num = kI32Max,
                                             .fps_den = kI32Min,
                                             .frame_count = kI64Min,
                                             .quick_hash = filled<16>(0xFF)});
  }
  wide.snapshot.control_policy = ControlPolicy::HostOnly;
  wide.snapshot.lead_ns = kI64Min;
  add("long-strings", wide);
  // Welcome with the most media entries a list may have.
  Welcome many{.node_id = 0};
  many.snapshot.media.resize(kMaxListItems);
  many.snapshot.transport.rate = -0.0;
  add("max-list", many);

  add("",
      Reject{.reason = RejectReason::ShuttingDown, .server_version = 0xFFFF, .detail = longest});
  add("", ClockProbe{.seq = kU32Max, .t1_ns = kI64Min});
  add("", ClockReply{.seq = kU32Max, .t1_ns = kI64Max, .t2_ns = kI64Min, .t3_ns = -1});
  add("", Command{.command_id = kU32Max,
                  .type = CommandType::Load,
                  .position_ns = kI64Min,
                  .frames = kI32Min,
                  .rate = std::numeric_limits<double>::denorm_min(),
                  .loop = true,
                  .media_index = kU32Max,
                  .loop_out_ns = kI64Max});
  add("loop-range", Command{.command_id = 8,
                            .type = CommandType::LoopRange,
                            .position_ns = 1'001'000'000,
                            .loop_out_ns = 2'002'000'000});
  add("max-rate", Command{.command_id = 1,
                          .type = CommandType::Rate,
                          .frames = kI32Max,
                          .rate = std::numeric_limits<double>::max()});
  add("", StateUpdate{
              .command_id = kU32Max, .issuer_node_id = kU32Max, .transport = extreme_transport()});

  MediaReport report;
  report.matches.resize(kMaxListItems);
  for (std::size_t i = 0; i < report.matches.size(); ++i) {
    report.matches[i].media_index = static_cast<std::uint32_t>(i);
    report.matches[i].status = static_cast<MatchStatus>(i % 3);
  }
  report.matches.back().local_path = longest;
  report.matches.back().detail = longest;
  add("max-list", report);
  add("", Ready{.serial = kU32Max, .ready = false});
  add("", extreme_status());

  PeerTable wide_table;
  for (std::uint32_t i = 0; i < 10; ++i) {
    PeerInfo peer{
        .node_id = kU32Max - i, .name = longest, .address = longest, .status = extreme_status()};
    peer.media.push_back(MediaMatch{.media_index = kU32Max,
                                    .status = MatchStatus::Mismatch,
                                    .local_path = longest,
                                    .detail = longest});
    wide_table.peers.push_back(peer);
  }
  add("long-strings", wide_table);
  // As many minimal peers as one packet holds (the list bound itself does not fit).
  constexpr std::size_t kMinPeerBytes = 4 + 2 + 2 + (1 + 9 * 8) + 2;
  PeerTable long_table;
  long_table.peers.resize((kMaxPacketBytes - kPacketHeaderBytes - 2) / kMinPeerBytes);
  add("most-peers", long_table);

  add("", Kick{.node_id = kU32Max});
  add("", LatencyOffset{.node_id = kU32Max, .offset_ns = INT64_MIN});
  add("", Bye{.reason = longest});
  add("empty", Bye{});
  return out;
}

}  // namespace

std::string every_byte_string(std::size_t length) {
  std::string s(length, '\0');
  for (std::size_t i = 0; i < length; ++i) s[i] = static_cast<char>(i & 0xFF);
  return s;
}

std::vector<SampleMessage> typical_messages() { return typical_list(); }
std::vector<SampleMessage> extreme_messages() { return extreme_list(); }

std::vector<SampleMessage> all_sample_messages() {
  std::vector<SampleMessage> all = typical_messages();
  for (SampleMessage& m : extreme_messages()) all.push_back(std::move(m));
  return all;
}

}  // namespace lockstep::net::test
