#include "proxy/metrics.h"

#include <array>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <utility>

#include "routing/engine.h"

namespace aigw::proxy {
namespace {

// Where the names come from (envoyproxy/ai-gateway, read at c217da8, and its OTel exporter):
//   - gen_ai_*: internal/metrics/genai.go declares gen_ai.client.token.usage (unit "token"),
//     gen_ai.server.request.duration, .time_to_first_token, .time_per_output_token (unit "s"), with
//     the HELP texts and bucket bounds below; cmd/extproc/mainlib/main.go exports them with
//     go.opentelemetry.io/otel/exporters/prometheus v0.66.0 (go.mod) and its defaults: dots become
//     underscores, a unit suffix is added unless the name already holds it (so `_seconds`, but no
//     `_token` on gen_ai_client_token_usage), labels otel_scope_name="envoyproxy/ai-gateway" (the
//     meter's name, internal/metrics/metrics.go), otel_scope_schema_url and otel_scope_version on every
//     series, and a target_info gauge. tests/data-plane/vcr/prometheus_metrics_test.go and
//     cmd/extproc/mainlib/admin_test.go scrape exactly these names and labels; label keys are
//     sorted, as the Prometheus client writes them. error_type="_OTHER" on a failed request's
//     duration: internal/metrics/metrics_impl.go RecordRequestCompletion.
//   - envoy_cluster_*: Envoy's cluster statistics (docs: configuration/upstream/cluster_manager/
//     cluster_stats), named as Envoy's /stats/prometheus names them (`cluster.<c>.upstream_rq_retry`
//     -> envoy_cluster_upstream_rq_retry, no `_total` added); here summed over clusters, so without
//     Envoy's envoy_cluster_name label.
enum Family : std::size_t {
    kRouteRequests,
    kRouteResponses,
    kRouteRetries,
    kRouteFallbacks,
    kRouteDuration,
    kBackendAttempts,
    kBackendOutcomes,
    kBackendEjections,
    kBackendDuration,
    kEnvoyCxConnectFail,
    kEnvoyCxNoneHealthy,
    kEnvoyRqRetry,
    kEnvoyRqRetryLimitExceeded,
    kEnvoyRqRetrySuccess,
    kEnvoyEjectionsActive,
    kEnvoyEjectionsEnforced,
    kEnvoyEjectionsOverflow,
    kGenAiTokenUsage,
    kGenAiRequestDuration,
    kGenAiTtft,
    kGenAiTpot,
    kTargetInfo,
    kFamilyCount
};

constexpr std::string_view kGenAiLabels =
    "error_type,gen_ai_operation_name,gen_ai_original_model,gen_ai_provider_name,gen_ai_request_model,"
    "gen_ai_response_model,otel_scope_name,otel_scope_schema_url,otel_scope_version";

constexpr std::array<MetricFamilyInfo, kFamilyCount> kFamilies{{
    {"aigw_route_requests_total", MetricType::Counter, "Client requests per route.", "route"},
    {"aigw_route_responses_total", MetricType::Counter, "Client responses per route and status code.", "route,status"},
    {"aigw_route_retries_total", MetricType::Counter, "Retried attempts per route.", "route"},
    {"aigw_route_fallbacks_total", MetricType::Counter, "Requests answered on a priority above 0.", "route"},
    {"aigw_route_request_duration_seconds", MetricType::Histogram, "Client request latency.", "route"},
    {"aigw_backend_attempts_total", MetricType::Counter, "Upstream attempts per backend.", "route,backend"},
    {"aigw_backend_attempt_outcomes_total", MetricType::Counter, "Upstream attempt outcomes per backend.",
     "route,backend,outcome"},
    {"aigw_backend_ejections_total", MetricType::Counter, "Outlier ejections per backend.", "route,backend"},
    {"aigw_backend_attempt_duration_seconds", MetricType::Histogram, "Upstream attempt latency.", "route,backend"},
    {"envoy_cluster_upstream_cx_connect_fail", MetricType::Counter,
     "Total connection failures (refused, timed out or unresolvable), all clusters.", "", true},
    {"envoy_cluster_upstream_cx_none_healthy", MetricType::Counter,
     "Total times no connection was made for want of a healthy host, all clusters.", "", true},
    {"envoy_cluster_upstream_rq_retry", MetricType::Counter, "Total request retries, all clusters.", "", true},
    {"envoy_cluster_upstream_rq_retry_limit_exceeded", MetricType::Counter,
     "Total requests not retried because the retry limit was reached, all clusters.", "", true},
    {"envoy_cluster_upstream_rq_retry_success", MetricType::Counter, "Total request retry successes, all clusters.", "", true},
    {"envoy_cluster_outlier_detection_ejections_active", MetricType::Gauge, "Hosts ejected now, all clusters.", "", true},
    {"envoy_cluster_outlier_detection_ejections_enforced_total", MetricType::Counter,
     "Number of enforced ejections, all clusters.", "", true},
    {"envoy_cluster_outlier_detection_ejections_overflow", MetricType::Counter,
     "Number of ejections aborted by the max ejection percent, all clusters.", "", true},
    {"gen_ai_client_token_usage", MetricType::Histogram, "Number of tokens processed.",
     "gen_ai_operation_name,gen_ai_original_model,gen_ai_provider_name,gen_ai_request_model,gen_ai_response_model,"
     "gen_ai_token_type,otel_scope_name,otel_scope_schema_url,otel_scope_version"},
    {"gen_ai_server_request_duration_seconds", MetricType::Histogram,
     "Generative AI server request duration such as time-to-last byte or last output token.", kGenAiLabels},
    {"gen_ai_server_time_to_first_token_seconds", MetricType::Histogram, "Time to receive first token in streaming responses.",
     kGenAiLabels.substr(kGenAiLabels.find(',') + 1)},
    {"gen_ai_server_time_per_output_token_seconds", MetricType::Histogram,
     "Time per output token generated after the first token for successful responses.",
     kGenAiLabels.substr(kGenAiLabels.find(',') + 1)},
    {"target_info", MetricType::Gauge, "Target metadata", "service_name"},
}};

/// Labels every gen_ai series carries after its attributes (the OTel exporter's scope labels; the
/// AI Gateway's meter has a name only).
constexpr std::string_view kOtelScopeLabels =
    R"(otel_scope_name="envoyproxy/ai-gateway",otel_scope_schema_url="",otel_scope_version="")";

std::string_view typeName(MetricType t) {
    switch (t) {
    case MetricType::Counter:
        return "counter";
    case MetricType::Gauge:
        return "gauge";
    case MetricType::Histogram:
        return "histogram";
    }
    return "untyped";
}

/// `# HELP` and `# TYPE` of a family; returns its name.
std::string_view header(std::string& out, Family f) {
    const MetricFamilyInfo& info = kFamilies[f];
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", info.name, info.help, info.name, typeName(info.type));
    return info.name;
}

// Seconds; Envoy-like spread from 0.5 ms to 60 s.
const std::vector<double> kLatencyBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                            0.25,   0.5,   1,      2.5,   5,    10,   30,    60};
// The AI Gateway's explicit bucket boundaries (internal/metrics/genai.go newGenAI): request
// duration (seconds), tokens, time to first token and time per output token (seconds).
const std::vector<double> kGenAiSecondsBounds = {0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28,
                                                 2.56, 5.12, 10.24, 20.48, 40.96, 81.92};
const std::vector<double> kTokenBounds = {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144,
                                          1048576, 4194304, 16777216, 67108864};
const std::vector<double> kTtftBounds = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75,
                                         1.0,   2.5,   5.0,  7.5,  10.0, 15.0, 20.0, 30.0, 45.0, 60.0};
