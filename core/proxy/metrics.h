#pragma once
// Prometheus metrics of the data plane (`GET /stats/prometheus` on the admin port).
//
// Four groups of metric families, each family declared once in metricFamilies():
//   - aigw_* : the simulator's per route and per backend counters (requests, attempts, retries,
//     fallbacks, ejections, statuses) and latency histograms; Prometheus naming rules (`_total`,
//     seconds);
//   - envoy_cluster_* : a few of Envoy's own cluster stats, summed over clusters, with Envoy's
//     spelling (no `_total` on most counters, as Envoy's /stats/prometheus has them);
//   - gen_ai_* : the AI Gateway's OpenTelemetry metrics as its Prometheus exporter exposes them
//     (unit suffix `_seconds`, `otel_scope_*` labels), recorded for the final attempt only;
//   - target_info : the OTel exporter's resource gauge.
// Lives on the data-plane thread; render() is called there too (the admin API runs on it).

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace aigw::routing {
struct EngineCounters;
}

namespace aigw::proxy {

enum class MetricType { Counter, Gauge, Histogram };

/// One metric family `/stats/prometheus` can expose. The exposition's HELP and TYPE lines come
/// from here, and so do the tests' lists of names (the promtool check, the Grafana dashboard's).
struct MetricFamilyInfo {
    std::string_view name;
    MetricType type;
    std::string_view help;
    std::string_view labels;  ///< label keys, comma-separated (`le` of histograms not included)
    /// The name mirrors an Envoy stat and keeps Envoy's spelling, so a counter may lack `_total`
    /// (project rule): the only lint finding `promtool check metrics` may report.
    bool envoySpelling = false;
};

/// Every family the exposition can hold, in exposition order (by name). HELP and TYPE are always
/// rendered; a series once observed (the envoy_cluster_* ones when render() gets the engine's counters).
std::span<const MetricFamilyInfo> metricFamilies();

/// The sample names a family's series carry: the name, or `_bucket`, `_sum`, `_count` of a histogram.
std::vector<std::string> sampleNames(const MetricFamilyInfo& family);

/// Fixed-bucket histogram in Prometheus' cumulative form.
class Histogram {
public:
    explicit Histogram(std::vector<double> bounds = {});
    void observe(double v);
    /// Appends `<name>_bucket{labels,le=..}`, `_sum` and `_count` lines.
    void render(std::string& out, const std::string& name, const std::string& labels) const;
    /// {"count", "sum", "p50", "p90", "p99", "buckets": {"<le>": cumulative count, ..., "+Inf": n}},
    /// in the unit observed; quantiles interpolated inside their bucket as Prometheus'
    /// histogram_quantile() does (null when empty).
    nlohmann::ordered_json toJson() const;
    /// The q-quantile (0..1) estimated from the buckets; 0 when empty.
    double quantile(double q) const;
    std::uint64_t count() const { return m_count; }

private:
    std::vector<double> m_bounds;
    std::vector<std::uint64_t> m_counts;  ///< per bucket, non-cumulative; last is +Inf
    double m_sum = 0.0;
    std::uint64_t m_count = 0;
};

/// Everything the metrics need about one finished client request. Views into the caller's data,
/// read only during recordRequest(): a request no longer copies seven strings to be counted.
struct RequestMetrics {
    std::string_view route;         ///< "ns/name" ("" when no route matched)
    std::string_view operation;     ///< "chat", "completion", "embeddings"
    std::string_view provider;      ///< "openai"
    std::string_view originalModel;
    std::string_view requestModel;  ///< after the final attempt's override
    std::string_view responseModel;
    std::string_view finalBackend;  ///< AIServiceBackend "ns/name" of the final attempt ("" when none)
    int status = 0;
    bool success = false;
    bool stream = false;
    bool fellBack = false;  ///< answered on a priority > 0
    int attempts = 0;
    double durationSeconds = 0.0;
    double ttftSeconds = -1.0;  ///< streaming only
    std::int64_t inputTokens = -1;
    std::int64_t outputTokens = -1;
};

/// One finished upstream attempt (views, read only during recordAttempt()).
struct AttemptMetrics {
    std::string_view route;
    std::string_view backend;  ///< AIServiceBackend "ns/name"
    std::string_view server;
    std::string_view outcome;  ///< "success", "status_503", "connection_refused", ...
    double durationSeconds = 0.0;
};

class Metrics {
public:
    Metrics() = default;
    // Not copyable: the m_last* caches point into the maps.
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    void recordRequest(const RequestMetrics& r);
    void recordAttempt(const AttemptMetrics& a);
    void recordEjection(std::string_view route, std::string_view backend);
    /// Prometheus text exposition format 0.0.4; with `engine`, also its envoy_cluster_* stats.
    std::string render(const routing::EngineCounters* engine = nullptr) const;
    /// The aigw_* families as JSON (GET /stats): {"routes": {route: {requests, responses: {status: n},
    /// retries, fallbacks, latency_seconds}}, "backends": {route: {backend: {attempts, outcomes:
    /// {outcome: n}, ejections, latency_seconds}}}}. The gen_ai_* histograms stay Prometheus-only.
    nlohmann::ordered_json toJson() const;

private:
    struct RouteStats {
        std::map<int, std::uint64_t> statuses;
        std::uint64_t requests = 0;
        std::uint64_t retries = 0;
        std::uint64_t fallbacks = 0;
        Histogram latency;
        RouteStats();
    };
    struct BackendStats {
        std::map<std::string, std::uint64_t, std::less<>> outcomes;
        std::uint64_t attempts = 0;
        std::uint64_t ejections = 0;
        Histogram latency;
        BackendStats();
    };
    /// The gen_ai histograms of one attribute set, found once and then reached without rendering
    /// and escaping the label text again (that was most of the cost of counting a request).
    struct GenAiSeries {
        std::string base;  ///< rendered labels shared by every gen_ai metric of this set
        Histogram* duration = nullptr;
        Histogram* durationError = nullptr;
        Histogram* inputTokens = nullptr;
        Histogram* outputTokens = nullptr;
        Histogram* ttft = nullptr;
        Histogram* tpot = nullptr;
    };
    /// (operation, provider, original model, request model, response model)
    using GenAiKey = std::tuple<std::string, std::string, std::string, std::string, std::string>;
    using GenAiKeyView = std::tuple<std::string_view, std::string_view, std::string_view, std::string_view, std::string_view>;
    struct GenAiKeyLess {
        using is_transparent = void;
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const {
            return GenAiKeyView(std::get<0>(a), std::get<1>(a), std::get<2>(a), std::get<3>(a), std::get<4>(a)) <
                   GenAiKeyView(std::get<0>(b), std::get<1>(b), std::get<2>(b), std::get<3>(b), std::get<4>(b));
        }
    };

