#include "config_scale_gen.h"

#include <cstdio>
#include <string>
#include <vector>

namespace aigw::bench {
namespace {

/// One object as kubectl prints it at the top level: lines at indent 0, items flush with their key.
using Lines = std::vector<std::string>;

std::string ns(int i) { return "team-" + std::to_string(i); }

std::string uid(std::size_t serial) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%08zx-5a1e-4c0d-9e7f-%012zx", serial * 2654435761u % 0xffffffffu, serial);
    return buf;
}

std::string timestamp(std::size_t serial) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "\"2026-11-%02zuT%02zu:%02zu:%02zuZ\"", 1 + serial % 28, serial / 3600 % 24,
                  serial / 60 % 60, serial % 60);
    return buf;
}

class Writer {
public:
    explicit Writer(const ScaleSpec& spec) : m_spec(spec) {}

    std::string run() {
        std::vector<Lines> objects;
        for (int n = 0; n < m_spec.namespaces; ++n)
            objects.push_back(gateway(n));
        for (int r = 0; r < m_spec.routes; ++r)
            objects.push_back(route(r));
        for (int r = 0; r < m_spec.routes; ++r)
            for (int b = 0; b < m_spec.backendsPerRoute; ++b)
                objects.push_back(serviceBackend(r, b));
        for (int r = 0; r < m_spec.routes; ++r)
            for (int b = 0; b < m_spec.backendsPerRoute; ++b)
                objects.push_back(backend(r, b));
        for (int n = 0; n < m_spec.namespaces; ++n)
            objects.push_back(policy(n));

        std::string out;
        if (m_spec.asList) {
            out += "apiVersion: v1\nitems:\n";
            for (const auto& o : objects)
                for (std::size_t i = 0; i < o.size(); ++i)
                    out += (i == 0 ? "- " : "  ") + o[i] + "\n";
            out += "kind: List\nmetadata:\n  resourceVersion: \"\"\n";
        } else {
            for (std::size_t k = 0; k < objects.size(); ++k) {
                if (k)
                    out += "---\n";
                for (const auto& l : objects[k])
                    out += l + "\n";
            }
        }
        return out;
    }

private:
    // Route r lives in namespace r % namespaces under the name llm-route-(r / namespaces), so names
    // repeat across namespaces; its virtual model, model-r, is unique.
    int nsOf(int r) const { return r % m_spec.namespaces; }
    std::string routeName(int r) const { return "llm-route-" + std::to_string(r / m_spec.namespaces); }
    std::string backendName(int r, int b) const { return routeName(r) + "-backend-" + std::to_string(b); }

    /// metadata with the server-populated fields (sorted keys, as kubectl prints them).
    void metadata(Lines& out, const std::string& name, const std::string& n, const std::string& apiVersion,
                  const std::string& lastApplied) {
        const std::size_t serial = ++m_serial;
        out.push_back("metadata:");
        if (m_spec.serverFields) {
            out.push_back("  annotations:");
            out.push_back("    kubectl.kubernetes.io/last-applied-configuration: |");
            out.push_back("      " + lastApplied);
            out.push_back("  creationTimestamp: " + timestamp(serial));
            out.push_back("  generation: " + std::to_string(1 + serial % 3));
            if (serial % 10 == 0) {  // kubectl shows managedFields only with --show-managed-fields
                out.push_back("  managedFields:");
                out.push_back("  - apiVersion: " + apiVersion);
                out.push_back("    fieldsType: FieldsV1");
                out.push_back("    fieldsV1:");
                out.push_back("      f:metadata:");
                out.push_back("        f:annotations:");
                out.push_back("          .: {}");
                out.push_back("          f:kubectl.kubernetes.io/last-applied-configuration: {}");
                out.push_back("      f:spec:");
                out.push_back("        .: {}");
                out.push_back("    manager: kubectl-client-side-apply");
                out.push_back("    operation: Update");
                out.push_back("    time: " + timestamp(serial));
            }
        }
        out.push_back("  name: " + name);
        out.push_back("  namespace: " + n);
        if (m_spec.serverFields) {
            out.push_back("  resourceVersion: \"" + std::to_string(480000 + serial * 7) + "\"");
            out.push_back("  uid: " + uid(serial));
        }
    }

