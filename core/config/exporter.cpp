#include "config/exporter.h"

#include <regex>

namespace aigw::config {
namespace {

// ---- YAML node helpers (mutating a deep clone of the document) ----

YAML::Node findChild(const YAML::Node& map, const std::string& key) {
    if (!map.IsMap())
        return YAML::Node(YAML::NodeType::Undefined);
    for (const auto& kv : map)
        if (kv.first.IsScalar() && kv.first.Scalar() == key)
            return kv.second;
    return YAML::Node(YAML::NodeType::Undefined);
}

bool hasKey(const YAML::Node& map, const std::string& key) {
    return findChild(map, key).IsDefined();
}

void removeKey(YAML::Node& map, const std::string& key) {
    if (map.IsMap() && hasKey(map, key))
        map.remove(key);
}

/// A string scalar that the emitter must keep a string ("80", "true" are quoted).
YAML::Node strNode(const std::string& s) {
    YAML::Node n(s);
    n.SetTag("!");
    return n;
}

/// The map under `key`, created (or replacing a null/scalar) when needed.
YAML::Node ensureMap(YAML::Node& parent, const std::string& key) {
    YAML::Node existing = findChild(parent, key);
    if (existing.IsMap())
        return existing;
    parent[key] = YAML::Node(YAML::NodeType::Map);
    return findChild(parent, key);
}

/// After overlaying a sub-map: drop it if it ended up empty because typed values were unset, but
/// keep a `{}` or null the user wrote.
void pruneIfEmpty(YAML::Node& parent, const std::string& key, bool rawWasEmptyOrNull, bool rawWasNull) {
    YAML::Node n = findChild(parent, key);
    if (!n.IsDefined() || !n.IsMap() || n.size() != 0)
        return;
    if (!rawWasEmptyOrNull)
        removeKey(parent, key);
    else if (rawWasNull)
        parent[key] = YAML::Node(YAML::NodeType::Null);
}

void setStr(YAML::Node& map, const std::string& key, const std::optional<std::string>& v) {
    if (!v) {
        removeKey(map, key);
        return;
    }
    const YAML::Node cur = findChild(map, key);
    if (cur.IsScalar() && cur.Scalar() == *v)
        return;
    map[key] = strNode(*v);
}

void setInt(YAML::Node& map, const std::string& key, const std::optional<std::int64_t>& v) {
    if (!v) {
        removeKey(map, key);
        return;
    }
    const YAML::Node cur = findChild(map, key);
    std::int64_t old = 0;
    if (cur.IsScalar() && cur.Tag() != "!" && YAML::convert<std::int64_t>::decode(cur, old) && old == *v)
        return;
    map[key] = *v;
}

void setBool(YAML::Node& map, const std::string& key, const std::optional<bool>& v) {
    if (!v) {
        removeKey(map, key);
        return;
    }
    const YAML::Node cur = findChild(map, key);
    bool old = false;
    if (cur.IsScalar() && cur.Tag() != "!" && YAML::convert<bool>::decode(cur, old) && old == *v)
        return;
    map[key] = *v;
}

void setDuration(YAML::Node& map, const std::string& key, const std::optional<Duration>& v) {
    if (!v) {
        removeKey(map, key);
        return;
    }
    const YAML::Node cur = findChild(map, key);
    if (cur.IsScalar()) {
        const auto old = parseDuration(cur.Scalar());
        if (old && *old == *v)
            return;  // keep the user's spelling
    }
    map[key] = formatDuration(*v);
}

void setStringMap(YAML::Node& map, const std::string& key, const std::map<std::string, std::string>& v) {
    const YAML::Node cur = findChild(map, key);
    std::map<std::string, std::string> old;
    std::vector<std::string> order;
    if (cur.IsMap())
        for (const auto& kv : cur)
            if (kv.first.IsScalar() && kv.second.IsScalar()) {
                old[kv.first.Scalar()] = kv.second.Scalar();
                order.push_back(kv.first.Scalar());
            }
    if (old == v && (cur.IsMap() || v.empty()))
        return;
    if (v.empty()) {
        removeKey(map, key);
        return;
    }
    YAML::Node out(YAML::NodeType::Map);
    for (const auto& k : order)  // keep the user's order for keys that stay
        if (auto it = v.find(k); it != v.end())
            out[strNode(k)] = strNode(it->second);
    for (const auto& [k, val] : v)
        if (!old.count(k))
            out[strNode(k)] = strNode(val);
    map[key] = out;
}

/// Rebuilds the list under `key` from `items`, reusing the raw item at the same index so that
/// unmodelled fields of each item survive.
template <typename T, typename Fn>
void overlaySeq(YAML::Node& parent, const std::string& key, const std::vector<T>& items, Fn overlayItem) {
    const YAML::Node cur = findChild(parent, key);
    if (items.empty()) {
        if (cur.IsDefined() && !(cur.IsSequence() && cur.size() == 0))
            removeKey(parent, key);
        return;
    }
    YAML::Node out(YAML::NodeType::Sequence);
    for (std::size_t i = 0; i < items.size(); ++i) {
        YAML::Node item = cur.IsSequence() && i < cur.size() && cur[i].IsMap() ? cur[i] : YAML::Node(YAML::NodeType::Map);
        overlayItem(item, items[i]);
        out.push_back(item);
    }
    parent[key] = out;
}

/// A list of scalars (trigger names, status codes): kept as written when equal, else rewritten.
template <typename T>
void overlaySeqScalars(YAML::Node& parent, const std::string& key, const std::vector<T>& items) {
    const YAML::Node cur = findChild(parent, key);
    if (items.empty()) {
        if (cur.IsDefined() && !(cur.IsSequence() && cur.size() == 0))
            removeKey(parent, key);
        return;
    }
    if (cur.IsSequence() && cur.size() == items.size()) {
        bool same = true;
        for (std::size_t i = 0; i < items.size() && same; ++i) {
            T v{};
            same = cur[i].IsScalar() && YAML::convert<T>::decode(cur[i], v) && v == items[i];
        }
        if (same)
            return;
    }
    YAML::Node out(YAML::NodeType::Sequence);
    for (const auto& v : items) {
        if constexpr (std::is_same_v<T, std::string>)
            out.push_back(strNode(v));
        else
            out.push_back(v);
    }
    parent[key] = out;
}

void overlayRef(YAML::Node& n, const ObjectRef& r) {
    setStr(n, "name", r.name);
    setStr(n, "namespace", r.ns);
    setStr(n, "group", r.group);
    setStr(n, "kind", r.kind);
    setStr(n, "sectionName", r.sectionName);
}

// Key order for newly created nodes follows the official examples (name first).
// The model leaves the server's last-applied-configuration annotation out; one still in the
// document (export --keep-server-fields) stays.
void overlayMeta(YAML::Node& doc, const ObjectMeta& m) {
    YAML::Node meta = ensureMap(doc, "metadata");
    setStr(meta, "name", m.name);
    setStr(meta, "namespace", m.ns.empty() ? std::nullopt : std::optional<std::string>(m.ns));
    setStringMap(meta, "labels", m.labels);
    const YAML::Node lastApplied = findChild(findChild(meta, "annotations"), server_fields::kLastAppliedAnnotation);
    if (lastApplied.IsScalar() && !m.annotations.count(server_fields::kLastAppliedAnnotation)) {
        auto withServer = m.annotations;
        withServer[server_fields::kLastAppliedAnnotation] = lastApplied.Scalar();
        setStringMap(meta, "annotations", withServer);
    } else {
        setStringMap(meta, "annotations", m.annotations);
    }
}

/// Drops what the API server adds to an object (status, uid, resourceVersion, ...; see
/// server_fields), so that what kubectl printed exports as what a user would apply.
void stripServerFields(YAML::Node& doc) {
    if (!doc.IsMap())
        return;
    removeKey(doc, server_fields::kStatus);
    YAML::Node meta = findChild(doc, "metadata");
    if (!meta.IsMap())
        return;
    for (const char* key : server_fields::kMetadata)
        removeKey(meta, key);
    YAML::Node ann = findChild(meta, "annotations");
    if (ann.IsMap() && hasKey(ann, server_fields::kLastAppliedAnnotation)) {
        ann.remove(server_fields::kLastAppliedAnnotation);
        if (ann.size() == 0)
            meta.remove("annotations");
    }
}

struct SubMap {
    bool wasEmpty = true;
    bool wasNull = false;
};

SubMap rawState(const YAML::Node& parent, const std::string& key) {
    const YAML::Node n = findChild(parent, key);
    SubMap s;
    s.wasNull = n.IsDefined() && n.IsNull();
    s.wasEmpty = !n.IsDefined() || n.IsNull() || (n.IsMap() && n.size() == 0);
    if (!n.IsDefined())
        s.wasEmpty = false;  // absent: an empty result is removed, not written as {}
    return s;
}

void overlayRule(YAML::Node& n, const RouteRule& rule) {
    setStr(n, "name", rule.name);
    overlaySeq(n, "matches", rule.matches, [](YAML::Node& m, const RouteMatch& match) {
        overlaySeq(m, "headers", match.headers, [](YAML::Node& h, const HeaderMatch& hm) {
            std::optional<std::string> type;
            if (hm.type)
                type = *hm.type == HeaderMatchType::Exact ? "Exact" : "RegularExpression";
            setStr(h, "type", type);
            setStr(h, "name", hm.name);
            setStr(h, "value", hm.value);
        });
    });
    overlaySeq(n, "backendRefs", rule.backendRefs, [](YAML::Node& b, const BackendRefSpec& ref) {
        setStr(b, "name", ref.name);
        setStr(b, "namespace", ref.ns);
        setStr(b, "modelNameOverride", ref.modelNameOverride);
        setInt(b, "weight", ref.weight);
        setInt(b, "priority", ref.priority);
    });
    const SubMap ts = rawState(n, "timeouts");
    if (rule.requestTimeout || rule.backendRequestTimeout || hasKey(n, "timeouts")) {
        YAML::Node t = ensureMap(n, "timeouts");
        setDuration(t, "request", rule.requestTimeout);
        setDuration(t, "backendRequest", rule.backendRequestTimeout);
        pruneIfEmpty(n, "timeouts", ts.wasEmpty, ts.wasNull);
    }
    setDuration(n, "streamIdleTimeout", rule.streamIdleTimeout);
    setStr(n, "modelsOwnedBy", rule.modelsOwnedBy);
}

void overlayRoute(YAML::Node& doc, const AIGatewayRoute& r) {
    overlayMeta(doc, r.meta);
    YAML::Node spec = ensureMap(doc, "spec");
    // Removed from the CRD (v0.4+): a cluster rejects them, so they are never written.
    removeKey(spec, "targetRefs");
    removeKey(spec, "schema");
    removeKey(spec, "filterConfig");
    overlaySeq(spec, "parentRefs", r.parentRefs, overlayRef);
    // Required by the CRD; a `rules:` left null (or not a list) is written as [] too, or its export
    // would gain `rules: []` only when exported again.
    if (r.rules.empty())
        spec["rules"] = YAML::Node(YAML::NodeType::Sequence);
    overlaySeq(spec, "rules", r.rules, overlayRule);
}

void overlayServiceBackend(YAML::Node& doc, const AIServiceBackend& b) {
    overlayMeta(doc, b.meta);
    YAML::Node spec = ensureMap(doc, "spec");
    YAML::Node schema = ensureMap(spec, "schema");
    setStr(schema, "name", b.schemaName);
    setStr(schema, "version", b.schemaVersion);
    setStr(schema, "prefix", b.schemaPrefix);
    YAML::Node ref = ensureMap(spec, "backendRef");
    overlayRef(ref, b.backendRef);
}

void overlayBackend(YAML::Node& doc, const Backend& b) {
    overlayMeta(doc, b.meta);
    YAML::Node spec = ensureMap(doc, "spec");
    overlaySeq(spec, "endpoints", b.endpoints, [](YAML::Node& n, const Endpoint& e) {
        const char* keys[] = {"fqdn", "ip", "unix"};
        const char* key = keys[static_cast<int>(e.type)];
        for (const char* other : keys)
            if (std::string(other) != key)
                removeKey(n, other);
        YAML::Node a = ensureMap(n, key);
        switch (e.type) {
        case EndpointType::Fqdn:
            setStr(a, "hostname", e.address);
            setInt(a, "port", e.port);
            break;
        case EndpointType::Ip:
            setStr(a, "address", e.address);
            setInt(a, "port", e.port);
            break;
        case EndpointType::Unix:
            setStr(a, "path", e.address);
            break;
        }
    });
    setBool(spec, "fallback", b.fallback);
}

void overlayRetry(YAML::Node& spec, const std::optional<RetryPolicy>& retry) {
    if (!retry) {
        removeKey(spec, "retry");
        return;
    }
    const SubMap rs = rawState(spec, "retry");
    YAML::Node r = ensureMap(spec, "retry");
    setInt(r, "numAttemptsPerPriority", retry->numAttemptsPerPriority);
    setInt(r, "numRetries", retry->numRetries);
    const SubMap ps = rawState(r, "perRetry");
    if (retry->perTryTimeout || retry->backoffBase || retry->backoffMax || hasKey(r, "perRetry")) {
        YAML::Node per = ensureMap(r, "perRetry");
        const SubMap bs = rawState(per, "backOff");
        if (retry->backoffBase || retry->backoffMax || hasKey(per, "backOff")) {
            YAML::Node bo = ensureMap(per, "backOff");
            setDuration(bo, "baseInterval", retry->backoffBase);
            setDuration(bo, "maxInterval", retry->backoffMax);
            pruneIfEmpty(per, "backOff", bs.wasEmpty, bs.wasNull);
        }
        setDuration(per, "timeout", retry->perTryTimeout);
        pruneIfEmpty(r, "perRetry", ps.wasEmpty, ps.wasNull);
    }
    if (!retry->hasRetryOn) {
        removeKey(r, "retryOn");
    } else {
        const SubMap os = rawState(r, "retryOn");
        YAML::Node on = ensureMap(r, "retryOn");
        std::vector<std::int64_t> codes(retry->httpStatusCodes.begin(), retry->httpStatusCodes.end());
        overlaySeqScalars(on, "httpStatusCodes", codes);
        overlaySeqScalars(on, "triggers", retry->triggers);
        // retryOn present but empty is meaningful (no defaults), so an empty map stays.
        if (os.wasNull && on.size() == 0)
            r["retryOn"] = YAML::Node(YAML::NodeType::Null);
    }
    if (rs.wasNull && r.size() == 0)
        spec["retry"] = YAML::Node(YAML::NodeType::Null);
}

void overlayTrafficPolicy(YAML::Node& doc, const BackendTrafficPolicy& p) {
    overlayMeta(doc, p.meta);
    YAML::Node spec = ensureMap(doc, "spec");
    overlaySeq(spec, "targetRefs", p.targetRefs, overlayRef);
    overlayRetry(spec, p.retry);
    const SubMap hs = rawState(spec, "healthCheck");
    if (p.passive || p.panicThreshold || hasKey(spec, "healthCheck")) {
        YAML::Node hc = ensureMap(spec, "healthCheck");
        if (!p.passive) {
            removeKey(hc, "passive");
        } else {
            const SubMap ps = rawState(hc, "passive");
            YAML::Node pa = ensureMap(hc, "passive");
            const auto& v = *p.passive;
            setBool(pa, "splitExternalLocalOriginErrors", v.splitExternalLocalOriginErrors);
            setDuration(pa, "interval", v.interval);
            setInt(pa, "consecutiveLocalOriginFailures", v.consecutiveLocalOriginFailures);
            setInt(pa, "consecutiveGatewayErrors", v.consecutiveGatewayErrors);
            setInt(pa, "consecutive5XxErrors", v.consecutive5XxErrors);
            setDuration(pa, "baseEjectionTime", v.baseEjectionTime);
            setInt(pa, "maxEjectionPercent", v.maxEjectionPercent);
            setInt(pa, "failurePercentageThreshold", v.failurePercentageThreshold);
            setBool(pa, "alwaysEjectOneEndpoint", v.alwaysEjectOneEndpoint);
            // A passive block with every field at its default is still "outlier detection on".
            if (pa.size() == 0)
                hc["passive"] = ps.wasNull ? YAML::Node(YAML::NodeType::Null) : YAML::Node(YAML::NodeType::Map);
        }
        setInt(hc, "panicThreshold", p.panicThreshold);
        pruneIfEmpty(spec, "healthCheck", hs.wasEmpty, hs.wasNull);
    }
}

void overlayClientPolicy(YAML::Node& doc, const ClientTrafficPolicy& p) {
    overlayMeta(doc, p.meta);
    YAML::Node spec = ensureMap(doc, "spec");
    overlaySeq(spec, "targetRefs", p.targetRefs, overlayRef);
    const SubMap cs = rawState(spec, "connection");
    if (p.bufferLimit || hasKey(spec, "connection")) {
        YAML::Node conn = ensureMap(spec, "connection");
        if (!p.bufferLimit) {
            removeKey(conn, "bufferLimit");
        } else {
            const YAML::Node cur = findChild(conn, "bufferLimit");
            if (!(cur.IsScalar() && cur.Scalar() == *p.bufferLimit)) {
                // int-or-string: digits only are written as a number, like kubectl shows them.
                const bool digits = p.bufferLimit->find_first_not_of("0123456789") == std::string::npos;
                conn["bufferLimit"] = digits ? YAML::Node(*p.bufferLimit) : strNode(*p.bufferLimit);
            }
        }
        pruneIfEmpty(spec, "connection", cs.wasEmpty, cs.wasNull);
    }
}

void stripSimAnnotations(YAML::Node& doc) {
    YAML::Node meta = findChild(doc, "metadata");
    YAML::Node ann = findChild(meta, "annotations");
    if (!ann.IsMap())
        return;
    std::vector<std::string> drop;
    for (const auto& kv : ann)
        if (kv.first.IsScalar() && kv.first.Scalar().rfind(SimSettings::kPrefix, 0) == 0)
            drop.push_back(kv.first.Scalar());
    if (drop.empty())
        return;
    for (const auto& k : drop)
        ann.remove(k);
    if (ann.size() == 0)
        meta.remove("annotations");
}

YAML::Node newDocument(const std::string& apiVersion, const char* kind) {
    YAML::Node doc(YAML::NodeType::Map);
    doc["apiVersion"] = apiVersion;
    doc["kind"] = kind;
    doc["metadata"] = YAML::Node(YAML::NodeType::Map);
    doc["spec"] = YAML::Node(YAML::NodeType::Map);
    return doc;
}

// ---- emitting ----

/// Text that a YAML 1.1 reader (Kubernetes' sigs.k8s.io/yaml) would not read back as a string.
bool resolvesToNonString(const std::string& s) {
    static const std::regex re(
        R"(^(|~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N)$|)"
        R"(^[-+]?([0-9][0-9_]*|0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+)$|)"
        R"(^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$|)"
        R"(^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$|)"
        R"(^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?$|)"
        R"(^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$)");
    return std::regex_match(s, re);
}

void emit(YAML::Emitter& out, const YAML::Node& n) {
    switch (n.Type()) {
    case YAML::NodeType::Map:
        if (n.size() == 0) {
            out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
            return;
        }
        out << YAML::BeginMap;
        for (const auto& kv : n) {
            out << YAML::Key;
            emit(out, kv.first);
            out << YAML::Value;
            emit(out, kv.second);
        }
        out << YAML::EndMap;
        return;
    case YAML::NodeType::Sequence:
        if (n.size() == 0) {
            out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
            return;
        }
        out << YAML::BeginSeq;
        for (const auto& item : n)
            emit(out, item);
        out << YAML::EndSeq;
        return;
    case YAML::NodeType::Scalar: {
        const std::string& s = n.Scalar();
        const bool quotedString = n.Tag() == "!";
        if (s.find('\n') != std::string::npos) {
            // Literal block only where it reads back byte for byte (one trailing newline, no
            // leading blank or space); anything else is double-quoted with escapes.
            const bool literalSafe = s.size() >= 2 && s.back() == '\n' && s[s.size() - 2] != '\n' && s.front() != ' ' &&
                                     s.front() != '\n' && s.find_first_of("\r\t") == std::string::npos &&
                                     s.find(" \n") == std::string::npos;
            out << (literalSafe ? YAML::Literal : YAML::DoubleQuoted) << s;
        } else if (quotedString && resolvesToNonString(s)) {
            out << YAML::DoubleQuoted << s;
        } else {
            out << s;
        }
        return;
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
        out << YAML::Null;
        return;
    }
}

}  // namespace

bool isSupportedApiVersion(const std::string& version) {
    return version == "v1alpha1" || version == "v1beta1";
}

std::string emitNode(const YAML::Node& node) {
    YAML::Emitter out;
    out.SetIndent(2);
    out.SetSeqFormat(YAML::Block);
    out.SetMapFormat(YAML::Block);
    emit(out, node);
    std::string s = out.c_str();
    if (!s.empty() && s.back() != '\n')
        s += '\n';
    return s;
}

namespace {

/// Builds the exported form of one object at a time, so that exporting one object (the doctor's
/// fix snippets) costs that object, not the whole config.
class Builder {
public:
    Builder(const Config& config, const ExportOptions& options)
        : m_config(config), m_options(options), m_convert(isSupportedApiVersion(options.apiVersion)) {}