const std::vector<double> kTpotBounds = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5,
                                         0.75, 1.0, 2.5};

std::string fmtNum(double v) {
    if (v == static_cast<double>(static_cast<long long>(v)) && v < 1e15 && v > -1e15)
        return std::to_string(static_cast<long long>(v));
    return fmt::format("{}", v);
}

std::string label(std::string_view k, std::string_view v) {
    std::string out(k);
    out += "=\"";
    out += promEscape(v);
    out += '"';
    return out;
}

}  // namespace

std::span<const MetricFamilyInfo> metricFamilies() { return kFamilies; }

std::vector<std::string> sampleNames(const MetricFamilyInfo& family) {
    const std::string name(family.name);
    if (family.type == MetricType::Histogram)
        return {name + "_bucket", name + "_sum", name + "_count"};
    return {name};
}

std::string promEscape(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"')
            out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

Histogram::Histogram(std::vector<double> bounds) : m_bounds(std::move(bounds)), m_counts(m_bounds.size() + 1, 0) {}

void Histogram::observe(double v) {
    std::size_t i = 0;
    while (i < m_bounds.size() && v > m_bounds[i])
        ++i;
    ++m_counts[i];
    m_sum += v;
    ++m_count;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
    const std::string sep = labels.empty() ? "" : ",";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < m_bounds.size(); ++i) {
        cumulative += m_counts[i];
        out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, fmtNum(m_bounds[i]), cumulative);
    }
    cumulative += m_counts.back();
    out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, cumulative);
    out += fmt::format("{}_sum{{{}}} {}\n", name, labels, fmtNum(m_sum));
    out += fmt::format("{}_count{{{}}} {}\n", name, labels, m_count);
}

