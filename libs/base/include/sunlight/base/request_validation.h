// The checks every service applies to untrusted requests, with INVALID_ARGUMENT errors that
// name the offending field.
//
//   SUNLIGHT_RETURN_IF_ERROR(ValidateActor(request.actor()));
//   SUNLIGHT_RETURN_IF_ERROR(RequireText(request.case_id(), "case_id"));
//   SUNLIGHT_RETURN_IF_ERROR(ValidateLimit(request.limit(), "limit"));
#ifndef SUNLIGHT_BASE_REQUEST_VALIDATION_H_
#define SUNLIGHT_BASE_REQUEST_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "sunlight/base/utf8.h"
#include "sunlight/common/v1/common.pb.h"

namespace sunlight {

// Longest free text accepted in a request field.
inline constexpr size_t kMaxTextLength = 4096;
// Longest text accepted in any one string field of any request (fields with a meaning of
// their own have tighter limits, checked where they are used).
inline constexpr size_t kMaxAnyTextLength = 64 * 1024;
// Longest time limit accepted, in days (ten years).
inline constexpr uint32_t kMaxLimitDays = 3660;

// INVALID_ARGUMENT "<field>: <what>".
inline absl::Status InvalidField(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

// A required, bounded text field of well-formed UTF-8.
inline absl::Status RequireText(absl::string_view value, absl::string_view field) {
  if (value.empty()) return InvalidField(field, "required");
  return RequireUtf8(value, field, kMaxTextLength);
}

// A required text field of well-formed UTF-8 of at most `max_bytes`.
inline absl::Status RequireBoundedText(absl::string_view value, absl::string_view field,
                                       size_t max_bytes) {
  if (value.empty()) return InvalidField(field, "required");
  return RequireUtf8(value, field, max_bytes);
}

// Free text people read and type (a comment, reasons): well-formed UTF-8 of at most
// `max_characters` characters (not bytes: a Chinese character is one), required or not.
inline absl::Status RequireCharacters(absl::string_view text, absl::string_view field,
                                      size_t max_characters, bool required) {
  if (text.empty()) return required ? InvalidField(field, "required") : absl::OkStatus();
  absl::Status utf8 = RequireUtf8(text, field, 4 * max_characters);
  if (!utf8.ok()) return utf8;
  if (SplitUtf8Characters(text).size() > max_characters) {
    return InvalidField(field, absl::StrCat("at most ", max_characters, " characters"));
  }
  return absl::OkStatus();
}

// A phone number to send text messages to, when given: digits (a leading '+' allowed), 5 to
// 20 of them.
inline absl::Status ValidatePhoneNumber(absl::string_view phone, absl::string_view field) {
  if (phone.empty()) return absl::OkStatus();
  bool digits = phone.size() >= 5 && phone.size() <= 20;
  for (size_t i = 0; i < phone.size(); ++i) {
    digits &= (phone[i] >= '0' && phone[i] <= '9') || (i == 0 && phone[i] == '+');
  }
  return digits ? absl::OkStatus() : InvalidField(field, "digits, a leading + allowed, 5 to 20");
}

// An e-mail address to write to, when given: one '@' with a name before it and a domain after,
// at most 254 bytes, no spaces, line breaks or the separators <>,;.
inline absl::Status ValidateEmailAddress(absl::string_view email, absl::string_view field) {
  if (email.empty()) return absl::OkStatus();
  size_t at = email.find('@');
  bool ok = email.size() <= 254 && at != absl::string_view::npos && at > 0 &&
            email.find('@', at + 1) == absl::string_view::npos && at + 1 < email.size() &&
            email.find_first_of(" \r\n\t<>,;") == absl::string_view::npos;
  return ok ? absl::OkStatus() : InvalidField(field, "an address name@domain");
}

// A reference to a stored document: required, at most 2,048 bytes of printable ASCII without
// spaces, an "https://" URL or the document store's "doc:<id>".
inline absl::Status ValidateDocumentRef(absl::string_view value, absl::string_view field) {
  if (value.empty()) return InvalidField(field, "required");
  if (value.size() > 2048) return InvalidField(field, "at most 2048 bytes");
  for (char c : value) {
    if (c <= 0x20 || c >= 0x7F) return InvalidField(field, "printable ASCII without spaces only");
  }
  for (absl::string_view scheme : {absl::string_view("https://"), absl::string_view("doc:")}) {
    if (value.size() > scheme.size() && value.substr(0, scheme.size()) == scheme) {
      return absl::OkStatus();
    }
  }
  return InvalidField(field, "must be an https:// URL or a doc: reference");
}

// Every mutating call names its actor.
inline absl::Status ValidateActor(const common::v1::Actor& actor) {
  if (actor.id().empty()) return InvalidField("actor.id", "required: every change names its actor");
  return RequireUtf8(actor.id(), "actor.id", 256);
}

// A time limit: working or natural days between 1 and kMaxLimitDays, or same day (0 or 1).
inline absl::Status ValidateLimit(const common::v1::TimeLimit& limit, absl::string_view field) {
  switch (limit.unit()) {
    case common::v1::LIMIT_UNIT_WORKING_DAYS:
    case common::v1::LIMIT_UNIT_NATURAL_DAYS:
      if (limit.amount() == 0 || limit.amount() > kMaxLimitDays) {
        return InvalidField(absl::StrCat(field, ".amount"), "must be between 1 and 3660");
      }
      return absl::OkStatus();
    case common::v1::LIMIT_UNIT_SAME_DAY:
      if (limit.amount() > 1) {
        return InvalidField(absl::StrCat(field, ".amount"), "must be 0 or 1 for same-day limits");
      }
      return absl::OkStatus();
    default:
      return InvalidField(absl::StrCat(field, ".unit"), "must be set");
  }
}

}  // namespace sunlight

#endif  // SUNLIGHT_BASE_REQUEST_VALIDATION_H_
