// GET /v1/events:stream: the console's server-sent events (board, alert, end) for one caller.
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gateway_routes.h"
#include "google/protobuf/util/json_util.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;
using auth::v1::Principal;

HttpResponse Gateway::StreamEvents(const Call& call) {
  if (options_.live_events == nullptr) {
    return ErrorResponse(503, "UNAVAILABLE", "live events are not configured");
  }
  // Each stream holds a connection (a thread): a few per user, or one signed-in user could
  // take the server's connections.
  std::shared_ptr<const void> slot = options_.live_events->OpenStream(call.principal.user_id());
  if (slot == nullptr) {
    HttpResponse response =
        ErrorResponse(429, "RESOURCE_EXHAUSTED", "too many open event streams for this user");
    response.headers.emplace_back("Retry-After", "10");
    return response;
  }
  struct State {
    std::shared_ptr<const void> slot;  // given back when the stream's response is freed
    LiveEvents::Listener listener;
    std::string authorization;
    std::string client;
    Principal principal;
    absl::Time last_board = absl::InfinitePast();
    absl::Time last_sent = absl::Now();
    bool ended = false;
  };
  auto state = std::make_shared<State>();
  state->slot = std::move(slot);
  state->authorization = call.http->Header("authorization");
  state->client = call.http->client;
  state->principal = call.principal;
  HttpResponse response;
  response.content_type = "text/event-stream; charset=utf-8";
  response.headers.emplace_back("X-Accel-Buffering", "no");
  response.stream = [this, state](std::string* chunk) -> bool {
    LiveEvents& live = *options_.live_events;
    if (state->ended || live.stopped()) return false;
    // Wakes at least every 5 s to notice a session that ended.
    LiveEvents::Changes changes = live.Wait(&state->listener, absl::Seconds(5));
    if (live.stopped()) return false;
    // The stream lives only as long as the session.
    if (!accounts_->Authenticate(BearerToken(state->authorization).value_or("")).ok()) {
      *chunk = "event: end\ndata: {\"reason\":\"session ended\"}\n\n";
      state->ended = true;
      return true;
    }
    if (changes.board_changed) {
      // Bursts of transitions: at most one board every 250 ms.
      absl::Duration since = absl::Now() - state->last_board;
      if (since < absl::Milliseconds(250)) absl::SleepFor(absl::Milliseconds(250) - since);
      HttpRequest board;
      board.method = "GET";
      board.path = "/v1/board";
      board.headers["authorization"] = state->authorization;
      board.client = state->client;
      HttpResponse current = Handle(board);
      state->last_board = absl::Now();
      if (current.status != 200) {
        absl::StrAppend(chunk, "event: end\ndata: ", current.body, "\n\n");
        state->ended = true;
        return true;
      }
      absl::StrAppend(chunk, "event: board\ndata: ", current.body, "\n\n");
    }
    pb::util::JsonPrintOptions json;
    json.preserve_proto_field_names = true;
    for (const auto& alert : changes.alerts) {
      if (IsStaff(state->principal) && alert.department_id() != state->principal.department_id()) {
        continue;
      }
      std::string text;
      if (pb::util::MessageToJsonString(alert, &text, json).ok()) {
        absl::StrAppend(chunk, "event: alert\ndata: ", text, "\n\n");
      }
    }
    if (chunk->empty() && absl::Now() - state->last_sent >= absl::Seconds(15)) {
      *chunk = ": keep-alive\n\n";
    }
    if (!chunk->empty()) state->last_sent = absl::Now();
    return true;  // (nothing to send: called again)
  };
  return response;
}

}  // namespace sunlight::gateway
