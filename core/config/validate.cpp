#include "config/validate.h"

#include <algorithm>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <tuple>

#include "config/index.h"

namespace aigw::config {
namespace {

// Patterns copied from the CRD schemas in the reference folder. The DNS and header name ones run
// per endpoint, reference and header (thousands of times in a cluster's config), so they are plain
// loops rather than std::regex; each names the pattern it implements.

bool isLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

/// ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
bool isDnsLabel(std::string_view s) {
    return !s.empty() && isLowerAlnum(s.front()) && isLowerAlnum(s.back()) &&
           std::all_of(s.begin(), s.end(), [](char c) { return isLowerAlnum(c) || c == '-'; });
}

/// ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
bool isDnsSubdomain(std::string_view s) {
    while (true) {
        const auto dot = s.find('.');
        if (!isDnsLabel(s.substr(0, dot)))
            return false;
        if (dot == std::string_view::npos)
            return true;
        s.remove_prefix(dot + 1);
    }
}

/// ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\.?$
bool isFqdnHostname(std::string_view s) {
    if (!s.empty() && s.back() == '.')
        s.remove_suffix(1);
    return isDnsSubdomain(s);
}

/// ^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$
bool isHeaderName(std::string_view s) {
    static constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               kSymbols.find(c) != std::string_view::npos;
    });
}

const std::regex& ipAddress() {
    static const std::regex re(
        R"(^((25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)$|^(([0-9a-fA-F]{1,4}:){1,7}[0-9a-fA-F]{1,4}|::|(([0-9a-fA-F]{1,4}:){0,5})?(:[0-9a-fA-F]{1,4}){1,2})$)");
    return re;
}
const std::regex& quantity() {
    static const std::regex re(R"(^[1-9]+[0-9]*([EPTGMK]i|[EPTGMk])?$)");
    return re;
}

const std::set<std::string> kSchemaNames = {"OpenAI",       "Cohere",      "AWSBedrock", "AzureOpenAI",
                                            "GCPVertexAI",  "GCPAnthropic", "Anthropic", "AWSAnthropic"};
const std::set<std::string> kTriggers = {"5xx",       "gateway-error",         "reset",     "reset-before-request",
                                         "connect-failure", "retriable-4xx", "refused-stream",
                                         "retriable-status-codes", "cancelled", "deadline-exceeded", "internal",
                                         "resource-exhausted", "unavailable"};
const std::set<std::string> kCostTypes = {"OutputToken",  "InputToken",     "CachedInputToken", "CacheCreationInputToken",
                                          "TotalToken",   "ReasoningToken", "CEL"};
/// Field names of the CRD schemas (unknownFields); built once, checked per object.
using FieldSet = std::set<std::string, std::less<>>;
const FieldSet kRouteSpecFields = {"parentRefs", "hostnames", "rules",       "llmRequestCosts",
                                   "targetRefs", "schema",    "filterConfig"};
const FieldSet kRuleFields = {"name",          "matches",      "backendRefs",    "timeouts",
                              "streamIdleTimeout", "modelsOwnedBy", "modelsCreatedAt"};
const FieldSet kBackendRefFields = {"name",           "namespace",    "group",  "kind",    "modelNameOverride",
                                    "headerMutation", "bodyMutation", "weight", "priority"};
const FieldSet kServiceBackendSpecFields = {"schema", "backendRef", "headerMutation", "bodyMutation"};


std::string joinSet(const std::set<std::string>& s) {
    std::string out;
    for (const auto& v : s)
        out += (out.empty() ? "" : ", ") + v;
    return out;
}

RawNode child(const RawNode& map, std::string_view key) { return map.child(key); }

bool has(const RawNode& map, std::string_view key) {
    const RawNode n = child(map, key);
    return n.isDefined() && !n.isNull();
}

