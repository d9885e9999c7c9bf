#include "config/doctor.h"

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

#include "config/exporter.h"

namespace aigw::config {
namespace {

std::string objectName(const char* kind, const ObjectMeta& m) {
    return std::string(kind) + " " + m.effectiveNamespace() + "/" + m.name;
}

std::string subjectOf(const Config& c, Kind kind, std::size_t i) {
    switch (kind) {
    case Kind::AIGatewayRoute:
        return i < c.routes.size() ? objectName("AIGatewayRoute", c.routes[i].meta) : "";
    case Kind::Backend:
        return i < c.backends.size() ? objectName("Backend", c.backends[i].meta) : "";
    case Kind::BackendTrafficPolicy:
        return i < c.trafficPolicies.size() ? objectName("BackendTrafficPolicy", c.trafficPolicies[i].meta) : "";
    case Kind::Gateway:
        if (const Document* d = c.documentFor(Kind::Gateway, i))
            return objectName("Gateway", d->meta);
        return "";
    default:
        return "";
    }
}

bool attachedToGateway(const AIGatewayRoute& r, const std::string& gateway, const std::string& ns) {
    for (const auto& p : r.parentRefs)
        if (p.kind.value_or("Gateway") == "Gateway" && p.name == gateway && p.ns.value_or(r.meta.effectiveNamespace()) == ns)
            return true;
    return false;
}

/// Routes a BackendTrafficPolicy applies to: HTTPRoute targets name the generated HTTPRoute
/// (same name as the AIGatewayRoute); Gateway targets cover every route attached to it.
std::vector<std::size_t> routesInScope(const Config& c, const BackendTrafficPolicy& p) {
    std::set<std::size_t> out;
    const std::string ns = p.meta.effectiveNamespace();
    for (const auto& t : p.targetRefs) {
        for (std::size_t i = 0; i < c.routes.size(); ++i) {
            const auto& r = c.routes[i];
            if (t.kind.value_or("") == "HTTPRoute" && r.meta.name == t.name && r.meta.effectiveNamespace() == ns)
                out.insert(i);
            if (t.kind.value_or("") == "Gateway" && attachedToGateway(r, t.name, ns))
                out.insert(i);
        }
    }
    return {out.begin(), out.end()};
}

bool targetsRouteDirectly(const BackendTrafficPolicy& p, const AIGatewayRoute& r) {
    if (p.meta.effectiveNamespace() != r.meta.effectiveNamespace())
        return false;
    for (const auto& t : p.targetRefs)
        if (t.kind.value_or("") == "HTTPRoute" && t.name == r.meta.name)
            return true;
    return false;
}

/// Distinct priorities of the backendRefs that take part (weight 0 refs are removed by EG).
std::vector<std::int64_t> priorityLevels(const RouteRule& rule) {
    std::set<std::int64_t> levels;
    for (const auto& b : rule.backendRefs)
        if (b.effectiveWeight() > 0)
            levels.insert(b.effectivePriority());
    return {levels.begin(), levels.end()};
}

bool hasFallback(const RouteRule& rule) {
    return priorityLevels(rule).size() > 1;
}

const Backend* backendOf(const Config& c, const AIGatewayRoute& r, const BackendRefSpec& ref) {
    const AIServiceBackend* sb = c.findServiceBackend(ref.name, ref.ns.value_or(r.meta.effectiveNamespace()));
    if (!sb)
        return nullptr;
    return c.findBackend(sb->backendRef.name, sb->backendRef.ns.value_or(sb->meta.effectiveNamespace()));
}

/// Hosts in the rule's Envoy cluster: every endpoint of every Backend behind a weight > 0 ref.
int hostsInRule(const Config& c, const AIGatewayRoute& r, const RouteRule& rule) {
    int hosts = 0;
    for (const auto& ref : rule.backendRefs) {
        if (ref.effectiveWeight() <= 0)
            continue;
        const Backend* b = backendOf(c, r, ref);
        hosts += b && !b->endpoints.empty() ? static_cast<int>(b->endpoints.size()) : 1;
    }
    return hosts;
}

/// Retries needed so that the last priority gets an attempt: N attempts per level before moving on.
std::int64_t retriesNeeded(std::int64_t perPriority, std::size_t levels) {
    return perPriority * static_cast<std::int64_t>(levels - 1);
}

bool coversConnectFailure(const RetryPolicy& r) {
    // Envoy retry_state_impl.cc: a refused connection is a reset of type ConnectionFailure,
    // retried by connect-failure, 5xx, gateway-error, and (newer Envoy) reset.
    for (const auto& t : r.effectiveTriggers())
        if (t == "connect-failure" || t == "5xx" || t == "gateway-error" || t == "reset")
            return true;
    return false;
}

bool hasTrigger(const RetryPolicy& r, const std::string& name) {
    const auto t = r.effectiveTriggers();
    return std::find(t.begin(), t.end(), name) != t.end();
}

std::int64_t ejectionPercentNeeded(int hosts) {
    return (100 + hosts - 1) / hosts;  // ceil(100 / hosts): one ejection must fit
}

const std::regex& revisionHost() {
    static const std::regex re(R"(^(.+)-predictor-[0-9]{5}\.(.+)$)");
    return re;
}

struct Changed {
    Kind kind;
    std::size_t index;
};

bool sameSubject(const Config& c, const Finding& f) {
    return !f.subject.empty() && subjectOf(c, f.subjectKind, f.subjectIndex) == f.subject;
}

/// The scope-wide need for one policy: the largest retries/ejection requirement over its rules.
struct PolicyNeeds {
    bool anyFallback = false;
    std::size_t maxLevels = 0;
    int minHostsWithFallback = 0;  ///< fewest hosts among rules with 2+ hosts (0 if none)
    std::string worstRule;         ///< "route rule[i]" naming where the requirement comes from
};

PolicyNeeds needsOf(const Config& c, const BackendTrafficPolicy& p) {
    PolicyNeeds n;
    for (std::size_t ri : routesInScope(c, p)) {
        const auto& r = c.routes[ri];
        for (std::size_t k = 0; k < r.rules.size(); ++k) {
            const auto levels = priorityLevels(r.rules[k]);
            if (levels.size() > 1)
                n.anyFallback = true;
            if (levels.size() > n.maxLevels) {
                n.maxLevels = levels.size();
                n.worstRule = r.meta.name + " rule " + std::to_string(k);
            }
            const int hosts = hostsInRule(c, r, r.rules[k]);
            if (hosts >= 2 && (n.minHostsWithFallback == 0 || hosts < n.minHostsWithFallback))
                n.minHostsWithFallback = hosts;
        }
    }
    return n;
}

std::optional<Changed> fix(Config& c, const Finding& f) {
    if (!sameSubject(c, f))
        return std::nullopt;
    const std::string& id = f.id;
    if (f.subjectKind == Kind::BackendTrafficPolicy) {
        auto& p = c.trafficPolicies[f.subjectIndex];
        const Changed here{Kind::BackendTrafficPolicy, f.subjectIndex};
        if (!p.retry && id != finding_id::kEjectionImpossible)
            return std::nullopt;
        if (id == finding_id::kRetryStaysOnPriority0) {
            if (p.retry->numAttemptsPerPriority.value_or(0) > 0)
                return std::nullopt;
            p.retry->numAttemptsPerPriority = 1;
            return here;
        }
        if (id == finding_id::kRetryMissesConnectFailure) {
            if (coversConnectFailure(*p.retry))
                return std::nullopt;
            p.retry->triggers.push_back("connect-failure");
            return here;
        }
        if (id == finding_id::kTooFewRetries) {
            const PolicyNeeds n = needsOf(c, p);
            const std::int64_t need = retriesNeeded(p.retry->numAttemptsPerPriority.value_or(0), n.maxLevels);
            if (n.maxLevels < 2 || p.retry->effectiveNumRetries() >= need)
                return std::nullopt;
            p.retry->numRetries = need;
            return here;
        }
        if (id == finding_id::kStatusCodesIgnored) {
            if (p.retry->httpStatusCodes.empty() || hasTrigger(*p.retry, "retriable-status-codes"))
                return std::nullopt;  // a trigger without codes needs the user to pick codes
            p.retry->triggers.push_back("retriable-status-codes");
            return here;
        }
        if (id == finding_id::kEjectionImpossible) {
            const PolicyNeeds n = needsOf(c, p);
            if (!p.passive || n.minHostsWithFallback < 2)
                return std::nullopt;
            const std::int64_t need = ejectionPercentNeeded(n.minHostsWithFallback);
            if (p.passive->effectiveAlwaysEjectOne() || p.passive->effectiveMaxEjectionPercent() >= need)
                return std::nullopt;
            p.passive->maxEjectionPercent = need;
            return here;
        }
        return std::nullopt;
    }
    if (f.subjectKind == Kind::AIGatewayRoute && id == finding_id::kNoRetryPolicy) {
        const auto& r = c.routes[f.subjectIndex];
        std::size_t levels = 0;
        for (const auto& rule : r.rules)
            levels = std::max(levels, priorityLevels(rule).size());
        if (levels < 2)
            return std::nullopt;
        RetryPolicy retry;
        retry.numAttemptsPerPriority = 1;
        retry.numRetries = retriesNeeded(1, levels);
        retry.hasRetryOn = true;
        retry.triggers = {"connect-failure", "retriable-status-codes"};
        retry.httpStatusCodes = {500, 502, 503, 504};
        // A policy already aimed at this route (say, health check only) gets the retry block.
        for (std::size_t i = 0; i < c.trafficPolicies.size(); ++i) {
            auto& p = c.trafficPolicies[i];
            if (!targetsRouteDirectly(p, r))
                continue;
            if (p.retry)
                return std::nullopt;
            p.retry = retry;
            return Changed{Kind::BackendTrafficPolicy, i};
        }
        BackendTrafficPolicy p;
        p.meta.name = r.meta.name;
        for (const auto& other : c.trafficPolicies)
            if (other.meta.name == p.meta.name && other.meta.effectiveNamespace() == r.meta.effectiveNamespace())
                p.meta.name = r.meta.name + "-fallback";
        p.meta.ns = r.meta.ns;
        ObjectRef target;
        target.group = "gateway.networking.k8s.io";
        target.kind = "HTTPRoute";
        target.name = r.meta.name;
        p.targetRefs.push_back(target);
        p.retry = retry;
        c.trafficPolicies.push_back(p);
        return Changed{Kind::BackendTrafficPolicy, c.trafficPolicies.size() - 1};
    }
    if (f.subjectKind == Kind::Gateway && id == finding_id::kNoBufferLimit) {
        const Document* g = c.documentFor(Kind::Gateway, f.subjectIndex);
        const std::string ns = g->meta.effectiveNamespace();
        for (std::size_t i = 0; i < c.clientPolicies.size(); ++i) {
            auto& p = c.clientPolicies[i];
            if (p.meta.effectiveNamespace() != ns)
                continue;
            for (const auto& t : p.targetRefs)
                if (t.kind.value_or("") == "Gateway" && t.name == g->meta.name) {
                    if (p.bufferLimit)
                        return std::nullopt;
                    p.bufferLimit = "50Mi";
                    return Changed{Kind::ClientTrafficPolicy, i};
                }
        }
        ClientTrafficPolicy p;
        p.meta.name = g->meta.name + "-buffer-limit";
        p.meta.ns = g->meta.ns;
        ObjectRef target;
        target.group = "gateway.networking.k8s.io";
        target.kind = "Gateway";
        target.name = g->meta.name;
        p.targetRefs.push_back(target);
        p.bufferLimit = "50Mi";
        c.clientPolicies.push_back(p);
        return Changed{Kind::ClientTrafficPolicy, c.clientPolicies.size() - 1};
    }
    if (f.subjectKind == Kind::Backend && id == finding_id::kPinnedRevision) {
        auto& b = c.backends[f.subjectIndex];
        if (f.endpoint < 0 || f.endpoint >= static_cast<int>(b.endpoints.size()))
            return std::nullopt;
        auto& ep = b.endpoints[static_cast<std::size_t>(f.endpoint)];
        std::smatch m;
        if (ep.type != EndpointType::Fqdn || !std::regex_match(ep.address, m, revisionHost()))
            return std::nullopt;
        ep.address = m[1].str() + "-predictor." + m[2].str();
        return Changed{Kind::Backend, f.subjectIndex};
    }
    return std::nullopt;
}

/// Builds findings; fills the fix snippet from the mechanically fixed object where there is one.
class Doctor {
public:
    explicit Doctor(const Config& c) : m_c(c) {}

