// Routes for applicants, without an account: the item guide, online applications, progress and
// supplements with the case number and query code.
#include "gateway_routes.h"
#include "sunlight/base/case_codes.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;

// The case a case number and query code open: the (case number, client network) pair's
// attempt is reserved before intake is asked, and a wrong code makes the pair wait longer
// (RateLimits). Malformed numbers and codes are refused before any state is kept for them.
absl::StatusOr<iv1::QueryProgressResponse> Gateway::OpenCaseByCode(Call& call,
                                                                   const std::string& case_number,
                                                                   const std::string& query_code) {
  if (!IsCaseNumber(case_number)) {
    return absl::InvalidArgumentError("case_number: not a case number (YYYYMMDD-NNNNNN)");
  }
  if (!NormalizeQueryCode(query_code).has_value()) {
    return absl::InvalidArgumentError("query_code: 10 letters and digits, as on the receipt");
  }
  call.target = case_number;
  SUNLIGHT_ASSIGN_OR_RETURN(
      auto attempt, limits_.ReserveQueryCodeAttempt(case_number, call.http->client, clock_->Now()));
  iv1::QueryProgressRequest query;
  query.set_case_number(case_number);
  query.set_query_code(query_code);
  auto progress = Invoke(call, IntakeMethod("QueryProgress"), query);
  if (!progress.ok()) {
    if (progress.status().code() == absl::StatusCode::kNotFound) {
      attempt.Finish(true, clock_->Now());
      metrics_.wrong_query_codes.Increment();
    }
    return progress.status();
  }
  attempt.Finish(false, clock_->Now());
  return static_cast<const iv1::QueryProgressResponse&>(**progress);
}

void Gateway::AddPublicRoutes() {
  // ---- public: applicants
  {
    Route& r = AddRoute("GET", "/v1/public/items", auth::kAnyone, "The item guide: every item.",
                        IntakeMethod("ListItems"));
    r.is_public = true;
  }
  {
    Route& r = AddRoute("GET", "/v1/public/items/{item_code}", auth::kAnyone,
                        "The guide of one item (latest version unless `version`).",
                        IntakeMethod("GetItem"));
    r.is_public = true;
  }
  {
    Route& r = AddRoute("POST", "/v1/public/applications", auth::kApplicants,
                        "Apply online. The response carries the case number and, this once, the "
                        "query code (a retried request with the same idempotency key gets the "
                        "case without it). At most a quota of applications a day per client.",
                        IntakeMethod("SubmitCase"));
    r.is_public = true;
    r.shown_personal_data = PersonalBit(common::v1::QUERY_CODE);
    r.prepare = [this](Call& call, pb::Message& request) {
      auto& submit = static_cast<iv1::SubmitCaseRequest&>(request);
      submit.set_channel(iv1::CHANNEL_ONLINE);
      return limits_.TakeDailySubmission(call.http->client, clock_->Now());
    };
  }
  {
    Route& r = AddRoute("POST", "/v1/public/progress", auth::kAnyone,
                        "Progress of one's own case, by case number and query code in the body. "
                        "Each wrong code makes the next try from the same network wait twice as "
                        "long (429 with Retry-After); the right code from elsewhere still works.",
                        nullptr);
    r.is_public = true;
    r.input = iv1::QueryProgressRequest::descriptor();
    r.output = iv1::QueryProgressResponse::descriptor();
    r.local = [this](Call& call,
                     pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      auto& request = static_cast<iv1::QueryProgressRequest&>(message);
      SUNLIGHT_ASSIGN_OR_RETURN(auto progress,
                                OpenCaseByCode(call, request.case_number(), request.query_code()));
      return std::unique_ptr<pb::Message>(new iv1::QueryProgressResponse(std::move(progress)));
    };
  }
  {
    Route& r = AddRoute("POST", "/v1/public/supplements", auth::kApplicants,
                        "Hand in the missing materials of one's own case, with its case number and "
                        "query code.",
                        nullptr);
    r.is_public = true;
    r.input = v1::PublicSupplementRequest::descriptor();
    r.output = iv1::QueryProgressResponse::descriptor();
    // Capture the method descriptors themselves: the helper lambdas die with AddRoutes.
    const pb::MethodDescriptor* query_progress = IntakeMethod("QueryProgress");
    const pb::MethodDescriptor* receive_supplement = IntakeMethod("ReceiveSupplement");
    r.local = [this, query_progress, receive_supplement](
                  Call& call,
                  pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      auto& request = static_cast<v1::PublicSupplementRequest&>(message);
      SUNLIGHT_ASSIGN_OR_RETURN(auto found,
                                OpenCaseByCode(call, request.case_number(), request.query_code()));
      iv1::ReceiveSupplementRequest receive;
      call.principal.set_user_id(absl::StrCat("applicant:", request.case_number()));
      receive.mutable_actor()->set_id(call.principal.user_id());
      receive.mutable_actor()->set_role(auth::kApplicant);
      receive.set_case_id(found.case_id());
      for (const auto& m : request.materials()) {
        auto* out = receive.add_materials();
        out->set_code(m.code());
        out->set_name(m.name());
        out->set_document_ref(m.document_ref());
      }
      if (absl::Status s = Audit(call, "POST /v1/public/supplements", call.target, 0, "intent");
          !s.ok()) {
        return absl::UnavailableError("the audit log cannot be written; nothing was done");
      }
      SUNLIGHT_RETURN_IF_ERROR(Invoke(call, receive_supplement, receive).status());
      iv1::QueryProgressRequest query;
      query.set_case_number(request.case_number());
      query.set_query_code(request.query_code());
      return Invoke(call, query_progress, query);
    };
  }
}

}  // namespace sunlight::gateway
