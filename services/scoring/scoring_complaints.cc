// PLACEHOLDER: being written.
#include "scoring_internal.h"

namespace sunlight::scoring {

absl::StatusOr<v1::FileComplaintResponse> Scoring::FileComplaint(const v1::FileComplaintRequest&) {
  return absl::UnimplementedError("FileComplaint");
}

absl::StatusOr<v1::Complaint> Scoring::GetComplaint(const v1::GetComplaintRequest&) const {
  return absl::UnimplementedError("GetComplaint");
}

absl::StatusOr<v1::Complaint> Scoring::QueryComplaint(const v1::QueryComplaintRequest&) const {
  return absl::UnimplementedError("QueryComplaint");
}

absl::StatusOr<v1::ListComplaintsResponse> Scoring::ListComplaints(const v1::ListComplaintsRequest&) const {
  return absl::UnimplementedError("ListComplaints");
}

absl::StatusOr<v1::Complaint> Scoring::DecideComplaintAcceptance(const v1::DecideComplaintAcceptanceRequest&) {
  return absl::UnimplementedError("DecideComplaintAcceptance");
}

absl::StatusOr<v1::Complaint> Scoring::RespondToComplaint(const v1::RespondToComplaintRequest&) {
  return absl::UnimplementedError("RespondToComplaint");
}

absl::StatusOr<v1::Complaint> Scoring::ConcludeComplaint(const v1::ConcludeComplaintRequest&) {
  return absl::UnimplementedError("ConcludeComplaint");
}

}  // namespace sunlight::scoring