/// Reports field names the CRD schema does not have (kubectl's strict field validation rejects them).
void unknownFields(const RawNode& map, const FieldSet& known, const std::string& path,
                   const std::function<void(const std::string&, const std::string&)>& report) {
    if (!map.isMap())
        return;
    for (std::size_t i = 0; i < map.size(); ++i) {
        const RawNode k = map.key(i);
        if (!k.isScalar())
            continue;
        const std::string_view key = k.scalar();
        if (!known.count(key))
            report(path.empty() ? std::string(key) : path + "." + std::string(key), "unknown field (not in the CRD schema)");
    }
}

class Validator {
public:
    explicit Validator(const Config& c) : m_c(c), m_ix(c) {}

    std::vector<Error> run() {
        duplicates();
        for (std::size_t i = 0; i < m_c.routes.size(); ++i)
            route(i);
        for (std::size_t i = 0; i < m_c.serviceBackends.size(); ++i)
            serviceBackend(i);
        for (std::size_t i = 0; i < m_c.backends.size(); ++i)
            backend(i);
        for (std::size_t i = 0; i < m_c.trafficPolicies.size(); ++i)
            trafficPolicy(i);
        for (std::size_t i = 0; i < m_c.clientPolicies.size(); ++i)
            clientPolicy(i);
        // Document order reads best: sort by file position, keeping check order within a line.
        std::stable_sort(m_errors.begin(), m_errors.end(), [this](const Error& a, const Error& b) {
            const auto ka = std::make_tuple(fileRank(a.where.file), a.where.line, a.where.column);
            const auto kb = std::make_tuple(fileRank(b.where.file), b.where.line, b.where.column);
            return ka < kb;
        });
        return std::move(m_errors);
    }

private:
    std::size_t fileRank(const std::string& file) const { return m_ix.fileRank(file); }

    void report(Kind kind, std::size_t i, const std::string& path, const std::string& message) {
        m_errors.push_back(Error{m_ix.locate(kind, i, path), message});
    }
    void reportReference(Kind kind, std::size_t i, const std::string& path, const std::string& message) {
        m_errors.push_back(Error{m_ix.locate(kind, i, path), message, true});
    }

    RawNode raw(Kind kind, std::size_t i) const {
        const Document* d = m_ix.document(kind, i);
        return d ? d->raw : RawNode();
    }

    bool gatewayExists(const std::string& name, const std::string& ns) const { return m_ix.hasGateway(name, ns); }

    bool httpRouteExists(const std::string& name, const std::string& ns) const { return m_ix.hasHttpRoute(name, ns); }

    void duplicates() {
        std::map<std::tuple<std::string, std::string, std::string, std::string>, const Document*> seen;
        std::map<Kind, std::size_t> counts;
        for (const auto& d : m_c.documents) {
            if (d.meta.name.empty() || d.kindName.empty())
                continue;
            const std::string group = d.apiVersion.substr(0, d.apiVersion.find('/'));
            const auto key = std::make_tuple(group, d.kindName, d.meta.effectiveNamespace(), d.meta.name);
            auto [it, inserted] = seen.emplace(key, &d);
            if (!inserted) {
                const auto& first = it->second->where;
                m_errors.push_back(Error{d.locate("metadata.name"),
                                         "duplicate " + d.kindName + " " + d.meta.effectiveNamespace() + "/" +
                                             d.meta.name + " (first defined at " + first.file + ":" +
                                             std::to_string(first.line) + ")"});
            }
        }
    }