double Histogram::quantile(double q) const {
    if (m_count == 0)
        return 0.0;
    const double rank = q * static_cast<double>(m_count);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < m_counts.size(); ++i) {
        const std::uint64_t below = cumulative;
        cumulative += m_counts[i];
        if (static_cast<double>(cumulative) < rank || m_counts[i] == 0)
            continue;
        if (i == m_bounds.size())  // +Inf bucket: the highest finite bound, as histogram_quantile()
            return m_bounds.empty() ? 0.0 : m_bounds.back();
        const double lo = i == 0 ? 0.0 : m_bounds[i - 1];
        const double hi = m_bounds[i];
        return lo + (hi - lo) * (rank - static_cast<double>(below)) / static_cast<double>(m_counts[i]);
    }
    return m_bounds.empty() ? 0.0 : m_bounds.back();
}

nlohmann::ordered_json Histogram::toJson() const {
    nlohmann::ordered_json j;
    j["count"] = m_count;
    j["sum"] = m_sum;
    for (const auto& [name, q] : {std::pair{"p50", 0.5}, std::pair{"p90", 0.9}, std::pair{"p99", 0.99}})
        j[name] = m_count ? nlohmann::ordered_json(quantile(q)) : nlohmann::ordered_json();
    nlohmann::ordered_json buckets = nlohmann::ordered_json::object();
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < m_bounds.size(); ++i) {
        cumulative += m_counts[i];
        buckets[fmtNum(m_bounds[i])] = cumulative;
    }
    buckets["+Inf"] = cumulative + m_counts.back();
    j["buckets"] = std::move(buckets);
    return j;
}

Metrics::RouteStats::RouteStats() : latency(kLatencyBounds) {}
Metrics::BackendStats::BackendStats() : latency(kLatencyBounds) {}

Metrics::RouteStats& Metrics::routeStats(std::string_view route) {
    if (m_lastRoute.stats && *m_lastRoute.route == route)
        return *m_lastRoute.stats;
    auto it = m_routes.find(route);
    if (it == m_routes.end())
        it = m_routes.emplace(std::string(route), RouteStats{}).first;
    m_lastRoute = {&it->first, &it->second};
    return it->second;
}

Metrics::BackendStats& Metrics::backendStats(std::string_view route, std::string_view backend) {
    if (m_lastBackend.stats && *m_lastBackend.backend == backend && *m_lastBackend.route == route)
        return *m_lastBackend.stats;
    auto r = m_backends.find(route);
    if (r == m_backends.end())
        r = m_backends.emplace(std::string(route), std::map<std::string, BackendStats, std::less<>>{}).first;
    auto b = r->second.find(backend);
    if (b == r->second.end())
        b = r->second.emplace(std::string(backend), BackendStats{}).first;
    m_lastBackend = {&r->first, &b->first, &b->second, nullptr, nullptr};
    return b->second;
}

Metrics::GenAiSeries& Metrics::genAiSeries(const RequestMetrics& r) {
    const GenAiKeyView key(r.operation, r.provider, r.originalModel, r.requestModel, r.responseModel);
    if (m_lastGenAi.series && GenAiKeyView(std::get<0>(*m_lastGenAi.key), std::get<1>(*m_lastGenAi.key),
                                           std::get<2>(*m_lastGenAi.key), std::get<3>(*m_lastGenAi.key),
                                           std::get<4>(*m_lastGenAi.key)) == key)
        return *m_lastGenAi.series;
    auto it = m_genAiSeries.find(key);
    if (it != m_genAiSeries.end()) {
        m_lastGenAi = {&it->first, &it->second};
        return it->second;
    }
    GenAiSeries s;
    // Sorted by key, as the exporter writes them: error_type goes before, gen_ai_token_type and the
    // scope labels after these.
    s.base = label("gen_ai_operation_name", r.operation) + "," + label("gen_ai_original_model", r.originalModel) + "," +
             label("gen_ai_provider_name", r.provider) + "," + label("gen_ai_request_model", r.requestModel) + "," +
             label("gen_ai_response_model", r.responseModel);
    GenAiKey owned{std::string(r.operation), std::string(r.provider), std::string(r.originalModel), std::string(r.requestModel),
                   std::string(r.responseModel)};
    it = m_genAiSeries.emplace(std::move(owned), std::move(s)).first;
    m_lastGenAi = {&it->first, &it->second};
    return it->second;
}

