// gateway: REST/JSON, login, access control, audit, the console and the provincial exchange.
// Wiring only; the logic is in gateway.h and exchange/.
#include "absl/strings/str_cat.h"
#include "exchange/endpoint.h"
#include "gateway.h"
#include "gateway_config.h"
#include "gateway_grpc_service.h"
#include "sunlight/server/service_main.h"

int main(int argc, char** argv) {
  namespace gw = sunlight::gateway;
  sunlight::server::ServiceMain main(
      {.name = "gateway", .default_port = 7000, .column_families = gw::GatewayColumnFamilies()});
  for (auto& flag : gw::GatewayFlags()) main.AddFlag(flag);
  for (auto& flag : gw::ExchangeFlags()) main.AddFlag(flag);
  if (!main.Init(argc, argv)) return main.exit_code();
  auto repaired = gw::RepairAuditLogIfAsked(main.config(), main.store(), main.clock()->Now());
  if (!repaired.ok() || *repaired) return repaired.ok() ? 0 : main.Fail(repaired.status());
  auto options =
      gw::GatewayOptionsFromFlags(main.config(), main.signer(), main.channel_credentials());
  if (!options.ok()) return main.Fail(options.status());
  auto http_options = gw::HttpOptionsFromFlags(main.config());
  if (!http_options.ok()) return main.Fail(http_options.status());
  auto streams_per_user = main.config().GetInt("max_event_streams_per_user");
  if (!streams_per_user.ok()) return main.Fail(streams_per_user.status());
  if (*streams_per_user <= 0) {
    return main.Fail(absl::InvalidArgumentError("--max_event_streams_per_user must be positive"));
  }
  // The console's live board and alerts follow supervision's event stream.
  gw::LiveEvents live({.supervision_target = options->supervision_target,
                       .signer = main.signer(),
                       .credentials = main.channel_credentials(),
                       .max_streams_per_user = static_cast<size_t>(*streams_per_user)});
  live.Start();
  options->live_events = &live;
  auto gateway = gw::Gateway::Open(main.store(), main.clock(), *options);
  if (!gateway.ok()) return main.Fail(gateway.status());
  gw::Gateway* g = gateway->get();
  g->metrics().Register(main.host().registry());
  g->http_metrics().Register(main.host().registry());
  main.AddCertificate("https", main.flag("http_tls_cert_file"));
  if (auto s = gw::CreateMissingUsers(g->accounts(), main.flag("users_file")); !s.ok()) {
    return main.Fail(s);
  }
  gw::GatewayGrpcService grpc_service(g);
  main.AddService(&grpc_service);
  auto http =
      gw::HttpServer::Start(*http_options, [g](const gw::HttpRequest& r) { return g->Handle(r); });
  if (!http.ok()) return main.Fail(http.status());
  auto exchange = gw::ExchangeEndpoint::Start(
      main.config(), main.store(),
      {options->intake_target, options->workflow_target, options->supervision_target,
       options->scoring_target, options->principal_signer, main.channel_credentials(), &g->audit(),
       &g->pushes(), main.clock()},
      &main.host().registry());
  if (!exchange.ok()) return main.Fail(exchange.status());
  if (auto s = sunlight::server::WritePortFile(main.flag("http_port_file"), (*http)->port());
      !s.ok()) {
    return main.Fail(s);
  }
  main.Every(absl::Minutes(1), gw::EveryMinute(g, exchange->get()));
  // The audit chain walked every five minutes (and at start): its gauge is what an alert
  // watches; the event streams open, every few seconds.
  gw::VerifyAuditChain(g)();
  main.Every(absl::Minutes(5), gw::VerifyAuditChain(g));
  main.Every(absl::Seconds(5), [g, &live] {
    g->metrics().event_streams_open.Set(static_cast<double>(live.open_streams()));
  });
  main.OnShutdown([&] {
    live.Stop();  // ends the event streams, so their connections close
    (*http)->Stop();
    if (*exchange != nullptr) (*exchange)->Stop();
  });
  return main.Run(absl::StrCat("REST on port ", (*http)->port(), "; intake ", main.flag("intake"),
                               ", workflow ", main.flag("workflow"), ", supervision ",
                               main.flag("supervision"), ", scoring ", main.flag("scoring"),
                               ", notify ",
                               main.flag("notify").empty() ? "(none)" : main.flag("notify"),
                               ", video ", main.flag("video")));
}
