// Early-return helpers for absl::Status / absl::StatusOr (Abseil 20220623 has none public).
//
//   absl::Status Accept(...) {
//     SUNLIGHT_RETURN_IF_ERROR(Validate(request));
//     SUNLIGHT_ASSIGN_OR_RETURN(CaseRecord record, store.Load(case_id));
//     ...
//   }
#ifndef SUNLIGHT_BASE_STATUS_MACROS_H_
#define SUNLIGHT_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SUNLIGHT_RETURN_IF_ERROR(expr)                   \
  do {                                                   \
    ::absl::Status sunlight_status_ = (expr);            \
    if (!sunlight_status_.ok()) return sunlight_status_; \
  } while (false)

#define SUNLIGHT_STATUS_CONCAT_INNER_(a, b) a##b
#define SUNLIGHT_STATUS_CONCAT_(a, b) SUNLIGHT_STATUS_CONCAT_INNER_(a, b)

#define SUNLIGHT_ASSIGN_OR_RETURN(lhs, expr) \
  SUNLIGHT_ASSIGN_OR_RETURN_IMPL_(SUNLIGHT_STATUS_CONCAT_(sunlight_or_, __LINE__), lhs, expr)

#define SUNLIGHT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(tmp).value()

#endif  // SUNLIGHT_BASE_STATUS_MACROS_H_
