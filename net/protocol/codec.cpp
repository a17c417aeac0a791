// The one encoder and the one decoder of every message (messages.h): visitors that walk a
// message's `fields()` list. Every read is bounds-checked; the first failure stops the walk
// and is reported with the field's path and byte offset.
#include <net/protocol/field_kinds.h>
#include <net/protocol/messages.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <utility>

namespace lockstep::net {
namespace {

using detail::ByteArray;
using detail::FieldList;
using detail::FieldStruct;
using detail::WireEnum;
using detail::WireInteger;

static_assert(kProtocolVersion > 0 && kProtocolVersion <= 255, "the header has one byte for it");
static_assert(kMaxStringBytes <= 0xFFFF && kMaxListItems <= 0xFFFF, "u16 lengths on the wire");

/// The path of the field being coded, e.g. "PeerTable.peers[3].status.rtt_ns", kept as a
/// small stack of names so that it costs nothing unless an error is reported.
class FieldPath {
 public:
  explicit FieldPath(const char* message) : message_(message) {}

  void push(const char* name) {
    if (depth_ < kMaxDepth) entries_[depth_] = Entry{name, -1};
    ++depth_;
  }
  void pop() { --depth_; }
  /// Marks the innermost field (a list) as being at item `index`.
  void set_index(std::size_t index) {
    if (depth_ > 0 && depth_ <= kMaxDepth) entries_[depth_ - 1].index = static_cast<long>(index);
  }

  std::string str() const {
    std::string s = message_;
    for (int i = 0; i < std::min(depth_, kMaxDepth); ++i) {
      s += '.';
      s += entries_[i].name;
      if (entries_[i].index >= 0) s += "[" + std::to_string(entries_[i].index) + "]";
    }
    return s;
  }

 private:
  struct Entry {
    const char* name = "";
    long index = -1;
  };
  static constexpr int kMaxDepth = 8;  // messages nest 4 deep at most today
  const char* message_;
  std::array<Entry, kMaxDepth> entries_{};
  int depth_ = 0;
};

template <WireEnum E>
constexpr unsigned enum_last() {
  return static_cast<unsigned>(kWireEnumLast<E>);
}

// ---------------------------------------------------------------------------------------
// Encoder

class Writer {
 public:
  Writer(std::vector<std::uint8_t>& out, const char* message) : out_(out), path_(message) {}

  template <class T>
  void operator()(const char* name, T& value) {
    if (failed_) return;
    path_.push(name);
    write(std::as_const(value));
    path_.pop();
  }

  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }

 private:
  void fail(const std::string& what) {
    failed_ = true;
    error_ = path_.str() + ": " + what;
  }

  void put_uint(std::uint64_t value, std::size_t bytes) {
    for (std::size_t i = 0; i < bytes; ++i)
      out_.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  }

  template <WireInteger T>
  void write(T value) {
    put_uint(static_cast<std::uint64_t>(static_cast<std::make_unsigned_t<T>>(value)), sizeof(T));
  }
  void write(bool value) { out_.push_back(value ? 1 : 0); }
  void write(double value) {
    if (!std::isfinite(value)) return fail("not a finite number (" + std::to_string(value) + ")");
    put_uint(std::bit_cast<std::uint64_t>(value), 8);
  }
  template <WireEnum E>
  void write(E value) {
    const auto raw = static_cast<unsigned>(value);
    if (raw > enum_last<E>()) {
      return fail("enum value " + std::to_string(raw) + " out of range (valid 0.." +
                  std::to_string(enum_last<E>()) + ")");
    }
    out_.push_back(static_cast<std::uint8_t>(raw));
  }
  void write(const std::string& value) {
    if (value.size() > kMaxStringBytes) {
      return fail("string of " + std::to_string(value.size()) + " bytes is over the limit of " +
                  std::to_string(kMaxStringBytes));
    }
    put_uint(value.size(), 2);
    out_.insert(out_.end(), value.begin(), value.end());
    check_size();
  }
  template <ByteArray A>
  void write(const A& value) {
    out_.insert(out_.end(), value.begin(), value.end());
  }
  template <FieldList L>
  void write(const L& list) {
    if (list.size() > kMaxListItems) {
      return fail("list of " + std::to_string(list.size()) + " items is over the limit of " +
                  std::to_string(kMaxListItems));
    }
    put_uint(list.size(), 2);
    for (std::size_t i = 0; i < list.size() && !failed_; ++i) {
      path_.set_index(i);
      detail::as_mutable(list[i]).fields(*this);
      check_size();
    }
  }
  template <FieldStruct S>
  void write(const S& value) {
    detail::as_mutable(value).fields(*this);
  }

