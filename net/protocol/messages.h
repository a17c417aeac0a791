// The control-channel messages: one plain struct per message, each listing its fields once
// in `fields(v)`. One generic encoder and one decoder (codec.cpp) drive every message
// through that list, so adding a message is one struct here plus one line in `Message`.
//
// Wire format (docs/protocol.md): little-endian; a packet is
//   [u8 magic 0x4C 'L'][u8 protocol version][u8 message type][payload = fields in order]
// Field encodings: integers fixed width; bool one byte 0/1; double its IEEE-754 bits as u64
// (finite values only); enums one byte; string u16 byte length + bytes (≤ kMaxStringBytes);
// std::array<uint8_t, N> N raw bytes; std::vector<T> u16 count (≤ kMaxListItems) + items;
// nested field structs inline.
//
// Thread safety: all functions are pure and may be called from any thread.
#pragma once

#include <core/result.h>
#include <net/protocol_version.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace lockstep::net {

/// First byte of every packet ('L').
inline constexpr std::uint8_t kPacketMagic = 0x4C;
/// Magic, version, message type.
inline constexpr std::size_t kPacketHeaderBytes = 3;
/// Largest packet the decoder accepts and the encoder produces, header included.
inline constexpr std::size_t kMaxPacketBytes = 64 * 1024;
/// Longest string field, in bytes (not characters; content is not validated as UTF-8,
/// because file paths need not be).
inline constexpr std::size_t kMaxStringBytes = 1024;
/// Most items in a list field.
inline constexpr std::size_t kMaxListItems = 1024;

using Nonce = std::array<std::uint8_t, 32>;
using Salt = std::array<std::uint8_t, 16>;
using Proof = std::array<std::uint8_t, 32>;
using QuickHash = std::array<std::uint8_t, 16>;
using KxPublicKey = std::array<std::uint8_t, 32>;    ///< an ephemeral X25519 public key
using SignPublicKey = std::array<std::uint8_t, 32>;  ///< a server's Ed25519 public key
using Signature = std::array<std::uint8_t, 64>;      ///< an Ed25519 signature

// ---- Enums (one byte on the wire; values are contiguous from 0; appending a value is a
// layout change and bumps kProtocolVersion). kWireEnumLast<E> names the last valid value;
// the decoder rejects anything above it.

template <class E>
inline constexpr E kWireEnumLast = E{};  // specialised for every enum used in a message

/// What a connecting node is.
enum class NodeRole : std::uint8_t { Playback = 0, Observer = 1 };
template <>
inline constexpr NodeRole kWireEnumLast<NodeRole> = NodeRole::Observer;

/// Why the server refused or ended a connection.
enum class RejectReason : std::uint8_t {
  VersionMismatch = 0,
  WrongPassword = 1,
  ServerFull = 2,
  Kicked = 3,
  NameInUse = 4,
  Malformed = 5,
  ShuttingDown = 6,
};
template <>
inline constexpr RejectReason kWireEnumLast<RejectReason> = RejectReason::ShuttingDown;

/// A playback command; which Command field it uses is noted per value.
enum class CommandType : std::uint8_t {
  Play = 0,   // no argument
  Pause = 1,  // no argument
  Seek = 2,   // position_ns
  Step = 3,   // frames
  Rate = 4,   // rate
  Loop = 5,   // loop
  Load = 6,   // media_index
  LoopRange = 7,  // position_ns (in) and loop_out_ns (out); 0/0 = the whole file
};
template <>
inline constexpr CommandType kWireEnumLast<CommandType> = CommandType::LoopRange;

/// The outcome of matching one session media entry against a node's local files.
enum class MatchStatus : std::uint8_t { Found = 0, Missing = 1, Mismatch = 2 };
template <>
inline constexpr MatchStatus kWireEnumLast<MatchStatus> = MatchStatus::Mismatch;

/// Who may send playback commands.
enum class ControlPolicy : std::uint8_t { Anyone = 0, HostOnly = 1 };
template <>
inline constexpr ControlPolicy kWireEnumLast<ControlPolicy> = ControlPolicy::HostOnly;

