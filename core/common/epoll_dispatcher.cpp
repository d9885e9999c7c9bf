#include "common/epoll_dispatcher.h"

#include <QCoreApplication>
#include <QMetaMethod>
#include <QSocketNotifier>
#include <QThread>

#include <cerrno>
#include <cstring>
#include <vector>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

namespace aigw {

EpollEventDispatcher::EpollEventDispatcher(QObject* parent) : QAbstractEventDispatcher(parent) {
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    m_wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m_epoll >= 0 && m_wake >= 0) {
        epoll_event e{};
        e.events = EPOLLIN;
        e.data.fd = m_wake;
        if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wake, &e) != 0) {
            ::close(m_wake);
            m_wake = -1;
        }
    }
}

EpollEventDispatcher::~EpollEventDispatcher() {
    if (m_wake >= 0) ::close(m_wake);
    if (m_epoll >= 0) ::close(m_epoll);
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags) {
    m_interrupted.store(false, std::memory_order_relaxed);
    // Emitted only when someone listens: an unconnected signal still costs QMetaObject::activate
    // about 70 instructions, four times per proxied request (callgrind, bench/proxy_bench.sh), and
    // isSignalConnected() about as much; connectNotify() counts the listeners instead.
    if (m_awakeListeners.load(std::memory_order_relaxed) > 0) emit awake();
    QCoreApplication::sendPostedEvents();

    const bool wait = (flags & QEventLoop::WaitForMoreEvents) && !m_interrupted.load(std::memory_order_relaxed) &&
                      !m_wakePending.load(std::memory_order_acquire) && m_alwaysReady == 0;
    Clock::duration timeout = Clock::duration::zero();
    bool noTimeout = false;
    if (wait) {
        if (m_timerQueue.empty()) noTimeout = true;
        else timeout = std::max(Clock::duration::zero(), m_timerQueue.begin()->first - Clock::now());
        if (m_aboutToBlockListeners.load(std::memory_order_relaxed) > 0) emit aboutToBlock();
    }

    constexpr int kMaxEvents = 128;
    epoll_event events[kMaxEvents];
    int n = 0;
    if (wait && m_busyPoll > Clock::duration::zero() && (noTimeout || timeout > Clock::duration::zero()) &&
        (!m_busyPollGate || m_busyPollGate())) {
        // Busy polling: look without sleeping until something is ready or the window (or the next
        // timer) is over; only then sleep, for what is left of the timeout. A poll takes a
        // microsecond or two; a longer gap between two means the scheduler gave this CPU to another
        // thread, which wants it: then sleep at once. (Not polling at all for 2 ms after that, also
        // tried, lost the gain at one connection: the machine's other threads preempt it now and then.)
        constexpr Clock::duration kPreempted = std::chrono::microseconds(25);
        const auto start = Clock::now();
        const Clock::duration window = noTimeout ? Clock::duration(m_busyPoll) : std::min<Clock::duration>(m_busyPoll, timeout);
        auto last = start;
        bool preempted = false;
        do {
            n = ::epoll_wait(m_epoll, events, kMaxEvents, 0);
            const auto now = Clock::now();
            preempted = m_busyPollGivesWay && now - last > kPreempted;
            last = now;
        } while (n == 0 && !preempted && last - start < window);
        if (!noTimeout) timeout = std::max(Clock::duration::zero(), timeout - (last - start));
    }
    if (n <= 0) n = waitForEvents(events, kMaxEvents, noTimeout ? nullptr : &timeout);
    if (n < 0) n = 0;  // EINTR: a signal; the caller's loop comes back

    bool did = n > 0;
    m_calledDirect = false;
    const unsigned wakeUpsBefore = m_wakeUps.load(std::memory_order_relaxed);
    // Every descriptor is looked up again just before its notifier runs: an earlier handler of this
    // pass may have closed it or dropped its notifier.
    const bool sockets = !(flags & QEventLoop::ExcludeSocketNotifiers);
    for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        const std::uint32_t ev = events[i].events;
        if (fd == m_wake) {
            eventfd_t value;
            (void)::eventfd_read(m_wake, &value);
            m_wakePending.store(false, std::memory_order_release);  // posted events go out next pass
            continue;
        }
        if (!sockets) continue;
        if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) activate(fd, &Watch::read);
        if (ev & (EPOLLOUT | EPOLLERR)) activate(fd, &Watch::write);
        if (ev & EPOLLPRI) activate(fd, &Watch::exception);
    }
    if (sockets && m_alwaysReady > 0) {
        std::vector<int> ready;
        for (std::size_t fd = 0; fd < m_watches.size(); ++fd)
            if (m_watches[fd].alwaysReady) ready.push_back(static_cast<int>(fd));
        for (int fd : ready) {
            activate(fd, &Watch::read);
            activate(fd, &Watch::write);
        }
        did = did || !ready.empty();
    }
    // A deleteLater() from a direct call made where no event loop runs (processEvents() called by
    // hand) is stamped with level 0, which only a send of the deferred deletes themselves releases;
    // from an event handler it would have gone at the next pass. Inside a running loop Qt stamps it
    // as a handler's, and the loop's next pass deletes it.
    if (m_calledDirect && m_wakeUps.load(std::memory_order_relaxed) != wakeUpsBefore &&
        QThread::currentThread()->loopLevel() == 0)
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    if (!(flags & QEventLoop::X11ExcludeTimers) && activateTimers()) did = true;
    return did;
}

