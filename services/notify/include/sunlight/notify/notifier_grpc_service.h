// The gRPC face of the notify service: checks each call, converts statuses at the boundary,
// nothing else.
#ifndef SUNLIGHT_SERVICES_NOTIFY_NOTIFIER_GRPC_SERVICE_H_
#define SUNLIGHT_SERVICES_NOTIFY_NOTIFIER_GRPC_SERVICE_H_

#include "sunlight/auth/authorizer.h"
#include "sunlight/notify/notifier.h"
#include "sunlight/notify/v1/notify.grpc.pb.h"
#include "sunlight/server/grpc_status.h"

namespace sunlight::notify {

// Which audiences may call each method (see auth::Authorizer).
auth::MethodPolicy NotifierMethodPolicy();

class NotifierGrpcService final : public v1::Notify::Service {
 public:
  // `authorizer` null: every call is allowed (in-process tests).
  explicit NotifierGrpcService(Notifier* notifier, const auth::Authorizer* authorizer = nullptr)
      : notifier_(notifier), authorizer_(authorizer) {}

#define SUNLIGHT_NOTIFY_METHOD(Name, Request, Response)                                         \
  grpc::Status Name(grpc::ServerContext* c, const v1::Request* r, v1::Response* out) override { \
    return server::Serve(auth::CheckCall(authorizer_, c, *r), notifier_, &Notifier::Name, *r,   \
                         out);                                                                  \
  }
  SUNLIGHT_NOTIFY_METHOD(SetContact, SetContactRequest, Contact)
  SUNLIGHT_NOTIFY_METHOD(ListContacts, ListContactsRequest, ListContactsResponse)
  SUNLIGHT_NOTIFY_METHOD(ListNotifications, ListNotificationsRequest, ListNotificationsResponse)
  SUNLIGHT_NOTIFY_METHOD(GetNotification, GetNotificationRequest, GetNotificationResponse)
  SUNLIGHT_NOTIFY_METHOD(Resend, ResendRequest, Notification)
  SUNLIGHT_NOTIFY_METHOD(SendMessage, SendMessageRequest, SendMessageResponse)
#undef SUNLIGHT_NOTIFY_METHOD

 private:
  Notifier* notifier_;
  const auth::Authorizer* authorizer_;
};

}  // namespace sunlight::notify

#endif  // SUNLIGHT_SERVICES_NOTIFY_NOTIFIER_GRPC_SERVICE_H_
