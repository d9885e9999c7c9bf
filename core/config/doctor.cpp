#include "config/doctor.h"

#include <algorithm>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

#include "config/exporter.h"
#include "config/index.h"
#include "config/retry_semantics.h"

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

/// Does BackendTrafficPolicy `p` apply to route `r`? HTTPRoute targets name the generated HTTPRoute
/// (same name as the AIGatewayRoute); Gateway targets cover every route attached to it.
bool inScope(const BackendTrafficPolicy& p, const AIGatewayRoute& r) {
    const std::string ns = p.meta.effectiveNamespace();
    for (const auto& t : p.targetRefs) {
        if (t.kind.value_or("") == "HTTPRoute" && r.meta.name == t.name && r.meta.effectiveNamespace() == ns)
            return true;
        if (t.kind.value_or("") == "Gateway" && attachedToGateway(r, t.name, ns))
            return true;
    }
    return false;
}

/// The routes `p` applies to, in config order.
std::vector<std::size_t> routesInScope(const Config& c, const BackendTrafficPolicy& p) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < c.routes.size(); ++i)
        if (inScope(p, c.routes[i]))
            out.push_back(i);
    return out;
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

const Backend* backendOf(const ConfigIndex& ix, const AIGatewayRoute& r, const BackendRefSpec& ref) {
    const AIServiceBackend* sb = ix.serviceBackend(ref.name, ref.ns.value_or(r.meta.effectiveNamespace()));
    if (!sb)
        return nullptr;
    return ix.backend(sb->backendRef.name, sb->backendRef.ns.value_or(sb->meta.effectiveNamespace()));
}

/// Hosts in the rule's Envoy cluster (every endpoint of every Backend behind a weight > 0 ref),
/// and how many of them are in its first priority.
struct RuleHosts {
    std::string name;  ///< "route rule k"
    int total = 0;
    int first = 0;
    bool fallback = false;
};

RuleHosts hostsInRule(const ConfigIndex& ix, const AIGatewayRoute& r, std::size_t k) {
    const RouteRule& rule = r.rules[k];
    RuleHosts h;
    h.name = r.meta.name + " rule " + std::to_string(k);
    const auto levels = priorityLevels(rule);
    h.fallback = levels.size() > 1;
    for (const auto& ref : rule.backendRefs) {
        if (ref.effectiveWeight() <= 0)
            continue;
        const Backend* b = backendOf(ix, r, ref);
        const int n = b && !b->endpoints.empty() ? static_cast<int>(b->endpoints.size()) : 1;
        h.total += n;
        if (!levels.empty() && ref.effectivePriority() == levels.front())
            h.first += n;
    }
    return h;
}

/// Is `p` the BackendTrafficPolicy Envoy Gateway applies to route `ri`? A policy on the route's
/// HTTPRoute wins over one on its Gateway.
bool governs(const Config& c, const BackendTrafficPolicy& p, std::size_t ri) {
    if (!inScope(p, c.routes[ri]))
        return false;
    if (targetsRouteDirectly(p, c.routes[ri]))
        return true;
    for (const auto& other : c.trafficPolicies)
        if (&other != &p && targetsRouteDirectly(other, c.routes[ri]))
            return false;
    return true;
}

/// The policy that applies to route `ri`, if any.
const BackendTrafficPolicy* governingPolicy(const Config& c, std::size_t ri) {
    for (const auto& p : c.trafficPolicies)
        if (governs(c, p, ri))
            return &p;
    return nullptr;
}

/// Rules of the routes `p` applies to, as (route, rule) indices.
std::vector<std::pair<std::size_t, std::size_t>> governedRules(const Config& c, const BackendTrafficPolicy& p) {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    for (std::size_t ri = 0; ri < c.routes.size(); ++ri)
        if (governs(c, p, ri))
            for (std::size_t k = 0; k < c.routes[ri].rules.size(); ++k)
                out.emplace_back(ri, k);
    return out;
}

/// Envoy keeps a per-try timeout only when it is non-zero and below a non-zero route timeout
/// (router.cc: a per-try timeout >= the global timeout is ignored).
bool perTryKept(Duration perTry, const RouteRule& rule) {
    const Duration rt = rule.effectiveRequestTimeout();
    return perTry > Duration::zero() && (rt == Duration::zero() || perTry < rt);
}

/// A per-try timeout that leaves room for every attempt within the route timeout `rt`: rt / (1 +
/// numRetries) (at least halved), in whole seconds above two seconds.
Duration suggestedPerTry(Duration rt, std::int64_t numRetries) {
    Duration d = rt / std::max<std::int64_t>(2, 1 + numRetries);
    if (d >= secs(2))
        d = std::chrono::duration_cast<std::chrono::seconds>(d);
    else
        d = std::chrono::duration_cast<std::chrono::milliseconds>(d);
    return std::max(d, Duration(ms(1)));
}

