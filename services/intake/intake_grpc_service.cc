#include "sunlight/intake/intake_grpc_service.h"

#include "absl/strings/str_cat.h"
#include "sunlight/server/grpc_status.h"

namespace sunlight::intake {

// The gateway calls these for people; as a service only to read an item a provincial
// platform pushes down. Other services read the stream only.
auth::MethodPolicy IntakeMethodPolicy() {
  constexpr uint32_t kConfigure = auth::kAdministrators;
  constexpr uint32_t kRead = auth::kSignedIn;
  // A case's intake is a window clerk's work (the gateway's routes say the same).
  const std::initializer_list<std::string_view> kWindow = {auth::kWindowClerk};
  return {
      auth::Allow<v1::UpsertDepartmentRequest>(kConfigure),
      auth::Allow<v1::ListDepartmentsRequest>(kRead),
      auth::Allow<v1::UpsertWindowRequest>(kConfigure),
      auth::Allow<v1::ListWindowsRequest>(kRead),
      auth::Allow<v1::PublishItemVersionRequest>(kConfigure),
      // The gateway reads the version in force for a platform's push (staged, published
      // only by the administrator who approves it).
      auth::Allow<v1::GetItemRequest>(auth::kAnyone, {auth::kGatewayIssuer}),
      auth::Allow<v1::ListItemsRequest>(auth::kAnyone),
      auth::AllowStaff<v1::SubmitCaseRequest>(kWindow, auth::kApplicants),
      auth::AllowStaff<v1::AcceptCaseRequest>(kWindow),
      auth::AllowStaff<v1::RefuseCaseRequest>(kWindow),
      auth::AllowStaff<v1::RequestSupplementRequest>(kWindow),
      auth::AllowStaff<v1::ReceiveSupplementRequest>(kWindow, auth::kApplicants),
      auth::AllowStaff<v1::WithdrawCaseRequest>(kWindow),
      // A rating device finds the case it rates by its number (the gateway keeps only its id).
      auth::Allow<v1::GetCaseRequest>(kRead | auth::kRatingDevices),
      auth::Allow<v1::ListCasesRequest>(kRead),
      auth::Allow<v1::QueryProgressRequest>(kRead | auth::kApplicants),
      // The applicant's phone in full: the notify service alone.
      auth::Allow<v1::GetApplicantContactRequest>(auth::kServices, {"notify"}),
      auth::Allow<v1::ComputeDeadlineRequest>(kRead),
  };
}

grpc::Status IntakeGrpcService::Authorize(const grpc::ServerContext* context,
                                          const google::protobuf::Message& request,
                                          const std::string& owned_case_id) const {
  auto principal = auth::AuthorizeCall(authorizer_, context, request);
  if (!principal.ok()) return server::ToGrpcStatus(principal.status());
  if (owned_case_id.empty() || auth::AudienceOf(*principal) != auth::kStaff) {
    return grpc::Status::OK;
  }
  v1::GetCaseRequest get;
  get.set_case_id(owned_case_id);
  auto found = intake_->GetCase(get);
  if (found.ok() && found->case_().department_id() != principal->department_id()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("case ", owned_case_id, " not found"));
  }
  return grpc::Status::OK;  // a missing case is reported by the method itself
}

}  // namespace sunlight::intake
