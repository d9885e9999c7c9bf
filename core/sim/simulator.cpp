#include "sim/simulator.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/random.h"
#include "common/scheduler.h"

namespace aigw::sim {

namespace {

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v)
        out += (out.empty() ? "" : ", ") + s;
    return out;
}

class Simulation final : public routing::RecordSink {
public:
    Simulation(std::shared_ptr<const config::Config> config, const SimOptions& options, routing::RecordSink* observer)
        : m_options(options), m_observer(observer), m_gateway(std::move(config), options.seed, this) {
        if (options.dnsRefresh)
            m_gateway.engine().setDnsRefreshDelay(*options.dnsRefresh);
    }

    Result<SimReport> run() {
        if (auto err = validate())
            return *err;
        std::vector<ServerEvent> events = m_options.events;
        std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
        // Segments: one per distinct event time, plus the first.
        m_report.segments.push_back(Segment{});
        for (const auto& e : events) {
            if (e.at != m_report.segments.back().from) {
                m_report.segments.back().to = e.at;
                m_report.segments.push_back(Segment{e.at, std::nullopt, {}, 0, 0, 0, {}});
            }
            auto& label = m_report.segments.back().startedBy;
            label += (label.empty() ? "" : " ") + e.text;
        }
        for (const auto& e : events)  // scheduled first: at equal times they apply before arrivals
            m_gateway.at(e.at, [this, e] { apply(e); });
        VirtualStream stream;
        stream.model = m_options.model;
        stream.rate = m_options.rate;
        stream.count = m_options.requests;
        stream.streamShare = m_options.streamShare;
        m_gateway.addStream(stream);
        m_gateway.run();
        finishReport();
        return std::move(m_report);
    }

    void onRequest(const routing::RequestRecord& r) override {
        ++m_report.requests;
        const bool ok = r.finalStatus > 0 && r.finalStatus < 400;
        ok ? ++m_report.succeeded : ++m_report.failed;
        if (!r.finalBackend.empty())
            ++m_report.byBackend[r.finalBackend];
        ++m_report.byStatus[r.finalStatus];
        ++m_report.attempts[r.attempts.size()];
        if (!r.localReply && !r.attempts.empty())
            ++m_report.byUpstreamModel[r.attempts.back().upstreamModel];
        m_latencies.push_back(static_cast<float>(toMs(r.latency)));
        Segment* seg = &m_report.segments.front();
        const Duration start = r.start.time_since_epoch();
        for (auto& s : m_report.segments)
            if (s.from <= start)
                seg = &s;
        ++seg->requests;
        ok ? ++seg->succeeded : ++seg->failed;
        if (!r.finalBackend.empty())
            ++seg->byBackend[r.finalBackend];
        if (m_observer)
            m_observer->onRequest(r);
    }

    void onHostEvent(const routing::HostEvent& e) override {
        m_report.hostEvents.push_back(e);
        if (m_observer)
            m_observer->onHostEvent(e);
    }

private:
    std::optional<Error> validate() {
        auto problem = [](std::string msg) {
            Error e;
            e.message = std::move(msg);
            return e;
        };
        auto& engine = m_gateway.engine();
        const auto r = engine.route(m_options.model, {});
        if (!r.matched) {
            std::vector<std::string> models = engine.models();
            std::sort(models.begin(), models.end());
            models.erase(std::unique(models.begin(), models.end()), models.end());
            return problem("unknown model '" + m_options.model + "': no route matches it (configured models: " +
                           (models.empty() ? "none" : join(models)) + ")");
        }
        const auto servers = engine.servers();
        for (const auto& e : m_options.events)
            if (std::find(servers.begin(), servers.end(), e.server) == servers.end())
                return problem("unknown server '" + e.server + "' in --event '" + e.text + "' (servers: " + join(servers) + ")");
        return std::nullopt;
    }

    void apply(const ServerEvent& e) {
        switch (e.action) {
        case ServerEvent::Action::Stop: m_gateway.stop(e.server); break;
        case ServerEvent::Action::Start:
        case ServerEvent::Action::Reapply: m_gateway.start(e.server); break;
        case ServerEvent::Action::Delete: m_gateway.remove(e.server); break;
        case ServerEvent::Action::Fault: {
            VirtualFault f;
            if (e.faultStatus == ServerEvent::kHang)
                f.hang = true;
            else if (e.faultStatus == ServerEvent::kBlackHole)
                f.blackHole = true;
            else
                f.status = e.faultStatus;
            m_gateway.server(e.server).fault = f;
            break;
        }
        case ServerEvent::Action::Latency: m_gateway.server(e.server).latency = e.latency; break;
        }
    }

