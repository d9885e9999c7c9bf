#pragma once
// The desktop app's status-bar figures of the live proxy (requests/s, error rate, p50 and p99 over
// the last 10 s), kept in fixed memory: 100 slots of 100 ms, each a count, an error count and a
// latency histogram with 8 buckets per doubling (a bucket's value is its midpoint: within 6 % of
// any latency in it). Adding a request touches one slot; the 10 s of single samples this replaces
// (a deque of 250,000 at 25,000 requests/s) were written and read back from memory the caches had
// long let go, and stats() copied them all while the proxy's thread waited on the lock.
//
// Not thread-safe: the caller locks (SharedState::mutex). Times are the caller's clock, in ms.

#include <array>
#include <cstdint>

namespace aigw::proxy {

class LatencyWindow {
public:
    static constexpr std::int64_t kSlotMs = 100;
    static constexpr std::int64_t kSlots = 100;  ///< 10 s
    static constexpr int kSubBuckets = 8;        ///< per doubling
    static constexpr int kBuckets = 1 + 32 * kSubBuckets;  ///< [0, 1 us), then 1 us .. ~71 min

    /// A finished request at `atMs` that took `latencyMs`; `status` >= 500 counts as an error.
    /// Times may go back a little (another clock read of the same thread); a sample older than the
    /// window is dropped.
    void add(std::int64_t atMs, double latencyMs, int status);

    struct Summary {
        std::uint64_t count = 0;   ///< requests in the window
        std::uint64_t errors = 0;  ///< of them with status >= 500
        std::int64_t firstMs = 0;  ///< the earliest and latest request times in the window
        std::int64_t lastMs = 0;
        double p50Ms = 0.0;
        double p99Ms = 0.0;
    };
    /// The 10 s up to the latest request added (as the samples it replaces: an idle proxy keeps
    /// showing its last busy 10 s).
    Summary summary() const;

    /// The bucket of a latency, and the value that bucket stands for (exposed for tests).
    static int bucketOf(double latencyMs);
    static double valueOf(int bucket);

private:
    struct Slot {
        std::int64_t index = -1;  ///< atMs / kSlotMs of the requests it holds; -1: never used
        std::uint32_t count = 0;
        std::uint32_t errors = 0;
        std::int64_t firstMs = 0, lastMs = 0;
        std::array<std::uint32_t, kBuckets> histogram{};
    };
    std::array<Slot, kSlots> m_slots{};
    std::int64_t m_latest = -1;  ///< the newest slot index seen
};

}  // namespace aigw::proxy
