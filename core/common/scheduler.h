#pragma once
// Timers are injected (as Envoy's Dispatcher). The live proxy uses a Qt-timer implementation on its
// own event loop; tests and the virtual-time simulator use SimScheduler.

#include <cstdint>
#include <functional>
#include <queue>
#include <unordered_set>
#include <vector>

#include "common/clock.h"

namespace aigw {

using TimerId = std::uint64_t;

class Scheduler {
public:
    virtual ~Scheduler() = default;
    /// Runs `fn` once, `after` from now. Returns an id for cancel().
    virtual TimerId schedule(Duration after, std::function<void()> fn) = 0;
    /// Cancels a pending timer; no effect if it already ran or was cancelled.
    virtual void cancel(TimerId id) = 0;
};

/// Discrete-event scheduler over a ManualClock: a priority queue ordered by due time, then by
/// scheduling sequence, so equal due times run in the order they were scheduled.
class SimScheduler final : public Scheduler {
public:
    explicit SimScheduler(ManualClock& clock) : m_clock(clock) {}

    TimerId schedule(Duration after, std::function<void()> fn) override;
    void cancel(TimerId id) override;

    /// Runs the next due event (advancing the clock to it). Returns false when none is pending.
    bool runOne();
    /// Runs events until none is pending or the next is after `until` (clock ends at `until`).
    void runUntil(TimePoint until);
    /// Runs everything pending, including events scheduled while running.
    void runAll();
    std::size_t pending() const { return m_live.size(); }

private:
    struct Event {
        TimePoint due;
        std::uint64_t seq;
        std::function<void()> fn;
    };
    struct Later {
        bool operator()(const Event& a, const Event& b) const {
            return a.due != b.due ? a.due > b.due : a.seq > b.seq;
        }
    };
    ManualClock& m_clock;
    std::priority_queue<Event, std::vector<Event>, Later> m_queue;
    std::unordered_set<std::uint64_t> m_live;  // scheduled, not yet run or cancelled
    std::uint64_t m_nextSeq = 1;
};

}  // namespace aigw