    void route(std::size_t i) {
        const auto& r = m_c.routes[i];
        const Kind k = Kind::AIGatewayRoute;
        const RawNode spec = child(raw(k, i), "spec");
        if (spec.isDefined()) {
            if (has(spec, "targetRefs"))
                report(k, i, "spec.targetRefs",
                       "field was removed from AIGatewayRoute (deprecated in v0.3, gone since v0.4); use parentRefs");
            if (has(spec, "schema"))
                report(k, i, "spec.schema",
                       "field was removed from AIGatewayRoute; the schema belongs on each AIServiceBackend");
            if (has(spec, "filterConfig"))
                report(k, i, "spec.filterConfig", "field was removed from AIGatewayRoute");
            auto rep = [&](const std::string& p, const std::string& m) { report(k, i, p, m); };
            unknownFields(spec, kRouteSpecFields, "spec", rep);
            if (spec.isMap() && !has(spec, "rules"))
                report(k, i, "spec.rules", "is required");
            const RawNode rules = child(spec, "rules");
            if (rules.isSequence())
                for (std::size_t ri = 0; ri < rules.size(); ++ri) {
                    const std::string rp = "spec.rules[" + std::to_string(ri) + "]";
                    unknownFields(rules[ri], kRuleFields, rp, rep);
                    const RawNode refs = child(rules[ri], "backendRefs");
                    if (!refs.isSequence())
                        continue;
                    for (std::size_t bi = 0; bi < refs.size(); ++bi) {
                        const std::string bp = rp + ".backendRefs[" + std::to_string(bi) + "]";
                        unknownFields(refs[bi], kBackendRefFields, bp, rep);
                        if (has(refs[bi], "group") != has(refs[bi], "kind"))
                            report(k, i, bp, "group and kind must be specified together");
                        else if (has(refs[bi], "group") &&
                                 (child(refs[bi], "group").scalar() != "inference.networking.k8s.io" ||
                                  child(refs[bi], "kind").scalar() != "InferencePool"))
                            report(k, i, bp + ".group", "only InferencePool from inference.networking.k8s.io group is supported");
                    }
                }
            const RawNode costs = child(spec, "llmRequestCosts");
            if (costs.isSequence())
                for (std::size_t ci = 0; ci < costs.size(); ++ci) {
                    const std::string cp = "spec.llmRequestCosts[" + std::to_string(ci) + "]";
                    if (!has(costs[ci], "metadataKey"))
                        report(k, i, cp + ".metadataKey", "is required");
                    const RawNode t = child(costs[ci], "type");
                    if (!t.isDefined() || t.isNull())
                        report(k, i, cp + ".type", "is required");
                    else if (!t.isScalar() || !kCostTypes.count(std::string(t.scalar())))
                        report(k, i, cp + ".type", "must be one of " + joinSet(kCostTypes));
                }
        }

        if (r.rules.size() > 15)
            report(k, i, "spec.rules",
                   "must have at most 15 items (has " + std::to_string(r.rules.size()) +
                       "); the controller reserves one slot for its route-not-found rule");
        for (std::size_t p = 0; p < r.parentRefs.size(); ++p) {
            const auto& ref = r.parentRefs[p];
            const std::string pp = "spec.parentRefs[" + std::to_string(p) + "]";
            if (ref.name.empty()) {
                report(k, i, pp + ".name", "is required");
                continue;
            }
            if (ref.kind && *ref.kind != "Gateway") {
                report(k, i, pp + ".kind", "must be Gateway (AIGatewayRoute attaches only to Gateways)");
                continue;
            }
            const std::string ns = ref.ns.value_or(r.meta.effectiveNamespace());
            if (!gatewayExists(ref.name, ns))
                report(k, i, pp + ".name", "Gateway " + ns + "/" + ref.name + " is not defined");
        }
        std::set<std::string> names;
        for (std::size_t ri = 0; ri < r.rules.size(); ++ri) {
            const auto& rule = r.rules[ri];
            const std::string rp = "spec.rules[" + std::to_string(ri) + "]";
            if (rule.name) {
                if (*rule.name == "route-not-found")
                    report(k, i, rp + ".name", "rule name route-not-found is reserved");
                else if (rule.name->empty() || rule.name->size() > 253 || !isDnsSubdomain(*rule.name))
                    report(k, i, rp + ".name", "must be a lowercase DNS subdomain (1-253 characters of a-z, 0-9, '-', '.')");
                if (!names.insert(*rule.name).second)
                    report(k, i, rp + ".name", "rule name must be unique within the route");
            }
            if (rule.requestTimeout && rule.backendRequestTimeout && rule.requestTimeout->count() != 0 &&
                *rule.backendRequestTimeout > *rule.requestTimeout)
                report(k, i, rp + ".timeouts.backendRequest", "backendRequest timeout cannot be longer than request timeout");
            for (std::size_t m = 0; m < rule.matches.size(); ++m) {
                std::set<std::string> headerNames;
                for (std::size_t h = 0; h < rule.matches[m].headers.size(); ++h) {
                    const auto& hm = rule.matches[m].headers[h];
                    const std::string hp = rp + ".matches[" + std::to_string(m) + "].headers[" + std::to_string(h) + "]";
                    if (hm.name.empty())
                        report(k, i, hp + ".name", "is required");
                    else if (hm.name.size() > 256 || !isHeaderName(hm.name))
                        report(k, i, hp + ".name", "must be a valid HTTP header name");
                    else if (!headerNames.insert(hm.name).second)
                        report(k, i, hp + ".name", "duplicate header name in one match (headers are keyed by name)");
                    if (hm.value.empty())
                        report(k, i, hp + ".value", "is required");
                    else if (hm.value.size() > 4096)
                        report(k, i, hp + ".value", "must be at most 4096 characters");
                }
            }
            const RawNode rawRule = spec.isDefined() ? child(spec, "rules") : RawNode();
            for (std::size_t b = 0; b < rule.backendRefs.size(); ++b) {
                const auto& ref = rule.backendRefs[b];
                const std::string bp = rp + ".backendRefs[" + std::to_string(b) + "]";
                if (ref.name.empty())
                    report(k, i, bp + ".name", "is required");
                if (ref.weight && *ref.weight < 0)
                    report(k, i, bp + ".weight", "must be >= 0");
                if (ref.weight && *ref.weight > 2147483647)
                    report(k, i, bp + ".weight", "must fit in int32");
                if (ref.priority && *ref.priority < 0)
                    report(k, i, bp + ".priority", "must be >= 0");
                if (ref.priority && *ref.priority > 2147483647)
                    report(k, i, bp + ".priority", "must fit in int32");
                if (ref.ns && !isDnsLabel(*ref.ns))
                    report(k, i, bp + ".namespace", "must be a DNS label");
                // InferencePool refs (group/kind set) point outside the simulated kinds.
                bool inferencePool = false;
                if (rawRule.isSequence() && ri < rawRule.size()) {
                    const RawNode refs = child(rawRule[ri], "backendRefs");
                    inferencePool = refs.isSequence() && b < refs.size() && has(refs[b], "group");
                }
                const std::string ns = ref.ns.value_or(r.meta.effectiveNamespace());
                if (!ref.name.empty() && !inferencePool && !m_ix.serviceBackend(ref.name, ns))
                    reportReference(k, i, bp + ".name", "AIServiceBackend " + ns + "/" + ref.name +
                                                           " is not defined: the route is not accepted");
            }
        }
    }

