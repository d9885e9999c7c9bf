#pragma once
// A cluster-sized configuration, written the way
//   kubectl get gateways.gateway.networking.k8s.io,aigatewayroutes,aiservicebackends,backends,
//               backendtrafficpolicies -A -o yaml
// prints it: one `kind: List` document, keys sorted, list items flush with their key, CRD defaults
// filled in, and the fields the API server adds (uid, resourceVersion, generation,
// creationTimestamp, the last-applied-configuration annotation, some managedFields, status).
//
// Used by bench/config_scale.sh (through config_gen) and by the config tests, so that both read the
// same shape of input.

#include <cstddef>
#include <string>

namespace aigw::bench {

struct ScaleSpec {
    int routes = 200;           ///< AIGatewayRoutes, spread over the namespaces
    int backendsPerRoute = 10;  ///< one AIServiceBackend and one Backend each, priorities 0 and 1
    int namespaces = 4;         ///< team-0 ... ; each has a Gateway and a BackendTrafficPolicy
    bool asList = true;         ///< one `kind: List` (kubectl get -o yaml); else one document per object (---)
    bool serverFields = true;   ///< status, uid, resourceVersion, ... as a cluster returns them
};

/// Objects the configuration holds: routes x (1 + 2 x backendsPerRoute) + 2 x namespaces
/// (200 routes x 10 backends over 4 namespaces: 4,208).
std::size_t documentCount(const ScaleSpec& spec);

/// The YAML. Deterministic: the same spec gives the same bytes. Route names repeat across
/// namespaces (llm-route-0 in team-0 and in team-1 are two objects), as do Backend names, Gateway
/// names (`ai-gateway` in every namespace) and the policy names; every virtual model name is unique.
std::string generateClusterYaml(const ScaleSpec& spec);

}  // namespace aigw::bench
