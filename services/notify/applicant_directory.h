// The notify service's directories of the public: intake's GetApplicantContact and scoring's
// GetComplainantContact over gRPC, signed as the notify service (neither lets anyone else read
// a phone number in full).
#ifndef SUNLIGHT_SERVICES_NOTIFY_APPLICANT_DIRECTORY_H_
#define SUNLIGHT_SERVICES_NOTIFY_APPLICANT_DIRECTORY_H_

#include <memory>
#include <string>

#include "sunlight/auth/principal.h"
#include "sunlight/intake/v1/intake.grpc.pb.h"
#include "sunlight/notify/notifier.h"
#include "sunlight/scoring/v1/scoring.grpc.pb.h"

namespace sunlight::notify {

class IntakeApplicantDirectory final : public ApplicantDirectory {
 public:
  IntakeApplicantDirectory(const std::string& target,
                           std::shared_ptr<grpc::ChannelCredentials> credentials,
                           std::shared_ptr<const auth::PrincipalSigner> signer);
  absl::StatusOr<intake::v1::ApplicantContact> Contact(const std::string& case_id) override;

 private:
  std::unique_ptr<intake::v1::Intake::Stub> stub_;
};

class ScoringComplainantDirectory final : public ComplainantDirectory {
 public:
  ScoringComplainantDirectory(const std::string& target,
                              std::shared_ptr<grpc::ChannelCredentials> credentials,
                              std::shared_ptr<const auth::PrincipalSigner> signer);
  absl::StatusOr<scoring::v1::ComplainantContact> Complainant(
      const std::string& complaint_id) override;

 private:
  std::unique_ptr<scoring::v1::Scoring::Stub> stub_;
};

}  // namespace sunlight::notify

#endif  // SUNLIGHT_SERVICES_NOTIFY_APPLICANT_DIRECTORY_H_