    void finishReport() {
        m_report.model = m_options.model;
        m_report.seed = m_options.seed;
        m_report.rate = m_options.rate;
        m_report.virtualDuration = m_gateway.now().time_since_epoch();
        m_report.counters = m_gateway.engine().counters();
        for (const auto& p : m_gateway.engine().problems())
            m_report.problems.push_back(p.toString());
        if (!m_latencies.empty()) {
            double sum = 0;
            for (float v : m_latencies)
                sum += v;
            m_report.latencyMeanMs = sum / static_cast<double>(m_latencies.size());
            auto pct = [&](double q) {
                const auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(m_latencies.size()))) - 1;
                const auto idx = std::min(k, m_latencies.size() - 1);
                std::nth_element(m_latencies.begin(), m_latencies.begin() + static_cast<std::ptrdiff_t>(idx), m_latencies.end());
                return static_cast<double>(m_latencies[idx]);
            };
            m_report.latencyP50Ms = pct(0.50);
            m_report.latencyP90Ms = pct(0.90);
            m_report.latencyP99Ms = pct(0.99);
            m_report.latencyMaxMs = *std::max_element(m_latencies.begin(), m_latencies.end());
        }
    }

    const SimOptions& m_options;
    routing::RecordSink* m_observer;
    VirtualGateway m_gateway;
    SimReport m_report;
    std::vector<float> m_latencies;
};

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }
double msOf(Duration d) { return round3(toMs(d)); }

}  // namespace

Result<SimReport> simulate(std::shared_ptr<const config::Config> config, const SimOptions& options,
                           routing::RecordSink* observer) {
    if (options.requests == 0) {
        Error e;
        e.message = "--requests must be positive";
        return e;
    }
    Simulation sim(std::move(config), options, observer);
    return sim.run();
}

std::string toJson(const SimReport& r) {
    using J = nlohmann::ordered_json;
    J j;
    j["model"] = r.model;
    j["seed"] = r.seed;
    j["rate"] = r.rate;
    j["requests"] = r.requests;
    j["succeeded"] = r.succeeded;
    j["failed"] = r.failed;
    j["by_backend"] = J::object();
    for (const auto& [k, v] : r.byBackend)
        j["by_backend"][k] = v;
    j["by_status"] = J::object();
    for (const auto& [k, v] : r.byStatus)
        j["by_status"][std::to_string(k)] = v;
    j["attempts"] = J::object();
    for (const auto& [k, v] : r.attempts)
        j["attempts"][std::to_string(k)] = v;
    j["by_upstream_model"] = J::object();
    for (const auto& [k, v] : r.byUpstreamModel)
        j["by_upstream_model"][k] = v;
    j["ejections"] = J::array();
    for (const auto& e : r.hostEvents) {
        J ev;
        ev["at_ms"] = msOf(e.at.time_since_epoch());
        ev["event"] = routing::nameOf(e.type);
        ev["server"] = e.server;
        ev["backend"] = e.backend;
        ev["route"] = e.route;
        ev["rule"] = e.rule;
        ev["reason"] = e.reason;
        if (e.type == routing::HostEvent::Type::Ejected) {
            ev["until_ms"] = msOf(e.until.time_since_epoch());
            ev["ejections"] = e.ejections;
        }
        j["ejections"].push_back(ev);
    }
    j["segments"] = J::array();
    for (const auto& s : r.segments) {
        J sj;
        sj["from_ms"] = msOf(s.from);
        sj["to_ms"] = s.to ? J(msOf(*s.to)) : J(nullptr);
        sj["events"] = s.startedBy;
        sj["requests"] = s.requests;
        sj["succeeded"] = s.succeeded;
        sj["failed"] = s.failed;
        sj["by_backend"] = J::object();
        for (const auto& [k, v] : s.byBackend)
            sj["by_backend"][k] = v;
        j["segments"].push_back(sj);
    }
    j["latency_ms"] = {{"mean", round3(r.latencyMeanMs)}, {"p50", round3(r.latencyP50Ms)}, {"p90", round3(r.latencyP90Ms)},
                       {"p99", round3(r.latencyP99Ms)}, {"max", round3(r.latencyMaxMs)}};
    j["virtual_duration_ms"] = msOf(r.virtualDuration);
    const auto& c = r.counters;
    j["counters"] = {{"upstream_rq_attempts", c.upstream_rq_attempts},
                     {"upstream_rq_retry", c.upstream_rq_retry},
                     {"upstream_rq_retry_success", c.upstream_rq_retry_success},
                     {"upstream_rq_retry_limit_exceeded", c.upstream_rq_retry_limit_exceeded},
                     {"upstream_cx_connect_fail", c.upstream_cx_connect_fail},
                     {"rq_timeout", c.rq_timeout},
                     {"rq_per_try_timeout", c.rq_per_try_timeout},
                     {"no_healthy_upstream", c.no_healthy_upstream},
                     {"lb_healthy_panic", c.lb_healthy_panic},
                     {"outlier_ejections_enforced_total", c.outlier_ejections_enforced_total},
                     {"outlier_ejections_overflow", c.outlier_ejections_overflow}};
    j["problems"] = r.problems;
    return j.dump(2) + "\n";
}

