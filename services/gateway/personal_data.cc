// Masking personal data (personal_data.h).
#include "personal_data.h"

#include "google/protobuf/descriptor.h"
#include "sunlight/base/mask.h"
#include "sunlight/base/message_walk.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;

void MaskPersonalData(pb::Message* message) {
  VisitMessages(message, [](pb::Message* m) {
    const pb::Descriptor* d = m->GetDescriptor();
    const pb::Reflection* r = m->GetReflection();
    for (int i = 0; i < d->field_count(); ++i) {
      const pb::FieldDescriptor* f = d->field(i);
      if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_STRING || f->is_repeated()) continue;
      if (f->name() == "id_number") {
        r->SetString(m, f, MaskIdNumber(r->GetString(*m, f)));
      } else if (f->name() == "phone") {
        r->SetString(m, f, MaskPhone(r->GetString(*m, f)));
      } else if (f->name() == "query_code" || f->name() == "sealed_personal_data") {
        r->ClearField(m, f);
      }
    }
  });
}

}  // namespace sunlight::gateway
