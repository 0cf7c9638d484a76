// Routes of the notify service: the contacts the system administrator keeps (how each member
// of staff is reached), and the outbox's notifications (text messages, e-mail, webhooks) with
// their attempts and delivery reports, a dead one resent by the administrator. Phones are
// masked by their mark (Contact.phone), e-mail addresses and a notification's destination
// here, by its channel; messages by hand (POST /v1/messages), audited like every change.
// Without --notify every one of them answers 503.
#include "gateway_routes.h"
#include "sunlight/base/mask.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/notify/v1/notify.pb.h"

#include "absl/strings/str_replace.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;
namespace nv1 = ::sunlight::notify::v1;

namespace {

// A webhook's URL: the scheme and host kept, the credentials, path and query (which may hold
// a token) masked ("https://hooks.example/***").
std::string MaskUrl(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return MaskKeeping(SplitUtf8Characters(url), 1, 0);
  size_t start = scheme + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? end : end - start);
  if (size_t at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  std::string kept = url.substr(0, start) + authority;
  std::string masked = MaskKeeping(SplitUtf8Characters(kept), kept.size(), 0);
  return end == std::string::npos ? masked : masked + "/***";
}

// Where a notification goes, masked by its channel: a phone number keeps its first 3 and last
// 4 digits, an address its first character and its domain, a URL its scheme and host.
std::string MaskDestination(nv1::Channel channel, const std::string& to) {
  switch (channel) {
    case nv1::CHANNEL_SMS:
      return MaskPhone(to);
    case nv1::CHANNEL_EMAIL:
      return MaskEmail(to);
    case nv1::CHANNEL_WEBHOOK:
      return MaskUrl(to);
    default:
      return MaskKeeping(SplitUtf8Characters(to), 1, 0);
  }
}

// A notification as lists show it: its destination masked, also where a channel's answer
// repeats it (an SMTP server's "<address>: ...") in its details and its attempts'.
void MaskNotification(nv1::Notification& n,
                      pb::RepeatedPtrField<nv1::Attempt>* attempts = nullptr) {
  if (n.to().empty()) return;
  const std::string to = n.to();
  const std::string masked = MaskDestination(n.channel(), to);
  auto scrub = [&](std::string* text) {
    if (!text->empty()) *text = absl::StrReplaceAll(*text, {{to, masked}});
  };
  n.set_to(masked);
  scrub(n.mutable_last_detail());
  scrub(n.mutable_dead_reason());
  if (attempts == nullptr) return;
  for (auto& a : *attempts) scrub(a.mutable_detail());
}

void MaskContact(nv1::Contact& c) {
  if (!c.email().empty()) c.set_email(MaskEmail(c.email()));
  if (!c.webhook_url().empty()) c.set_webhook_url(MaskUrl(c.webhook_url()));
}

}  // namespace

