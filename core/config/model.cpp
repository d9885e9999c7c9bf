#include "config/model.h"

#include <cctype>

namespace aigw::config {

std::vector<std::string> RetryPolicy::effectiveTriggers() const {
    if (hasRetryOn)
        return triggers;
    // EG internal/xds/translator/route.go retryDefaultRetryOn.
    return {"connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"};
}

std::vector<int> RetryPolicy::effectiveHttpStatusCodes() const {
    if (hasRetryOn)
        return httpStatusCodes;
    return {503};  // EG retryDefaultRetriableStatusCode
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