    void serviceBackend(std::size_t i) {
        const auto& b = m_c.serviceBackends[i];
        const Kind k = Kind::AIServiceBackend;
        const RawNode spec = child(raw(k, i), "spec");
        auto rep = [&](const std::string& p, const std::string& m) { report(k, i, p, m); };
        unknownFields(spec, kServiceBackendSpecFields, "spec", rep);
        const bool rawKnown = spec.isDefined();
        if (rawKnown && !has(spec, "schema"))
            report(k, i, "spec.schema", "is required");
        else if (b.schemaName.empty())
            report(k, i, "spec.schema.name", "is required");
        else if (!kSchemaNames.count(b.schemaName))
            report(k, i, "spec.schema.name", "must be one of " + joinSet(kSchemaNames) + " (got \"" + b.schemaName + "\")");
        if (rawKnown && !has(spec, "backendRef")) {
            report(k, i, "spec.backendRef", "is required");
            return;
        }
        if (b.backendRef.name.empty())
            report(k, i, "spec.backendRef.name", "is required");
        if (b.backendRef.group.value_or("") != "gateway.envoyproxy.io" || b.backendRef.kind.value_or("") != "Backend") {
            report(k, i, "spec.backendRef",
                   "BackendRef must be a Backend resource of Envoy Gateway (group: gateway.envoyproxy.io, kind: Backend)");
            return;
        }
        const std::string ns = b.backendRef.ns.value_or(b.meta.effectiveNamespace());
        if (!b.backendRef.name.empty() && !m_ix.backend(b.backendRef.name, ns))
            reportReference(k, i, "spec.backendRef.name",
                            "Backend " + ns + "/" + b.backendRef.name +
                                " is not defined: routes that use this AIServiceBackend are not accepted");
    }