    void conditions(Lines& out, const std::string& indent, const std::string& reason, const std::string& message) {
        out.push_back(indent + "conditions:");
        out.push_back(indent + "- lastTransitionTime: " + timestamp(m_serial + 1));
        out.push_back(indent + "  message: " + message);
        out.push_back(indent + "  observedGeneration: 1");
        out.push_back(indent + "  reason: " + reason);
        out.push_back(indent + "  status: \"True\"");
        out.push_back(indent + "  type: " + reason);
    }

    static std::string lastApplied(const std::string& apiVersion, const std::string& kind, const std::string& name,
                                   const std::string& n, const std::string& specJson) {
        return "{\"apiVersion\":\"" + apiVersion + "\",\"kind\":\"" + kind +
               "\",\"metadata\":{\"annotations\":{},\"name\":\"" + name + "\",\"namespace\":\"" + n +
               "\"},\"spec\":" + specJson + "}";
    }

    Lines gateway(int n) {
        const std::string api = "gateway.networking.k8s.io/v1";
        Lines o{"apiVersion: " + api, "kind: Gateway"};
        metadata(o, "ai-gateway", ns(n), api,
                 lastApplied(api, "Gateway", "ai-gateway", ns(n),
                             R"({"gatewayClassName":"envoy-ai-gateway-basic","listeners":[{"name":"http","port":80,"protocol":"HTTP"}]})"));
        o.insert(o.end(), {"spec:", "  gatewayClassName: envoy-ai-gateway-basic", "  listeners:",
                           "  - allowedRoutes:", "      namespaces:", "        from: Same", "    name: http",
                           "    port: 80", "    protocol: HTTP"});
        if (m_spec.serverFields) {
            o.insert(o.end(), {"status:", "  addresses:", "  - type: IPAddress",
                               "    value: 10.96." + std::to_string(n) + ".10"});
            conditions(o, "  ", "Programmed", "Address assigned to the Gateway, 1/1 envoy replicas available");
            o.insert(o.end(), {"  listeners:", "  - attachedRoutes: " + std::to_string(m_spec.routes / m_spec.namespaces),
                               "    name: http", "    supportedKinds:", "    - group: gateway.networking.k8s.io",
                               "      kind: HTTPRoute"});
        }
        return o;
    }

