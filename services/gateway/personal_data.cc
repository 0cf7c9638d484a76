// Masking personal data (personal_data.h).
#include "personal_data.h"

#include <memory>

#include "absl/strings/strip.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "sunlight/base/mask.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;

void MaskPersonalData(pb::Message* message) {
  const pb::Descriptor* d = message->GetDescriptor();
  const pb::Reflection* r = message->GetReflection();
  if (d->full_name() == "google.protobuf.Any") {
    auto* any = static_cast<pb::Any*>(message);
    const pb::Descriptor* type = pb::DescriptorPool::generated_pool()->FindMessageTypeByName(
        std::string(absl::StripPrefix(any->type_url(), "type.googleapis.com/")));
    if (type == nullptr) return;
    std::unique_ptr<pb::Message> inner(
        pb::MessageFactory::generated_factory()->GetPrototype(type)->New());
    if (!any->UnpackTo(inner.get())) return;
    MaskPersonalData(inner.get());
    any->PackFrom(*inner);
    return;
  }
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING && !f->is_repeated()) {
      if (f->name() == "id_number") {
        r->SetString(message, f, MaskIdNumber(r->GetString(*message, f)));
      } else if (f->name() == "phone") {
        r->SetString(message, f, MaskPhone(r->GetString(*message, f)));
      } else if (f->name() == "query_code") {
        r->ClearField(message, f);
      }
    } else if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int j = 0; j < r->FieldSize(*message, f); ++j) {
          MaskPersonalData(r->MutableRepeatedMessage(message, f, j));
        }
      } else if (r->HasField(*message, f)) {
        MaskPersonalData(r->MutableMessage(message, f));
      }
    }
  }
}

}  // namespace sunlight::gateway
