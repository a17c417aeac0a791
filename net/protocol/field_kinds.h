// Private to net/protocol: the kinds of field a message may have, as concepts, shared by
// the encoder, the decoder and the describer so the three agree on what a field is.
#pragma once

#include <array>
#include <concepts>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace lockstep::net::detail {

/// Any visitor: used only to ask "does T list its fields?".
struct AnyFieldVisitor {
  template <class T>
  void operator()(const char*, T&) {}
};

/// A struct with `template <class V> void fields(V&)`.
template <class T>
concept FieldStruct = std::is_class_v<T> && requires(T& t, AnyFieldVisitor& v) {
  t.fields(v);
};

/// Fixed-width integers (bool is its own kind).
template <class T>
concept WireInteger = std::integral<T> && !std::same_as<T, bool> &&
                      (sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8);

template <class T>
concept WireEnum = std::is_enum_v<T> && sizeof(T) == 1;

template <class T>
struct IsByteArray : std::false_type {};
template <std::size_t N>
struct IsByteArray<std::array<std::uint8_t, N>> : std::true_type {};
template <class T>
concept ByteArray = IsByteArray<T>::value;

template <class T>
struct IsFieldList : std::false_type {};
template <class T>
struct IsFieldList<std::vector<T>> : std::bool_constant<FieldStruct<T>> {};
template <class T>
concept FieldList = IsFieldList<T>::value;

/// Messages are field structs with a type byte.
template <class T>
concept FrozenLayout = requires {
  requires T::kFrozenLayout;
};

/// `fields()` is non-const so that one list serves both reading (assigns) and writing
/// (only reads). The encoder and describer call it on a const message through this cast;
/// their visitors never modify a field, so no const object is ever written.
template <class T>
T& as_mutable(const T& value) {
  return const_cast<T&>(value);  // NOLINT(cppcoreguidelines-pro-type-const-cast)
}

}  // namespace lockstep::net::detail
