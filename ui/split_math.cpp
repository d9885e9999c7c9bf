#include "split_math.h"

#include <algorithm>

namespace aigw::ui {

TargetSplit targetSplit(const config::RouteRule& rule, const std::set<std::string>& unhealthy) {
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
        if (!unhealthy.count(ref.name) && (lowestHealthy < 0 || p < lowestHealthy))
            lowestHealthy = p;
    }
    out.activePriority = lowestHealthy >= 0 ? lowestHealthy : lowestAny;
    if (out.activePriority < 0)
        return out;
    const bool panic = lowestHealthy < 0;
    double total = 0;
    for (const auto& ref : rule.backendRefs)
        if (ref.effectiveWeight() > 0 && ref.effectivePriority() == out.activePriority &&
            (panic || !unhealthy.count(ref.name)))
            total += static_cast<double>(ref.effectiveWeight());
    for (std::size_t i = 0; i < rule.backendRefs.size(); ++i) {
        const auto& ref = rule.backendRefs[i];
        if (ref.effectiveWeight() > 0 && ref.effectivePriority() == out.activePriority &&
            (panic || !unhealthy.count(ref.name)) && total > 0)
            out.shares[i] = static_cast<double>(ref.effectiveWeight()) / total;
    }
    return out;
}

}  // namespace aigw::ui