    std::vector<Finding> run() {
        for (std::size_t i = 0; i < m_c.routes.size(); ++i)
            route(i);
        for (std::size_t i = 0; i < m_c.backends.size(); ++i)
            backend(i);
        for (std::size_t i = 0; i < m_c.trafficPolicies.size(); ++i)
            policy(i);
        std::size_t gw = 0;
        for (const auto& d : m_c.documents)
            if (d.kind == Kind::Gateway)
                gateway(d, gw++);
        return std::move(m_out);
    }

private:
    Finding make(const char* id, Severity sev, Kind kind, std::size_t index, const std::string& path) {
        Finding f;
        f.id = id;
        f.severity = sev;
        f.subjectKind = kind;
        f.subjectIndex = index;
        f.subject = subjectOf(m_c, kind, index);
        f.where = m_c.locate(kind, index, path);
        return f;
    }

    void add(Finding f) {
        if (f.fixYaml.empty()) {
            Config copy = m_c;
            if (auto changed = fix(copy, f))
                f.fixYaml = exportObject(copy, changed->kind, changed->index);
        }
        m_out.push_back(std::move(f));
    }

    void route(std::size_t i) {
        const auto& r = m_c.routes[i];
        // Finding 2: fallback declared, no retry policy reaches the route.
        bool anyFallback = false;
        for (const auto& rule : r.rules)
            anyFallback = anyFallback || hasFallback(rule);
        if (anyFallback) {
            bool retried = false;
            for (const auto& p : m_c.trafficPolicies) {
                if (!p.retry)
                    continue;
                const auto scope = routesInScope(m_c, p);
                retried = retried || std::find(scope.begin(), scope.end(), i) != scope.end();
            }
            if (!retried) {
                std::size_t k = 0;
                while (k < r.rules.size() && !hasFallback(r.rules[k]))
                    ++k;
                Finding f = make(finding_id::kNoRetryPolicy, Severity::Warning, Kind::AIGatewayRoute, i,
                                 "spec.rules[" + std::to_string(k) + "]");
                f.rule = static_cast<int>(k);
                f.title = "backendRefs have priorities > 0 but no BackendTrafficPolicy retry applies to this route";
                f.explanation =
                    "Envoy Gateway configures no retry policy unless a BackendTrafficPolicy (or the HTTPRoute) sets "
                    "`retry`. All hosts count as healthy without a health check, so priority 0 takes every first "
                    "attempt, and when it fails (a refused connection, a 5xx) the client gets that error, typically "
                    "503 \"upstream connect error or disconnect/reset before headers\". The priority > 0 backends "
                    "receive traffic only if priority 0 is ejected by a passive health check. Add a policy that "
                    "targets the HTTPRoute the controller generates (same name as the AIGatewayRoute) with "
                    "numAttemptsPerPriority: 1 and connect-failure.";
                add(std::move(f));
            }
        }
        for (std::size_t k = 0; k < r.rules.size(); ++k) {
            const auto& rule = r.rules[k];
            const std::string rp = "spec.rules[" + std::to_string(k) + "]";
            // Finding 6: weight 0.
            for (std::size_t b = 0; b < rule.backendRefs.size(); ++b) {
                const auto& ref = rule.backendRefs[b];
                if (!ref.weight || *ref.weight != 0)
                    continue;
                Finding f = make(finding_id::kZeroWeight, Severity::Warning, Kind::AIGatewayRoute, i,
                                 rp + ".backendRefs[" + std::to_string(b) + "].weight");
                f.rule = static_cast<int>(k);
                f.backendRef = static_cast<int>(b);
                f.title = "backendRef " + ref.name + " has weight 0: it gets no traffic and is never a fallback";
                f.explanation =
                    "Envoy Gateway skips weight-0 backendRefs when it builds the rule's cluster (EG PR #2515, AI "
                    "Gateway fix #1755), so the backend is not in the cluster at all: it receives no traffic and a "
                    "retry can never reach it, whatever its priority. To keep it as a fallback, give it a weight "
                    "(the weight only matters within its priority); to disable it, remove the backendRef.";
                YAML::Node item(YAML::NodeType::Map);
                item["name"] = ref.name;
                if (ref.modelNameOverride)
                    item["modelNameOverride"] = *ref.modelNameOverride;
                item["weight"] = 1;
                if (ref.priority)
                    item["priority"] = *ref.priority;
                YAML::Node seq(YAML::NodeType::Sequence);
                seq.push_back(item);
                YAML::Node snippet(YAML::NodeType::Map);
                snippet["backendRefs"] = seq;
                f.fixYaml = emitNode(snippet);
                add(std::move(f));
            }
            // Finding 7: fqdn and ip/unix endpoints in one rule.
            std::vector<std::string> fqdn;
            std::vector<std::string> other;
            for (const auto& ref : rule.backendRefs) {
                if (ref.effectiveWeight() <= 0)
                    continue;
                if (const Backend* b = backendOf(m_c, r, ref))
                    for (const auto& ep : b->endpoints)
                        (ep.type == EndpointType::Fqdn ? fqdn : other).push_back(b->meta.name);
            }
            if (!fqdn.empty() && !other.empty()) {
                Finding f = make(finding_id::kMixedEndpointTypes, Severity::Warning, Kind::AIGatewayRoute, i, rp);
                f.rule = static_cast<int>(k);
                f.title = "the rule mixes fqdn Backends (" + fqdn.front() + ") with ip/unix Backends (" + other.front() +
                          "): priority fallback stops working";
                f.explanation =
                    "Envoy Gateway puts all backendRefs of a rule in one cluster, where priorities give fallback, "
                    "only if their endpoints are of one type. With mixed fqdn and ip endpoints it builds one cluster "
                    "per backend and splits by weight at the route (NeedsClusterPerSetting; issue #2135, PR #2348). "
                    "Envoy priorities work only inside one cluster, so the priority > 0 backends are no longer a "
                    "fallback and retries do not move to them. Use the same endpoint type for every Backend of the "
                    "rule, for example a Service DNS name instead of the IP.";
                const Backend* ipBackend = nullptr;
                for (const auto& ref : rule.backendRefs)
                    if (const Backend* b = backendOf(m_c, r, ref))
                        for (const auto& ep : b->endpoints)
                            if (ep.type != EndpointType::Fqdn && !ipBackend)
                                ipBackend = b;
                if (ipBackend) {
                    YAML::Node ep(YAML::NodeType::Map);
                    ep["fqdn"]["hostname"] = ipBackend->meta.name + "." + ipBackend->meta.effectiveNamespace() + ".svc.cluster.local";
                    ep["fqdn"]["port"] = ipBackend->endpoints.front().port;
                    YAML::Node eps(YAML::NodeType::Sequence);
                    eps.push_back(ep);
                    YAML::Node doc(YAML::NodeType::Map);
                    doc["apiVersion"] = "gateway.envoyproxy.io/v1alpha1";
                    doc["kind"] = "Backend";
                    doc["metadata"]["name"] = ipBackend->meta.name;
                    doc["metadata"]["namespace"] = ipBackend->meta.effectiveNamespace();
                    doc["spec"]["endpoints"] = eps;
                    f.fixYaml = emitNode(doc);
                }
                add(std::move(f));
            }
        }
    }

