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

using routing::Action;
using routing::AttemptOutcome;
using routing::Decision;
using routing::UpstreamFailure;

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v)
        out += (out.empty() ? "" : ", ") + s;
    return out;
}

class Simulation final : public routing::RecordSink {
public:
    Simulation(std::shared_ptr<const config::Config> config, const SimOptions& options, routing::RecordSink* observer)
        : m_options(options),
          m_observer(observer),
          m_scheduler(m_clock),
          m_routingRandom(options.seed),
          m_serverRandom(options.seed ^ 0x5eed5eed5eed5eedULL),
          m_engine(routing::makeEngine(std::move(config), m_clock, m_routingRandom, m_scheduler, this)) {
        if (options.dnsRefresh)
            m_engine->setDnsRefreshDelay(*options.dnsRefresh);
    }

    Result<SimReport> run() {
        if (auto err = validate())
            return *err;
        for (const auto& name : m_engine->servers())
            m_servers[name].latency = kDefaultLatency;
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
            m_scheduler.schedule(e.at, [this, e] { apply(e); });
        m_scheduler.schedule(Duration::zero(), [this] { arrive(); });
        m_scheduler.runAll();
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
    struct Flight {
        std::unique_ptr<routing::Request> request;
        TimerId timer = 0;
        bool attempting = false;
        bool stream = false;
        std::string server;
    };

    std::optional<Error> validate() {
        auto problem = [](std::string msg) {
            Error e;
            e.message = std::move(msg);
            return e;
        };
        const auto r = m_engine->route(m_options.model, {});
        if (!r.matched) {
            std::vector<std::string> models = m_engine->models();
            std::sort(models.begin(), models.end());
            models.erase(std::unique(models.begin(), models.end()), models.end());
            return problem("unknown model '" + m_options.model + "': no route matches it (configured models: " +
                           (models.empty() ? "none" : join(models)) + ")");
        }
        const auto servers = m_engine->servers();
        for (const auto& e : m_options.events)
            if (std::find(servers.begin(), servers.end(), e.server) == servers.end())
                return problem("unknown server '" + e.server + "' in --event '" + e.text + "' (servers: " + join(servers) + ")");
        return std::nullopt;
    }

    ServerState& server(const std::string& name) {
        auto [it, inserted] = m_servers.try_emplace(name);
        if (inserted)
            it->second.latency = kDefaultLatency;
        return it->second;
    }

    TimePoint now() const { return m_clock.now(); }

    void arrive() {
        const std::uint64_t index = m_arrived++;
        const std::uint64_t id = index;
        Flight& f = m_flights[id];
        // Streamed requests spread evenly: request i streams when floor((i+1)s) > floor(i s).
        const double share = m_options.streamShare;
        f.stream = std::floor(static_cast<double>(index + 1) * share) > std::floor(static_cast<double>(index) * share);
        f.request = m_engine->start(m_options.model, {}, now());
        handle(id, f.request->nextAttempt(now()));
        if (m_arrived < m_options.requests) {
            // Evenly spaced arrivals, computed from the index so rounding never accumulates.
            const auto next = Duration(static_cast<std::int64_t>(std::llround(static_cast<double>(m_arrived) * 1e9 / m_options.rate)));
            m_scheduler.schedule(next - now().time_since_epoch(), [this] { arrive(); });
        }
    }

    void handle(std::uint64_t id, const Decision& d) {
        auto it = m_flights.find(id);
        if (it == m_flights.end())
            return;
        Flight& f = it->second;
        switch (d.action) {
        case Action::Attempt: attempt(id, f, d.target); return;
        case Action::Backoff:
            m_scheduler.schedule(d.wait, [this, id] {
                auto fit = m_flights.find(id);
                if (fit != m_flights.end())
                    handle(id, fit->second.request->nextAttempt(now()));
            });
            return;
        case Action::Respond: m_flights.erase(it); return;
        }
    }

    /// One attempt, with the timers of reference 3.5: the connect (bounded by the connect timeout),
    /// then the per-try timeout from the moment the request was sent until response headers, then
    /// (a stream whose headers reached the client) only the route deadline.
    void attempt(std::uint64_t id, Flight& f, const routing::AttemptTarget& t) {
        const ServerState& s = server(t.server);
        const TimePoint start = now();
        AttemptOutcome o;
        Duration after{};
        if (s.deleted || s.fault == ServerEvent::kBlackHole) {
            // Dropped packets: the connect neither succeeds nor is refused (a deleted server's name
            // still resolves to its old address until the DNS refresh).
            o = AttemptOutcome::failed(UpstreamFailure::ConnectTimeout);
            after = t.connectBudget(start);
        } else if (!s.up) {
            o = AttemptOutcome::failed(UpstreamFailure::ConnectFailure);
            after = std::min(kConnectRefusedAfter, t.untilDeadline(start));
            if (after < kConnectRefusedAfter)
                o = AttemptOutcome::failed(UpstreamFailure::RequestTimeout);
        } else {
            // Connected at once; the request is sent now, so the per-try timer starts now.
            const bool stream = f.stream;
            Duration headersAt = Duration::max();  // hang: never
            Duration completeAt = Duration::max();
            int status = 200;
            if (s.fault > 0) {
                status = s.fault;
                headersAt = completeAt = kFaultAfter;
            } else if (s.fault != ServerEvent::kHang) {
                // +-20% jitter from the servers' own generator, so latency draws never shift routing draws.
                const double factor = 0.8 + 0.4 * m_serverRandom.uniform01();
                completeAt = Duration(static_cast<std::int64_t>(static_cast<double>(s.latency.count()) * factor));
                headersAt = stream ? std::min(kFirstToken, completeAt) : completeAt;
            }
            Duration limit = t.headersBudget(start);
            UpstreamFailure why = UpstreamFailure::PerTryTimeout;
            if (t.streamIdleTimeout && *t.streamIdleTimeout < limit) {
                limit = *t.streamIdleTimeout;  // nothing arrives before the headers
                why = UpstreamFailure::StreamIdleTimeout;
            }
            if (headersAt > limit) {
                o = AttemptOutcome::failed(why);
                after = limit;
            } else if (stream && status == 200) {
                // Headers went to the client: the per-try timeout no longer applies; the deadline does.
                const Duration left = t.untilDeadline(start);
                if (completeAt > left) {
                    o = AttemptOutcome::failed(UpstreamFailure::RequestTimeout);
                    o.status = 200;
                    o.headersSent = true;
                    after = left;
                } else {
                    o = AttemptOutcome::ok(200);
                    o.headersSent = true;
                    after = completeAt;
                }
            } else {
                o = AttemptOutcome::httpStatus(status);
                after = completeAt;
            }
        }
        f.attempting = true;
        f.server = t.server;
        f.timer = m_scheduler.schedule(after, [this, id, o] { complete(id, o); });
    }

    void complete(std::uint64_t id, const AttemptOutcome& o) {
        auto it = m_flights.find(id);
        if (it == m_flights.end())
            return;
        it->second.attempting = false;
        handle(id, it->second.request->onAttemptResult(o, now()));
    }

    void apply(const ServerEvent& e) {
        ServerState& s = server(e.server);
        switch (e.action) {
        case ServerEvent::Action::Stop:
            // New connections are refused; responses in flight still complete, as KServe's
            // queue-proxy drains in-flight requests when a predictor pod terminates.
            s.up = false;
            break;
        case ServerEvent::Action::Start:
        case ServerEvent::Action::Reapply:
            s.up = true;
            if (s.deleted) {
                // The InferenceService is back: its pod serves at once, its name resolves again at
                // the next DNS refresh.
                s.deleted = false;
                m_engine->setNameResolves(e.server, true, now());
            }
            break;
        case ServerEvent::Action::Delete:
            s.deleted = true;
            m_engine->setNameResolves(e.server, false, now());
            break;
        case ServerEvent::Action::Fault: s.fault = e.faultStatus; break;
        case ServerEvent::Action::Latency: s.latency = e.latency; break;
        }
    }

    void finishReport() {
        m_report.model = m_options.model;
        m_report.seed = m_options.seed;
        m_report.rate = m_options.rate;
        m_report.virtualDuration = now().time_since_epoch();
        m_report.counters = m_engine->counters();
        for (const auto& p : m_engine->problems())
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
    ManualClock m_clock;
    SimScheduler m_scheduler;
    SeededRandom m_routingRandom;
    SeededRandom m_serverRandom;
    std::unique_ptr<routing::Engine> m_engine;
    std::map<std::string, ServerState> m_servers;
    std::unordered_map<std::uint64_t, Flight> m_flights;
    std::uint64_t m_arrived = 0;
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
        ev["event"] = routing::toString(e.type);
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
        o << fmt::format("  {:>10}  {:<16} {:<14} {}  {}", secsText(e.at.time_since_epoch()), routing::toString(e.type),
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
