// The notifier's texts (private to services/notify): idempotency keys, template filling,
// Beijing time and applicants' quiet hours.
#ifndef SUNLIGHT_SERVICES_NOTIFY_NOTIFIER_TEXT_H_
#define SUNLIGHT_SERVICES_NOTIFY_NOTIFIER_TEXT_H_

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "sunlight/notify/notifier.h"

namespace sunlight::notify {

// An idempotency key of the parts, of the characters every channel carries as they are
// (Kannel's report URL among them): [A-Za-z0-9._~-], the parts joined by '.', '/' as '.',
// others '_'; at most 128 characters.
inline std::string SafeKey(std::initializer_list<std::string_view> parts) {
  std::string key;
  for (std::string_view part : parts) {
    if (!key.empty()) key += '.';
    for (char c : part) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '~' || c == '-';
      key += ok ? c : (c == '/' ? '.' : '_');
    }
  }
  return key.substr(0, 128);
}

inline std::string Fill(const std::string& text, const TextFields& fields) {
  std::vector<std::pair<std::string, std::string>> replacements;
  for (const auto& [name, value] : fields) replacements.emplace_back("{" + name + "}", value);
  return absl::StrReplaceAll(text, replacements);
}

inline const absl::TimeZone& Beijing() {
  static const absl::TimeZone* zone = new absl::TimeZone(absl::FixedTimeZone(8 * 3600));
  return *zone;
}

// "2026-12-09 17:30" (minutes true) or "2026-12-09", Beijing time.
inline std::string BeijingTime(absl::Time t, bool minutes) {
  return absl::FormatTime(minutes ? "%Y-%m-%d %H:%M" : "%Y-%m-%d", t, Beijing());
}

// Applicants are not woken: outside 08:00-21:00 a message waits for the next 08:00.
inline absl::Time AfterQuietHours(absl::Time now) {
  absl::CivilSecond local = absl::ToCivilSecond(now, Beijing());
  if (local.hour() >= 8 && local.hour() < 21) return now;
  absl::CivilDay day = absl::CivilDay(local);
  if (local.hour() >= 21) day += 1;
  return absl::FromCivil(absl::CivilHour(day.year(), day.month(), day.day(), 8), Beijing());
}

}  // namespace sunlight::notify

#endif  // SUNLIGHT_SERVICES_NOTIFY_NOTIFIER_TEXT_H_
