// Routes of the public's voice: evaluations (好差评) of a case's service, online with the case
// number and query code or from a window's rating device, their rectification and review;
// complaints (投诉), filed online or entered from a phone call, followed by number and query
// code, accepted, answered by the department and concluded by an inspector.
#include "gateway_routes.h"
#include "sunlight/base/case_codes.h"
#include "sunlight/scoring/v1/scoring.pb.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;
namespace scv1 = ::sunlight::scoring::v1;

namespace {

// "T" and the form of a case number: "T20261202-000007".
bool IsComplaintNumber(std::string_view number) {
  return number.size() > 1 && number[0] == 'T' && IsCaseNumber(number.substr(1));
}

// What a rater sees of the evaluation made: not what it counted for, a review or the device.
void ShowEvaluationToRater(Gateway::Call&, pb::Message& message) {
  auto& evaluation = static_cast<scv1::Evaluation&>(message);
  evaluation.clear_counted();
  evaluation.clear_rectification_counted();
  evaluation.clear_review();
  evaluation.clear_device_id();
}

// What a complainant sees of their complaint: what it is against, its state, limits and the
// outcome with its reasons; not who handled it inside, the department's own account or what
// it counted for.
void ShowComplaintToComplainant(scv1::Complaint& complaint) {
  complaint.clear_filed_by();
  complaint.clear_acceptance_decided_by();
  complaint.clear_responded_by();
  complaint.clear_concluded_by();
  complaint.clear_department_response();
  complaint.clear_counted();
  complaint.clear_sealed_contact();
  complaint.clear_query_code_digest();
}

// The query code of a new complaint goes out once (the route shows QUERY_CODE); its digest,
// the same kind of data, never.
void ShowFiledComplaint(Gateway::Call&, pb::Message& message) {
  auto& filed = static_cast<scv1::FileComplaintResponse&>(message);
  filed.mutable_complaint()->clear_query_code_digest();
  filed.mutable_complaint()->clear_sealed_contact();
}

}  // namespace