void Gateway::AddNotifyRoutes() {
  // A fake backend (tests) answers for itself; otherwise --notify names the service.
  const bool configured = options_.backend != nullptr || !options_.notify_target.empty();
  auto require_notify = [configured](Call& call, pb::Message&) -> absl::Status {
    if (!configured) return absl::UnavailableError("notifications are not configured");
    if (auto key = call.path_params.find("key"); key != call.path_params.end()) {
      call.target = key->second;
    }
    return absl::OkStatus();
  };
  constexpr uint32_t kWatch = auth::kAdministrators | auth::kInspectors;

  // ---- contacts (the system administrator's; inspectors read them)
  {
    const pb::MethodDescriptor* set_contact = NotifyMethod("SetContact");
    const pb::MethodDescriptor* list_contacts = NotifyMethod("ListContacts");
    Route& r =
        AddRoute("PUT", "/v1/contacts/{person_id}", auth::kAdministrators,
                 "Set how a member of staff is reached when a light or notice concerns them: "
                 "`contact` (name, department, whether a head of it, phone, e-mail, or for a "
                 "platform an https `webhook_url`; `language` zh or en; `contact.person_id` the "
                 "path's or empty). A phone, e-mail or URL sent back exactly as GET /v1/contacts "
                 "shows it (masked) keeps the stored one.",
                 set_contact);
    r.prepare = require_notify;
    r.local = [this, set_contact, list_contacts](
                  Call& call,
                  pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      auto& request = static_cast<nv1::SetContactRequest&>(message);
      call.target = call.path_params["person_id"];
      nv1::Contact* c = request.mutable_contact();
      if (c->person_id().empty()) {
        c->set_person_id(call.target);
      } else if (c->person_id() != call.target) {
        return InvalidField("contact.person_id", "not the person of the path");
      }
      // The console edits a contact as the list shows it: a masked value (no phone or
      // address has a '*' the console would send) stands for the stored one it masks.
      const bool phone_masked = c->phone().find('*') != std::string::npos;
      const bool email_masked = c->email().find('*') != std::string::npos;
      const bool url_masked = c->webhook_url().find('*') != std::string::npos;
      if (phone_masked || email_masked || url_masked) {
        SUNLIGHT_ASSIGN_OR_RETURN(auto listed,
                                  Invoke(call, list_contacts, nv1::ListContactsRequest()));
        nv1::Contact stored;
        for (const auto& s : static_cast<const nv1::ListContactsResponse&>(*listed).contacts()) {
          if (s.person_id() == c->person_id()) stored = s;
        }
        if (phone_masked) {
          if (stored.phone().empty() || MaskPhone(stored.phone()) != c->phone()) {
            return InvalidField("contact.phone",
                                "masked, but not as the stored phone: type the whole number");
          }
          c->set_phone(stored.phone());
        }
        if (email_masked) {
          if (stored.email().empty() || MaskEmail(stored.email()) != c->email()) {
            return InvalidField("contact.email",
                                "masked, but not as the stored address: type the whole address");
          }
          c->set_email(stored.email());
        }
        if (url_masked) {
          if (stored.webhook_url().empty() || MaskUrl(stored.webhook_url()) != c->webhook_url()) {
            return InvalidField("contact.webhook_url",
                                "masked, but not as the stored URL: type the whole URL");
          }
          c->set_webhook_url(stored.webhook_url());
        }
      }
      SUNLIGHT_RETURN_IF_ERROR(RecordIntent(call));
      return Invoke(call, set_contact, request);
    };
    r.finish = [](Call&, pb::Message& message) {
      MaskContact(static_cast<nv1::Contact&>(message));
    };
  }
  {
    Route& r = AddRoute("GET", "/v1/contacts", kWatch,
                        "The contacts of staff (only `department_id`'s when given), phones and "
                        "e-mail addresses masked.",
                        NotifyMethod("ListContacts"));
    r.prepare = require_notify;
    r.finish = [](Call&, pb::Message& message) {
      for (auto& c : *static_cast<nv1::ListContactsResponse&>(message).mutable_contacts()) {
        MaskContact(c);
      }
    };
  }

  // ---- notifications (the outbox)
  {
    Route& r = AddRoute("GET", "/v1/notifications", kWatch,
                        "Notifications by key (only those in `state` when given; after the key "
                        "`after`, at most `limit`: 50 unless given, 500 at most), their "
                        "destinations masked, and the backlog (neither delivered nor dead yet). "
                        "Dead ones carry `dead_reason`.",
                        NotifyMethod("ListNotifications"));
    r.prepare = require_notify;
    r.finish = [](Call&, pb::Message& message) {
      for (auto& n :
           *static_cast<nv1::ListNotificationsResponse&>(message).mutable_notifications()) {
        MaskNotification(n);
      }
    };
  }
  {
    Route& r = AddRoute("GET", "/v1/notifications/{key}", kWatch,
                        "One notification with its attempts and delivery reports, its "
                        "destination masked.",
                        NotifyMethod("GetNotification"));
    r.prepare = require_notify;
    r.finish = [](Call&, pb::Message& message) {
      auto& response = static_cast<nv1::GetNotificationResponse&>(message);
      MaskNotification(*response.mutable_notification(), response.mutable_attempts());
    };
  }
  {
    Route& r =
        AddRoute("POST", "/v1/messages", kWatch,
                 "Send a message by hand (手工发送短消息): `text` (at most 300 characters) to "
                 "the applicant of `case_id` (by text message, else e-mail; after quiet "
                 "hours) or to every member of `department_id`'s staff with a contact; "
                 "`request_id` makes a retry send nothing again. Audited. The answer: one "
                 "notification per recipient, destinations masked.",
                 NotifyMethod("SendMessage"));
    r.prepare = [require_notify](Call& call, pb::Message& message) -> absl::Status {
      SUNLIGHT_RETURN_IF_ERROR(require_notify(call, message));
      const auto& request = static_cast<const nv1::SendMessageRequest&>(message);
      call.target = request.case_id().empty() ? request.department_id() : request.case_id();
      return absl::OkStatus();
    };
    r.finish = [](Call&, pb::Message& message) {
      for (auto& n : *static_cast<nv1::SendMessageResponse&>(message).mutable_notifications()) {
        MaskNotification(n);
      }
    };
  }
  {
    Route& r = AddRoute("POST", "/v1/notifications/{key}:resend", auth::kAdministrators,
                        "Queue a dead notification again now, with a fresh budget of attempts "
                        "(409 when it is not dead).",
                        NotifyMethod("Resend"));
    r.prepare = require_notify;
    r.finish = [](Call&, pb::Message& message) {
      MaskNotification(static_cast<nv1::Notification&>(message));
    };
  }
}

}  // namespace sunlight::gateway
