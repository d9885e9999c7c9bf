#include "routing/engine_impl.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "config/index.h"

namespace aigw::routing {

// ---------------------------------------------------------------------------------------------
// Names and texts

const char* nameOf(UpstreamFailure f) {
    switch (f) {
    case UpstreamFailure::None: return "none";
    case UpstreamFailure::ConnectFailure: return "connect_failure";
    case UpstreamFailure::ConnectTimeout: return "connect_timeout";
    case UpstreamFailure::EndpointRemoved: return "endpoint_removed";
    case UpstreamFailure::ResetBeforeHeaders: return "reset_before_headers";
    case UpstreamFailure::ResetAfterHeaders: return "reset_after_headers";
    case UpstreamFailure::PerTryTimeout: return "per_try_timeout";
    case UpstreamFailure::RequestTimeout: return "request_timeout";
    case UpstreamFailure::StreamIdleTimeout: return "stream_idle_timeout";
    case UpstreamFailure::Status: return "status";
    }
    return "?";
}

const char* nameOf(HostEvent::Type t) {
    switch (t) {
    case HostEvent::Type::Ejected: return "ejected";
    case HostEvent::Type::Unejected: return "unejected";
    case HostEvent::Type::EjectionSkipped: return "ejection_skipped";
    case HostEvent::Type::Removed: return "removed";
    case HostEvent::Type::Restored: return "restored";
    }
    return "?";
}

const char* nameOf(RetryStatus s) {
    switch (s) {
    case RetryStatus::Yes: return "yes";
    case RetryStatus::No: return "no";
    case RetryStatus::NoRetryLimitExceeded: return "no_retry_limit_exceeded";
    case RetryStatus::NoHeadersSent: return "no_headers_sent";
    case RetryStatus::NoDeadline: return "no_deadline";
    }
    return "?";
}

std::string openAIErrorBody(int status, const std::string& message) {
    nlohmann::ordered_json j;
    j["type"] = "error";
    j["error"] = {{"type", "OpenAIBackendError"}, {"code", std::to_string(status)}, {"message", message}};
    return j.dump();
}

Duration AttemptTarget::untilDeadline(TimePoint now) const {
    if (!hasDeadline())
        return Duration::max();
    return std::max(deadline - now, Duration::zero());
}

Duration AttemptTarget::connectBudget(TimePoint now) const {
    return std::min(connectTimeout, untilDeadline(now));
}

Duration AttemptTarget::headersBudget(TimePoint sentAt) const {
    const Duration left = untilDeadline(sentAt);
    return perTryTimeout ? std::min(*perTryTimeout, left) : left;
}

namespace {

/// The reset reason Envoy names in "upstream connect error or disconnect/reset before headers".
std::string resetReasonText(UpstreamFailure f) {
    switch (f) {
    case UpstreamFailure::ConnectFailure:
        return "remote connection failure, transport failure reason: delayed connect error: Connection refused";
    case UpstreamFailure::ConnectTimeout: return "connection timeout";
    case UpstreamFailure::EndpointRemoved:
        return "remote connection failure, transport failure reason: resolution failed";
    case UpstreamFailure::ResetBeforeHeaders: return "connection termination";
    default: return "local reset";
    }
}

std::string serverForEndpoint(const config::ConfigIndex& ix, const config::Backend& be, const config::Endpoint& ep) {
    auto it = be.meta.annotations.find(config::SimSettings::kServer);
    if (it != be.meta.annotations.end() && !it->second.empty())
        return it->second;
    if (ep.type == config::EndpointType::Fqdn)
        if (const auto* is = ix.inferenceServiceByHostname(ep.address))
            return serverName(is->meta);
    return serverNameFor(ix, be);
}

}  // namespace

std::string serverName(const config::ObjectMeta& meta) {
    const std::string ns = meta.effectiveNamespace();
    return ns == "default" ? meta.name : ns + "/" + meta.name;
}

std::string serverNameFor(const config::ConfigIndex& ix, const config::Backend& backend) {
    auto it = backend.meta.annotations.find(config::SimSettings::kServer);
    if (it != backend.meta.annotations.end() && !it->second.empty())
        return it->second;
    for (const auto& ep : backend.endpoints)
        if (ep.type == config::EndpointType::Fqdn)
            if (const auto* is = ix.inferenceServiceByHostname(ep.address))
                return serverName(is->meta);
    return serverName(backend.meta);
}

std::string serverNameFor(const config::Config& config, const config::Backend& backend) {
    auto it = backend.meta.annotations.find(config::SimSettings::kServer);
    if (it != backend.meta.annotations.end() && !it->second.empty())
        return it->second;
    for (const auto& ep : backend.endpoints)
        if (ep.type == config::EndpointType::Fqdn)
            if (const auto* is = config.findInferenceServiceByHostname(ep.address))
                return serverName(is->meta);
    return serverName(backend.meta);
}

// ---------------------------------------------------------------------------------------------
// Snapshot

const config::BackendTrafficPolicy* policyFor(const config::Config& config, const config::AIGatewayRoute& route) {
    const std::string ns = route.meta.effectiveNamespace();
    for (const auto& p : config.trafficPolicies) {
        if (p.meta.effectiveNamespace() != ns)
            continue;
        for (const auto& t : p.targetRefs)
            if (t.kind.value_or("") == "HTTPRoute" && t.name == route.meta.name)
                return &p;
    }
    for (const auto& p : config.trafficPolicies) {
        if (p.meta.effectiveNamespace() != ns)
            continue;
        for (const auto& t : p.targetRefs) {
            if (t.kind.value_or("") != "Gateway")
                continue;
            for (const auto& parent : route.parentRefs)
                if (parent.name == t.name && parent.ns.value_or(ns) == ns)
                    return &p;
        }
    }
    return nullptr;
}

namespace {

/// Why `route` cannot be accepted (the first missing AIServiceBackend or Backend), or "".
std::string acceptanceProblem(const config::ConfigIndex& ix, const config::AIGatewayRoute& route) {
    const std::string ns = route.meta.effectiveNamespace();
    for (const auto& rule : route.rules)
        for (const auto& ref : rule.backendRefs) {
            const auto* asb = ix.serviceBackend(ref.name, ref.ns.value_or(ns));
            if (!asb)
                return "failed to get AIServiceBackend " + ref.ns.value_or(ns) + "/" + ref.name + ": not found";
            const std::string bns = asb->backendRef.ns.value_or(asb->meta.effectiveNamespace());
            if (!ix.backend(asb->backendRef.name, bns))
                return "Backend " + bns + "/" + asb->backendRef.name + " of AIServiceBackend " +
                       asb->meta.effectiveNamespace() + "/" + asb->meta.name + " not found";
        }
    return {};
}

std::string routeKey(const config::AIGatewayRoute& r) { return r.meta.effectiveNamespace() + "/" + r.meta.name; }

}  // namespace

std::vector<RouteStatus> routeStatuses(const config::Config& config) { return routeStatuses(config, config::ConfigIndex(config)); }

std::vector<RouteStatus> routeStatuses(const config::Config& config, const config::ConfigIndex& ix) {
    std::vector<RouteStatus> out;
    out.reserve(config.routes.size());
    for (const auto& route : config.routes) {
        RouteStatus st;
        st.route = routeKey(route);
        st.reason = acceptanceProblem(ix, route);
        st.accepted = st.reason.empty();
        out.push_back(std::move(st));
    }
    return out;
}

std::shared_ptr<const Snapshot> Snapshot::build(std::shared_ptr<const config::Config> config,
                                                const Snapshot* previous) {
    static std::atomic<std::uint64_t> nextId{1};
    auto s = std::make_shared<Snapshot>();
    s->id = nextId.fetch_add(1, std::memory_order_relaxed);
    s->baseId = previous ? previous->id : 0;
    if (!config)
        config = std::make_shared<const config::Config>();
    s->config = config;
    const config::ConfigIndex given(*config);
    s->status = routeStatuses(*config, given);
    // The config the gateway runs: accepted routes as given; a route that is not accepted is left out,
    // unless it was served before, then its last served version stays (the controller does not update
    // its HTTPRoute), with the AIServiceBackends and Backends it needs.
    bool allAccepted = true;
    for (const auto& st : s->status)
        allAccepted = allAccepted && st.accepted;
    if (allAccepted) {
        s->effective = config;
    } else {
        auto eff = std::make_shared<config::Config>();
        eff->serviceBackends = config->serviceBackends;
        eff->backends = config->backends;
        eff->trafficPolicies = config->trafficPolicies;
        eff->clientPolicies = config->clientPolicies;
        eff->inferenceServices = config->inferenceServices;
        for (std::size_t r = 0; r < config->routes.size(); ++r) {
            RouteStatus& st = s->status[r];
            if (st.accepted) {
                eff->routes.push_back(config->routes[r]);
                continue;
            }
            if (!previous)
                continue;
            const config::Config& old = *previous->effective;
            const auto it = std::find_if(old.routes.begin(), old.routes.end(),
                                         [&](const auto& o) { return routeKey(o) == st.route; });
            if (it == old.routes.end())
                continue;
            st.servingLastAccepted = true;
            eff->routes.push_back(*it);
            const std::string ns = it->meta.effectiveNamespace();
            for (const auto& rule : it->rules)
                for (const auto& ref : rule.backendRefs) {
                    const auto* asb = eff->findServiceBackend(ref.name, ref.ns.value_or(ns));
                    if (!asb) {
                        asb = old.findServiceBackend(ref.name, ref.ns.value_or(ns));
                        if (!asb)
                            continue;
                        eff->serviceBackends.push_back(*asb);
                        asb = &eff->serviceBackends.back();
                    }
                    const std::string bns = asb->backendRef.ns.value_or(asb->meta.effectiveNamespace());
                    const std::string bname = asb->backendRef.name;
                    if (!eff->findBackend(bname, bns))
                        if (const auto* be = old.findBackend(bname, bns))
                            eff->backends.push_back(*be);
                }
        }
        s->effective = std::move(eff);
    }
    const config::Config& cfg = *s->effective;
    std::optional<config::ConfigIndex> effectiveIndex;
    if (s->effective != config)
        effectiveIndex.emplace(cfg);
    const config::ConfigIndex& ix = effectiveIndex ? *effectiveIndex : given;
    s->table = RouteTable::build(cfg, s->problems);
    s->clusterOf.resize(cfg.routes.size());
    auto problem = [&](const std::string& path, const std::string& msg) {
        SourceLocation where;
        where.path = path;
        s->problems.push_back(Error{where, msg});
    };
    for (const auto& st : s->status)
        if (!st.accepted)
            problem("AIGatewayRoute " + st.route,
                    "not accepted (" + st.reason + ")" +
                        (st.servingLastAccepted ? "; its last accepted version keeps serving" : "; not served"));
    for (std::size_t r = 0; r < cfg.routes.size(); ++r) {
        const auto& route = cfg.routes[r];
        const std::string ns = route.meta.effectiveNamespace();
        const auto* policy = policyFor(cfg, route);
        for (std::size_t i = 0; i < route.rules.size(); ++i) {
            const auto& rule = route.rules[i];
            ClusterSpec c;
            c.name = "httproute/" + ns + "/" + route.meta.name + "/rule/" + std::to_string(i);
            c.route = ns + "/" + route.meta.name;
            c.rule = rule.name ? *rule.name : "rule/" + std::to_string(i);
            // 0s disables a timeout (route, per-try, idle).
            const Duration routeTimeout = rule.effectiveRequestTimeout();
            c.requestTimeout = routeTimeout > Duration::zero() ? std::optional<Duration>(routeTimeout) : std::nullopt;
            if (rule.streamIdleTimeout && *rule.streamIdleTimeout > Duration::zero())
                c.streamIdleTimeout = rule.streamIdleTimeout;
            if (policy && policy->retry) {
                c.retry = RetryConfig::fromPolicy(*policy->retry);
                auto& per = c.retry->perTryTimeout;
                // Envoy drops a per-try timeout >= a non-zero route timeout.
                if (per && (*per <= Duration::zero() || (c.requestTimeout && *per >= *c.requestTimeout)))
                    per.reset();
            }
            if (policy && policy->passive)
                c.outlier = OutlierConfig::fromPassive(*policy->passive);
            if (policy) {
                c.panicThreshold = static_cast<std::uint32_t>(std::clamp<std::int64_t>(policy->effectivePanicThreshold(), 0, 100));
                c.connectTimeout = policy->effectiveConnectTimeout();
                c.dnsRefreshRate = policy->dnsRefreshRate;
            }
            const std::string rulePath = "AIGatewayRoute " + route.meta.name + ": spec.rules[" + std::to_string(i) + "]";
            int maxPriority = 0;
            std::set<std::string> keys;
            for (std::size_t j = 0; j < rule.backendRefs.size(); ++j) {
                const auto& ref = rule.backendRefs[j];
                if (ref.effectiveWeight() <= 0)
                    continue;  // weight 0: not in the cluster at all, not even as a fallback
                const std::string refPath = rulePath + ".backendRefs[" + std::to_string(j) + "]";
                const auto* asb = ix.serviceBackend(ref.name, ref.ns.value_or(ns));
                const auto* be = asb ? ix.backend(asb->backendRef.name,
                                                  asb->backendRef.ns.value_or(asb->meta.effectiveNamespace()))
                                     : nullptr;
                if (!asb || !be)
                    continue;  // only a last accepted version can get here; its problem is reported above
                if (be->endpoints.empty()) {
                    problem(refPath, "Backend '" + be->meta.name + "' has no endpoints; this backendRef is left out");
                    continue;
                }
                LocalitySpec loc;
                loc.priority = static_cast<int>(std::max<std::int64_t>(0, ref.effectivePriority()));
                loc.weight = ref.effectiveWeight();
                maxPriority = std::max(maxPriority, loc.priority);
                for (const auto& ep : be->endpoints) {
                    HostSpec h;
                    h.backend = asb->meta.name;
                    h.backendNamespace = asb->meta.effectiveNamespace();
                    h.server = serverForEndpoint(ix, *be, ep);
                    h.schema = asb->schemaName;
                    h.address = ep.address;
                    h.port = ep.port;
                    h.priority = loc.priority;
                    h.weight = loc.weight;
                    h.modelOverride = ref.modelNameOverride;
                    h.locality = c.localities.size();
                    h.key = c.route + "/rule/" + std::to_string(i) + "/" + h.backend + "/" + ep.address + ":" +
                            std::to_string(ep.port);
                    if (!keys.insert(h.key).second) {
                        h.key += "#" + std::to_string(j);  // the same backend listed twice in one rule
                        keys.insert(h.key);
                    }
                    loc.hosts.push_back(c.hosts.size());
                    c.hosts.push_back(std::move(h));
                }
                c.localities.push_back(std::move(loc));
            }
            c.numPriorities = maxPriority + 1;
            s->clusterOf[r].push_back(static_cast<int>(s->clusters.size()));
            s->clusters.push_back(std::move(c));
        }
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
// Engine

std::unique_ptr<Engine> makeEngine(std::shared_ptr<const config::Config> config, Clock& clock, Random& random,
                                   Scheduler& scheduler, RecordSink* sink) {
    return std::make_unique<EngineImpl>(std::move(config), clock, random, scheduler, sink);
}

EngineImpl::EngineImpl(std::shared_ptr<const config::Config> config, Clock& clock, Random& random,
                       Scheduler& scheduler, RecordSink* sink)
    : m_clock(clock), m_random(random), m_scheduler(scheduler), m_sink(sink) {
    setConfig(std::move(config));
}

EngineImpl::~EngineImpl() {
    for (auto& [name, c] : m_clusters)
        if (c.timerArmed)
            m_scheduler.cancel(c.timer);
    for (auto& [server, pending] : m_pendingDns)
        for (auto& [cluster, timer] : pending.clusters)
            m_scheduler.cancel(timer.first);
}

std::shared_ptr<const Snapshot> compileConfig(std::shared_ptr<const config::Config> config,
                                              const std::shared_ptr<const Snapshot>& base) {
    return Snapshot::build(std::move(config), base.get());
}

void EngineImpl::setConfig(std::shared_ptr<const config::Config> config) {
    install(Snapshot::build(std::move(config), m_snap.get()));
}

void EngineImpl::setSnapshot(std::shared_ptr<const Snapshot> compiled) {
    if (!compiled)
        return;
    if (!m_snap || compiled->baseId != m_snap->id)
        compiled = Snapshot::build(compiled->config, m_snap.get());
    install(std::move(compiled));
}

void EngineImpl::install(std::shared_ptr<const Snapshot> snap) {
    m_snap = std::move(snap);
    const TimePoint now = m_clock.now();
    std::unordered_set<std::string> liveClusters, liveHosts;
    m_runtimeOf.clear();
    m_runtimeOf.reserve(m_snap->clusters.size());
    for (const ClusterSpec& spec : m_snap->clusters) {
        auto [it, inserted] = m_clusters.try_emplace(spec.name);
        ClusterRuntime& c = it->second;
        m_runtimeOf.push_back(&c);  // unordered_map nodes stay put; the erase below spares live names
        if (inserted)
            c.epoch = now;
        c.spec = &spec;
        c.hosts.clear();
        c.dirty = true;
        liveClusters.insert(spec.name);
        for (const HostSpec& h : spec.hosts) {
            auto [hit, hinserted] = m_hosts.try_emplace(h.key);
            HostRuntime& hr = hit->second;
            if (hinserted)
                hr.removed = m_removedServers.count(h.server) != 0;
            hr.server = h.server;
            hr.cluster = spec.name;
            c.hosts.push_back(&hr);
            liveHosts.insert(h.key);
        }
    }
    for (auto it = m_clusters.begin(); it != m_clusters.end();) {
        if (liveClusters.count(it->first)) {
            ++it;
            continue;
        }
        if (it->second.timerArmed)
            m_scheduler.cancel(it->second.timer);
        for (auto pit = m_pendingDns.begin(); pit != m_pendingDns.end();) {
            if (auto cit = pit->second.clusters.find(it->first); cit != pit->second.clusters.end()) {
                m_scheduler.cancel(cit->second.first);
                pit->second.clusters.erase(cit);
            }
            pit = pit->second.clusters.empty() ? m_pendingDns.erase(pit) : std::next(pit);
        }
        it = m_clusters.erase(it);
    }
    for (auto it = m_hosts.begin(); it != m_hosts.end();)
        it = liveHosts.count(it->first) ? std::next(it) : m_hosts.erase(it);
    for (auto& [name, c] : m_clusters) {
        if (!c.spec->outlier) {
            // Envoy rebuilds a cluster whose outlier detection is removed: every host is back.
            for (std::size_t i = 0; i < c.hosts.size(); ++i) {
                if (c.hosts[i]->monitor.ejected) {
                    c.hosts[i]->monitor = HostMonitor{};
                    ++m_counters.outlier_unejections;
                    emitHost(HostEvent::Type::Unejected, c, i, now, "outlier detection removed from the policy");
                } else {
                    c.hosts[i]->monitor = HostMonitor{};
                }
            }
            if (c.timerArmed) {
                m_scheduler.cancel(c.timer);
                c.timerArmed = false;
            }
            continue;
        }
        if (c.timerArmed) {
            // The interval may have changed: re-arm on the new tick.
            m_scheduler.cancel(c.timer);
            c.timerArmed = false;
        }
        for (HostRuntime* h : c.hosts)
            if (h->monitor.ejected || h->monitor.ejectionBackoff > 0) {
                armSweep(c, now);
                break;
            }
    }
    recountGauges();
}

EngineImpl::ClusterRuntime* EngineImpl::clusterRuntime(const std::string& name) {
    auto it = m_clusters.find(name);
    return it == m_clusters.end() ? nullptr : &it->second;
}

EngineImpl::ClusterRuntime* EngineImpl::clusterRuntime(const RequestImpl& r) {
    if (r.m_snap == m_snap)
        return m_runtimeOf[static_cast<std::size_t>(r.m_cluster - m_snap->clusters.data())];
    return clusterRuntime(r.m_cluster->name);
}

RouteResult EngineImpl::route(const std::string& model, const Headers& headers) const {
    RouteResult r;
    const MatchEntry* m = m_snap->table.match(model, headers);
    if (m && m->ruleIndex >= 0) {
        r.matched = true;
        r.routeIndex = m->routeIndex;
        r.ruleIndex = m->ruleIndex;
        const ClusterSpec& c = m_snap->clusters[m_snap->clusterOf[m->routeIndex][m->ruleIndex]];
        r.route = c.route;
        r.rule = c.rule;
        return r;
    }
    r.notFound = Response{404, true, kNoRouteBody, "text/plain"};
    return r;
}

std::unique_ptr<Request> EngineImpl::start(const std::string& model, const Headers& headers, TimePoint now) {
    ++m_counters.rq_total;
    const MatchEntry* m = m_snap->table.match(model, headers);
    return std::make_unique<RequestImpl>(*this, m_snap, m, model, m_nextId++, now);
}

void EngineImpl::refresh(ClusterRuntime& c) {
    if (!c.dirty)
        return;
    const ClusterSpec& spec = *c.spec;
    const std::size_t n = static_cast<std::size_t>(spec.numPriorities);
    c.counts.assign(n, PriorityCounts{});
    std::vector<PriorityCounts> perLocality(spec.localities.size());
    for (std::size_t i = 0; i < spec.hosts.size(); ++i) {
        const HostRuntime& h = *c.hosts[i];
        if (h.removed)
            continue;
        const auto p = static_cast<std::size_t>(spec.hosts[i].priority);
        ++c.counts[p].hosts;
        ++perLocality[spec.hosts[i].locality].hosts;
        if (!h.monitor.ejected) {
            ++c.counts[p].healthy;
            ++perLocality[spec.hosts[i].locality].healthy;
        }
    }
    c.state = computePriorityState(c.counts, spec.panicThreshold);
    c.localitiesAt.assign(n, {});
    c.edf.assign(n, std::nullopt);
    for (std::size_t l = 0; l < spec.localities.size(); ++l)
        c.localitiesAt[static_cast<std::size_t>(spec.localities[l].priority)].push_back(l);
    for (std::size_t p = 0; p < n; ++p) {
        std::vector<double> weights;
        for (std::size_t l : c.localitiesAt[p])
            weights.push_back(effectiveLocalityWeight(spec.localities[l].weight, perLocality[l].healthy, perLocality[l].hosts));
        const std::uint64_t prePicks = weights.size() > 1 ? m_random.below(weights.size()) : 0;
        c.edf[p].emplace(std::move(weights), prePicks);
    }
    c.dirty = false;
}

const PriorityLoad& EngineImpl::priorityLoadFor(ClusterRuntime& c, RequestImpl& r) {
    const std::int64_t freq = r.m_cluster->retry ? r.m_cluster->retry->numAttemptsPerPriority : 0;
    const auto& attempts = r.m_record.attempts;
    const std::size_t attempted = attempts.size() - r.m_prioritiesFrom;
    if (freq <= 0 || attempted < static_cast<std::size_t>(freq))
        return c.state.load;
    if (attempted % static_cast<std::size_t>(freq) == 0) {
        for (std::size_t a = r.m_prioritiesFrom; a < attempts.size(); ++a)
            if (const int p = attempts[a].priority; static_cast<std::size_t>(p) < c.counts.size()) {
                if (r.m_excluded.size() < c.counts.size())
                    r.m_excluded.resize(c.counts.size(), false);
                r.m_excluded[static_cast<std::size_t>(p)] = true;
            }
        bool reset = false;
        auto adjusted = adjustForAttemptedPriorities(c.counts, r.m_excluded, reset);
        if (reset) {
            ++m_counters.retry_priority_resets;
            r.m_prioritiesFrom = attempts.size();
        }
        if (!adjusted)
            return c.state.load;
        ++m_counters.retry_priority_exclusions;
        r.m_adjustedLoad = std::move(adjusted);
    }
    return r.m_adjustedLoad ? *r.m_adjustedLoad : c.state.load;
}

std::optional<std::size_t> EngineImpl::pickHostOnce(ClusterRuntime& c, RequestImpl& r) {
    refresh(c);
    const ClusterSpec& spec = *c.spec;
    const PriorityLoad& load = priorityLoadFor(c, r);
    const std::size_t p = choosePriority(load, m_random.next());
    if (p >= c.counts.size())
        return std::nullopt;
    auto nth = [&](auto eligible, std::uint32_t count) -> std::optional<std::size_t> {
        if (count == 0)
            return std::nullopt;
        std::uint64_t k = count == 1 ? 0 : m_random.below(count);
        for (std::size_t i = 0; i < spec.hosts.size(); ++i)
            if (eligible(i) && k-- == 0)
                return i;
        return std::nullopt;
    };
    if (c.state.panic[p]) {
        // Panic: Envoy ignores health (and locality weights) and picks from all hosts at p.
        ++m_counters.lb_healthy_panic;
        auto eligible = [&](std::size_t i) { return spec.hosts[i].priority == static_cast<int>(p) && !c.hosts[i]->removed; };
        return nth(eligible, c.counts[p].hosts);
    }
    std::optional<std::size_t> locality;
    if (c.edf[p])
        if (auto idx = c.edf[p]->pick())
            locality = c.localitiesAt[p][*idx];
    if (!locality) {
        auto eligible = [&](std::size_t i) {
            return spec.hosts[i].priority == static_cast<int>(p) && !c.hosts[i]->removed && !c.hosts[i]->monitor.ejected;
        };
        return nth(eligible, c.counts[p].healthy);
    }
    std::uint32_t healthy = 0;
    for (std::size_t i : spec.localities[*locality].hosts)
        if (!c.hosts[i]->removed && !c.hosts[i]->monitor.ejected)
            ++healthy;
    auto eligible = [&](std::size_t i) {
        return spec.hosts[i].locality == *locality && !c.hosts[i]->removed && !c.hosts[i]->monitor.ejected;
    };
    return nth(eligible, healthy);
}

std::optional<std::size_t> EngineImpl::pickHost(ClusterRuntime& c, RequestImpl& r) {
    // Envoy Gateway always adds the previous_hosts predicate with host_selection_retry_max_attempts 5:
    // up to 6 picks, the last one is used even if it was attempted before.
    constexpr int kHostSelectionRetryMaxAttempts = 5;
    std::optional<std::size_t> host;
    for (int i = 0; i <= kHostSelectionRetryMaxAttempts; ++i) {
        host = pickHostOnce(c, r);
        if (!host)
            return std::nullopt;
        const std::string& key = c.spec->hosts[*host].key;
        const auto& attempts = r.m_record.attempts;
        if (std::none_of(attempts.begin(), attempts.end(), [&](const AttemptRecord& a) { return a.hostKey == key; }))
            return host;
        if (i < kHostSelectionRetryMaxAttempts)
            ++m_counters.host_selection_repicks;
    }
    return host;
}

void EngineImpl::reportOutcome(ClusterRuntime* c, const HostSpec* hint, const std::string& hostKey, const AttemptOutcome& o,
                               UpstreamFailure failure, TimePoint now) {
    if (!c || !c->spec->outlier)
        return;
    const auto& hosts = c->spec->hosts;
    std::size_t i = 0;
    const std::less<const HostSpec*> before;  // a total order over pointers into different snapshots
    if (hint && !before(hint, hosts.data()) && before(hint, hosts.data() + hosts.size()))
        i = static_cast<std::size_t>(hint - hosts.data());
    else
        while (i < hosts.size() && hosts[i].key != hostKey)
            ++i;
    if (i == c->spec->hosts.size() || c->hosts[i]->removed)
        return;  // the host left the cluster meanwhile: Envoy drops its monitor
    const OutlierConfig& cfg = *c->spec->outlier;
    HostMonitor& m = c->hosts[i]->monitor;
    std::vector<EjectionType> fired;
    auto put = [&](OutlierSignal s, int status) {
        auto f = recordResult(m, cfg, s, status);
        fired.insert(fired.end(), f.begin(), f.end());
    };
    switch (failure) {
    case UpstreamFailure::None:
    case UpstreamFailure::Status: put(OutlierSignal::HttpStatus, o.status); break;
    case UpstreamFailure::ResetAfterHeaders:
        put(OutlierSignal::HttpStatus, o.status);
        put(OutlierSignal::ConnectFailed, 0);
        break;
    case UpstreamFailure::ConnectFailure:
    case UpstreamFailure::EndpointRemoved:
    case UpstreamFailure::ResetBeforeHeaders: put(OutlierSignal::ConnectFailed, 0); break;
    case UpstreamFailure::ConnectTimeout:
    case UpstreamFailure::PerTryTimeout:
    case UpstreamFailure::RequestTimeout:
    case UpstreamFailure::StreamIdleTimeout: put(OutlierSignal::Timeout, 0); break;
    }
    for (EjectionType t : fired)
        onEjectionThreshold(*c, i, t, now);
}

void EngineImpl::onEjectionThreshold(ClusterRuntime& c, std::size_t hostIndex, EjectionType type, TimePoint now) {
    HostMonitor& m = c.hosts[hostIndex]->monitor;
    if (m.ejected)
        return;
    switch (type) {
    case EjectionType::Consecutive5xx: ++m_counters.outlier_ejections_detected_consecutive_5xx; break;
    case EjectionType::ConsecutiveGatewayFailure: ++m_counters.outlier_ejections_detected_consecutive_gateway_failure; break;
    case EjectionType::ConsecutiveLocalOriginFailure:
        ++m_counters.outlier_ejections_detected_consecutive_local_origin_failure;
        break;
    }
    resetCounterFor(m, type);
    std::size_t active = 0, total = 0;
    for (const HostRuntime* h : c.hosts) {
        if (h->removed)
            continue;
        ++total;
        if (h->monitor.ejected)
            ++active;
    }
    const OutlierConfig& cfg = *c.spec->outlier;
    if (!ejectionAllowed(cfg, active, total)) {
        ++m_counters.outlier_ejections_overflow;
        emitHost(HostEvent::Type::EjectionSkipped, c, hostIndex, now,
                 std::string(nameOf(type)) + ": ejecting " + std::to_string(active + 1) + " of " +
                     std::to_string(total) + " hosts exceeds maxEjectionPercent " +
                     std::to_string(cfg.maxEjectionPercent));
        return;
    }
    const TimePoint until = eject(m, cfg, now);
    ++m_counters.outlier_ejections_enforced_total;
    c.dirty = true;
    emitHost(HostEvent::Type::Ejected, c, hostIndex, now, nameOf(type), until, m.numEjections);
    armSweep(c, now);
    recountGauges();
}

void EngineImpl::armSweep(ClusterRuntime& c, TimePoint now) {
    if (c.timerArmed || !c.spec->outlier)
        return;
    const TimePoint due = nextSweep(c.epoch, c.spec->outlier->interval, now);
    const std::string name = c.spec->name;
    c.timer = m_scheduler.schedule(due - now, [this, name] { onSweep(name); });
    c.timerArmed = true;
}

void EngineImpl::onSweep(const std::string& clusterName) {
    ClusterRuntime* c = clusterRuntime(clusterName);
    if (!c)
        return;
    c->timerArmed = false;
    if (!c->spec->outlier)
        return;
    const TimePoint now = m_clock.now();
    const OutlierConfig& cfg = *c->spec->outlier;
    bool again = false;
    for (std::size_t i = 0; i < c->hosts.size(); ++i) {
        HostRuntime& h = *c->hosts[i];
        if (h.removed)
            continue;
        if (sweepHost(h.monitor, cfg, now)) {
            ++m_counters.outlier_unejections;
            c->dirty = true;
            emitHost(HostEvent::Type::Unejected, *c, i, now, "ejection time elapsed");
        }
        again = again || h.monitor.ejected || h.monitor.ejectionBackoff > 0;
    }
    recountGauges();
    // Envoy's timer runs forever; arming it only while something can change keeps a simulation
    // finite and gives the same tick times (they stay on epoch + k x interval).
    if (again)
        armSweep(*c, now);
}

bool EngineImpl::applyDns(ClusterRuntime& c, const std::string& server, bool removed, TimePoint now) {
    bool found = false;
    const ClusterSpec& spec = *c.spec;
    for (std::size_t i = 0; i < spec.hosts.size(); ++i) {
        if (spec.hosts[i].server != server)
            continue;
        found = true;
        HostRuntime& h = *c.hosts[i];
        if (h.removed == removed)
            continue;
        h.removed = removed;
        h.monitor = HostMonitor{};  // a host that leaves the cluster loses its outlier monitor
        c.dirty = true;
        emitHost(removed ? HostEvent::Type::Removed : HostEvent::Type::Restored, c, i, now,
                 removed ? "DNS refresh: the hostname no longer resolves (InferenceService deleted)"
                         : "DNS refresh: the hostname resolves again");
    }
    return found;
}

bool EngineImpl::setEndpointRemoved(const std::string& server, bool removed, TimePoint now) {
    if (auto it = m_pendingDns.find(server); it != m_pendingDns.end()) {
        for (auto& [cluster, timer] : it->second.clusters)
            m_scheduler.cancel(timer.first);
        m_pendingDns.erase(it);
    }
    bool found = false;
    for (const ClusterSpec& spec : m_snap->clusters)
        if (ClusterRuntime* c = clusterRuntime(spec.name))
            found = applyDns(*c, server, removed, now) || found;
    if (found && removed)
        m_removedServers.insert(server);
    else
        m_removedServers.erase(server);
    recountGauges();
    return found;
}

bool EngineImpl::setNameResolves(const std::string& server, bool resolves, TimePoint now) {
    // A change back before a cluster's refresh: that cluster never sees the first change.
    if (auto it = m_pendingDns.find(server); it != m_pendingDns.end()) {
        for (auto& [cluster, timer] : it->second.clusters)
            m_scheduler.cancel(timer.first);
        m_pendingDns.erase(it);
    }
    bool found = false;
    PendingDns pending;
    pending.resolves = resolves;
    for (const ClusterSpec& spec : m_snap->clusters) {
        ClusterRuntime* c = clusterRuntime(spec.name);
        if (!c)
            continue;
        bool differs = false, has = false;
        for (std::size_t i = 0; i < spec.hosts.size(); ++i)
            if (spec.hosts[i].server == server) {
                has = true;
                differs = differs || c->hosts[i]->removed == resolves;
            }
        found = found || has;
        if (!differs)
            continue;
        const Duration delay = spec.dnsRefreshRate.value_or(m_dnsRefreshDelay);
        if (delay <= Duration::zero()) {
            applyDns(*c, server, !resolves, now);
            continue;
        }
        const std::string name = spec.name;
        const TimerId t = m_scheduler.schedule(delay, [this, server, name] { onDnsRefresh(server, name); });
        pending.clusters.emplace(name, std::make_pair(t, now + delay));
    }
    if (!found)
        return false;
    if (resolves)
        m_removedServers.erase(server);
    else
        m_removedServers.insert(server);
    if (!pending.clusters.empty())
        m_pendingDns.emplace(server, std::move(pending));
    recountGauges();
    return true;
}

void EngineImpl::onDnsRefresh(const std::string& server, const std::string& cluster) {
    auto it = m_pendingDns.find(server);
    if (it == m_pendingDns.end())
        return;
    const bool resolves = it->second.resolves;
    it->second.clusters.erase(cluster);
    if (it->second.clusters.empty())
        m_pendingDns.erase(it);
    if (ClusterRuntime* c = clusterRuntime(cluster))
        applyDns(*c, server, !resolves, m_clock.now());
    recountGauges();
}

std::optional<TimePoint> EngineImpl::pendingDnsChange(const std::string& server) const {
    auto it = m_pendingDns.find(server);
    if (it == m_pendingDns.end() || it->second.clusters.empty())
        return std::nullopt;
    TimePoint last{};
    for (const auto& [cluster, timer] : it->second.clusters)
        last = std::max(last, timer.second);
    return last;
}

void EngineImpl::recountGauges() {
    std::uint64_t ejected = 0, removed = 0;
    for (const auto& [key, h] : m_hosts) {
        if (h.removed)
            ++removed;
        else if (h.monitor.ejected)
            ++ejected;
    }
    m_counters.outlier_ejections_active = ejected;
    m_counters.endpoints_removed = removed;
}

void EngineImpl::emitRecord(const RequestRecord& r) {
    if (m_sink)
        m_sink->onRequest(r);
}

void EngineImpl::emitHost(HostEvent::Type type, const ClusterRuntime& c, std::size_t i, TimePoint at, std::string reason,
                          TimePoint until, int ejections) {
    if (!m_sink)
        return;
    const HostSpec& h = c.spec->hosts[i];
    HostEvent e;
    e.type = type;
    e.at = at;
    e.route = c.spec->route;
    e.rule = c.spec->rule;
    e.backend = h.backend;
    e.backendNamespace = h.backendNamespace;
    e.server = h.server;
    e.hostKey = h.key;
    e.reason = std::move(reason);
    e.until = until;
    e.ejections = ejections;
    m_sink->onHostEvent(e);
}

std::vector<HostStatus> EngineImpl::hosts() const {
    std::vector<HostStatus> out;
    for (const ClusterSpec& spec : m_snap->clusters) {
        auto it = m_clusters.find(spec.name);
        if (it == m_clusters.end())
            continue;
        for (std::size_t i = 0; i < spec.hosts.size(); ++i) {
            const HostSpec& h = spec.hosts[i];
            const HostRuntime& rt = *it->second.hosts[i];
            HostStatus s;
            s.cluster = spec.name;
            s.route = spec.route;
            s.rule = spec.rule;
            s.backend = h.backend;
            s.server = h.server;
            s.hostKey = h.key;
            s.address = h.address;
            s.port = h.port;
            s.priority = h.priority;
            s.weight = h.weight;
            s.upstreamModel = h.modelOverride.value_or("");
            s.removed = rt.removed;
            s.ejected = rt.monitor.ejected;
            if (rt.monitor.ejected && rt.monitor.lastEjection && spec.outlier)
                s.ejectedUntil = *rt.monitor.lastEjection + ejectionDuration(rt.monitor, *spec.outlier);
            s.ejections = rt.monitor.numEjections;
            s.ejectionBackoff = rt.monitor.ejectionBackoff;
            s.consecutive5xx = rt.monitor.consecutive5xx;
            s.consecutiveGatewayFailure = rt.monitor.consecutiveGatewayFailure;
            s.consecutiveLocalOriginFailure = rt.monitor.consecutiveLocalOriginFailure;
            out.push_back(std::move(s));
        }
    }
    return out;
}

std::vector<ClusterStatus> EngineImpl::clusters() const {
    std::vector<ClusterStatus> out;
    for (const ClusterSpec& spec : m_snap->clusters) {
        auto it = m_clusters.find(spec.name);
        if (it == m_clusters.end())
            continue;
        std::vector<PriorityCounts> counts(static_cast<std::size_t>(spec.numPriorities));
        ClusterStatus s;
        s.name = spec.name;
        s.route = spec.route;
        s.rule = spec.rule;
        for (std::size_t i = 0; i < spec.hosts.size(); ++i) {
            const HostRuntime& h = *it->second.hosts[i];
            if (h.removed)
                continue;
            auto& pc = counts[static_cast<std::size_t>(spec.hosts[i].priority)];
            ++pc.hosts;
            ++s.hosts;
            if (h.monitor.ejected)
                ++s.ejected;
            else
                ++pc.healthy;
        }
        const PriorityState st = computePriorityState(counts, spec.panicThreshold);
        s.priorityLoad = st.load;
        s.priorityPanic = st.panic;
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<std::string> EngineImpl::servers() const {
    std::set<std::string> names;
    for (const ClusterSpec& spec : m_snap->clusters)
        for (const HostSpec& h : spec.hosts)
            names.insert(h.server);
    return {names.begin(), names.end()};
}

// ---------------------------------------------------------------------------------------------
// Request

RequestImpl::RequestImpl(EngineImpl& engine, std::shared_ptr<const Snapshot> snap, const MatchEntry* match,
                         std::string model, std::uint64_t id, TimePoint now)
    : m_engine(engine), m_snap(std::move(snap)), m_retry(nullptr) {
    m_record.id = id;
    m_record.start = now;
    m_record.virtualModel = std::move(model);
    if (!match || match->ruleIndex < 0) {
        if (match) {
            const auto& route = m_snap->effective->routes[static_cast<std::size_t>(match->routeIndex)];
            m_record.route = route.meta.effectiveNamespace() + "/" + route.meta.name;
            m_record.rule = "route-not-found";
        }
        ++m_engine.m_counters.rq_no_route;
        finish(Response{404, true, kNoRouteBody, "text/plain"}, Duration::zero(), now, RetryStatus::No);
        return;
    }
    m_cluster = &m_snap->clusters[static_cast<std::size_t>(
        m_snap->clusterOf[static_cast<std::size_t>(match->routeIndex)][static_cast<std::size_t>(match->ruleIndex)])];
    m_record.route = m_cluster->route;
    m_record.rule = m_cluster->rule;
    m_retry = RetryState(m_cluster->retry ? &*m_cluster->retry : nullptr);
    m_deadline = m_cluster->requestTimeout ? now + *m_cluster->requestTimeout : kNoDeadline;
}

Decision RequestImpl::finish(Response response, Duration wait, TimePoint now, RetryStatus why) {
    m_done = true;
    m_inAttempt = false;
    m_record.finalStatus = response.status;
    m_record.localReply = response.local;
    m_record.latency = (now + wait) - m_record.start;
    if (!response.local && !m_record.attempts.empty())
        m_record.finalBackend = m_record.attempts.back().backend;
    EngineCounters& k = m_engine.m_counters;
    ++k.rq_completed;
    if (response.status < 400) {
        ++k.rq_success;
        if (m_record.attempts.size() > 1)
            ++k.upstream_rq_retry_success;
    } else if (m_cluster) {  // a route-not-found 404 is counted as rq_no_route only
        ++k.rq_error;
    }
    m_finalResponse = std::move(response);
    m_finalWait = wait;
    m_finalWhy = why;
    m_currentHost = nullptr;
    m_engine.emitRecord(m_record);
    return finalDecision();
}

Decision RequestImpl::finalDecision() const {
    return Decision{Action::Respond, {}, m_finalWait, m_finalResponse, m_finalWhy};
}

AttemptTarget RequestImpl::targetFor(const HostSpec& h, int attempt, Duration backoffBefore) const {
    // Copy-constructed in place (no default construction, then assignment).
    return AttemptTarget{
        .attempt = attempt,
        .backend = h.backend,
        .server = h.server,
        .hostKey = h.key,
        .schema = h.schema,
        .address = h.address,
        .port = h.port,
        .priority = h.priority,
        .upstreamModel = h.modelOverride.value_or(m_record.virtualModel),
        .perTryTimeout = m_cluster->retry ? m_cluster->retry->perTryTimeout : std::nullopt,
        .streamIdleTimeout = m_cluster->streamIdleTimeout,
        .connectTimeout = m_cluster->connectTimeout,
        .deadline = m_deadline,
        .backoffBefore = backoffBefore,
    };
}

Decision RequestImpl::localReply(int status, const std::string& text, Duration wait, TimePoint now, RetryStatus why) {
    m_record.error = text;
    return finish(Response{status, true, openAIErrorBody(status, text), "application/json"}, wait, now, why);
}

Decision RequestImpl::nextAttempt(TimePoint now) {
    if (m_done)
        return finalDecision();
    if (m_inAttempt) {
        Decision d;
        d.action = Action::Attempt;
        d.target = targetFor(*m_currentHost, static_cast<int>(m_record.attempts.size()),
                             m_record.attempts.back().backoffBefore);
        return d;
    }
    EngineCounters& k = m_engine.m_counters;
    if (now >= m_deadline) {
        ++k.rq_timeout;
        return localReply(504, "upstream request timeout", Duration::zero(), now, RetryStatus::NoDeadline);
    }
    EngineImpl::ClusterRuntime* c = m_engine.clusterRuntime(*this);
    std::optional<std::size_t> host;
    if (c)
        host = m_engine.pickHost(*c, *this);
    if (!host) {
        ++k.no_healthy_upstream;
        return localReply(503, "no healthy upstream", Duration::zero(), now, RetryStatus::No);
    }
    const HostSpec& h = c->spec->hosts[*host];
    // c->spec is in the snapshot served now, m_snap may be an older one: keep h alive.
    if (m_engine.m_snap != m_snap && m_engine.m_snap != m_pickSnap)
        m_pickSnap = m_engine.m_snap;
    m_currentHost = &h;
    const int attempt = static_cast<int>(m_record.attempts.size()) + 1;
    const Duration backoff = m_pendingBackoff;
    // The hosts and priorities attempted so far are read from here (previous_hosts, previous_priorities).
    AttemptRecord& a = m_record.attempts.emplace_back();
    a.backend = h.backend;
    a.backendNamespace = h.backendNamespace;
    a.server = h.server;
    a.hostKey = h.key;
    a.priority = h.priority;
    a.upstreamModel = h.modelOverride.value_or(m_record.virtualModel);
    a.start = now;
    a.backoffBefore = backoff;
    m_pendingBackoff = Duration::zero();
    ++k.upstream_rq_attempts;
    if (attempt == 1 && h.priority != 0)
        ++k.lb_priority_spill;
    m_inAttempt = true;
    // Returned as a prvalue: built in the caller's Decision, not moved into it.
    return Decision{Action::Attempt, targetFor(h, attempt, backoff)};
}

Decision RequestImpl::onAttemptResult(const AttemptOutcome& outcome, TimePoint now) {
    if (m_done)
        return finalDecision();
    if (!m_inAttempt) {
        Decision d;  // nothing in flight: the caller should ask for the next attempt
        d.action = Action::Backoff;
        return d;
    }
    m_inAttempt = false;
    EngineCounters& k = m_engine.m_counters;
    AttemptOutcome o = outcome;
    if (o.failure == UpstreamFailure::None && o.status >= 400)
        o.failure = UpstreamFailure::Status;
    if (o.failure == UpstreamFailure::ResetAfterHeaders)
        o.headersSent = true;
    if ((o.failure == UpstreamFailure::PerTryTimeout || o.failure == UpstreamFailure::StreamIdleTimeout ||
         o.failure == UpstreamFailure::ConnectTimeout) &&
        now >= m_deadline)
        o.failure = UpstreamFailure::RequestTimeout;  // the timer that fired was the request's
    const bool responded = o.failure == UpstreamFailure::None || o.failure == UpstreamFailure::Status || o.headersSent;
    AttemptRecord& a = m_record.attempts.back();
    a.failure = o.failure;
    a.status = responded ? o.status : 0;
    a.duration = now - a.start;
    switch (o.failure) {
    case UpstreamFailure::ConnectFailure:
    case UpstreamFailure::ConnectTimeout:
    case UpstreamFailure::EndpointRemoved: ++k.upstream_cx_connect_fail; break;
    case UpstreamFailure::ResetBeforeHeaders:
    case UpstreamFailure::ResetAfterHeaders: ++k.upstream_rq_reset; break;
    case UpstreamFailure::PerTryTimeout:
    case UpstreamFailure::StreamIdleTimeout: ++k.rq_per_try_timeout; break;
    case UpstreamFailure::Status: ++k.upstream_rq_status_error; break;
    case UpstreamFailure::None:
    case UpstreamFailure::RequestTimeout: break;
    }
    m_engine.reportOutcome(m_engine.clusterRuntime(*this), m_currentHost, a.hostKey, o, o.failure, now);

    if (o.failure == UpstreamFailure::None)  // a complete response (a stream that ended cleanly too)
        return finish(Response{o.status, false, {}, {}}, Duration::zero(), now, RetryStatus::No);
    if (o.failure == UpstreamFailure::RequestTimeout && o.headersSent) {
        // The route timeout cuts a stream that already reached the client: Envoy resets it.
        ++k.rq_timeout;
        m_record.error = "route timeout (timeouts.request) after response headers were sent: stream reset";
        return finish(Response{o.status, false, {}, {}}, Duration::zero(), now, RetryStatus::NoHeadersSent);
    }
    if (o.failure == UpstreamFailure::RequestTimeout) {
        ++k.rq_timeout;
        return localReply(504, "upstream request timeout", Duration::zero(), now, RetryStatus::NoDeadline);
    }
    const RetryDecision would = m_cluster->retry ? wouldRetry(m_cluster->retry->retryOn, o) : RetryDecision::NoRetry;
    Duration backoff{};
    const RetryStatus status =
        m_retry.shouldRetry(would, o.headersSent, now, m_deadline, m_engine.m_random.next(), backoff, k);
    switch (status) {
    case RetryStatus::Yes: {
        m_pendingBackoff = backoff;
        Decision d;
        d.action = Action::Backoff;
        d.wait = backoff;
        d.retry = status;
        return d;
    }
    case RetryStatus::NoDeadline:
        ++k.rq_timeout;
        return localReply(504, "upstream request timeout", m_deadline - now, now, status);
    case RetryStatus::NoHeadersSent:
    case RetryStatus::No:
    case RetryStatus::NoRetryLimitExceeded: break;
    }
    if (o.headersSent) {
        m_record.error = std::string("upstream ") + nameOf(o.failure) + " after response headers were sent";
        return finish(Response{o.status, false, {}, {}}, Duration::zero(), now, status);
    }
    switch (o.failure) {
    case UpstreamFailure::Status: return finish(Response{o.status, false, {}, {}}, Duration::zero(), now, status);
    case UpstreamFailure::PerTryTimeout:
    case UpstreamFailure::StreamIdleTimeout:
        return localReply(504, "upstream request timeout", Duration::zero(), now, status);
    default: break;
    }
    const std::string text = std::string("upstream connect error or disconnect/reset before headers. ") +
                             (m_record.attempts.size() > 1 ? "retried and the latest " : "") +
                             "reset reason: " + resetReasonText(o.failure);
    return localReply(503, text, Duration::zero(), now, status);
}

void RequestImpl::cancel(TimePoint now) {
    if (m_done)
        return;
    ++m_engine.m_counters.rq_cancelled;
    if (m_inAttempt)
        m_record.attempts.back().duration = now - m_record.attempts.back().start;
    m_record.error = "client disconnected";
    m_done = true;
    m_inAttempt = false;
    m_record.finalStatus = 499;
    m_record.latency = now - m_record.start;
    m_finalResponse = Response{499, true, {}, {}};
    m_finalWait = Duration::zero();
    m_finalWhy = RetryStatus::No;
    m_currentHost = nullptr;
    m_engine.emitRecord(m_record);
}

}  // namespace aigw::routing
