// Retry triggers with Envoy's semantics, the retry budget, and the fully jittered backoff.
#include <QtTest>

#include "common/random.h"
#include "routing/retry.h"
#include "qtest_names.h"

AIGW_QTEST_NAMES(aigw::routing::RetryStatus)

using namespace aigw;
using namespace aigw::routing;

Q_DECLARE_METATYPE(AttemptOutcome)

namespace {
RetryOn on(std::vector<std::string> triggers, std::vector<int> codes = {}) {
    config::RetryPolicy p;
    p.hasRetryOn = true;
    p.triggers = std::move(triggers);
    p.hasHttpStatusCodes = true;
    p.httpStatusCodes = std::move(codes);
    return RetryOn::fromPolicy(p);
}
AttemptOutcome fail(UpstreamFailure f) { return AttemptOutcome::failed(f); }
AttemptOutcome status(int s) { return AttemptOutcome::httpStatus(s); }
}  // namespace

class TestRetry : public QObject {
    Q_OBJECT
private slots:
    void wouldRetry_data() {
        QTest::addColumn<QStringList>("triggers");
        QTest::addColumn<QList<int>>("codes");
        QTest::addColumn<AttemptOutcome>("outcome");
        QTest::addColumn<bool>("retried");
        using F = UpstreamFailure;
        const QList<int> none;
        const QList<int> tutorial{500, 502, 503, 504, 404};
        QTest::newRow("connect-failure: refused") << QStringList{"connect-failure"} << none << fail(F::ConnectFailure) << true;
        QTest::newRow("connect-failure: connect timeout") << QStringList{"connect-failure"} << none << fail(F::ConnectTimeout) << true;
        QTest::newRow("connect-failure: 503 status is not a connect failure")
            << QStringList{"connect-failure"} << none << status(503) << false;
        QTest::newRow("connect-failure: per-try timeout is not retried")
            << QStringList{"connect-failure"} << none << fail(F::PerTryTimeout) << false;
        QTest::newRow("connect-failure: reset after connecting is not retried")
            << QStringList{"connect-failure"} << none << fail(F::ResetBeforeHeaders) << false;
        QTest::newRow("retriable-status-codes 503: a refused connection is not a status code")
            << QStringList{"retriable-status-codes"} << QList<int>{503} << fail(F::ConnectFailure) << false;
        QTest::newRow("retriable-status-codes 503: upstream 503") << QStringList{"retriable-status-codes"} << QList<int>{503} << status(503) << true;
        QTest::newRow("retriable-status-codes 503: upstream 500") << QStringList{"retriable-status-codes"} << QList<int>{503} << status(500) << false;
        QTest::newRow("tutorial: 404 listed") << QStringList{"connect-failure", "retriable-status-codes"} << tutorial << status(404) << true;
        QTest::newRow("tutorial: 429 not listed") << QStringList{"connect-failure", "retriable-status-codes"} << tutorial << status(429) << false;
        QTest::newRow("tutorial: per-try timeout not covered")
            << QStringList{"connect-failure", "retriable-status-codes"} << tutorial << fail(F::PerTryTimeout) << false;
        QTest::newRow("retriable-status-codes 429") << QStringList{"retriable-status-codes"} << QList<int>{429} << status(429) << true;
        QTest::newRow("x-envoy-ratelimited is never retried")
            << QStringList{"retriable-status-codes", "5xx"} << QList<int>{429}
            << AttemptOutcome{F::Status, 429, false, true} << false;
        QTest::newRow("5xx: 500") << QStringList{"5xx"} << none << status(500) << true;
        QTest::newRow("5xx: 599") << QStringList{"5xx"} << none << status(599) << true;
        QTest::newRow("5xx: 429") << QStringList{"5xx"} << none << status(429) << false;
        QTest::newRow("5xx: refused (includes connect-failure)") << QStringList{"5xx"} << none << fail(F::ConnectFailure) << true;
        QTest::newRow("5xx: per-try timeout") << QStringList{"5xx"} << none << fail(F::PerTryTimeout) << true;
        QTest::newRow("5xx: stream idle timeout before headers") << QStringList{"5xx"} << none << fail(F::StreamIdleTimeout) << true;
        QTest::newRow("gateway-error: 502") << QStringList{"gateway-error"} << none << status(502) << true;
        QTest::newRow("gateway-error: 504") << QStringList{"gateway-error"} << none << status(504) << true;
        QTest::newRow("gateway-error: 500") << QStringList{"gateway-error"} << none << status(500) << false;
        QTest::newRow("gateway-error: per-try timeout") << QStringList{"gateway-error"} << none << fail(F::PerTryTimeout) << true;
        QTest::newRow("reset: per-try timeout") << QStringList{"reset"} << none << fail(F::PerTryTimeout) << true;
        QTest::newRow("reset: reset before headers") << QStringList{"reset"} << none << fail(F::ResetBeforeHeaders) << true;
        QTest::newRow("reset: refused") << QStringList{"reset"} << none << fail(F::ConnectFailure) << true;
        QTest::newRow("reset: 503 status") << QStringList{"reset"} << none << status(503) << false;
        QTest::newRow("reset-before-request: refused") << QStringList{"reset-before-request"} << none << fail(F::ConnectFailure) << true;
        QTest::newRow("reset-before-request: reset after sending") << QStringList{"reset-before-request"} << none << fail(F::ResetBeforeHeaders) << false;
        // 3.5: the per-try timer starts once the request was sent, so reset-before-request never covers it.
        QTest::newRow("reset-before-request: per-try timeout (request already sent)")
            << QStringList{"reset-before-request"} << none << fail(F::PerTryTimeout) << false;
        QTest::newRow("connect-failure: black-holed host (connect timeout)")
            << QStringList{"connect-failure"} << none << fail(F::ConnectTimeout) << true;
        QTest::newRow("retriable-status-codes: per-try timeout is not a status")
            << QStringList{"retriable-status-codes"} << QList<int>{503, 504} << fail(F::PerTryTimeout) << false;
        QTest::newRow("retriable-4xx: 409") << QStringList{"retriable-4xx"} << none << status(409) << true;
        QTest::newRow("retriable-4xx: 429") << QStringList{"retriable-4xx"} << none << status(429) << false;
        QTest::newRow("refused-stream: refused TCP is not an HTTP/2 REFUSED_STREAM")
            << QStringList{"refused-stream"} << none << fail(F::ConnectFailure) << false;
        QTest::newRow("unavailable (gRPC): 503 without grpc-status") << QStringList{"unavailable"} << none << status(503) << false;
        QTest::newRow("5xx: nothing after headers were sent") << QStringList{"5xx", "reset"} << none << fail(F::ResetAfterHeaders) << false;
        QTest::newRow("5xx: 503 with headers already sent")
            << QStringList{"5xx"} << none << AttemptOutcome{F::Status, 503, true, false} << false;
        QTest::newRow("5xx: overall request timeout") << QStringList{"5xx", "reset"} << none << fail(F::RequestTimeout) << false;
        QTest::newRow("success is not retried") << QStringList{"5xx"} << none << status(200) << false;
    }
    void wouldRetry() {
        QFETCH(QStringList, triggers);
        QFETCH(QList<int>, codes);
        QFETCH(AttemptOutcome, outcome);
        QFETCH(bool, retried);
        std::vector<std::string> t;
        for (const auto& s : triggers)
            t.push_back(s.toStdString());
        const RetryOn r = on(t, std::vector<int>(codes.begin(), codes.end()));
        QCOMPARE(routing::wouldRetry(r, outcome) == RetryDecision::RetryWithBackoff, retried);
    }

