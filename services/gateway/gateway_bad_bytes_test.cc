// Bytes a hostile client may send: invalid UTF-8 (bad bytes, encoded surrogates, overlong
// forms) in every position a request carries text, random bytes on every route, and an audit
// log written before the checks existed.
#include <random>

#include "google/protobuf/unknown_field_set.h"

#include "gateway_test_fixture.h"
#include "sunlight/base/utf8.h"

namespace sunlight::gateway {
namespace {

// The error of a 4xx answer: well-formed JSON (so valid UTF-8) in the one error shape.
struct ErrorBody {
  std::string code;
  std::string field;
};
ErrorBody ParseError(const HttpResponse& r) {
  INFO(r.status << " " << r.body);
  REQUIRE(IsValidUtf8(r.body));
  pb::Struct body;
  REQUIRE(pb::util::JsonStringToMessage(r.body, &body).ok());
  REQUIRE(body.fields().contains("error"));
  const auto& error = body.fields().at("error").struct_value().fields();
  ErrorBody out;
  out.code = error.at("code").string_value();
  if (error.contains("field")) out.field = error.at("field").string_value();
  return out;
}

void ExpectRefused(const HttpResponse& r, const std::string& field) {
  INFO(r.status << " " << PrintableText(r.body, 400));
  CHECK(r.status == 400);
  ErrorBody error = ParseError(r);
  CHECK(error.code == "INVALID_ARGUMENT");
  CHECK(error.field == field);
}

const std::string kBad[] = {"\xFF\xFE", "\xED\xA0\x80", "\xC0\xAF"};

TEST_CASE_METHOD(GatewayFixture, "invalid UTF-8 in each input position is a 400 naming the field") {
  const std::string secadm = Login("secadm", "keeper-of-accounts");
  const std::string inspector = Login("insp", "inspector-password");
  const std::string clerk = Login("clerk-1", "clerk-password");
  for (const std::string& bad : kBad) {
    INFO(PrintableText(bad));
    clock.Advance(absl::Seconds(10));  // a fresh public rate allowance per round
    // Public: a path parameter, a query argument, a body member.
    ExpectRefused(Call("GET", "/v1/public/items/" + bad), "item_code");
    ExpectRefused(Call("GET", "/v1/public/items?department_id=" + bad), "department_id");
    ExpectRefused(Call("POST", "/v1/public/progress", "",
                       R"({"case_number":")" + bad + R"(","query_code":"x"})"),
                  "case_number");
    ExpectRefused(Call("POST", "/v1/public/applications", "",
                       R"({"item_code":"GT-001","applicant":{"name":")" + bad + R"("}})"),
                  "applicant.name");
    // Cases: the reproduction, a query argument, a body member.
    ExpectRefused(Call("POST", "/v1/cases/" + bad + ":accept", clerk, R"({"window_id":"W01"})"),
                  "case_id");
    ExpectRefused(Call("GET", "/v1/cases?department_id=" + bad, clerk), "department_id");
    ExpectRefused(Call("POST", "/v1/cases/c1:refuse", clerk, R"({"reason":")" + bad + R"("})"),
                  "reason");
    // Supervision.
    ExpectRefused(Call("GET", "/v1/clocks?light=LIGHT_RED&item_code=" + bad, inspector),
                  "item_code");
    ExpectRefused(Call("GET", "/v1/notices/" + bad, inspector), "notice_id");
    ExpectRefused(
        Call("POST", "/v1/notices", inspector, R"({"case_id":"c1","reason":[")" + bad + R"("]})"),
        "reason[0]");
    // Accounts.
    ExpectRefused(Call("POST", "/v1/login", "", R"({"user_id":")" + bad + R"(","password":"p"})"),
                  "user_id");
    ExpectRefused(Call("POST", "/v1/users", secadm,
                       R"({"user":{"user_id":"u","name":")" + bad + R"("},"password":"p"})"),
                  "user.name");
    // A header the gateway reads.
    HttpRequest header;
    header.method = "GET";
    header.path = "/v1/me";
    header.client = "10.0.0.1";
    header.headers["authorization"] = "Bearer " + bad;
    ExpectRefused(gateway->Handle(header), "Authorization");
    // A body that is not even JSON: named as the body, its bytes not echoed.
    ExpectRefused(Call("POST", "/v1/login", "", bad), "body");
    // A path that matches no route: 404, still well-formed.
    HttpResponse unrouted = Call("GET", "/v1/" + bad);
    CHECK(unrouted.status == 404);
    CHECK(ParseError(unrouted).code == "NOT_FOUND");
  }
  // A lone surrogate spelled as a JSON escape never reaches a store either.
  HttpResponse escaped = Call("POST", "/v1/cases/c1:refuse", clerk, R"({"reason":"\ud800"})");
  CHECK(escaped.status == 400);
  CHECK(ParseError(escaped).code == "INVALID_ARGUMENT");
  // Over-long values in a path and a query.
  ExpectRefused(Call("GET", "/v1/notices/" + std::string(300, 'n'), inspector), "notice_id");
  ExpectRefused(Call("GET", "/v1/clocks?item_code=" + std::string(2000, 'i'), inspector),
                "item_code");

  // None of it broke the audit chain, and the gateway opens again on its store.
  auto verified = gateway->audit().Verify();
  REQUIRE(verified.ok());
  CHECK(verified->intact());
  CHECK(verified->entries() > 10);
  OpenGateway(absl::StrCat("127.0.0.1:", host->port()));
  CHECK(Call("GET", "/v1/me", Login("admin", "admin-password")).status == 200);
}

TEST_CASE_METHOD(GatewayFixture, "configuration bodies are validated: calendar years and names") {
  const std::string admin = Login("admin", "admin-password");
  ExpectRefused(Call("PUT", "/v1/calendar", admin,
                     R"({"calendar":{"name":"cn","timezone":"Asia/Shanghai","years":null}})"),
                "calendar.years");
  ExpectRefused(Call("PUT", "/v1/calendar", admin,
                     absl::StrCat(R"({"calendar":{"name":")", std::string(100 * 1024, 'n'),
                                  R"(","timezone":"Asia/Shanghai","years":{"2026":{}}}})")),
                "calendar.name");
  ExpectRefused(Call("PUT", "/v1/calendar", admin,
                     absl::StrCat(R"({"calendar":{"name":")", std::string(200, 'n'),
                                  R"(","timezone":"Asia/Shanghai","years":{"2026":{}}}})")),
                "calendar.name");
}

