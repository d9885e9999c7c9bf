#include "common/qt_scheduler.h"

#include <QTimer>

#include <chrono>

namespace aigw {

QtScheduler::~QtScheduler() {
    for (auto& [id, t] : m_timers)
        delete t;
}

TimerId QtScheduler::schedule(Duration after, std::function<void()> fn) {
    const TimerId id = m_next++;
    auto* t = new QTimer(this);
    t->setSingleShot(true);
    t->setTimerType(Qt::PreciseTimer);
    const auto msecs = std::chrono::ceil<std::chrono::milliseconds>(after < Duration::zero() ? Duration::zero() : after);
    t->setInterval(msecs);
    QObject::connect(t, &QTimer::timeout, this, [this, id, fn = std::move(fn)] {
        auto it = m_timers.find(id);
        if (it == m_timers.end())
            return;
        it->second->deleteLater();
        m_timers.erase(it);
        fn();
    });
    m_timers.emplace(id, t);
    t->start();
    return id;
}

void QtScheduler::cancel(TimerId id) {
    auto it = m_timers.find(id);
    if (it == m_timers.end())
        return;
    it->second->stop();
    it->second->deleteLater();
    m_timers.erase(it);
}

}  // namespace aigw
