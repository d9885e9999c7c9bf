#include <QtTest>

#include "common/random.h"
#include "common/scheduler.h"

using namespace aigw;

class TestScheduler : public QObject {
    Q_OBJECT
private slots:
    void runsInDueTimeThenSequenceOrder() {
        ManualClock clock;
        SimScheduler s(clock);
        std::vector<int> order;
        s.schedule(ms(20), [&] { order.push_back(3); });
        s.schedule(ms(10), [&] { order.push_back(1); });
        s.schedule(ms(10), [&] { order.push_back(2); });
        s.runAll();
        QCOMPARE(order, (std::vector<int>{1, 2, 3}));
        QCOMPARE(clock.now().time_since_epoch(), ms(20));
    }
    void cancelledTimersDoNotRun() {
        ManualClock clock;
        SimScheduler s(clock);
        int ran = 0;
        const TimerId id = s.schedule(ms(5), [&] { ++ran; });
        s.schedule(ms(6), [&] { ran += 10; });
        s.cancel(id);
        QCOMPARE(s.pending(), std::size_t(1));
        s.runAll();
        QCOMPARE(ran, 10);
        s.cancel(id);  // cancelling twice or after running is harmless
        QCOMPARE(s.pending(), std::size_t(0));
    }
    void runUntilStopsAtTheBoundary() {
        ManualClock clock;
        SimScheduler s(clock);
        int ran = 0;
        s.schedule(ms(5), [&] {
            ++ran;
            s.schedule(ms(5), [&] { ++ran; });  // due at 10ms: inside the window
        });
        s.schedule(ms(11), [&] { ran += 100; });
        s.runUntil(TimePoint(ms(10)));
        QCOMPARE(ran, 2);
        QCOMPARE(clock.now().time_since_epoch(), ms(10));
    }
    void seededRandomIsReproducibleAndBounded() {
        SeededRandom a(42), b(42), c(43);
        bool differs = false;
        for (int i = 0; i < 1000; ++i) {
            const auto x = a.next();
            QCOMPARE(x, b.next());
            differs |= (x != c.next());
        }
        for (int i = 0; i < 1000; ++i) {
            const double u = a.uniform01();
            QVERIFY(u >= 0.0 && u < 1.0);
            QVERIFY(a.below(7) < 7);
        }
        QVERIFY(differs);
        QCOMPARE(a.below(0), std::uint64_t(0));
    }
};

QTEST_GUILESS_MAIN(TestScheduler)
#include "test_scheduler.moc"
