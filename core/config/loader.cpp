#include "config/loader.h"

#include <filesystem>
#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/log.h"
#include "config/validate.h"

namespace aigw::config {
namespace {

std::string join(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
}

std::string index(const std::string& parent, std::size_t i) {
    return parent + "[" + std::to_string(i) + "]";
}

SourceLocation fromMark(const std::string& file, const YAML::Mark& mark) {
    SourceLocation loc;
    loc.file = file;
    if (!mark.is_null()) {
        loc.line = mark.line + 1;
        loc.column = mark.column + 1;
    }
    return loc;
}

/// Aliases can make a document refer to itself (`a: &x [*x]`) or expand exponentially (nested
/// aliases, "billion laughs"). Both would make every later walk over the node endless, so such a
/// document is rejected here, before it is copied into a YamlTree (which expands aliases).
/// Only streams with aliases get here: YamlTree::parseFast leaves them to yaml-cpp.
std::string structureProblem(const YAML::Node& node, std::vector<YAML::Node>& ancestors, std::size_t& budget) {
    if (budget == 0)
        return "document expands to too many nodes (aliases?)";
    --budget;
    if (!node.IsMap() && !node.IsSequence())
        return {};
    for (const auto& a : ancestors)
        if (a.is(node))
            return "an alias refers to a node that contains it (recursive structure)";
    if (ancestors.size() >= YamlTree::kMaxDepth)
        return "nested too deeply";
    ancestors.push_back(node);
    std::string problem;
    if (node.IsMap()) {
        for (const auto& kv : node) {
            problem = structureProblem(kv.first, ancestors, budget);
            if (problem.empty())
                problem = structureProblem(kv.second, ancestors, budget);
            if (!problem.empty())
                break;
        }
    } else {
        for (const auto& item : node) {
            problem = structureProblem(item, ancestors, budget);
            if (!problem.empty())
                break;
        }
    }
    ancestors.pop_back();
    return problem;
}

/// Reads typed values out of one document, reporting type errors at the document's locations.
class DocReader {
public:
    DocReader(const Document& doc, std::vector<Error>& errors) : m_doc(doc), m_errors(errors) {}

    void error(const std::string& path, const std::string& message) {
        m_errors.push_back(Error{m_doc.locate(path), message});
    }

    /// `map[key]` when `map` is a mapping that has it; an undefined node otherwise.
    static RawNode child(const RawNode& map, std::string_view key) { return map.child(key); }

    static bool present(const RawNode& n) { return n.isDefined() && !n.isNull(); }

    bool expectMap(const RawNode& n, const std::string& path) {
        if (n.isMap())
            return true;
        error(path, "must be a mapping");
        return false;
    }

    bool expectSeq(const RawNode& n, const std::string& path) {
        if (n.isSequence())
            return true;
        error(path, "must be a list");
        return false;
    }

    std::optional<std::string> str(const RawNode& map, const std::string& key, const std::string& parent) {
        const RawNode n = child(map, key);
        if (!present(n))
            return std::nullopt;
        if (!n.isScalar()) {
            error(join(parent, key), "must be a string");
            return std::nullopt;
        }
        return std::string(n.scalar());
    }

    std::optional<std::int64_t> integer(const RawNode& n, const std::string& path) {
        if (!present(n))
            return std::nullopt;
        std::int64_t v = 0;
        // A quoted "50" is a string to Kubernetes, which rejects it for an integer field.
        if (!n.isScalar() || n.tag() == "!" || !YAML::convert<std::int64_t>::decode(YAML::Node(std::string(n.scalar())), v)) {
            error(path, "must be an integer");
            return std::nullopt;
        }
        return v;
    }

    std::optional<std::int64_t> integer(const RawNode& map, const std::string& key, const std::string& parent) {
        return integer(child(map, key), join(parent, key));
    }