/// The per-try timeout suggested for a policy: below the shortest non-zero route timeout it
/// applies to (the AI Gateway's default 60s when it applies to none).
Duration suggestedPerTry(const Config& c, const BackendTrafficPolicy& p) {
    std::optional<Duration> shortest;
    for (const auto& [ri, k] : governedRules(c, p)) {
        const Duration rt = c.routes[ri].rules[k].effectiveRequestTimeout();
        if (rt > Duration::zero() && (!shortest || rt < *shortest))
            shortest = rt;
    }
    return suggestedPerTry(shortest.value_or(secs(60)), p.retry ? p.retry->effectiveNumRetries() : 2);
}

/// Retries needed so that the last priority gets an attempt: N attempts per level before moving on.
std::int64_t retriesNeeded(std::int64_t perPriority, std::size_t levels) {
    return perPriority * static_cast<std::int64_t>(levels - 1);
}

/// Does the policy, with Envoy Gateway's defaults filled in, retry `f`? The one table of the engine.
bool policyRetries(const RetryPolicy& r, FailureClass f, int status = 0) {
    return retries(r.effectiveTriggers(), r.effectiveHttpStatusCodes(), f, status);
}

bool hasTrigger(const RetryPolicy& r, const std::string& name) {
    const auto t = r.effectiveTriggers();
    return std::find(t.begin(), t.end(), name) != t.end();
}

/// Adds a trigger. An empty list means Envoy Gateway's defaults, so they are written out first:
/// pushing onto the empty list would replace them with the one trigger.
void addTrigger(RetryPolicy& r, const std::string& name) {
    r.triggers = r.effectiveTriggers();
    r.hasRetryOn = true;
    if (std::find(r.triggers.begin(), r.triggers.end(), name) == r.triggers.end())
        r.triggers.push_back(name);
}

std::string joinWords(const std::vector<std::string>& words, const char* sep = ", ") {
    std::string out;
    for (const auto& w : words)
        out += (out.empty() ? "" : sep) + w;
    return out;
}

std::string joinCodes(const std::vector<int>& codes) {
    std::string out;
    for (int c : codes)
        out += (out.empty() ? "" : ", ") + std::to_string(c);
    return "[" + out + "]";
}

/// The status codes a fallback policy retries (the doctor's own templates).
const std::vector<int>& fallbackStatusCodes() {
    static const std::vector<int> codes = {500, 502, 503, 504};
    return codes;
}

/// How many hosts of a cluster of `hosts` Envoy may eject at once: it ejects only while
/// 100 x (ejected + 1) / hosts <= max_ejection_percent, or one host with alwaysEjectOneEndpoint
/// (outlier_detection_impl.cc ejectHost).
std::int64_t ejectableHosts(std::int64_t maxPercent, int hosts, bool alwaysEjectOne) {
    const std::int64_t k = hosts > 0 ? maxPercent * hosts / 100 : 0;
    return alwaysEjectOne ? std::max<std::int64_t>(k, 1) : k;
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
    std::string worstRule;         ///< "route rule[i]" naming where the requirement comes from
    std::vector<RuleHosts> hosts;  ///< rules with 2+ hosts, where ejection matters
};

PolicyNeeds needsOf(const Config& c, const ConfigIndex& ix, const BackendTrafficPolicy& p) {
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
            const RuleHosts h = hostsInRule(ix, r, k);
            if (h.total >= 2)
                n.hosts.push_back(h);
        }
    }
    return n;
}

/// Ejections a rule needs: all of priority 0 when it has a fallback (only then does all traffic
/// move to priority 1), else one host.
int ejectionsNeeded(const RuleHosts& h) {
    return h.fallback ? h.first : 1;
}

/// The first rule whose needed ejections the passive health check does not allow, or null.
const RuleHosts* unejectable(const PolicyNeeds& n, const PassiveHealthCheck& hc) {
    for (const auto& h : n.hosts)
        if (ejectableHosts(hc.effectiveMaxEjectionPercent(), h.total, hc.effectiveAlwaysEjectOne()) < ejectionsNeeded(h))
            return &h;
    return nullptr;
}

// What each retry finding checks, shared by detection and by fix() (which must not apply a fix
// to a finding that no longer matches).

/// Finding 3: refused connections are not retried.
bool missesConnectFailure(const RetryPolicy& r) {
    return !policyRetries(r, FailureClass::ConnectRefused);
}

/// Finding 11: listed codes that no trigger retries (retriable-status-codes is the one trigger that
/// reads the list).
std::vector<int> ignoredCodes(const RetryPolicy& r) {
    std::vector<int> out;
    if (hasTrigger(r, "retriable-status-codes"))
        return out;
    for (int code : r.httpStatusCodes)
        if (!policyRetries(r, FailureClass::HttpStatus, code))
            out.push_back(code);
    return out;
}

/// Finding 14: retriable-status-codes with a present but empty code list.
bool statusCodesEmpty(const RetryPolicy& r) {
    return hasTrigger(r, "retriable-status-codes") && r.hasHttpStatusCodes && r.httpStatusCodes.empty();
}

