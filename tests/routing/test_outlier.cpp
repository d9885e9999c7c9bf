// Outlier detection: thresholds, the maxEjectionPercent trap, and ejection / un-ejection times
// across repeated ejections (base x n on the interval sweep, backoff decay while healthy).
#include <QtTest>

#include "routing/outlier.h"
#include "routing_fixtures.h"
#include "qtest_names.h"

AIGW_QTEST_NAMES(aigw::routing::HostEvent::Type)

using namespace aigw;
using namespace aigw::routing;
using namespace aigw::testing;

Q_DECLARE_METATYPE(std::vector<int>)

class TestOutlier : public QObject {
    Q_OBJECT
private slots:
    void consecutive5xxFiresExactlyAtTheThreshold() {
        OutlierConfig c;  // consecutive5xx 5
        HostMonitor m;
        for (int i = 1; i <= 4; ++i)
            QVERIFY(recordResult(m, c, OutlierSignal::HttpStatus, 500).empty());
        QCOMPARE(recordResult(m, c, OutlierSignal::HttpStatus, 500), std::vector<EjectionType>{EjectionType::Consecutive5xx});
        // past the threshold nothing fires again until the counter is reset
        QVERIFY(recordResult(m, c, OutlierSignal::HttpStatus, 500).empty());
    }
    void successResetsTheCounters() {
        OutlierConfig c;
        HostMonitor m;
        for (int i = 0; i < 4; ++i)
            recordResult(m, c, OutlierSignal::HttpStatus, 503);
        recordResult(m, c, OutlierSignal::HttpStatus, 200);
        QCOMPARE(m.consecutive5xx, 0);
        // 429 is not 5xx: it also resets
        recordResult(m, c, OutlierSignal::HttpStatus, 503);
        recordResult(m, c, OutlierSignal::HttpStatus, 429);
        QCOMPARE(m.consecutive5xx, 0);
    }
    void connectFailuresCountAs5xxUnlessSplit() {
        OutlierConfig c;
        c.consecutive5xx = 2;
        HostMonitor m;
        QVERIFY(recordResult(m, c, OutlierSignal::ConnectFailed, 0).empty());
        QCOMPARE(recordResult(m, c, OutlierSignal::ConnectFailed, 0), std::vector<EjectionType>{EjectionType::Consecutive5xx});

        c.split = true;
        c.consecutiveLocalOriginFailure = 2;
        HostMonitor s;
        QVERIFY(recordResult(s, c, OutlierSignal::ConnectFailed, 0).empty());
        QCOMPARE(s.consecutive5xx, 0);  // split: a refused connection is not a 5xx
        QCOMPARE(recordResult(s, c, OutlierSignal::Timeout, 0), std::vector<EjectionType>{EjectionType::ConsecutiveLocalOriginFailure});
        recordResult(s, c, OutlierSignal::ConnectFailed, 0);
        recordResult(s, c, OutlierSignal::HttpStatus, 200);  // the connection worked
        QCOMPARE(s.consecutiveLocalOriginFailure, 0);
    }
    void gatewayFailuresOnlyWhenConfigured() {
        OutlierConfig c;
        c.consecutive5xx = 0;  // off
        HostMonitor m;
        for (int i = 0; i < 10; ++i)
            QVERIFY(recordResult(m, c, OutlierSignal::HttpStatus, 502).empty());
        c.consecutiveGatewayFailure = 2;
        HostMonitor g;
        recordResult(g, c, OutlierSignal::HttpStatus, 502);
        recordResult(g, c, OutlierSignal::HttpStatus, 500);  // a non-gateway 5xx resets the gateway count
        QCOMPARE(g.consecutiveGatewayFailure, 0);
        recordResult(g, c, OutlierSignal::HttpStatus, 504);
        QCOMPARE(recordResult(g, c, OutlierSignal::Timeout, 0), std::vector<EjectionType>{EjectionType::ConsecutiveGatewayFailure});
    }