    RouteStats& routeStats(std::string_view route);
    BackendStats& backendStats(std::string_view route, std::string_view backend);
    GenAiSeries& genAiSeries(const RequestMetrics& r);

    std::map<std::string, RouteStats, std::less<>> m_routes;
    /// route -> backend -> stats (rendered in (route, backend) order)
    std::map<std::string, std::map<std::string, BackendStats, std::less<>>, std::less<>> m_backends;
    std::map<GenAiKey, GenAiSeries, GenAiKeyLess> m_genAiSeries;
    // Keyed by the rendered label set (the exposition order); GenAiSeries points into them
    // (std::map nodes never move).
    std::map<std::string, Histogram> m_genAiDuration;
    std::map<std::string, Histogram> m_genAiTokens;
    std::map<std::string, Histogram> m_genAiTtft;
    std::map<std::string, Histogram> m_genAiTpot;
    // The series the last request and attempt went to (keys point into the maps above, whose nodes
    // never move nor go): consecutive requests on one route compare names instead of walking the
    // maps with three-way compares of every key.
    struct {
        const std::string* route = nullptr;
        RouteStats* stats = nullptr;
    } m_lastRoute;
    struct {
        const std::string* route = nullptr;
        const std::string* backend = nullptr;
        BackendStats* stats = nullptr;
        const std::string* outcome = nullptr;
        std::uint64_t* outcomeCount = nullptr;
    } m_lastBackend;
    struct {
        const GenAiKey* key = nullptr;
        GenAiSeries* series = nullptr;
    } m_lastGenAi;
};

/// Escapes a Prometheus label value.
std::string promEscape(std::string_view v);

}  // namespace aigw::proxy