/// Finding 12: the rules where Envoy drops the per-try timeout (>= their non-zero route timeout).
std::vector<std::pair<std::size_t, std::size_t>> perTryDroppedIn(const Config& c, const BackendTrafficPolicy& p) {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    if (!p.retry || !p.retry->perTryTimeout || *p.retry->perTryTimeout <= Duration::zero())
        return out;
    for (const auto& rk : governedRules(c, p))
        if (!perTryKept(*p.retry->perTryTimeout, c.routes[rk.first].rules[rk.second]))
            out.push_back(rk);
    return out;
}

/// Is the policy's per-try timeout in force on some rule it applies to (or, applying to none, at all)?
bool perTryInForce(const Config& c, const BackendTrafficPolicy& p) {
    if (!p.retry || !p.retry->perTryTimeout || *p.retry->perTryTimeout <= Duration::zero())
        return false;
    const auto rules = governedRules(c, p);
    if (rules.empty())
        return true;
    for (const auto& [ri, k] : rules)
        if (perTryKept(*p.retry->perTryTimeout, c.routes[ri].rules[k]))
            return true;
    return false;
}

/// Finding 13: a per-try timeout in force that no trigger retries.
bool perTryUnretried(const Config& c, const BackendTrafficPolicy& p) {
    return perTryInForce(c, p) && !policyRetries(*p.retry, FailureClass::PerTryTimeout);
}

/// Finding 17: rule k of route ri is guarded by a retried per-try timeout and nothing else
/// (no streamIdleTimeout); returns that per-try timeout.
std::optional<Duration> perTryOnlyGuard(const Config& c, std::size_t ri, std::size_t k) {
    const RouteRule& rule = c.routes[ri].rules[k];
    const BackendTrafficPolicy* p = governingPolicy(c, ri);
    if (rule.streamIdleTimeout || !p || !p->retry || !p->retry->perTryTimeout)
        return std::nullopt;
    const Duration pt = *p->retry->perTryTimeout;
    if (!perTryKept(pt, rule) || !policyRetries(*p->retry, FailureClass::PerTryTimeout))
        return std::nullopt;
    return pt;
}