  // Stops early rather than building a multi-megabyte buffer that would be refused anyway.
  void check_size() {
    if (!failed_ && out_.size() > kMaxPacketBytes) {
      fail("the packet grows past the limit of " + std::to_string(kMaxPacketBytes) + " bytes");
    }
  }

  std::vector<std::uint8_t>& out_;
  FieldPath path_;
  bool failed_ = false;
  std::string error_;
};

// ---------------------------------------------------------------------------------------
// Decoder

class Reader {
 public:
  Reader(std::span<const std::uint8_t> packet, const char* message)
      : packet_(packet), pos_(kPacketHeaderBytes), path_(message) {}

  template <class T>
  void operator()(const char* name, T& value) {
    if (failed_) return;
    path_.push(name);
    read(value);
    path_.pop();
  }

  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  std::size_t offset() const { return pos_; }
  std::size_t remaining() const { return packet_.size() - pos_; }

 private:
  void fail(const std::string& what) {
    failed_ = true;
    error_ = path_.str() + ": " + what;
  }

  /// The next `n` bytes, or nullptr (and a truncation error) when the packet is shorter.
  const std::uint8_t* take(std::size_t n) {
    if (remaining() < n) {
      fail("truncated at byte " + std::to_string(pos_) + " (need " + std::to_string(n) + " more, " +
           std::to_string(remaining()) + " left)");
      return nullptr;
    }
    const std::uint8_t* p = packet_.data() + pos_;
    pos_ += n;
    return p;
  }

  bool take_uint(std::size_t bytes, std::uint64_t& value) {
    const std::uint8_t* p = take(bytes);
    if (p == nullptr) return false;
    value = 0;
    for (std::size_t i = 0; i < bytes; ++i) value |= static_cast<std::uint64_t>(p[i]) << (8 * i);
    return true;
  }

  template <WireInteger T>
  void read(T& value) {
    std::uint64_t raw = 0;
    if (take_uint(sizeof(T), raw))
      value = static_cast<T>(static_cast<std::make_unsigned_t<T>>(raw));
  }
  void read(bool& value) {
    const std::size_t at = pos_;
    std::uint64_t raw = 0;
    if (!take_uint(1, raw)) return;
    if (raw > 1) {
      return fail("bad bool value " + std::to_string(raw) + " at byte " + std::to_string(at) +
                  " (must be 0 or 1)");
    }
    value = raw == 1;
  }
  void read(double& value) {
    const std::size_t at = pos_;
    std::uint64_t raw = 0;
    if (!take_uint(8, raw)) return;
    const double d = std::bit_cast<double>(raw);
    if (!std::isfinite(d)) return fail("non-finite number at byte " + std::to_string(at));
    value = d;
  }
  template <WireEnum E>
  void read(E& value) {
    const std::size_t at = pos_;
    std::uint64_t raw = 0;
    if (!take_uint(1, raw)) return;
    if (raw > enum_last<E>()) {
      return fail("bad value " + std::to_string(raw) + " at byte " + std::to_string(at) +
                  " (valid 0.." + std::to_string(enum_last<E>()) + ")");
    }
    value = static_cast<E>(raw);
  }
  void read(std::string& value) {
    const std::size_t at = pos_;
    std::uint64_t length = 0;
    if (!take_uint(2, length)) return;
    if (length > kMaxStringBytes) {
      return fail("string of " + std::to_string(length) + " bytes at byte " + std::to_string(at) +
                  " is over the limit of " + std::to_string(kMaxStringBytes));
    }
    const std::uint8_t* p = take(length);
    if (p != nullptr) value.assign(reinterpret_cast<const char*>(p), length);
  }
  template <ByteArray A>
  void read(A& value) {
    const std::uint8_t* p = take(value.size());
    if (p != nullptr) std::memcpy(value.data(), p, value.size());
  }
  template <FieldList L>
  void read(L& list) {
    const std::size_t at = pos_;
    std::uint64_t count = 0;
    if (!take_uint(2, count)) return;
    if (count > kMaxListItems) {
      return fail("list of " + std::to_string(count) + " items at byte " + std::to_string(at) +
                  " is over the limit of " + std::to_string(kMaxListItems));
    }
    list.clear();
    // Every item takes at least one byte, so the bytes left bound the allocation.
    list.reserve(std::min<std::size_t>(count, remaining()));
    for (std::size_t i = 0; i < count; ++i) {
      path_.set_index(i);
      typename L::value_type item;
      item.fields(*this);
      if (failed_) return;
      list.push_back(std::move(item));
    }
  }
  template <FieldStruct S>
  void read(S& value) {
    value.fields(*this);
  }

