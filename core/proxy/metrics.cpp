#include "proxy/metrics.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <utility>

namespace aigw::proxy {
namespace {

// Seconds; Envoy-like spread from 0.5 ms to 60 s.
const std::vector<double> kLatencyBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                            0.25,   0.5,   1,      2.5,   5,    10,   30,    60};
// The AI Gateway's OTel SDK explicit bucket boundaries for gen_ai.server.* (seconds) and tokens.
const std::vector<double> kGenAiSecondsBounds = {0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28,
                                                 2.56, 5.12, 10.24, 20.48, 40.96, 81.92};
const std::vector<double> kTokenBounds = {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144,
                                          1048576, 4194304, 16777216, 67108864};
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
    auto it = m_routes.find(route);
    if (it == m_routes.end())
        it = m_routes.emplace(std::string(route), RouteStats{}).first;
    return it->second;
}

Metrics::BackendStats& Metrics::backendStats(std::string_view route, std::string_view backend) {
    auto r = m_backends.find(route);
    if (r == m_backends.end())
        r = m_backends.emplace(std::string(route), std::map<std::string, BackendStats, std::less<>>{}).first;
    auto b = r->second.find(backend);
    if (b == r->second.end())
        b = r->second.emplace(std::string(backend), BackendStats{}).first;
    return b->second;
}

Metrics::GenAiSeries& Metrics::genAiSeries(const RequestMetrics& r) {
    const GenAiKeyView key(r.operation, r.provider, r.originalModel, r.requestModel, r.responseModel);
    auto it = m_genAiSeries.find(key);
    if (it != m_genAiSeries.end())
        return it->second;
    GenAiSeries s;
    s.base = label("gen_ai_operation_name", r.operation) + "," + label("gen_ai_provider_name", r.provider) + "," +
             label("gen_ai_original_model", r.originalModel) + "," + label("gen_ai_request_model", r.requestModel) + "," +
             label("gen_ai_response_model", r.responseModel);
    GenAiKey owned{std::string(r.operation), std::string(r.provider), std::string(r.originalModel), std::string(r.requestModel),
                   std::string(r.responseModel)};
    return m_genAiSeries.emplace(std::move(owned), std::move(s)).first->second;
}

