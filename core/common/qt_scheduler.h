#pragma once
// aigw::Scheduler on Qt timers of the calling thread's event loop: the data plane's (the routing
// engine's outlier sweep, the proxy's backoffs) and a mock model server's (its pacing and faults).

#include <QObject>

#include <unordered_map>

#include "common/scheduler.h"

class QTimer;

namespace aigw {

class QtScheduler final : public QObject, public Scheduler {
public:
    explicit QtScheduler(QObject* parent = nullptr) : QObject(parent) {}
    ~QtScheduler() override;
    TimerId schedule(Duration after, std::function<void()> fn) override;
    void cancel(TimerId id) override;

private:
    std::unordered_map<TimerId, QTimer*> m_timers;
    TimerId m_next = 1;
};

}  // namespace aigw
