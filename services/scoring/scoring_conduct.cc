// Conduct events of the video stream (Scoring::ApplyVideo, scoring.h): an event counts only
// once an inspector has confirmed it, as one occurrence ("conduct/<event id>") on the local day
// it started, for the department and the window the camera covered. Detection, its end and a
// dismissal change nothing, so a pending or dismissed event never reaches a score.
#include "scoring_internal.h"

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "sunlight/base/log.h"
#include "sunlight/base/utf8.h"
#include "sunlight/video/v1/video.pb.h"

namespace sunlight::scoring {

namespace vv1 = ::sunlight::video::v1;

namespace {

// "absent_from_post", "crowding"; a rule this build does not know by its number.
std::string RuleName(vv1::ConductRule rule) {
  const std::string& name = vv1::ConductRule_Name(rule);
  if (name.empty()) return absl::StrCat("rule_", static_cast<int>(rule));
  return absl::AsciiStrToLower(absl::StripPrefix(name, "CONDUCT_RULE_"));
}

// The confirmed event as it counts: "conduct:absent_from_post 2026-12-03 10:05 W07" (the
// window, or the camera of a hall camera).
v1::Occurrence ConductOccurrence(const vv1::ConductEvent& e, const absl::TimeZone& zone) {
  const absl::Time start = FromProto(e.start());
  v1::Occurrence o;
  o.set_source(absl::StrCat("conduct/", e.event_id()));
  o.set_day(DayNumber(absl::ToCivilDay(start, zone)));
  o.set_department_id(e.department_id());
  o.set_window_id(e.window_id());
  o.add_events("conduct_confirmed");
  o.set_what(absl::StrCat("conduct:", RuleName(e.rule()), " ",
                          absl::FormatTime("%Y-%m-%d %H:%M", start, zone), " ",
                          e.window_id().empty() ? e.camera_id() : e.window_id()));
  *o.mutable_at() = e.start();
  return o;
}

void Skip(const CaseEvent& event, absl::string_view why) {
  LogError("scoring", absl::StrCat("video event ", event.sequence(), " (",
                                   PrintableText(event.type()), "): ", why, "; skipped"));
}

}  // namespace

absl::Status Scoring::ApplyVideo(Mutation& m, const CaseEvent& event) {
  if (event.type() != "video.conduct.confirmed") return absl::OkStatus();
  vv1::ConductEventChanged changed;
  if (!event.payload().UnpackTo(&changed)) {
    Skip(event, "unreadable payload");
    return absl::OkStatus();
  }
  const vv1::ConductEvent& e = changed.event();
  if (e.event_id().empty() || !e.has_start()) {
    Skip(event, "a conduct event without event_id or start");
    return absl::OkStatus();
  }
  if (e.decision() != vv1::CONDUCT_DECISION_CONFIRMED) {
    Skip(event, "a conduct event not confirmed");
    return absl::OkStatus();
  }
  v1::Occurrence counted = ConductOccurrence(e, calendar_->time_zone());
  // Confirmation is final, so a redelivery finds its own occurrence stored and changes nothing.
  SUNLIGHT_ASSIGN_OR_RETURN(
      v1::Occurrence * stored,
      m.StoredOccurrence(store::OccurrenceKey(MonthNumber(counted.day()), counted.source())));
  SUNLIGHT_RETURN_IF_ERROR(StageOccurrence(m, *stored, counted));
  *stored = std::move(counted);
  return absl::OkStatus();
}

}  // namespace sunlight::scoring
