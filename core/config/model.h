#pragma once
// The in-memory model of the Kubernetes manifests the simulator understands.
//
// Typed fields keep "was it set?" (std::optional) so that export leaves defaults implicit and the
// doctor can tell "unset" from "set to the default". Defaults live in the `effective*()` helpers,
// next to the field they belong to, with the source of each default in a comment.
//
// Every document keeps the YAML it was read from (`raw`, in a compact YamlTree) so that fields the
// simulator does not model (resources, listeners, TLS...) survive an import -> export round trip
// unchanged, and so that errors can point at any field's line.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "config/yaml_tree.h"

namespace aigw::config {

/// The kinds the simulator reads. `Other` documents are kept and re-exported unchanged.
enum class Kind {
    GatewayClass,
    Gateway,
    EnvoyProxy,
    ClientTrafficPolicy,
    AIGatewayRoute,
    AIServiceBackend,
    Backend,
    BackendTrafficPolicy,
    InferenceService,
    Other,
};

/// "AIGatewayRoute", ... ("Other" for Kind::Other).
const char* kindName(Kind kind);

/// Gateway API duration (`^([0-9]{1,5}(h|m|s|ms)){1,4}$`, e.g. 100ms, 10s, 1m, 1h30m).
/// Empty when `text` does not match the pattern.
std::optional<Duration> parseDuration(const std::string& text);
/// The shortest Gateway API form of `d` ("1h30m", "100ms", "0s"); sub-millisecond parts are dropped.
std::string formatDuration(Duration d);

struct ObjectMeta {
    std::string name;
    std::string ns;  ///< metadata.namespace; empty means "default" (effectiveNamespace())
    std::map<std::string, std::string> labels;
    std::map<std::string, std::string> annotations;
    std::string effectiveNamespace() const { return ns.empty() ? "default" : ns; }
    bool operator==(const ObjectMeta&) const = default;
};

/// A reference by group/kind/name (parentRefs, targetRefs, backendRef).
struct ObjectRef {
    std::optional<std::string> group;
    std::optional<std::string> kind;
    std::string name;
    std::optional<std::string> ns;
    std::optional<std::string> sectionName;
    bool operator==(const ObjectRef&) const = default;
};

enum class HeaderMatchType { Exact, RegularExpression };

struct HeaderMatch {
    std::optional<HeaderMatchType> type;  ///< CRD default Exact
    std::string name;
    std::string value;
    HeaderMatchType effectiveType() const { return type.value_or(HeaderMatchType::Exact); }
    bool operator==(const HeaderMatch&) const = default;
};

/// One entry of rules[].matches: all its headers must match (AND); matches are OR-ed.
struct RouteMatch {
    std::vector<HeaderMatch> headers;
    bool operator==(const RouteMatch&) const = default;
};

struct BackendRefSpec {
    std::string name;  ///< an AIServiceBackend
    std::optional<std::string> ns;
    std::optional<std::string> modelNameOverride;
    std::optional<std::int64_t> weight;    ///< CRD default 1, minimum 0
    std::optional<std::int64_t> priority;  ///< CRD default 0, minimum 0
    std::int64_t effectiveWeight() const { return weight.value_or(1); }
    std::int64_t effectivePriority() const { return priority.value_or(0); }
    bool operator==(const BackendRefSpec&) const = default;
};

struct RouteRule {
    std::optional<std::string> name;
    std::vector<RouteMatch> matches;
    std::vector<BackendRefSpec> backendRefs;
    std::optional<Duration> requestTimeout;         ///< timeouts.request; controller default 60s
    std::optional<Duration> backendRequestTimeout;  ///< timeouts.backendRequest
    std::optional<Duration> streamIdleTimeout;
    std::optional<std::string> modelsOwnedBy;  ///< default "Envoy AI Gateway"
    /// The Envoy route timeout of the rule: the AI Gateway writes timeouts.request on every generated
    /// HTTPRoute rule (default 60s); timeouts.backendRequest replaces it, as the rule has no Gateway API
    /// retry (reference 3.5). Zero disables the timeout.
    Duration effectiveRequestTimeout() const { return backendRequestTimeout.value_or(requestTimeout.value_or(secs(60))); }
    std::string effectiveModelsOwnedBy() const { return modelsOwnedBy.value_or("Envoy AI Gateway"); }
    bool operator==(const RouteRule&) const = default;
};

struct AIGatewayRoute {
    ObjectMeta meta;
    std::string apiVersion;  ///< aigateway.envoyproxy.io/v1alpha1 or v1beta1, as read
    std::vector<ObjectRef> parentRefs;
    std::vector<RouteRule> rules;
    bool operator==(const AIGatewayRoute&) const = default;
};

struct AIServiceBackend {
    ObjectMeta meta;
    std::string apiVersion;
    std::string schemaName;  ///< OpenAI, Cohere, AWSBedrock, ...
    std::optional<std::string> schemaVersion;
    std::optional<std::string> schemaPrefix;
    ObjectRef backendRef;  ///< must be gateway.envoyproxy.io/Backend
    bool operator==(const AIServiceBackend&) const = default;
};

enum class EndpointType { Fqdn, Ip, Unix };

struct Endpoint {
    EndpointType type = EndpointType::Fqdn;
    std::string address;  ///< hostname, IP address or unix socket path
    int port = 0;
    bool operator==(const Endpoint&) const = default;
};

struct Backend {
    ObjectMeta meta;
    std::vector<Endpoint> endpoints;
    std::optional<bool> fallback;  ///< spec.fallback; overridden by the route's priority
    bool operator==(const Backend&) const = default;
};

/// BackendTrafficPolicy.retry. Only present when the policy has `retry:`.
struct RetryPolicy {
    std::optional<std::int64_t> numRetries;              ///< EG default 2
    std::optional<std::int64_t> numAttemptsPerPriority;  ///< unset or 0: retries stay on priority 0
    std::optional<Duration> perTryTimeout;               ///< perRetry.timeout
    std::optional<Duration> backoffBase;                 ///< perRetry.backOff.baseInterval (Envoy default 25ms)
    std::optional<Duration> backoffMax;                  ///< perRetry.backOff.maxInterval (default 10 x base)
    bool hasRetryOn = false;                             ///< retryOn present at all
    std::vector<std::string> triggers;                   ///< retryOn.triggers, as written
    bool hasHttpStatusCodes = false;                     ///< retryOn.httpStatusCodes present (even empty)
    std::vector<int> httpStatusCodes;                    ///< retryOn.httpStatusCodes

