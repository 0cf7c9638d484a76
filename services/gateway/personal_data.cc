// Masking personal data by its declaration in the protos (personal_data.h).
#include "personal_data.h"

#include "google/protobuf/any.pb.h"
#include "google/protobuf/descriptor.h"
#include "sunlight/base/mask.h"
#include "sunlight/base/message_walk.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;
using common::v1::PersonalData;

std::string MaskValue(PersonalData kind, const std::string& value) {
  switch (kind) {
    case common::v1::NAME:
      return MaskKeeping(SplitUtf8Characters(value), 1, 0);
    case common::v1::ID_NUMBER:
      return MaskIdNumber(value);
    case common::v1::PHONE:
      return MaskPhone(value);
    case common::v1::ADDRESS:
      return MaskKeeping(SplitUtf8Characters(value), 6, 0);
    case common::v1::EMAIL:
      return MaskEmail(value);
    default:
      return "";  // query codes, client addresses, document references, sealed data
  }
}

MaskResult MaskPersonalData(pb::Message* message, uint32_t keep) {
  MaskResult result;
  auto drop = [&result](pb::Any* any) {  // could hold anything: nothing of it goes out
    any->Clear();
    ++result.dropped_payloads;
  };
  VisitMessages(
      message,
      [&result, keep](pb::Message* m) {
        const pb::Descriptor* d = m->GetDescriptor();
        const pb::Reflection* r = m->GetReflection();
        // Fields this build does not know (a newer sender's) could be personal: they go too.
        r->MutableUnknownFields(m)->Clear();
        for (int i = 0; i < d->field_count(); ++i) {
          const pb::FieldDescriptor* f = d->field(i);
          auto kind = f->options().GetExtension(common::v1::personal);
          if (kind == common::v1::PERSONAL_DATA_UNSPECIFIED || (keep & PersonalBit(kind)) != 0 ||
              f->cpp_type() != pb::FieldDescriptor::CPPTYPE_STRING) {
            continue;
          }
          if (f->is_repeated()) {
            for (int j = 0; j < r->FieldSize(*m, f); ++j) {
              r->SetRepeatedString(m, f, j, MaskValue(kind, r->GetRepeatedString(*m, f, j)));
              ++result.masked_fields;
            }
          } else if (!r->GetString(*m, f).empty()) {
            std::string masked = MaskValue(kind, r->GetString(*m, f));
            if (masked.empty()) {
              r->ClearField(m, f);
            } else {
              r->SetString(m, f, masked);
            }
            ++result.masked_fields;
          }
        }
      },
      drop);
  return result;
}

}  // namespace sunlight::gateway
