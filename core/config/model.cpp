#include "config/model.h"

#include "config/retry_semantics.h"

#include <cctype>

namespace aigw::config {

const char* kindName(Kind kind) {
    switch (kind) {
    case Kind::GatewayClass: return "GatewayClass";
    case Kind::Gateway: return "Gateway";
    case Kind::EnvoyProxy: return "EnvoyProxy";
    case Kind::ClientTrafficPolicy: return "ClientTrafficPolicy";
    case Kind::AIGatewayRoute: return "AIGatewayRoute";
    case Kind::AIServiceBackend: return "AIServiceBackend";
    case Kind::Backend: return "Backend";
    case Kind::BackendTrafficPolicy: return "BackendTrafficPolicy";
    case Kind::InferenceService: return "InferenceService";
    case Kind::Other: break;
    }
    return "Other";
}

std::optional<Duration> parseDuration(const std::string& text) {
    // Gateway API: ^([0-9]{1,5}(h|m|s|ms)){1,4}$, hand-matched so each part is summed as it is read.
    if (text.empty())
        return std::nullopt;
    std::size_t i = 0;
    int parts = 0;
    Duration total{0};
    while (i < text.size()) {
        std::size_t digits = 0;
        std::int64_t n = 0;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
            n = n * 10 + (text[i] - '0');
            ++i;
            ++digits;
        }
        if (digits == 0 || digits > 5 || i >= text.size())
            return std::nullopt;
        if (text.compare(i, 2, "ms") == 0) {
            total += ms(n);
            i += 2;
        } else if (text[i] == 'h') {
            total += secs(n * 3600);
            ++i;
        } else if (text[i] == 'm') {
            total += secs(n * 60);
            ++i;
        } else if (text[i] == 's') {
            total += secs(n);
            ++i;
        } else {
            return std::nullopt;
        }
        if (++parts > 4)
            return std::nullopt;
    }
    return total;
}

std::string formatDuration(Duration d) {
    auto total = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    if (total <= 0)
        return "0s";
    const std::int64_t h = total / 3'600'000;
    total %= 3'600'000;
    const std::int64_t m = total / 60'000;
    total %= 60'000;
    const std::int64_t s = total / 1000;
    const std::int64_t msPart = total % 1000;
    std::string out;
    if (h)
        out += std::to_string(h) + "h";
    if (m)
        out += std::to_string(m) + "m";
    if (msPart) {
        // "1s500ms" would be valid too, but milliseconds alone read better below a minute.
        if (s && !h && !m)
            return std::to_string(s * 1000 + msPart) + "ms";
        if (s)
            out += std::to_string(s) + "s";
        out += std::to_string(msPart) + "ms";
    } else if (s) {
        out += std::to_string(s) + "s";
    }
    return out;
}

namespace {

/// A node's location as errors report it (1-based); line 0 when it has no mark.
SourceLocation nodeLocation(const std::string& file, const RawNode& n) {
    SourceLocation loc;
    loc.file = file;
    if (n.line() >= 0) {
        loc.line = n.line() + 1;
        loc.column = n.column() + 1;
    }
    return loc;
}

struct Reached {
    std::size_t length = 0;  ///< characters of the path matched
    SourceLocation where;
};

/// Follows `path` from `pos` (0, or a '.' or '[' after the part matched) down from `node`, which is
/// at `here`. A key may itself hold dots (`kubectl.kubernetes.io/...`): every key that matches up to
/// a segment boundary is tried, and the one reaching furthest wins (the first on a tie).
Reached walk(const RawNode& node, const std::string& path, std::size_t pos, const SourceLocation& here) {
    Reached best{pos, here};
    if (pos == path.size())
        return best;
    const std::string_view matched(path.data(), pos);
    if (matched == server_fields::kStatus || matched == "metadata.managedFields")
        return best;
    if (path[pos] == '[') {
        const auto close = path.find(']', pos);
        if (!node.isSequence() || close == std::string::npos || close == pos + 1 ||
            path.find_first_not_of("0123456789", pos + 1) < close)
            return best;
        const std::size_t i = std::stoull(path.substr(pos + 1, close - pos - 1));
        if (i >= node.size())
            return best;
        const RawNode item = node[i];
        SourceLocation loc = nodeLocation(here.file, item);
        if (loc.line == 0)
            loc = here;
        return walk(item, path, close + 1, loc);
    }
    const std::size_t keyStart = pos == 0 ? 0 : pos + 1;
    if ((pos > 0 && path[pos] != '.') || !node.isMap())
        return best;
    for (std::size_t i = 0; i < node.size(); ++i) {
        const RawNode key = node.key(i);
        if (!key.isScalar())
            continue;
        const std::string_view k = key.scalar();
        const std::size_t end = keyStart + k.size();
        if (path.compare(keyStart, k.size(), k) != 0 || (end != path.size() && path[end] != '.' && path[end] != '['))
            continue;
        // A scalar points at its value; a map or list under a key (or a value without a mark) at the key.
        const RawNode value = node.value(i);
        SourceLocation loc = nodeLocation(here.file, value);
        if (!value.isScalar() || loc.line == 0)
            loc = nodeLocation(here.file, key);
        const Reached r = walk(value, path, end, loc);
        if (r.length > best.length)
            best = r;
        if (best.length == path.size())
            break;
    }
    return best;
}

}  // namespace