    void backend(std::size_t i) {
        const auto& b = m_c.backends[i];
        const Kind k = Kind::Backend;
        const RawNode spec = child(raw(k, i), "spec");
        const RawNode type = child(spec, "type");
        const bool dynamic = type.isScalar() && type.scalar() == "DynamicResolver";
        if (dynamic) {
            if (!b.endpoints.empty())
                report(k, i, "spec.endpoints", "DynamicResolver type cannot have endpoints specified");
            return;
        }
        if (b.endpoints.empty())
            report(k, i, "spec.endpoints", "must have at least 1 item");
        if (b.endpoints.size() > 256)
            report(k, i, "spec.endpoints", "must have at most 256 items");
        const RawNode rawEps = child(spec, "endpoints");
        bool anyFqdn = false;
        bool anyOther = false;
        for (std::size_t e = 0; e < b.endpoints.size(); ++e) {
            const auto& ep = b.endpoints[e];
            const std::string ep_path = "spec.endpoints[" + std::to_string(e) + "]";
            if (rawEps.isSequence() && e < rawEps.size()) {
                const int count = int(has(rawEps[e], "fqdn")) + int(has(rawEps[e], "ip")) + int(has(rawEps[e], "unix"));
                if (count == 0) {
                    report(k, i, ep_path, "one of fqdn, ip or unix must be specified");
                    continue;
                }
                if (count > 1)
                    report(k, i, ep_path, "only one of fqdn, ip or unix can be specified");
            }
            (ep.type == EndpointType::Fqdn ? anyFqdn : anyOther) = true;
            switch (ep.type) {
            case EndpointType::Fqdn:
                if (ep.address.empty())
                    report(k, i, ep_path + ".fqdn.hostname", "is required");
                else if (ep.address.size() > 253 || !isFqdnHostname(ep.address))
                    report(k, i, ep_path + ".fqdn.hostname", "must be a lowercase DNS name");
                break;
            case EndpointType::Ip:
                if (ep.address.empty())
                    report(k, i, ep_path + ".ip.address", "is required");
                else if (!std::regex_match(ep.address, ipAddress()))
                    report(k, i, ep_path + ".ip.address", "must be an IPv4 or IPv6 address");
                break;
            case EndpointType::Unix:
                if (ep.address.empty())
                    report(k, i, ep_path + ".unix.path", "is required");
                else if (ep.address.size() > 108)
                    report(k, i, ep_path + ".unix.path", "unix domain socket path must not exceed 108 characters");
                break;
            }
            if (ep.type != EndpointType::Unix) {
                const std::string pp = ep_path + (ep.type == EndpointType::Fqdn ? ".fqdn.port" : ".ip.port");
                const RawNode rawEp = rawEps.isSequence() && e < rawEps.size() ? rawEps[e] : RawNode();
                const RawNode rawAddr = child(rawEp, ep.type == EndpointType::Fqdn ? "fqdn" : "ip");
                if (rawAddr.isDefined() && !has(rawAddr, "port"))
                    report(k, i, pp, "is required");
                else if (ep.port < 0 || ep.port > 65535)
                    report(k, i, pp, "must be between 0 and 65535");
            }
        }
        if (anyFqdn && anyOther)
            report(k, i, "spec.endpoints", "fqdn addresses cannot be mixed with other address types");
    }