    static bool typed(Kind kind) {
        return kind == Kind::AIGatewayRoute || kind == Kind::AIServiceBackend || kind == Kind::Backend ||
               kind == Kind::BackendTrafficPolicy || kind == Kind::ClientTrafficPolicy || kind == Kind::InferenceService;
    }

    /// Number of typed objects of `kind` (0 for kinds without a typed vector).
    std::size_t typedCount(Kind kind) const {
        switch (kind) {
        case Kind::AIGatewayRoute: return m_config.routes.size();
        case Kind::AIServiceBackend: return m_config.serviceBackends.size();
        case Kind::Backend: return m_config.backends.size();
        case Kind::BackendTrafficPolicy: return m_config.trafficPolicies.size();
        case Kind::ClientTrafficPolicy: return m_config.clientPolicies.size();
        case Kind::InferenceService: return m_config.inferenceServices.size();
        default: return 0;
        }
    }

    /// Document `d` (the `index`-th of its kind) with its typed object laid over it; undefined when
    /// that object was deleted from the typed model after loading.
    YAML::Node fromDocument(const Document& d, std::size_t index) const {
        if (typed(d.kind) && index >= typedCount(d.kind))
            return YAML::Node(YAML::NodeType::Undefined);
        YAML::Node doc = toYamlCpp(d.raw);  // a fresh node: the overlay edits it
        if (!m_options.keepServerFields)
            stripServerFields(doc);
        if (typed(d.kind))
            overlay(doc, d.kind, index);  // unmodelled kinds are written as read
        finish(doc);
        return doc;
    }

