// Tables for download: CSV and Excel (.xlsx, libxlsxwriter), produced a piece at a time so a
// large table streams instead of being built in memory first.
//
//   Table table{.title = "2026-03", .columns = {"department", "accepted"}};
//   table.rows.push_back({Cell::Text("market"), Cell::Number(42)});
//   HttpResponse r;
//   r.stream = CsvChunks(std::make_shared<const Table>(std::move(table)));
//
// Cells that a spreadsheet would run as a formula (text starting with = + - @, a tab or a
// carriage return) are written with a leading apostrophe in CSV and always as text in Excel
// (CSV injection). CSV is UTF-8 with a byte-order mark, so Excel opens Chinese text.
#ifndef SUNLIGHT_EXPORT_TABLE_EXPORT_H_
#define SUNLIGHT_EXPORT_TABLE_EXPORT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sunlight::table_export {

struct Cell {
  std::string text;
  std::optional<double> number;  // a number cell when set (text is then its display form)

  static Cell Text(std::string text) { return Cell{std::move(text), std::nullopt}; }
  static Cell Number(double value);
};

struct Table {
  std::string title;  // the sheet's name in Excel (at most 31 characters are kept)
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
};

// One CSV field as written (quoted when needed, formula-like text defused).
std::string CsvField(const Cell& cell);

// A producer of the CSV's bytes: each call appends about `chunk_bytes` (whole rows) and
// returns true, or returns false when the table is done.
std::function<bool(std::string*)> CsvChunks(std::shared_ptr<const Table> table,
                                            size_t chunk_bytes = 64 * 1024);

// Writes the table as an .xlsx workbook (libxlsxwriter, constant-memory mode) to a new file
// in `directory` and returns its path. INTERNAL when the library fails.
absl::StatusOr<std::string> WriteXlsx(const Table& table, const std::string& directory);

// A producer of a file's bytes that removes the file when it has been read (or when the
// producer is destroyed early: a client that went away).
std::function<bool(std::string*)> FileChunks(const std::string& path,
                                             size_t chunk_bytes = 64 * 1024);

}  // namespace sunlight::table_export

#endif  // SUNLIGHT_EXPORT_TABLE_EXPORT_H_
