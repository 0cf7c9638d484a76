// One list of a component's metrics, Envoy style (`ALL_..._STATS(COUNTER)`): a macro names
// each metric once; SUNLIGHT_METRICS_STRUCT makes the struct that holds them, and Register
// creates them in a registry. Before Register a metric drops what it is given, so a library
// counts the same way whether or not its binary exposes the metrics (tests, tools).
//
//   #define INTAKE_METRICS(COUNTER, GAUGE) COUNTER(cases_submitted, "sunlight_..._total", "...")
//   SUNLIGHT_METRICS_STRUCT(IntakeMetrics, INTAKE_METRICS);
//   ...
//   metrics.Register(host.registry());            // once, in main
//   metrics.cases_submitted.Increment();          // a pointer's cost, no label lookup
#ifndef SUNLIGHT_SERVER_METRICS_H_
#define SUNLIGHT_SERVER_METRICS_H_

#include <string>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace sunlight::server {

class CounterMetric {
 public:
  void Register(prometheus::Registry& registry, const std::string& name, const std::string& help) {
    counter_ = &prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
  }
  void Increment(double by = 1) {
    if (counter_ != nullptr && by > 0) counter_->Increment(by);
  }
  // 0 until registered.
  double value() const { return counter_ == nullptr ? 0 : counter_->Value(); }

 private:
  prometheus::Counter* counter_ = nullptr;
};

class GaugeMetric {
 public:
  void Register(prometheus::Registry& registry, const std::string& name, const std::string& help) {
    gauge_ = &prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
  }
  void Set(double value) {
    if (gauge_ != nullptr) gauge_->Set(value);
  }
  double value() const { return gauge_ == nullptr ? 0 : gauge_->Value(); }

 private:
  prometheus::Gauge* gauge_ = nullptr;
};

}  // namespace sunlight::server

#define SUNLIGHT_COUNTER_MEMBER(field, name, help) ::sunlight::server::CounterMetric field;
#define SUNLIGHT_GAUGE_MEMBER(field, name, help) ::sunlight::server::GaugeMetric field;
#define SUNLIGHT_COUNTER_REGISTER(field, name, help) field.Register(registry, name, help);
#define SUNLIGHT_GAUGE_REGISTER(field, name, help) field.Register(registry, name, help);

// `struct Name` with a member for every metric of LIST and Register(registry) creating them.
#define SUNLIGHT_METRICS_STRUCT(Name, LIST)                    \
  struct Name {                                                \
    LIST(SUNLIGHT_COUNTER_MEMBER, SUNLIGHT_GAUGE_MEMBER)       \
    void Register(prometheus::Registry& registry) {            \
      LIST(SUNLIGHT_COUNTER_REGISTER, SUNLIGHT_GAUGE_REGISTER) \
    }                                                          \
  }

#endif  // SUNLIGHT_SERVER_METRICS_H_
