#include "sunlight/export/table_export.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sunlight::table_export {
namespace {

Table Sample(int rows) {
  Table t{.title = "2026-03 按部门 [stats]", .columns = {"部门 department", "accepted", "note"}};
  for (int i = 0; i < rows; ++i) {
    t.rows.push_back({Cell::Text(absl::StrCat("dept-", i)), Cell::Number(i),
                      Cell::Text(i == 0 ? "=HYPERLINK(\"x\")" : "a, \"quoted\"\nline")});
  }
  return t;
}

TEST_CASE("CSV: quoted where needed, formulas defused, streamed in whole rows") {
  CHECK(CsvField(Cell::Text("plain")) == "plain");
  CHECK(CsvField(Cell::Text("a,b")) == "\"a,b\"");
  CHECK(CsvField(Cell::Text("say \"hi\"")) == "\"say \"\"hi\"\"\"");
  CHECK(CsvField(Cell::Text("=1+1")) == "'=1+1");
  CHECK(CsvField(Cell::Text("-2")) == "'-2");
  CHECK(CsvField(Cell::Number(-2)) == "-2");
  CHECK(CsvField(Cell::Number(0.25)) == "0.2500");
  auto chunks = CsvChunks(std::make_shared<const Table>(Sample(5000)), 4096);
  std::string all, chunk;
  int calls = 0;
  while (chunks(&chunk)) {
    ++calls;
    CHECK(absl::EndsWith(chunk, "\r\n"));  // whole rows only
    all += chunk;
    chunk.clear();
  }
  CHECK(calls > 10);
  CHECK(absl::StartsWith(all, "\xEF\xBB\xBF部门 department,accepted,note\r\n"));
  CHECK(absl::StrContains(all, "dept-0,0,\"'=HYPERLINK(\"\"x\"\")\"\r\n"));
  CHECK(absl::StrContains(all, "dept-4999,4999,\"a, \"\"quoted\"\"\nline\"\r\n"));
  CHECK_FALSE(chunks(&chunk));  // stays done
}

TEST_CASE("Excel: a workbook that opens, with numbers as numbers, streamed and removed") {
  char dir_template[] = "/tmp/sunlight-export-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  auto path = WriteXlsx(Sample(3), dir);
  REQUIRE(path.ok());
  // Opened by Python's zip reader, as a spreadsheet program would: the sheet and its strings.
  std::string command = absl::StrCat(
      "python3 -c \"import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); "
      "print(z.read('xl/workbook.xml').decode()); "
      "print(z.read('xl/worksheets/sheet1.xml').decode()); "
      "print(z.read('xl/sharedStrings.xml').decode() if 'xl/sharedStrings.xml' in z.namelist() "
      "else '')\" ",
      *path);
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string xml;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) xml.append(buffer, n);
  REQUIRE(pclose(pipe) == 0);
  CHECK(absl::StrContains(xml, "name=\"2026-03 按部门 stats\""));
  CHECK(absl::StrContains(xml, "<v>2</v>"));  // a number cell
  CHECK(absl::StrContains(xml, "dept-2"));
  CHECK(absl::StrContains(xml, "=HYPERLINK"));  // as text: no <f> formula element
  CHECK_FALSE(absl::StrContains(xml, "<f>"));
  std::ifstream in(*path, std::ios::binary);
  std::stringstream whole;
  whole << in.rdbuf();
  auto chunks = FileChunks(*path, 1000);
  std::string streamed, chunk;
  while (chunks(&chunk)) {
    streamed += chunk;
    chunk.clear();
  }
  CHECK(streamed == whole.str());
  chunks = nullptr;
  std::ifstream gone(*path);
  CHECK_FALSE(gone.good());
  std::remove(dir.c_str());
}

}  // namespace
}  // namespace sunlight::table_export
