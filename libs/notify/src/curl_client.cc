#include "sunlight/notify/curl_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace sunlight::notify {
namespace {

struct ReadState {
  HttpResponse* response;
  std::size_t max_body_bytes;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<ReadState*>(user);
  size_t bytes = size * count;
  std::string& body = state->response->body;
  if (body.size() < state->max_body_bytes) {
    body.append(data, std::min(bytes, state->max_body_bytes - body.size()));
  }
  return bytes;  // the rest is dropped, not refused: refusing would abort the transfer
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<ReadState*>(user);
  size_t bytes = size * count;
  absl::string_view line(data, bytes);
  // A new status line starts a new answer (after "100 Continue"): forget earlier headers.
  if (absl::StartsWith(line, "HTTP/")) {
    state->response->headers.clear();
    return bytes;
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return bytes;
  std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon)));
  state->response->headers[name] = std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  return bytes;
}

absl::Status ToStatus(CURLcode code, const char* error_buffer) {
  std::string message =
      absl::StrCat(curl_easy_strerror(code), error_buffer[0] ? ": " : "", error_buffer);
  switch (code) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(message);
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(message);
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

void EnsureCurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Never cleaned up: other code in the process may still use libcurl at exit.
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) std::abort();
  });
}

std::string UrlEncodeComponent(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

CurlClient::CurlClient() {
  EnsureCurlGlobalInit();
  curl_ = curl_easy_init();
  if (curl_ == nullptr) std::abort();  // out of memory
}

CurlClient::~CurlClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

absl::StatusOr<HttpResponse> CurlClient::Send(const HttpRequest& request) {
  if (request.method != "GET" && request.method != "POST") {
    return absl::InvalidArgumentError(
        absl::StrCat("method: only GET and POST are supported, not \"", request.method, "\""));
  }
  CURL* curl = static_cast<CURL*>(curl_);
  // Options from the previous request must not leak into this one; the connection cache
  // survives the reset.
  curl_easy_reset(curl);

  curl_slist* list = nullptr;
  for (const std::string& header : request.headers) {
    curl_slist* longer = curl_slist_append(list, header.c_str());
    if (longer == nullptr) {
      curl_slist_free_all(list);
      return absl::InternalError("curl_slist_append failed");
    }
    list = longer;
  }
  std::unique_ptr<curl_slist, SlistFree> headers(list);

  HttpResponse response;
  ReadState state{&response, request.max_body_bytes};
  char error_buffer[CURL_ERROR_SIZE] = {0};
  long timeout_ms = std::max<long>(1, absl::ToInt64Milliseconds(request.timeout));

  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  // Signals are not thread-safe; timeouts then rely on the threaded resolver Debian builds.
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!request.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, request.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &state);
  if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }

  CURLcode code = curl_easy_perform(curl);
  // The handle must not keep pointers into this frame past the call.
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  if (code != CURLE_OK) return ToStatus(code, error_buffer);

  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace sunlight::notify