    Lines route(int r) {
        const std::string api = "aigateway.envoyproxy.io/v1beta1";
        const std::string model = "model-" + std::to_string(r);
        std::string refsJson;
        Lines refs;
        for (int b = 0; b < m_spec.backendsPerRoute; ++b) {
            // The first half share priority 0 by weight; the rest are the fallbacks at priority 1.
            const int priority = b < (m_spec.backendsPerRoute + 1) / 2 ? 0 : 1;
            const std::string over = model + "-v" + std::to_string(b);
            const std::string weight = std::to_string(10 + b);
            refs.insert(refs.end(), {"    - modelNameOverride: " + over, "      name: " + backendName(r, b),
                                     "      priority: " + std::to_string(priority), "      weight: " + weight});
            refsJson += std::string(b ? "," : "") + "{\"modelNameOverride\":\"" + over + "\",\"name\":\"" +
                        backendName(r, b) + "\",\"priority\":" + std::to_string(priority) + ",\"weight\":" + weight + "}";
        }
        Lines o{"apiVersion: " + api, "kind: AIGatewayRoute"};
        metadata(o, routeName(r), ns(nsOf(r)), api,
                 lastApplied(api, "AIGatewayRoute", routeName(r), ns(nsOf(r)),
                             R"({"parentRefs":[{"group":"gateway.networking.k8s.io","kind":"Gateway","name":"ai-gateway"}],"rules":[{"backendRefs":[)" +
                                 refsJson + R"(],"matches":[{"headers":[{"name":"x-ai-eg-model","type":"Exact","value":")" +
                                 model + "\"}]}]}]}"));
        o.insert(o.end(), {"spec:", "  parentRefs:", "  - group: gateway.networking.k8s.io", "    kind: Gateway",
                           "    name: ai-gateway", "  rules:", "  - backendRefs:"});
        o.insert(o.end(), refs.begin(), refs.end());
        o.insert(o.end(), {"    matches:", "    - headers:", "      - name: x-ai-eg-model", "        type: Exact",
                           "        value: " + model, "    modelsOwnedBy: Envoy AI Gateway"});
        if (m_spec.serverFields) {
            o.push_back("status:");
            conditions(o, "  ", "Accepted", "Route reconciled successfully");
        }
        return o;
    }

    Lines serviceBackend(int r, int b) {
        const std::string api = "aigateway.envoyproxy.io/v1beta1";
        Lines o{"apiVersion: " + api, "kind: AIServiceBackend"};
        metadata(o, backendName(r, b), ns(nsOf(r)), api,
                 lastApplied(api, "AIServiceBackend", backendName(r, b), ns(nsOf(r)),
                             R"({"backendRef":{"group":"gateway.envoyproxy.io","kind":"Backend","name":")" +
                                 backendName(r, b) + R"("},"schema":{"name":"OpenAI"}})"));
        o.insert(o.end(), {"spec:", "  backendRef:", "    group: gateway.envoyproxy.io", "    kind: Backend",
                           "    name: " + backendName(r, b), "  schema:", "    name: OpenAI"});
        if (m_spec.serverFields) {
            o.push_back("status:");
            conditions(o, "  ", "Accepted", "AIServiceBackend reconciled successfully");
        }
        return o;
    }

    Lines backend(int r, int b) {
        const std::string api = "gateway.envoyproxy.io/v1alpha1";
        // One model server per Backend: a KServe predictor in the route's namespace.
        const std::string host = "llm-" + std::to_string(r) + "-" + std::to_string(b) + "-predictor." + ns(nsOf(r)) +
                                 ".svc.cluster.local";
        Lines o{"apiVersion: " + api, "kind: Backend"};
        metadata(o, backendName(r, b), ns(nsOf(r)), api,
                 lastApplied(api, "Backend", backendName(r, b), ns(nsOf(r)),
                             R"({"endpoints":[{"fqdn":{"hostname":")" + host + R"(","port":80}}]})"));
        o.insert(o.end(), {"spec:", "  endpoints:", "  - fqdn:", "      hostname: " + host, "      port: 80",
                           "  type: Endpoints"});
        if (m_spec.serverFields) {
            o.push_back("status:");
            conditions(o, "  ", "Accepted", "The Backend was accepted");
        }
        return o;
    }

    Lines policy(int n) {
        const std::string api = "gateway.envoyproxy.io/v1alpha1";
        Lines o{"apiVersion: " + api, "kind: BackendTrafficPolicy"};
        metadata(o, "fallback-policy", ns(n), api,
                 lastApplied(api, "BackendTrafficPolicy", "fallback-policy", ns(n),
                             R"({"retry":{"numAttemptsPerPriority":1,"numRetries":3},"targetRefs":[{"group":"gateway.networking.k8s.io","kind":"Gateway","name":"ai-gateway"}]})"));
        o.insert(o.end(), {"spec:", "  healthCheck:", "    passive:", "      baseEjectionTime: 30s",
                           "      consecutive5XxErrors: 3", "      interval: 2s", "      maxEjectionPercent: 50",
                           "  retry:", "    numAttemptsPerPriority: 1", "    numRetries: 3", "    perRetry:",
                           "      backOff:", "        baseInterval: 100ms", "        maxInterval: 10s",
                           "      timeout: 30s", "    retryOn:", "      httpStatusCodes:", "      - 500",
                           "      - 502", "      - 503", "      - 504", "      triggers:", "      - connect-failure",
                           "      - retriable-status-codes", "      - reset", "  targetRefs:",
                           "  - group: gateway.networking.k8s.io", "    kind: Gateway", "    name: ai-gateway"});
        if (m_spec.serverFields) {
            o.insert(o.end(), {"status:", "  ancestors:", "  - ancestorRef:", "      group: gateway.networking.k8s.io",
                               "      kind: Gateway", "      name: ai-gateway", "      namespace: " + ns(n)});
            conditions(o, "    ", "Accepted", "Policy has been accepted.");
            o.push_back("    controllerName: gateway.envoyproxy.io/gatewayclass-controller");
        }
        return o;
    }

    const ScaleSpec& m_spec;
    std::size_t m_serial = 0;
};

}  // namespace

std::size_t documentCount(const ScaleSpec& spec) {
    return static_cast<std::size_t>(spec.routes) * (1 + 2 * static_cast<std::size_t>(spec.backendsPerRoute)) +
           2 * static_cast<std::size_t>(spec.namespaces);
}

std::string generateClusterYaml(const ScaleSpec& spec) {
    ScaleSpec s = spec;
    if (s.namespaces < 1)
        s.namespaces = 1;
    return Writer(s).run();
}

}  // namespace aigw::bench
