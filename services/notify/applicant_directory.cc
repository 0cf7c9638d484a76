// intake's GetApplicantContact for the notify service (applicant_directory.h).
#include "applicant_directory.h"

#include "sunlight/auth/signing_channel.h"
#include "sunlight/server/grpc_status.h"

namespace sunlight::notify {

IntakeApplicantDirectory::IntakeApplicantDirectory(
    const std::string& target, std::shared_ptr<grpc::ChannelCredentials> credentials,
    std::shared_ptr<const auth::PrincipalSigner> signer) {
  auth::v1::Principal self;
  self.set_user_id("service:notify");
  self.set_role(auth::kService);
  stub_ = intake::v1::Intake::NewStub(
      auth::SigningChannel(target, std::move(credentials), std::move(signer), self));
}

absl::StatusOr<intake::v1::ApplicantContact> IntakeApplicantDirectory::Contact(
    const std::string& case_id) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  intake::v1::GetApplicantContactRequest request;
  request.set_case_id(case_id);
  intake::v1::ApplicantContact contact;
  grpc::Status status = stub_->GetApplicantContact(&context, request, &contact);
  if (!status.ok()) return server::FromGrpcStatus(status);
  return contact;
}

}  // namespace sunlight::notify