/// A node's state as shown in the server's peer table.
enum class NodeState : std::uint8_t {
  Connecting = 0,
  Loading = 1,
  Ready = 2,
  Playing = 3,
  Buffering = 4,
  Behind = 5,
  MissingMedia = 6,
  Reconnecting = 7,
};
template <>
inline constexpr NodeState kWireEnumLast<NodeState> = NodeState::Reconnecting;

const char* to_string(NodeRole value);
const char* to_string(RejectReason value);
const char* to_string(CommandType value);
const char* to_string(MatchStatus value);
const char* to_string(ControlPolicy value);
const char* to_string(NodeState value);

// ---- Field structs (used inside messages) ----

/// The transport state as sent on the wire. Media position at session time t is
/// `position_ns + rate * (t - anchor_session_ns)` while playing.
struct TransportWire {
  /// Session time (server monotonic, ns) from which this state applies: the effective time.
  std::int64_t anchor_session_ns = 0;
  std::int64_t position_ns = 0;  ///< media position at the anchor, ns (unwrapped when looping)
  double rate = 1.0;             ///< playback speed, media seconds per session second
  bool paused = true;
  bool loop = false;
  std::uint32_t serial = 0;       ///< bumped by every state change; Ready refers to it
  std::uint32_t media_index = 0;  ///< index into SessionSnapshot::media
  /// Loop range [loop_in_ns, loop_out_ns), media time ns; 0/0 = the whole file. While
  /// looping, a position reaching loop_out_ns continues at loop_in_ns.
  std::int64_t loop_in_ns = 0;
  std::int64_t loop_out_ns = 0;

  template <class V>
  void fields(V& v) {
    v("anchor_session_ns", anchor_session_ns);
    v("position_ns", position_ns);
    v("rate", rate);
    v("paused", paused);
    v("loop", loop);
    v("serial", serial);
    v("media_index", media_index);
    v("loop_in_ns", loop_in_ns);
    v("loop_out_ns", loop_out_ns);
  }
  bool operator==(const TransportWire&) const = default;
};

/// One media file of the session, as the server sees it.
struct MediaEntry {
  std::string name;  ///< basename, for matching in a node's media folders
  std::string path;  ///< the server's full path
  std::uint64_t size_bytes = 0;
  std::int64_t duration_ns = 0;
  std::int32_t fps_num = 0;  ///< frame rate = fps_num / fps_den frames per second
  std::int32_t fps_den = 1;
  std::int64_t frame_count = 0;
  QuickHash quick_hash{};  ///< content hash of a few sampled blocks (identity check)

  template <class V>
  void fields(V& v) {
    v("name", name);
    v("path", path);
    v("size_bytes", size_bytes);
    v("duration_ns", duration_ns);
    v("fps_num", fps_num);
    v("fps_den", fps_den);
    v("frame_count", frame_count);
    v("quick_hash", quick_hash);
  }
  bool operator==(const MediaEntry&) const = default;
};

/// Everything a joining node needs to land in the running playback.
struct SessionSnapshot {
  TransportWire transport;
  std::vector<MediaEntry> media;
  ControlPolicy control_policy = ControlPolicy::Anyone;
  std::int64_t lead_ns = 0;  ///< how far ahead of "now" the server schedules commands, ns

  template <class V>
  void fields(V& v) {
    v("transport", transport);
    v("media", media);
    v("control_policy", control_policy);
    v("lead_ns", lead_ns);
  }
  bool operator==(const SessionSnapshot&) const = default;
};

/// How one session media entry matched on a node.
struct MediaMatch {
  std::uint32_t media_index = 0;
  MatchStatus status = MatchStatus::Missing;
  std::string local_path;  ///< where the node found it (empty when missing)
  std::string detail;      ///< human-readable, e.g. "size 1200 != 1300"

  template <class V>
  void fields(V& v) {
    v("media_index", media_index);
    v("status", status);
    v("local_path", local_path);
    v("detail", detail);
  }
  bool operator==(const MediaMatch&) const = default;
};

// ---- Messages. Every message has kType (its wire type byte, never reused) and kName. ----