    void maxEjectionPercent_data() {
        QTest::addColumn<int>("maxPercent");
        QTest::addColumn<bool>("alwaysOne");
        QTest::addColumn<int>("active");
        QTest::addColumn<int>("hosts");
        QTest::addColumn<bool>("allowed");
        QTest::newRow("EG default 10%, 2 hosts: 100 x 1/2 = 50 > 10 -> never") << 10 << false << 0 << 2 << false;
        QTest::newRow("10%, 10 hosts: 100 x 1/10 = 10 <= 10") << 10 << false << 0 << 10 << true;
        QTest::newRow("10%, 10 hosts, 1 out: 20 > 10") << 10 << false << 1 << 10 << false;
        QTest::newRow("50%, 2 hosts: 50 <= 50") << 50 << false << 0 << 2 << true;
        QTest::newRow("49%, 2 hosts: 50 > 49") << 49 << false << 0 << 2 << false;
        QTest::newRow("50%, 2 hosts, 1 out: 100 > 50") << 50 << false << 1 << 2 << false;
        QTest::newRow("50%, 3 hosts: 33.3 ok") << 50 << false << 0 << 3 << true;
        QTest::newRow("50%, 3 hosts, 1 out: 66.7 > 50") << 50 << false << 1 << 3 << false;
        QTest::newRow("100%, 2 hosts, 1 out: 100 <= 100") << 100 << false << 1 << 2 << true;
        QTest::newRow("alwaysEjectOneEndpoint, 10%, 2 hosts: the first one goes") << 10 << true << 0 << 2 << true;
        QTest::newRow("alwaysEjectOneEndpoint, 10%, 2 hosts, 1 out: not a second") << 10 << true << 1 << 2 << false;
    }
    void maxEjectionPercent() {
        QFETCH(int, maxPercent);
        QFETCH(bool, alwaysOne);
        QFETCH(int, active);
        QFETCH(int, hosts);
        QFETCH(bool, allowed);
        OutlierConfig c;
        c.maxEjectionPercent = maxPercent;
        c.alwaysEjectOne = alwaysOne;
        QCOMPARE(ejectionAllowed(c, static_cast<std::size_t>(active), static_cast<std::size_t>(hosts)), allowed);
    }

    void nextSweepStaysOnTheGrid() {
        // ticks at epoch + k x 2s
        QCOMPARE(nextSweep(TimePoint{}, secs(2), TimePoint(ms(1))), TimePoint(secs(2)));
        QCOMPARE(nextSweep(TimePoint{}, secs(2), TimePoint(secs(2))), TimePoint(secs(4)));
        QCOMPARE(nextSweep(TimePoint(ms(500)), secs(2), TimePoint(secs(3))), TimePoint(ms(4500)));
    }

    // The trap through the engine: Ticket 2's 2-host cluster, P0 refusing, passive check with EG's
    // default maxEjectionPercent 10. Nothing is ever ejected; every threshold is an overflow.
    void maxEjectionPercentTrapInTheEngine_data() {
        QTest::addColumn<int>("maxPercent");
        QTest::addColumn<bool>("alwaysOne");
        QTest::addColumn<bool>("ejected");
        QTest::newRow("default 10%") << -1 << false << false;
        QTest::newRow("50%") << 50 << false << true;
        QTest::newRow("10% + alwaysEjectOneEndpoint") << 10 << true << true;
    }
    void maxEjectionPercentTrapInTheEngine() {
        QFETCH(int, maxPercent);
        QFETCH(bool, alwaysOne);
        QFETCH(bool, ejected);
        config::PassiveHealthCheck p;
        p.consecutive5XxErrors = 3;
        if (maxPercent >= 0)
            p.maxEjectionPercent = maxPercent;
        if (alwaysOne)
            p.alwaysEjectOneEndpoint = true;
        Harness h(makeConfig("m", {{"a", 1, 0}, {"b", 1, 1}}, std::nullopt, p));
        h.behaviour = refusing({"a"});
        for (int i = 0; i < 9; ++i) {
            h.advanceTo(ms(100) * i);
            h.send("m");
        }
        const auto& k = h.engine->counters();
        if (!ejected) {
            // 9 failures / threshold 3 = 3 detections, all refused: 100 x 1/2 = 50% > 10%
            QCOMPARE(k.outlier_ejections_detected_consecutive_5xx, std::uint64_t(3));
            QCOMPARE(k.outlier_ejections_overflow, std::uint64_t(3));
            QCOMPARE(k.outlier_ejections_enforced_total, std::uint64_t(0));
            for (const auto& r : h.records)
                QCOMPARE(r.finalStatus, 503);  // no retry, P0 always "healthy"
            QCOMPARE(h.events.size(), std::size_t(3));
            QCOMPARE(h.events[0].type, HostEvent::Type::EjectionSkipped);
        } else {
            // ejected on the 3rd failure (request at 200 ms + 1 ms refused connect); requests 4..9 go to P1
            QCOMPARE(k.outlier_ejections_enforced_total, std::uint64_t(1));
            QCOMPARE(h.events[0].type, HostEvent::Type::Ejected);
            QCOMPARE(h.events[0].at, TimePoint(ms(201)));
            for (int i = 3; i < 9; ++i) {
                QCOMPARE(h.records[i].finalStatus, 200);
                QCOMPARE(h.records[i].finalBackend, std::string("b"));
            }
        }
    }

