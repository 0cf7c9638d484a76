// Applicants' personal data at rest (intake.h): ID numbers and phones sealed with the data
// key wherever intake stores them (cases and event payloads), query codes made from
// OpenSSL's random bytes and kept as keyed hashes, so that a copied store reveals neither.

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "sunlight/base/case_codes.h"
#include "sunlight/base/mask.h"
#include "sunlight/base/message_walk.h"
#include "sunlight/intake/intake.h"

namespace sunlight::intake {
namespace {

namespace pb = ::google::protobuf;

constexpr char kSealContext[] = "sunlight.intake.v1.Applicant";
constexpr char kDigestPrefix[] = "h1:";

}  // namespace

void Intake::SealPersonalData(pb::Message* message) const {
  if (data_key_ == nullptr) return;
  VisitMessages(message, [this](pb::Message* m) {
    if (m->GetDescriptor() != v1::Applicant::descriptor()) return;
    auto* applicant = static_cast<v1::Applicant*>(m);
    if (!applicant->sealed_personal_data().empty()) return;  // sealed already
    v1::Applicant secret;
    secret.set_id_number(applicant->id_number());
    secret.set_phone(applicant->phone());
    secret.set_email(applicant->email());
    applicant->set_sealed_personal_data(data_key_->Seal(secret.SerializeAsString(), kSealContext));
    applicant->set_id_number(MaskIdNumber(applicant->id_number()));
    applicant->set_phone(MaskPhone(applicant->phone()));
    applicant->set_email(MaskEmail(applicant->email()));
  });
}

absl::Status Intake::OpenPersonalData(pb::Message* message) const {
  absl::Status status;
  VisitMessages(message, [this, &status](pb::Message* m) {
    if (m->GetDescriptor() != v1::Applicant::descriptor()) return;
    auto* applicant = static_cast<v1::Applicant*>(m);
    if (applicant->sealed_personal_data().empty()) return;
    if (data_key_ == nullptr) {
      status.Update(absl::FailedPreconditionError("sealed personal data and no --data_key_file"));
      return;
    }
    auto opened = data_key_->Open(applicant->sealed_personal_data(), kSealContext);
    v1::Applicant secret;
    if (!opened.ok() || !secret.ParseFromString(*opened)) {
      status.Update(absl::DataLossError("an applicant's sealed personal data does not open"));
      return;
    }
    applicant->set_id_number(secret.id_number());
    applicant->set_phone(secret.phone());
    applicant->set_email(secret.email());
    applicant->clear_sealed_personal_data();
  });
  return status;
}

std::string Intake::StoredQueryCode(const std::string& code) const {
  if (data_key_ == nullptr || absl::StartsWith(code, kDigestPrefix)) return code;
  return kDigestPrefix + data_key_->Hash("query-code digest", code);
}

bool Intake::QueryCodeMatches(const std::string& stored, const std::string& given) const {
  const std::string expected = StoredQueryCode(stored);
  // As typed (hyphens, small letters); an older code of another form is compared as given.
  const std::string typed = NormalizeQueryCode(given).value_or(given);
  const std::string actual =
      absl::StartsWith(expected, kDigestPrefix) ? StoredQueryCode(typed) : typed;
  unsigned diff = expected.size() ^ actual.size();
  for (size_t i = 0; i < expected.size() && i < actual.size(); ++i) {
    diff |= static_cast<unsigned char>(expected[i] ^ actual[i]);
  }
  return diff == 0;
}

}  // namespace sunlight::intake