namespace {
/// The histogram behind `slot`, created in `family` under `prefix` + base + `suffix` + the scope labels
/// the first time it is observed (a series appears in the exposition only once it has a sample, as
/// before). The label text is only built then, not per request.
Histogram& series(Histogram*& slot, std::map<std::string, Histogram>& family, std::string_view prefix,
                  const std::string& base, std::string_view suffix, const std::vector<double>& bounds) {
    if (!slot) {
        std::string labels(prefix);
        labels += base;
        labels += suffix;
        labels += ',';
        labels += kOtelScopeLabels;
        slot = &family.try_emplace(std::move(labels), bounds).first->second;
    }
    return *slot;
}
}  // namespace

void Metrics::recordRequest(const RequestMetrics& r) {
    auto& rs = routeStats(r.route);
    ++rs.requests;
    ++rs.statuses[r.status];
    if (r.attempts > 1)
        rs.retries += static_cast<std::uint64_t>(r.attempts - 1);
    if (r.fellBack)
        ++rs.fallbacks;
    rs.latency.observe(r.durationSeconds);

    if (r.finalBackend.empty())
        return;  // no upstream call: the AI Gateway records no gen_ai metrics either
    GenAiSeries& g = genAiSeries(r);
    if (!r.success) {
        series(g.durationError, m_genAiDuration, R"(error_type="_OTHER",)", g.base, {}, kGenAiSecondsBounds)
            .observe(r.durationSeconds);
        return;
    }
    series(g.duration, m_genAiDuration, {}, g.base, {}, kGenAiSecondsBounds).observe(r.durationSeconds);
    if (r.inputTokens >= 0)
        series(g.inputTokens, m_genAiTokens, {}, g.base, R"(,gen_ai_token_type="input")", kTokenBounds)
            .observe(static_cast<double>(r.inputTokens));
    if (r.outputTokens >= 0)
        series(g.outputTokens, m_genAiTokens, {}, g.base, R"(,gen_ai_token_type="output")", kTokenBounds)
            .observe(static_cast<double>(r.outputTokens));
    if (r.stream && r.ttftSeconds >= 0) {
        series(g.ttft, m_genAiTtft, {}, g.base, {}, kTtftBounds).observe(r.ttftSeconds);
        if (r.outputTokens > 1)
            series(g.tpot, m_genAiTpot, {}, g.base, {}, kTpotBounds)
                .observe((r.durationSeconds - r.ttftSeconds) / static_cast<double>(r.outputTokens - 1));
    }
}

void Metrics::recordAttempt(const AttemptMetrics& a) {
    auto& bs = backendStats(a.route, a.backend);  // sets m_lastBackend
    ++bs.attempts;
    if (!m_lastBackend.outcome || *m_lastBackend.outcome != a.outcome) {
        auto it = bs.outcomes.find(a.outcome);
        if (it == bs.outcomes.end())
            it = bs.outcomes.emplace(std::string(a.outcome), 0).first;
        m_lastBackend.outcome = &it->first;
        m_lastBackend.outcomeCount = &it->second;
    }
    ++*m_lastBackend.outcomeCount;
    bs.latency.observe(a.durationSeconds);
}

void Metrics::recordEjection(std::string_view route, std::string_view backend) { ++backendStats(route, backend).ejections; }