    void defaultTriggersWhenRetryOnIsAbsent() {
        // EG: retry without retryOn = connect-failure, refused-stream, unavailable, cancelled,
        // retriable-status-codes [503].
        config::RetryPolicy p;
        const RetryOn r = RetryOn::fromPolicy(p);
        QVERIFY(routing::wouldRetry(r, fail(UpstreamFailure::ConnectFailure)) == RetryDecision::RetryWithBackoff);
        QVERIFY(routing::wouldRetry(r, status(503)) == RetryDecision::RetryWithBackoff);
        QVERIFY(routing::wouldRetry(r, status(500)) == RetryDecision::NoRetry);
        QVERIFY(routing::wouldRetry(r, fail(UpstreamFailure::PerTryTimeout)) == RetryDecision::NoRetry);
        QCOMPARE(RetryConfig::fromPolicy(p).numRetries, std::int64_t(2));
    }

    void egDefaults_data() {
        // Reference 3.5 (EG route.go buildRetryPolicy): `retry` present always yields the defaults;
        // triggers replace them only when non-empty; httpStatusCodes replace [503] as given.
        QTest::addColumn<bool>("hasRetryOn");
        QTest::addColumn<QStringList>("triggers");
        QTest::addColumn<bool>("hasCodes");
        QTest::addColumn<QList<int>>("codes");
        QTest::addColumn<int>("status");
        QTest::addColumn<bool>("retried");
        QTest::newRow("no retryOn: 503 retried (default codes)") << false << QStringList{} << false << QList<int>{} << 503 << true;
        QTest::newRow("no retryOn: 500 not retried") << false << QStringList{} << false << QList<int>{} << 500 << false;
        QTest::newRow("retryOn without triggers: defaults, 503 retried") << true << QStringList{} << false << QList<int>{} << 503 << true;
        QTest::newRow("retryOn codes only [500]: default triggers read them") << true << QStringList{} << true << QList<int>{500} << 500 << true;
        QTest::newRow("retryOn codes [500]: the default 503 is lost") << true << QStringList{} << true << QList<int>{500} << 503 << false;
        QTest::newRow("empty httpStatusCodes: no codes at all") << true << QStringList{"retriable-status-codes"} << true << QList<int>{} << 503 << false;
        QTest::newRow("triggers [5xx] replace the defaults") << true << QStringList{"5xx"} << false << QList<int>{} << 502 << true;
    }
    void egDefaults() {
        QFETCH(bool, hasRetryOn);
        QFETCH(QStringList, triggers);
        QFETCH(bool, hasCodes);
        QFETCH(QList<int>, codes);
        QFETCH(int, status);
        QFETCH(bool, retried);
        config::RetryPolicy p;
        p.hasRetryOn = hasRetryOn;
        for (const auto& t : triggers)
            p.triggers.push_back(t.toStdString());
        p.hasHttpStatusCodes = hasCodes;
        p.httpStatusCodes.assign(codes.begin(), codes.end());
        const RetryOn r = RetryOn::fromPolicy(p);
        QCOMPARE(routing::wouldRetry(r, AttemptOutcome::httpStatus(status)) == RetryDecision::RetryWithBackoff, retried);
        // Every default set retries a refused connection (connect-failure is among the defaults).
        if (triggers.isEmpty())
            QVERIFY(routing::wouldRetry(r, fail(UpstreamFailure::ConnectFailure)) == RetryDecision::RetryWithBackoff);
    }

