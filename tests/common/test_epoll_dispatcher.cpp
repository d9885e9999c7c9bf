// EpollEventDispatcher drives this whole test's main thread (installed before the application), so
// QTimer, QSocketNotifier, posted events and QTest's own waits all run on it.
#include <QtTest>

#include <QSocketNotifier>
#include <QTemporaryFile>

#include <atomic>
#include <functional>
#include <thread>
#include <utility>

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/epoll_dispatcher.h"

using namespace aigw;

namespace {
constexpr int kHungMs = 30000;  // only a hung test waits this long

/// The scheduler state of thread `tid` of this process ('R' running, 'S' sleeping, ...).
char threadState(pid_t tid) {
    QFile f(QStringLiteral("/proc/self/task/%1/stat").arg(tid));
    if (!f.open(QIODevice::ReadOnly)) return '?';
    const QByteArray stat = f.readAll();
    const auto paren = stat.lastIndexOf(')');  // the name may hold spaces and parentheses
    return paren >= 0 && paren + 2 < stat.size() ? stat[paren + 2] : '?';
}

/// How often thread `tid` of this process went to sleep (voluntary context switches).
long voluntarySwitches(pid_t tid) {
    QFile f(QStringLiteral("/proc/self/task/%1/status").arg(tid));
    if (!f.open(QIODevice::ReadOnly)) return -1;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("voluntary_ctxt_switches:")) return line.mid(24).trimmed().toLong();
    return -1;
}

/// The calling thread's voluntary context switches, without allocating (getrusage): a count taken
/// with QFile could itself wait on the allocator's lock while another thread exits.
long ownVoluntarySwitches() {
    rusage u{};
    return ::getrusage(RUSAGE_THREAD, &u) == 0 ? u.ru_nvcsw : -1;
}

struct SocketPair {
    int fd[2] = {-1, -1};
    SocketPair() { (void)::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd); }
    ~SocketPair() {
        for (int f : fd)
            if (f >= 0) ::close(f);
    }
};
/// Counts its direct calls and its SockAct events; a call drains the socket and deleteLater()s `victim`.
class CountingDirectNotifier final : public DirectSocketNotifier {
public:
    /// `whole`: enabled again once constructed, so that the dispatcher sees the subclass.
    CountingDirectNotifier(int fd, bool whole) : DirectSocketNotifier(fd, Read) {
        if (whole) {
            setEnabled(false);
            setEnabled(true);
        }
    }
    void activated() override {
        ++calls;
        drain();
        if (victim) std::exchange(victim, nullptr)->deleteLater();
    }
    int calls = 0;
    int events = 0;
    QObject* victim = nullptr;

protected:
    bool event(QEvent* e) override {
        if (e->type() != QEvent::SockAct) return QSocketNotifier::event(e);
        ++events;
        drain();
        return true;
    }

private:
    void drain() {
        char buf[16];
        (void)::read(static_cast<int>(socket()), buf, sizeof buf);
    }
};
}  // namespace

class TestEpollDispatcher : public QObject {
    Q_OBJECT

    /// runUntilWritten() whose writer first waits (up to kHungMs) to see the loop's thread asleep;
    /// whether it did.
    bool runUntilSeenAsleep() {
        bool sawSleep = false;
        runUntilWritten([&](pid_t loopThread) {
            const auto giveUp = std::chrono::steady_clock::now() + std::chrono::milliseconds(kHungMs);
            while (!sawSleep && std::chrono::steady_clock::now() < giveUp) {
                sawSleep = threadState(loopThread) == 'S';
                std::this_thread::yield();
            }
        });
        return sawSleep;
    }

    /// Runs an event loop until a byte another thread writes arrives. That thread starts once the
    /// loop is about to block, calls `watch` with the loop's thread id, then writes. Returns how often
    /// the loop's thread slept from then until the byte was read (voluntary context switches; not
    /// counted before that, where starting the writer thread can make the loop's thread wait on an
    /// allocator lock, as it did under AddressSanitizer).
    long runUntilWritten(const std::function<void(pid_t)>& watch) {
        SocketPair p;
        QSocketNotifier readable(p.fd[0], QSocketNotifier::Read);
        QEventLoop loop;
        const pid_t tid = static_cast<pid_t>(::syscall(SYS_gettid));
        long before = 0;
        long after = 0;
        connect(&readable, &QSocketNotifier::activated, &loop, [&] {
            after = ownVoluntarySwitches();
            char c;
            (void)::read(p.fd[0], &c, 1);
            loop.quit();
        });
        std::atomic<bool> blocking{false};
        const auto conn = connect(QAbstractEventDispatcher::instance(), &QAbstractEventDispatcher::aboutToBlock, this, [&] {
            if (blocking) return;
            before = ownVoluntarySwitches();
            blocking = true;
        });
        std::thread writer([&] {
            while (!blocking) std::this_thread::yield();
            watch(tid);
            (void)::write(p.fd[1], "x", 1);
        });
        loop.exec();
        writer.join();
        disconnect(conn);
        return after - before;
    }

private slots:
    void installed() {
        QVERIFY(dynamic_cast<EpollEventDispatcher*>(QAbstractEventDispatcher::instance()) != nullptr);
    }

