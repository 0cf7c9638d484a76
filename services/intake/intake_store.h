// The intake store's column families and the codecs of their keys (private to intake_lib).
//
//   batch.Put(store::kCasesByDepartment, store::CaseByDepartmentKey("market", now, id), "");
//   std::string prefix = store::CasesByDepartmentPrefix("market");  // a department's cases
//   SUNLIGHT_ASSIGN_OR_RETURN(auto entry, store::DecodeCaseByDepartmentKey(key));
//
// Composite keys are built with storage::KeyBuilder, so byte order is tuple order: the
// versions of an item ascend, a department's cases are listed in submission order. A Decode
// function returns DATA_LOSS for a key it did not build.
#ifndef SUNLIGHT_SERVICES_INTAKE_INTAKE_STORE_H_
#define SUNLIGHT_SERVICES_INTAKE_INTAKE_STORE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sunlight/storage/key_encoding.h"

namespace sunlight::intake::store {

// department_id -> v1::Department.
inline constexpr char kDepartments[] = "departments";
// window_id -> v1::Window.
inline constexpr char kWindows[] = "windows";
// ItemKey -> v1::ItemVersion.
inline constexpr char kItems[] = "items";
// CaseKey -> v1::Case. Case ids are "c" + 12 digits, so the greatest key is the newest case.
inline constexpr char kCases[] = "cases";
// case_number -> case_id.
inline constexpr char kCaseNumbers[] = "case_numbers";
// IdempotencyKey -> case_id of the case that submission created.
inline constexpr char kIdempotency[] = "idempotency";
// CaseByDepartmentKey -> "" (an index: the case itself is in kCases).
inline constexpr char kCasesByDepartment[] = "cases_by_department";

// DATA_LOSS "malformed <family> key <hex>".
inline absl::Status MalformedKey(std::string_view family, std::string_view key) {
  return absl::DataLossError(
      absl::StrCat("malformed ", absl::string_view(family.data(), family.size()), " key ",
                   absl::BytesToHexString(absl::string_view(key.data(), key.size()))));
}

// ---------------------------------------------------------------- cases

inline std::string CaseKey(std::string_view case_id) { return std::string(case_id); }

// ---------------------------------------------------------------- items: (item_code, version)

inline std::string ItemPrefix(std::string_view item_code) {
  return storage::KeyBuilder().AddString(item_code).Build();
}
inline std::string ItemKey(std::string_view item_code, uint32_t version) {
  return storage::KeyBuilder().AddString(item_code).AddU64(version).Build();
}

struct ItemEntry {
  std::string item_code;
  uint32_t version = 0;
};

inline absl::StatusOr<ItemEntry> DecodeItemKey(std::string_view key) {
  storage::KeyReader reader(key);
  ItemEntry entry;
  uint64_t version = 0;
  if (!reader.ReadString(&entry.item_code) || !reader.ReadU64(&version) || !reader.done() ||
      version > UINT32_MAX) {
    return MalformedKey(kItems, key);
  }
  entry.version = static_cast<uint32_t>(version);
  return entry;
}

// ---------------------------------------------------------------- idempotency

// (submitting actor's id, the idempotency key it sent): keys are per actor.
inline std::string IdempotencyKey(std::string_view actor_id, std::string_view idempotency_key) {
  return storage::KeyBuilder().AddString(actor_id).AddString(idempotency_key).Build();
}

struct IdempotencyEntry {
  std::string actor_id;
  std::string idempotency_key;
};

inline absl::StatusOr<IdempotencyEntry> DecodeIdempotencyKey(std::string_view key) {
  storage::KeyReader reader(key);
  IdempotencyEntry entry;
  if (!reader.ReadString(&entry.actor_id) || !reader.ReadString(&entry.idempotency_key) ||
      !reader.done()) {
    return MalformedKey(kIdempotency, key);
  }
  return entry;
}

// ---------------------------------------------------------------- cases_by_department
// (department_id, submitted_at in Unix microseconds, case_id)

inline std::string CasesByDepartmentPrefix(std::string_view department_id) {
  return storage::KeyBuilder().AddString(department_id).Build();
}
// The first key of the cases of `department_id` submitted at `submitted_at` or later: an
// inclusive lower bound, or an exclusive upper bound, for a range of submission times.
inline std::string CasesByDepartmentBound(std::string_view department_id, absl::Time submitted_at) {
  return storage::KeyBuilder()
      .AddString(department_id)
      .AddI64(absl::ToUnixMicros(submitted_at))
      .Build();
}
inline std::string CaseByDepartmentKey(std::string_view department_id, absl::Time submitted_at,
                                       std::string_view case_id) {
  return storage::KeyBuilder()
      .AddString(department_id)
      .AddI64(absl::ToUnixMicros(submitted_at))
      .AddString(case_id)
      .Build();
}

struct CaseByDepartmentEntry {
  std::string department_id;
  int64_t submitted_micros = 0;
  std::string case_id;
};

inline absl::StatusOr<CaseByDepartmentEntry> DecodeCaseByDepartmentKey(std::string_view key) {
  storage::KeyReader reader(key);
  CaseByDepartmentEntry entry;
  if (!reader.ReadString(&entry.department_id) || !reader.ReadI64(&entry.submitted_micros) ||
      !reader.ReadString(&entry.case_id) || !reader.done()) {
    return MalformedKey(kCasesByDepartment, key);
  }
  return entry;
}

}  // namespace sunlight::intake::store

#endif  // SUNLIGHT_SERVICES_INTAKE_INTAKE_STORE_H_
