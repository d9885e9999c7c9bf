#include "split_math.h"

#include <algorithm>

namespace aigw::ui {

std::string laneKey(const std::string& ns, const std::string& name) {
    return ns.empty() || ns == "default" ? name : ns + "/" + name;
}

std::string laneKey(const config::BackendRefSpec& ref, const std::string& routeNamespace) {
    return laneKey(ref.ns.value_or(routeNamespace), ref.name);
}

TargetSplit targetSplit(const config::RouteRule& rule, const std::string& routeNamespace,
                        const std::set<std::string>& unhealthy) {
    const auto isOut = [&](const config::BackendRefSpec& ref) { return unhealthy.count(laneKey(ref, routeNamespace)) > 0; };
    TargetSplit out;
    out.shares.assign(rule.backendRefs.size(), 0.0);
    long long lowestAny = -1;
    long long lowestHealthy = -1;
    for (const auto& ref : rule.backendRefs) {
        if (ref.effectiveWeight() <= 0)
            continue;
        const long long p = ref.effectivePriority();
        if (lowestAny < 0 || p < lowestAny)
            lowestAny = p;
        if (!isOut(ref) && (lowestHealthy < 0 || p < lowestHealthy))
            lowestHealthy = p;
    }
    out.activePriority = lowestHealthy >= 0 ? lowestHealthy : lowestAny;
    if (out.activePriority < 0)
        return out;
    const bool panic = lowestHealthy < 0;
    double total = 0;
    for (const auto& ref : rule.backendRefs)
        if (ref.effectiveWeight() > 0 && ref.effectivePriority() == out.activePriority &&
            (panic || !isOut(ref)))
            total += static_cast<double>(ref.effectiveWeight());
    for (std::size_t i = 0; i < rule.backendRefs.size(); ++i) {
        const auto& ref = rule.backendRefs[i];
        if (ref.effectiveWeight() > 0 && ref.effectivePriority() == out.activePriority &&
            (panic || !isOut(ref)) && total > 0)
            out.shares[i] = static_cast<double>(ref.effectiveWeight()) / total;
    }
    return out;
}

}  // namespace aigw::ui
