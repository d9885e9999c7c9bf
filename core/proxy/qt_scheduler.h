#pragma once
// aigw::Scheduler on Qt timers of the calling thread's event loop (the data-plane thread), so the
// routing engine's outlier sweep and the proxy's backoffs run there.

#include <QObject>

#include <unordered_map>

#include "common/scheduler.h"

class QTimer;

namespace aigw::proxy {

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

}  // namespace aigw::proxy
