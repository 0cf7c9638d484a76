// The console's files (console_files.h).
#include "console_files.h"

#include <fstream>
#include <iterator>
#include <map>

#include "absl/strings/ascii.h"

namespace sunlight::gateway {

HttpResponse ServeConsoleFile(const std::string& console_dir, const std::string& vendor_dir,
                              const std::string& path) {
  if (path == "/" || path == "/console") {
    HttpResponse redirect = ErrorResponse(302, "FOUND", "the console is at /console/");
    redirect.headers.emplace_back("Location", "/console/");
    return redirect;
  }
  std::string name = path.substr(std::string("/console/").size());
  if (name.empty()) name = "index.html";
  // Plain file names only: no directories, no dot files, nothing outside the console.
  bool plain = name.front() != '.' && name.find("..") == std::string::npos;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      plain = false;
    }
  }
  static const std::map<std::string, std::string> kTypes = {
      {"html", "text/html; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"json", "application/json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"ico", "image/x-icon"}};
  size_t dot = name.rfind('.');
  auto type = dot == std::string::npos ? kTypes.end() : kTypes.find(name.substr(dot + 1));
  // The third-party files the console loads, from their pinned package.
  const bool vendor = !vendor_dir.empty() && name == "echarts.min.js";
  std::ifstream in((vendor ? vendor_dir : console_dir) + "/" + name, std::ios::binary);
  if (!plain || type == kTypes.end() || !in) {
    return ErrorResponse(404, "NOT_FOUND", "no such console file");
  }
  HttpResponse file;
  file.content_type = type->second;
  file.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  // Footage (clips, snapshots) is fetched with the bearer token and shown from blob: URLs,
  // which only the console's own scripts can make.
  file.headers.emplace_back("Content-Security-Policy",
                            "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                            "img-src 'self' data: blob:; media-src 'self' blob:; "
                            "frame-ancestors 'none'");
  // The pinned library changes only with its package: let the browser keep it a day.
  if (vendor) file.headers.emplace_back("Cache-Control", "private, max-age=86400");
  return file;
}

}  // namespace sunlight::gateway
