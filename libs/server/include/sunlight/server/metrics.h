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

#include <map>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
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

// A histogram (latencies, delays), with its buckets; like the others, it drops what it is
// given until registered.
class HistogramMetric {
 public:
  void Register(prometheus::Registry& registry, const std::string& name, const std::string& help,
                std::vector<double> buckets) {
    histogram_ =
        &prometheus::BuildHistogram().Name(name).Help(help).Register(registry).Add({}, buckets);
  }
  void Observe(double value) {
    if (histogram_ != nullptr) histogram_->Observe(value);
  }

 private:
  prometheus::Histogram* histogram_ = nullptr;
};

// Seconds from 1 ms to 60 s, for latencies and delays.
inline std::vector<double> LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

// A family of counters or gauges with labels whose values come from a small, bounded set (a
// stream's name, a channel, a light): each series is made on first use and kept.
template <typename Metric>
class LabeledMetric {
 public:
  void Register(prometheus::Registry& registry, const std::string& name, const std::string& help) {
    std::lock_guard lock(mu_);
    if constexpr (std::is_same_v<Metric, prometheus::Counter>) {
      family_ = &prometheus::BuildCounter().Name(name).Help(help).Register(registry);
    } else {
      family_ = &prometheus::BuildGauge().Name(name).Help(help).Register(registry);
    }
  }
  // The series of `labels`, or null before Register.
  Metric* With(const std::map<std::string, std::string>& labels) {
    std::lock_guard lock(mu_);
    return family_ == nullptr ? nullptr : &family_->Add(labels);
  }
  void Increment(const std::map<std::string, std::string>& labels, double by = 1) {
    if (Metric* m = With(labels); m != nullptr && by > 0) m->Increment(by);
  }
  void Set(const std::map<std::string, std::string>& labels, double value) {
    if (Metric* m = With(labels); m != nullptr) m->Set(value);
  }

 private:
  std::mutex mu_;
  prometheus::Family<Metric>* family_ = nullptr;
};
using LabeledCounter = LabeledMetric<prometheus::Counter>;
using LabeledGauge = LabeledMetric<prometheus::Gauge>;

// Histograms with bounded labels (a route pattern and a method).
class LabeledHistogram {
 public:
  void Register(prometheus::Registry& registry, const std::string& name, const std::string& help,
                std::vector<double> buckets) {
    std::lock_guard lock(mu_);
    buckets_ = std::move(buckets);
    family_ = &prometheus::BuildHistogram().Name(name).Help(help).Register(registry);
  }
  void Observe(const std::map<std::string, std::string>& labels, double value) {
    std::lock_guard lock(mu_);
    if (family_ != nullptr) family_->Add(labels, buckets_).Observe(value);
  }

 private:
  std::mutex mu_;
  std::vector<double> buckets_;
  prometheus::Family<prometheus::Histogram>* family_ = nullptr;
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
