// Routes for applicants, without an account: the item guide, online applications, progress and
// supplements with the case number and query code.
#include "gateway_routes.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;

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
                        "Apply online. The response carries the case number and the query code.",
                        IntakeMethod("SubmitCase"));
    r.is_public = true;
    r.prepare = [](Call& call, pb::Message& request) {
      auto& submit = static_cast<iv1::SubmitCaseRequest&>(request);
      submit.set_channel(iv1::CHANNEL_ONLINE);
      return absl::OkStatus();
    };
  }
  {
    Route& r = AddRoute("GET", "/v1/public/progress", auth::kAnyone,
                        "Progress of one's own case, by case number and query code. Wrong query "
                        "codes are throttled per case number and per client (429).",
                        IntakeMethod("QueryProgress"));
    r.is_public = true;
    r.counts_wrong_query_codes = true;
    r.prepare = [this](Call& call, pb::Message& request) {
      auto& query = static_cast<iv1::QueryProgressRequest&>(request);
      call.target = query.case_number();
      return limits_.ThrottleWrongQueryCodes(query.case_number(), call.http->client, false,
                                             clock_->Now());
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
      call.target = request.case_number();
      SUNLIGHT_RETURN_IF_ERROR(limits_.ThrottleWrongQueryCodes(
          request.case_number(), call.http->client, false, clock_->Now()));
      iv1::QueryProgressRequest query;
      query.set_case_number(request.case_number());
      query.set_query_code(request.query_code());
      auto progress = Invoke(call, query_progress, query);
      if (!progress.ok()) {
        if (progress.status().code() == absl::StatusCode::kNotFound) {
          (void)limits_.ThrottleWrongQueryCodes(request.case_number(), call.http->client, true,
                                                clock_->Now());
        }
        return progress.status();
      }
      const auto& found = static_cast<const iv1::QueryProgressResponse&>(**progress);
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
      SUNLIGHT_RETURN_IF_ERROR(Invoke(call, receive_supplement, receive).status());
      return Invoke(call, query_progress, query);
    };
  }
}

}  // namespace sunlight::gateway