void Gateway::AddVoiceRoutes() {
  // Capture the method descriptors themselves: the helper lambdas die with AddRoutes.
  const pb::MethodDescriptor* rate_case = ScoringMethod("RateCase");
  const pb::MethodDescriptor* file_complaint = ScoringMethod("FileComplaint");
  const pb::MethodDescriptor* get_case = IntakeMethod("GetCase");

  // ---- public: rating one's own case, complaining, following a complaint
  {
    Route& r = AddRoute("POST", "/v1/public/evaluations", auth::kAnyone,
                        "Rate the service of one's own case (好差评), with its case number and "
                        "query code, once it is completed or refused and within the rule set's "
                        "window: 409 before, or for a second rating. A bad rating with "
                        "`real_name` opens a return visit and rectification.",
                        nullptr);
    r.is_public = true;
    r.input = v1::PublicEvaluationRequest::descriptor();
    r.output = scv1::Evaluation::descriptor();
    r.success_status = 201;
    r.local = [this, rate_case](
                  Call& call,
                  pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      auto& request = static_cast<v1::PublicEvaluationRequest&>(message);
      SUNLIGHT_ASSIGN_OR_RETURN(auto found,
                                OpenCaseByCode(call, request.case_number(), request.query_code()));
      call.principal.set_user_id(absl::StrCat("applicant:", request.case_number()));
      scv1::RateCaseRequest rate;
      rate.mutable_actor()->set_id(call.principal.user_id());
      rate.mutable_actor()->set_role(auth::kApplicant);
      rate.set_case_id(found.case_id());
      rate.set_level(request.level());
      *rate.mutable_aspects() = request.aspects();
      rate.set_comment(request.comment());
      rate.set_real_name(request.real_name());
      rate.set_channel(scv1::EVALUATION_CHANNEL_ONLINE);
      SUNLIGHT_RETURN_IF_ERROR(RecordIntent(call));
      return Invoke(call, rate_case, rate);
    };
    r.finish = ShowEvaluationToRater;
  }
  {
    Route& r = AddRoute("POST", "/v1/public/complaints", auth::kAnyone,
                        "Complain (投诉) about a case, a department, a window or a person: "
                        "anonymously or with a name and phone. One's own case is named by its "
                        "case number and query code. The response carries the complaint number "
                        "and, this once, its query code. At most a quota of filings a day per "
                        "client (shared with online applications).",
                        nullptr);
    r.is_public = true;
    r.input = v1::PublicComplaintRequest::descriptor();
    r.output = scv1::FileComplaintResponse::descriptor();
    r.success_status = 201;
    r.shown_personal_data = PersonalBit(common::v1::QUERY_CODE);
    r.local = [this, file_complaint](
                  Call& call,
                  pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      auto& request = static_cast<v1::PublicComplaintRequest&>(message);
      SUNLIGHT_RETURN_IF_ERROR(limits_.TakeDailySubmission(call.http->client, clock_->Now()));
      scv1::FileComplaintRequest file;
      if (!request.case_number().empty() || !request.query_code().empty()) {
        SUNLIGHT_ASSIGN_OR_RETURN(
            auto found, OpenCaseByCode(call, request.case_number(), request.query_code()));
        call.principal.set_user_id(absl::StrCat("applicant:", request.case_number()));
        file.set_case_id(found.case_id());
        file.set_case_number(found.case_number());
      }
      file.mutable_actor()->set_id(call.principal.user_id());
      file.mutable_actor()->set_role(auth::kApplicant);
      file.set_channel(scv1::COMPLAINT_CHANNEL_ONLINE);
      file.set_category(request.category());
      file.set_department_id(request.department_id());
      file.set_window_id(request.window_id());
      file.set_person_id(request.person_id());
      file.set_description(request.description());
      file.set_complainant_name(request.complainant_name());
      file.set_complainant_phone(request.complainant_phone());
      file.set_request_id(request.request_id());
      SUNLIGHT_RETURN_IF_ERROR(RecordIntent(call));
      return Invoke(call, file_complaint, file);
    };
    r.finish = ShowFiledComplaint;
  }
  {
    Route& r = AddRoute("POST", "/v1/public/complaints:query", auth::kAnyone,
                        "Follow one's complaint by its complaint number and query code: its "
                        "state and, once concluded, the outcome with its reasons. Wrong codes "
                        "wait as for progress (429 with Retry-After).",
                        nullptr);
    r.is_public = true;
    r.input = scv1::QueryComplaintRequest::descriptor();
    r.output = scv1::Complaint::descriptor();
    const pb::MethodDescriptor* query_complaint = ScoringMethod("QueryComplaint");
    r.local = [this, query_complaint](
                  Call& call,
                  pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      auto& request = static_cast<scv1::QueryComplaintRequest&>(message);
      if (!IsComplaintNumber(request.complaint_number())) {
        return absl::InvalidArgumentError(
            "complaint_number: not a complaint number (TYYYYMMDD-NNNNNN)");
      }
      if (!NormalizeQueryCode(request.query_code()).has_value()) {
        return absl::InvalidArgumentError(
            "query_code: 10 letters and digits, as given with the complaint number");
      }
      call.target = request.complaint_number();
      SUNLIGHT_ASSIGN_OR_RETURN(auto found, InvokeWithQueryCode(call, request.complaint_number(),
                                                                query_complaint, request));
      ShowComplaintToComplainant(static_cast<scv1::Complaint&>(*found));
      return found;
    };
  }
  {
    Route& r = AddRoute("GET", "/v1/public/complaint-counts/{month}", auth::kAnyone,
                        "The published complaint counts of one month (`YYYY-MM`) per department: "
                        "filed, and concluded valid; 404 while the month is not published.",
                        nullptr);
    r.is_public = true;
    r.input = v1::PublicComplaintCountsRequest::descriptor();
    r.output = v1::PublicComplaintCounts::descriptor();
    const pb::MethodDescriptor* get_score_sheet = ScoringMethod("GetScoreSheet");
    r.local = [this, get_score_sheet](
                  Call& call,
                  pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      auto& request = static_cast<v1::PublicComplaintCountsRequest&>(message);
      call.target = request.month();
      // The published sheet, as GET /v1/public/scores shows it: the center's word, not a
      // count that moves under the reader.
      scv1::GetScoreSheetRequest get;
      get.set_month(request.month());
      get.set_kind(scv1::SUBJECT_KIND_DEPARTMENT);
      SUNLIGHT_ASSIGN_OR_RETURN(auto response, Invoke(call, get_score_sheet, get));
      const auto& sheet = static_cast<const scv1::ScoreSheet&>(*response);
      if (sheet.state() != scv1::SHEET_STATE_PUBLISHED) {
        return absl::NotFoundError("not published");
      }
      auto counts = std::make_unique<v1::PublicComplaintCounts>();
      counts->set_month(sheet.month());
      for (const auto& score : sheet.scores()) {
        if (score.kind() != scv1::SUBJECT_KIND_DEPARTMENT) continue;
        v1::DepartmentComplaintCount* department = counts->add_departments();
        department->set_department_id(score.subject_id());
        department->set_complaints(score.measures().complaints());
        department->set_complaints_valid(score.measures().complaints_valid());
      }
      return std::unique_ptr<pb::Message>(std::move(counts));
    };
  }

  // ---- a window's rating device
  {
    Route& r =
        AddRoute("POST", "/v1/device/evaluations", auth::kRatingDevices,
                 "A rating device (评价器) passes on the applicant's rating of a case by its "
                 "case number: a device of a department rates that department's cases only "
                 "(404 for others). As POST /v1/public/evaluations otherwise.",
                 nullptr);
    r.input = v1::DeviceEvaluationRequest::descriptor();
    r.output = scv1::Evaluation::descriptor();
    r.success_status = 201;
    r.local = [this, get_case, rate_case](
                  Call& call,
                  pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      auto& request = static_cast<v1::DeviceEvaluationRequest&>(message);
      if (!IsCaseNumber(request.case_number())) {
        return absl::InvalidArgumentError("case_number: not a case number (YYYYMMDD-NNNNNN)");
      }
      call.target = request.case_number();
      iv1::GetCaseRequest lookup;
      lookup.set_case_number(request.case_number());
      auto found = Invoke(call, get_case, lookup);
      if (!found.ok()) {
        if (found.status().code() == absl::StatusCode::kNotFound) return NotFoundCase();
        return found.status();
      }
      const iv1::Case& record = static_cast<const iv1::GetCaseResponse&>(**found).case_();
      if (!call.principal.department_id().empty() &&
          record.department_id() != call.principal.department_id()) {
        return NotFoundCase();
      }
      scv1::RateCaseRequest rate;
      rate.mutable_actor()->set_id(call.principal.user_id());
      rate.mutable_actor()->set_name(call.principal.name());
      rate.mutable_actor()->set_role(call.principal.role());
      rate.mutable_actor()->set_department_id(call.principal.department_id());
      rate.set_case_id(record.case_id());
      rate.set_level(request.level());
      *rate.mutable_aspects() = request.aspects();
      rate.set_comment(request.comment());
      rate.set_real_name(request.real_name());
      rate.set_channel(scv1::EVALUATION_CHANNEL_DEVICE);
      SUNLIGHT_RETURN_IF_ERROR(RecordIntent(call));
      return Invoke(call, rate_case, rate);
    };
    r.finish = ShowEvaluationToRater;
  }

  // ---- staff, inspectors, administrators: evaluations
  AddRoute("GET", "/v1/evaluations", kSignedIn,
           "Evaluations (staff: of their own department) by `month` of rating (`YYYY-MM`), "
           "`department_id`, `window_id` or `person_id`; with `rectification_open` or "
           "`review_pending` only those.",
           ScoringMethod("ListEvaluations"))
      .prepare = OwnDepartmentField("department_id");
  {
    Route& r = AddRoute("GET", "/v1/evaluations/{case_id}", kSignedIn,
                        "The evaluation of one case (staff: of their own department).", nullptr);
    r.input = scv1::GetEvaluationRequest::descriptor();
    r.output = scv1::Evaluation::descriptor();
    r.local = [this](Call& call,
                     pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      call.target = static_cast<const scv1::GetEvaluationRequest&>(message).case_id();
      SUNLIGHT_ASSIGN_OR_RETURN(auto evaluation, VisibleEvaluation(call, call.target));
      return std::unique_ptr<pb::Message>(new scv1::Evaluation(std::move(evaluation)));
    };
  }
  // The department's work on its own evaluations.
  const Prepare evaluation_of_department = [this](Call& call, pb::Message&) -> absl::Status {
    call.target = call.path_params["case_id"];
    return VisibleEvaluation(call, call.target).status();
  };
  AddRoute("POST", "/v1/evaluations/{case_id}:answer-rectification", auth::kStaff,
           "Record the return visit and what was done about a bad rating with a real name "
           "(回访整改), within its limit.",
           ScoringMethod("AnswerRectification"))
      .prepare = evaluation_of_department;
  AddRoute("POST", "/v1/evaluations/{case_id}:request-review", auth::kStaff,
           "Ask the supervision office to review a rating the department holds mistaken or "
           "malicious (申诉复核); it is still counted until decided.",
           ScoringMethod("RequestEvaluationReview"))
      .prepare = evaluation_of_department;
  AddRoute("POST", "/v1/evaluations/{case_id}:decide-review", auth::kInspectors,
           "Uphold a review (the rating is excluded from measures and scores) or reject it.",
           ScoringMethod("DecideEvaluationReview"))
      .prepare = [](Call& call, pb::Message&) {
    call.target = call.path_params["case_id"];
    return absl::OkStatus();
  };

  // ---- complaints
  AddRoute("GET", "/v1/complaints", kSignedIn,
           "Complaints (staff: against their own department) by `month` of filing and "
           "`department_id`; complainants masked.",
           ScoringMethod("ListComplaints"))
      .prepare = OwnDepartmentField("department_id");
  {
    Route& r = AddRoute("GET", "/v1/complaints/{complaint_id}", kSignedIn,
                        "One complaint (staff: against their own department); complainant masked.",
                        nullptr);
    r.input = scv1::GetComplaintRequest::descriptor();
    r.output = scv1::Complaint::descriptor();
    r.local = [this](Call& call,
                     pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      call.target = static_cast<const scv1::GetComplaintRequest&>(message).complaint_id();
      SUNLIGHT_ASSIGN_OR_RETURN(auto complaint, VisibleComplaint(call, call.target));
      return std::unique_ptr<pb::Message>(new scv1::Complaint(std::move(complaint)));
    };
  }
  {
    Route& r = AddRoute("POST", "/v1/complaints", auth::kInspectors | auth::kAdministrators,
                        "Enter a complaint taken by phone (电话投诉): against a case (by "
                        "`case_number` or `case_id`), a department, a window or a person. The "
                        "response carries the complaint number and, this once, the query code to "
                        "tell the complainant.",
                        file_complaint);
    r.success_status = 201;
    r.shown_personal_data = PersonalBit(common::v1::QUERY_CODE);
    r.prepare = [this, get_case](Call& call, pb::Message& message) -> absl::Status {
      auto& file = static_cast<scv1::FileComplaintRequest&>(message);
      file.set_channel(scv1::COMPLAINT_CHANNEL_PHONE);
      if (file.case_id().empty() && !file.case_number().empty()) {
        iv1::GetCaseRequest lookup;
        lookup.set_case_number(file.case_number());
        auto found = Invoke(call, get_case, lookup);
        if (!found.ok()) {
          if (found.status().code() == absl::StatusCode::kNotFound ||
              found.status().code() == absl::StatusCode::kInvalidArgument) {
            return absl::InvalidArgumentError("case_number: no case has this number");
          }
          return found.status();
        }
        file.set_case_id(static_cast<const iv1::GetCaseResponse&>(**found).case_().case_id());
      }
      call.target = !file.case_id().empty() ? file.case_id() : file.department_id();
      return absl::OkStatus();
    };
    r.finish = ShowFiledComplaint;
  }
  AddRoute("POST", "/v1/complaints/{complaint_id}:decide-acceptance", auth::kInspectors,
           "Accept a complaint (routed to the department named, required for one against no "
           "department) or not (不予受理), with reasons, within the rule set's working days.",
           ScoringMethod("DecideComplaintAcceptance"))
      .prepare = [](Call& call, pb::Message&) {
    call.target = call.path_params["complaint_id"];
    return absl::OkStatus();
  };
  AddRoute("POST", "/v1/complaints/{complaint_id}:respond", auth::kStaff,
           "The department's account of an accepted complaint against it (optional; the "
           "inspector concludes).",
           ScoringMethod("RespondToComplaint"))
      .prepare = [this](Call& call, pb::Message&) -> absl::Status {
    call.target = call.path_params["complaint_id"];
    return VisibleComplaint(call, call.target).status();
  };
  AddRoute("POST", "/v1/complaints/{complaint_id}:conclude", auth::kInspectors,
           "Conclude an accepted complaint valid or not valid, with reasons (a valid one is "
           "deducted from the department's score); the complainant's answer falls due.",
           ScoringMethod("ConcludeComplaint"))
      .prepare = [](Call& call, pb::Message&) {
    call.target = call.path_params["complaint_id"];
    return absl::OkStatus();
  };
}

}  // namespace sunlight::gateway