    void backend(std::size_t i) {
        const auto& b = m_c.backends[i];
        for (std::size_t e = 0; e < b.endpoints.size(); ++e) {
            const auto& ep = b.endpoints[e];
            std::smatch m;
            if (ep.type != EndpointType::Fqdn || !std::regex_match(ep.address, m, revisionHost()))
                continue;
            // Finding 10.
            Finding f = make(finding_id::kPinnedRevision, Severity::Info, Kind::Backend, i,
                             "spec.endpoints[" + std::to_string(e) + "].fqdn.hostname");
            f.endpoint = static_cast<int>(e);
            f.title = "hostname " + ep.address + " is pinned to one KServe revision";
            f.explanation =
                "`<name>-predictor-00001` is the Knative revision's Service. A new revision (any change to the "
                "InferenceService, or deleting and re-creating it as in Ticket 2) gets `-00002`, and this Backend "
                "keeps pointing at the old name: connections fail or the DNS name disappears. The revision-less "
                "`<name>-predictor` Service follows the latest ready revision.";
            add(std::move(f));
        }
    }

    void policy(std::size_t i) {
        const auto& p = m_c.trafficPolicies[i];
        const PolicyNeeds needs = needsOf(m_c, p);
        const auto scope = routesInScope(m_c, p);
        std::string shadowedBy;
        for (std::size_t ri : scope)
            for (const auto& other : m_c.trafficPolicies)
                if (&other != &p && targetsRouteDirectly(other, m_c.routes[ri]) && !targetsRouteDirectly(p, m_c.routes[ri]))
                    shadowedBy = " (For route " + m_c.routes[ri].meta.name + ", BackendTrafficPolicy " + other.meta.name +
                                 " targets its HTTPRoute and takes precedence over this one.)";

        // Finding 9: targets the whole Gateway.
        for (std::size_t t = 0; t < p.targetRefs.size(); ++t) {
            const auto& ref = p.targetRefs[t];
            if (ref.kind.value_or("") != "Gateway")
                continue;
            Finding f = make(finding_id::kPolicyTargetsGateway, Severity::Info, Kind::BackendTrafficPolicy, i,
                             "spec.targetRefs[" + std::to_string(t) + "]");
            f.title = "targets Gateway " + ref.name + ", so its settings apply to every route on that Gateway";
            f.explanation =
                "A BackendTrafficPolicy on a Gateway applies to all routes attached to it (here " +
                std::to_string(scope.size()) +
                " AIGatewayRoute(s)), including those with no fallback, and a policy on a route's HTTPRoute "
                "overrides it for that route. The AI Gateway examples target the HTTPRoute that the controller "
                "generates for the AIGatewayRoute (same name).";
            if (ref.group.value_or("") != "gateway.networking.k8s.io")
                f.explanation += " Note: a Gateway's group is gateway.networking.k8s.io, not \"" + ref.group.value_or("") + "\".";
            Config copy = m_c;
            auto& cp = copy.trafficPolicies[i];
            cp.targetRefs.clear();
            for (std::size_t ri : scope) {
                bool fallback = false;
                for (const auto& rule : m_c.routes[ri].rules)
                    fallback = fallback || hasFallback(rule);
                if (!fallback)
                    continue;
                ObjectRef nr;
                nr.group = "gateway.networking.k8s.io";
                nr.kind = "HTTPRoute";
                nr.name = m_c.routes[ri].meta.name;
                cp.targetRefs.push_back(nr);
            }
            if (!cp.targetRefs.empty())
                f.fixYaml = exportObject(copy, Kind::BackendTrafficPolicy, i);
            m_out.push_back(std::move(f));
        }

        if (p.retry) {
            const auto& r = *p.retry;
            // Finding 1: fallback declared, retries never leave priority 0.
            if (needs.anyFallback && r.numAttemptsPerPriority.value_or(0) <= 0) {
                Finding f = make(finding_id::kRetryStaysOnPriority0, Severity::Warning, Kind::BackendTrafficPolicy, i, "spec.retry");
                f.title = "retry has no numAttemptsPerPriority: retries never leave priority 0, so fallback never happens";
                f.explanation =
                    "Routes under this policy (" + needs.worstRule +
                    ") have backendRefs with priority > 0. Envoy moves a retry to the next priority only with "
                    "retry_priority previous_priorities, which Envoy Gateway emits only when numAttemptsPerPriority "
                    "> 0 (EG v1.5+). Without it every attempt (1 + numRetries = " +
                    std::to_string(1 + r.effectiveNumRetries()) +
                    ") goes to priority 0; when it refuses connections the client gets 503. Priority 1 is used only "
                    "after a passive health check ejects priority 0." + shadowedBy;
                add(std::move(f));
            }
            // Finding 3: refused connections are not retried.
            if (r.hasRetryOn && !coversConnectFailure(r)) {
                Finding f = make(finding_id::kRetryMissesConnectFailure, Severity::Warning, Kind::BackendTrafficPolicy, i,
                                 "spec.retry.retryOn.triggers");
                f.title = "retryOn has no connect-failure: a stopped or deleted backend is not retried";
                f.explanation =
                    "A backend that is down refuses the connection, so there is no upstream response and no status "
                    "code: `retriable-status-codes` never matches it. Envoy retries a connection failure only with "
                    "connect-failure (or 5xx, gateway-error, reset), so the client gets 503 instead of a fallback.";
                add(std::move(f));
            }
            // Finding 11: status codes without the trigger that reads them.
            if (r.hasRetryOn && !r.httpStatusCodes.empty() && !hasTrigger(r, "retriable-status-codes")) {
                Finding f = make(finding_id::kStatusCodesIgnored, Severity::Warning, Kind::BackendTrafficPolicy, i,
                                 "spec.retry.retryOn.httpStatusCodes");
                f.title = "httpStatusCodes are listed but the retriable-status-codes trigger is missing";
                f.explanation = "Envoy consults retriable_status_codes only for the retriable-status-codes trigger, so "
                                "these codes are never retried.";
                add(std::move(f));
            }
            // Finding 4: not enough retries to reach the last priority.
            const std::int64_t perPriority = r.numAttemptsPerPriority.value_or(0);
            if (perPriority > 0 && needs.maxLevels > 1 &&
                r.effectiveNumRetries() < retriesNeeded(perPriority, needs.maxLevels)) {
                Finding f = make(finding_id::kTooFewRetries, Severity::Warning, Kind::BackendTrafficPolicy, i,
                                 r.numRetries ? "spec.retry.numRetries" : "spec.retry");
                const std::int64_t need = retriesNeeded(perPriority, needs.maxLevels);
                f.title = "numRetries " + std::to_string(r.effectiveNumRetries()) + " cannot reach the lowest of " +
                          std::to_string(needs.maxLevels) + " priorities (needs " + std::to_string(need) + ")";
                f.explanation =
                    "With numAttemptsPerPriority " + std::to_string(perPriority) + ", each priority gets that many "
                    "attempts before Envoy moves on, so reaching priority level " + std::to_string(needs.maxLevels) +
                    " of " + needs.worstRule + " takes 1 + " + std::to_string(need) +
                    " attempts. With fewer retries (numRetries defaults to 2) the last fallback is never tried.";
                add(std::move(f));
            }
        }

        // Finding 5: a passive health check that can never eject.
        if (p.passive && !p.passive->effectiveAlwaysEjectOne() && needs.minHostsWithFallback >= 2) {
            const int hosts = needs.minHostsWithFallback;
            const std::int64_t need = ejectionPercentNeeded(hosts);
            if (p.passive->effectiveMaxEjectionPercent() < need) {
                Finding f = make(finding_id::kEjectionImpossible, Severity::Warning, Kind::BackendTrafficPolicy, i,
                                 p.passive->maxEjectionPercent ? "spec.healthCheck.passive.maxEjectionPercent"
                                                               : "spec.healthCheck.passive");
                f.title = "maxEjectionPercent " + std::to_string(p.passive->effectiveMaxEjectionPercent()) +
                          " never allows an ejection with " + std::to_string(hosts) + " hosts";
                f.explanation =
                    "Envoy ejects a host only if 100 x (ejected + 1) / hosts <= max_ejection_percent "
                    "(outlier_detection_impl.cc). Ejecting one of " + std::to_string(hosts) + " hosts is " +
                    std::to_string(100 / hosts) + "%, above " + std::to_string(p.passive->effectiveMaxEjectionPercent()) +
                    "% (Envoy Gateway's default is 10), so nothing is ever ejected and traffic never shifts to the "
                    "fallback on its own. Set maxEjectionPercent to at least " + std::to_string(need) +
                    ", or alwaysEjectOneEndpoint: true (EG v1.8+).";
                add(std::move(f));
            }
        }
    }