std::string Metrics::render(const routing::EngineCounters* engine) const {
    std::string out;
    std::string_view name = header(out, kRouteRequests);
    for (const auto& [route, rs] : m_routes)
        out += fmt::format("{}{{{}}} {}\n", name, label("route", route), rs.requests);
    name = header(out, kRouteResponses);
    for (const auto& [route, rs] : m_routes)
        for (const auto& [code, n] : rs.statuses)
            out += fmt::format("{}{{{},{}}} {}\n", name, label("route", route), label("status", std::to_string(code)), n);
    name = header(out, kRouteRetries);
    for (const auto& [route, rs] : m_routes)
        out += fmt::format("{}{{{}}} {}\n", name, label("route", route), rs.retries);
    name = header(out, kRouteFallbacks);
    for (const auto& [route, rs] : m_routes)
        out += fmt::format("{}{{{}}} {}\n", name, label("route", route), rs.fallbacks);
    const std::string routeDuration(header(out, kRouteDuration));
    for (const auto& [route, rs] : m_routes)
        rs.latency.render(out, routeDuration, label("route", route));

    name = header(out, kBackendAttempts);
    for (const auto& [route, backends] : m_backends)
        for (const auto& [backend, bs] : backends)
            out += fmt::format("{}{{{},{}}} {}\n", name, label("route", route), label("backend", backend), bs.attempts);
    name = header(out, kBackendOutcomes);
    for (const auto& [route, backends] : m_backends)
        for (const auto& [backend, bs] : backends)
            for (const auto& [outcome, n] : bs.outcomes)
                out += fmt::format("{}{{{},{},{}}} {}\n", name, label("route", route), label("backend", backend),
                                   label("outcome", outcome), n);
    name = header(out, kBackendEjections);
    for (const auto& [route, backends] : m_backends)
        for (const auto& [backend, bs] : backends)
            out += fmt::format("{}{{{},{}}} {}\n", name, label("route", route), label("backend", backend), bs.ejections);
    const std::string backendDuration(header(out, kBackendDuration));
    for (const auto& [route, backends] : m_backends)
        for (const auto& [backend, bs] : backends)
            bs.latency.render(out, backendDuration, label("route", route) + "," + label("backend", backend));

    if (engine) {
        const routing::EngineCounters& c = *engine;
        for (const auto& [f, value] : {std::pair{kEnvoyCxConnectFail, c.upstream_cx_connect_fail},
                                       std::pair{kEnvoyCxNoneHealthy, c.no_healthy_upstream},
                                       std::pair{kEnvoyRqRetry, c.upstream_rq_retry},
                                       std::pair{kEnvoyRqRetryLimitExceeded, c.upstream_rq_retry_limit_exceeded},
                                       std::pair{kEnvoyRqRetrySuccess, c.upstream_rq_retry_success},
                                       std::pair{kEnvoyEjectionsActive, c.outlier_ejections_active},
                                       std::pair{kEnvoyEjectionsEnforced, c.outlier_ejections_enforced_total},
                                       std::pair{kEnvoyEjectionsOverflow, c.outlier_ejections_overflow}}) {
            const std::string_view envoyName = header(out, f);
            out += fmt::format("{} {}\n", envoyName, value);
        }
    }

    for (const auto& [f, family] : {std::pair{kGenAiTokenUsage, &m_genAiTokens}, std::pair{kGenAiRequestDuration, &m_genAiDuration},
                                    std::pair{kGenAiTtft, &m_genAiTtft}, std::pair{kGenAiTpot, &m_genAiTpot}}) {
        const std::string familyName(header(out, f));
        for (const auto& [labels, h] : *family)
            h.render(out, familyName, labels);
    }
    // The OTel exporter's resource gauge. The real one carries the SDK's default resource
    // (service_name "unknown_service:<executable>", telemetry_sdk_*); the simulator names itself.
    name = header(out, kTargetInfo);
    out += fmt::format("{}{{service_name=\"aigw-sim\"}} 1\n", name);
    return out;
}

nlohmann::ordered_json Metrics::toJson() const {
    using Json = nlohmann::ordered_json;
    Json routes = Json::object();
    for (const auto& [route, rs] : m_routes) {
        Json r;
        r["requests"] = rs.requests;
        Json statuses = Json::object();
        for (const auto& [code, n] : rs.statuses)
            statuses[std::to_string(code)] = n;
        r["responses"] = std::move(statuses);
        r["retries"] = rs.retries;
        r["fallbacks"] = rs.fallbacks;
        r["latency_seconds"] = rs.latency.toJson();
        routes[route] = std::move(r);
    }
    Json backends = Json::object();
    for (const auto& [route, perBackend] : m_backends) {
        Json forRoute = Json::object();
        for (const auto& [backend, bs] : perBackend) {
            Json b;
            b["attempts"] = bs.attempts;
            Json outcomes = Json::object();
            for (const auto& [outcome, n] : bs.outcomes)
                outcomes[outcome] = n;
            b["outcomes"] = std::move(outcomes);
            b["ejections"] = bs.ejections;
            b["latency_seconds"] = bs.latency.toJson();
            forRoute[backend] = std::move(b);
        }
        backends[route] = std::move(forRoute);
    }
    Json j;
    j["routes"] = std::move(routes);
    j["backends"] = std::move(backends);
    return j;
}

}  // namespace aigw::proxy