    std::optional<bool> boolean(const RawNode& map, const std::string& key, const std::string& parent) {
        const RawNode n = child(map, key);
        if (!present(n))
            return std::nullopt;
        bool v = false;
        if (!n.isScalar() || n.tag() == "!" || !YAML::convert<bool>::decode(YAML::Node(std::string(n.scalar())), v)) {
            error(join(parent, key), "must be true or false");
            return std::nullopt;
        }
        return v;
    }

    std::optional<Duration> duration(const RawNode& map, const std::string& key, const std::string& parent) {
        const RawNode n = child(map, key);
        if (!present(n))
            return std::nullopt;
        std::optional<Duration> d;
        if (n.isScalar())
            d = parseDuration(std::string(n.scalar()));
        if (!d)
            error(join(parent, key), "must be a duration matching ^([0-9]{1,5}(h|m|s|ms)){1,4}$ (e.g. 100ms, 10s, 1m, 1h30m)");
        return d;
    }

    std::map<std::string, std::string> stringMap(const RawNode& map, const std::string& key,
                                                 const std::string& parent) {
        std::map<std::string, std::string> out;
        const RawNode n = child(map, key);
        if (!present(n))
            return out;
        const std::string path = join(parent, key);
        if (!expectMap(n, path))
            return out;
        for (std::size_t i = 0; i < n.size(); ++i) {
            const RawNode k = n.key(i), v = n.value(i);
            if (!k.isScalar() || !v.isScalar()) {
                error(path, "must map strings to strings");
                continue;
            }
            out[std::string(k.scalar())] = std::string(v.scalar());
        }
        return out;
    }

    ObjectRef ref(const RawNode& n, const std::string& path) {
        ObjectRef r;
        if (!expectMap(n, path))
            return r;
        r.group = str(n, "group", path);
        r.kind = str(n, "kind", path);
        r.name = str(n, "name", path).value_or("");
        r.ns = str(n, "namespace", path);
        r.sectionName = str(n, "sectionName", path);
        return r;
    }

