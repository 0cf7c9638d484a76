// The forms of what an applicant types: a case number ("20260224-000042") and a query code
// (10 characters of an unambiguous alphabet, 50 bits, "7KQ2M-9XD4R" as printed). Intake makes
// them; the gateway checks their form before it keeps any state for them.
#ifndef SUNLIGHT_BASE_CASE_CODES_H_
#define SUNLIGHT_BASE_CASE_CODES_H_

#include <optional>
#include <string>
#include <string_view>

namespace sunlight {

// Crockford's base-32 alphabet: digits and capitals without I, L, O and U.
inline constexpr std::string_view kQueryCodeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
inline constexpr size_t kQueryCodeLength = 10;

// The code as stored and compared: capitals, without the spaces and hyphens a person may type,
// with I and L read as 1 and O as 0; nullopt when it is not of the form.
inline std::optional<std::string> NormalizeQueryCode(std::string_view typed) {
  if (typed.size() > 32) return std::nullopt;
  std::string code;
  for (char c : typed) {
    if (c == ' ' || c == '-') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == 'I' || c == 'L') c = '1';
    if (c == 'O') c = '0';
    if (kQueryCodeAlphabet.find(c) == std::string_view::npos) return std::nullopt;
    code += c;
  }
  if (code.size() != kQueryCodeLength) return std::nullopt;
  return code;
}

// A case number: 8 digits of the submission date, '-', 6 or more digits (at most 20).
inline bool IsCaseNumber(std::string_view number) {
  if (number.size() < 15 || number.size() > 29 || number[8] != '-') return false;
  for (size_t i = 0; i < number.size(); ++i) {
    if (i != 8 && (number[i] < '0' || number[i] > '9')) return false;
  }
  return true;
}

}  // namespace sunlight

#endif  // SUNLIGHT_BASE_CASE_CODES_H_
