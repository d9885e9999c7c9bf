#pragma once
// Configs built in code and a synchronous driver for the engine, shared by the routing tests.
// The driver plays one request at a time on a ManualClock + SimScheduler, so outlier sweeps run
// at their exact tick times between and during requests.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/random.h"
#include "common/scheduler.h"
#include "config/model.h"
#include "routing/engine.h"

namespace aigw::testing {

struct Ref {
    std::string name;
    std::int64_t weight = 1;
    std::int64_t priority = 0;
    std::optional<std::string> override;
    int endpoints = 1;
};

/// One Gateway "gw", one AIGatewayRoute "route" (ns default) with one rule matching `model`
/// exactly, one AIServiceBackend + Backend per ref (fqdn <name>.svc:80), and, if either is given,
/// a BackendTrafficPolicy targeting the generated HTTPRoute.
inline config::Config makeConfig(const std::string& model, const std::vector<Ref>& refs,
                                 std::optional<config::RetryPolicy> retry = std::nullopt,
                                 std::optional<config::PassiveHealthCheck> passive = std::nullopt) {
    config::Config c;
    config::AIGatewayRoute route;
    route.meta.name = "route";
    route.parentRefs.push_back(config::ObjectRef{std::string("gateway.networking.k8s.io"), std::string("Gateway"), "gw", {}, {}});
    config::RouteRule rule;
    config::RouteMatch match;
    match.headers.push_back(config::HeaderMatch{config::HeaderMatchType::Exact, "x-ai-eg-model", model});
    rule.matches.push_back(match);
    for (const Ref& r : refs) {
        config::BackendRefSpec spec;
        spec.name = r.name;
        spec.weight = r.weight;
        spec.priority = r.priority;
        spec.modelNameOverride = r.override;
        rule.backendRefs.push_back(spec);
        config::AIServiceBackend asb;
        asb.meta.name = r.name;
        asb.schemaName = "OpenAI";
        asb.backendRef = config::ObjectRef{std::string("gateway.envoyproxy.io"), std::string("Backend"), r.name, {}, {}};
        c.serviceBackends.push_back(asb);
        config::Backend be;
        be.meta.name = r.name;
        for (int e = 0; e < r.endpoints; ++e)
            be.endpoints.push_back(config::Endpoint{config::EndpointType::Fqdn,
                                                    r.name + (r.endpoints > 1 ? "-" + std::to_string(e) : "") + ".svc", 80});
        c.backends.push_back(be);
    }
    route.rules.push_back(rule);
    c.routes.push_back(route);
    if (retry || passive) {
        config::BackendTrafficPolicy p;
        p.meta.name = "policy";
        p.targetRefs.push_back(config::ObjectRef{std::string("gateway.networking.k8s.io"), std::string("HTTPRoute"), "route", {}, {}});
        p.retry = retry;
        p.passive = passive;
        c.trafficPolicies.push_back(p);
    }
    return c;
}

/// Ticket 2's BackendTrafficPolicy retry as the tutorial wrote it.
inline config::RetryPolicy tutorialRetry() {
    config::RetryPolicy r;
    r.numRetries = 3;
    r.backoffBase = ms(100);
    r.backoffMax = secs(10);
    r.perTryTimeout = secs(30);
    r.hasRetryOn = true;
    r.triggers = {"connect-failure", "retriable-status-codes"};
    r.hasHttpStatusCodes = true;
    r.httpStatusCodes = {500, 502, 503, 504, 404};
    return r;
}

/// The official examples/provider_fallback/fallback.yaml retry.
inline config::RetryPolicy fallbackRetry() {
    config::RetryPolicy r;
    r.numAttemptsPerPriority = 1;
    r.numRetries = 5;
    r.backoffBase = ms(100);
    r.backoffMax = secs(10);
    r.perTryTimeout = secs(30);
    r.hasRetryOn = true;
    r.triggers = {"connect-failure", "retriable-status-codes"};
    r.hasHttpStatusCodes = true;
    r.httpStatusCodes = {500};
    return r;
}

/// docs PR #642's passive health check.
inline config::PassiveHealthCheck docsPassive() {
    config::PassiveHealthCheck p;
    p.baseEjectionTime = secs(5);
    p.interval = secs(2);
    p.maxEjectionPercent = 100;
    p.consecutive5XxErrors = 1;
    p.consecutiveGatewayErrors = 0;
    p.consecutiveLocalOriginFailures = 1;
    p.splitExternalLocalOriginErrors = false;
    return p;
}

struct Harness : routing::RecordSink {
    /// What a server does with an attempt: the outcome and how long it takes.
    using Behaviour = std::function<std::pair<routing::AttemptOutcome, Duration>(const routing::AttemptTarget&)>;

    explicit Harness(const config::Config& c, std::uint64_t seed = 1)
        : random(seed), engine(routing::makeEngine(std::make_shared<const config::Config>(c), clock, random, scheduler, this)) {}

    void onRequest(const routing::RequestRecord& r) override { records.push_back(r); }
    void onHostEvent(const routing::HostEvent& e) override { events.push_back(e); }

    /// Runs due timers up to `t` (outlier sweeps) and moves the clock there.
    void advanceTo(Duration t) { scheduler.runUntil(TimePoint(t)); }
    Duration now() const { return clock.now().time_since_epoch(); }

    /// One request, start to finish; returns its record and leaves the final decision in `last`.
    routing::RequestRecord send(const std::string& model, const routing::Headers& headers = {}) {
        auto req = engine->start(model, headers, clock.now());
        routing::Decision d = req->nextAttempt(clock.now());
        while (d.action != routing::Action::Respond) {
            if (d.action == routing::Action::Attempt) {
                auto [outcome, took] = behaviour(d.target);
                // The harness's connects are instant: the per-try timer starts with the attempt.
                const Duration limit = d.target.headersBudget(clock.now());
                if (took > limit) {
                    outcome = routing::AttemptOutcome::failed(routing::UpstreamFailure::PerTryTimeout);
                    took = limit;
                }
                scheduler.runUntil(clock.now() + took);
                d = req->onAttemptResult(outcome, clock.now());
            } else {
                scheduler.runUntil(clock.now() + d.wait);
                d = req->nextAttempt(clock.now());
            }
        }
        scheduler.runUntil(clock.now() + d.wait);
        last = d;
        return req->record();
    }

    ManualClock clock;
    SimScheduler scheduler{clock};
    SeededRandom random;
    std::unique_ptr<routing::Engine> engine;
    Behaviour behaviour = [](const routing::AttemptTarget&) {
        return std::make_pair(routing::AttemptOutcome::ok(), ms(100));
    };
    std::vector<routing::RequestRecord> records;
    std::vector<routing::HostEvent> events;
    routing::Decision last;
};

/// Servers by backend name: listed ones refuse connections, others answer 200 in 100 ms.
inline Harness::Behaviour refusing(std::vector<std::string> down) {
    return [down](const routing::AttemptTarget& t) {
        for (const auto& d : down)
            if (t.backend == d)
                return std::make_pair(routing::AttemptOutcome::failed(routing::UpstreamFailure::ConnectFailure), ms(1));
        return std::make_pair(routing::AttemptOutcome::ok(), ms(100));
    };
}

}  // namespace aigw::testing
