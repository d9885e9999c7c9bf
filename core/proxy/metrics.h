#pragma once
// Prometheus metrics of the data plane (`GET /stats/prometheus` on the admin port).
//
// Two families, as in a real deployment:
//   - aigw_* : Envoy-like per route and per backend counters (requests, attempts, retries,
//     fallbacks, ejections, statuses) and latency histograms;
//   - gen_ai_* : the AI Gateway's OpenTelemetry metrics (reference section 4) with the same names
//     (dots -> underscores) and attributes, recorded for the final attempt only.
// Lives on the data-plane thread; render() is called there too (the admin API runs on it).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace aigw::proxy {

/// Fixed-bucket histogram in Prometheus' cumulative form.
class Histogram {
public:
    explicit Histogram(std::vector<double> bounds = {});
    void observe(double v);
    /// Appends `<name>_bucket{labels,le=..}`, `_sum` and `_count` lines.
    void render(std::string& out, const std::string& name, const std::string& labels) const;
    std::uint64_t count() const { return m_count; }

private:
    std::vector<double> m_bounds;
    std::vector<std::uint64_t> m_counts;  ///< per bucket, non-cumulative; last is +Inf
    double m_sum = 0.0;
    std::uint64_t m_count = 0;
};

/// Everything the metrics need about one finished client request.
struct RequestMetrics {
    std::string route;         ///< "ns/name" ("" when no route matched)
    std::string operation;     ///< "chat", "completion", "embeddings"
    std::string provider;      ///< "openai"
    std::string originalModel;
    std::string requestModel;  ///< after the final attempt's override
    std::string responseModel;
    std::string finalBackend;  ///< AIServiceBackend "ns/name" of the final attempt ("" when none)
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

struct AttemptMetrics {
    std::string route;
    std::string backend;  ///< AIServiceBackend "ns/name"
    std::string server;
    std::string outcome;  ///< "success", "status_503", "connection_refused", ...
    double durationSeconds = 0.0;
};

class Metrics {
public:
    void recordRequest(const RequestMetrics& r);
    void recordAttempt(const AttemptMetrics& a);
    void recordEjection(const std::string& route, const std::string& backend);
    /// Prometheus text exposition format 0.0.4.
    std::string render() const;

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
        std::map<std::string, std::uint64_t> outcomes;
        std::uint64_t attempts = 0;
        std::uint64_t ejections = 0;
        Histogram latency;
        BackendStats();
    };
    std::map<std::string, RouteStats> m_routes;
    std::map<std::pair<std::string, std::string>, BackendStats> m_backends;  ///< (route, backend)
    std::map<std::string, Histogram> m_genAiDuration;  ///< key: rendered label set
    std::map<std::string, Histogram> m_genAiTokens;
    std::map<std::string, Histogram> m_genAiTtft;
    std::map<std::string, Histogram> m_genAiTpot;
};

/// Escapes a Prometheus label value.
std::string promEscape(const std::string& v);

}  // namespace aigw::proxy
