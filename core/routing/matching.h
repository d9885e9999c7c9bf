#pragma once
// Route matching after the router-level ext_proc wrote x-ai-eg-model from the body (reference
// section 2.2). Every rules[].matches[] entry is its own Envoy route; Envoy Gateway orders them
// (internal/gatewayapi sort): more header matches first, then more Exact header matches, then the
// input order (routes by creation time - here the order they were read - then rule order). Each
// AIGatewayRoute ends with its route-not-found rule (no header match), which answers 404.

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/model.h"
#include "routing/engine.h"

namespace aigw::routing {

struct CompiledHeaderMatch {
    std::string name;  ///< lower-case
    config::HeaderMatchType type = config::HeaderMatchType::Exact;
    std::string value;
    std::optional<std::regex> regex;
};

struct MatchEntry {
    std::vector<CompiledHeaderMatch> headers;
    int routeIndex = -1;
    int ruleIndex = -1;  ///< -1: the route's route-not-found rule
    int exactCount = 0;
};

class RouteTable {
public:
    /// Compiles every route of `config`. An invalid regular expression leaves that match out and
    /// adds a problem.
    static RouteTable build(const config::Config& config, std::vector<Error>& problems);

    /// The first entry (in precedence order) whose headers all match, with x-ai-eg-model = model.
    /// Null when none does (no AIGatewayRoute at all) or the model is empty.
    const MatchEntry* match(std::string_view model, const Headers& headers) const;

    const std::vector<MatchEntry>& entries() const { return m_entries; }
    /// Exact x-ai-eg-model values, in route then rule order (as /v1/models lists them).
    std::vector<std::string> models() const;

private:
    std::vector<MatchEntry> m_entries;   // precedence order
    std::vector<MatchEntry> m_inOrder;   // input order, for models()
};

/// Case-insensitive ASCII equality, for header names.
bool headerNameEquals(std::string_view a, std::string_view b);

}  // namespace aigw::routing