    // P0 refuses for good (a refused connect takes 1 ms); a request every second, retried to P1,
    // so all succeed. interval 2s, base 5s, ticks at 2, 4, 6, ... (the engine was built at t = 0):
    //   ejection 1 at 0.001s for 1 x 5s -> 5.001; first tick after: 6        -> back at 6
    //   the request at 6s probes P0: ejection 2 at 6.001 for 2 x 5 = 10s -> 16.001; tick 18 -> back at 18
    //   ejection 3 at 18.001 for 15s -> 33.001; tick 34 -> back at 34
    //   ejection 4 at 34.001 for 20s -> 54.001; tick 56 -> back at 56
    //   ejection 5 at 56.001 for 25s -> 81.001
    void repeatedEjectionsGrowByBase() {
        config::PassiveHealthCheck p = docsPassive();
        Harness h(makeConfig("m", {{"a", 1, 0}, {"b", 1, 1}}, fallbackRetry(), p));
        h.behaviour = refusing({"a"});
        for (int s = 0; s <= 56; ++s) {
            h.advanceTo(secs(s));
            const auto r = h.send("m");
            QCOMPARE(r.finalStatus, 200);
        }
        std::vector<int> ejectedAt, until, unejectedAt, count;
        for (const auto& e : h.events) {
            if (e.type == HostEvent::Type::Ejected) {
                ejectedAt.push_back(static_cast<int>(e.at.time_since_epoch() / secs(1)));
                until.push_back(static_cast<int>(e.until.time_since_epoch() / secs(1)));
                count.push_back(e.ejections);
            } else if (e.type == HostEvent::Type::Unejected) {
                unejectedAt.push_back(static_cast<int>(e.at.time_since_epoch() / secs(1)));
            }
        }
        QCOMPARE(ejectedAt, (std::vector<int>{0, 6, 18, 34, 56}));  // whole seconds (truncated)
        QCOMPARE(until, (std::vector<int>{5, 16, 33, 54, 81}));
        QCOMPARE(count, (std::vector<int>{1, 2, 3, 4, 5}));
        QCOMPARE(unejectedAt, (std::vector<int>{6, 18, 34, 56}));
        // while ejected, requests go straight to P1: one attempt, no added latency
        QCOMPARE(h.records[3].attempts.size(), std::size_t(1));
        QCOMPARE(h.records[3].finalBackend, std::string("b"));
        // a probe after un-ejection pays one failed attempt and is retried on P1
        QCOMPARE(h.records[6].attempts.size(), std::size_t(2));
        QCOMPARE(h.records[6].attempts[0].backend, std::string("a"));
    }

    // Backoff decay: after an un-ejection, each sweep with the host healthy takes one off the
    // multiplier. Ejected at 0.001 (5s, back at the 6s tick); P0 recovers at once; it fails again
    // at 11s. The tick at 8 finds it healthy: backoff 1 -> 0; so the second ejection is 1 x 5s again.
    void backoffDecaysWhileHealthy() {
        Harness h(makeConfig("m", {{"a", 1, 0}, {"b", 1, 1}}, fallbackRetry(), docsPassive()));
        h.behaviour = refusing({"a"});
        h.send("m");
        h.behaviour = refusing({});
        h.advanceTo(secs(11));
        QCOMPARE(h.engine->hosts()[0].ejectionBackoff, 0);
        h.behaviour = refusing({"a"});
        h.send("m");
        QCOMPARE(h.events.back().type, HostEvent::Type::Ejected);
        QCOMPARE(h.events.back().until - h.events.back().at, secs(5));
        QCOMPARE(h.events.back().ejections, 2);
    }
};

QTEST_APPLESS_MAIN(TestOutlier)
#include "test_outlier.moc"