    std::int64_t effectiveNumRetries() const { return numRetries.value_or(2); }
    Duration effectiveBackoffBase() const { return backoffBase.value_or(ms(25)); }
    Duration effectiveBackoffMax() const { return backoffMax.value_or(effectiveBackoffBase() * 10); }
    /// EG route.go buildRetryPolicy: connect-failure, refused-stream, unavailable, cancelled,
    /// retriable-status-codes, replaced by retryOn.triggers only when that list is non-empty.
    std::vector<std::string> effectiveTriggers() const;
    /// [503], replaced by retryOn.httpStatusCodes as given when present (an empty list: no codes).
    std::vector<int> effectiveHttpStatusCodes() const;
    bool operator==(const RetryPolicy&) const = default;
};

/// BackendTrafficPolicy.healthCheck.passive (Envoy outlier detection). Defaults from EG
/// healthcheck_types.go; see the reference, section 1.6.
struct PassiveHealthCheck {
    std::optional<bool> splitExternalLocalOriginErrors;  ///< false
    std::optional<Duration> interval;                    ///< 3s
    std::optional<std::int64_t> consecutiveLocalOriginFailures;  ///< 5 (only with split)
    std::optional<std::int64_t> consecutiveGatewayErrors;        ///< unset: disabled
    std::optional<std::int64_t> consecutive5XxErrors;            ///< 5
    std::optional<Duration> baseEjectionTime;                    ///< 30s
    std::optional<std::int64_t> maxEjectionPercent;              ///< 10
    std::optional<std::int64_t> failurePercentageThreshold;      ///< unset
    std::optional<bool> alwaysEjectOneEndpoint;                  ///< false