/// client → server, first packet. Its layout is frozen across versions (see
/// docs/protocol.md), so a server can always read who is knocking and answer with Reject.
struct Hello {
  static constexpr std::uint8_t kType = 1;
  static constexpr const char* kName = "Hello";
  static constexpr bool kFrozenLayout = true;

  std::uint16_t protocol_version = kProtocolVersion;
  std::string node_name;
  Nonce client_nonce{};  ///< fresh random per connection attempt
  NodeRole role = NodeRole::Playback;

  template <class V>
  void fields(V& v) {
    v("protocol_version", protocol_version);
    v("node_name", node_name);
    v("client_nonce", client_nonce);
    v("role", role);
  }
  bool operator==(const Hello&) const = default;
};

/// server → client, answer to Hello.
struct Challenge {
  static constexpr std::uint8_t kType = 2;
  static constexpr const char* kName = "Challenge";

  Salt salt{};           ///< the session's password salt (random per server start)
  Nonce server_nonce{};  ///< fresh random per connection
  bool password_required = false;
  KxPublicKey server_kx{};     ///< the server's ephemeral key for this connection
  SignPublicKey server_key{};  ///< the server's long-term key (its fingerprint identifies it)
  Signature signature{};       ///< by server_key over this challenge and the client's nonce
  /// Password sessions: the server's CPace share (Yb); zeros without a password.
  std::array<std::uint8_t, 32> cpace_share{};

  template <class V>
  void fields(V& v) {
    v("salt", salt);
    v("server_nonce", server_nonce);
    v("password_required", password_required);
    v("server_kx", server_kx);
    v("server_key", server_key);
    v("signature", signature);
    v("cpace_share", cpace_share);
  }
  bool operator==(const Challenge&) const = default;
};

/// client → server: proof of knowing the password (all zeros when none is required).
struct Auth {
  static constexpr std::uint8_t kType = 3;
  static constexpr const char* kName = "Auth";

  Proof proof{};
  KxPublicKey client_kx{};  ///< the client's ephemeral key for this connection
  /// Password sessions: the client's CPace share (Ya); zeros without a password.
  std::array<std::uint8_t, 32> cpace_share{};

  template <class V>
  void fields(V& v) {
    v("proof", proof);
    v("client_kx", client_kx);
    v("cpace_share", cpace_share);
  }
  bool operator==(const Auth&) const = default;
};

/// server → client: accepted; the full session state.
struct Welcome {
  static constexpr std::uint8_t kType = 4;
  static constexpr const char* kName = "Welcome";

  std::uint32_t node_id = 0;
  Proof server_proof{};  ///< the server knows the password too; zeros when none is set
  SessionSnapshot snapshot;

  template <class V>
  void fields(V& v) {
    v("node_id", node_id);
    v("server_proof", server_proof);
    v("snapshot", snapshot);
  }
  bool operator==(const Welcome&) const = default;
};

/// server → client: refused or disconnected. Layout frozen across versions, like Hello.
struct Reject {
  static constexpr std::uint8_t kType = 5;
  static constexpr const char* kName = "Reject";
  static constexpr bool kFrozenLayout = true;

  RejectReason reason = RejectReason::Malformed;
  std::uint16_t server_version = kProtocolVersion;
  std::string detail;  ///< human-readable, shown to the user

  template <class V>
  void fields(V& v) {
    v("reason", reason);
    v("server_version", server_version);
    v("detail", detail);
  }
  bool operator==(const Reject&) const = default;
};

/// client → server clock probe (NTP-style t1).
struct ClockProbe {
  static constexpr std::uint8_t kType = 16;
  static constexpr const char* kName = "ClockProbe";

  std::uint32_t seq = 0;
  std::int64_t t1_ns = 0;  ///< client local monotonic clock at send, ns

  template <class V>
  void fields(V& v) {
    v("seq", seq);
    v("t1_ns", t1_ns);
  }
  bool operator==(const ClockProbe&) const = default;
};

/// server → client answer to a ClockProbe. The client adds t4 on receipt.
struct ClockReply {
  static constexpr std::uint8_t kType = 17;
  static constexpr const char* kName = "ClockReply";

  std::uint32_t seq = 0;
  std::int64_t t1_ns = 0;  ///< echoed from the probe (client clock), ns
  std::int64_t t2_ns = 0;  ///< server monotonic clock at probe receipt, ns
  std::int64_t t3_ns = 0;  ///< server monotonic clock at reply send, ns