    void defaultBackoffIs25msAnd250ms() {
        const RetryConfig c = RetryConfig::fromPolicy(config::RetryPolicy{});
        QCOMPARE(c.backoffBase, ms(25));
        QCOMPARE(c.backoffMax, ms(250));
    }

    void unknownTriggersAreReported() {
        const RetryOn r = on({"connect-failure", "bogus"});
        QCOMPARE(r.unknown, std::vector<std::string>{"bogus"});
    }

    void backoffUpperBound_data() {
        QTest::addColumn<int>("baseMs");
        QTest::addColumn<int>("maxMs");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("upperMs");
        // Reference 3.5 (backoff_strategy.cc): retry n (from 0) waits U[0, min(base x 2^n, max)).
        QTest::newRow("Envoy default 25ms: retry 0 -> 25 x 1 = 25") << 25 << 250 << 0 << 25;
        QTest::newRow("retry 1 -> 25 x 2 = 50") << 25 << 250 << 1 << 50;
        QTest::newRow("retry 2 -> 25 x 4 = 100") << 25 << 250 << 2 << 100;
        QTest::newRow("retry 3 -> 25 x 8 = 200") << 25 << 250 << 3 << 200;
        QTest::newRow("retry 4 -> 25 x 16 = 400, capped at 250") << 25 << 250 << 4 << 250;
        QTest::newRow("retry 40 stays capped") << 25 << 250 << 40 << 250;
        QTest::newRow("tutorial 100ms/10s: retry 0 -> 100") << 100 << 10000 << 0 << 100;
        QTest::newRow("tutorial: retry 1 -> 200") << 100 << 10000 << 1 << 200;
        QTest::newRow("tutorial: retry 2 -> 400") << 100 << 10000 << 2 << 400;
        QTest::newRow("tutorial: retry 7 -> 12800, capped 10000") << 100 << 10000 << 7 << 10000;
    }
    void backoffUpperBound() {
        QFETCH(int, baseMs);
        QFETCH(int, maxMs);
        QFETCH(int, n);
        QFETCH(int, upperMs);
        QCOMPARE(routing::backoffUpperBound(ms(baseMs), ms(maxMs), n), ms(upperMs));
    }

