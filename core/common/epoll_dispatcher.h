#pragma once
// An event dispatcher on Linux epoll, for the gateway's data-plane thread.
//
// Qt's QEventDispatcherUNIX rebuilds a poll() set from all its socket notifiers on every pass and
// scans them all again afterwards: with the proxy's connections that was ~1,800 instructions of its
// own per pass (two passes per proxied request, callgrind on bench/proxy_bench.sh), and the kernel
// polled every socket each time. Here the kernel keeps the interest set: a pass is one epoll_wait()
// that returns only what is ready.
//
// Semantics follow QEventDispatcherUNIX: level-triggered notifiers (read also fires on hang-up and
// error, write on error), posted events sent at the start of each pass, wakeUp() through an
// eventfd, timers precise to the millisecond whatever their Qt::TimerType, a repeating timer never
// re-entered from its own handler, and each expired timer fired once per pass.
//
// Optional busy polling (setBusyPoll): before a pass would sleep, it polls without sleeping for up to
// that long. A proxied request wakes its thread twice (the client's request, the upstream's answer);
// each sleep and wake-up costs the kernel's scheduler and, on a virtual machine, an interrupt to an
// idle vCPU. When the next event comes within the window, the thread never slept. The price is CPU
// time: at most one window per idle gap, none while events keep coming and none while idle. When
// another thread wants the CPU (the poll was preempted), the thread sleeps at once; and the owner
// can limit it to when it pays (setBusyPollGate).

#include <QAbstractEventDispatcher>
#include <QSocketNotifier>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <unordered_map>
#include <vector>

struct epoll_event;  // <sys/epoll.h>

namespace aigw {

/// A socket notifier that EpollEventDispatcher activates with a plain virtual call instead of a
/// QEvent::SockAct sent through QCoreApplication::sendEvent (notify, the event filters, the scope
/// count: ~450 instructions of each proxied request, callgrind). Under another dispatcher it is an
/// ordinary QSocketNotifier: a subclass also handles the SockAct event (see TcpStream's notifiers).
/// The call is only made once the notifier is whole: a notifier enabled from QSocketNotifier's own
/// constructor gets the event until it is next enabled.
///
/// A deleteLater() from inside activated() still runs at the next pass, as from an event handler:
/// Qt gives an event posted at scope level 0 inside a running loop the level of a handler's, and
/// where no loop runs (processEvents() called by hand) this dispatcher sends the deferred deletes
/// itself at the end of a pass that called notifiers directly and saw events posted. What differs
/// from an event handler: activated() must not run the event loop itself (processEvents() there
/// would delete what it deleteLater()-ed before).
class DirectSocketNotifier : public QSocketNotifier {
public:
    using QSocketNotifier::QSocketNotifier;
    /// The descriptor is ready (read: also at hang-up and error; write: also at error).
    virtual void activated() = 0;
};

class EpollEventDispatcher : public QAbstractEventDispatcher {
public:
    explicit EpollEventDispatcher(QObject* parent = nullptr);
    ~EpollEventDispatcher() override;

    /// False when the kernel refused epoll or eventfd (use Qt's own dispatcher then).
    bool isValid() const { return m_epoll >= 0 && m_wake >= 0; }

    /// Poll this long without sleeping before a pass blocks (zero, the default: sleep at once). Call
    /// it on the dispatcher's own thread.
    /// `giveWay`: when the poll was preempted (another thread wants this CPU), sleep at once.
    void setBusyPoll(std::chrono::microseconds window, bool giveWay = true) {
        m_busyPoll = std::max(window, std::chrono::microseconds::zero());
        m_busyPollGivesWay = giveWay;
    }
    std::chrono::microseconds busyPoll() const { return m_busyPoll; }
    /// Busy polling only while `gate` says so (asked before each poll; none: always). The owner's
    /// sign that polling pays: the proxy polls while at most one request is in flight, because with
    /// more the events come close together anyway and the spinning took CPU time from the upstream
    /// and the clients on the same cores.
    void setBusyPollGate(std::function<bool()> gate) { m_busyPollGate = std::move(gate); }

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;
    void registerSocketNotifier(QSocketNotifier* notifier) override;
    void unregisterSocketNotifier(QSocketNotifier* notifier) override;
    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject* object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject* object) override;
    QList<TimerInfo> registeredTimers(QObject* object) const override;
    int remainingTime(int timerId) override;
    void wakeUp() override;
    void interrupt() override;

protected:
    void connectNotify(const QMetaMethod& signal) override;
    void disconnectNotify(const QMetaMethod& signal) override;

private:
    using Clock = std::chrono::steady_clock;
    /// One notifier of a descriptor; `direct` is the same object when it takes direct calls.
    struct Slot {
        QSocketNotifier* notifier = nullptr;
        DirectSocketNotifier* direct = nullptr;
    };
    struct Watch {
        Slot read;
        Slot write;
        Slot exception;
        bool inEpoll = false;
        bool alwaysReady = false;  ///< epoll refused the descriptor (a regular file): poll() calls it ready
    };
    struct Timer {
        qint64 interval = 0;
        Qt::TimerType type = Qt::CoarseTimer;
        QObject* object = nullptr;
        Clock::time_point due{};
        std::multimap<Clock::time_point, int>::iterator queued;  ///< its entry in m_timerQueue
        bool active = false;  ///< its timer event is being delivered
    };

    void updateWatch(int fd, Watch& w);
    /// One epoll wait, sleeping up to `timeout` (null: until an event); the number of events, or -1.
    int waitForEvents(::epoll_event* events, int max, const Clock::duration* timeout);
    int msUntilNextTimer() const;
    bool activateTimers();
    void activate(int fd, Slot Watch::*which);

    int m_epoll = -1;
    int m_wake = -1;
    std::atomic<bool> m_wakePending{false};
    std::atomic<bool> m_interrupted{false};
    std::atomic<unsigned> m_wakeUps{0};  ///< wakeUp() calls: an event was posted
    bool m_calledDirect = false;  ///< this pass activated a DirectSocketNotifier
    /// Indexed by descriptor (the kernel hands out the lowest free number, so this stays as long as
    /// the most descriptors open at once); a watch without notifiers is unused. A hash map's lookup
    /// here was a cache miss per activation under load (perf, 32 connections).
    std::vector<Watch> m_watches;
    Watch* watchOf(int fd) { return fd >= 0 && static_cast<std::size_t>(fd) < m_watches.size() ? &m_watches[static_cast<std::size_t>(fd)] : nullptr; }
    std::unordered_map<int, Timer> m_timers;
    std::multimap<Clock::time_point, int> m_timerQueue;  ///< due time -> timer id
    int m_alwaysReady = 0;  ///< watches with alwaysReady set
    bool m_hasPwait2 = true;  ///< epoll_pwait2 (nanosecond timeouts) works on this kernel
    std::chrono::microseconds m_busyPoll{0};
    bool m_busyPollGivesWay = true;
    std::function<bool()> m_busyPollGate;
    std::atomic<int> m_awakeListeners{0};        ///< connections to awake() (connectNotify)
    std::atomic<int> m_aboutToBlockListeners{0};  ///< connections to aboutToBlock()
};

}  // namespace aigw