  template <class V>
  void fields(V& v) {
    v("seq", seq);
    v("t1_ns", t1_ns);
    v("t2_ns", t2_ns);
    v("t3_ns", t3_ns);
  }
  bool operator==(const ClockReply&) const = default;
};

/// client → server: a playback command. Only the field named by `type` is meaningful.
struct Command {
  static constexpr std::uint8_t kType = 32;
  static constexpr const char* kName = "Command";

  std::uint32_t command_id = 0;  ///< chosen by the issuer, echoed in StateUpdate; never 0
  CommandType type = CommandType::Play;
  std::int64_t position_ns = 0;   ///< Seek target; LoopRange: the range's in; media time, ns
  std::int32_t frames = 0;        ///< Step: frames forward (negative: back)
  double rate = 1.0;              ///< Rate: playback speed
  bool loop = false;              ///< Loop: on/off
  std::uint32_t media_index = 0;  ///< Load: index into SessionSnapshot::media
  std::int64_t loop_out_ns = 0;   ///< LoopRange: the range's out, media time, ns (0/0: whole file)

  template <class V>
  void fields(V& v) {
    v("command_id", command_id);
    v("type", type);
    v("position_ns", position_ns);
    v("frames", frames);
    v("rate", rate);
    v("loop", loop);
    v("media_index", media_index);
    v("loop_out_ns", loop_out_ns);
  }
  bool operator==(const Command&) const = default;
};

/// server → all: the new transport state, effective from transport.anchor_session_ns.
struct StateUpdate {
  static constexpr std::uint8_t kType = 33;
  static constexpr const char* kName = "StateUpdate";

  std::uint32_t command_id = 0;      ///< the command this answers; 0 = none (server-made)
  std::uint32_t issuer_node_id = 0;  ///< node that issued the command (0 = the server)
  TransportWire transport;

  template <class V>
  void fields(V& v) {
    v("command_id", command_id);
    v("issuer_node_id", issuer_node_id);
    v("transport", transport);
  }
  bool operator==(const StateUpdate&) const = default;
};

/// client → server: how each session media entry matched locally.
struct MediaReport {
  static constexpr std::uint8_t kType = 48;
  static constexpr const char* kName = "MediaReport";

  std::vector<MediaMatch> matches;

  template <class V>
  void fields(V& v) {
    v("matches", matches);
  }
  bool operator==(const MediaReport&) const = default;
};

/// client → server: the node has (or no longer has) pre-rolled the state with `serial`.
struct Ready {
  static constexpr std::uint8_t kType = 49;
  static constexpr const char* kName = "Ready";

  std::uint32_t serial = 0;
  bool ready = false;

  template <class V>
  void fields(V& v) {
    v("serial", serial);
    v("ready", ready);
  }
  bool operator==(const Ready&) const = default;
};

/// client → server (unreliable, periodic): how the node is doing. Also a field of PeerInfo.
struct NodeStatus {
  static constexpr std::uint8_t kType = 50;
  static constexpr const char* kName = "NodeStatus";

  NodeState state = NodeState::Connecting;
  std::int64_t rtt_ns = 0;                ///< round trip to the server, ns
  std::int64_t clock_offset_ns = 0;       ///< session − local clock, ns
  std::int64_t clock_error_bound_ns = 0;  ///< half the best sample's delay, ns
  std::int64_t sync_error_ns = 0;         ///< shown − expected media position, ns (+ = ahead)
  std::int64_t frame_index = 0;           ///< last presented frame (unwrapped)
  std::int64_t dropped = 0;               ///< frames dropped since load
  std::int64_t repeated = 0;              ///< frames repeated since load
  std::int64_t latency_offset_ns = 0;     ///< this node's display/audio delay, ns
  /// How far off the node's clock estimate probably is (a statistical scale, not a bound:
  /// ClockEstimate::uncertainty_ns plus the correction still being slewed in), ns.
  std::int64_t clock_uncertainty_ns = 0;