namespace {
/// The histogram behind `slot`, created in `family` under base + suffix labels the first time it
/// is observed (a series appears in the exposition only once it has a sample, as before). The label
/// text is only built then, not per request.
Histogram& series(Histogram*& slot, std::map<std::string, Histogram>& family, const std::string& base,
                  std::string_view suffixKey, std::string_view suffixValue, const std::vector<double>& bounds) {
    if (!slot) {
        std::string labels = base;
        if (!suffixKey.empty())
            labels += "," + label(suffixKey, suffixValue);
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
        series(g.durationError, m_genAiDuration, g.base, "error_type", "_OTHER", kGenAiSecondsBounds).observe(r.durationSeconds);
        return;
    }
    series(g.duration, m_genAiDuration, g.base, {}, {}, kGenAiSecondsBounds).observe(r.durationSeconds);
    if (r.inputTokens >= 0)
        series(g.inputTokens, m_genAiTokens, g.base, "gen_ai_token_type", "input", kTokenBounds)
            .observe(static_cast<double>(r.inputTokens));
    if (r.outputTokens >= 0)
        series(g.outputTokens, m_genAiTokens, g.base, "gen_ai_token_type", "output", kTokenBounds)
            .observe(static_cast<double>(r.outputTokens));
    if (r.stream && r.ttftSeconds >= 0) {
        series(g.ttft, m_genAiTtft, g.base, {}, {}, kGenAiSecondsBounds).observe(r.ttftSeconds);
        if (r.outputTokens > 1)
            series(g.tpot, m_genAiTpot, g.base, {}, {}, kTpotBounds)
                .observe((r.durationSeconds - r.ttftSeconds) / static_cast<double>(r.outputTokens - 1));
    }
}

void Metrics::recordAttempt(const AttemptMetrics& a) {
    auto& bs = backendStats(a.route, a.backend);
    ++bs.attempts;
    auto it = bs.outcomes.find(a.outcome);
    if (it == bs.outcomes.end())
        it = bs.outcomes.emplace(std::string(a.outcome), 0).first;
    ++it->second;
    bs.latency.observe(a.durationSeconds);
}

void Metrics::recordEjection(std::string_view route, std::string_view backend) { ++backendStats(route, backend).ejections; }

std::string Metrics::render() const {
    std::string out;
    out += "# HELP aigw_route_requests_total Client requests per route.\n# TYPE aigw_route_requests_total counter\n";
    for (const auto& [route, rs] : m_routes)
        out += fmt::format("aigw_route_requests_total{{{}}} {}\n", label("route", route), rs.requests);
    out += "# HELP aigw_route_responses_total Client responses per route and status code.\n"
           "# TYPE aigw_route_responses_total counter\n";
    for (const auto& [route, rs] : m_routes)
        for (const auto& [code, n] : rs.statuses)
            out += fmt::format("aigw_route_responses_total{{{},{}}} {}\n", label("route", route),
                               label("status", std::to_string(code)), n);
    out += "# HELP aigw_route_retries_total Retried attempts per route.\n# TYPE aigw_route_retries_total counter\n";
    for (const auto& [route, rs] : m_routes)
        out += fmt::format("aigw_route_retries_total{{{}}} {}\n", label("route", route), rs.retries);
    out += "# HELP aigw_route_fallbacks_total Requests answered on a priority above 0.\n"
           "# TYPE aigw_route_fallbacks_total counter\n";
    for (const auto& [route, rs] : m_routes)
        out += fmt::format("aigw_route_fallbacks_total{{{}}} {}\n", label("route", route), rs.fallbacks);
    out += "# HELP aigw_route_request_duration_seconds Client request latency.\n"
           "# TYPE aigw_route_request_duration_seconds histogram\n";
    for (const auto& [route, rs] : m_routes)
        rs.latency.render(out, "aigw_route_request_duration_seconds", label("route", route));

    out += "# HELP aigw_backend_attempts_total Upstream attempts per backend.\n# TYPE aigw_backend_attempts_total counter\n";
    for (const auto& [route, backends] : m_backends)
        for (const auto& [backend, bs] : backends)
            out += fmt::format("aigw_backend_attempts_total{{{},{}}} {}\n", label("route", route), label("backend", backend),
                               bs.attempts);
    out += "# HELP aigw_backend_attempt_outcomes_total Upstream attempt outcomes per backend.\n"
           "# TYPE aigw_backend_attempt_outcomes_total counter\n";
    for (const auto& [route, backends] : m_backends)
        for (const auto& [backend, bs] : backends)
            for (const auto& [outcome, n] : bs.outcomes)
                out += fmt::format("aigw_backend_attempt_outcomes_total{{{},{},{}}} {}\n", label("route", route),
                                   label("backend", backend), label("outcome", outcome), n);
    out += "# HELP aigw_backend_ejections_total Outlier ejections per backend.\n# TYPE aigw_backend_ejections_total counter\n";
    for (const auto& [route, backends] : m_backends)
        for (const auto& [backend, bs] : backends)
            out += fmt::format("aigw_backend_ejections_total{{{},{}}} {}\n", label("route", route), label("backend", backend),
                               bs.ejections);
    out += "# HELP aigw_backend_attempt_duration_seconds Upstream attempt latency.\n"
           "# TYPE aigw_backend_attempt_duration_seconds histogram\n";
    for (const auto& [route, backends] : m_backends)
        for (const auto& [backend, bs] : backends)
            bs.latency.render(out, "aigw_backend_attempt_duration_seconds", label("route", route) + "," + label("backend", backend));

    out += "# HELP gen_ai_client_token_usage Number of tokens processed.\n# TYPE gen_ai_client_token_usage histogram\n";
    for (const auto& [labels, h] : m_genAiTokens)
        h.render(out, "gen_ai_client_token_usage", labels);
    out += "# HELP gen_ai_server_request_duration Generative AI server request duration such as time-to-last byte or last "
           "output token.\n# TYPE gen_ai_server_request_duration histogram\n";
    for (const auto& [labels, h] : m_genAiDuration)
        h.render(out, "gen_ai_server_request_duration", labels);
    out += "# HELP gen_ai_server_time_to_first_token Time to generate first token for successful responses.\n"
           "# TYPE gen_ai_server_time_to_first_token histogram\n";
    for (const auto& [labels, h] : m_genAiTtft)
        h.render(out, "gen_ai_server_time_to_first_token", labels);
    out += "# HELP gen_ai_server_time_per_output_token Time per output token generated after the first token for successful "
           "responses.\n# TYPE gen_ai_server_time_per_output_token histogram\n";
    for (const auto& [labels, h] : m_genAiTpot)
        h.render(out, "gen_ai_server_time_per_output_token", labels);
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
