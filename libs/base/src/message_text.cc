#include "sunlight/base/message_text.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "sunlight/base/utf8.h"

namespace sunlight {
namespace {

namespace pb = ::google::protobuf;

std::string Join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : absl::StrCat(prefix, ".", name);
}

absl::Status Validate(const pb::Message& message, size_t max_bytes, const std::string& prefix) {
  const pb::Descriptor* d = message.GetDescriptor();
  const pb::Reflection* r = message.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    const std::string path = Join(prefix, f->name());
    if (f->type() == pb::FieldDescriptor::TYPE_STRING) {
      if (f->is_repeated()) {
        for (int j = 0; j < r->FieldSize(message, f); ++j) {
          std::string scratch;
          const std::string& value = r->GetRepeatedStringReference(message, f, j, &scratch);
          if (absl::Status s = RequireUtf8(value, absl::StrCat(path, "[", j, "]"), max_bytes);
              !s.ok()) {
            return s;
          }
        }
      } else {
        std::string scratch;
        const std::string& value = r->GetStringReference(message, f, &scratch);
        if (absl::Status s = RequireUtf8(value, path, max_bytes); !s.ok()) return s;
      }
    } else if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int j = 0; j < r->FieldSize(message, f); ++j) {
          if (absl::Status s = Validate(r->GetRepeatedMessage(message, f, j), max_bytes,
                                        absl::StrCat(path, "[", j, "]"));
              !s.ok()) {
            return s;
          }
        }
      } else if (r->HasField(message, f)) {
        if (absl::Status s = Validate(r->GetMessage(message, f), max_bytes, path); !s.ok()) {
          return s;
        }
      }
    }
  }
  return absl::OkStatus();
}

bool NeedsRepair(const std::string& value, size_t max_bytes) {
  return value.size() > max_bytes || !IsValidUtf8(value);
}

}  // namespace

absl::Status ValidateMessageText(const pb::Message& message, size_t max_bytes) {
  return Validate(message, max_bytes, "");
}

int SanitizeMessageText(pb::Message* message, size_t max_bytes) {
  const pb::Descriptor* d = message->GetDescriptor();
  const pb::Reflection* r = message->GetReflection();
  int rewritten = 0;
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (f->type() == pb::FieldDescriptor::TYPE_STRING) {
      if (f->is_repeated()) {
        for (int j = 0; j < r->FieldSize(*message, f); ++j) {
          std::string value = r->GetRepeatedString(*message, f, j);
          if (NeedsRepair(value, max_bytes)) {
            r->SetRepeatedString(message, f, j, PrintableText(value, max_bytes));
            ++rewritten;
          }
        }
      } else {
        std::string value = r->GetString(*message, f);
        if (NeedsRepair(value, max_bytes)) {
          r->SetString(message, f, PrintableText(value, max_bytes));
          ++rewritten;
        }
      }
    } else if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int j = 0; j < r->FieldSize(*message, f); ++j) {
          rewritten += SanitizeMessageText(r->MutableRepeatedMessage(message, f, j), max_bytes);
        }
      } else if (r->HasField(*message, f)) {
        rewritten += SanitizeMessageText(r->MutableMessage(message, f), max_bytes);
      }
    }
  }
  return rewritten;
}

}  // namespace sunlight
