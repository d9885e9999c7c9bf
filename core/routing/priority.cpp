#include "routing/priority.h"

#include <algorithm>
#include <numeric>

namespace aigw::routing {

std::uint32_t priorityHealth(const PriorityCounts& c) {
    if (c.hosts == 0)
        return 0;
    // load_balancer_impl.cc: min(100, overprovisioning_factor * healthy_weight / total_weight),
    // with the factor as a percentage; integer division truncates (2 of 3 healthy -> 93).
    const std::uint64_t h = std::uint64_t{kOverprovisioningFactor} * c.healthy / c.hosts;
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(100, h));
}

namespace {

std::uint32_t normalizedTotal(const std::vector<std::uint32_t>& health) {
    const std::uint64_t sum = std::accumulate(health.begin(), health.end(), std::uint64_t{0});
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(100, sum));
}

bool hostSetInPanic(const PriorityCounts& c, std::uint32_t threshold) {
    const double healthyPercent = c.hosts == 0 ? 0.0 : 100.0 * c.healthy / c.hosts;
    return healthyPercent < threshold;
}

}  // namespace

PriorityState computePriorityState(const std::vector<PriorityCounts>& counts, std::uint32_t panicThreshold) {
    PriorityState s;
    const std::size_t n = counts.size();
    s.health.resize(n);
    s.load.assign(n, 0);
    s.panic.assign(n, false);
    if (n == 0)
        return s;
    for (std::size_t i = 0; i < n; ++i)
        s.health[i] = priorityHealth(counts[i]);
    const std::uint32_t total = normalizedTotal(s.health);
    panicThreshold = std::min<std::uint32_t>(100, panicThreshold);

    if (total > 0) {
        // distributeLoad: each priority takes health * 100 / total of what remains, in order;
        // the remainder goes to the first priority with any health.
        std::uint32_t remaining = 100;
        std::optional<std::size_t> firstAvailable;
        for (std::size_t i = 0; i < n; ++i) {
            if (!firstAvailable && s.health[i] > 0)
                firstAvailable = i;
            s.load[i] = std::min<std::uint32_t>(remaining, s.health[i] * 100 / total);
            remaining -= s.load[i];
        }
        if (remaining != 0 && firstAvailable)
            s.load[*firstAvailable] += remaining;
    }

    // recalculatePerPriorityPanic.
    if (panicThreshold == 0 && total == 0) {
        s.load.assign(n, 0);
        s.load[0] = 100;  // no host will be found; Envoy keeps the sum at 100
        return s;
    }
    for (std::size_t i = 0; i < n; ++i)
        s.panic[i] = total == 100 ? false : hostSetInPanic(counts[i], panicThreshold);
    if (std::all_of(s.panic.begin(), s.panic.end(), [](bool p) { return p; })) {
        // recalculateLoadInTotalPanic: load in proportion to host counts, healthy or not.
        s.totalPanic = true;
        std::uint64_t totalHosts = 0;
        for (const auto& c : counts)
            totalHosts += c.hosts;
        s.load.assign(n, 0);
        if (totalHosts == 0) {
            s.load[0] = 100;
            return s;
        }
        std::uint32_t remaining = 100;
        std::optional<std::size_t> firstNonEmpty;
        for (std::size_t i = 0; i < n; ++i) {
            if (!firstNonEmpty && counts[i].hosts != 0)
                firstNonEmpty = i;
            s.load[i] = static_cast<std::uint32_t>(100 * std::uint64_t{counts[i].hosts} / totalHosts);
            remaining -= s.load[i];
        }
        s.load[*firstNonEmpty] += remaining;
    }
    return s;
}

std::optional<PriorityLoad> adjustForAttemptedPriorities(const std::vector<PriorityCounts>& counts,
                                                         std::vector<bool>& excluded, bool& reset) {
    reset = false;
    const std::size_t n = counts.size();
    if (excluded.size() < n)
        excluded.resize(n, false);
    std::vector<std::uint32_t> health(n);
    for (std::size_t i = 0; i < n; ++i)
        health[i] = priorityHealth(counts[i]);
    auto adjusted = [&] {
        std::vector<std::uint32_t> a(n, 0);
        for (std::size_t i = 0; i < n; ++i)
            if (!excluded[i])
                a[i] = health[i];
        return a;
    };
    std::vector<std::uint32_t> a = adjusted();
    std::uint32_t total = normalizedTotal(a);
    if (total == 0) {
        // Every priority was attempted (or the rest has no healthy host): start over from the
        // unmodified load, which gives the P0, P1, P0, P1... order.
        std::fill(excluded.begin(), excluded.end(), false);
        reset = true;
        a = adjusted();
        total = normalizedTotal(a);
    }
    if (total == 0)
        return std::nullopt;
    PriorityLoad load(n, 0);
    std::uint32_t remaining = 100;
    // The outer loop removes rounding errors: what is left goes round again, highest priority first.
    // It ends: total <= 100, so any a[i] > 0 gives a share of at least 1.
    while (remaining != 0) {
        for (std::size_t i = 0; i < n && remaining != 0; ++i) {
            const std::uint32_t delta = std::min<std::uint32_t>(remaining, a[i] * 100 / total);
            load[i] += delta;
            remaining -= delta;
        }
    }
    return load;
}

std::size_t choosePriority(const PriorityLoad& load, std::uint64_t draw) {
    const std::uint64_t h = draw % 100 + 1;  // 1..100
    std::uint64_t aggregate = 0;
    for (std::size_t i = 0; i < load.size(); ++i) {
        aggregate += load[i];
        if (h <= aggregate)
            return i;
    }
    return 0;  // load sums to 100, so unreachable with a well-formed load
}

double effectiveLocalityWeight(std::int64_t weight, std::uint32_t healthy, std::uint32_t hosts) {
    if (hosts == 0 || weight <= 0)
        return 0.0;
    const double ratio = static_cast<double>(healthy) / hosts;
    return static_cast<double>(weight) * std::min(1.0, kOverprovisioningFactor / 100.0 * ratio);
}

EdfScheduler::EdfScheduler(std::vector<double> weights, std::uint64_t prePicks) : m_weights(std::move(weights)) {
    m_entries.resize(m_weights.size());
    for (std::size_t i = 0; i < m_weights.size(); ++i)
        m_entries[i] = Entry{m_weights[i] > 0 ? 1.0 / m_weights[i] : 0.0, m_order++};
    for (std::uint64_t i = 0; i < prePicks; ++i)
        pick();
}

std::optional<std::size_t> EdfScheduler::pick() {
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < m_entries.size(); ++i) {
        if (m_weights[i] <= 0)
            continue;
        if (!best || m_entries[i].deadline < m_entries[*best].deadline ||
            (m_entries[i].deadline == m_entries[*best].deadline && m_entries[i].order < m_entries[*best].order))
            best = i;
    }
    if (!best)
        return std::nullopt;
    Entry& e = m_entries[*best];
    m_now = e.deadline;
    e = Entry{m_now + 1.0 / m_weights[*best], m_order++};
    return best;
}

}  // namespace aigw::routing
