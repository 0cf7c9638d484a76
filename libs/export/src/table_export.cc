// Tables for download (table_export.h).
#include "sunlight/export/table_export.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace sunlight::table_export {

Cell Cell::Number(double value) {
  std::string text = std::floor(value) == value && std::fabs(value) < 1e15
                         ? absl::StrCat(static_cast<int64_t>(value))
                         : absl::StrFormat("%.4f", value);
  return Cell{std::move(text), value};
}

namespace {

bool FormulaLike(const std::string& text) {
  return !text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' ||
                           text[0] == '\t' || text[0] == '\r');
}

}  // namespace

std::string CsvField(const Cell& cell) {
  if (cell.number.has_value()) return cell.text;
  std::string text = FormulaLike(cell.text) ? "'" + cell.text : cell.text;
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::function<bool(std::string*)> CsvChunks(std::shared_ptr<const Table> table,
                                            size_t chunk_bytes) {
  // -1: the byte-order mark and the header line; then the rows.
  auto next = std::make_shared<long>(-1);
  return [table = std::move(table), next, chunk_bytes](std::string* out) {
    const long rows = static_cast<long>(table->rows.size());
    if (*next > rows - 1 && *next >= 0) return false;
    size_t start = out->size();
    auto line = [&](const std::vector<Cell>& cells) {
      for (size_t i = 0; i < cells.size(); ++i) {
        if (i > 0) out->push_back(',');
        out->append(CsvField(cells[i]));
      }
      out->append("\r\n");
    };
    if (*next == -1) {
      out->append("\xEF\xBB\xBF");
      std::vector<Cell> header;
      for (const auto& c : table->columns) header.push_back(Cell::Text(c));
      line(header);
      *next = 0;
    }
    while (*next < rows && out->size() - start < chunk_bytes) line(table->rows[(*next)++]);
    return true;
  };
}

absl::StatusOr<std::string> WriteXlsx(const Table& table, const std::string& directory) {
  std::string path = directory + "/export-XXXXXX.xlsx";
  int fd = mkstemps(path.data(), 5);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot create a file in ", directory));
  close(fd);
  lxw_workbook_options options{};
  options.constant_memory = LXW_TRUE;
  options.tmpdir = const_cast<char*>(directory.c_str());
  lxw_workbook* workbook = workbook_new_opt(path.c_str(), &options);
  if (workbook == nullptr) {
    unlink(path.c_str());
    return absl::InternalError("libxlsxwriter could not start a workbook");
  }
  // Sheet names: at most 31 characters, none of []:*?/\ .
  std::string name;
  for (char c : table.title) {
    if (std::string_view("[]:*?/\\").find(c) == std::string_view::npos) name.push_back(c);
  }
  if (name.size() > 31) name.resize(31);
  while (!name.empty() && (static_cast<unsigned char>(name.back()) & 0xC0) == 0x80) name.pop_back();
  if (!name.empty() && (static_cast<unsigned char>(name.back()) & 0x80)) name.pop_back();
  lxw_worksheet* sheet = workbook_add_worksheet(workbook, name.empty() ? nullptr : name.c_str());
  lxw_format* bold = workbook_add_format(workbook);
  format_set_bold(bold);
  for (size_t c = 0; c < table.columns.size(); ++c) {
    worksheet_write_string(sheet, 0, static_cast<lxw_col_t>(c), table.columns[c].c_str(), bold);
  }
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    for (size_t c = 0; c < row.size(); ++c) {
      auto rr = static_cast<lxw_row_t>(r + 1);
      auto cc = static_cast<lxw_col_t>(c);
      if (row[c].number.has_value()) {
        worksheet_write_number(sheet, rr, cc, *row[c].number, nullptr);
      } else {
        worksheet_write_string(sheet, rr, cc, row[c].text.c_str(), nullptr);
      }
    }
  }
  lxw_error error = workbook_close(workbook);
  if (error != LXW_NO_ERROR) {
    unlink(path.c_str());
    return absl::InternalError(absl::StrCat("libxlsxwriter: ", lxw_strerror(error)));
  }
  return path;
}

std::function<bool(std::string*)> FileChunks(const std::string& path, size_t chunk_bytes) {
  struct Open {
    int fd = -1;
    std::string path;
    ~Open() {
      if (fd >= 0) close(fd);
      unlink(path.c_str());
    }
  };
  auto file = std::make_shared<Open>();
  file->path = path;
  file->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  return [file, chunk_bytes](std::string* out) {
    if (file->fd < 0) return false;
    size_t start = out->size();
    out->resize(start + chunk_bytes);
    ssize_t n = read(file->fd, out->data() + start, chunk_bytes);
    out->resize(start + (n > 0 ? static_cast<size_t>(n) : 0));
    return n > 0;
  };
}

}  // namespace sunlight::table_export
