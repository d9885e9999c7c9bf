// Priority load, spill, panic and previous_priorities maths, as tables with the arithmetic in the
// comments (the shape of Envoy's load_balancer_impl_test.cc).
#include <QtTest>

#include "routing/priority.h"

using namespace aigw::routing;

Q_DECLARE_METATYPE(std::vector<PriorityCounts>)
Q_DECLARE_METATYPE(PriorityLoad)
Q_DECLARE_METATYPE(std::vector<bool>)

namespace {
std::vector<PriorityCounts> pc(std::initializer_list<std::pair<std::uint32_t, std::uint32_t>> l) {
    std::vector<PriorityCounts> v;
    for (auto [h, ok] : l)
        v.push_back(PriorityCounts{h, ok});
    return v;
}
}  // namespace

class TestPriority : public QObject {
    Q_OBJECT
private slots:
    void health_data() {
        QTest::addColumn<std::uint32_t>("hosts");
        QTest::addColumn<std::uint32_t>("healthy");
        QTest::addColumn<std::uint32_t>("health");
        QTest::newRow("all healthy: 1.4 x 100% capped at 100") << 3u << 3u << 100u;
        QTest::newRow("2 of 3: 140 x 2 / 3 = 93.3 -> 93") << 3u << 2u << 93u;
        QTest::newRow("1 of 3: 140 / 3 = 46.7 -> 46") << 3u << 1u << 46u;
        QTest::newRow("0 of 3") << 3u << 0u << 0u;
        QTest::newRow("3 of 4: 140 x 3 / 4 = 105 -> 100") << 4u << 3u << 100u;
        QTest::newRow("5 of 7: 140 x 5 / 7 = 100 exactly") << 7u << 5u << 100u;
        QTest::newRow("7 of 10: 98") << 10u << 7u << 98u;
        QTest::newRow("1 of 2: 70") << 2u << 1u << 70u;
        QTest::newRow("no hosts") << 0u << 0u << 0u;
    }
    void health() {
        QFETCH(std::uint32_t, hosts);
        QFETCH(std::uint32_t, healthy);
        QFETCH(std::uint32_t, health);
        QCOMPARE(priorityHealth(PriorityCounts{hosts, healthy}), health);
    }

