#include <catch2/catch.hpp>

#include "sunlight/base/mask.h"
#include "sunlight/base/message_text.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/utf8.h"
#include "sunlight/calendar/v1/calendar.pb.h"

namespace sunlight {
namespace {

TEST_CASE("well-formed UTF-8 is accepted, every ill-formed kind is found at its byte") {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("case-0001"));
  CHECK(IsValidUtf8("市场监管局 受理"));
  CHECK(IsValidUtf8("\xF0\x9F\x98\x80"));  // U+1F600, four bytes
  CHECK(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point
  CHECK(FindInvalidUtf8("ab\xFF\xFE") == 2);
  CHECK(FindInvalidUtf8("\xED\xA0\x80") == 0);      // an encoded surrogate U+D800
  CHECK(FindInvalidUtf8("x\xC0\xAF") == 1);         // overlong '/'
  CHECK(FindInvalidUtf8("\xE0\x80\xAF") == 0);      // overlong, three bytes
  CHECK(FindInvalidUtf8("\xF0\x80\x80\xAF") == 0);  // overlong, four bytes
  CHECK(FindInvalidUtf8("\xF4\x90\x80\x80") == 0);  // above U+10FFFF
  CHECK(FindInvalidUtf8("ok\xE5\xB8") == 2);        // cut short at the end
  CHECK(FindInvalidUtf8("\x80") == 0);              // a lone continuation byte
  CHECK(FindInvalidUtf8(std::string("a\0b", 3)) == absl::string_view::npos);  // NUL is UTF-8
}

TEST_CASE("printable text never cuts a character and never echoes bad bytes") {
  CHECK(PrintableText("ab\xFF\xFE") == "ab\\xFF\\xFE");
  CHECK(PrintableText("line\x01") == "line\\x01");
  CHECK(PrintableText("市场监管", 9) == "市场...");
  CHECK(PrintableText("市场监管", 12) == "市场监管");
  CHECK(IsValidUtf8(PrintableText("\xED\xA0\x80\xC0\xAF")));
  // Nothing that forges a log line or turns text around on a terminal.
  CHECK(PrintableText("a\nb\tc") == "a\\x0Ab\\x09c");
  CHECK(PrintableText("\xC2\x85") == "\\x85");            // U+0085, a C1 control
  CHECK(PrintableText("x\xE2\x80\xAEy") == "x\\u202Ey");  // right-to-left override
  CHECK(PrintableText("\xE2\x80\xA8") == "\\u2028");      // line separator
  // A cut never splits an escape, and the limit holds, "..." included.
  CHECK(PrintableText("ab\xFF\xFF", 8) == "ab...");
  CHECK(PrintableText("abcdef", 2) == "..");
  CHECK(PrintableText("abcdef", 6) == "abcdef");
  CHECK(PrintableText("abcdefg", 6) == "abc...");
}

TEST_CASE("RequireUtf8 names the field and never the value") {
  absl::Status bad = RequireUtf8("\xFF\xFEsecret", "case_id", 256);
  CHECK(bad.code() == absl::StatusCode::kInvalidArgument);
  CHECK(bad.message() == "case_id: not valid UTF-8 (byte 0)");
  absl::Status long_one = RequireUtf8(std::string(300, 'a'), "case_id", 256);
  CHECK(long_one.message() == "case_id: too long (at most 256 bytes)");
  CHECK(RequireText("\xC0\xAF", "reason").message() == "reason: not valid UTF-8 (byte 0)");
}

TEST_CASE("message text: the first bad string is named by its path and sanitising repairs it") {
  calendar::v1::HolidayCalendarFile file;
  file.set_name("cn");
  (*file.mutable_years())["2026"].add_days_off("2026-01-01");
  (*file.mutable_years())["2026"].add_days_off("2026-\xFF");
  absl::Status s = ValidateMessageText(file, 64);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(s.message() == "years[0].value.days_off[1]: not valid UTF-8 (byte 5)");
  file.set_source(std::string(100, 'x'));
  CHECK(SanitizeMessageText(&file, 64) == 2);
  CHECK(ValidateMessageText(file, 64).ok());
  calendar::v1::HolidayCalendarFile read_back;
  CHECK(read_back.ParseFromString(file.SerializeAsString()));
  CHECK(read_back.years().at("2026").days_off(1) == "2026-\\xFF");
}

TEST_CASE("masking counts characters, so a masked value is always well-formed") {
  CHECK(MaskIdNumber("110101199003071234") == "110101********1234");
  CHECK(MaskIdNumber("A1234") == "****4");
  CHECK(MaskPhone("13812345678") == "138****5678");
  CHECK(MaskPhone("12345") == "***45");
  CHECK(MaskIdNumber("证件号码是一二三四五六七八") == "证件号码是一***五六七八");
  CHECK(IsValidUtf8(MaskIdNumber("身份证号身份证号身份证号")));
  CHECK(MaskPhone("\xFF\xFE\x31\x32\x33\x34\x35\x36\x37\xFF") == "**1***567*");
}

}  // namespace
}  // namespace sunlight
