#include "sunlight/base/message_walk.h"

#include <memory>
#include <string>

#include "absl/strings/strip.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/descriptor.h"

namespace sunlight {

namespace pb = ::google::protobuf;

void VisitMessages(pb::Message* message, const std::function<void(pb::Message*)>& visit) {
  visit(message);
  const pb::Descriptor* d = message->GetDescriptor();
  const pb::Reflection* r = message->GetReflection();
  if (d == pb::Any::descriptor()) {
    auto* any = static_cast<pb::Any*>(message);
    const pb::Descriptor* type = pb::DescriptorPool::generated_pool()->FindMessageTypeByName(
        std::string(absl::StripPrefix(any->type_url(), "type.googleapis.com/")));
    if (type == nullptr) return;
    std::unique_ptr<pb::Message> inner(
        pb::MessageFactory::generated_factory()->GetPrototype(type)->New());
    if (!any->UnpackTo(inner.get())) return;
    VisitMessages(inner.get(), visit);
    any->PackFrom(*inner);
    return;
  }
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      for (int j = 0; j < r->FieldSize(*message, f); ++j) {
        VisitMessages(r->MutableRepeatedMessage(message, f, j), visit);
      }
    } else if (r->HasField(*message, f)) {
      VisitMessages(r->MutableMessage(message, f), visit);
    }
  }
}

}  // namespace sunlight