    void backoffDrawsStayInBoundsAndSpanThem_data() {
        QTest::addColumn<int>("n");
        for (int n = 0; n <= 5; ++n)
            QTest::newRow(qPrintable(QString("retry %1").arg(n))) << n;
    }
    void backoffDrawsStayInBoundsAndSpanThem() {
        QFETCH(int, n);
        SeededRandom rnd(7);
        const Duration upper = routing::backoffUpperBound(ms(25), ms(250), n);
        Duration lo = upper, hi = Duration::zero();
        for (int i = 0; i < 20000; ++i) {
            const Duration b = jitteredBackoff(ms(25), ms(250), n, rnd.next());
            QVERIFY(b >= Duration::zero());
            QVERIFY(b < upper);  // [0, upper): never the bound itself
            lo = std::min(lo, b);
            hi = std::max(hi, b);
        }
        // fully jittered: the draws reach both ends of the range (whole ms)
        QCOMPARE(lo, Duration::zero());
        QCOMPARE(hi, upper - ms(1));
    }
    void backoffFromDrawIsModulo() {
        // 100 ms base, retry 2 (the third): bound 400 ms; draw 1234 -> 1234 mod 400 = 34 ms
        QCOMPARE(jitteredBackoff(ms(100), secs(10), 2, 1234), ms(34));
        // retry 1: bound 200 ms; 1234 mod 200 = 34 ms; retry 0: bound 100 ms -> 34 ms
        QCOMPARE(jitteredBackoff(ms(100), secs(10), 0, 1299), ms(99));
        QCOMPARE(jitteredBackoff(ms(0), secs(10), 2, 1234), Duration::zero());
    }

    void budget_data() {
        QTest::addColumn<int>("numRetries");
        QTest::addColumn<int>("retries");
        QTest::newRow("numRetries 0: one attempt") << 0 << 0;
        QTest::newRow("default 2") << 2 << 2;
        QTest::newRow("tutorial 3: 4 attempts") << 3 << 3;
    }
    void budget() {
        QFETCH(int, numRetries);
        QFETCH(int, retries);
        RetryConfig cfg;
        cfg.numRetries = numRetries;
        RetryState s(&cfg);
        EngineCounters k;
        int spent = 0;
        for (int i = 0; i < 10; ++i) {
            Duration b{};
            const auto st = s.shouldRetry(RetryDecision::RetryWithBackoff, false, TimePoint{}, TimePoint(secs(60)), 3, b, k);
            if (st != RetryStatus::Yes) {
                QCOMPARE(st, RetryStatus::NoRetryLimitExceeded);
                break;
            }
            ++spent;
        }
        QCOMPARE(spent, retries);
        QCOMPARE(k.upstream_rq_retry, std::uint64_t(retries));
        QCOMPARE(k.upstream_rq_retry_limit_exceeded, std::uint64_t(1));
    }
    void noPolicyMeansNoRetry() {
        RetryState s(nullptr);
        EngineCounters k;
        Duration b{};
        QCOMPARE(s.shouldRetry(RetryDecision::RetryWithBackoff, false, TimePoint{}, TimePoint(secs(60)), 0, b, k), RetryStatus::No);
    }
    void notRetriedOnceHeadersWereSent() {
        RetryConfig cfg;
        RetryState s(&cfg);
        EngineCounters k;
        Duration b{};
        QCOMPARE(s.shouldRetry(RetryDecision::RetryWithBackoff, true, TimePoint{}, TimePoint(secs(60)), 0, b, k),
                 RetryStatus::NoHeadersSent);
        QCOMPARE(k.upstream_rq_retry_no_headers_sent, std::uint64_t(1));
    }
    void backoffPastTheDeadlineEndsTheRequest() {
        RetryConfig cfg;
        cfg.backoffBase = secs(2);
        cfg.backoffMax = secs(20);
        RetryState s(&cfg);
        EngineCounters k;
        Duration b{};
        // retry 1: bound 2000 ms; draw 1500 -> 1500 ms; now 0 + 1.5 s >= deadline 1 s -> 504 at the deadline
        QCOMPARE(s.shouldRetry(RetryDecision::RetryWithBackoff, false, TimePoint{}, TimePoint(secs(1)), 1500, b, k),
                 RetryStatus::NoDeadline);
        QCOMPARE(b, ms(1500));
        QCOMPARE(k.upstream_rq_retry_deadline, std::uint64_t(1));
        // draw 500 -> 500 ms < 1 s: retried
        RetryState s2(&cfg);
        QCOMPARE(s2.shouldRetry(RetryDecision::RetryWithBackoff, false, TimePoint{}, TimePoint(secs(1)), 500, b, k), RetryStatus::Yes);
        QCOMPARE(b, ms(500));
    }
};

QTEST_APPLESS_MAIN(TestRetry)
#include "test_retry.moc"
