// Staged pushes in the gateway's store (staged_pushes.h).
#include "exchange/staged_pushes.h"

#include "absl/strings/str_cat.h"
#include "exchange/exchange_store.h"
#include "sunlight/base/request_validation.h"
#include "sunlight/base/status_macros.h"
#include "sunlight/storage/paging.h"
#include "sunlight/storage/proto_record.h"

namespace sunlight::gateway {

using exchange::v1::StagedPush;
namespace xs = exchange_store;

absl::StatusOr<std::unique_ptr<StagedPushes>> StagedPushes::Open(storage::Store* store) {
  SUNLIGHT_ASSIGN_OR_RETURN(auto last, store->Last(xs::kPushes));
  uint64_t number = 0;
  if (last.has_value()) {
    SUNLIGHT_ASSIGN_OR_RETURN(
        auto push, storage::ParseProto<StagedPush>(last->second, xs::kPushes, last->first));
    auto parsed = xs::PushNumber(push.push_id());
    if (!parsed.has_value() || xs::PushKey(*parsed) != last->first) {
      return absl::DataLossError(
          absl::StrCat("exchange push under the last key names ", push.push_id()));
    }
    number = *parsed;
  }
  return std::unique_ptr<StagedPushes>(new StagedPushes(store, number));
}

absl::StatusOr<StagedPush> StagedPushes::Stage(StagedPush push) {
  std::lock_guard lock(stage_mu_);
  const uint64_t number = last_number_ + 1;
  push.set_push_id(xs::PushId(number));
  push.set_state(exchange::v1::PUSH_STATE_STAGED);
  storage::WriteBatch batch;
  batch.Put(xs::kPushes, xs::PushKey(number), push.SerializeAsString());
  SUNLIGHT_RETURN_IF_ERROR(store_->Write(batch));
  last_number_ = number;
  return push;
}

absl::StatusOr<StagedPush> StagedPushes::Get(const std::string& push_id) const {
  auto number = xs::PushNumber(push_id);
  if (!number.has_value()) return InvalidField("push_id", "not a push id (p<number>)");
  SUNLIGHT_ASSIGN_OR_RETURN(
      auto push, storage::LoadProto<StagedPush>(*store_, xs::kPushes, xs::PushKey(*number)));
  if (!push.has_value()) return absl::NotFoundError(absl::StrCat("no push ", push_id));
  return *std::move(push);
}

absl::StatusOr<exchange::v1::ListPushesResponse> StagedPushes::List(
    const exchange::v1::ListPushesRequest& request) const {
  const exchange::v1::PushState state = request.state() == exchange::v1::PUSH_STATE_UNSPECIFIED
                                            ? exchange::v1::PUSH_STATE_STAGED
                                            : request.state();
  if (!exchange::v1::PushState_IsValid(state)) return InvalidField("state", "not a push state");
  SUNLIGHT_ASSIGN_OR_RETURN(storage::Page page, storage::ReadPage(request.page().page_size(),
                                                                  request.page().page_token(), ""));
  page.max_examined = 10 * storage::kMaxPageSize;
  exchange::v1::ListPushesResponse response;
  SUNLIGHT_ASSIGN_OR_RETURN(
      std::string next,
      storage::ScanPage(*store_, xs::kPushes, "", page,
                        [&](std::string_view key, std::string_view value) -> absl::StatusOr<bool> {
                          SUNLIGHT_ASSIGN_OR_RETURN(
                              auto push, storage::ParseProto<StagedPush>(value, xs::kPushes, key));
                          if (push.state() != state) return false;
                          *response.add_pushes() = std::move(push);
                          return true;
                        }));
  response.set_next_page_token(next);
  return response;
}

absl::StatusOr<StagedPush> StagedPushes::Decide(const std::string& push_id,
                                                const Decision& decide) {
  std::lock_guard lock(decide_mu_);
  SUNLIGHT_ASSIGN_OR_RETURN(StagedPush push, Get(push_id));
  if (push.state() != exchange::v1::PUSH_STATE_STAGED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "push ", push_id, " is ", exchange::v1::PushState_Name(push.state()), " already"));
  }
  SUNLIGHT_ASSIGN_OR_RETURN(StagedPush decided, decide(std::move(push)));
  decided.set_push_id(push_id);
  storage::WriteBatch batch;
  batch.Put(xs::kPushes, xs::PushKey(*xs::PushNumber(push_id)), decided.SerializeAsString());
  SUNLIGHT_RETURN_IF_ERROR(store_->Write(batch));
  return decided;
}

}  // namespace sunlight::gateway
