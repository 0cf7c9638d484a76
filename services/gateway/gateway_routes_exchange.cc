// Routes of the provincial exchange's staged pushes: the system administrator sees what the
// platforms pushed and what it would change, and approves it (published in intake, as the
// administrator) or rejects it with a reason. Nothing a platform pushes takes effect before.
#include "gateway_routes.h"
#include "sunlight/base/proto_time.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/exchange/v1/exchange.pb.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;
namespace xv1 = ::sunlight::exchange::v1;

namespace {

common::v1::Actor ActorOf(const Principal& principal) {
  common::v1::Actor actor;
  actor.set_id(principal.user_id());
  actor.set_name(principal.name());
  actor.set_role(principal.role());
  actor.set_department_id(principal.department_id());
  return actor;
}

}  // namespace

void Gateway::AddExchangeRoutes() {
  {
    Route& r = AddRoute("GET", "/v1/exchange/pushes", auth::kAdministrators,
                        "Items pushed by provincial platforms (staged ones unless a state is "
                        "asked for), each with what it changes against the version in force.",
                        nullptr);
    r.input = xv1::ListPushesRequest::descriptor();
    r.output = xv1::ListPushesResponse::descriptor();
    r.local = [this](Call&, pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      SUNLIGHT_ASSIGN_OR_RETURN(auto pushes,
                                pushes_->List(static_cast<const xv1::ListPushesRequest&>(message)));
      return std::unique_ptr<pb::Message>(new xv1::ListPushesResponse(std::move(pushes)));
    };
  }
  {
    Route& r =
        AddRoute("POST", "/v1/exchange/pushes/{push_id}:approve", auth::kAdministrators,
                 "Approve a staged push: it becomes the item's next version in intake.", nullptr);
    r.input = xv1::ApprovePushRequest::descriptor();
    r.output = xv1::StagedPush::descriptor();
    r.local = [this](Call& call,
                     pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      const auto& request = static_cast<const xv1::ApprovePushRequest&>(message);
      call.target = request.push_id();
      auto approve = [&](xv1::StagedPush push) -> absl::StatusOr<xv1::StagedPush> {
        // What the administrator was shown is the change against the version the push was
        // compared with: it must still be the one in force.
        iv1::GetItemRequest get;
        get.set_item_code(push.item_code());
        auto in_force = Invoke(call, IntakeMethod("GetItem"), get);
        if (!in_force.ok() && !absl::IsNotFound(in_force.status())) return in_force.status();
        uint32_t version =
            in_force.ok() ? static_cast<const iv1::ItemVersion&>(**in_force).version() : 0;
        if (version != push.base_version()) {
          return absl::FailedPreconditionError(
              absl::StrCat("push_id: ", push.push_id(), " was compared with version ",
                           push.base_version(), " of ", push.item_code(), " but version ", version,
                           " is in force now; reject it and let the platform push again"));
        }
        // A change the backends make is recorded before it is attempted.
        if (!Audit(call, absl::StrCat(call.route->http_method, " ", call.route->pattern),
                   call.target, 0, "intent")
                 .ok()) {
          return absl::UnavailableError("the audit log cannot be written; nothing was done");
        }
        iv1::PublishItemVersionRequest publish;
        *publish.mutable_actor() = ActorOf(call.principal);
        *publish.mutable_definition() = push.definition();
        SUNLIGHT_ASSIGN_OR_RETURN(auto published,
                                  Invoke(call, IntakeMethod("PublishItemVersion"), publish));
        push.set_state(xv1::PUSH_STATE_APPROVED);
        *push.mutable_decided_by() = ActorOf(call.principal);
        *push.mutable_decided_at() = ToProto(clock_->Now());
        push.set_published_version(static_cast<const iv1::ItemVersion&>(*published).version());
        return push;
      };
      SUNLIGHT_ASSIGN_OR_RETURN(auto decided, pushes_->Decide(request.push_id(), approve));
      return std::unique_ptr<pb::Message>(new xv1::StagedPush(std::move(decided)));
    };
  }
  {
    Route& r = AddRoute("POST", "/v1/exchange/pushes/{push_id}:reject", auth::kAdministrators,
                        "Reject a staged push, with the reason; it is never published.", nullptr);
    r.input = xv1::RejectPushRequest::descriptor();
    r.output = xv1::StagedPush::descriptor();
    r.local = [this](Call& call,
                     pb::Message& message) -> absl::StatusOr<std::unique_ptr<pb::Message>> {
      const auto& request = static_cast<const xv1::RejectPushRequest&>(message);
      call.target = request.push_id();
      SUNLIGHT_RETURN_IF_ERROR(RequireText(request.reason(), "reason"));
      SUNLIGHT_ASSIGN_OR_RETURN(
          auto decided,
          pushes_->Decide(request.push_id(),
                          [&](xv1::StagedPush push) -> absl::StatusOr<xv1::StagedPush> {
                            push.set_state(xv1::PUSH_STATE_REJECTED);
                            *push.mutable_decided_by() = ActorOf(call.principal);
                            *push.mutable_decided_at() = ToProto(clock_->Now());
                            push.set_rejection_reason(request.reason());
                            return push;
                          }));
      return std::unique_ptr<pb::Message>(new xv1::StagedPush(std::move(decided)));
    };
  }
}

}  // namespace sunlight::gateway