  template <class V>
  void fields(V& v) {
    v("state", state);
    v("rtt_ns", rtt_ns);
    v("clock_offset_ns", clock_offset_ns);
    v("clock_error_bound_ns", clock_error_bound_ns);
    v("sync_error_ns", sync_error_ns);
    v("frame_index", frame_index);
    v("dropped", dropped);
    v("repeated", repeated);
    v("latency_offset_ns", latency_offset_ns);
    v("clock_uncertainty_ns", clock_uncertainty_ns);
  }
  bool operator==(const NodeStatus&) const = default;
};

/// One row of the server's peer table.
struct PeerInfo {
  std::uint32_t node_id = 0;
  std::string name;
  std::string address;  ///< "host:port" as the server sees it
  NodeStatus status;
  std::vector<MediaMatch> media;

  template <class V>
  void fields(V& v) {
    v("node_id", node_id);
    v("name", name);
    v("address", address);
    v("status", status);
    v("media", media);
  }
  bool operator==(const PeerInfo&) const = default;
};

/// server → all (periodic): every connected node and how it is doing.
struct PeerTable {
  static constexpr std::uint8_t kType = 51;
  static constexpr const char* kName = "PeerTable";

  std::vector<PeerInfo> peers;

  template <class V>
  void fields(V& v) {
    v("peers", peers);
  }
  bool operator==(const PeerTable&) const = default;
};

/// client → server: the host asks to disconnect a node (which gets Reject{Kicked}).
struct Kick {
  static constexpr std::uint8_t kType = 64;
  static constexpr const char* kName = "Kick";

  std::uint32_t node_id = 0;

  template <class V>
  void fields(V& v) {
    v("node_id", node_id);
  }
  bool operator==(const Kick&) const = default;
};

/// host → server → that node: set a node's display/audio delay (it shows frames that much
/// earlier). The server forwards it from the host's own node only.
struct LatencyOffset {
  static constexpr std::uint8_t kType = 66;
  static constexpr const char* kName = "LatencyOffset";
  std::uint32_t node_id = 0;
  std::int64_t offset_ns = 0;
  template <class V>
  void fields(V& v) {
    v("node_id", node_id);
    v("offset_ns", offset_ns);
  }
  bool operator==(const LatencyOffset&) const = default;
};

/// either way: an orderly goodbye.
struct Bye {
  static constexpr std::uint8_t kType = 65;
  static constexpr const char* kName = "Bye";

  std::string reason;

  template <class V>
  void fields(V& v) {
    v("reason", reason);
  }
  bool operator==(const Bye&) const = default;
};

/// The type table: every message the protocol knows. Add new messages at the end.
using Message =
    std::variant<Hello, Challenge, Auth, Welcome, Reject, ClockProbe, ClockReply, Command,
                 StateUpdate, MediaReport, Ready, NodeStatus, PeerTable, Kick, Bye, LatencyOffset>;

/// Encodes a packet (header + payload). Fails, naming the field, when a string or list is
/// over its bound, a double is not finite, an enum is out of range, or the packet would
/// exceed kMaxPacketBytes (a PeerTable with very many peers).
Result<std::vector<std::uint8_t>> encode(const Message& message);

/// Decodes one packet. Any malformation is an error that names the message, the field and
/// the byte offset, e.g. "ClockReply.t2_ns: truncated at byte 13 (need 8 more, 3 left)".
/// A packet of another protocol version is refused ("protocol version mismatch"), except
/// the frozen-layout messages Hello and Reject, which decode from any version (bytes after
/// their known fields are then ignored: a newer version may append fields).
/// Never reads out of bounds, whatever the input (fuzzed: tests/fuzz).
Result<Message> decode(std::span<const std::uint8_t> packet);

/// The protocol version in a packet's header, if it has a lockstep header at all.
std::optional<int> peek_version(std::span<const std::uint8_t> packet);

/// The message's wire type byte and name.
std::uint8_t message_type(const Message& message);
const char* message_name(const Message& message);

/// One line for logs, e.g. `ClockProbe{seq=3 t1_ns=1200}`. Byte arrays longer than 16
/// bytes (nonces, proofs) are elided; long lists show their first items and a count.
std::string describe(const Message& message);

}  // namespace lockstep::net