    void spill_data() {
        QTest::addColumn<std::vector<PriorityCounts>>("counts");
        QTest::addColumn<std::uint32_t>("panicThreshold");
        QTest::addColumn<PriorityLoad>("load");
        QTest::addColumn<std::vector<bool>>("panic");
        QTest::addColumn<bool>("totalPanic");
        // P0 has 3 hosts with 0..3 ejected; P1 has 1 healthy host.
        QTest::newRow("P0 3/3: health 100 -> all to P0")
            << pc({{3, 3}, {1, 1}}) << 50u << PriorityLoad{100, 0} << std::vector<bool>{false, false} << false;
        QTest::newRow("P0 2/3: health 93, P1 100, total min(100,193)=100 -> 93 / min(7,100)=7")
            << pc({{3, 2}, {1, 1}}) << 50u << PriorityLoad{93, 7} << std::vector<bool>{false, false} << false;
        QTest::newRow("P0 1/3: health 46 -> 46 / 54 (no panic: total availability is 100)")
            << pc({{3, 1}, {1, 1}}) << 50u << PriorityLoad{46, 54} << std::vector<bool>{false, false} << false;
        QTest::newRow("P0 0/3: health 0 -> 0 / 100")
            << pc({{3, 0}, {1, 1}}) << 50u << PriorityLoad{0, 100} << std::vector<bool>{false, false} << false;
        QTest::newRow("Ticket 2, primary ejected: P0 0/1, P1 1/1 -> 0 / 100")
            << pc({{1, 0}, {1, 1}}) << 50u << PriorityLoad{0, 100} << std::vector<bool>{false, false} << false;
        QTest::newRow("three levels: P0 1/3 (46), P1 1/2 (70): 46 + min(54, 70) = 54, P2 gets 0")
            << pc({{3, 1}, {2, 1}, {1, 1}}) << 50u << PriorityLoad{46, 54, 0} << std::vector<bool>{false, false, false} << false;
        QTest::newRow("P0 1/3 (46), P1 0/2: total 46 -> P0 46x100/46 = 100; P0 33% < 50 and P1 0% panic: "
                      "total panic by host counts 3/5=60, 2/5=40")
            << pc({{3, 1}, {2, 0}}) << 50u << PriorityLoad{60, 40} << std::vector<bool>{true, true} << true;
        QTest::newRow("P0 2/4 (70), P1 0/1: total 70 -> P0 100; P0 50% is not < 50 so not every level panics")
            << pc({{4, 2}, {1, 0}}) << 50u << PriorityLoad{100, 0} << std::vector<bool>{false, true} << false;
        QTest::newRow("single level 1/3: health 46 -> load 100; 33% < 50: panic, total panic 100")
            << pc({{3, 1}}) << 50u << PriorityLoad{100} << std::vector<bool>{true} << true;
        QTest::newRow("single level 1/2: health 70; 50% not < 50: no panic")
            << pc({{2, 1}}) << 50u << PriorityLoad{100} << std::vector<bool>{false} << false;
        QTest::newRow("everything ejected, panic threshold 0: Envoy puts 100 on P0 and finds no host")
            << pc({{1, 0}, {1, 0}}) << 0u << PriorityLoad{100, 0} << std::vector<bool>{false, false} << false;
        QTest::newRow("everything ejected, threshold 50: total panic 1/2, 1/2 -> 50 / 50")
            << pc({{1, 0}, {1, 0}}) << 50u << PriorityLoad{50, 50} << std::vector<bool>{true, true} << true;
        QTest::newRow("empty P0 (removed endpoint), P1 1/1 -> 0 / 100")
            << pc({{0, 0}, {1, 1}}) << 50u << PriorityLoad{0, 100} << std::vector<bool>{false, false} << false;
        QTest::newRow("no hosts at all: 100 on P0, total panic")
            << pc({{0, 0}, {0, 0}}) << 50u << PriorityLoad{100, 0} << std::vector<bool>{true, true} << true;
    }
    void spill() {
        QFETCH(std::vector<PriorityCounts>, counts);
        QFETCH(std::uint32_t, panicThreshold);
        QFETCH(PriorityLoad, load);
        QFETCH(std::vector<bool>, panic);
        QFETCH(bool, totalPanic);
        const PriorityState s = computePriorityState(counts, panicThreshold);
        QCOMPARE(s.load, load);
        QCOMPARE(s.panic, panic);
        QCOMPARE(s.totalPanic, totalPanic);
    }

    void previousPriorities_data() {
        QTest::addColumn<std::vector<PriorityCounts>>("counts");
        QTest::addColumn<std::vector<bool>>("excluded");
        QTest::addColumn<PriorityLoad>("load");
        QTest::addColumn<bool>("reset");
        QTest::newRow("P0 tried: 0 / 100") << pc({{1, 1}, {1, 1}}) << std::vector<bool>{true, false} << PriorityLoad{0, 100} << false;
        QTest::newRow("both tried: reset to the original 100 / 0")
            << pc({{1, 1}, {1, 1}}) << std::vector<bool>{true, true} << PriorityLoad{100, 0} << true;
        QTest::newRow("P0 tried, P1 ejected: nothing left, reset -> 100 / 0")
            << pc({{1, 1}, {1, 0}}) << std::vector<bool>{true, false} << PriorityLoad{100, 0} << true;
        QTest::newRow("3 levels, P0 tried: P1 100 of (100+100 capped 100) -> 0/100/0")
            << pc({{1, 1}, {1, 1}, {1, 1}}) << std::vector<bool>{true, false, false} << PriorityLoad{0, 100, 0} << false;
        QTest::newRow("3 levels, P0+P1 tried -> 0/0/100")
            << pc({{1, 1}, {1, 1}, {1, 1}}) << std::vector<bool>{true, true, false} << PriorityLoad{0, 0, 100} << false;
        QTest::newRow("P1 1/3 (46), P2 1/2 (70), P0 tried: total min(100,116)=100 -> 46 / min(54,70)=54")
            << pc({{1, 1}, {3, 1}, {2, 1}}) << std::vector<bool>{true, false, false} << PriorityLoad{0, 46, 54} << false;
        QTest::newRow("P0 tried, P1 1/3 alone (46): 46x100/46 = 100")
            << pc({{1, 1}, {3, 1}}) << std::vector<bool>{true, false} << PriorityLoad{0, 100} << false;
    }
    void previousPriorities() {
        QFETCH(std::vector<PriorityCounts>, counts);
        QFETCH(std::vector<bool>, excluded);
        QFETCH(PriorityLoad, load);
        QFETCH(bool, reset);
        bool wasReset = false;
        auto adjusted = adjustForAttemptedPriorities(counts, excluded, wasReset);
        QVERIFY(adjusted.has_value());
        QCOMPARE(*adjusted, load);
        QCOMPARE(wasReset, reset);
        if (reset)
            QCOMPARE(excluded, std::vector<bool>(counts.size(), false));
    }
    void previousPrioritiesNothingAvailable() {
        std::vector<bool> excluded{false, false};
        bool reset = false;
        QVERIFY(!adjustForAttemptedPriorities(pc({{1, 0}, {1, 0}}), excluded, reset).has_value());
    }

