#pragma once
// A small valid configuration (no validation errors, no doctor findings) that the table-driven
// tests mutate one line at a time. Line numbers are referred to by the expected locations.

namespace aigw::config::test {

inline constexpr const char* kBase = R"(apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: default
spec:
  gatewayClassName: gc
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata:
  name: route
  namespace: default
spec:
  parentRefs:
    - name: gw
      kind: Gateway
      group: gateway.networking.k8s.io
  rules:
    - name: main
      matches:
        - headers:
            - type: Exact
              name: x-ai-eg-model
              value: virtual
      timeouts:
        request: 60s
        backendRequest: 30s
      backendRefs:
        - name: asb-a
          weight: 1
          priority: 0
        - name: asb-b
          priority: 1
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata:
  name: asb-a
  namespace: default
spec:
  schema:
    name: OpenAI
  backendRef:
    name: be-a
    kind: Backend
    group: gateway.envoyproxy.io
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata:
  name: asb-b
  namespace: default
spec:
  schema:
    name: OpenAI
  backendRef:
    name: be-b
    kind: Backend
    group: gateway.envoyproxy.io
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: be-a
  namespace: default
spec:
  endpoints:
    - fqdn:
        hostname: a.default.svc.cluster.local
        port: 80
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: be-b
  namespace: default
spec:
  endpoints:
    - fqdn:
        hostname: b.default.svc.cluster.local
        port: 80
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata:
  name: btp
  namespace: default
spec:
  targetRefs:
    - group: gateway.networking.k8s.io
      kind: HTTPRoute
      name: route
  retry:
    numAttemptsPerPriority: 1
    numRetries: 2
    retryOn:
      triggers:
        - connect-failure
        - retriable-status-codes
      httpStatusCodes:
        - 503
  healthCheck:
    panicThreshold: 50
    passive:
      maxEjectionPercent: 50
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata:
  name: ctp
  namespace: default
spec:
  targetRefs:
    - group: gateway.networking.k8s.io
      kind: Gateway
      name: gw
  connection:
    bufferLimit: 50Mi
)";

/// kBase with the first occurrence of `from` replaced by `to` (must exist).
inline std::string mutated(const std::string& from, const std::string& to) {
    std::string s = kBase;
    const auto pos = s.find(from);
    if (pos == std::string::npos)
        return "MUTATION NOT FOUND: " + from;
    s.replace(pos, from.size(), to);
    return s;
}

}  // namespace aigw::config::test