/// Applies the fix of `f` to `c`, changing only the one object it returns (a new one is appended).
/// `ix` indexes `c` (fixes change no names, so it stays valid).
std::optional<Changed> fix(Config& c, const ConfigIndex& ix, const Finding& f) {
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
            if (!missesConnectFailure(*p.retry))
                return std::nullopt;
            addTrigger(*p.retry, "connect-failure");
            return here;
        }
        if (id == finding_id::kTooFewRetries) {
            const PolicyNeeds n = needsOf(c, ix, p);
            const std::int64_t need = retriesNeeded(p.retry->numAttemptsPerPriority.value_or(0), n.maxLevels);
            if (n.maxLevels < 2 || p.retry->effectiveNumRetries() >= need)
                return std::nullopt;
            p.retry->numRetries = need;
            return here;
        }
        if (id == finding_id::kStatusCodesIgnored) {
            if (ignoredCodes(*p.retry).empty())
                return std::nullopt;
            addTrigger(*p.retry, "retriable-status-codes");
            return here;
        }
        if (id == finding_id::kStatusCodesEmpty) {
            if (!statusCodesEmpty(*p.retry))
                return std::nullopt;
            p.retry->httpStatusCodes = fallbackStatusCodes();
            return here;
        }
        if (id == finding_id::kRetryDefaultTriggers) {
            if (!p.retry->triggers.empty())
                return std::nullopt;
            // Spelled out, nothing changes in Envoy: the same triggers and codes, now visible.
            p.retry->triggers = p.retry->effectiveTriggers();
            p.retry->httpStatusCodes = p.retry->effectiveHttpStatusCodes();
            p.retry->hasHttpStatusCodes = true;
            p.retry->hasRetryOn = true;
            return here;
        }
        if (id == finding_id::kPerTryTimeoutDropped) {
            if (perTryDroppedIn(c, p).empty())
                return std::nullopt;
            p.retry->perTryTimeout = suggestedPerTry(c, p);
            return here;
        }
        if (id == finding_id::kPerTryTimeoutNotRetried) {
            if (!perTryUnretried(c, p))
                return std::nullopt;
            addTrigger(*p.retry, "reset");
            return here;
        }
        if (id == finding_id::kEjectionImpossible) {
            if (!p.passive || !unejectable(needsOf(c, ix, p), *p.passive))
                return std::nullopt;
            // As the official docs do (AI Gateway PR #642): the whole of priority 0 may be ejected.
            p.passive->maxEjectionPercent = 100;
            return here;
        }
        return std::nullopt;
    }
    if (f.subjectKind == Kind::AIGatewayRoute && id == finding_id::kPerTryTimeoutMissesStreams) {
        if (f.rule < 0 || static_cast<std::size_t>(f.rule) >= c.routes[f.subjectIndex].rules.size())
            return std::nullopt;
        const auto k = static_cast<std::size_t>(f.rule);
        const auto pt = perTryOnlyGuard(c, f.subjectIndex, k);
        if (!pt)
            return std::nullopt;
        // The silence allowed between chunks: as long as a whole attempt may wait for its headers.
        c.routes[f.subjectIndex].rules[k].streamIdleTimeout = *pt;
        return Changed{Kind::AIGatewayRoute, f.subjectIndex};
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
        retry.hasHttpStatusCodes = true;
        retry.httpStatusCodes = fallbackStatusCodes();
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
    explicit Doctor(const Config& c) : m_c(c), m_ix(c) {}

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
        f.where = m_ix.locate(kind, index, path);
        return f;
    }

    /// The fix snippet is the fixed object, exported. Each fix is applied to one scratch copy of
    /// the config (made once), exported, then undone, so a finding costs its object, not the config.
    void add(Finding f) {
        if (f.fixYaml.empty()) {
            Scratch& s = scratch();
            if (auto changed = fix(s.config, *s.index, f)) {
                f.fixYaml = exportObject(s.config, changed->kind, changed->index);
                s.undo(m_c, *changed);
            }
        }
        m_out.push_back(std::move(f));
    }

    struct Scratch {
        Config config;
        std::unique_ptr<ConfigIndex> index;

        explicit Scratch(const Config& c) {
            config.routes = c.routes;
            config.serviceBackends = c.serviceBackends;
            config.backends = c.backends;
            config.trafficPolicies = c.trafficPolicies;
            config.clientPolicies = c.clientPolicies;
            config.inferenceServices = c.inferenceServices;
            // Export reads each document's raw node (its tree shared, not copied).
            config.documents.reserve(c.documents.size());
            for (const auto& d : c.documents) {
                Document light;
                light.kind = d.kind;
                light.apiVersion = d.apiVersion;
                light.kindName = d.kindName;
                light.meta = d.meta;
                light.where = d.where;
                light.tree = d.tree;
                light.raw = d.raw;
                config.documents.push_back(std::move(light));
            }
            index = std::make_unique<ConfigIndex>(config);
        }

        /// Puts back the object a fix changed, and drops an object it added.
        void undo(const Config& original, const Changed& changed) {
            auto restore = [&](auto& mine, const auto& theirs) {
                if (changed.index < theirs.size())
                    mine[changed.index] = theirs[changed.index];
                mine.resize(theirs.size(), {});
            };
            switch (changed.kind) {
            case Kind::AIGatewayRoute: restore(config.routes, original.routes); break;
            case Kind::AIServiceBackend: restore(config.serviceBackends, original.serviceBackends); break;
            case Kind::Backend: restore(config.backends, original.backends); break;
            case Kind::BackendTrafficPolicy: restore(config.trafficPolicies, original.trafficPolicies); break;
            case Kind::ClientTrafficPolicy: restore(config.clientPolicies, original.clientPolicies); break;
            case Kind::InferenceService: restore(config.inferenceServices, original.inferenceServices); break;
            default: break;
            }
        }
    };

    Scratch& scratch() {
        if (!m_scratch)
            m_scratch = std::make_unique<Scratch>(m_c);
        return *m_scratch;
    }

    void route(std::size_t i) {
        const auto& r = m_c.routes[i];
        // Finding 2: fallback declared, no retry policy reaches the route.
        bool anyFallback = false;
        for (const auto& rule : r.rules)
            anyFallback = anyFallback || hasFallback(rule);
        if (anyFallback) {
            // A policy on the route's HTTPRoute replaces one on its Gateway, retry block included.
            const BackendTrafficPolicy* governing = governingPolicy(m_c, i);
            if (!governing || !governing->retry) {
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
                if (const Backend* b = backendOf(m_ix, r, ref))
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
                    if (const Backend* b = backendOf(m_ix, r, ref))
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
            ruleTimeoutFindings(i, k);
        }
    }

    /// Findings 15 (0s route and idle timeouts) and 17 (streams guarded by a per-try timeout only)
    /// on rule k of route i.
    void ruleTimeoutFindings(std::size_t i, std::size_t k) {
        const auto& rule = m_c.routes[i].rules[k];
        const std::string rp = "spec.rules[" + std::to_string(k) + "]";
        const Duration rt = rule.effectiveRequestTimeout();
        const std::string rtText = rt > Duration::zero() ? "the route timeout (" + formatDuration(rt) + ")"
                                                         : "the route timeout, which is disabled too";
        const auto zero = [](const std::optional<Duration>& d) { return d && *d <= Duration::zero(); };
        const auto timeoutsSnippet = [&](Duration request) {
            YAML::Node snippet(YAML::NodeType::Map);
            snippet["timeouts"]["request"] = formatDuration(request);
            return emitNode(snippet);
        };
        const std::string disabledMeaning =
            "no deadline covers the request's attempts, connects and backoffs: a backend that accepts the request "
            "and never answers holds the client until the client gives up, unless a per-try timeout, the connect "
            "timeout or a stream idle timeout ends the attempt. That is a choice (long generations), not an error.";
        if (zero(rule.requestTimeout)) {
            Finding f = make(finding_id::kTimeoutDisabled, Severity::Info, Kind::AIGatewayRoute, i, rp + ".timeouts.request");
            f.rule = static_cast<int>(k);
            if (rt > Duration::zero()) {
                f.title = "timeouts.request: 0s has no effect: timeouts.backendRequest " + formatDuration(rt) +
                          " is the route timeout";
                f.explanation =
                    "On AI Gateway rules (which carry no Gateway API retry) timeouts.backendRequest becomes Envoy's route "
                    "timeout and replaces timeouts.request, so the request is still bounded by " + formatDuration(rt) +
                    ". A 0s timeouts.request alone would disable the route timeout.";
            } else {
                f.title = "timeouts.request: 0s disables the route timeout";
                f.explanation =
                    "In Envoy a route timeout of 0 disables it (\"A value of 0 will disable the route's timeout\"). "
                    "The AI Gateway writes timeouts.request on every rule it generates, 60s when unset; with 0s " +
                    disabledMeaning;
            }
            f.fixYaml = timeoutsSnippet(secs(60));
            add(std::move(f));
        }
        if (zero(rule.backendRequestTimeout)) {
            Finding f = make(finding_id::kTimeoutDisabled, Severity::Info, Kind::AIGatewayRoute, i,
                             rp + ".timeouts.backendRequest");
            f.rule = static_cast<int>(k);
            f.title = "timeouts.backendRequest: 0s disables the route timeout";
            f.explanation =
                "On AI Gateway rules (which carry no Gateway API retry) timeouts.backendRequest becomes Envoy's route "
                "timeout, replacing timeouts.request" +
                (rule.requestTimeout ? " (" + formatDuration(*rule.requestTimeout) + ")" : std::string()) +
                ", and in Envoy a route timeout of 0 disables it: " + disabledMeaning +
                " Remove backendRequest to get timeouts.request back.";
            f.fixYaml = timeoutsSnippet(rule.requestTimeout && *rule.requestTimeout > Duration::zero() ? *rule.requestTimeout
                                                                                                     : secs(60));
            add(std::move(f));
        }
        if (zero(rule.streamIdleTimeout)) {
            Finding f = make(finding_id::kTimeoutDisabled, Severity::Info, Kind::AIGatewayRoute, i, rp + ".streamIdleTimeout");
            f.rule = static_cast<int>(k);
            f.title = "streamIdleTimeout: 0s disables the stream idle timeout on this rule";
            f.explanation =
                "A route idle timeout of 0 disables Envoy's idle timeout for the route completely, even the connection "
                "manager's stream idle timeout (5 minutes by default). A backend that goes silent, before its first "
                "byte or in the middle of a stream, is then ended only by " + rtText +
                ". That is a choice, not an error; 5m is what applies when the field is omitted.";
            YAML::Node snippet(YAML::NodeType::Map);
            snippet["streamIdleTimeout"] = "5m";
            f.fixYaml = emitNode(snippet);
            add(std::move(f));
        }
        // Finding 17: a retried per-try timeout is the rule's only guard, and it ends at the headers.
        if (const auto pt = perTryOnlyGuard(m_c, i, k)) {
            const BackendTrafficPolicy* p = governingPolicy(m_c, i);
            Finding f = make(finding_id::kPerTryTimeoutMissesStreams, Severity::Info, Kind::AIGatewayRoute, i,
                             rp + ".streamIdleTimeout");
            f.rule = static_cast<int>(k);
            f.title = "only perRetry.timeout " + formatDuration(*pt) +
                      " guards this rule, and it ends at the response headers: a stalled stream is not cut or failed over";
            f.explanation =
                "BackendTrafficPolicy " + p->meta.name + " retries a per-try timeout (its triggers: " +
                joinWords(p->retry->effectiveTriggers()) +
                "), so a backend that is slow to answer fails over. But Envoy stops applying the per-try timeout once "
                "response headers have gone to the client (\"ignored upstream per try timeout due to already started "
                "downstream response\"), and a model server answering `stream: true` sends its headers when the stream "
                "starts, with or before the first token. From then on the client holds a 200: Envoy can no longer "
                "retry or fail over, and a stream that stalls runs until " + rtText +
                " ends it, or 5 minutes of silence (the connection manager's stream idle timeout). A streamIdleTimeout on the rule (as in "
                "the AI Gateway's stream_idle_timeout example) bounds the silence: before the headers it is a reset "
                "that " + std::string(policyRetries(*p->retry, FailureClass::IdleTimeout) ? "these triggers retry" : "is not retried") +
                ", so a silent backend fails over; after them it ends the stalled stream early, and the client has to "
                "retry it. Nothing fails a stream over once its headers went out.";
            add(std::move(f));
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
        const PolicyNeeds needs = needsOf(m_c, m_ix, p);
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

        if (p.retry)
            retryFindings(i, needs, shadowedBy);

        // Finding 5: a passive health check that cannot eject what the fallback needs ejected.
        if (p.passive) {
            if (const RuleHosts* h = unejectable(needs, *p.passive)) {
                const std::int64_t maxPct = p.passive->effectiveMaxEjectionPercent();
                const std::int64_t allowed = ejectableHosts(maxPct, h->total, p.passive->effectiveAlwaysEjectOne());
                Finding f = make(finding_id::kEjectionImpossible, Severity::Warning, Kind::BackendTrafficPolicy, i,
                                 p.passive->maxEjectionPercent ? "spec.healthCheck.passive.maxEjectionPercent"
                                                               : "spec.healthCheck.passive");
                const std::string hosts = std::to_string(h->total);
                if (allowed == 0) {
                    f.title = "maxEjectionPercent " + std::to_string(maxPct) + " never allows an ejection with " + hosts + " hosts";
                    f.explanation =
                        "Envoy ejects a host only if 100 x (ejected + 1) / hosts <= max_ejection_percent, counted over "
                        "every host of the rule's cluster, all priorities (outlier_detection_impl.cc). Ejecting one of " +
                        hosts + " hosts (" + h->name + ") is " + std::to_string(100 / h->total) + "%, above " +
                        std::to_string(maxPct) + "% (Envoy Gateway's default is 10), so nothing is ever ejected and "
                        "traffic never shifts to the fallback on its own.";
                } else {
                    f.title = "maxEjectionPercent " + std::to_string(maxPct) + " ejects at most " + std::to_string(allowed) +
                              " of " + hosts + " hosts: the " + std::to_string(h->first) +
                              " priority-0 hosts are never all ejected";
                    f.explanation =
                        "Envoy ejects a host only if 100 x (ejected + 1) / hosts <= max_ejection_percent, counted over "
                        "every host of the rule's cluster, all priorities (outlier_detection_impl.cc). In " + h->name +
                        " that allows " + std::to_string(allowed) + " ejected host(s) of " + hosts + ", fewer than the " +
                        std::to_string(h->first) + " hosts of priority 0, so priority 0 is never emptied: it keeps "
                        "min(100, 1.4 x its healthy share) of the traffic and failing hosts keep getting requests.";
                }
                f.explanation +=
                    " Set maxEjectionPercent to 100, as the AI Gateway's provider fallback docs do, so that the whole "
                    "of priority 0 can be ejected and its traffic moves to priority 1 until the ejection time is over" +
                    std::string(h->fallback ? "." : " (alwaysEjectOneEndpoint: true, EG v1.8+, ejects a single host).");
                add(std::move(f));
            }
        }
    }

    /// Findings 1, 3, 4, 11-16 on the retry block of policy `i`.
    void retryFindings(std::size_t i, const PolicyNeeds& needs, const std::string& shadowedBy) {
        const auto& p = m_c.trafficPolicies[i];
        const auto& r = *p.retry;
        const std::vector<std::string> triggers = r.effectiveTriggers();
        const std::string triggerList = joinWords(triggers);
        // Finding 1: fallback declared, retries never leave priority 0.
        if (needs.anyFallback && r.numAttemptsPerPriority.value_or(0) <= 0) {
            Finding f = make(finding_id::kRetryStaysOnPriority0, Severity::Warning, Kind::BackendTrafficPolicy, i, "spec.retry");
            const std::string dns = formatDuration(p.dnsRefreshRate.value_or(secs(30)));
            f.title = "retry has no numAttemptsPerPriority: retries never leave priority 0, so fallback never happens";
            f.explanation =
                "Routes under this policy (" + needs.worstRule +
                ") have backendRefs with priority > 0. Envoy moves a retry to the next priority only with "
                "retry_priority previous_priorities, which Envoy Gateway emits only when numAttemptsPerPriority "
                "> 0 (EG v1.5+). Without it every attempt (1 + numRetries = " +
                std::to_string(1 + r.effectiveNumRetries()) +
                ") goes to priority 0; when it refuses connections the client gets 503. Priority 1 is used only "
                "after a passive health check ejects priority 0, or once priority 0 has no host at all.\n"
                "That is why deleting the primary (`kubectl delete inferenceservice`) seems to fall back while a "
                "crashed one does not. After a delete, Envoy keeps the Backend's old address until its next DNS "
                "resolution (every " + dns + ", dns.dnsRefreshRate; sooner with a shorter record TTL): until then "
                "connects to it time out (" + formatDuration(p.effectiveConnectTimeout()) +
                ", timeout.tcp.connectTimeout) on every attempt: a request stalls, and fails with 503 when all its "
                "attempts time out before the refresh (a later attempt goes to priority 1); then the name no longer "
                "resolves, Envoy removes the host, priority 0 is empty and priority 1 answers at once. A crashed or "
                "stopped primary whose "
                "Service still exists keeps resolving and never gets there: its clients get 503 until it is back." +
                shadowedBy;
            add(std::move(f));
        }
        // Finding 3: refused connections are not retried.
        if (missesConnectFailure(r)) {
            Finding f = make(finding_id::kRetryMissesConnectFailure, Severity::Warning, Kind::BackendTrafficPolicy, i,
                             "spec.retry.retryOn.triggers");
            f.title = "retryOn has no connect-failure: a stopped or deleted backend is not retried";
            f.explanation =
                "A backend that is down refuses the connection (or, black-holed or just deleted, lets it time out), "
                "so there is no upstream response and no status code: `retriable-status-codes` never matches it. "
                "Envoy retries a connection failure only under " +
                joinWords(triggersRetrying(FailureClass::ConnectRefused)) + "; with " + triggerList +
                " the client gets 503 instead of a fallback.";
            add(std::move(f));
        }
        // Finding 11: status codes without the trigger that reads them.
        if (const auto ignored = ignoredCodes(r); !ignored.empty()) {
            Finding f = make(finding_id::kStatusCodesIgnored, Severity::Warning, Kind::BackendTrafficPolicy, i,
                             "spec.retry.retryOn.httpStatusCodes");
            f.title = "httpStatusCodes are listed but the retriable-status-codes trigger is missing";
            f.explanation = "Envoy consults retriable_status_codes only for the retriable-status-codes trigger, so "
                            "responses with " + joinCodes(ignored) + " are never retried (the triggers " + triggerList +
                            " do not cover them).";
            add(std::move(f));
        }
        // Finding 14: retriable-status-codes with nothing to match.
        if (statusCodesEmpty(r)) {
            Finding f = make(finding_id::kStatusCodesEmpty, Severity::Warning, Kind::BackendTrafficPolicy, i,
                             "spec.retry.retryOn.httpStatusCodes");
            std::vector<int> stillRetried;
            for (int code : fallbackStatusCodes())
                if (policyRetries(r, FailureClass::HttpStatus, code))
                    stillRetried.push_back(code);
            f.title = "retriable-status-codes with an empty httpStatusCodes list retries no status code";
            f.explanation =
                "Envoy Gateway passes retryOn.httpStatusCodes to Envoy as given: a present but empty list replaces "
                "the default [503] with nothing, so the retriable-status-codes trigger never matches and an error "
                "response from priority 0 (a 503 from an overloaded model server, a 500) goes to the client instead "
                "of to the fallback." +
                (stillRetried.empty() ? std::string()
                                      : " Of " + joinCodes(fallbackStatusCodes()) + ", only " + joinCodes(stillRetried) +
                                            " are still retried, by the other triggers (" + triggerList + ").") +
                " List the codes to retry, or remove httpStatusCodes to get the default [503].";
            add(std::move(f));
        }
        // Finding 4: not enough retries to reach the last priority.
        const std::int64_t perPriority = r.numAttemptsPerPriority.value_or(0);
        if (perPriority > 0 && needs.maxLevels > 1 && r.effectiveNumRetries() < retriesNeeded(perPriority, needs.maxLevels)) {
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
        perTryFindings(i);
        // Finding 16: the triggers are Envoy Gateway's defaults, which the YAML does not show.
        if (r.triggers.empty()) {
            Finding f = make(finding_id::kRetryDefaultTriggers, Severity::Info, Kind::BackendTrafficPolicy, i,
                             r.hasRetryOn ? "spec.retry.retryOn" : "spec.retry");
            const std::vector<int> codes = r.effectiveHttpStatusCodes();
            f.title = std::string(r.hasRetryOn ? "retryOn has no triggers" : "retry has no retryOn") +
                      ": Envoy Gateway's defaults apply (" + triggerList + ", codes " + joinCodes(codes) + ")";
            f.explanation =
                "Whenever a BackendTrafficPolicy has `retry`, Envoy Gateway sets Envoy's retry_on to " + triggerList +
                " with retriable status codes [503]; retryOn.triggers replaces the triggers only when it is non-empty, "
                "and retryOn.httpStatusCodes replaces the codes as given (internal/xds/translator/route.go "
                "buildRetryPolicy).";
            for (const auto& t : triggers)
                if (const TriggerRow* row = findTrigger(t))
                    f.explanation += std::string("\n") + row->name + ": " + row->note + ".";
            std::vector<std::string> retried;
            std::vector<std::string> notRetried;
            for (FailureClass fc : {FailureClass::ConnectRefused, FailureClass::ConnectTimeout, FailureClass::Reset,
                                    FailureClass::PerTryTimeout, FailureClass::IdleTimeout})
                (policyRetries(r, fc) ? retried : notRetried).emplace_back(describe(fc));
            for (int code : {500, 502, 503, 504, 429})
                (policyRetries(r, FailureClass::HttpStatus, code) ? retried : notRetried).push_back(std::to_string(code));
            f.explanation += "\nSo this policy retries: " + joinWords(retried) + "; and not: " + joinWords(notRetried) +
                             ". The fix writes the same defaults out; add gateway-error or reset to retry more.";
            add(std::move(f));
        }
    }

    /// Findings 12, 13 and 15 (perRetry.timeout: 0s) on policy `i`.
    void perTryFindings(std::size_t i) {
        const auto& p = m_c.trafficPolicies[i];
        const auto& r = *p.retry;
        if (!r.perTryTimeout)
            return;
        const Duration pt = *r.perTryTimeout;
        const std::string ptText = formatDuration(pt);
        const std::string path = "spec.retry.perRetry.timeout";
        const auto rules = governedRules(m_c, p);
        const auto ruleName = [&](std::size_t ri, std::size_t k) {
            return m_c.routes[ri].meta.name + " rule " + std::to_string(k);
        };
        const auto routeTimeoutText = [&](std::size_t ri, std::size_t k) {
            const Duration rt = m_c.routes[ri].rules[k].effectiveRequestTimeout();
            return rt > Duration::zero() ? formatDuration(rt) : std::string("0s, disabled");
        };
        if (pt <= Duration::zero()) {
            // Finding 15 (per-try): 0s means none.
            Finding f = make(finding_id::kTimeoutDisabled, Severity::Info, Kind::BackendTrafficPolicy, i, path);
            f.title = "perRetry.timeout: 0s disables the per-try timeout";
            f.explanation =
                "Envoy treats a per-try timeout of 0 as none, as if the field were omitted: each attempt may wait for "
                "its response headers until the route timeout" +
                (rules.empty() ? std::string() : " (" + routeTimeoutText(rules.front().first, rules.front().second) + " on " +
                                                     ruleName(rules.front().first, rules.front().second) + ")") +
                " ends the whole request with 504, so a slow backend is never retried on a timeout. That is a "
                "choice, not an error; to bound each attempt, set a value below the route timeout.";
            YAML::Node snippet(YAML::NodeType::Map);
            snippet["retry"]["perRetry"]["timeout"] = formatDuration(suggestedPerTry(m_c, p));
            f.fixYaml = emitNode(snippet);
            add(std::move(f));
            return;
        }
        // Finding 12: not below the route timeout, so Envoy drops it.
        if (const auto dropped = perTryDroppedIn(m_c, p); !dropped.empty()) {
            const auto [ri, k] = dropped.front();
            const std::string rt = formatDuration(m_c.routes[ri].rules[k].effectiveRequestTimeout());
            Finding f = make(finding_id::kPerTryTimeoutDropped, Severity::Warning, Kind::BackendTrafficPolicy, i, path);
            f.title = "perRetry.timeout " + ptText + " is not below the route timeout " + rt + " of " + ruleName(ri, k) +
                      ": Envoy drops it";
            std::string names;
            for (const auto& [dri, dk] : dropped)
                names += (names.empty() ? "" : ", ") + ruleName(dri, dk);
            f.explanation =
                "Envoy ignores a per-try timeout that is greater than or equal to the route's timeout when that is "
                "non-zero, so attempts on " + names + " have no per-try timeout at all: a slow backend holds the "
                "request until the route timeout (" + rt + ") ends it with 504, and no retry happens. The route "
                "timeout is the rule's timeouts.backendRequest, else timeouts.request, which the AI Gateway sets to "
                "60s when unset; it covers every attempt, connect and backoff. Set perRetry.timeout below it, with "
                "room for the retries (here " + formatDuration(suggestedPerTry(m_c, p)) +
                ": the route timeout / (1 + numRetries)), or raise the route timeout.";
            add(std::move(f));
        }
        // Finding 13: a per-try timeout in force that nothing retries.
        if (perTryUnretried(m_c, p)) {
            Finding f = make(finding_id::kPerTryTimeoutNotRetried, Severity::Warning, Kind::BackendTrafficPolicy, i, path);
            f.title = "perRetry.timeout " + ptText + " is not retried by " + joinWords(r.effectiveTriggers()) +
                      ": a slow backend gives the client 504, not a fallback";
            f.explanation =
                "Envoy arms the per-try timeout once the connection is ready and the request sent (connect time is "
                "not covered: the connect timeout bounds it). When it fires before the response headers, the attempt "
                "is reset locally, with no status code: only " + joinWords(triggersRetrying(FailureClass::PerTryTimeout)) +
                " retry that, not connect-failure or retriable-status-codes. With " + joinWords(r.effectiveTriggers()) +
                " the timed-out attempt is the last one: the client gets 504 \"upstream request timeout\" and the "
                "fallback is never tried. Add reset (or gateway-error, which also retries 502, 503 and 504 responses). "
                "Once response headers have gone to the client the per-try timeout no longer applies.";
            add(std::move(f));
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
    const ConfigIndex m_ix;
    std::unique_ptr<Scratch> m_scratch;
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
    const ConfigIndex index(config);
    return fix(config, index, finding).has_value();
}

Config applyAllFixes(Config config, std::vector<std::string>* applied) {
    // Bounded, in case a fix ever failed to remove its own finding.
    for (int pass = 0; pass < 64; ++pass) {
        bool fixed = false;
        for (const auto& f : diagnose(config)) {
            if (f.severity == Severity::Info)
                continue;
            Config probe = config;
            if (applyFix(probe, f)) {
                config = std::move(probe);
                if (applied)
                    applied->push_back(f.title);
                fixed = true;
                break;
            }
        }
        if (!fixed)
            break;
    }
    return config;
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