    /// A typed object added after loading (no document yet).
    YAML::Node fresh(Kind kind, std::size_t i) const {
        YAML::Node doc;
        switch (kind) {
        case Kind::AIGatewayRoute: doc = newDocument(aigwVersion(m_config.routes[i].apiVersion), "AIGatewayRoute"); break;
        case Kind::AIServiceBackend:
            doc = newDocument(aigwVersion(m_config.serviceBackends[i].apiVersion), "AIServiceBackend");
            break;
        case Kind::Backend: doc = newDocument("gateway.envoyproxy.io/v1alpha1", "Backend"); break;
        case Kind::BackendTrafficPolicy: doc = newDocument("gateway.envoyproxy.io/v1alpha1", "BackendTrafficPolicy"); break;
        case Kind::ClientTrafficPolicy: doc = newDocument("gateway.envoyproxy.io/v1alpha1", "ClientTrafficPolicy"); break;
        default:
            // An InferenceService added without a document has no container spec to write; the
            // simulator only reads its name and model, so there is nothing a cluster could run.
            return YAML::Node(YAML::NodeType::Undefined);
        }
        overlay(doc, kind, i);
        finish(doc);
        return doc;
    }

private:
    std::string aigwVersion(const std::string& asRead) const {
        if (m_convert)
            return "aigateway.envoyproxy.io/" + m_options.apiVersion;
        return asRead.empty() ? std::string("aigateway.envoyproxy.io/v1beta1") : asRead;
    }