    void gateway(const Document& g, std::size_t index) {
        bool hasRoutes = false;
        for (const auto& r : m_c.routes)
            hasRoutes = hasRoutes || attachedToGateway(r, g.meta.name, g.meta.effectiveNamespace());
        if (!hasRoutes)
            return;
        for (const auto& p : m_c.clientPolicies) {
            if (p.meta.effectiveNamespace() != g.meta.effectiveNamespace() || !p.bufferLimit)
                continue;
            for (const auto& t : p.targetRefs)
                if (t.kind.value_or("") == "Gateway" && t.name == g.meta.name)
                    return;
        }
        Finding f = make(finding_id::kNoBufferLimit, Severity::Warning, Kind::Gateway, index, "metadata.name");
        f.title = "no ClientTrafficPolicy sets connection.bufferLimit: request bodies over 32 KiB get 413";
        f.explanation =
            "The AI Gateway's router ext_proc buffers the whole request body to read \"model\", and the body must "
            "also stay buffered for retries. Envoy Gateway's default buffer limit is 32768 bytes, so a longer chat "
            "history fails with 413 Payload Too Large before any routing. The AI Gateway examples set 50Mi on the Gateway.";
        add(std::move(f));
    }

    const Config& m_c;
    std::vector<Finding> m_out;
};

}  // namespace

const char* severityName(Severity severity) {
    switch (severity) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Info: return "info";
    }
    return "info";
}

