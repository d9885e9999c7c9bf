#pragma once
// Envoy's priority load maths (source/common/upstream/load_balancer_impl.cc and
// source/extensions/retry/priority/previous_priorities), as pure functions over host counts.
// Degraded hosts are not modelled: without active health checks Envoy has none.

#include <cstdint>
#include <optional>
#include <vector>

namespace aigw::routing {

/// Envoy's default overprovisioning factor, as a percentage (1.4).
inline constexpr std::uint32_t kOverprovisioningFactor = 140;

/// Hosts of one priority level of a cluster.
struct PriorityCounts {
    std::uint32_t hosts = 0;    ///< hosts in the cluster at this priority (removed endpoints excluded)
    std::uint32_t healthy = 0;  ///< of which not ejected
};

/// Percent of load per priority; sums to 100 when the cluster has any host.
using PriorityLoad = std::vector<std::uint32_t>;

struct PriorityState {
    std::vector<std::uint32_t> health;  ///< min(100, 1.4 x healthy%) per priority (integer maths)
    PriorityLoad load;
    std::vector<bool> panic;            ///< priority picks from all hosts (healthy% < panic threshold)
    bool totalPanic = false;            ///< every priority in panic: load by host counts
};

/// health(P) = min(100, 140 * healthy / hosts / 100), truncated as Envoy's uint32 arithmetic.
std::uint32_t priorityHealth(const PriorityCounts& c);

/// Load per priority from health, spill to lower priorities, panic per priority and total panic.
/// `panicThreshold` in percent (Envoy default 50; 0 disables panic).
PriorityState computePriorityState(const std::vector<PriorityCounts>& counts, std::uint32_t panicThreshold);

/// previous_priorities retry plugin: the load with `excluded` priorities removed. When the excluded
/// priorities leave no availability, every exclusion is cleared (`reset` set to true) and the
/// unmodified health is used again. Returns nullopt when nothing is available at all (the caller
/// keeps the original load).
std::optional<PriorityLoad> adjustForAttemptedPriorities(const std::vector<PriorityCounts>& counts,
                                                         std::vector<bool>& excluded, bool& reset);

/// Envoy's choosePriority: draw % 100 + 1 walks the cumulative load. Returns the priority index.
std::size_t choosePriority(const PriorityLoad& load, std::uint64_t draw);

/// Effective weight of a locality: weight x min(1, 1.4 x healthy/hosts); 0 when it has no host.
double effectiveLocalityWeight(std::int64_t weight, std::uint32_t healthy, std::uint32_t hosts);

/// Envoy's EDF scheduler over locality weights: each pick takes the entry with the earliest
/// deadline (ties by insertion order) and pushes it 1/weight later. Deterministic, so a weighted
/// split is exact within one pick per entry over any number of picks.
class EdfScheduler {
public:
    /// Entries with weight <= 0 are never picked. `prePicks` picks are made up front (Envoy's
    /// createWithPicks: a random start, so rebuilt schedulers do not all begin at one locality).
    explicit EdfScheduler(std::vector<double> weights, std::uint64_t prePicks = 0);
    /// Index of the picked entry, or nullopt when every weight is zero.
    std::optional<std::size_t> pick();

private:
    struct Entry {
        double deadline;
        std::uint64_t order;
    };
    std::vector<double> m_weights;
    std::vector<Entry> m_entries;
    double m_now = 0.0;
    std::uint64_t m_order = 0;
};

}  // namespace aigw::routing
