// Test-only: requests to a Gateway's Handle, without a socket, for every gateway test.
#ifndef SUNLIGHT_SERVICES_GATEWAY_GATEWAY_TEST_HTTP_H_
#define SUNLIGHT_SERVICES_GATEWAY_GATEWAY_TEST_HTTP_H_

#include <string>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gateway.h"
#include "google/protobuf/util/json_util.h"
#include "http_server.h"

namespace sunlight::gateway {

// `target` may carry a query string ("/v1/clocks?light=LIGHT_RED"); `token` a bearer token.
inline HttpRequest TestRequest(const std::string& method, const std::string& target,
                               const std::string& token = "", const std::string& body = "",
                               const std::string& client = "10.0.0.1") {
  HttpRequest request;
  request.method = method;
  std::string path = target;
  if (size_t q = target.find('?'); q != std::string::npos) {
    path = target.substr(0, q);
    for (absl::string_view pair : absl::StrSplit(target.substr(q + 1), '&')) {
      size_t eq = pair.find('=');
      request.query[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
    }
  }
  request.path = path;
  request.body = body;
  request.client = client;
  if (!token.empty()) request.headers["authorization"] = "Bearer " + token;
  return request;
}

// The value of a response header; "" when absent.
inline std::string HeaderOf(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

// Logs in through POST /v1/login; the bearer token.
inline std::string TestLogin(Gateway& gateway, const std::string& user,
                             const std::string& password) {
  HttpResponse r = gateway.Handle(
      TestRequest("POST", "/v1/login", "",
                  absl::StrCat(R"({"user_id":")", user, R"(","password":")", password, R"("})")));
  REQUIRE(r.status == 200);
  v1::LoginResponse login;
  REQUIRE(google::protobuf::util::JsonStringToMessage(r.body, &login).ok());
  return login.token();
}

}  // namespace sunlight::gateway

#endif  // SUNLIGHT_SERVICES_GATEWAY_GATEWAY_TEST_HTTP_H_
