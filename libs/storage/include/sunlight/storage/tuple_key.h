// Typed composite keys: the components of a key declared once, as a type, so that building,
// prefixing and decoding a key cannot disagree about its layout.
//
//   // queue_by_role: (department_id, role, due in micros, step_id)
//   using RoleQueue = TupleKey<std::string, std::string, int64_t, std::string>;
//   batch.Put(kQueueByRole, RoleQueue::Encode(dept, role, due, step_id), value);
//   std::string prefix = RoleQueue::Prefix(dept, role);     // that role's queue
//   if (auto parts = RoleQueue::Decode(key)) { auto& [d, r, due, id] = *parts; ... }
//
// Components are std::string, int64_t or uint64_t, encoded by KeyBuilder (so byte order is
// tuple order).
#ifndef SUNLIGHT_STORAGE_TUPLE_KEY_H_
#define SUNLIGHT_STORAGE_TUPLE_KEY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "sunlight/storage/key_encoding.h"

namespace sunlight::storage {

template <typename... Parts>
class TupleKey {
 public:
  using Tuple = std::tuple<Parts...>;

  static std::string Encode(const Parts&... parts) { return Prefix(parts...); }

  // The prefix of every key whose first components are `leading` (all of them: the key).
  template <typename... Leading>
  static std::string Prefix(const Leading&... leading) {
    static_assert(sizeof...(Leading) <= sizeof...(Parts), "more components than the key has");
    KeyBuilder builder;
    AddAll(builder, std::index_sequence_for<Leading...>{}, leading...);
    return std::move(builder).Build();
  }

  // The components of `key`; std::nullopt when it is not exactly a key of this type.
  static std::optional<Tuple> Decode(std::string_view key) {
    KeyReader reader(key);
    Tuple parts;
    bool read = std::apply([&](auto&... part) { return (Read(reader, &part) && ...); }, parts);
    if (!read || !reader.done()) return std::nullopt;
    return parts;
  }

 private:
  template <size_t... I, typename... T>
  static void AddAll(KeyBuilder& builder, std::index_sequence<I...>, const T&... values) {
    (Add<std::tuple_element_t<I, Tuple>>(builder, values), ...);
  }
  template <typename Part, typename T>
  static void Add(KeyBuilder& builder, const T& value) {
    if constexpr (std::is_same_v<Part, std::string>) {
      builder.AddString(std::string_view(value));
    } else if constexpr (std::is_same_v<Part, int64_t>) {
      builder.AddI64(static_cast<int64_t>(value));
    } else {
      static_assert(std::is_same_v<Part, uint64_t>, "components are string, int64 or uint64");
      builder.AddU64(static_cast<uint64_t>(value));
    }
  }
  static bool Read(KeyReader& reader, std::string* part) { return reader.ReadString(part); }
  static bool Read(KeyReader& reader, int64_t* part) { return reader.ReadI64(part); }
  static bool Read(KeyReader& reader, uint64_t* part) { return reader.ReadU64(part); }
};

}  // namespace sunlight::storage

#endif  // SUNLIGHT_STORAGE_TUPLE_KEY_H_