SourceLocation Document::locate(const std::string& path) const {
    SourceLocation loc = raw.isDefined() ? walk(raw, path, 0, where).where : where;
    loc.path = path;
    return loc;
}

const Document* Config::documentFor(Kind kind, std::size_t index) const {
    std::size_t seen = 0;
    for (const auto& d : documents) {
        if (d.kind != kind)
            continue;
        if (seen == index)
            return &d;
        ++seen;
    }
    return nullptr;
}

SourceLocation Config::locate(Kind kind, std::size_t index, const std::string& path) const {
    if (const Document* d = documentFor(kind, index))
        return d->locate(path);
    SourceLocation loc;
    loc.path = path;
    return loc;
}

std::vector<std::string> RetryPolicy::effectiveTriggers() const {
    if (!triggers.empty())
        return triggers;
    return defaultTriggers();  // EG internal/xds/translator/route.go retryDefaultRetryOn
}

std::vector<int> RetryPolicy::effectiveHttpStatusCodes() const {
    if (hasHttpStatusCodes)
        return httpStatusCodes;
    return defaultRetriableStatusCodes();  // EG retryDefaultRetriableStatusCode
}

std::int64_t ClientTrafficPolicy::effectiveBufferLimitBytes() const {
    if (!bufferLimit || bufferLimit->empty())
        return 32768;
    const std::string& s = *bufferLimit;
    std::size_t i = 0;
    std::int64_t n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        n = n * 10 + (s[i] - '0');
        ++i;
    }
    const std::string suffix = s.substr(i);
    static const std::pair<const char*, std::int64_t> kUnits[] = {
        {"", 1},
        {"k", 1000LL},
        {"M", 1000LL * 1000},
        {"G", 1000LL * 1000 * 1000},
        {"T", 1000LL * 1000 * 1000 * 1000},
        {"Ki", 1024LL},
        {"Mi", 1024LL * 1024},
        {"Gi", 1024LL * 1024 * 1024},
        {"Ti", 1024LL * 1024 * 1024 * 1024},
    };
    for (const auto& [name, mult] : kUnits)
        if (suffix == name)
            return n * mult;
    return 32768;  // the validator rejects other suffixes before this is used
}

std::string InferenceService::predictorHostname() const {
    return meta.name + "-predictor-00001." + meta.effectiveNamespace() + ".svc.cluster.local";
}

std::string InferenceService::predictorServiceHostname() const {
    return meta.name + "-predictor." + meta.effectiveNamespace() + ".svc.cluster.local";
}

const AIServiceBackend* Config::findServiceBackend(const std::string& name, const std::string& ns) const {
    for (const auto& b : serviceBackends)
        if (b.meta.name == name && b.meta.effectiveNamespace() == ns)
            return &b;
    return nullptr;
}

const Backend* Config::findBackend(const std::string& name, const std::string& ns) const {
    for (const auto& b : backends)
        if (b.meta.name == name && b.meta.effectiveNamespace() == ns)
            return &b;
    return nullptr;
}

const InferenceService* Config::findInferenceServiceByHostname(const std::string& hostname) const {
    std::string h = hostname;
    if (!h.empty() && h.back() == '.')
        h.pop_back();
    for (const auto& s : inferenceServices)
        if (s.predictorHostname() == h || s.predictorServiceHostname() == h)
            return &s;
    return nullptr;
}

}  // namespace aigw::config

namespace aigw::config {

std::int64_t gatewayBufferLimitBytes(const Config& config) {
    for (const auto& p : config.clientPolicies)
        if (p.bufferLimit)
            return p.effectiveBufferLimitBytes();
    return 32768;
}

}  // namespace aigw::config