std::string toTable(const SimReport& r) {
    std::ostringstream o;
    auto pct = [&](std::uint64_t n) { return r.requests ? 100.0 * static_cast<double>(n) / static_cast<double>(r.requests) : 0.0; };
    auto secsText = [](Duration d) { return fmt::format("{:.3f}s", toMs(d) / 1000.0); };
    o << fmt::format("model {}  seed {}  rate {} rps  virtual time {}\n", r.model, r.seed, r.rate, secsText(r.virtualDuration));
    o << fmt::format("requests {}  succeeded {} ({:.2f}%)  failed {} ({:.2f}%)\n\n", r.requests, r.succeeded,
                     pct(r.succeeded), r.failed, pct(r.failed));
    o << fmt::format("{:<44} {:>10} {:>8}\n", "answered by (AIServiceBackend)", "requests", "share");
    for (const auto& [k, v] : r.byBackend)
        o << fmt::format("{:<44} {:>10} {:>7.2f}%\n", k, v, pct(v));
    o << fmt::format("\n{:<12} {:>10} {:>8}\n", "status", "requests", "share");
    for (const auto& [k, v] : r.byStatus)
        o << fmt::format("{:<12} {:>10} {:>7.2f}%\n", k, v, pct(v));
    o << fmt::format("\n{:<12} {:>10}\n", "attempts", "requests");
    for (const auto& [k, v] : r.attempts)
        o << fmt::format("{:<12} {:>10}\n", k, v);
    o << fmt::format("\nlatency ms: mean {:.1f}  p50 {:.1f}  p90 {:.1f}  p99 {:.1f}  max {:.1f}\n", r.latencyMeanMs,
                     r.latencyP50Ms, r.latencyP90Ms, r.latencyP99Ms, r.latencyMaxMs);
    if (r.segments.size() > 1) {
        o << "\nsegments (split at --event times):\n";
        for (const auto& s : r.segments) {
            std::string by;
            for (const auto& [k, v] : s.byBackend)
                by += fmt::format("{}{}={}", by.empty() ? "" : ", ", k, v);
            o << fmt::format("  {:>9} .. {:<9} {:<28} requests {:>8}  ok {:>8}  failed {:>8}  {}\n", secsText(s.from),
                             s.to ? secsText(*s.to) : std::string("end"), s.startedBy.empty() ? "(start)" : s.startedBy,
                             s.requests, s.succeeded, s.failed, by);
        }
    }
    o << "\nhost events:" << (r.hostEvents.empty() ? " none\n" : "\n");
    for (const auto& e : r.hostEvents) {
        o << fmt::format("  {:>10}  {:<16} {:<14} {}  {}", secsText(e.at.time_since_epoch()), routing::nameOf(e.type),
                         e.server, e.backend, e.reason);
        if (e.type == routing::HostEvent::Type::Ejected)
            o << fmt::format("  until {} (ejection #{})", secsText(e.until.time_since_epoch()), e.ejections);
        o << "\n";
    }
    const auto& c = r.counters;
    o << fmt::format("\nattempts {}  retries {}  connect failures {}  timeouts {}  no healthy upstream {}  "
                     "ejections {}  ejections refused by maxEjectionPercent {}\n",
                     c.upstream_rq_attempts, c.upstream_rq_retry, c.upstream_cx_connect_fail, c.rq_timeout,
                     c.no_healthy_upstream, c.outlier_ejections_enforced_total, c.outlier_ejections_overflow);
    for (const auto& p : r.problems)
        o << "config problem: " << p << "\n";
    return o.str();
}

}  // namespace aigw::sim
