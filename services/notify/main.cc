// notify: notifications by text message (Kannel), e-mail (SMTP) and webhook, derived from the
// supervision stream. Wiring only; logic in notifier.h and libs/notify.
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "applicant_directory.h"
#include "dlr_receiver.h"
#include "sunlight/base/log.h"
#include "sunlight/base/secret_file.h"
#include "sunlight/notify/kannel_channel.h"
#include "sunlight/notify/notifier.h"
#include "sunlight/notify/notifier_grpc_service.h"
#include "sunlight/notify/notify_metrics.h"
#include "sunlight/notify/smtp_channel.h"
#include "sunlight/notify/webhook_channel.h"
#include "sunlight/server/service_main.h"

int main(int argc, char** argv) {
  namespace nf = sunlight::notify;
  sunlight::server::ServiceMain main({.name = "notify",
                                      .default_port = 7005,
                                      .column_families = nf::NotifierColumnFamilies(),
                                      .method_policy = nf::NotifierMethodPolicy()});
  main.AddFlag({"supervision", "127.0.0.1:7003", "supervision service address (its stream)"});
  main.AddFlag({"intake", "",
                "intake service address (its stream, and applicants' phones); "
                "empty: nothing is sent to applicants"});
  main.AddFlag({"workflow", "",
                "workflow service address (its stream: decisions, completion, "
                "certificates)"});
  main.AddFlag({"scoring", "",
                "scoring service address (its stream: complaints accepted and answered, and "
                "complainants' phones); empty: nothing is sent to complainants"});
  main.AddFlag({"templates", "data/notify/templates.json", "the template set (versioned)"});
  main.AddFlag({"kannel_sendsms_url", "", "smsbox's sendsms URL; empty: no text messages"});
  main.AddFlag({"kannel_username", "sunlight", "the sendsms-user of kannel.conf"});
  main.AddFlag({"kannel_password_file", "", "file (mode 0600) of that user's password"});
  main.AddFlag({"sms_from", "", "the sender number shown on phones"});
  main.AddFlag({"dlr_listen", "127.0.0.1:0", "where Kannel reports deliveries (host:port)"});
  main.AddFlag({"dlr_host", "127.0.0.1", "the host Kannel reaches the report listener by"});
  main.AddFlag({"smtp_url", "", "smtp://host:port (STARTTLS required); empty: no e-mail"});
  main.AddFlag({"smtp_from", "noreply@sunlight.invalid", "the e-mail sender"});
  main.AddFlag({"smtp_ca_file", "", "CA bundle for the SMTP server; empty: the system's"});
  main.AddFlag({"webhook_secret_file", "", "file (mode 0600) of the webhooks' HMAC key"});
  main.AddFlag({"deliver_every", "200ms", "how often due notifications are attempted"});
  main.AddFlag({"report_wait", "1h",
                "how long a text message handed to Kannel waits for its final delivery report "
                "before it is tried again"});
  main.AddFlag({"first_backoff", "5s", "the wait after a failed attempt, doubled after each"});
  main.AddFlag({"max_backoff", "30m", "the longest wait between two attempts"});
  main.AddFlag({"max_attempts", "12", "attempts before a notification is dead-lettered"});
  if (!main.Init(argc, argv)) return main.exit_code();
  auto templates = nf::LoadTemplates(main.flag("templates"));
  if (!templates.ok()) return main.Fail(templates.status());

  std::map<nf::v1::Channel, nf::Channel*> channels;
  std::unique_ptr<nf::KannelSmsChannel> sms;
  std::unique_ptr<nf::SmtpChannel> mail;
  std::unique_ptr<nf::WebhookChannel> webhook;
  std::unique_ptr<nf::Outbox> outbox;
  // The report listener needs the outbox, and the SMS channel the listener's URL.
  struct LateChannel final : nf::Channel {
    nf::Channel* channel = nullptr;
    nf::SendResult Send(const nf::Message& m) override { return channel->Send(m); }
  } late_sms;
  if (!main.flag("kannel_sendsms_url").empty()) channels[nf::v1::CHANNEL_SMS] = &late_sms;
  if (!main.flag("smtp_url").empty()) {
    mail = std::make_unique<nf::SmtpChannel>(
        nf::SmtpChannel::Options{.url = main.flag("smtp_url"),
                                 .from = main.flag("smtp_from"),
                                 .ca_file = main.flag("smtp_ca_file")},
        main.clock());
    channels[nf::v1::CHANNEL_EMAIL] = mail.get();
  }
  if (!main.flag("webhook_secret_file").empty()) {
    auto secret = sunlight::ReadSecretFile(main.flag("webhook_secret_file"));
    if (!secret.ok()) return main.Fail(secret.status());
    webhook = std::make_unique<nf::WebhookChannel>(nf::WebhookChannel::Options{.secret = *secret},
                                                   main.clock());
    channels[nf::v1::CHANNEL_WEBHOOK] = webhook.get();
  }
  nf::OutboxOptions outbox_options;
  if (!absl::ParseDuration(main.flag("report_wait"), &outbox_options.report_wait) ||
      outbox_options.report_wait <= absl::ZeroDuration()) {
    return main.Fail(absl::InvalidArgumentError("report_wait: a positive duration"));
  }
  if (!absl::ParseDuration(main.flag("first_backoff"), &outbox_options.first_backoff) ||
      outbox_options.first_backoff <= absl::ZeroDuration()) {
    return main.Fail(absl::InvalidArgumentError("first_backoff: a positive duration"));
  }
  if (!absl::ParseDuration(main.flag("max_backoff"), &outbox_options.max_backoff) ||
      outbox_options.max_backoff < outbox_options.first_backoff) {
    return main.Fail(
        absl::InvalidArgumentError("max_backoff: a duration of first_backoff or more"));
  }
  if (!absl::SimpleAtoi(main.flag("max_attempts"), &outbox_options.max_attempts) ||
      outbox_options.max_attempts == 0) {
    return main.Fail(absl::InvalidArgumentError("max_attempts: a positive number"));
  }
  outbox = std::make_unique<nf::Outbox>(main.store(), main.clock(), outbox_options, channels);
  if (absl::Status opened = outbox->Open(); !opened.ok()) return main.Fail(opened);
  auto receiver = nf::DlrReceiver::Start(main.flag("dlr_listen"), outbox.get());
  if (!receiver.ok()) return main.Fail(receiver.status());
  if (!main.flag("kannel_sendsms_url").empty()) {
    std::string password;
    if (!main.flag("kannel_password_file").empty()) {
      auto read = sunlight::ReadSecretFile(main.flag("kannel_password_file"));
      if (!read.ok()) return main.Fail(read.status());
      password = *read;
    }
    sms = std::make_unique<nf::KannelSmsChannel>(
        nf::KannelSmsChannel::Options{.sendsms_url = main.flag("kannel_sendsms_url"),
                                      .username = main.flag("kannel_username"),
                                      .password = password,
                                      .from = main.flag("sms_from"),
                                      .dlr_url = (*receiver)->Url(main.flag("dlr_host"))});
    late_sms.channel = sms.get();
  }
  std::unique_ptr<nf::IntakeApplicantDirectory> applicants;
  if (!main.flag("intake").empty()) {
    applicants = std::make_unique<nf::IntakeApplicantDirectory>(
        main.flag("intake"), main.channel_credentials(), main.signer());
  }
  std::unique_ptr<nf::ScoringComplainantDirectory> complainants;
  if (!main.flag("scoring").empty()) {
    complainants = std::make_unique<nf::ScoringComplainantDirectory>(
        main.flag("scoring"), main.channel_credentials(), main.signer());
  }
  auto notifier = nf::Notifier::Open(main.store(), main.clock(), *templates, outbox.get(),
                                     applicants.get(), complainants.get());
  if (!notifier.ok()) return main.Fail(notifier.status());
  nf::Notifier* n = notifier->get();
  nf::NotifyMetrics metrics;
  metrics.Register(main.host().registry());
  nf::NotifyChannelMetrics channel_metrics;
  channel_metrics.Register(main.host().registry());
  nf::NotifierGrpcService service(n, main.authorizer());
  main.AddService(&service);
  main.Follow(
      nf::kSupervisionStream, main.flag("supervision"),
      [n] { return n->Cursor(nf::kSupervisionStream); },
      [n](const auto& batch) { return n->ApplyEvents(nf::kSupervisionStream, batch); });
  for (const char* stream : {nf::kIntakeStream, nf::kWorkflowStream, nf::kScoringStream}) {
    if (main.flag(stream).empty()) continue;
    if (applicants == nullptr && stream != std::string(nf::kScoringStream)) continue;
    main.Follow(
        stream, main.flag(stream), [n, stream = std::string(stream)] { return n->Cursor(stream); },
        [n, stream = std::string(stream)](const auto& batch) {
          return n->ApplyEvents(stream, batch);
        });
  }
  absl::Duration every;
  if (!absl::ParseDuration(main.flag("deliver_every"), &every) || every <= absl::ZeroDuration()) {
    return main.Fail(absl::InvalidArgumentError("deliver_every: a positive duration"));
  }
  nf::Outbox* o = outbox.get();
  // The counters by channel as last exported (only the delivery thread reads and writes it).
  std::map<sunlight::notify::v1::Channel, nf::Outbox::ChannelCounts> exported;
  main.Every(every, [o, &metrics, &channel_metrics, &exported] {
    auto attempted = o->DeliverDue();
    for (const auto& [channel, counts] : o->CountsByChannel()) {
      std::string name = absl::AsciiStrToLower(
          absl::StripPrefix(sunlight::notify::v1::Channel_Name(channel), "CHANNEL_"));
      const nf::Outbox::ChannelCounts& before = exported[channel];
      channel_metrics.sent.Increment({{"channel", name}}, double(counts.sent - before.sent));
      channel_metrics.delivered.Increment({{"channel", name}},
                                          double(counts.delivered - before.delivered));
      channel_metrics.failed.Increment({{"channel", name}}, double(counts.failed - before.failed));
      exported[channel] = counts;
    }
    if (!attempted.ok()) sunlight::LogError("notify", attempted.status().ToString());
    if (attempted.ok()) metrics.attempts.Increment(static_cast<double>(*attempted));
    metrics.backlog.Set(static_cast<double>(o->Backlog()));
    metrics.delivered.Set(static_cast<double>(o->Delivered()));
    metrics.dead.Set(static_cast<double>(o->Dead()));
  });
  main.Every(absl::Seconds(15), [o, &metrics] {
    auto oldest = o->OldestPending();
    if (!oldest.ok()) {
      sunlight::LogError("notify", oldest.status().ToString());
      return;
    }
    metrics.oldest.Set(
        oldest->has_value() ? std::max(0.0, absl::ToDoubleSeconds(absl::Now() - **oldest)) : 0.0);
  });
  return main.Run(absl::StrCat("following supervision at ", main.flag("supervision"),
                               "; delivery reports on port ", (*receiver)->port()));
}
