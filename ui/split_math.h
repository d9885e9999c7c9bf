#pragma once
// The target split a rule should produce, computed the way Envoy picks a locality: only the
// lowest-numbered priority that still has a healthy backend gets first attempts, and weights split
// traffic within that priority (weight 0 = absent). Kept free of widgets so the topology view, the
// split chart and the tests share one definition.

#include <set>
#include <string>
#include <vector>

#include "config/model.h"

namespace aigw::ui {

struct TargetSplit {
    long long activePriority = -1;  ///< -1 when the rule has no backendRef with weight > 0
    std::vector<double> shares;     ///< one per backendRef, in [0, 1]; 0 outside the active priority
};

/// How the charts and the unhealthy set name an AIServiceBackend: its name in the "default"
/// namespace, "<ns>/<name>" elsewhere. A cluster's routes in several namespaces often reuse the
/// same backend names: each keeps a lane of its own, and the tutorial's names stay short.
std::string laneKey(const std::string& ns, const std::string& name);
/// The lane key of a rule's backendRef (its namespace defaults to the route's).
std::string laneKey(const config::BackendRefSpec& ref, const std::string& routeNamespace);

/// `unhealthy`: lane keys (laneKey) of AIServiceBackends known to be out of rotation (ejected,
/// endpoint deleted). When every priority is unhealthy the lowest one is reported (Envoy's panic
/// mode sends traffic there anyway).
TargetSplit targetSplit(const config::RouteRule& rule, const std::string& routeNamespace,
                        const std::set<std::string>& unhealthy = {});

}  // namespace aigw::ui