    void choosePriorityWalksTheCumulativeLoad_data() {
        QTest::addColumn<quint64>("draw");
        QTest::addColumn<int>("priority");
        // load 93 / 7: draw % 100 + 1 in 1..93 -> P0, 94..100 -> P1
        QTest::newRow("0 -> 1 -> P0") << quint64(0) << 0;
        QTest::newRow("92 -> 93 -> P0") << quint64(92) << 0;
        QTest::newRow("93 -> 94 -> P1") << quint64(93) << 1;
        QTest::newRow("199 -> 100 -> P1") << quint64(199) << 1;
    }
    void choosePriorityWalksTheCumulativeLoad() {
        QFETCH(quint64, draw);
        QFETCH(int, priority);
        QCOMPARE(static_cast<int>(choosePriority(PriorityLoad{93, 7}, draw)), priority);
    }

    void localityWeight_data() {
        QTest::addColumn<qint64>("weight");
        QTest::addColumn<std::uint32_t>("healthy");
        QTest::addColumn<std::uint32_t>("hosts");
        QTest::addColumn<double>("effective");
        QTest::newRow("healthy: 50") << qint64(50) << 1u << 1u << 50.0;
        QTest::newRow("ejected: 0") << qint64(50) << 0u << 1u << 0.0;
        QTest::newRow("1 of 2 hosts: 50 x min(1, 1.4 x 0.5) = 35") << qint64(50) << 1u << 2u << 35.0;
        QTest::newRow("3 of 4: 1.4 x 0.75 = 1.05 -> 1: 20") << qint64(20) << 3u << 4u << 20.0;
        QTest::newRow("weight 0") << qint64(0) << 1u << 1u << 0.0;
    }
    void localityWeight() {
        QFETCH(qint64, weight);
        QFETCH(std::uint32_t, healthy);
        QFETCH(std::uint32_t, hosts);
        QFETCH(double, effective);
        QCOMPARE(effectiveLocalityWeight(weight, healthy, hosts), effective);
    }

    void edfSplitIsExactWithinOnePick_data() {
        QTest::addColumn<quint64>("prePicks");
        for (quint64 p : {0, 1, 2, 7, 99})
            QTest::newRow(qPrintable(QString("pre-picks %1").arg(p))) << p;
    }
    void edfSplitIsExactWithinOnePick() {
        QFETCH(quint64, prePicks);
        EdfScheduler edf({50, 30, 20}, prePicks);
        std::array<int, 3> n{};
        for (int i = 0; i < 10000; ++i)
            ++n[*edf.pick()];
        // 10,000 picks at 50/30/20: 5000/3000/2000, off by at most one pick each (the start offset)
        QVERIFY(std::abs(n[0] - 5000) <= 1);
        QVERIFY(std::abs(n[1] - 3000) <= 1);
        QVERIFY(std::abs(n[2] - 2000) <= 1);
    }
    void edfSkipsZeroWeights() {
        EdfScheduler edf({0, 3, 0});
        for (int i = 0; i < 10; ++i)
            QCOMPARE(*edf.pick(), std::size_t(1));
        EdfScheduler none({0, 0});
        QVERIFY(!none.pick().has_value());
    }
};

QTEST_APPLESS_MAIN(TestPriority)
#include "test_priority.moc"