    void targetRefs(Kind k, std::size_t i, const std::vector<ObjectRef>& refs, const std::string& ns, bool policy) {
        for (std::size_t t = 0; t < refs.size(); ++t) {
            const auto& ref = refs[t];
            const std::string tp = "spec.targetRefs[" + std::to_string(t) + "]";
            if (!ref.group)
                report(k, i, tp + ".group", "is required");
            if (!ref.kind || ref.kind->empty()) {
                report(k, i, tp + ".kind", "is required");
                continue;
            }
            if (ref.name.empty()) {
                report(k, i, tp + ".name", "is required");
                continue;
            }
            if (*ref.kind == "Gateway") {
                if (!gatewayExists(ref.name, ns))
                    report(k, i, tp + ".name", "Gateway " + ns + "/" + ref.name + " is not defined");
            } else if (*ref.kind == "HTTPRoute" && policy) {
                if (!httpRouteExists(ref.name, ns))
                    report(k, i, tp + ".name",
                           "HTTPRoute " + ns + "/" + ref.name +
                               " is not defined (the controller generates one per AIGatewayRoute, with the same name)");
            }
        }
    }

    void percent(Kind k, std::size_t i, const std::optional<std::int64_t>& v, const std::string& path) {
        if (v && (*v < 0 || *v > 100))
            report(k, i, path, "must be between 0 and 100");
    }

    void trafficPolicy(std::size_t i) {
        const auto& p = m_c.trafficPolicies[i];
        const Kind k = Kind::BackendTrafficPolicy;
        targetRefs(k, i, p.targetRefs, p.meta.effectiveNamespace(), true);
        if (p.retry) {
            const auto& r = *p.retry;
            if (r.numRetries && *r.numRetries < 0)
                report(k, i, "spec.retry.numRetries", "must be >= 0");
            for (std::size_t t = 0; t < r.triggers.size(); ++t)
                if (!kTriggers.count(r.triggers[t]))
                    report(k, i, "spec.retry.retryOn.triggers[" + std::to_string(t) + "]",
                           "must be one of " + joinSet(kTriggers) + " (got \"" + r.triggers[t] + "\")");
            for (std::size_t c = 0; c < r.httpStatusCodes.size(); ++c)
                if (r.httpStatusCodes[c] < 100 || r.httpStatusCodes[c] > 599)
                    report(k, i, "spec.retry.retryOn.httpStatusCodes[" + std::to_string(c) + "]",
                           "must be between 100 and 599");
        }
        if (p.passive) {
            const std::string pp = "spec.healthCheck.passive";
            percent(k, i, p.passive->maxEjectionPercent, pp + ".maxEjectionPercent");
            percent(k, i, p.passive->failurePercentageThreshold, pp + ".failurePercentageThreshold");
        }
        percent(k, i, p.panicThreshold, "spec.healthCheck.panicThreshold");
    }

    void clientPolicy(std::size_t i) {
        const auto& p = m_c.clientPolicies[i];
        const Kind k = Kind::ClientTrafficPolicy;
        targetRefs(k, i, p.targetRefs, p.meta.effectiveNamespace(), false);
        if (p.bufferLimit && !std::regex_match(*p.bufferLimit, quantity()))
            report(k, i, "spec.connection.bufferLimit",
                   "must be a quantity matching ^[1-9]+[0-9]*([EPTGMK]i|[EPTGMk])?$ (e.g. 50Mi)");
    }

    const Config& m_c;
    const ConfigIndex m_ix;
    std::vector<Error> m_errors;
};

}  // namespace

std::vector<Error> validate(const Config& config) {
    return Validator(config).run();
}

}  // namespace aigw::config