// Random bytes: biased towards the sequences that break parsers and proto strings.
std::string RandomBytes(std::mt19937& random, size_t max_length) {
  static const std::vector<std::string> kPieces = {"\xFF",
                                                   "\xFE",
                                                   "\xED\xA0\x80",
                                                   "\xC0\xAF",
                                                   "\xF4\x90\x80\x80",
                                                   "\xE5\xB8",
                                                   "\x00",
                                                   "/",
                                                   ":",
                                                   "%",
                                                   "\"",
                                                   "\\",
                                                   "{",
                                                   "}",
                                                   "[",
                                                   "a",
                                                   "1",
                                                   "市",
                                                   "\\ud800",
                                                   "\n",
                                                   "?"};
  std::string out;
  size_t length = random() % (max_length + 1);
  for (size_t i = 0; i < length; ++i) {
    if (random() % 3 == 0) {
      out += static_cast<char>(random() % 256);
    } else {
      out += kPieces[random() % kPieces.size()];
    }
  }
  return out;
}

TEST_CASE_METHOD(GatewayFixture,
                 "random bytes in path and query and body of every route never give a 5xx") {
  const std::map<std::string, std::string> tokens = {
      {"administrator", Login("admin", "admin-password")},
      {"inspector", Login("insp", "inspector-password")},
      {"staff", Login("clerk-1", "clerk-password")}};
  pb::Struct doc;
  REQUIRE(pb::util::JsonStringToMessage(gateway->OpenApiJson(), &doc).ok());
  std::mt19937 random(20261202);  // fixed: a failure is repeatable
  int calls = 0;
  for (const auto& [pattern, item] : doc.fields().at("paths").struct_value().fields()) {
    for (const auto& [method, op] : item.struct_value().fields()) {
      const auto& fields = op.struct_value().fields();
      if (pattern == "/v1/logout") continue;  // would end the sessions used here
      std::vector<std::string> query_names;
      for (const auto& p : fields.at("parameters").list_value().values()) {
        const auto& parameter = p.struct_value().fields();
        if (parameter.at("in").string_value() == "query") {
          query_names.push_back(parameter.at("name").string_value());
        }
      }
      std::string token;
      if (fields.contains("security")) {
        for (const auto& role : fields.at("x-roles").list_value().values()) {
          if (tokens.contains(role.string_value())) token = tokens.at(role.string_value());
        }
      }
      for (int round = 0; round < 25; ++round) {
        HttpRequest request;
        request.method = absl::AsciiStrToUpper(method);
        request.client = absl::StrCat("10.", random() % 256, ".", random() % 256, ".1");
        if (!token.empty()) request.headers["authorization"] = "Bearer " + token;
        bool in_brace = false;
        for (char c : pattern) {
          if (c == '{' || c == '}') {
            in_brace = c == '{';
            if (in_brace) request.path += round % 4 == 0 ? "c1" : RandomBytes(random, 8);
          } else if (!in_brace) {
            request.path += c;
          }
        }
        if (round % 2 == 1) {
          std::string name = query_names.empty() || round % 5 == 0
                                 ? RandomBytes(random, 6)
                                 : query_names[random() % query_names.size()];
          request.query[name] = RandomBytes(random, 12);
        }
        if (request.method != "GET") {
          switch (round % 3) {
            case 0:
              request.body = RandomBytes(random, 40);
              break;
            case 1:
              request.body = absl::StrCat(R"({"case_id":")", RandomBytes(random, 10), R"("})");
              break;
            default:
              request.body = absl::StrCat(R"({"reason":")", RandomBytes(random, 10),
                                          R"(","name":")", RandomBytes(random, 10), R"("})");
          }
        }
        HttpResponse r = gateway->Handle(request);
        ++calls;
        INFO(request.method << " " << PrintableText(request.path) << " -> " << r.status << " "
                            << PrintableText(r.body, 300));
        REQUIRE(r.status < 500);
        if (r.stream) continue;  // the event stream answered: nothing more to read
        REQUIRE(IsValidUtf8(r.body));
        pb::Struct body;
        REQUIRE(pb::util::JsonStringToMessage(r.body, &body).ok());
        if (r.status >= 400) ParseError(r);
      }
    }
  }
  CHECK(calls > 900);
  auto verified = gateway->audit().Verify();
  REQUIRE(verified.ok());
  CHECK(verified->intact());
}

