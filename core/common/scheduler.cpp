#include "common/scheduler.h"

namespace aigw {

TimerId SimScheduler::schedule(Duration after, std::function<void()> fn) {
    if (after < Duration::zero())
        after = Duration::zero();
    const std::uint64_t seq = m_nextSeq++;
    m_queue.push(Event{m_clock.now() + after, seq, std::move(fn)});
    m_live.insert(seq);
    return seq;
}

void SimScheduler::cancel(TimerId id) { m_live.erase(id); }

bool SimScheduler::runOne() {
    while (!m_queue.empty()) {
        Event ev = m_queue.top();
        m_queue.pop();
        if (m_live.erase(ev.seq) == 0)
            continue;  // cancelled
        if (ev.due > m_clock.now())
            m_clock.set(ev.due);
        ev.fn();
        return true;
    }
    return false;
}

void SimScheduler::runUntil(TimePoint until) {
    for (;;) {
        while (!m_queue.empty() && m_live.count(m_queue.top().seq) == 0)
            m_queue.pop();
        if (m_queue.empty() || m_queue.top().due > until)
            break;
        runOne();
    }
    if (m_clock.now() < until)
        m_clock.set(until);
}

void SimScheduler::runAll() {
    while (runOne()) {
    }
}

}  // namespace aigw