  std::span<const std::uint8_t> packet_;
  std::size_t pos_;
  FieldPath path_;
  bool failed_ = false;
  std::string error_;
};

template <class M>
Result<Message> decode_message(std::span<const std::uint8_t> packet, bool foreign_version) {
  M message;
  Reader reader(packet, M::kName);
  message.fields(reader);
  if (reader.failed()) return make_error(reader.error());
  // A frozen-layout message from another version may carry fields appended after ours.
  if (reader.remaining() > 0 && !foreign_version) {
    return make_error(std::string(M::kName) + ": " + std::to_string(reader.remaining()) +
                      " trailing byte(s) after the message at byte " +
                      std::to_string(reader.offset()));
  }
  return Message{std::in_place_type<M>, std::move(message)};
}

struct DecoderEntry {
  Result<Message> (*decode)(std::span<const std::uint8_t>, bool) = nullptr;
  bool frozen_layout = false;
};

/// Wire type byte → decoder, built from the Message variant.
template <std::size_t... I>
constexpr std::array<DecoderEntry, 256> make_decoder_table(std::index_sequence<I...>) {
  std::array<DecoderEntry, 256> table{};
  ((table[std::variant_alternative_t<I, Message>::kType] =
        DecoderEntry{&decode_message<std::variant_alternative_t<I, Message>>,
                     detail::FrozenLayout<std::variant_alternative_t<I, Message>>}),
   ...);
  return table;
}

template <std::size_t... I>
constexpr bool type_codes_unique(std::index_sequence<I...>) {
  const std::array<std::uint8_t, sizeof...(I)> codes{
      std::variant_alternative_t<I, Message>::kType...};
  for (std::size_t a = 0; a < codes.size(); ++a) {
    for (std::size_t b = a + 1; b < codes.size(); ++b) {
      if (codes[a] == codes[b]) return false;
    }
  }
  return true;
}

using MessageIndices = std::make_index_sequence<std::variant_size_v<Message>>;
static_assert(type_codes_unique(MessageIndices{}), "two messages share a wire type byte");
constexpr std::array<DecoderEntry, 256> kDecoders = make_decoder_table(MessageIndices{});

std::string hex_byte(std::uint8_t b) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  return std::string("0x") + kDigits[b >> 4] + kDigits[b & 0xF];
}

}  // namespace

Result<std::vector<std::uint8_t>> encode(const Message& message) {
  return std::visit(
      [](const auto& m) -> Result<std::vector<std::uint8_t>> {
        using M = std::decay_t<decltype(m)>;
        std::vector<std::uint8_t> out;
        out.reserve(64);
        out.push_back(kPacketMagic);
        out.push_back(static_cast<std::uint8_t>(kProtocolVersion));
        out.push_back(M::kType);
        Writer writer(out, M::kName);
        detail::as_mutable(m).fields(writer);
        if (writer.failed()) return make_error(writer.error());
        if (out.size() > kMaxPacketBytes) {
          return make_error(std::string(M::kName) + ": encodes to " + std::to_string(out.size()) +
                            " bytes, over the packet limit of " + std::to_string(kMaxPacketBytes));
        }
        return out;
      },
      message);
}

Result<Message> decode(std::span<const std::uint8_t> packet) {
  if (packet.size() < kPacketHeaderBytes) {
    return make_error("packet too short: " + std::to_string(packet.size()) +
                      " byte(s), the header alone is " + std::to_string(kPacketHeaderBytes));
  }
  if (packet.size() > kMaxPacketBytes) {
    return make_error("packet of " + std::to_string(packet.size()) +
                      " bytes is over the limit of " + std::to_string(kMaxPacketBytes));
  }
  if (packet[0] != kPacketMagic) {
    return make_error("not a lockstep packet: bad magic " + hex_byte(packet[0]) +
                      " at byte 0 (expected 0x4C 'L')");
  }
  const int version = packet[1];
  const std::uint8_t type = packet[2];
  const DecoderEntry& entry = kDecoders[type];
  const bool foreign_version = version != kProtocolVersion;
  if (foreign_version && !(entry.decode != nullptr && entry.frozen_layout)) {
    return make_error("protocol version mismatch: the packet is version " +
                      std::to_string(version) + ", this node speaks version " +
                      std::to_string(kProtocolVersion) + " (message type " + std::to_string(type) +
                      ")");
  }
  if (entry.decode == nullptr) {
    return make_error("unknown message type " + std::to_string(type) + " at byte 2");
  }
  return entry.decode(packet, foreign_version);
}

std::optional<int> peek_version(std::span<const std::uint8_t> packet) {
  if (packet.size() < 2 || packet[0] != kPacketMagic) return std::nullopt;
  return packet[1];
}

std::uint8_t message_type(const Message& message) {
  return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::kType; }, message);
}

const char* message_name(const Message& message) {
  return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::kName; }, message);
}

}  // namespace lockstep::net
