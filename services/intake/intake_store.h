// The intake store's column families and the codecs of their keys (private to intake_lib).
//
//   batch.Put(store::kCasesByDepartment, store::CasesByDepartment::Encode("market", micros, id),
//             "");
//   std::string prefix = store::CasesByDepartment::Prefix("market");  // a department's cases
//   if (auto parts = store::CasesByDepartment::Decode(key)) { ... }
//
// Composite keys are typed (storage::TupleKey), so byte order is tuple order: the versions of
// an item ascend, a department's cases are listed in submission order.
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
#include "sunlight/storage/tuple_key.h"

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
// case_id -> the query code sealed with the data key (context kQueryCodeSealContext), for the
// applicants who asked to be told of their case (ApplicantContact.query_code); plain without
// a data key, like the stored query code itself.
inline constexpr char kNotifyQueryCodes[] = "notify_query_codes";
inline constexpr char kQueryCodeSealContext[] = "sunlight.intake.v1.ApplicantContact.query_code";

// DATA_LOSS "malformed <family> key <hex>".
inline absl::Status MalformedKey(std::string_view family, std::string_view key) {
  return absl::DataLossError(
      absl::StrCat("malformed ", absl::string_view(family.data(), family.size()), " key ",
                   absl::BytesToHexString(absl::string_view(key.data(), key.size()))));
}

inline std::string CaseKey(std::string_view case_id) { return std::string(case_id); }

// items: (item_code, version).
using Item = storage::TupleKey<std::string, uint64_t>;

// idempotency: (submitting actor's id, the idempotency key it sent): keys are per actor.
using Idempotency = storage::TupleKey<std::string, std::string>;

// cases_by_department: (department_id, submitted_at in Unix microseconds, case_id).
// CasesByDepartment::Prefix(department, micros) is the first key of the cases submitted at
// that instant or later: an inclusive lower or an exclusive upper bound of a time range.
using CasesByDepartment = storage::TupleKey<std::string, int64_t, std::string>;

}  // namespace sunlight::intake::store

#endif  // SUNLIGHT_SERVICES_INTAKE_INTAKE_STORE_H_