    std::vector<ObjectRef> refs(const RawNode& map, const std::string& key, const std::string& parent) {
        std::vector<ObjectRef> out;
        const RawNode n = child(map, key);
        const std::string path = join(parent, key);
        if (!present(n) || !expectSeq(n, path))
            return out;
        for (std::size_t i = 0; i < n.size(); ++i)
            out.push_back(ref(n[i], index(path, i)));
        return out;
    }

private:
    const Document& m_doc;
    std::vector<Error>& m_errors;
};

ObjectMeta readMeta(DocReader& r, const RawNode& root) {
    ObjectMeta m;
    const RawNode meta = DocReader::child(root, "metadata");
    if (!DocReader::present(meta)) {
        r.error("metadata", "is required");
        return m;
    }
    if (!r.expectMap(meta, "metadata"))
        return m;
    m.name = r.str(meta, "name", "metadata").value_or("");
    if (m.name.empty())
        r.error("metadata.name", "is required");
    m.ns = r.str(meta, "namespace", "metadata").value_or("");
    m.labels = r.stringMap(meta, "labels", "metadata");
    m.annotations = r.stringMap(meta, "annotations", "metadata");
    m.annotations.erase(server_fields::kLastAppliedAnnotation);  // the server's, not the user's
    return m;
}

AIGatewayRoute readRoute(DocReader& r, const RawNode& spec, const Document& doc) {
    AIGatewayRoute route;
    route.meta = doc.meta;
    route.apiVersion = doc.apiVersion;
    route.parentRefs = r.refs(spec, "parentRefs", "spec");
    const RawNode rules = DocReader::child(spec, "rules");
    if (!DocReader::present(rules) || !r.expectSeq(rules, "spec.rules"))
        return route;
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const std::string rp = index("spec.rules", i);
        const RawNode rn = rules[i];
        RouteRule rule;
        if (!r.expectMap(rn, rp)) {
            route.rules.push_back(rule);
            continue;
        }
        rule.name = r.str(rn, "name", rp);
        rule.modelsOwnedBy = r.str(rn, "modelsOwnedBy", rp);
        rule.streamIdleTimeout = r.duration(rn, "streamIdleTimeout", rp);
        const RawNode timeouts = DocReader::child(rn, "timeouts");
        if (DocReader::present(timeouts) && r.expectMap(timeouts, join(rp, "timeouts"))) {
            rule.requestTimeout = r.duration(timeouts, "request", join(rp, "timeouts"));
            rule.backendRequestTimeout = r.duration(timeouts, "backendRequest", join(rp, "timeouts"));
        }
        const RawNode matches = DocReader::child(rn, "matches");
        if (DocReader::present(matches) && r.expectSeq(matches, join(rp, "matches"))) {
            for (std::size_t m = 0; m < matches.size(); ++m) {
                const std::string mp = index(join(rp, "matches"), m);
                RouteMatch match;
                const RawNode headers = DocReader::child(matches[m], "headers");
                if (r.expectMap(matches[m], mp) && DocReader::present(headers) &&
                    r.expectSeq(headers, join(mp, "headers"))) {
                    for (std::size_t h = 0; h < headers.size(); ++h) {
                        const std::string hp = index(join(mp, "headers"), h);
                        HeaderMatch hm;
                        if (r.expectMap(headers[h], hp)) {
                            hm.name = r.str(headers[h], "name", hp).value_or("");
                            hm.value = r.str(headers[h], "value", hp).value_or("");
                            if (auto t = r.str(headers[h], "type", hp)) {
                                if (*t == "Exact")
                                    hm.type = HeaderMatchType::Exact;
                                else if (*t == "RegularExpression")
                                    hm.type = HeaderMatchType::RegularExpression;
                                else
                                    r.error(join(hp, "type"), "must be one of Exact, RegularExpression (got \"" + *t + "\")");
                            }
                        }
                        match.headers.push_back(hm);
                    }
                }
                rule.matches.push_back(match);
            }
        }
        const RawNode refs = DocReader::child(rn, "backendRefs");
        if (DocReader::present(refs) && r.expectSeq(refs, join(rp, "backendRefs"))) {
            for (std::size_t b = 0; b < refs.size(); ++b) {
                const std::string bp = index(join(rp, "backendRefs"), b);
                BackendRefSpec ref;
                if (r.expectMap(refs[b], bp)) {
                    ref.name = r.str(refs[b], "name", bp).value_or("");
                    ref.ns = r.str(refs[b], "namespace", bp);
                    ref.modelNameOverride = r.str(refs[b], "modelNameOverride", bp);
                    ref.weight = r.integer(refs[b], "weight", bp);
                    ref.priority = r.integer(refs[b], "priority", bp);
                }
                rule.backendRefs.push_back(ref);
            }
        }
        route.rules.push_back(rule);
    }
    return route;
}

AIServiceBackend readServiceBackend(DocReader& r, const RawNode& spec, const Document& doc) {
    AIServiceBackend b;
    b.meta = doc.meta;
    b.apiVersion = doc.apiVersion;
    const RawNode schema = DocReader::child(spec, "schema");
    if (DocReader::present(schema) && r.expectMap(schema, "spec.schema")) {
        b.schemaName = r.str(schema, "name", "spec.schema").value_or("");
        b.schemaVersion = r.str(schema, "version", "spec.schema");
        b.schemaPrefix = r.str(schema, "prefix", "spec.schema");
    }
    const RawNode ref = DocReader::child(spec, "backendRef");
    if (DocReader::present(ref))
        b.backendRef = r.ref(ref, "spec.backendRef");
    return b;
}

Backend readBackend(DocReader& r, const RawNode& spec, const Document& doc) {
    Backend b;
    b.meta = doc.meta;
    b.fallback = r.boolean(spec, "fallback", "spec");
    const RawNode eps = DocReader::child(spec, "endpoints");
    if (!DocReader::present(eps) || !r.expectSeq(eps, "spec.endpoints"))
        return b;
    for (std::size_t i = 0; i < eps.size(); ++i) {
        const std::string ep = index("spec.endpoints", i);
        Endpoint e;
        if (!r.expectMap(eps[i], ep)) {
            b.endpoints.push_back(e);
            continue;
        }
        // The CRD allows exactly one of fqdn/ip/unix; the validator reports other shapes from raw.
        if (const RawNode f = DocReader::child(eps[i], "fqdn"); DocReader::present(f)) {
            e.type = EndpointType::Fqdn;
            if (r.expectMap(f, join(ep, "fqdn"))) {
                e.address = r.str(f, "hostname", join(ep, "fqdn")).value_or("");
                e.port = static_cast<int>(r.integer(f, "port", join(ep, "fqdn")).value_or(0));
            }
        } else if (const RawNode ip = DocReader::child(eps[i], "ip"); DocReader::present(ip)) {
            e.type = EndpointType::Ip;
            if (r.expectMap(ip, join(ep, "ip"))) {
                e.address = r.str(ip, "address", join(ep, "ip")).value_or("");
                e.port = static_cast<int>(r.integer(ip, "port", join(ep, "ip")).value_or(0));
            }
        } else if (const RawNode u = DocReader::child(eps[i], "unix"); DocReader::present(u)) {
            e.type = EndpointType::Unix;
            if (r.expectMap(u, join(ep, "unix")))
                e.address = r.str(u, "path", join(ep, "unix")).value_or("");
        }
        b.endpoints.push_back(e);
    }
    return b;
}

BackendTrafficPolicy readTrafficPolicy(DocReader& r, const RawNode& spec, const Document& doc) {
    BackendTrafficPolicy p;
    p.meta = doc.meta;
    p.targetRefs = r.refs(spec, "targetRefs", "spec");
    const RawNode retry = DocReader::child(spec, "retry");
    if (retry.isDefined() && (retry.isNull() || r.expectMap(retry, "spec.retry"))) {
        RetryPolicy rp;
        rp.numRetries = r.integer(retry, "numRetries", "spec.retry");
        rp.numAttemptsPerPriority = r.integer(retry, "numAttemptsPerPriority", "spec.retry");
        const RawNode per = DocReader::child(retry, "perRetry");
        if (DocReader::present(per) && r.expectMap(per, "spec.retry.perRetry")) {
            rp.perTryTimeout = r.duration(per, "timeout", "spec.retry.perRetry");
            const RawNode bo = DocReader::child(per, "backOff");
            if (DocReader::present(bo) && r.expectMap(bo, "spec.retry.perRetry.backOff")) {
                rp.backoffBase = r.duration(bo, "baseInterval", "spec.retry.perRetry.backOff");
                rp.backoffMax = r.duration(bo, "maxInterval", "spec.retry.perRetry.backOff");
            }
        }
        const RawNode on = DocReader::child(retry, "retryOn");
        if (on.isDefined() && (on.isNull() || r.expectMap(on, "spec.retry.retryOn"))) {
            rp.hasRetryOn = true;
            const RawNode triggers = DocReader::child(on, "triggers");
            if (DocReader::present(triggers) && r.expectSeq(triggers, "spec.retry.retryOn.triggers")) {
                for (std::size_t i = 0; i < triggers.size(); ++i) {
                    if (triggers[i].isScalar())
                        rp.triggers.emplace_back(triggers[i].scalar());
                    else
                        r.error(index("spec.retry.retryOn.triggers", i), "must be a string");
                }
            }
            const RawNode codes = DocReader::child(on, "httpStatusCodes");
            if (DocReader::present(codes) && r.expectSeq(codes, "spec.retry.retryOn.httpStatusCodes")) {
                rp.hasHttpStatusCodes = true;
                for (std::size_t i = 0; i < codes.size(); ++i) {
                    if (auto c = r.integer(codes[i], index("spec.retry.retryOn.httpStatusCodes", i)))
                        rp.httpStatusCodes.push_back(static_cast<int>(*c));
                }
            }
        }
        p.retry = rp;
    }
    const RawNode timeout = DocReader::child(spec, "timeout");
    if (DocReader::present(timeout) && r.expectMap(timeout, "spec.timeout")) {
        const RawNode tcp = DocReader::child(timeout, "tcp");
        if (DocReader::present(tcp) && r.expectMap(tcp, "spec.timeout.tcp"))
            p.connectTimeout = r.duration(tcp, "connectTimeout", "spec.timeout.tcp");
        const RawNode http = DocReader::child(timeout, "http");
        if (DocReader::present(http) && r.expectMap(http, "spec.timeout.http"))
            p.httpRequestTimeout = r.duration(http, "requestTimeout", "spec.timeout.http");
    }
    const RawNode dns = DocReader::child(spec, "dns");
    if (DocReader::present(dns) && r.expectMap(dns, "spec.dns"))
        p.dnsRefreshRate = r.duration(dns, "dnsRefreshRate", "spec.dns");
    const RawNode hc = DocReader::child(spec, "healthCheck");
    if (DocReader::present(hc) && r.expectMap(hc, "spec.healthCheck")) {
        p.panicThreshold = r.integer(hc, "panicThreshold", "spec.healthCheck");
        const RawNode passive = DocReader::child(hc, "passive");
        const std::string pp = "spec.healthCheck.passive";
        if (passive.isDefined() && (passive.isNull() || r.expectMap(passive, pp))) {
            PassiveHealthCheck ph;
            ph.splitExternalLocalOriginErrors = r.boolean(passive, "splitExternalLocalOriginErrors", pp);
            ph.interval = r.duration(passive, "interval", pp);
            ph.consecutiveLocalOriginFailures = r.integer(passive, "consecutiveLocalOriginFailures", pp);
            ph.consecutiveGatewayErrors = r.integer(passive, "consecutiveGatewayErrors", pp);
            ph.consecutive5XxErrors = r.integer(passive, "consecutive5XxErrors", pp);
            ph.baseEjectionTime = r.duration(passive, "baseEjectionTime", pp);
            ph.maxEjectionPercent = r.integer(passive, "maxEjectionPercent", pp);
            ph.failurePercentageThreshold = r.integer(passive, "failurePercentageThreshold", pp);
            ph.alwaysEjectOneEndpoint = r.boolean(passive, "alwaysEjectOneEndpoint", pp);
            p.passive = ph;
        }
    }
    return p;
}

ClientTrafficPolicy readClientPolicy(DocReader& r, const RawNode& spec, const Document& doc) {
    ClientTrafficPolicy p;
    p.meta = doc.meta;
    p.targetRefs = r.refs(spec, "targetRefs", "spec");
    const RawNode conn = DocReader::child(spec, "connection");
    if (DocReader::present(conn) && r.expectMap(conn, "spec.connection"))
        p.bufferLimit = r.str(conn, "bufferLimit", "spec.connection");  // int-or-string: kept as text
    return p;
}

/// The model a KServe InferenceService serves. Ollama containers name it in `ollama pull NAME`;
/// KServe's model servers take `--model_name` (or vLLM's `--served-model-name`) and otherwise
/// serve under the InferenceService's own name.
InferenceService readInferenceService(const RawNode& spec, const Document& doc) {
    InferenceService s;
    s.meta = doc.meta;
    const RawNode predictor = DocReader::child(spec, "predictor");
    std::vector<std::string> words;
    auto collect = [&words](const RawNode& container) {
        for (const char* key : {"command", "args"}) {
            const RawNode list = DocReader::child(container, key);
            if (!list.isSequence())
                continue;
            for (std::size_t i = 0; i < list.size(); ++i) {
                const RawNode item = list[i];
                if (!item.isScalar())
                    continue;
                std::istringstream in{std::string(item.scalar())};
                std::string w;
                while (in >> w)
                    words.push_back(w);
            }
        }
    };
    const RawNode containers = DocReader::child(predictor, "containers");
    for (std::size_t i = 0; i < containers.size() && containers.isSequence(); ++i) {
        if (s.image.empty())
            if (const RawNode img = DocReader::child(containers[i], "image"); img.isScalar())
                s.image = img.scalar();
        collect(containers[i]);
    }
    const RawNode model = DocReader::child(predictor, "model");
    if (model.isMap()) {
        collect(model);
        if (const RawNode img = DocReader::child(model, "image"); s.image.empty() && img.isScalar())
            s.image = img.scalar();
    }
    for (std::size_t i = 0; i < words.size(); ++i) {
        const std::string& w = words[i];
        if (w == "pull" && i > 0 && words[i - 1] == "ollama" && i + 1 < words.size()) {
            s.model = words[i + 1];
            break;
        }
        for (const std::string flag : {"--model_name", "--served-model-name"}) {
            if (w == flag && i + 1 < words.size())
                s.model = words[i + 1];
            else if (w.rfind(flag + "=", 0) == 0)
                s.model = w.substr(flag.size() + 1);
        }
        if (!s.model.empty())
            break;
    }
    if (s.model.empty() && model.isMap())
        s.model = s.meta.name;
    return s;
}

struct KindInfo {
    const char* name;
    const char* group;
    Kind kind;
};

constexpr KindInfo kKinds[] = {
    {"GatewayClass", "gateway.networking.k8s.io", Kind::GatewayClass},
    {"Gateway", "gateway.networking.k8s.io", Kind::Gateway},
    {"EnvoyProxy", "gateway.envoyproxy.io", Kind::EnvoyProxy},
    {"ClientTrafficPolicy", "gateway.envoyproxy.io", Kind::ClientTrafficPolicy},
    {"AIGatewayRoute", "aigateway.envoyproxy.io", Kind::AIGatewayRoute},
    {"AIServiceBackend", "aigateway.envoyproxy.io", Kind::AIServiceBackend},
    {"Backend", "gateway.envoyproxy.io", Kind::Backend},
    {"BackendTrafficPolicy", "gateway.envoyproxy.io", Kind::BackendTrafficPolicy},
    {"InferenceService", "serving.kserve.io", Kind::InferenceService},
};

SourceLocation locationOf(const std::string& file, const RawNode& node) {
    SourceLocation loc;
    loc.file = file;
    if (node.line() >= 0) {
        loc.line = node.line() + 1;
        loc.column = node.column() + 1;
    }
    return loc;
}

SourceLocation startOf(const RawNode& node, const std::string& file) {
    SourceLocation where = locationOf(file, node);
    if (where.line == 0)
        where.line = 1;
    return where;
}

SourceLocation startOf(const YAML::Node& node, const std::string& file) {
    SourceLocation where = fromMark(file, node.Mark());
    if (where.line == 0)
        where.line = 1;
    return where;
}

/// `kind: List` (apiVersion v1), as `kubectl get -o yaml` prints several objects: its items are
/// read as documents of their own, at their own lines; Lists may nest.
bool isList(const RawNode& node) {
    if (!node.isMap())
        return false;
    const RawNode kind = DocReader::child(node, "kind");
    return kind.isScalar() && kind.scalar() == "List";
}

/// Builds one Document (and its typed object) from an object; `label` names it in the error for
/// something that is not a mapping ("document 3", "items[2]").
void addObject(const std::shared_ptr<const YamlTree>& tree, const RawNode& root, const std::string& file,
               const std::string& label, Config& config, std::vector<Error>& errors) {
    if (isList(root)) {
        const RawNode items = DocReader::child(root, "items");
        if (!DocReader::present(items))
            return;  // an empty List (kubectl prints `items: []`; null reads the same)
        if (!items.isSequence()) {
            SourceLocation where = locationOf(file, items);
            where.path = "items";
            errors.push_back(Error{where, "must be a list (kind: List holds its objects in items)"});
            return;
        }
        for (std::size_t i = 0; i < items.size(); ++i) {
            const RawNode item = items[i];
            if (item.isNull()) {
                SourceLocation where = startOf(item, file);
                where.path = "items[" + std::to_string(i) + "]";
                errors.push_back(Error{where, "is empty (expected an object with apiVersion, kind, metadata)"});
            } else {
                addObject(tree, item, file, "items[" + std::to_string(i) + "]", config, errors);
            }
        }
        return;
    }
    Document doc;
    doc.tree = tree;
    doc.raw = root;
    doc.where = startOf(root, file);
    DocReader r(doc, errors);
    if (!root.isMap()) {
        r.error("", label + " is not a mapping (expected apiVersion, kind, metadata, spec)");
        return;
    }
    doc.apiVersion = r.str(root, "apiVersion", "").value_or("");
    doc.kindName = r.str(root, "kind", "").value_or("");
    if (doc.apiVersion.empty())
        r.error("apiVersion", "is required");
    if (doc.kindName.empty())
        r.error("kind", "is required");
    doc.meta = readMeta(r, root);

    const std::string group = doc.apiVersion.substr(0, doc.apiVersion.find('/'));
    for (const auto& k : kKinds)
        if (doc.kindName == k.name && group == k.group)
            doc.kind = k.kind;

    if (doc.kind == Kind::AIGatewayRoute || doc.kind == Kind::AIServiceBackend) {
        const std::string version = doc.apiVersion.substr(doc.apiVersion.find('/') + 1);
        if (version != "v1alpha1" && version != "v1beta1")
            r.error("apiVersion", "aigateway.envoyproxy.io serves v1alpha1 and v1beta1, not \"" + version + "\"");
    }

    const RawNode spec = DocReader::child(root, "spec");
    const bool specNeeded = doc.kind == Kind::AIGatewayRoute || doc.kind == Kind::AIServiceBackend ||
                            doc.kind == Kind::Backend || doc.kind == Kind::BackendTrafficPolicy ||
                            doc.kind == Kind::ClientTrafficPolicy || doc.kind == Kind::InferenceService;
    // A missing or malformed spec is reported; the typed object is still added (empty) so that the
    // i-th typed object stays the i-th document of its kind.
    if (specNeeded && !DocReader::present(spec))
        r.error("spec", "is required");
    else if (specNeeded)
        r.expectMap(spec, "spec");
    switch (doc.kind) {
    case Kind::AIGatewayRoute: config.routes.push_back(readRoute(r, spec, doc)); break;
    case Kind::AIServiceBackend: config.serviceBackends.push_back(readServiceBackend(r, spec, doc)); break;
    case Kind::Backend: config.backends.push_back(readBackend(r, spec, doc)); break;
    case Kind::BackendTrafficPolicy: config.trafficPolicies.push_back(readTrafficPolicy(r, spec, doc)); break;
    case Kind::ClientTrafficPolicy: config.clientPolicies.push_back(readClientPolicy(r, spec, doc)); break;
    case Kind::InferenceService: config.inferenceServices.push_back(readInferenceService(spec, doc)); break;
    default: break;
    }
    config.documents.push_back(std::move(doc));
}

/// yaml-cpp parses flow collections recursively; a few thousand `[` would exhaust the stack.
/// Returns the location of the first opener past the limit (real manifests nest a dozen levels).
std::optional<SourceLocation> tooDeep(const Source& source) {
    constexpr int kMaxDepth = 256;
    int depth = 0;
    int line = 1;
    int column = 0;
    for (char c : source.text) {
        ++column;
        if (c == '\n') {
            ++line;
            column = 0;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxDepth) {
                SourceLocation loc;
                loc.file = source.fileName;
                loc.line = line;
                loc.column = column;
                return loc;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return std::nullopt;
}

/// The stream as a YamlTree, read by libyaml, or by yaml-cpp when libyaml cannot read it as yaml-cpp
/// would (see YamlTree::parseFast). Null after a parse error (reported). `problems[i]`: document i was
/// rejected (alias bombs and cycles, which only yaml-cpp's path can meet) and is Null in the tree.
std::shared_ptr<const YamlTree> parse(const Source& source, std::vector<std::optional<Error>>& problems,
                                      std::vector<Error>& errors) {
    if (auto tree = YamlTree::parseFast(source.text)) {
        problems.assign(tree->documentCount(), std::nullopt);
        return tree;
    }
    // parseFast bounds nesting itself; yaml-cpp's recursion needs this guard.
    if (auto loc = tooDeep(source)) {
        errors.push_back(Error{*loc, "malformed YAML: flow collections nested too deeply"});
        return nullptr;
    }
    std::vector<YAML::Node> docs;
    try {
        docs = YAML::LoadAll(source.text);
    } catch (const YAML::Exception& e) {
        SourceLocation loc = fromMark(source.fileName, e.mark);
        errors.push_back(Error{loc, "malformed YAML: " + e.msg});
        return nullptr;
    }
    problems.assign(docs.size(), std::nullopt);
    for (std::size_t i = 0; i < docs.size(); ++i) {
        // Nodes reachable without aliases are bounded by the text's size; a walk visiting far more
        // than that is expanding aliases ("billion laughs").
        std::size_t budget = std::max<std::size_t>(1'000'000, source.text.size());
        std::vector<YAML::Node> ancestors;
        if (const std::string problem = structureProblem(docs[i], ancestors, budget); !problem.empty()) {
            problems[i] = Error{startOf(docs[i], source.fileName), "malformed YAML: " + problem};
            docs[i] = YAML::Node(YAML::NodeType::Null);
        }
    }
    return YamlTree::fromYamlCpp(docs);
}

void loadOne(const Source& source, Config& config, std::vector<Error>& errors) {
    std::vector<std::optional<Error>> problems;
    const auto tree = parse(source, problems, errors);
    if (!tree)
        return;
    std::size_t objects = 0;
    for (std::size_t i = 0; i < tree->documentCount(); ++i) {
        const RawNode d = tree->document(i);
        objects += isList(d) && d.child("items").isSequence() ? d.child("items").size() : 1;
    }
    config.documents.reserve(config.documents.size() + objects);
    for (std::size_t i = 0; i < tree->documentCount(); ++i) {
        const RawNode root = tree->document(i);
        if (problems[i])
            errors.push_back(*problems[i]);
        else if (root.isDefined() && !root.isNull())  // else an empty document (a stray `---`, only comments)
            addObject(tree, root, source.fileName, "document " + std::to_string(i + 1), config, errors);
    }
}

}  // namespace

LoadResult loadSources(const std::vector<Source>& sources) {
    LoadResult result;
    for (const auto& s : sources)
        loadOne(s, result.config, result.errors);
    for (auto& e : validate(result.config))
        result.errors.push_back(std::move(e));
    return result;
}

LoadResult loadString(const std::string& yaml, const std::string& fileName) {
    return loadSources({Source{fileName, yaml}});
}

LoadResult loadFiles(const std::vector<std::string>& paths) {
    std::vector<Source> sources;
    LoadResult unreadable;
    bool stdinRead = false;
    for (const auto& p : paths) {
        if (p == "-") {
            // Standard input, once: `kubectl get ... -o yaml | aigw-sim check -`.
            std::ostringstream buf;
            if (!stdinRead)
                buf << std::cin.rdbuf();
            stdinRead = true;
            sources.push_back(Source{kStdinName, buf.str()});
            continue;
        }
        std::error_code ec;
        std::ifstream in;
        if (std::filesystem::is_regular_file(p, ec))
            in.open(p, std::ios::binary);
        if (!in.is_open() || !in) {
            SourceLocation loc;
            loc.file = p;
            unreadable.errors.push_back(Error{loc, "cannot read file"});
            continue;
        }
        std::ostringstream buf;
        buf << in.rdbuf();
        sources.push_back(Source{p, buf.str()});
    }
    LoadResult result = loadSources(sources);
    result.errors.insert(result.errors.begin(), unreadable.errors.begin(), unreadable.errors.end());
    aigw::log::get("config")->debug("loaded {} documents from {} files, {} errors", result.config.documents.size(),
                                    paths.size(), result.errors.size());
    return result;
}

std::vector<const Document*> unsimulatedDocuments(const Config& config) {
    std::vector<const Document*> out;
    for (const auto& d : config.documents)
        if (d.kind == Kind::Other)
            out.push_back(&d);
    return out;
}

}  // namespace aigw::config