int EpollEventDispatcher::waitForEvents(epoll_event* events, int max, const Clock::duration* timeout) {
    int n = -1;
    if (m_hasPwait2) {
        timespec ts{};
        if (timeout) {
            ts.tv_sec = static_cast<time_t>(std::chrono::duration_cast<std::chrono::seconds>(*timeout).count());
            ts.tv_nsec = static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(*timeout).count() % 1000000000);
        }
        n = ::epoll_pwait2(m_epoll, events, max, timeout ? &ts : nullptr, nullptr);
        if (n < 0 && errno == ENOSYS) m_hasPwait2 = false;
    }
    if (!m_hasPwait2) {
        const auto ms = timeout ? std::chrono::ceil<std::chrono::milliseconds>(*timeout).count() : -1;
        n = ::epoll_wait(m_epoll, events, max, static_cast<int>(std::min<long long>(ms, 1 << 30)));
    }
    return n;
}

void EpollEventDispatcher::connectNotify(const QMetaMethod& signal) {
    if (signal == QMetaMethod::fromSignal(&QAbstractEventDispatcher::awake)) ++m_awakeListeners;
    else if (signal == QMetaMethod::fromSignal(&QAbstractEventDispatcher::aboutToBlock)) ++m_aboutToBlockListeners;
}

void EpollEventDispatcher::disconnectNotify(const QMetaMethod& signal) {
    // An invalid method: a disconnect() of every signal at once. What is still connected cannot be
    // counted, so such a signal is emitted from then on, as if always connected.
    if (!signal.isValid()) {
        constexpr int kUncounted = 1 << 24;
        m_awakeListeners = isSignalConnected(QMetaMethod::fromSignal(&QAbstractEventDispatcher::awake)) ? kUncounted : 0;
        m_aboutToBlockListeners = isSignalConnected(QMetaMethod::fromSignal(&QAbstractEventDispatcher::aboutToBlock)) ? kUncounted : 0;
    } else if (signal == QMetaMethod::fromSignal(&QAbstractEventDispatcher::awake)) {
        --m_awakeListeners;
    } else if (signal == QMetaMethod::fromSignal(&QAbstractEventDispatcher::aboutToBlock)) {
        --m_aboutToBlockListeners;
    }
}

void EpollEventDispatcher::activate(int fd, Slot Watch::*which) {
    const Watch* w = watchOf(fd);
    if (!w) return;
    const Slot slot = w->*which;  // a copy: the call may register notifiers and move the watches
    if (!slot.notifier) return;
    // Either may delete the notifier or change m_watches.
    if (slot.direct) {
        m_calledDirect = true;
        slot.direct->activated();
        return;
    }
    QEvent event(QEvent::SockAct);
    QCoreApplication::sendEvent(slot.notifier, &event);
}

