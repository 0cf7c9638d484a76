// Fuzz target: masking personal data (personal_data.h) over untrusted bytes, as the
// provincial exchange does with each event it relays: the input is a serialized event
// (events.v1.CaseEvent, its payload packed in an Any of any type) wrapped in an exchange
// record. After MaskPersonalData, what is checked (a finding aborts):
//   - no field of a removed kind (query codes, client addresses, document references, sealed
//     data) holds anything, at any depth, inside packed payloads too;
//   - every packed payload left is of a type this build knows and parses, and no message
//     holds fields this build does not know (either could hide personal data, so they must
//     have been dropped);
//   - every masked value is well-formed UTF-8 where its input was, and the record
//     serializes and parses again.
// The second half of the input is masked as one value of each kind.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/strip.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/descriptor.h"
#include "personal_data.h"
#include "sunlight/base/utf8.h"
#include "sunlight/events/v1/events.pb.h"
#include "sunlight/exchange/v1/exchange.pb.h"

namespace {

namespace pb = ::google::protobuf;
using sunlight::common::v1::PersonalData;

bool Removed(PersonalData kind) {
  return kind != sunlight::common::v1::PERSONAL_DATA_UNSPECIFIED &&
         sunlight::gateway::MaskValue(kind, "x").empty();
}

void Check(const pb::Message& message, int depth) {
  if (depth > 200) return;  // protobuf's own parse depth bounds what reaches here
  const pb::Descriptor* d = message.GetDescriptor();
  const pb::Reflection* r = message.GetReflection();
  if (!r->GetUnknownFields(message).empty()) std::abort();  // fields nobody could check
  if (d == pb::Any::descriptor()) {
    const auto& any = static_cast<const pb::Any&>(message);
    if (any.type_url().empty() && any.value().empty()) return;
    const pb::Descriptor* type = pb::DescriptorPool::generated_pool()->FindMessageTypeByName(
        std::string(absl::StripPrefix(any.type_url(), "type.googleapis.com/")));
    if (type == nullptr) std::abort();  // an unknown payload went out
    std::unique_ptr<pb::Message> inner(
        pb::MessageFactory::generated_factory()->GetPrototype(type)->New());
    if (!any.UnpackTo(inner.get())) std::abort();  // a payload nobody can check went out
    Check(*inner, depth + 1);
    return;
  }
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int j = 0; j < r->FieldSize(message, f); ++j) {
          Check(r->GetRepeatedMessage(message, f, j), depth + 1);
        }
      } else if (r->HasField(message, f)) {
        Check(r->GetMessage(message, f), depth + 1);
      }
      continue;
    }
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_STRING) continue;
    if (!Removed(f->options().GetExtension(sunlight::common::v1::personal))) continue;
    if (f->is_repeated()) {
      for (int j = 0; j < r->FieldSize(message, f); ++j) {
        if (!r->GetRepeatedString(message, f, j).empty()) std::abort();
      }
    } else if (!r->GetString(message, f).empty()) {
      std::abort();  // removed data left in place
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  sunlight::events::v1::CaseEvent event;
  if (event.ParseFromString(bytes)) {
    sunlight::exchange::v1::ExchangeRecord record;
    record.set_record_id("intake/1");
    *record.mutable_event() = event;
    sunlight::gateway::MaskPersonalData(&record);
    Check(record, 0);
    sunlight::exchange::v1::ExchangeRecord again;
    if (!again.ParseFromString(record.SerializeAsString())) std::abort();
  }
  const std::string value = bytes.substr(size / 2);
  for (int kind = sunlight::common::v1::PersonalData_MIN;
       kind <= sunlight::common::v1::PersonalData_MAX; ++kind) {
    if (!sunlight::common::v1::PersonalData_IsValid(kind)) continue;
    const std::string masked = sunlight::gateway::MaskValue(static_cast<PersonalData>(kind), value);
    if (sunlight::IsValidUtf8(value) && !sunlight::IsValidUtf8(masked)) std::abort();
  }
  return 0;
}
