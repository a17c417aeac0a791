// Names of enum values and the one-line log form of a message, driven by the same
// `fields()` lists as the codec.
#include <net/protocol/field_kinds.h>
#include <net/protocol/messages.h>

#include <cstdio>
#include <utility>

namespace lockstep::net {

const char* to_string(NodeRole value) {
  switch (value) {
    case NodeRole::Playback:
      return "Playback";
    case NodeRole::Observer:
      return "Observer";
  }
  return "NodeRole?";
}

const char* to_string(RejectReason value) {
  switch (value) {
    case RejectReason::VersionMismatch:
      return "VersionMismatch";
    case RejectReason::WrongPassword:
      return "WrongPassword";
    case RejectReason::ServerFull:
      return "ServerFull";
    case RejectReason::Kicked:
      return "Kicked";
    case RejectReason::NameInUse:
      return "NameInUse";
    case RejectReason::Malformed:
      return "Malformed";
    case RejectReason::ShuttingDown:
      return "ShuttingDown";
  }
  return "RejectReason?";
}

const char* to_string(CommandType value) {
  switch (value) {
    case CommandType::Play:
      return "Play";
    case CommandType::Pause:
      return "Pause";
    case CommandType::Seek:
      return "Seek";
    case CommandType::Step:
      return "Step";
    case CommandType::Rate:
      return "Rate";
    case CommandType::Loop:
      return "Loop";
    case CommandType::Load:
      return "Load";
    case CommandType::LoopRange:
      return "LoopRange";
  }
  return "CommandType?";
}

const char* to_string(MatchStatus value) {
  switch (value) {
    case MatchStatus::Found:
      return "Found";
    case MatchStatus::Missing:
      return "Missing";
    case MatchStatus::Mismatch:
      return "Mismatch";
  }
  return "MatchStatus?";
}

const char* to_string(ControlPolicy value) {
  switch (value) {
    case ControlPolicy::Anyone:
      return "Anyone";
    case ControlPolicy::HostOnly:
      return "HostOnly";
  }
  return "ControlPolicy?";
}

const char* to_string(NodeState value) {
  switch (value) {
    case NodeState::Connecting:
      return "Connecting";
    case NodeState::Loading:
      return "Loading";
    case NodeState::Ready:
      return "Ready";
    case NodeState::Playing:
      return "Playing";
    case NodeState::Buffering:
      return "Buffering";
    case NodeState::Behind:
      return "Behind";
    case NodeState::MissingMedia:
      return "MissingMedia";
    case NodeState::Reconnecting:
      return "Reconnecting";
  }
  return "NodeState?";
}

namespace {

using detail::ByteArray;
using detail::FieldList;
using detail::FieldStruct;
using detail::WireEnum;
using detail::WireInteger;

/// Writes `name=value` pairs separated by spaces.
class Describer {
 public:
  explicit Describer(std::string& out) : out_(out) {}

  template <class T>
  void operator()(const char* name, T& value) {
    if (!first_) out_ += ' ';
    first_ = false;
    out_ += name;
    out_ += '=';
    put(std::as_const(value));
  }

 private:
  static constexpr std::size_t kListItemsShown = 3;
  static constexpr std::size_t kArrayBytesShown = 16;

  template <WireInteger T>
  void put(T value) {
    out_ += std::to_string(value);
  }
  void put(bool value) { out_ += value ? "true" : "false"; }
  void put(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.9g", value);
    out_ += text;
  }
  template <WireEnum E>
  void put(E value) {
    out_ += to_string(value);
  }
  void put(const std::string& value) {
    out_ += '"';
    for (const char c : value) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += c;
      } else if (u < 0x20 || u == 0x7F) {
        char esc[8];
        std::snprintf(esc, sizeof esc, "\\x%02X", u);
        out_ += esc;
      } else {
        out_ += c;
      }
    }
    out_ += '"';
  }
  template <ByteArray A>
  void put(const A& value) {
    // Nonces and proofs (32 bytes) are of no use in a log; salts and hashes are.
    if (value.size() > kArrayBytesShown) {
      out_ += "<" + std::to_string(value.size()) + " bytes>";
      return;
    }
    static constexpr char kDigits[] = "0123456789abcdef";
    for (const std::uint8_t b : value) {
      out_ += kDigits[b >> 4];
      out_ += kDigits[b & 0xF];
    }
  }
  template <FieldList L>
  void put(const L& list) {
    out_ += '[';
    for (std::size_t i = 0; i < list.size() && i < kListItemsShown; ++i) {
      if (i > 0) out_ += ", ";
      put(list[i]);
    }
    if (list.size() > kListItemsShown) {
      out_ += ", ... (" + std::to_string(list.size()) + " in all)";
    }
    out_ += ']';
  }
  template <FieldStruct S>
  void put(const S& value) {
    out_ += '{';
    Describer nested(out_);
    detail::as_mutable(value).fields(nested);
    out_ += '}';
  }

  std::string& out_;
  bool first_ = true;
};

}  // namespace

std::string describe(const Message& message) {
  return std::visit(
      [](const auto& m) {
        std::string out = std::decay_t<decltype(m)>::kName;
        out += '{';
        Describer describer(out);
        detail::as_mutable(m).fields(describer);
        out += '}';
        return out;
      },
      message);
}

}  // namespace lockstep::net