std::vector<Finding> diagnose(const Config& config) {
    return Doctor(config).run();
}

bool applyFix(Config& config, const Finding& finding) {
    return fix(config, finding).has_value();
}

std::string formatFinding(const Finding& f) {
    std::string out;
    if (!f.where.file.empty()) {
        out += f.where.file;
        if (f.where.line > 0)
            out += ":" + std::to_string(f.where.line) + (f.where.column > 0 ? ":" + std::to_string(f.where.column) : "");
        out += ": ";
    }
    out += std::string(severityName(f.severity)) + "[" + f.id + "]: ";
    if (!f.subject.empty())
        out += f.subject + ": ";
    out += f.title + "\n";
    if (!f.where.path.empty())
        out += "  at " + f.where.path + "\n";
    // Explanations are prose: wrapped at 100 columns so the check report reads in a terminal.
    std::istringstream paragraphs(f.explanation);
    std::string line;
    while (std::getline(paragraphs, line)) {
        std::istringstream words(line);
        std::string word;
        std::string current;
        while (words >> word) {
            if (!current.empty() && current.size() + 1 + word.size() > 98) {
                out += "  " + current + "\n";
                current.clear();
            }
            current += (current.empty() ? "" : " ") + word;
        }
        out += "  " + current + "\n";
    }
    if (!f.fixYaml.empty()) {
        out += "  fix:\n";
        std::istringstream fix(f.fixYaml);
        while (std::getline(fix, line))
            out += "    " + line + "\n";
    }
    return out;
}

}  // namespace aigw::config