    bool effectiveSplit() const { return splitExternalLocalOriginErrors.value_or(false); }
    Duration effectiveInterval() const { return interval.value_or(secs(3)); }
    std::int64_t effectiveConsecutiveLocalOriginFailures() const {
        return consecutiveLocalOriginFailures.value_or(5);
    }
    std::int64_t effectiveConsecutive5xx() const { return consecutive5XxErrors.value_or(5); }
    Duration effectiveBaseEjectionTime() const { return baseEjectionTime.value_or(secs(30)); }
    std::int64_t effectiveMaxEjectionPercent() const { return maxEjectionPercent.value_or(10); }
    bool effectiveAlwaysEjectOne() const { return alwaysEjectOneEndpoint.value_or(false); }
    bool operator==(const PassiveHealthCheck&) const = default;
};

struct BackendTrafficPolicy {
    ObjectMeta meta;
    std::vector<ObjectRef> targetRefs;  ///< Gateway or HTTPRoute (= AIGatewayRoute name)
    std::optional<RetryPolicy> retry;
    std::optional<PassiveHealthCheck> passive;
    std::optional<std::int64_t> panicThreshold;  ///< healthCheck.panicThreshold, Envoy default 50
    std::optional<Duration> connectTimeout;      ///< timeout.tcp.connectTimeout, EG default 10s
    std::optional<Duration> httpRequestTimeout;  ///< timeout.http.requestTimeout (AI routes' own timeouts.request wins)
    std::optional<Duration> dnsRefreshRate;      ///< dns.dnsRefreshRate, EG default 30s
    std::int64_t effectivePanicThreshold() const { return panicThreshold.value_or(50); }
    Duration effectiveConnectTimeout() const { return connectTimeout.value_or(secs(10)); }
    bool operator==(const BackendTrafficPolicy&) const = default;
};

struct ClientTrafficPolicy {
    ObjectMeta meta;
    std::vector<ObjectRef> targetRefs;
    std::optional<std::string> bufferLimit;  ///< connection.bufferLimit as written, e.g. "50Mi"
    /// bufferLimit in bytes; 32768 when unset (EG default).
    std::int64_t effectiveBufferLimitBytes() const;
    bool operator==(const ClientTrafficPolicy&) const = default;
};

/// The request body limit the gateway enforces: the first ClientTrafficPolicy's
/// connection.bufferLimit, else Envoy Gateway's default 32 KiB. Bodies over it get 413.
std::int64_t gatewayBufferLimitBytes(const struct Config& config);

/// KServe InferenceService: which model it serves and the hostname the tutorial's Backends use.
struct InferenceService {
    ObjectMeta meta;
    std::string model;  ///< from `ollama pull NAME` in the container args, or the model spec
    std::string image;
    /// `<name>-predictor-00001.<namespace>.svc.cluster.local`
    std::string predictorHostname() const;
    /// `<name>-predictor.<namespace>.svc.cluster.local` (the revision-less service)
    std::string predictorServiceHostname() const;
    bool operator==(const InferenceService&) const = default;
};

/// Simulator-only settings, carried as `aigw-sim/...` annotations on a Backend (a cluster ignores
/// them). Keys: aigw-sim/mode (mock|ollama|external), aigw-sim/url (external), aigw-sim/models
/// (comma list), aigw-sim/server (server name override).
struct SimSettings {
    static constexpr const char* kPrefix = "aigw-sim/";
    static constexpr const char* kMode = "aigw-sim/mode";
    static constexpr const char* kUrl = "aigw-sim/url";
    static constexpr const char* kModels = "aigw-sim/models";
    static constexpr const char* kServer = "aigw-sim/server";
};

/// Fields the API server adds to an object, which `kubectl get -o yaml` prints: the model and
/// validation ignore them, export drops them unless asked (ExportOptions::keepServerFields).
/// Top level: `status`. The last-applied annotation is left out of ObjectMeta::annotations.
namespace server_fields {
inline constexpr const char* kStatus = "status";
inline constexpr const char* kMetadata[] = {"uid",        "resourceVersion", "generation", "creationTimestamp",
                                            "managedFields", "selfLink"};
inline constexpr const char* kLastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";
}  // namespace server_fields

/// One YAML document as read, with its typed view (if its kind is simulated).
struct Document {
    Kind kind = Kind::Other;
    std::string apiVersion;
    std::string kindName;  ///< `kind:` as written
    ObjectMeta meta;
    SourceLocation where;  ///< file and line of the document start
    /// The parsed YAML of the file the document was read from, shared by its documents; `raw` is
    /// this document's node in it (undefined for a document made in code). Copying a Document
    /// shares the tree.
    std::shared_ptr<const YamlTree> tree;
    RawNode raw;

    /// Where the YAML path `path` ("spec.rules[0].backendRefs[1].weight") was read: a scalar's
    /// value, the key of a map or list, a list item; for a missing field its nearest ancestor (a
    /// missing field points at its parent). Inside `status` and `metadata.managedFields` only the key
    /// is located (nothing reads what the API server wrote). The result has `path` as its YAML path.
    SourceLocation locate(const std::string& path) const;
};

/// The whole configuration: typed objects plus every document in input order.
struct Config {
    std::vector<Document> documents;  ///< input order; export keeps a stable order derived from it

    std::vector<AIGatewayRoute> routes;
    std::vector<AIServiceBackend> serviceBackends;
    std::vector<Backend> backends;
    std::vector<BackendTrafficPolicy> trafficPolicies;
    std::vector<ClientTrafficPolicy> clientPolicies;
    std::vector<InferenceService> inferenceServices;

    /// The document behind the `index`-th typed object of `kind` (the i-th route is the i-th
    /// AIGatewayRoute document). Null for objects added after loading (no document yet).
    const Document* documentFor(Kind kind, std::size_t index) const;
    /// Location of `path` inside that document; file-less if there is no document.
    SourceLocation locate(Kind kind, std::size_t index, const std::string& path) const;

    const AIServiceBackend* findServiceBackend(const std::string& name, const std::string& ns) const;
    const Backend* findBackend(const std::string& name, const std::string& ns) const;
    const InferenceService* findInferenceServiceByHostname(const std::string& hostname) const;
};

}  // namespace aigw::config
