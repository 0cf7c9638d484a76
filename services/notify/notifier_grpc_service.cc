#include "sunlight/notify/notifier_grpc_service.h"

namespace sunlight::notify {

// The gateway calls these for the system administrator (contacts, resending) and for
// inspectors (the delivery records, messages by hand); services read nothing of notify's.
auth::MethodPolicy NotifierMethodPolicy() {
  constexpr uint32_t kWatch = auth::kAdministrators | auth::kInspectors;
  return {
      auth::Allow<v1::SetContactRequest>(auth::kAdministrators),
      auth::Allow<v1::ListContactsRequest>(kWatch),
      auth::Allow<v1::ListNotificationsRequest>(kWatch),
      auth::Allow<v1::GetNotificationRequest>(kWatch),
      auth::Allow<v1::ResendRequest>(auth::kAdministrators),
      auth::Allow<v1::SendMessageRequest>(kWatch),
  };
}

}  // namespace sunlight::notify
