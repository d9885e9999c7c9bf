#include "proxy/latency_window.h"

#include <algorithm>
#include <cmath>

namespace aigw::proxy {

int LatencyWindow::bucketOf(double latencyMs) {
    const double us = latencyMs * 1000.0;
    if (!(us >= 1.0))  // also NaN
        return 0;
    if (us >= 4.0e18)
        return kBuckets - 1;
    int exp = 0;
    const double m = std::frexp(us, &exp);  // us = m * 2^exp, 0.5 <= m < 1: 2^(exp-1) <= us < 2^exp
    const int e = exp - 1;
    const int sub = std::min(kSubBuckets - 1, static_cast<int>((m * 2.0 - 1.0) * kSubBuckets));
    return std::min(kBuckets - 1, 1 + e * kSubBuckets + sub);
}

double LatencyWindow::valueOf(int bucket) {
    if (bucket <= 0)
        return 0.0;
    const int e = (bucket - 1) / kSubBuckets;
    const int sub = (bucket - 1) % kSubBuckets;
    const double low = std::ldexp(1.0 + sub / double(kSubBuckets), e);
    const double high = std::ldexp(1.0 + (sub + 1) / double(kSubBuckets), e);
    return (low + high) / 2.0 / 1000.0;  // us -> ms
}

void LatencyWindow::add(std::int64_t atMs, double latencyMs, int status) {
    const std::int64_t index = (atMs >= 0 ? atMs : 0) / kSlotMs;
    if (index > m_latest)
        m_latest = index;
    else if (index <= m_latest - kSlots)
        return;  // older than the window
    Slot& s = m_slots[static_cast<std::size_t>(index % kSlots)];
    if (s.index != index) {
        s = Slot{};
        s.index = index;
        s.firstMs = s.lastMs = atMs;
    }
    ++s.count;
    if (status >= 500)
        ++s.errors;
    s.firstMs = std::min(s.firstMs, atMs);
    s.lastMs = std::max(s.lastMs, atMs);
    ++s.histogram[static_cast<std::size_t>(bucketOf(latencyMs))];
}

LatencyWindow::Summary LatencyWindow::summary() const {
    Summary out;
    std::array<std::uint64_t, kBuckets> merged{};
    bool any = false;
    for (const Slot& s : m_slots) {
        if (s.index < 0 || s.index <= m_latest - kSlots || s.count == 0)
            continue;
        out.count += s.count;
        out.errors += s.errors;
        out.firstMs = any ? std::min(out.firstMs, s.firstMs) : s.firstMs;
        out.lastMs = any ? std::max(out.lastMs, s.lastMs) : s.lastMs;
        any = true;
        for (int b = 0; b < kBuckets; ++b)
            merged[static_cast<std::size_t>(b)] += s.histogram[static_cast<std::size_t>(b)];
    }
    if (out.count == 0)
        return out;
    // The sample of rank floor(q * (n - 1)) in latency order, as nth_element gave it.
    auto pct = [&](double q) {
        const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(out.count - 1));
        std::uint64_t seen = 0;
        for (int b = 0; b < kBuckets; ++b) {
            seen += merged[static_cast<std::size_t>(b)];
            if (seen > rank)
                return valueOf(b);
        }
        return valueOf(kBuckets - 1);
    };
    out.p50Ms = pct(0.50);
    out.p99Ms = pct(0.99);
    return out;
}

}  // namespace aigw::proxy
