#include "sunlight/base/message_walk.h"

#include <memory>
#include <string>

#include "absl/strings/strip.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/descriptor.h"

namespace sunlight {

namespace pb = ::google::protobuf;

namespace {

// Packed payloads inside packed payloads: each parses afresh (protobuf's depth limit holds
// within one parse only), so the walk bounds the nesting itself.
constexpr int kMaxPackedDepth = 16;

void Visit(pb::Message* message, const std::function<void(pb::Message*)>& visit,
           const std::function<void(pb::Any*)>& opaque, int packed_depth) {
  visit(message);
  const pb::Descriptor* d = message->GetDescriptor();
  const pb::Reflection* r = message->GetReflection();
  if (d == pb::Any::descriptor()) {
    auto* any = static_cast<pb::Any*>(message);
    if (any->type_url().empty() && any->value().empty()) return;  // nothing packed
    const pb::Descriptor* type = pb::DescriptorPool::generated_pool()->FindMessageTypeByName(
        std::string(absl::StripPrefix(any->type_url(), "type.googleapis.com/")));
    std::unique_ptr<pb::Message> inner;
    if (type != nullptr && packed_depth < kMaxPackedDepth) {
      inner.reset(pb::MessageFactory::generated_factory()->GetPrototype(type)->New());
    }
    if (inner == nullptr || !any->UnpackTo(inner.get())) {
      if (opaque) opaque(any);
      return;
    }
    Visit(inner.get(), visit, opaque, packed_depth + 1);
    any->PackFrom(*inner);
    return;
  }
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      for (int j = 0; j < r->FieldSize(*message, f); ++j) {
        Visit(r->MutableRepeatedMessage(message, f, j), visit, opaque, packed_depth);
      }
    } else if (r->HasField(*message, f)) {
      Visit(r->MutableMessage(message, f), visit, opaque, packed_depth);
    }
  }
}

}  // namespace

void VisitMessages(pb::Message* message, const std::function<void(pb::Message*)>& visit,
                   const std::function<void(pb::Any*)>& opaque) {
  Visit(message, visit, opaque, 0);
}

}  // namespace sunlight