// Writes an entry the way the gateway did before it checked request text: a target of
// bytes that are not UTF-8, chained and hashed (under `key`) as usual.
void WriteUncheckedEntry(storage::Store* store, const auth::HmacSigner& key,
                         const std::string& target) {
  auto head = store->Get(kAuditHeadFamily, "head");
  REQUIRE(head.ok());
  v1::AuditEntry last;
  if (head->has_value() && !last.ParseFromString(**head)) {
    // The head is an unchecked entry itself: its sequence and hash from the wire data.
    pb::UnknownFieldSet fields;
    REQUIRE(fields.ParseFromString(**head));
    for (int i = 0; i < fields.field_count(); ++i) {
      const pb::UnknownField& f = fields.field(i);
      if (f.number() == v1::AuditEntry::kSequenceFieldNumber) last.set_sequence(f.varint());
      if (f.number() == v1::AuditEntry::kHashFieldNumber) last.set_hash(f.length_delimited());
    }
  }
  v1::AuditEntry entry;
  entry.set_sequence(last.sequence() + 1);
  entry.set_previous_hash(last.hash());
  entry.set_user_id("clerk-1");
  entry.set_action("POST /v1/cases/{case_id}:accept");
  entry.set_target(target);
  entry.set_http_status(500);
  entry.set_chain_version(2);
  entry.set_hash(AuditLog::Hash(entry, key));
  storage::WriteBatch batch;
  batch.Put(kAuditFamily, storage::EncodeU64(entry.sequence()), entry.SerializeAsString());
  batch.Put(kAuditHeadFamily, "head", entry.SerializeAsString());
  REQUIRE(store->Write(batch).ok());
}