void EpollEventDispatcher::updateWatch(int fd, Watch& w) {
    if (w.alwaysReady) return;
    const std::uint32_t mask = (w.read.notifier ? EPOLLIN : 0u) | (w.write.notifier ? EPOLLOUT : 0u) | (w.exception.notifier ? EPOLLPRI : 0u);
    if (mask == 0) {
        if (w.inEpoll) ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);  // EBADF when already closed: fine
        w.inEpoll = false;
        return;
    }
    epoll_event e{};
    e.events = mask;
    e.data.fd = fd;
    int rc = ::epoll_ctl(m_epoll, w.inEpoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &e);
    // The descriptor was closed and its number reused (the kernel dropped the old one), or added
    // under the same number before: the other operation fits.
    if (rc != 0 && errno == ENOENT) rc = ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &e);
    else if (rc != 0 && errno == EEXIST) rc = ::epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &e);
    if (rc == 0) {
        w.inEpoll = true;
    } else if (errno == EPERM) {
        // A regular file or a directory: epoll refuses it, poll() reports it always ready.
        w.alwaysReady = true;
        w.inEpoll = false;
        ++m_alwaysReady;
    } else {
        qWarning("EpollEventDispatcher: cannot watch descriptor %d: %s", fd, strerror(errno));
    }
}

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier* notifier) {
    const int fd = static_cast<int>(notifier->socket());
    if (fd < 0) return;
    if (static_cast<std::size_t>(fd) >= m_watches.size()) m_watches.resize(static_cast<std::size_t>(fd) + 1);
    Watch& w = m_watches[static_cast<std::size_t>(fd)];
    // Null while QSocketNotifier's constructor registers it: the subclass is not built yet.
    const Slot slot{notifier, dynamic_cast<DirectSocketNotifier*>(notifier)};
    switch (notifier->type()) {
    case QSocketNotifier::Read: w.read = slot; break;
    case QSocketNotifier::Write: w.write = slot; break;
    case QSocketNotifier::Exception: w.exception = slot; break;
    }
    updateWatch(fd, w);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier* notifier) {
    const int fd = static_cast<int>(notifier->socket());
    Watch* found = watchOf(fd);
    if (!found) return;
    Watch& w = *found;
    for (Slot* slot : {&w.read, &w.write, &w.exception})
        if (slot->notifier == notifier) *slot = {};
    if (!w.read.notifier && !w.write.notifier && !w.exception.notifier) {
        if (w.alwaysReady) --m_alwaysReady;
        else if (w.inEpoll) ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
        w = {};
        return;
    }
    updateWatch(fd, w);
}

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject* object) {
    unregisterTimer(timerId);
    Timer t;
    t.interval = std::max<qint64>(interval, 0);
    t.type = timerType;
    t.object = object;
    t.due = Clock::now() + std::chrono::milliseconds(t.interval);
    t.queued = m_timerQueue.emplace(t.due, timerId);
    m_timers.emplace(timerId, t);
}

bool EpollEventDispatcher::unregisterTimer(int timerId) {
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end()) return false;
    m_timerQueue.erase(it->second.queued);
    m_timers.erase(it);
    return true;
}

bool EpollEventDispatcher::unregisterTimers(QObject* object) {
    bool any = false;
    for (auto it = m_timers.begin(); it != m_timers.end();) {
        if (it->second.object == object) {
            m_timerQueue.erase(it->second.queued);
            it = m_timers.erase(it);
            any = true;
        } else {
            ++it;
        }
    }
    return any;
}

QList<QAbstractEventDispatcher::TimerInfo> EpollEventDispatcher::registeredTimers(QObject* object) const {
    QList<TimerInfo> out;
    for (const auto& [id, t] : m_timers)
        if (t.object == object) out.append(TimerInfo(id, static_cast<int>(t.interval), t.type));
    return out;
}

int EpollEventDispatcher::remainingTime(int timerId) {
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end()) return -1;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(it->second.due - Clock::now()).count();
    return static_cast<int>(std::max<long long>(left, 0));
}

bool EpollEventDispatcher::activateTimers() {
    if (m_timerQueue.empty()) return false;
    const auto now = Clock::now();
    // The timers due now, each fired once in this pass (a zero-interval timer fires again next pass).
    std::vector<int> due;
    for (auto it = m_timerQueue.begin(); it != m_timerQueue.end() && it->first <= now; ++it) due.push_back(it->second);
    bool fired = false;
    for (const int id : due) {
        const auto it = m_timers.find(id);
        if (it == m_timers.end()) continue;
        Timer& t = it->second;
        if (t.active || t.due > now) continue;  // its handler is running (a nested loop), or restarted
        // The next due time first: the handler may stop or restart the timer.
        m_timerQueue.erase(t.queued);
        const auto interval = std::chrono::milliseconds(t.interval);
        t.due += interval;
        if (t.due <= now) t.due = now + interval;
        t.queued = m_timerQueue.emplace(t.due, id);
        t.active = true;
        QObject* object = t.object;
        QTimerEvent event(id);
        QCoreApplication::sendEvent(object, &event);
        fired = true;
        if (const auto again = m_timers.find(id); again != m_timers.end()) again->second.active = false;
    }
    return fired;
}

void EpollEventDispatcher::wakeUp() {
    m_wakeUps.fetch_add(1, std::memory_order_relaxed);
    if (!m_wakePending.exchange(true, std::memory_order_acq_rel)) (void)::eventfd_write(m_wake, 1);
}

void EpollEventDispatcher::interrupt() {
    m_interrupted.store(true, std::memory_order_relaxed);
    wakeUp();
}

}  // namespace aigw