    void singleShotTimersFireInDueOrder() {
        std::vector<int> order;
        QTimer::singleShot(60, this, [&] { order.push_back(60); });
        QTimer::singleShot(20, this, [&] { order.push_back(20); });
        QTimer::singleShot(0, this, [&] { order.push_back(0); });
        QTRY_COMPARE_WITH_TIMEOUT(order.size(), std::size_t(3), kHungMs);
        QCOMPARE(order, (std::vector<int>{0, 20, 60}));
    }

    void repeatingTimerStoppedFromItsHandlerIsUnregistered() {
        QTimer t;
        t.setInterval(1);
        int count = 0;
        connect(&t, &QTimer::timeout, this, [&] {
            if (++count == 5) t.stop();
        });
        t.start();
        QVERIFY(!QAbstractEventDispatcher::instance()->registeredTimers(&t).isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(!t.isActive(), kHungMs);
        QCOMPARE(count, 5);
        QVERIFY(QAbstractEventDispatcher::instance()->registeredTimers(&t).isEmpty());
    }

    void remainingTimeCountsDown() {
        QTimer t;
        t.setTimerType(Qt::PreciseTimer);
        t.start(100000);
        const int left = t.remainingTime();
        QVERIFY2(left > 0 && left <= 100000, QByteArray::number(left).constData());
        t.stop();
        QCOMPARE(t.remainingTime(), -1);
    }

    void repeatingTimerIsNotReenteredFromANestedLoop() {
        // The handler runs a nested event loop until a later single-shot ends it; meanwhile the
        // repeating timer is due again many times but must not run inside itself.
        QTimer t;
        t.setInterval(1);
        int depth = 0, maxDepth = 0, runs = 0;
        connect(&t, &QTimer::timeout, this, [&] {
            ++runs;
            maxDepth = std::max(maxDepth, ++depth);
            if (runs == 1) {
                QEventLoop nested;
                QTimer::singleShot(30, &nested, &QEventLoop::quit);
                nested.exec();
            }
            --depth;
            if (runs == 3) t.stop();
        });
        t.start();
        QTRY_VERIFY_WITH_TIMEOUT(!t.isActive(), kHungMs);
        QCOMPARE(runs, 3);
        QCOMPARE(maxDepth, 1);
    }

    void readAndWriteNotifiers() {
        SocketPair p;
        QVERIFY(p.fd[0] >= 0);
        QSocketNotifier readable(p.fd[0], QSocketNotifier::Read);
        QByteArray got;
        connect(&readable, &QSocketNotifier::activated, this, [&] {
            char buf[64];
            const auto n = ::read(p.fd[0], buf, sizeof buf);
            if (n > 0) got.append(buf, n);
        });
        QSocketNotifier writable(p.fd[1], QSocketNotifier::Write);
        int writableFired = 0;
        connect(&writable, &QSocketNotifier::activated, this, [&] {
            ++writableFired;
            writable.setEnabled(false);  // level-triggered: it would fire on every pass
            QCOMPARE(::write(p.fd[1], "hello", 5), ssize_t(5));
        });
        QTRY_COMPARE_WITH_TIMEOUT(got, QByteArray("hello"), kHungMs);
        QCOMPARE(writableFired, 1);
        // Disabled and enabled again: watched again.
        readable.setEnabled(false);
        readable.setEnabled(true);
        QCOMPARE(::write(p.fd[1], "again", 5), ssize_t(5));
        QTRY_COMPARE_WITH_TIMEOUT(got, QByteArray("helloagain"), kHungMs);
    }

    void hangUpWakesTheReadNotifier() {
        SocketPair p;
        QSocketNotifier readable(p.fd[0], QSocketNotifier::Read);
        bool sawEnd = false;
        connect(&readable, &QSocketNotifier::activated, this, [&] {
            char c;
            if (::read(p.fd[0], &c, 1) == 0) {
                sawEnd = true;
                readable.setEnabled(false);
            }
        });
        ::close(p.fd[1]);
        p.fd[1] = -1;
        QTRY_VERIFY_WITH_TIMEOUT(sawEnd, kHungMs);
    }

    void notifierDeletedByAnEarlierHandlerOfTheSamePassDoesNotRun() {
        // Both sockets are readable in the same pass; whichever handler runs first deletes the other
        // notifier (and closes its descriptor), which must then not run.
        SocketPair a, b;
        auto* na = new QSocketNotifier(a.fd[0], QSocketNotifier::Read);
        auto* nb = new QSocketNotifier(b.fd[0], QSocketNotifier::Read);
        int ran = 0;
        connect(na, &QSocketNotifier::activated, this, [&] {
            ++ran;
            na->setEnabled(false);
            delete nb;
            nb = nullptr;
        });
        connect(nb, &QSocketNotifier::activated, this, [&] {
            ++ran;
            nb->setEnabled(false);
            delete na;
            na = nullptr;
        });
        QCOMPARE(::write(a.fd[1], "x", 1), ssize_t(1));
        QCOMPARE(::write(b.fd[1], "y", 1), ssize_t(1));
        QTRY_VERIFY_WITH_TIMEOUT(ran > 0, kHungMs);
        QCoreApplication::processEvents();
        QCOMPARE(ran, 1);
        delete na;
        delete nb;
    }

    // A DirectSocketNotifier is called, not sent an event; one registered only from
    // QSocketNotifier's constructor (the subclass not built yet) gets the event.
    void directNotifierIsCalledWithoutAnEvent() {
        SocketPair a, b;
        CountingDirectNotifier whole(a.fd[0], true);
        CountingDirectNotifier partial(b.fd[0], false);
        QCOMPARE(::write(a.fd[1], "x", 1), ssize_t(1));
        QCOMPARE(::write(b.fd[1], "y", 1), ssize_t(1));
        QTRY_VERIFY_WITH_TIMEOUT(whole.calls == 1 && partial.events == 1, kHungMs);
        QCOMPARE(whole.events, 0);
        QCOMPARE(partial.calls, 0);
    }

    // A deleteLater() from a direct call runs at the next pass inside a running loop (Qt stamps it
    // as a handler's), and at the end of the same pass where processEvents() is called by hand
    // (the dispatcher sends the deferred deletes then: Qt would keep them until the loop ended).
    void deleteLaterFromADirectCallRuns() {
        SocketPair p;
        CountingDirectNotifier n(p.fd[0], true);
        bool gone = false;
        n.victim = new QObject;
        connect(n.victim, &QObject::destroyed, this, [&] { gone = true; });
        QEventLoop loop;
        connect(n.victim, &QObject::destroyed, &loop, &QEventLoop::quit);
        QTimer::singleShot(kHungMs, &loop, &QEventLoop::quit);
        QCOMPARE(::write(p.fd[1], "x", 1), ssize_t(1));
        loop.exec();
        QVERIFY(gone);
        QCOMPARE(n.calls, 1);

        gone = false;
        n.victim = new QObject;
        connect(n.victim, &QObject::destroyed, this, [&] { gone = true; });
        QCOMPARE(::write(p.fd[1], "y", 1), ssize_t(1));
        QDeadlineTimer hung(kHungMs);
        while (n.calls < 2 && !hung.hasExpired()) QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
        QCOMPARE(n.calls, 2);
        QVERIFY(gone);
    }

    void aRegularFileIsAlwaysReadable() {
        // epoll refuses regular files; poll() reports them ready, and so does this dispatcher.
        QTemporaryFile file;
        QVERIFY(file.open());
        QSocketNotifier n(file.handle(), QSocketNotifier::Read);
        int fired = 0;
        connect(&n, &QSocketNotifier::activated, this, [&] {
            if (++fired == 3) n.setEnabled(false);
        });
        QTRY_COMPARE_WITH_TIMEOUT(fired, 3, kHungMs);
    }

    void eventsPostedFromAnotherThreadWakeTheLoop() {
        std::atomic<int> received{0};
        QObject receiver;
        std::thread poster([&] {
            for (int i = 0; i < 100; ++i)
                QMetaObject::invokeMethod(&receiver, [&] { ++received; }, Qt::QueuedConnection);
        });
        poster.join();
        QTRY_COMPARE_WITH_TIMEOUT(received.load(), 100, kHungMs);
    }

    void awakeAndAboutToBlockReachTheirListeners() {
        // The dispatcher emits them only while something is connected (it counts connections).
        auto* dispatcher = QAbstractEventDispatcher::instance();
        for (int round = 0; round < 2; ++round) {
            int awake = 0, blocking = 0;
            const auto a = connect(dispatcher, &QAbstractEventDispatcher::awake, this, [&] { ++awake; });
            const auto b = connect(dispatcher, &QAbstractEventDispatcher::aboutToBlock, this, [&] { ++blocking; });
            QEventLoop loop;  // exec() waits for events (QTest's waits never block)
            QTimer::singleShot(5, &loop, &QEventLoop::quit);
            loop.exec();
            QVERIFY(awake > 0);
            QVERIFY(blocking > 0);
            disconnect(a);
            disconnect(b);
            const int awakeBefore = awake;
            QCoreApplication::processEvents();
            QCOMPARE(awake, awakeBefore);  // disconnected: not called
        }
    }

    void busyPollCatchesTheNextEventWithoutSleeping() {
        // A window far longer than the test: the loop must never sleep before the write arrives. The
        // writer watches the loop's thread before writing: with busy polling it stays running (R); a
        // loop that went to sleep in epoll shows S, and then one more voluntary context switch.
        auto* dispatcher = dynamic_cast<EpollEventDispatcher*>(QAbstractEventDispatcher::instance());
        QVERIFY(dispatcher);
        dispatcher->setBusyPoll(std::chrono::seconds(60), false);  // not giving way: a busy CI machine preempts
        bool sawSleep = false;
        const long switches = runUntilWritten([&](pid_t loopThread) {
            for (int i = 0; i < 2000 && !sawSleep; ++i)
                sawSleep = threadState(loopThread) == 'S';
        });
        dispatcher->setBusyPoll(std::chrono::microseconds(0));
        QVERIFY2(!sawSleep, "the loop slept in epoll during its busy-poll window");
        QCOMPARE(switches, 0L);
    }

    void busyPollWaitsForItsGate() {
        // The same 60 s window, with a gate that says no: the loop sleeps at once (the writer waits
        // to see it asleep), and the gate was asked.
        auto* dispatcher = dynamic_cast<EpollEventDispatcher*>(QAbstractEventDispatcher::instance());
        QVERIFY(dispatcher);
        dispatcher->setBusyPoll(std::chrono::seconds(60), false);
        std::atomic<int> asked{0};
        dispatcher->setBusyPollGate([&] {
            ++asked;
            return false;
        });
        const bool sawSleep = runUntilSeenAsleep();
        dispatcher->setBusyPollGate({});
        dispatcher->setBusyPoll(std::chrono::microseconds(0));
        QVERIFY2(sawSleep, "the loop polled although its gate said no");
        QVERIFY(asked > 0);
    }

    void busyPollGivesWayToAThreadThatWantsTheCpu() {
        // This thread and a spinning one share one CPU: the scheduler preempts the busy poll, which
        // must then sleep (the writer waits to see it asleep) although its window is 60 s.
        auto* dispatcher = dynamic_cast<EpollEventDispatcher*>(QAbstractEventDispatcher::instance());
        QVERIFY(dispatcher);
        cpu_set_t saved;
        QCOMPARE(::sched_getaffinity(0, sizeof saved, &saved), 0);
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(::sched_getcpu(), &one);
        QCOMPARE(::sched_setaffinity(0, sizeof one, &one), 0);
        std::atomic<bool> stop{false};
        std::thread hog([&] {
            (void)::pthread_setaffinity_np(::pthread_self(), sizeof one, &one);
            while (!stop) {
            }
        });
        dispatcher->setBusyPoll(std::chrono::seconds(60));
        const bool sawSleep = runUntilSeenAsleep();
        stop = true;
        hog.join();
        dispatcher->setBusyPoll(std::chrono::microseconds(0));
        QCOMPARE(::sched_setaffinity(0, sizeof saved, &saved), 0);
        QVERIFY2(sawSleep, "the busy poll kept the CPU from a thread that wanted it");
    }

    void busyPollEndsAtTheWindowAndTimersStillFire() {
        // A short window: an idle loop polls for 1 ms, then sleeps until its timer, which fires.
        auto* dispatcher = dynamic_cast<EpollEventDispatcher*>(QAbstractEventDispatcher::instance());
        QVERIFY(dispatcher);
        dispatcher->setBusyPoll(std::chrono::milliseconds(1));
        const pid_t tid = static_cast<pid_t>(::syscall(SYS_gettid));
        const long before = voluntarySwitches(tid);
        bool fired = false;
        QTimer::singleShot(50, this, [&] { fired = true; });
        QTRY_VERIFY_WITH_TIMEOUT(fired, kHungMs);
        const long after = voluntarySwitches(tid);
        dispatcher->setBusyPoll(std::chrono::microseconds(0));
        QVERIFY2(after > before, "the loop never slept: the busy poll did not end at its window");
    }

    void quitFromAnotherThreadEndsABlockedLoop() {
        // No timer and nothing to read: the loop sleeps in epoll until the other thread's quit.
        QEventLoop loop;
        std::thread quitter([&] { QMetaObject::invokeMethod(&loop, &QEventLoop::quit, Qt::QueuedConnection); });
        loop.exec();
        quitter.join();
    }
};

int main(int argc, char** argv) {
    auto* dispatcher = new EpollEventDispatcher;
    if (!dispatcher->isValid()) {
        std::fprintf(stderr, "no epoll or eventfd on this kernel\n");
        return 1;
    }
    QCoreApplication::setEventDispatcher(dispatcher);
    QCoreApplication app(argc, argv);
    TestEpollDispatcher test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_epoll_dispatcher.moc"