TEST_CASE_METHOD(
    GatewayFixture,
    "an old unreadable audit entry stops the start with a repair hint and is repaired") {
  const std::string admin = Login("admin", "admin-password");  // entry 1: the login
  gateway.reset();
  WriteUncheckedEntry(gateway_store.get(), *audit_key, "\xFF\xFE");  // entry 2

  // The gateway does not start over it, and says how to recover.
  auto refused = AuditLog::Open(gateway_store.get(), audit_key);
  REQUIRE(refused.status().code() == absl::StatusCode::kDataLoss);
  CHECK(absl::StrContains(refused.status().message(), "--repair_audit_log=true"));

  auto repaired = AuditLog::Repair(gateway_store.get(), audit_key, clock.Now());
  REQUIRE(repaired.ok());
  CHECK(*repaired == std::vector<uint64_t>{2});
  // Repairing again finds nothing to do.
  CHECK(AuditLog::Repair(gateway_store.get(), audit_key, clock.Now())->empty());

  OpenGateway(absl::StrCat("127.0.0.1:", host->port()));
  const std::string token = Login("auditor", "reader-of-the-log");  // entry 4 (3: the repair)
  auto verified = gateway->audit().Verify();
  REQUIRE(verified.ok());
  CHECK(verified->intact());
  CHECK(verified->entries() == 4);
  CHECK(std::vector<uint64_t>(verified->repaired_sequences().begin(),
                              verified->repaired_sequences().end()) == std::vector<uint64_t>{2});
  v1::ListAuditEntriesRequest list;
  auto entries = gateway->audit().List(list);
  REQUIRE(entries.ok());
  REQUIRE(entries->entries_size() == 4);
  CHECK(entries->entries(1).target() == "\\xFF\\xFE");  // kept, readable, marked
  CHECK(!entries->entries(1).unreadable_original().empty());
  CHECK(entries->entries(2).action() == "repair_audit_log");
  CHECK(entries->entries(2).target() == "entries 2");
  CHECK(Call("GET", "/v1/audit", token).status == 200);

  // The kept bytes are checked: editing them breaks the chain at that entry.
  v1::AuditEntry edited = entries->entries(1);
  std::string original = edited.unreadable_original();
  original[original.find("clerk-1")] = 'C';
  edited.set_unreadable_original(original);
  storage::WriteBatch batch;
  batch.Put(kAuditFamily, storage::EncodeU64(2), edited.SerializeAsString());
  REQUIRE(gateway_store->Write(batch).ok());
  verified = gateway->audit().Verify();
  REQUIRE(verified.ok());
  CHECK(!verified->intact());
  CHECK(verified->first_bad_sequence() == 2);
}

TEST_CASE_METHOD(GatewayFixture, "repairing never hides entries deleted from the end of the log") {
  Login("admin", "admin-password");  // entry 1
  gateway.reset();
  WriteUncheckedEntry(gateway_store.get(), *audit_key, "\xFF\xFE");  // entry 2
  WriteUncheckedEntry(gateway_store.get(), *audit_key, "plain");     // entry 3, the head
  storage::WriteBatch cut;  // entry 3 deleted; its head kept
  cut.Delete(kAuditFamily, storage::EncodeU64(3));
  REQUIRE(gateway_store->Write(cut).ok());
  auto repaired = AuditLog::Repair(gateway_store.get(), audit_key, clock.Now());
  REQUIRE(repaired.ok());
  CHECK(*repaired == std::vector<uint64_t>{2});
  auto log = AuditLog::Open(gateway_store.get(), audit_key);
  REQUIRE(log.ok());
  auto verified = (*log)->Verify();
  REQUIRE(verified.ok());
  CHECK_FALSE(verified->intact());
  CHECK(verified->first_bad_sequence() == 3);  // entry 3 is missing
}

}  // namespace
}  // namespace sunlight::gateway
