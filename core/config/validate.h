#pragma once
// Validation against the real CRDs (AIGatewayRoute, AIServiceBackend from Envoy AI Gateway; Backend,
// BackendTrafficPolicy, ClientTrafficPolicy from Envoy Gateway): required fields, enums, minimums
// and maximums, patterns, the CEL rules the API server enforces, and references between objects.
//
// Works on the typed model, so it can re-check a Config edited after loading (the UI, the admin
// API). Checks that only the YAML text can show (fields removed from the CRD, an endpoint naming
// two address types) read the documents' raw nodes. Locations come from Document::locations.

#include <vector>

#include "common/result.h"
#include "config/model.h"

namespace aigw::config {

/// Every problem a cluster would reject (or leave unresolved), each with file:line:column and
/// the YAML path, in document order.
std::vector<Error> validate(const Config& config);

}  // namespace aigw::config