    void overlay(YAML::Node& doc, Kind kind, std::size_t i) const {
        switch (kind) {
        case Kind::AIGatewayRoute:
            overlayRoute(doc, m_config.routes[i]);
            doc["apiVersion"] = aigwVersion(m_config.routes[i].apiVersion);
            break;
        case Kind::AIServiceBackend:
            overlayServiceBackend(doc, m_config.serviceBackends[i]);
            doc["apiVersion"] = aigwVersion(m_config.serviceBackends[i].apiVersion);
            break;
        case Kind::Backend: overlayBackend(doc, m_config.backends[i]); break;
        case Kind::BackendTrafficPolicy: overlayTrafficPolicy(doc, m_config.trafficPolicies[i]); break;
        case Kind::ClientTrafficPolicy: overlayClientPolicy(doc, m_config.clientPolicies[i]); break;
        case Kind::InferenceService: overlayMeta(doc, m_config.inferenceServices[i].meta); break;
        default: break;
        }
    }

    void finish(YAML::Node& doc) const {
        if (m_options.stripSim)
            stripSimAnnotations(doc);
    }

    const Config& m_config;
    const ExportOptions& m_options;
    bool m_convert;
};

}  // namespace

std::string exportYaml(const Config& config, const ExportOptions& options) {
    const Builder builder(config, options);
    std::string out;
    auto write = [&out](const YAML::Node& node) {
        if (!node.IsDefined())
            return;
        if (!out.empty())
            out += "---\n";
        out += emitNode(node);
    };
    std::map<Kind, std::size_t> seen;
    for (const auto& d : config.documents) {
        // The simulator's own documents (a Scenario read along with manifests) never go to a cluster.
        if (options.stripSim && d.apiVersion.rfind("aigw-sim.dev/", 0) == 0)
            continue;
        write(builder.fromDocument(d, Builder::typed(d.kind) ? seen[d.kind]++ : 0));
    }
    // Typed objects added after loading have no document yet: after the read ones, in kind order.
    for (Kind kind : {Kind::AIGatewayRoute, Kind::AIServiceBackend, Kind::Backend, Kind::BackendTrafficPolicy,
                      Kind::ClientTrafficPolicy})
        for (std::size_t i = seen[kind]; i < builder.typedCount(kind); ++i)
            write(builder.fresh(kind, i));
    return out;
}

YAML::Node exportDocumentNode(const Config& config, const Document& d, std::size_t index, const ExportOptions& options) {
    return Builder(config, options).fromDocument(d, index);
}

YAML::Node exportNewObjectNode(const Config& config, Kind kind, std::size_t index, const ExportOptions& options) {
    const Builder builder(config, options);
    if (!Builder::typed(kind) || index >= builder.typedCount(kind))
        return YAML::Node(YAML::NodeType::Undefined);
    return builder.fresh(kind, index);
}

std::string exportObject(const Config& config, Kind kind, std::size_t index, const ExportOptions& options) {
    const Builder builder(config, options);
    if (!Builder::typed(kind) || index >= builder.typedCount(kind))
        return {};
    const Document* d = config.documentFor(kind, index);
    const YAML::Node node = d ? builder.fromDocument(*d, index) : builder.fresh(kind, index);
    return node.IsDefined() ? emitNode(node) : std::string();
}

}  // namespace aigw::config
