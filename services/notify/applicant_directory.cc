// intake's GetApplicantContact and scoring's GetComplainantContact for the notify service
// (applicant_directory.h).
#include "applicant_directory.h"

#include "sunlight/auth/signing_channel.h"
#include "sunlight/server/grpc_status.h"

namespace sunlight::notify {

namespace {

std::shared_ptr<grpc::Channel> SignedAsNotify(const std::string& target,
                                              std::shared_ptr<grpc::ChannelCredentials> credentials,
                                              std::shared_ptr<const auth::PrincipalSigner> signer) {
  auth::v1::Principal self;
  self.set_user_id("service:notify");
  self.set_role(auth::kService);
  return auth::SigningChannel(target, std::move(credentials), std::move(signer), self);
}

}  // namespace

IntakeApplicantDirectory::IntakeApplicantDirectory(
    const std::string& target, std::shared_ptr<grpc::ChannelCredentials> credentials,
    std::shared_ptr<const auth::PrincipalSigner> signer)
    : stub_(intake::v1::Intake::NewStub(
          SignedAsNotify(target, std::move(credentials), std::move(signer)))) {}

ScoringComplainantDirectory::ScoringComplainantDirectory(
    const std::string& target, std::shared_ptr<grpc::ChannelCredentials> credentials,
    std::shared_ptr<const auth::PrincipalSigner> signer)
    : stub_(scoring::v1::Scoring::NewStub(
          SignedAsNotify(target, std::move(credentials), std::move(signer)))) {}

absl::StatusOr<scoring::v1::ComplainantContact> ScoringComplainantDirectory::Complainant(
    const std::string& complaint_id) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  scoring::v1::GetComplainantContactRequest request;
  request.set_complaint_id(complaint_id);
  scoring::v1::ComplainantContact contact;
  grpc::Status status = stub_->GetComplainantContact(&context, request, &contact);
  if (!status.ok()) return server::FromGrpcStatus(status);
  return contact;
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
