// Routes for applicants, without an account: the item guide, online applications, progress and
// supplements with the case number and query code. (Evaluations and complaints of the public
// are in gateway_routes_voice.cc.)
#include "gateway_routes.h"
#include "sunlight/base/case_codes.h"
#include "sunlight/scoring/v1/voice.pb.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;

absl::StatusOr<std::unique_ptr<pb::Message>> Gateway::InvokeWithQueryCode(
    Call& call, const std::string& number, const pb::MethodDescriptor* method,
    const pb::Message& request) {
  SUNLIGHT_ASSIGN_OR_RETURN(
      auto attempt, limits_.ReserveQueryCodeAttempt(number, call.http->client, clock_->Now()));
  auto found = Invoke(call, method, request);
  if (!found.ok()) {
    if (found.status().code() == absl::StatusCode::kNotFound) {
      attempt.Finish(true, clock_->Now());
      metrics_.wrong_query_codes.Increment();
    }
    return found.status();
  }
  attempt.Finish(false, clock_->Now());
  return found;
}

// The case a case number and query code open. Malformed numbers and codes are refused before
// any state is kept for them.
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
  iv1::QueryProgressRequest query;
  query.set_case_number(case_number);
  query.set_query_code(query_code);
  SUNLIGHT_ASSIGN_OR_RETURN(
      auto progress, InvokeWithQueryCode(call, case_number, IntakeMethod("QueryProgress"), query));
  return static_cast<const iv1::QueryProgressResponse&>(*progress);
}

namespace {

// Told with every progress: how to complain about the case's service.
constexpr char kComplaintHint[] =
    "对办理服务不满意可以投诉 (to complain about this case's service): POST "
    "/v1/public/complaints with this case_number and query_code; follow the complaint with "
    "POST /v1/public/complaints:query and the complaint number and query code it answers.";

}  // namespace

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
                        "Progress of one's own case, by case number and query code in the body: "
                        "intake's progress, the steps handled with their outcome and time, the "
                        "decision, completion and certificate, and whether the service may be "
                        "rated. Each wrong code makes the next try from the same network wait "
                        "twice as long (429 with Retry-After); the right code from elsewhere "
                        "still works.",
                        nullptr);
    r.is_public = true;
    r.input = iv1::QueryProgressRequest::descriptor();
    r.output = v1::PublicProgress::descriptor();
    // Capture the method descriptors themselves: the helper lambdas die with AddRoutes.
    const pb::MethodDescriptor* get_process = WorkflowMethod("GetProcess");
    const pb::MethodDescriptor* get_evaluation = ScoringMethod("GetEvaluation");
    r.local = [this, get_process, get_evaluation](
                  Call& call,
                  pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      auto& request = static_cast<iv1::QueryProgressRequest&>(message);
      SUNLIGHT_ASSIGN_OR_RETURN(auto intake,
                                OpenCaseByCode(call, request.case_number(), request.query_code()));
      // The code was right: the rest is read for the applicant of this case.
      call.principal.set_user_id(absl::StrCat("applicant:", request.case_number()));
      auto progress = std::make_unique<v1::PublicProgress>();
      progress->set_case_number(intake.case_number());
      progress->set_state(intake.state());
      progress->set_item_name(intake.item_name());
      if (intake.has_submitted_at()) *progress->mutable_submitted_at() = intake.submitted_at();
      if (intake.has_accepted_at()) *progress->mutable_accepted_at() = intake.accepted_at();
      if (intake.has_promised_due()) *progress->mutable_promised_due() = intake.promised_due();
      *progress->mutable_missing_materials() = intake.missing_materials();
      *progress->mutable_entries() = intake.entries();
      progress->set_case_id(intake.case_id());

      bool closed = intake.state() == iv1::CASE_STATE_REFUSED;  // 不予受理 may be rated too
      // Workflow has the case once it is accepted and routed (NOT_FOUND until then).
      if (intake.has_accepted_at()) {
        wv1::GetProcessRequest get;
        get.set_case_id(intake.case_id());
        auto found = Invoke(call, get_process, get);
        if (found.ok()) {
          const wv1::Process& process =
              static_cast<const wv1::GetProcessResponse&>(**found).process();
          progress->set_process_state(process.state());
          for (const wv1::Step& step : process.steps()) {
            v1::PublicStep* shown = progress->add_steps();
            shown->set_name(step.name());
            shown->set_state(step.state());
            if (step.has_started_at()) *shown->mutable_started_at() = step.started_at();
            if (step.has_completed_at()) *shown->mutable_completed_at() = step.completed_at();
          }
          if (process.has_due()) *progress->mutable_due() = process.due();
          progress->set_decision(process.decision());
          progress->set_decision_reasons(process.decision_reasons());
          if (process.has_decided_at()) *progress->mutable_decided_at() = process.decided_at();
          if (process.has_completed_at()) {
            *progress->mutable_completed_at() = process.completed_at();
          }
          progress->set_certificate_number(process.certificate_number());
          if (process.has_certificate_issued_at()) {
            *progress->mutable_certificate_issued_at() = process.certificate_issued_at();
          }
          closed = process.state() == wv1::PROCESS_STATE_COMPLETED ||
                   process.state() == wv1::PROCESS_STATE_CERTIFICATE_ISSUED;
        } else if (found.status().code() != absl::StatusCode::kNotFound) {
          return found.status();
        }
      }
      if (closed) {
        scoring::v1::GetEvaluationRequest get;
        get.set_case_id(intake.case_id());
        auto rated = Invoke(call, get_evaluation, get);
        if (rated.ok()) {
          const auto& evaluation = static_cast<const scoring::v1::Evaluation&>(**rated);
          progress->mutable_evaluation()->set_level(evaluation.level());
          if (evaluation.has_rated_at()) {
            *progress->mutable_evaluation()->mutable_rated_at() = evaluation.rated_at();
          }
        } else if (rated.status().code() == absl::StatusCode::kNotFound) {
          progress->mutable_evaluation()->set_can_evaluate(true);
        } else {
          return rated.status();
        }
      }
      progress->set_complaint_hint(kComplaintHint);
      return std::unique_ptr<pb::Message>(std::move(progress));
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
      SUNLIGHT_RETURN_IF_ERROR(RecordIntent(call));
      SUNLIGHT_RETURN_IF_ERROR(Invoke(call, receive_supplement, receive).status());
      iv1::QueryProgressRequest query;
      query.set_case_number(request.case_number());
      query.set_query_code(request.query_code());
      return Invoke(call, query_progress, query);
    };
  }
}

}  // namespace sunlight::gateway
