#include "config/tutorial_policy.h"

#include <string>

#include "config/loader.h"

namespace aigw::config {

Config withAttemptsPerPriority(Config config, std::optional<std::int64_t> value) {
    for (auto& p : config.trafficPolicies)
        if (p.retry) {
            p.retry->numAttemptsPerPriority = value;
            // The tutorial's policy has no passive health check; the built-in scenario's corrected
            // policy has one. Both states shown here are retry-only, as in the tutorial.
            p.passive.reset();
        }
    return config;
}

namespace {
// provider-fallback.yaml's BackendTrafficPolicy, verbatim from the tutorial (including its
// targetRef group, which the doctor points out). It starts on line 73 of that file.
constexpr int kTutorialPolicyLine = 73;
const char* kTutorialPolicy =
    "apiVersion: gateway.envoyproxy.io/v1alpha1\n"
    "kind: BackendTrafficPolicy\n"
    "metadata:\n"
    "  name: envoy-ai-gateway-fallback-policy\n"
    "  namespace: default\n"
    "spec:\n"
    "  targetRefs:\n"
    "    - group: gateway.envoyproxy.io\n"
    "      kind: Gateway\n"
    "      name: envoy-ai-gateway-basic\n"
    "  retry:\n"
    "    numRetries: 3\n"
    "    perRetry:\n"
    "      backOff:\n"
    "        baseInterval: 100ms\n"
    "        maxInterval: 10s\n"
    "      timeout: 30s\n"
    "    retryOn:\n"
    "      httpStatusCodes:\n"
    "        - 500\n"
    "        - 502\n"
    "        - 503\n"
    "        - 504\n"
    "        - 404\n"
    "      triggers:\n"
    "        - connect-failure\n"
    "        - retriable-status-codes\n";

}  // namespace

Config withTutorialPolicy(Config config) {
    // Blank lines first, so that line numbers (doctor findings) are those of provider-fallback.yaml.
    const std::string text = std::string(kTutorialPolicyLine - 1, '\n') + kTutorialPolicy;
    const LoadResult loaded = loadString(text, "provider-fallback.yaml");
    // Alone, the policy names a Gateway defined in another file: that validation error is expected
    // here; the parsed document and typed policy are what is merged.
    const Document* doc = loaded.config.documentFor(Kind::BackendTrafficPolicy, 0);
    if (!doc || loaded.config.trafficPolicies.size() != 1)
        return config;  // the text is fixed: only a loader regression gets here, and changes nothing
    std::erase_if(config.documents, [](const Document& d) { return d.kind == Kind::BackendTrafficPolicy; });
    config.documents.push_back(*doc);
    config.trafficPolicies = loaded.config.trafficPolicies;
    return config;
}

}  // namespace aigw::config
