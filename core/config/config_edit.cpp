#include "config/config_edit.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <regex>

namespace aigw::config {
namespace {

Error fail(const std::string& message) {
    Error e;
    e.message = message;
    return e;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

/// A typed value parsed from VALUE; the setters below take it.
struct Value {
    bool unset = false;
    std::string text;
};

std::optional<std::int64_t> parseInt(const std::string& s) {
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size())
        return std::nullopt;
    return v;
}

/// Sets an optional field from VALUE; returns the old and new text or an error message.
struct Setter {
    std::function<std::string()> get;                       ///< current value as text ("(unset)")
    std::function<std::string(const Value&)> set;           ///< empty string on success, else the error
};

template <typename T>
std::string show(const std::optional<T>& v) {
    if (!v)
        return "(unset)";
    if constexpr (std::is_same_v<T, std::string>)
        return *v;
    else if constexpr (std::is_same_v<T, bool>)
        return *v ? "true" : "false";
    else if constexpr (std::is_same_v<T, Duration>)
        return formatDuration(*v);
    else
        return std::to_string(*v);
}

Setter intField(std::optional<std::int64_t>& f, std::int64_t min, std::int64_t max = INT64_MAX) {
    return {[&f] { return show(f); },
            [&f, min, max](const Value& v) -> std::string {
                if (v.unset) {
                    f.reset();
                    return {};
                }
                const auto n = parseInt(v.text);
                if (!n || *n < min || *n > max)
                    return "'" + v.text + "' is not an integer from " + std::to_string(min) +
                           (max == INT64_MAX ? std::string(" up") : " to " + std::to_string(max));
                f = *n;
                return {};
            }};
}

Setter durationField(std::optional<Duration>& f) {
    return {[&f] { return show(f); },
            [&f](const Value& v) -> std::string {
                if (v.unset) {
                    f.reset();
                    return {};
                }
                const auto d = parseDuration(v.text);
                if (!d)
                    return "'" + v.text + "' is not a duration (e.g. 100ms, 10s, 1m, 1h30m)";
                f = *d;
                return {};
            }};
}

Setter boolField(std::optional<bool>& f) {
    return {[&f] { return show(f); },
            [&f](const Value& v) -> std::string {
                if (v.unset) {
                    f.reset();
                    return {};
                }
                if (v.text != "true" && v.text != "false")
                    return "'" + v.text + "' is not true or false";
                f = v.text == "true";
                return {};
            }};
}

Setter stringField(std::optional<std::string>& f) {
    return {[&f] { return show(f); },
            [&f](const Value& v) -> std::string {
                if (v.unset)
                    f.reset();
                else
                    f = v.text;
                return {};
            }};
}

/// The object of `kind` named `ref` ("ns/name" or "name", unique across namespaces).
template <typename T>
Result<std::size_t> findObject(const std::vector<T>& items, const std::string& ref, const char* kind) {
    const auto slash = ref.find('/');
    const std::string ns = slash == std::string::npos ? std::string() : ref.substr(0, slash);
    const std::string name = slash == std::string::npos ? ref : ref.substr(slash + 1);
    std::vector<std::size_t> hits;
    for (std::size_t i = 0; i < items.size(); ++i)
        if (items[i].meta.name == name && (ns.empty() || items[i].meta.effectiveNamespace() == ns))
            hits.push_back(i);
    if (hits.empty())
        return fail(std::string("no ") + kind + " named '" + ref + "'");
    if (hits.size() > 1)
        return fail(std::string("several ") + kind + "s are named '" + name + "': give its namespace (" + kind +
                    " NAMESPACE/" + name + ")");
    return hits.front();
}

Result<Setter> routeField(AIGatewayRoute& r, const std::string& path) {
    static const std::regex refRe(R"(^rules\[([0-9]+)\]\.backendRefs\[([^\]]+)\]\.(weight|priority|modelNameOverride)$)");
    static const std::regex ruleRe(R"(^rules\[([0-9]+)\]\.(timeouts\.request|timeouts\.backendRequest|streamIdleTimeout)$)");
    std::smatch m;
    const bool isRef = std::regex_match(path, m, refRe);
    if (!isRef && !std::regex_match(path, m, ruleRe))
        return fail("unknown route field '" + path +
                    "' (rules[I].backendRefs[J].weight|priority|modelNameOverride, rules[I].timeouts.request|backendRequest, "
                    "rules[I].streamIdleTimeout)");
    const auto ruleIndex = parseInt(m[1].str());
    if (!ruleIndex || *ruleIndex < 0 || static_cast<std::size_t>(*ruleIndex) >= r.rules.size())
        return fail("route " + r.meta.name + " has no rules[" + m[1].str() + "] (it has " + std::to_string(r.rules.size()) +
                    " rule(s))");
    RouteRule& rule = r.rules[static_cast<std::size_t>(*ruleIndex)];
    if (!isRef) {
        const std::string f = m[2].str();
        return durationField(f == "timeouts.request" ? rule.requestTimeout
                             : f == "timeouts.backendRequest" ? rule.backendRequestTimeout
                                                               : rule.streamIdleTimeout);
    }
    const std::string refText = m[2].str();
    BackendRefSpec* ref = nullptr;
    if (const auto j = parseInt(refText)) {
        if (*j < 0 || static_cast<std::size_t>(*j) >= rule.backendRefs.size())
            return fail("rules[" + m[1].str() + "] has no backendRefs[" + refText + "] (it has " +
                        std::to_string(rule.backendRefs.size()) + ")");
        ref = &rule.backendRefs[static_cast<std::size_t>(*j)];
    } else {
        for (auto& b : rule.backendRefs)
            if (b.name == refText) {
                if (ref)
                    return fail("rules[" + m[1].str() + "] has several backendRefs named '" + refText + "': use its index");
                ref = &b;
            }
        if (!ref)
            return fail("rules[" + m[1].str() + "] has no backendRef named '" + refText + "'");
    }
    const std::string f = m[3].str();
    if (f == "weight")
        return intField(ref->weight, 0);
    if (f == "priority")
        return intField(ref->priority, 0);
    return stringField(ref->modelNameOverride);
}

Result<Setter> policyField(BackendTrafficPolicy& p, const std::string& path) {
    auto retry = [&p]() -> RetryPolicy& {
        if (!p.retry)
            p.retry.emplace();
        return *p.retry;
    };
    auto passive = [&p]() -> PassiveHealthCheck& {
        if (!p.passive)
            p.passive.emplace();
        return *p.passive;
    };
    if (path == "retry.numRetries") return intField(retry().numRetries, 0);
    if (path == "retry.numAttemptsPerPriority") return intField(retry().numAttemptsPerPriority, 0);
    if (path == "retry.perRetry.timeout") return durationField(retry().perTryTimeout);
    if (path == "retry.perRetry.backOff.baseInterval") return durationField(retry().backoffBase);
    if (path == "retry.perRetry.backOff.maxInterval") return durationField(retry().backoffMax);
    if (path == "healthCheck.panicThreshold") return intField(p.panicThreshold, 0, 100);
    if (path == "timeout.tcp.connectTimeout") return durationField(p.connectTimeout);
    if (path == "timeout.http.requestTimeout") return durationField(p.httpRequestTimeout);
    if (path == "dns.dnsRefreshRate") return durationField(p.dnsRefreshRate);
    const std::string hc = "healthCheck.passive.";
    if (path.rfind(hc, 0) == 0) {
        const std::string f = path.substr(hc.size());
        if (f == "splitExternalLocalOriginErrors") return boolField(passive().splitExternalLocalOriginErrors);
        if (f == "interval") return durationField(passive().interval);
        if (f == "consecutiveLocalOriginFailures") return intField(passive().consecutiveLocalOriginFailures, 0);
        if (f == "consecutiveGatewayErrors") return intField(passive().consecutiveGatewayErrors, 0);
        if (f == "consecutive5XxErrors") return intField(passive().consecutive5XxErrors, 0);
        if (f == "baseEjectionTime") return durationField(passive().baseEjectionTime);
        if (f == "maxEjectionPercent") return intField(passive().maxEjectionPercent, 0, 100);
        if (f == "failurePercentageThreshold") return intField(passive().failurePercentageThreshold, 0, 100);
        if (f == "alwaysEjectOneEndpoint") return boolField(passive().alwaysEjectOneEndpoint);
    }
    return fail("unknown BackendTrafficPolicy field '" + path + "' (see aigw-sim edit --help)");
}

}  // namespace

const char* setSyntaxHelp() {
    return "  EXPR = KIND/[NAMESPACE/]NAME:FIELD=VALUE   (an empty VALUE unsets the field)\n"
           "  KIND route (AIGatewayRoute):\n"
           "    rules[I].backendRefs[J].weight | .priority | .modelNameOverride   (J: index or backendRef name)\n"
           "    rules[I].timeouts.request | rules[I].timeouts.backendRequest | rules[I].streamIdleTimeout\n"
           "  KIND policy (BackendTrafficPolicy):\n"
           "    retry.numRetries | retry.numAttemptsPerPriority | retry.perRetry.timeout\n"
           "    retry.perRetry.backOff.baseInterval | retry.perRetry.backOff.maxInterval\n"
           "    healthCheck.passive.FIELD (interval, consecutive5XxErrors, consecutiveGatewayErrors,\n"
           "      consecutiveLocalOriginFailures, splitExternalLocalOriginErrors, baseEjectionTime,\n"
           "      maxEjectionPercent, failurePercentageThreshold, alwaysEjectOneEndpoint)\n"
           "    healthCheck.panicThreshold | timeout.tcp.connectTimeout | timeout.http.requestTimeout | dns.dnsRefreshRate\n"
           "  KIND backend (Backend): fallback;  KIND clientpolicy (ClientTrafficPolicy): connection.bufferLimit\n"
           "  Without NAMESPACE the name must be unique across namespaces.\n";
}

Result<EditDescription> applySet(Config& config, const std::string& expression) {
    const auto colon = expression.find(':');
    const auto eq = colon == std::string::npos ? std::string::npos : expression.find('=', colon);
    const auto slash = expression.find('/');
    if (colon == std::string::npos || eq == std::string::npos || slash == std::string::npos || slash > colon)
        return fail("'" + expression + "' is not KIND/[NAMESPACE/]NAME:FIELD=VALUE");
    const std::string kind = lower(expression.substr(0, slash));
    const std::string ref = expression.substr(slash + 1, colon - slash - 1);
    const std::string path = expression.substr(colon + 1, eq - colon - 1);
    Value value;
    value.text = expression.substr(eq + 1);
    value.unset = value.text.empty();

    Config copy = config;  // unchanged on error
    std::string subject;
    Result<Setter> setter = fail("");
    if (kind == "route" || kind == "aigatewayroute") {
        auto i = findObject(copy.routes, ref, "AIGatewayRoute");
        if (!i)
            return i.error();
        auto& r = copy.routes[i.value()];
        subject = "AIGatewayRoute " + r.meta.effectiveNamespace() + "/" + r.meta.name;
        setter = routeField(r, path);
    } else if (kind == "policy" || kind == "backendtrafficpolicy") {
        auto i = findObject(copy.trafficPolicies, ref, "BackendTrafficPolicy");
        if (!i)
            return i.error();
        auto& p = copy.trafficPolicies[i.value()];
        subject = "BackendTrafficPolicy " + p.meta.effectiveNamespace() + "/" + p.meta.name;
        // Unsetting a field of an absent block must not create the block (`retry:` alone means retries).
        if (value.unset && ((path.rfind("retry.", 0) == 0 && !p.retry) || (path.rfind("healthCheck.passive.", 0) == 0 && !p.passive))) {
            if (!policyField(p, path))
                return policyField(p, path).error();
            return subject + " " + path + ": (unset) -> (unset)";
        }
        setter = policyField(p, path);
    } else if (kind == "backend") {
        auto i = findObject(copy.backends, ref, "Backend");
        if (!i)
            return i.error();
        auto& b = copy.backends[i.value()];
        subject = "Backend " + b.meta.effectiveNamespace() + "/" + b.meta.name;
        setter = path == "fallback" ? Result<Setter>(boolField(b.fallback)) : fail("unknown Backend field '" + path + "' (fallback)");
    } else if (kind == "clientpolicy" || kind == "clienttrafficpolicy") {
        auto i = findObject(copy.clientPolicies, ref, "ClientTrafficPolicy");
        if (!i)
            return i.error();
        auto& p = copy.clientPolicies[i.value()];
        subject = "ClientTrafficPolicy " + p.meta.effectiveNamespace() + "/" + p.meta.name;
        if (path != "connection.bufferLimit")
            return fail("unknown ClientTrafficPolicy field '" + path + "' (connection.bufferLimit)");
        static const std::regex quantity(R"(^[0-9]+(Ki|Mi|Gi|Ti|k|M|G|T)?$)");
        if (!value.unset && !std::regex_match(value.text, quantity))
            return fail("'" + value.text + "' is not a size (e.g. 50Mi, 1048576)");
        setter = stringField(p.bufferLimit);
    } else {
        return fail("unknown kind '" + expression.substr(0, slash) + "' (route, policy, backend, clientpolicy)");
    }
    if (!setter)
        return setter.error();
    const std::string before = setter.value().get();
    if (const std::string err = setter.value().set(value); !err.empty())
        return fail(subject + " " + path + ": " + err);
    const std::string after = setter.value().get();
    config = std::move(copy);
    return subject + " " + path + ": " + before + " -> " + after;
}

}  // namespace aigw::config
